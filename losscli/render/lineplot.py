"""A loss along a line drawn as text (one point a column, the loss up, t across), and written
as JSON or CSV.

Each value is placed in the column nearest its x and the row nearest its y on a grid of
`height` rows (the top row the largest finite value, the bottom the smallest); values that
are not finite are left out. Marks (one character, such as `I` for the initial weights at
t = 0 and `T` the trained ones at t = 1) replace the point nearest their x. Below the plot,
the x axis with its ends and the marks' x labelled.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from losscli.render.minima import fmt

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from losscli.slices.landscape import Line

    Array = NDArray[np.float64]

POINT = {True: "•", False: "o"}
"""A point of the line, by whether the output takes Unicode."""


def line_plot(
    xs: Array,
    ys: Array,
    *,
    title: str,
    x_name: str = "t",
    width: int = 64,
    height: int = 12,
    marks: Mapping[float, str] | None = None,
    unicode: bool = True,
) -> str:
    """The plot as lines of text, `width` characters at most; see the module docstring."""
    finite = np.isfinite(ys)
    low = float(np.min(ys[finite])) if finite.any() else 0.0
    high = float(np.max(ys[finite])) if finite.any() else 0.0
    labels = [fmt(high, 4), fmt(low, 4)]
    margin = max(map(len, labels)) + 1
    cols, rows = max(2, width - margin - 1), max(2, height)
    span = float(xs[-1] - xs[0]) or 1.0
    col = np.rint((xs - xs[0]) / span * (cols - 1)).astype(np.int64)
    lift = (ys - low) / (high - low) if high > low else np.full_like(ys, 0.5)
    row = np.rint(np.where(finite, lift, 0.0) * (rows - 1)).astype(np.int64)
    canvas = [[" "] * cols for _ in range(rows)]
    for c, r in zip(col[finite].tolist(), row[finite].tolist(), strict=True):
        canvas[rows - 1 - r][c] = POINT[unicode]
    for at, mark in (marks or {}).items():
        nearest = int(np.argmin(np.abs(xs - at)))
        if finite[nearest]:
            canvas[rows - 1 - int(row[nearest])][int(col[nearest])] = mark
    bar = "│" if unicode else "|"
    lines = [title]
    for k, cells in enumerate(canvas):
        label = labels[0] if k == 0 else labels[1] if k == rows - 1 else ""
        lines.append(f"{label.rjust(margin - 1)} {bar}{''.join(cells)}".rstrip())
    lines.append(" " * margin + ("└" if unicode else "+") + ("─" if unicode else "-") * cols)
    lines.append(" " * (margin + 1) + _ticks(xs, col, cols, marks or {}) + f"  {x_name}")
    return "\n".join(lines) + "\n"


def _ticks(xs: Array, col: Array, cols: int, marks: Mapping[float, str]) -> str:
    """The x axis's labels: its ends and each mark's x, where they fit without touching."""
    axis = [" "] * (cols + 8)
    wanted = [(0, float(xs[0])), (cols - 1, float(xs[-1]))]
    wanted += [(int(col[int(np.argmin(np.abs(xs - at)))]), at) for at in marks]
    taken = -1
    for c, value in sorted(set(wanted)):
        text = fmt(value, 3)
        start = min(max(c - len(text) // 2, 0), cols + 8 - len(text))
        if start > taken:
            axis[start : start + len(text)] = text
            taken = start + len(text)
    return "".join(axis).rstrip()


def line_json(line: Line, version: str) -> str:
    """`{"version", "line": {"loss", "title", "t", "values", ...}}`: strict JSON, a value that
    is not finite written as null."""
    values = [value if math.isfinite(value) else None for value in line.values.tolist()]
    record = {"loss": line.loss, "title": line.title, "t": line.t.tolist(), "values": values}
    document = {"version": version, "line": {**record, **line.record}}
    return json.dumps(document, allow_nan=False) + "\n"


def line_csv(line: Line) -> str:
    """Header `t,loss`, a row a point, numbers as Python's repr writes them (inf, nan too)."""
    pairs = zip(line.t.tolist(), line.values.tolist(), strict=True)
    return "t,loss\n" + "".join(f"{t!r},{value!r}\n" for t, value in pairs)
