"""The coloured contour map: one Rich renderable per surface, laid out side by side.

A panel is the loss's title, the map (each cell two characters wide, so it looks square in a
terminal whose cells are about twice as tall as wide), w2 ticks on the left, w1 ticks below,
a line naming the minimum, and a legend mapping each band to its range of loss values.

Colour comes from a sequential palette (viridis: dark for low loss, bright for high) on the
cell background. Without colour (NO_COLOR, a pipe, `--color never`) cells are drawn with
shading glyphs instead, and a terminal that cannot print the block characters gets ASCII.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from rich.columns import Columns
from rich.console import Group, RenderableType
from rich.style import Style
from rich.text import Text

from losscli.engine.optimum import NoOptimum, Optimum
from losscli.render.bands import Bands, classify, ramp
from losscli.render.grids import thin
from losscli.render.plain import ASCII_SHADES, UNICODE_SHADES

if TYPE_CHECKING:
    from losscli.render.grids import Grid

VIRIDIS = (
    "#440154", "#482878", "#3e4a89", "#31688e", "#26828e",
    "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725",
)  # fmt: skip
"""Anchors of matplotlib's viridis colour map, low to high: perceptually even, colour-blind safe."""
STAR_STYLE = Style(color="#ffffff", bold=True)
NOT_FINITE_STYLE = Style(color="#ffffff", bgcolor="#b00020", bold=True)
DIM = Style(dim=True)


@dataclass(frozen=True)
class Glyphs:
    """The characters a map is drawn with: Unicode, or ASCII for terminals that lack it."""

    shades: str
    star: str
    not_finite: str
    vertical: str
    tick_left: str
    corner: str
    horizontal: str
    tick_below: str
    dash: str


UNICODE = Glyphs(UNICODE_SHADES, "★", "!", "│", "┤", "└", "─", "┬", "–")
ASCII = Glyphs(ASCII_SHADES, "*", "!", "|", "+", "+", "-", "+", "-")
TRUE_MINIMUM = {True: "◆ ", False: "<>"}
"""The continuous minimum's mark, Unicode or ASCII: white on black, a colour viridis and the
descent paths leave free; on the grid's minimum its second character gives way to the star."""


@dataclass(frozen=True)
class Mark:
    """Something drawn over one cell (a path's step, say): two characters and their colour.

    `text` replaces the cell's two characters; in colour it is drawn bold on `background`
    with `foreground` letters. On the grid's minimum the second character gives way to the
    star, so the minimum stays marked whatever is drawn over it.
    """

    text: str
    background: str
    foreground: str = "#000000"


Marks = Mapping[tuple[int, int], Mark]
"""Marks keyed by (row, col): row i is w2[i], column j is w1[j], as in `Surface.values`."""
Overlay = Callable[["Grid"], Marks]
"""Marks for the grid as drawn: called after thinning, so (row, col) index the cells shown."""


def palette(levels: int) -> list[str]:
    """`levels + 1` colours evenly spread along viridis, as hex strings."""
    anchors = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in VIRIDIS], float)
    where = np.linspace(0, len(VIRIDIS) - 1, levels + 1)
    rgb = np.stack([np.interp(where, np.arange(len(VIRIDIS)), anchors[:, k]) for k in range(3)])
    return ["#{:02x}{:02x}{:02x}".format(*np.rint(col).astype(int)) for col in rgb.T]


def fmt(value: float, digits: int = 3) -> str:
    """A loss value or tick in a few significant digits."""
    return f"{value:.{digits}g}"


def render_maps(
    surfaces: Sequence[Grid],
    *,
    levels: int,
    scale: str,
    origin: str,
    color: bool,
    unicode: bool,
    overlay: Overlay | None = None,
    width: int | None = None,
) -> RenderableType:
    """All panels, wrapping to the console's width; each thinned to fit `width` if given, and
    `overlay` drawn over each on the cells it is shown with."""
    glyphs = UNICODE if unicode else ASCII
    shown = surfaces if width is None else [fit_to_width(s, width) for s in surfaces]
    panels = [
        _panel(
            s,
            levels,
            scale,
            origin,
            color,
            glyphs,
            {**_optimum_mark(s, unicode), **(overlay(s) if overlay else {})},
        )
        for s in shown
    ]
    return Columns(panels, padding=(1, 3))


