"""The lesson's figure: one character a cell, panels side by side, no colour, no axes.

Each panel is `steps` characters wide, panels are three spaces apart, titles are left-aligned
over their panels, '*' marks the minimum, and lines carry no trailing spaces. With the
lesson's data, `--origin upper` and the defaults this reproduces its figure exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from losscli.render.bands import classify, ramp

if TYPE_CHECKING:
    from losscli.sweep import Surface

UNICODE_SHADES = " ░▒▓█"
ASCII_SHADES = " .:-=+#%@"
STAR = "*"
NOT_FINITE = "!"
GAP = "   "


def render_plain(
    surfaces: Sequence[Surface],
    *,
    levels: int = 4,
    scale: str = "linear",
    origin: str = "lower",
    unicode: bool = True,
    marks: Mapping[tuple[int, int], str] | None = None,
) -> str:
    """The figure; `marks` maps (row, col) to one character drawn over that cell of every
    panel (a path), except on the minimum, which keeps its star."""
    glyphs = ramp(UNICODE_SHADES if unicode else ASCII_SHADES, levels)
    panels = [_panel(surface, glyphs, levels, scale, origin, marks or {}) for surface in surfaces]
    width = len(surfaces[0].w1)
    titles = GAP.join(s.loss.title(s.params, defaults=False).ljust(width) for s in surfaces)
    lines = [titles.rstrip()]
    lines += [GAP.join(row).rstrip() for row in zip(*panels, strict=True)]
    return "\n".join(lines) + "\n"


def _panel(
    surface: Surface,
    glyphs: list[str],
    levels: int,
    scale: str,
    origin: str,
    marks: Mapping[tuple[int, int], str],
) -> list[str]:
    bands = classify(surface.values, levels, scale).index
    cells = np.array([*glyphs, NOT_FINITE])[bands]  # band −1 picks NOT_FINITE, the last
    for (row, col), mark in marks.items():
        cells[row, col] = mark
    if surface.minimum is not None:
        cells[surface.minimum.row, surface.minimum.col] = STAR
    rows = ["".join(row) for row in cells.tolist()]
    return rows if origin == "upper" else rows[::-1]
