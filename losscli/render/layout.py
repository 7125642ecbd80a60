"""Views that fit the screen: panels arranged to fit a width and a height, tables a width.

Where the height is known (a terminal, `--height`) the panels are arranged and drawn so the
whole view fits. Each arrangement is tried (all panels across, then fewer a row), with cells
two characters wide (square) or one (twice as many across; a cell then looks twice as tall
as wide, so half as many rows are kept and the picture keeps its shape), and for each the most
cells that fit are kept (`losscli.render.grids.thin`: true grid values, the minimum's cell
among them). The arrangement drawing the largest picture wins; then the one showing more
cells, square cells, fewer rows of panels, fewer panels a row (2 × 2 over 3 + 1). The
legends are one line each while the search runs, and the full ones where they still fit.

A table drawn narrower than its natural width wraps its columns between words, so a number
is never cut; where even that is too wide, each row is listed as `header  value` lines.
"""

from __future__ import annotations

import copy
import dataclasses
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.measure import Measurement
from rich.table import Column, Table

from losscli.render.grids import thin

if TYPE_CHECKING:
    from losscli.render.grids import Grid

GAP = 2
"""Columns between panels side by side (and a blank line between rows of panels)."""
NARROW_ROWS = 2
"""With one character a cell (about twice as tall as wide), a grid row is kept for every two
columns, so the picture keeps the shape it has with square cells."""


@dataclass(frozen=True)
class PanelShape:
    """How a panel is drawn: characters a cell (2: square cells; 1: twice as many across), a
    legend in about one line, and the columns it has in an arrangement (None: a pipe's view,
    whose legend wraps at the map's width; given, the legend may be as wide as the panel's
    widest line within them); the minima in two short lines each, where their sentences do
    not fit those columns."""

    cell_width: int = 2
    compact_legend: bool = False
    width: int | None = None
    compact_minima: bool = False


Draw = Callable[["Grid", PanelShape], RenderableType]
"""A panel for a grid, as thinned, in a shape."""
Across = Callable[["Grid", int, int], int]
"""How many cells of a width (in characters) fit across a panel of a width."""