def fit_to_width(surface: Grid, width: int) -> Grid:
    """The grid thinned so its panel (w2 labels, axis, two columns a cell) fits in `width`.

    Each axis keeps at most as many cells as fit across, so a square grid stays square; on
    long axes a count of 4k + 1 cells, so the quarter ticks fall on kept grid lines.
    """
    margin = max(len(fmt(value)) for value in surface.w2.tolist()) + 1
    cells = max(2, (width - margin - 1) // 2)
    if cells >= 17:
        cells -= (cells - 1) % 4
    return thin(surface, cells, cells)


def _panel(
    surface: Grid,
    levels: int,
    scale: str,
    origin: str,
    color: bool,
    glyphs: Glyphs,
    marks: Marks,
) -> RenderableType:
    bands = classify(surface.values, levels, scale)
    colours = palette(levels)
    shades = ramp(glyphs.shades, levels)
    rows, cols = surface.values.shape
    order = range(rows - 1, -1, -1) if origin == "lower" else range(rows)
    ticks = _ticks(rows)
    labels = {r: fmt(surface.w2[r]) for r in ticks}
    margin = max(len(label) for label in labels.values()) + 1

    def cell(band: int) -> Text:
        if band < 0:
            return Text(glyphs.not_finite * 2, NOT_FINITE_STYLE)
        if color:
            return Text("  ", Style(bgcolor=colours[band]))
        return Text(shades[band] * 2)

    lines = [Text(surface.title, style="bold"), Text("w2".rjust(margin - 1), DIM)]
    minimum = surface.minimum
    for r in order:
        line = Text()  # a base style here would dim every cell; only the axis is dim
        line.append(labels.get(r, "").rjust(margin - 1) + " ", DIM)
        line.append(glyphs.tick_left if r in labels else glyphs.vertical, DIM)
        for c in range(cols):
            at_minimum = minimum is not None and (r, c) == (minimum.row, minimum.col)
            mark = marks.get((r, c))
            if mark is not None:
                text = mark.text[0] + glyphs.star if at_minimum else mark.text
                style = Style(color=mark.foreground, bgcolor=mark.background, bold=True)
                line.append(text, style if color else None)
            elif at_minimum:
                background = Style(bgcolor=colours[int(bands.index[r, c])])
                style = STAR_STYLE + background if color else STAR_STYLE
                line.append(glyphs.star + " ", style)
            else:
                line.append_text(cell(int(bands.index[r, c])))
        lines.append(line)
    lines += _w1_axis(surface, margin, glyphs)
    lines += _minimum_line(surface, unicode=glyphs is UNICODE, width=margin + 1 + 2 * cols)
    lines.append(_legend(bands, colours, shades, color, glyphs, width=margin + 1 + 2 * cols))
    return Group(*lines)


def _ticks(count: int) -> list[int]:
    """Indices to label on an axis: both ends and the middle (and quarters on long axes)."""
    parts = 4 if count >= 17 and (count - 1) % 4 == 0 else 2
    return sorted({round(k * (count - 1) / parts) for k in range(parts + 1)})


def _w1_axis(surface: Grid, margin: int, glyphs: Glyphs) -> list[Text]:
    """The rule under the map with a tick under each labelled column, and the labels; a label
    that would run into another (long numbers on a narrow grid) is left out, the ends first kept.
    """
    cols = len(surface.w1)
    rule = [glyphs.horizontal] * (2 * cols)
    numbers = [" "] * (2 * cols + 8)
    ticks = _ticks(cols)
    for c in ticks:
        rule[2 * c] = glyphs.tick_below
    for c in sorted(ticks, key=lambda c: c not in (0, cols - 1)):
        label = fmt(surface.w1[c])
        if c == 0:
            start = 0
        elif c == cols - 1:
            start = max(0, 2 * c + 1 - len(label))
        else:
            start = 2 * c - len(label) // 2
        if "".join(numbers[max(0, start - 1) : start + len(label) + 1]).strip():
            continue
        numbers[start : start + len(label)] = label
    axis = Text(" " * margin + glyphs.corner + "".join(rule), DIM)
    labels = Text("w1".rjust(margin - 1) + "  " + "".join(numbers).rstrip(), DIM)
    return [axis, labels]


def _minimum_line(surface: Grid, *, unicode: bool = True, width: int = 80) -> list[Text]:
    """The grid's minimum and, where known, the loss's true one beside it, each wrapped to
    the panel's width: `min 0.05187 at w1 = 1.6, w2 = 0.4 (grid)` then the continuous
    minimum with its mark, `(true)`, `(true, one of many)` or `(local)`, or why there is none."""
    minimum = surface.minimum
    if minimum is None:
        return [Text("no finite value on this grid", style="bold red")]
    value = fmt(minimum.value, 4)
    grid = f"min {value} at w1 = {fmt(minimum.w1, 4)}, w2 = {fmt(minimum.w2, 4)}"
    optimum = surface.optimum
    if optimum is None:
        return _wrapped(grid, value, len(grid))
    grid += " (grid)"
    lines = _wrapped(grid, value, len(grid))
    width = max(width, len(grid))
    if isinstance(optimum, NoOptimum):
        return lines + _wrapped(optimum.brief, "", width, style="dim")
    label = {"unique": "true", "region": "true, one of many", "local": "local"}[optimum.kind]
    if _optimum_cell(surface, optimum) is None:
        label += ", off the map"
    true_value = fmt(optimum.value, 4)
    true = (
        f"{TRUE_MINIMUM[unicode].strip()} {true_value} at w1 = {fmt(optimum.w1, 4)}, "
        f"w2 = {fmt(optimum.w2, 4)} ({label.replace(' ', KEEP)})"
    )
    return lines + _wrapped(true, true_value, width)


KEEP = "\xa0"
"""Joins words that wrapping must keep on one line (a label in brackets); printed as a space."""


def _wrapped(text: str, bold: str, width: int, style: str = "") -> list[Text]:
    """Text broken between words to lines of `width`, the later ones indented; the first
    `bold` in it bold."""
    import textwrap

    parts = textwrap.wrap(
        text, width, subsequent_indent="    ", break_long_words=False, break_on_hyphens=False
    )
    lines = [Text(part.replace(KEEP, " "), style=style) for part in parts]
    if bold:
        start = parts[0].find(bold)
        if start >= 0:
            lines[0].stylize("bold", start, start + len(bold))
    return lines


def _optimum_cell(surface: Grid, optimum: Optimum) -> tuple[int, int] | None:
    """(row, col) of the cell nearest the continuous minimum, None when it is more than half
    an edge cell off the grid."""
    cell = []
    for axis, value in ((surface.w2, optimum.w2), (surface.w1, optimum.w1)):
        if len(axis) > 1:
            low = axis[0] - (axis[1] - axis[0]) / 2
            high = axis[-1] + (axis[-1] - axis[-2]) / 2
            if not low <= value <= high:
                return None
        cell.append(int(np.argmin(np.abs(axis - value))))
    return cell[0], cell[1]


def _optimum_mark(surface: Grid, unicode: bool) -> dict[tuple[int, int], Mark]:
    """The continuous minimum's mark on its cell, where it lies on the map."""
    optimum = surface.optimum
    if not isinstance(optimum, Optimum):
        return {}
    cell = _optimum_cell(surface, optimum)
    return {} if cell is None else {cell: Mark(TRUE_MINIMUM[unicode], "#000000", "#ffffff")}


def _legend(
    bands: Bands, colours: list[str], shades: list[str], color: bool, glyphs: Glyphs, width: int
) -> Text:
    """Each band's swatch and range of values, wrapped to the panel's width: one band on a
    surface equal everywhere, and the swatch of the non-finite cells when there are any."""
    items = []
    shown = 0 if (bands.index < 0).all() else 1 if bands.constant else bands.levels + 1
    everywhere = " everywhere" if bands.not_finite is None else " elsewhere"
    for band in range(shown):
        low, high = bands.edges[band], bands.edges[min(band + 1, bands.levels)]
        span = fmt(low) if band == bands.levels else f"{fmt(low)}{glyphs.dash}{fmt(high)}"
        item = Text()
        if color:
            item.append("  ", Style(bgcolor=colours[band]))
        else:  # a blank glyph needs brackets to be seen
            item.append(shades[band] * 2 if shades[band] != " " else "[]")
        item.append(" " + (fmt(low) + everywhere if bands.constant else span), DIM)
        items.append(item)
    if bands.not_finite is not None:
        item = Text().append(glyphs.not_finite * 2, NOT_FINITE_STYLE)
        items.append(item.append(" " + bands.not_finite, DIM))
    lines, line = [], Text()
    for item in items:
        if line and line.cell_len + 2 + item.cell_len > width:
            lines.append(line)
            line = Text()
        if line:
            line.append("  ")
        line.append_text(item)
    lines.append(line)
    return Text("\n").join(lines)
