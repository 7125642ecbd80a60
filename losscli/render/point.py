"""`losscli eval` output: an aligned text table for people, strict JSON for programs; at a
point of the line (w1, w2), or at one point's logits for a multi-class loss.

Text shows 6 significant digits; JSON keeps full float64 precision (repr) and writes a value
that is not finite (exponential's overflow) as null, as the surface export does.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from losscli.line import Point

if TYPE_CHECKING:
    from losscli.catalogue.multiclass import AtLogits


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
    return _aligned(rows)


def logits_to_json(points: Sequence[AtLogits]) -> str:
    records: list[dict[str, Any]] = [
        {
            "loss": point.loss.name,
            "params": dict(point.params),
            "logits": list(point.logits),
            "label": point.label,
            "softmax": list(point.probabilities),
            "value": _finite(point.value),
            "gradient": [_finite(g) for g in point.gradient],
        }
        for point in points
    ]
    return json.dumps(records, indent=2, allow_nan=False) + "\n"


def logits_to_text(points: Sequence[AtLogits]) -> str:
    """A block a loss: its title and value, then a row a class: the logit, its softmax
    probability and the loss's derivative with respect to it."""
    blocks = []
    for point in points:
        header = ("class", "logit", "softmax", "dL/dz")
        rows = [header] + [
            (str(k) + (" (label)" if k == point.label else ""), f"{z:g}", f"{q:.6g}", f"{g:.6g}")
            for k, (z, q, g) in enumerate(
                zip(point.logits, point.probabilities, point.gradient, strict=True)
            )
        ]
        blocks.append(f"{point.title()}: {point.value:.6g}\n" + _aligned(rows))
    return "\n".join(blocks)


def _aligned(rows: Sequence[tuple[str, ...]]) -> str:
    """Rows as columns: the first left-aligned, the rest right-aligned."""
    header = rows[0]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]
    return "\n".join(lines) + "\n"
