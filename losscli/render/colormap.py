"""The coloured contour map: one Rich renderable per surface, laid out side by side.

A panel is the loss's title, the map (each cell two characters wide, so it looks square in a
terminal whose cells are about twice as tall as wide), w2 ticks on the left, w1 ticks below,
a line naming the minimum, and a legend mapping each band to its range of loss values.
Where a terminal's height is known the panels are arranged to fit it too
(`losscli.render.layout`): cells may be one character wide, the legend one line.

Colour comes from a sequential palette (viridis: dark for low loss, bright for high) on the
cell background, chosen for the console's colour system (`losscli.render.palettes`). Without
colour (NO_COLOR, a pipe, `--color never`) cells are drawn with shading glyphs instead, and a
terminal that cannot print the block characters gets ASCII.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from rich.columns import Columns
from rich.console import Group, RenderableType
from rich.style import Style
from rich.text import Text

from losscli.engine.optimum import Optimum
from losscli.render.bands import Bands, classify, shared_references
from losscli.render.grids import thin
from losscli.render.layout import GAP, PanelShape, arrange
from losscli.render.minima import (
    TRUE_MINIMUM,
    edge_note,
    fits,
    fmt,
    key,
    minimum_lines,
    optimum_cell,
)
from losscli.render.palettes import palette
from losscli.render.plain import ASCII_SHADES, UNICODE_SHADES, shades

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from losscli.render.grids import Grid

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
    color_system: str = "truecolor",
    shared_bands: bool = False,
    height: int | None = None,
) -> RenderableType:
    """All panels, wrapping to the console's width; each thinned to fit `width` if given, and
    `overlay` drawn over each on the cells it is shown with. With `height` too, the panels are
    arranged and thinned so the whole fits `width` × `height` (see `losscli.render.layout`);
    cells stay two characters wide under an overlay, whose marks need both. Colours are
    `color_system`'s (see `losscli.render.palettes`, which also says how many levels each can
    show apart). With `shared_bands` the panels of one loss share one band scale; each keeps
    its own star."""
    glyphs = UNICODE if unicode else ASCII

    def draw(
        surface: Grid, shape: PanelShape, pooled: Mapping[str, NDArray[np.float64]]
    ) -> RenderableType:
        marks = {**_optimum_mark(surface, unicode), **(overlay(surface) if overlay else {})}
        return _panel(
            surface,
            levels,
            scale,
            origin,
            color,
            glyphs,
            marks,
            shape,
            color_system=color_system,
            reference=pooled.get(surface.loss_name or ""),
        )

    if width is not None and height is not None:  # shared scales over the whole grids
        pooled = _pooled(surfaces, shared_bands)

        @functools.cache
        def compact(width: int) -> bool:  # where every panel's minima fit, all in full
            return not all(fits(s, glyphs.star, width) for s in surfaces)

        def arranged_panel(surface: Grid, shape: PanelShape) -> RenderableType:
            assert shape.width is not None
            return draw(surface, replace(shape, compact_minima=compact(shape.width)), pooled)

        arranged = arrange(
            surfaces,
            width,
            height - 1,  # the key's line
            draw=arranged_panel,
            across=cells_across,
            narrow=overlay is None,
        )
        return Group(arranged, Text(key(glyphs.star), DIM))
    shown = surfaces if width is None else [fit_to_width(s, width) for s in surfaces]
    pooled = _pooled(shown, shared_bands)
    return Columns([draw(s, PanelShape(), pooled) for s in shown], padding=(1, GAP))


def _pooled(grids: Sequence[Grid], shared: bool) -> dict[str, NDArray[np.float64]]:
    """Where `shared`, the values each loss drawn in several panels fits its bands to: all of
    those panels' values together (see `losscli.render.bands.shared_references`)."""
    keys = [grid.loss_name if shared else None for grid in grids]
    references = shared_references(keys, [grid.values for grid in grids])
    return {
        key: values
        for key, values in zip(keys, references, strict=True)
        if key is not None and values is not None
    }


def fit_to_width(surface: Grid, width: int) -> Grid:
    """The grid thinned so its panel (w2 labels, axis, two columns a cell) fits in `width`.

    Each axis keeps at most as many cells as fit across, so a square grid stays square.
    """
    cells = cells_across(surface, width, 2)
    return thin(surface, cells, cells)