@dataclass(frozen=True)
class _Plan:
    """An arrangement: panels a row, each `slot` columns wide, cells `cell_width` characters
    wide, at most `cells` cells along w1 (and as many, or half as many, along w2)."""

    per_row: int
    slot: int
    cell_width: int
    cells: int

    def shown(self, grid: Grid) -> Grid:
        """The grid thinned to the cells the plan keeps."""
        rows = self.cells if self.cell_width == 2 else _tidy(-(-self.cells // NARROW_ROWS))
        return thin(grid, self.cells, rows)


def arrange(
    grids: Sequence[Grid], width: int, height: int, *, draw: Draw, across: Across, narrow: bool
) -> RenderableType:
    """The panels arranged and thinned to fit `width` × `height` (see the module docstring);
    `narrow` allows cells one character wide. Where nothing fits, the least tall arrangement."""
    best: tuple[tuple[object, ...], _Plan] | None = None
    for per_row in range(len(grids), 0, -1):
        slot = (width - GAP * (per_row - 1)) // per_row
        if slot < 1:
            continue
        for cell_width in (2, 1) if narrow else (2,):
            scored = _largest(grids, per_row, slot, cell_width, height, draw, across)
            if best is None or scored[0] > best[0]:
                best = scored
    assert best is not None
    plan = best[1]
    compact = _panels(grids, plan, draw, compact=True)
    while count_lines(compact, width) > height and plan.cells > 2:  # the estimate was short
        plan = dataclasses.replace(plan, cells=_tidy(plan.cells - 1))
        compact = _panels(grids, plan, draw, compact=True)
    full = _panels(grids, plan, draw, compact=False)
    return full if count_lines(full, width) <= height else compact


def _largest(
    grids: Sequence[Grid],
    per_row: int,
    slot: int,
    cell_width: int,
    height: int,
    draw: Draw,
    across: Across,
) -> tuple[tuple[object, ...], _Plan]:
    """The most cells an arrangement fits in `height`, with its score (see the module
    docstring): the panels' height is estimated from their text at two cells a side."""
    smallest = _Plan(per_row, slot, cell_width, 2)
    text_lines = []
    for grid in grids:
        shown = smallest.shown(grid)
        panel = draw(shown, PanelShape(cell_width, compact_legend=True, width=slot))
        text_lines.append(count_lines(panel, slot) - len(shown.w2))
    most = min(across(grid, slot, cell_width) for grid in grids)
    most = min(most, max(max(len(grid.w1), len(grid.w2)) for grid in grids))
    for cells in sorted({_tidy(k) for k in range(2, max(most, 2) + 1)}, reverse=True):
        plan = dataclasses.replace(smallest, cells=cells)
        shapes = [plan.shown(grid).values.shape for grid in grids]
        lines = [text + rows for text, (rows, _) in zip(text_lines, shapes, strict=True)]
        rows_of_panels = [lines[k : k + per_row] for k in range(0, len(lines), per_row)]
        needed = sum(max(row) for row in rows_of_panels) + len(rows_of_panels) - 1
        if needed <= height or cells == 2:
            area = sum(cell_width * rows * cols for rows, cols in shapes)
            shown_cells = sum(rows * cols for rows, cols in shapes)
            order = (cell_width, -len(rows_of_panels), -per_row)
            if needed <= height:
                return (True, area, shown_cells, *order), plan
            return (False, -needed, area, shown_cells, *order), plan
    raise AssertionError("unreachable: two cells a side is always scored")


def _tidy(cells: int) -> int:
    """A count of cells along an axis: 4k + 1 on long axes, so quarter ticks fall on cells."""
    cells = max(cells, 2)
    return cells - (cells - 1) % 4 if cells >= 17 else cells


def _panels(grids: Sequence[Grid], plan: _Plan, draw: Draw, *, compact: bool) -> Table:
    """The panels drawn by the plan, `plan.per_row` a row, a blank line between rows; a
    column of panels is as wide as its widest, at most `plan.slot` (longer text wraps)."""
    shape = PanelShape(plan.cell_width, compact_legend=compact, width=plan.slot)
    table = Table.grid(padding=(0, GAP, 0, 0), pad_edge=False)
    for _ in range(min(plan.per_row, len(grids))):
        table.add_column(max_width=plan.slot)
    panels = [draw(plan.shown(grid), shape) for grid in grids]
    for k in range(0, len(panels), plan.per_row):
        if k:
            table.add_row()  # a blank line
        table.add_row(*panels[k : k + plan.per_row])
    return table


def count_lines(renderable: RenderableType, width: int) -> int:
    """How many lines the renderable takes when drawn `width` columns wide."""
    console = Console(file=io.StringIO(), width=width, color_system=None, legacy_windows=False)
    return len(console.render_lines(renderable, console.options, pad=False))


# ---------------------------------------------------------------------------------------------
# Tables that fit a width.


class FittingTable:
    """A table that fits the width it is drawn in (see the module docstring)."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield fit_table(self.table, console, options.max_width)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.table)


def fit_table(table: Table, console: Console, width: int) -> Table:
    """The table with its columns' widths set so it fits `width`: the widest columns narrowed
    first, none below its longest word; rows listed one field a line where that is too wide."""
    wide = console.options.update_width(10**6)
    ranges = [_column_range(column, console, wide) for column in table.columns]
    padding = Measurement.get(console, wide, table).maximum - sum(high for _, high in ranges)
    widths = [high for _, high in ranges]
    room = width - padding
    if sum(widths) <= room:
        return table
    if sum(low for low, _ in ranges) > room:
        return _records(table)
    while sum(widths) > room:  # narrow the widest column that can still wrap
        k = max((k for k, (low, _) in enumerate(ranges) if widths[k] > low), key=widths.__getitem__)
        widths[k] -= 1
    fitted = copy.copy(table)  # the rows stay shared: drawing a table does not change it
    fitted.columns = [
        dataclasses.replace(column, width=w, overflow="fold")
        for column, w in zip(table.columns, widths, strict=True)
    ]
    return fitted


def _column_range(column: Column, console: Console, options: ConsoleOptions) -> tuple[int, int]:
    """A column's narrowest width that breaks no word, and its natural width."""
    if column.width is not None:
        return column.width, column.width
    sizes = [Measurement.get(console, options, cell) for cell in (column.header, *column.cells)]
    high = max(size.maximum for size in sizes)
    low = high if column.no_wrap else max(size.minimum for size in sizes)
    if column.max_width is not None:
        high = min(high, column.max_width)
    return min(low, high), high


def _records(table: Table) -> Table:
    """Each row as `header  value` lines, a blank line between rows."""
    records = Table.grid(padding=(0, 2))
    records.add_column(style="bold", overflow="fold")
    records.add_column(overflow="fold")
    headers = [column.header for column in table.columns]
    for k, row in enumerate(zip(*(column.cells for column in table.columns), strict=True)):
        if k:
            records.add_row()
        for header, cell in zip(headers, row, strict=True):
            records.add_row(header, cell)
    return records
