"""The lesson's figure: one character a cell, panels side by side, no colour, no axes.

Each panel is `steps` characters wide, panels are three spaces apart, titles are left-aligned
over their panels, '*' marks the minimum, and lines carry no trailing spaces. With the
lesson's data, `--origin upper` and the defaults this reproduces its figure exactly. Given a
width, panels too wide for it are thinned, and panels that do not fit beside each other wrap
onto further rows, a blank line apart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from losscli.render.bands import classify, ramp, shared_references
from losscli.render.grids import thin

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from losscli.render.grids import Grid

UNICODE_SHADES = " ░▒▓█"
ASCII_SHADES = " .:-=+#%@"
STAR = "*"
NOT_FINITE = "!"
GAP = "   "


def render_plain(
    surfaces: Sequence[Grid],
    *,
    levels: int = 4,
    scale: str = "linear",
    origin: str = "lower",
    unicode: bool = True,
    overlay: Callable[[Grid], Mapping[tuple[int, int], str]] | None = None,
    width: int | None = None,
    shared_bands: bool = False,
) -> str:
    """The figure; with `width`, panels are thinned to fit it and wrap onto further rows.

    `overlay` gives, for a grid as drawn, characters to put over cells (a path) keyed by
    (row, col); the minimum keeps its star. With `shared_bands` the panels of one loss share
    one band scale.
    """
    glyphs = shades(levels, unicode)
    shown = surfaces if width is None else [thin(s, width, width) for s in surfaces]
    keys = [s.loss_name if shared_bands else None for s in shown]
    shared = shared_references(keys, [s.values for s in shown])
    references = dict(zip(map(id, shown), shared, strict=True))

    def bands(grid: Grid) -> NDArray[np.int64]:
        return classify(grid.values, levels, scale, references[id(grid)]).index

    rows = _wrap(shown, width)
    return "\n".join(_row_of_panels(row, glyphs, bands, origin, overlay) for row in rows)


def shades(levels: int, unicode: bool = True) -> list[str]:
    """`levels + 1` glyphs, blank first, one for each band: the Unicode blocks while they
    suffice (up to four levels), else the ASCII ramp (up to eight; beyond, glyphs repeat)."""
    glyphs = UNICODE_SHADES if unicode and levels < len(UNICODE_SHADES) else ASCII_SHADES
    return ramp(glyphs, levels)


def _wrap(grids: Sequence[Grid], width: int | None) -> list[list[Grid]]:
    """Panels in rows no wider than `width` (one row when no width is given)."""
    rows: list[list[Grid]] = [[]]
    used = -len(GAP)
    for grid in grids:
        used += len(GAP) + len(grid.w1)
        if rows[-1] and width is not None and used > width:
            rows.append([])
            used = len(grid.w1)
        rows[-1].append(grid)
    return rows if rows[0] else []


def _row_of_panels(
    grids: Sequence[Grid],
    glyphs: list[str],
    bands: Callable[[Grid], NDArray[np.int64]],
    origin: str,
    overlay: Callable[[Grid], Mapping[tuple[int, int], str]] | None,
) -> str:
    panels = [
        _panel(grid, glyphs, bands(grid), origin, overlay(grid) if overlay else {})
        for grid in grids
    ]
    height = max(len(panel) for panel in panels)
    panels = [
        [line.ljust(len(g.w1)) for line in [g.short_title, *p]]
        + [" " * len(g.w1)] * (height - len(p))
        for g, p in zip(grids, panels, strict=True)
    ]
    return "".join(GAP.join(line).rstrip() + "\n" for line in zip(*panels, strict=True))


def _panel(
    surface: Grid,
    glyphs: list[str],
    bands: NDArray[np.int64],
    origin: str,
    marks: Mapping[tuple[int, int], str],
) -> list[str]:
    cells = np.array([*glyphs, NOT_FINITE])[bands]  # band −1 picks NOT_FINITE, the last
    for (row, col), mark in marks.items():
        cells[row, col] = mark
    if surface.minimum is not None:
        cells[surface.minimum.row, surface.minimum.col] = STAR
    rows = ["".join(row) for row in cells.tolist()]
    return rows if origin == "upper" else rows[::-1]
