"""`losscli eval` output: an aligned text table for people, strict JSON for programs.

Text shows 6 significant digits; JSON keeps full float64 precision (repr) and writes a value
that is not finite (exponential's overflow) as null, as the surface export does.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from losscli.line import Point


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def to_json(points: Sequence[Point]) -> str:
    records: list[dict[str, Any]] = [
        {
            "loss": point.loss.name,
            "params": dict(point.params),
            "w1": point.w1,
            "w2": point.w2,
            "value": _finite(point.value),
            "gradient": {"w1": _finite(point.grad_w1), "w2": _finite(point.grad_w2)},
        }
        for point in points
    ]
    return json.dumps(records, indent=2, allow_nan=False) + "\n"


def to_text(points: Sequence[Point]) -> str:
    """One row a loss: its title, where, the value and both partial derivatives."""
    header = ("loss", "w1", "w2", "value", "dL/dw1", "dL/dw2")
    rows = [header] + [
        (
            point.loss.title(point.params),
            f"{point.w1:g}",
            f"{point.w2:g}",
            f"{point.value:.6g}",
            f"{point.grad_w1:.6g}",
            f"{point.grad_w2:.6g}",
        )
        for point in points
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]
    return "\n".join(lines) + "\n"
