"""The lines under a panel that say where its minima are: the grid's (★), the loss's true one
(◆) or why it has none, and a note when the grid's lies on the window's edge.

In full, each is a sentence (`min 0.05187 at w1 = 1.6, w2 = 0.4 (grid)`); in a panel made
narrow to fit a small terminal (`compact`), two short lines each, the view's key naming the
marks (`KEY`).
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import numpy as np
from rich.style import Style
from rich.text import Text

from losscli.engine.optimum import NoOptimum, Optimum

if TYPE_CHECKING:
    from losscli.render.grids import Grid

TRUE_MINIMUM = {True: "◆ ", False: "<>"}
"""The continuous minimum's mark on the map, in Unicode and in ASCII."""
KEY = "{star} grid's minimum   {mark} the loss's true minimum"
"""Under a compact view: what its marks mean, which its panels have no room to say."""
EDGE_STYLE = Style(color="yellow")
EDGE_WORDS = {"low": "below", "high": "past"}
KEEP = "\xa0"
"""Joins words that wrapping must keep on one line (a label in brackets); printed as a space."""


def fmt(value: float, digits: int = 3) -> str:
    """A loss value or tick in a few significant digits."""
    return f"{value:.{digits}g}"


def fits(surface: Grid, star: str, width: int) -> bool:
    """Whether the minima fit in `width` as sentences (else: `compact`): the grid's whole,
    the true one's up to its label in brackets, which may wrap onto a line of its own."""
    grid, *rest = _sentences(surface, star) or [""]
    sentences = [grid]
    if isinstance(surface.optimum, Optimum):  # (a reason why there is none wraps too)
        sentences.append(rest[0].rsplit(" (", 1)[0])
    return all(len(sentence) <= width for sentence in sentences)


def minimum_lines(surface: Grid, star: str, *, width: int, compact: bool = False) -> list[Text]:
    """The grid's minimum and, where known, the loss's true one beside it, each wrapped to
    `width`: `min 0.05187 at w1 = 1.6, w2 = 0.4 (grid)` then the continuous minimum with its
    mark, `(true)`, `(true, one of many)` or `(local)`, or why there is none. `compact`: the
    value and the point on two lines each, `star` and the mark standing for the labels."""
    minimum = surface.minimum
    if minimum is None:
        return [Text("no finite value on this grid", style="bold red")]
    if compact:
        return _compact(surface, star)
    grid, *true = _sentences(surface, star)
    lines = _wrapped(grid, fmt(minimum.value, 4), len(grid))
    width = max(width, len(grid))
    optimum = surface.optimum
    if isinstance(optimum, NoOptimum):
        return lines + _wrapped(optimum.brief, "", width, style="dim")
    if isinstance(optimum, Optimum):
        return lines + _wrapped(true[0], fmt(optimum.value, 4), width)
    return lines


def _sentences(surface: Grid, star: str) -> list[str]:
    """The minima as sentences (a label's words joined by `KEEP`): the grid's, then the true
    one's or why there is none."""
    minimum = surface.minimum
    if minimum is None:
        return []
    across, up = surface.axes
    grid = (
        f"min {fmt(minimum.value, 4)} at {across} = {fmt(minimum.w1, 4)}, "
        f"{up} = {fmt(minimum.w2, 4)}"
    )
    optimum = surface.optimum
    if optimum is None:
        return [grid]
    if isinstance(optimum, NoOptimum):
        return [grid + " (grid)", optimum.brief]
    label = {"unique": "true", "region": "true, one of many", "local": "local"}[optimum.kind]
    if optimum_cell(surface, optimum) is None:
        label += ", off the map"
    true = (
        f"{_mark(star)} {fmt(optimum.value, 4)} at w1 = {fmt(optimum.w1, 4)}, "
        f"w2 = {fmt(optimum.w2, 4)} ({label.replace(' ', KEEP)})"
    )
    return [grid + " (grid)", true]


def _compact(surface: Grid, star: str) -> list[Text]:
    """Both minima in a narrow panel: `★ 0.05187` over `  1.6, 0.4`, and the same with the
    true minimum's mark (`off map` where it lies outside the window; `none finite` where the
    loss has no finite minimum)."""
    minimum = surface.minimum
    assert minimum is not None
    lines = [
        Text(star + " ").append(fmt(minimum.value, 4), "bold"),
        Text(f"  {fmt(minimum.w1, 4)}, {fmt(minimum.w2, 4)}"),
    ]
    optimum = surface.optimum
    if isinstance(optimum, NoOptimum):
        lines.append(Text(f"{_mark(star)} none finite", style="dim"))
    elif isinstance(optimum, Optimum):
        where = "" if optimum_cell(surface, optimum) is not None else " off map"
        lines.append(Text(_mark(star) + " ").append(fmt(optimum.value, 4), "bold").append(where))
        lines.append(Text(f"  {fmt(optimum.w1, 4)}, {fmt(optimum.w2, 4)}"))
    return lines


def key(star: str) -> str:
    """The compact view's key to its marks."""
    return KEY.format(star=star, mark=_mark(star))


def _mark(star: str) -> str:
    """The true minimum's mark that goes with the grid's `star` (Unicode or ASCII)."""
    return TRUE_MINIMUM[star != "*"].strip()


def _wrapped(text: str, bold: str, width: int, style: str = "") -> list[Text]:
    """Text broken between words to lines of `width`, the later ones indented; the first
    `bold` in it bold."""
    parts = textwrap.wrap(
        text, width, subsequent_indent="    ", break_long_words=False, break_on_hyphens=False
    )
    lines = [Text(part.replace(KEEP, " "), style=style) for part in parts]
    if bold:
        start = parts[0].find(bold)
        if start >= 0:
            lines[0].stylize("bold", start, start + len(bold))
    return lines


def optimum_cell(surface: Grid, optimum: Optimum) -> tuple[int, int] | None:
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


def edge_note(surface: Grid, width: int, *, compact: bool = False) -> list[Text]:
    """Under the minimum lines, where the grid's minimum lies on the window's edge: which way
    the loss may fall further and the option that widens the window, wrapped to `width` (at
    least 32 columns, about the minimum line's); `compact`: only the option to widen."""
    minimum = surface.minimum
    if minimum is None or not minimum.edges:
        return []
    names = dict(zip(("w1", "w2"), surface.axes, strict=True))  # an edge's axis by its name
    options = " and ".join(f"--{names[e.axis]}-range" for e in minimum.edges)
    if compact:
        note = f"on the edge: widen {options}"
        return [Text(line, EDGE_STYLE) for line in textwrap.wrap(note, max(width, 12))]
    where = " and ".join(
        f"{EDGE_WORDS[e.end]} {names[e.axis]} = {fmt(e.at, 4)}" for e in minimum.edges
    )
    note = f"may fall further {where}: widen {options}"
    return [Text(line, EDGE_STYLE) for line in textwrap.wrap(note, max(width, 32))]