def cells_across(surface: Grid, width: int, cell_width: int) -> int:
    """How many cells of `cell_width` characters fit beside the w2 labels in `width`; on
    long axes a count of 4k + 1, so the quarter ticks fall on kept grid lines."""
    margin = max(len(fmt(value)) for value in surface.w2.tolist()) + 1
    cells = max(2, (width - margin - 1) // cell_width)
    return cells - (cells - 1) % 4 if cells >= 17 else cells


def _panel(
    surface: Grid,
    levels: int,
    scale: str,
    origin: str,
    color: bool,
    glyphs: Glyphs,
    marks: Marks,
    shape: PanelShape,
    *,
    color_system: str = "truecolor",
    reference: NDArray[np.float64] | None = None,
) -> RenderableType:
    bands = classify(surface.values, levels, scale, reference)
    colours = palette(levels, color_system)
    swatches = shades(levels, unicode=glyphs is UNICODE)
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
        return Text(swatches[band] * 2)

    lines = [Text(surface.title, style="bold"), Text(surface.axes[1].rjust(margin - 1), DIM)]
    minimum = surface.minimum
    for r in order:
        line = Text()  # a base style here would dim every cell; only the axis is dim
        line.append(labels.get(r, "").rjust(margin - 1) + " ", DIM)
        line.append(glyphs.tick_left if r in labels else glyphs.vertical, DIM)
        for c in range(cols):
            at_minimum = minimum is not None and (r, c) == (minimum.row, minimum.col)
            mark = marks.get((r, c))
            piece = Text()
            if mark is not None:
                text = mark.text[0] + glyphs.star if at_minimum else mark.text
                style = Style(color=mark.foreground, bgcolor=mark.background, bold=True)
                piece.append(text, style if color else None)
            elif at_minimum:
                background = Style(bgcolor=colours[int(bands.index[r, c])])
                style = STAR_STYLE + background if color else STAR_STYLE
                piece.append(glyphs.star + " ", style)
            else:
                piece = cell(int(bands.index[r, c]))
            if shape.cell_width == 1:  # one character: the glyph, or the star (not the mark)
                piece = piece[1:] if at_minimum and mark is not None else piece[:1]
            line.append_text(piece)
        lines.append(line)
    lines += _w1_axis(surface, margin, glyphs, shape.cell_width)
    width = margin + 1 + shape.cell_width * cols
    compact = shape.compact_minima
    lines += minimum_lines(surface, glyphs.star, width=shape.width or width, compact=compact)
    if shape.width is not None:  # arranged: as wide as the panel's widest line, within its column
        width = min(shape.width, max(line.cell_len for line in lines))
    lines += edge_note(surface, width=width, compact=compact)
    if shape.compact_legend and not bands.constant and (bands.index >= 0).any():
        lines.append(_compact_legend(bands, scale, lambda band: cell(band)[:1], width))
    else:  # the full legend (for one band or none it is as short)
        lines.append(_legend(bands, colours, swatches, color, glyphs, width=width))
    return Group(*lines)


def _ticks(count: int) -> list[int]:
    """Indices to label on an axis: both ends and the middle (and quarters on long axes)."""
    parts = 4 if count >= 17 and (count - 1) % 4 == 0 else 2
    return sorted({round(k * (count - 1) / parts) for k in range(parts + 1)})


def _w1_axis(surface: Grid, margin: int, glyphs: Glyphs, cell_width: int) -> list[Text]:
    """The rule under the map with a tick under each labelled column, and the labels; a label
    that would run into another (long numbers on a narrow grid) is left out, the ends first kept.
    """
    cols = len(surface.w1)
    rule = [glyphs.horizontal] * (cell_width * cols)
    numbers = [" "] * (cell_width * cols + 8)
    ticks = _ticks(cols)
    for c in ticks:
        rule[cell_width * c] = glyphs.tick_below
    for c in sorted(ticks, key=lambda c: c not in (0, cols - 1)):
        label = fmt(surface.w1[c])
        if c == 0:
            start = 0
        elif c == cols - 1:
            start = max(0, cell_width * c + 1 - len(label))
        else:
            start = cell_width * c - len(label) // 2
        if "".join(numbers[max(0, start - 1) : start + len(label) + 1]).strip():
            continue
        numbers[start : start + len(label)] = label
    axis = Text(" " * margin + glyphs.corner + "".join(rule), DIM)
    name, numbers_text = surface.axes[0], "".join(numbers).rstrip()
    if len(name) <= max(2, margin - 1):  # the name beside the rule's corner, w1's place
        return [axis, Text(name.rjust(margin - 1) + "  " + numbers_text, DIM)]
    return [axis, Text(" " * (margin + 1) + numbers_text + "  " + name, DIM)]


def _optimum_mark(surface: Grid, unicode: bool) -> dict[tuple[int, int], Mark]:
    """The continuous minimum's mark on its cell, where it lies on the map."""
    optimum = surface.optimum
    if not isinstance(optimum, Optimum):
        return {}
    cell = optimum_cell(surface, optimum)
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
        else:  # a blank swatch cannot be seen: it is named
            item.append(shades[band] * 2 if shades[band] != " " else "blank")
        item.append(" " + (fmt(low) + everywhere if bands.constant else span), DIM)
        items.append(item)
    if bands.not_finite is not None:
        item = Text().append(glyphs.not_finite * 2, NOT_FINITE_STYLE)
        items.append(item.append(" " + bands.not_finite, DIM))
    return _wrap_items(items, width)


def _compact_legend(bands: Bands, scale: str, swatch: Callable[[int], Text], width: int) -> Text:
    """The legend in about one line: every band's swatch (`swatch`: its cells as drawn), low to
    high, between the lowest and the highest value (`0.0519 [ ░▒▓█] 20.6`), the top swatch
    being the maximum's. Linear bands split that range evenly, so the ends give every band's
    range; on the other scales each band's lower edge stands before its swatch. The brackets
    show where a blank swatch is."""
    if scale == "linear":
        ramp = Text().append(fmt(bands.edges[0]) + " [", DIM)  # a base style would dim swatches
        for band in range(bands.levels + 1):
            ramp.append_text(swatch(band))
        items = [ramp.append("] " + fmt(bands.edges[-1]), DIM)]
    else:
        items = [
            Text().append(fmt(edge) + " [", DIM).append_text(swatch(band)).append("]", DIM)
            for band, edge in enumerate(bands.edges.tolist())
        ]
    if bands.not_finite is not None:
        items.append(Text().append_text(swatch(-1)).append(" " + bands.not_finite, DIM))
    return _wrap_items(items, width)


def _wrap_items(items: list[Text], width: int) -> Text:
    """Legend items two spaces apart, wrapped to `width` between items."""
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
