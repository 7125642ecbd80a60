"""Descent paths drawn over a surface: the marks on the map, their legend, and a table of runs.

Each run gets a letter (g gd, m momentum, n nesterov, r rmsprop, a adam) and a colour chosen
to stand apart from viridis. On the map:

* a visited cell shows the run's letter and an arrow towards the next cell the path visits
  (`g→`), so the order of the walk reads without colour;
* the cell where a run ends shows its capital letter (`G`);
* the start shows `S` (followed by the capital of a run that also ends there);
* the grid minimum keeps its star (the mark's second character gives way to it).

Where runs overlap, starts cover ends and ends cover visits; among equals the first run wins.
A step lands in the cell of the nearest grid node; a step beyond half a cell outside the grid
is off the map, and a note under the map says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from rich.console import Group, RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text

from losscli.defaults import STOP_REASONS
from losscli.engine.optimum import Optimum
from losscli.render.colormap import Mark
from losscli.render.layout import FittingTable
from losscli.render.minima import TRUE_MINIMUM, fmt

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from losscli.descent.walk import Run
    from losscli.render.grids import Grid

START = Mark("S ", "#ffffff")
RUN_COLOURS = ("#ff4040", "#ff9f1a", "#ff4fd8", "#00e5ff", "#c8c8c8", "#ff8080", "#ffd0a0")
"""Run colours: red, orange, pink, cyan, grey first: hues viridis (purple–green–yellow) lacks."""
STANDARD_RUN_COLOURS = (
    "bright_white", "bright_red", "bright_magenta", "yellow", "white", "bright_blue", "black",
)  # fmt: skip
"""On a 16-colour terminal, where Rich would turn red and orange into one bright red: none of
the bands' colours (`losscli.render.palettes.STANDARD_RAMP`), nor red, the non-finite cells'."""
LETTERS = {"gd": "g", "momentum": "m", "nesterov": "n", "rmsprop": "r", "adam": "a"}
SPARE_LETTERS = "bcdefhijklopqtuvwxyz"
"""Letters for runs whose optimizer's letter is taken (or unknown); never s, the start's."""

UNICODE_ARROWS = {
    (1, 0): "→", (-1, 0): "←", (0, 1): "↑", (0, -1): "↓",
    (1, 1): "↗", (-1, 1): "↖", (1, -1): "↘", (-1, -1): "↙",
}  # fmt: skip
ASCII_ARROWS = {
    (1, 0): ">", (-1, 0): "<", (0, 1): "^", (0, -1): "v",
    (1, 1): "/", (-1, 1): "\\", (1, -1): "\\", (-1, -1): "/",
}  # fmt: skip
"""Arrows by (screen right, screen up) direction."""


@dataclass(frozen=True)
class RunStyle:
    letter: str
    colour: str


def run_styles(runs: Sequence[Run], color_system: str = "truecolor") -> list[RunStyle]:
    """A distinct letter and colour for each run, in order, in colours `color_system` (Rich's
    name of a console's colours) shows apart from the bands."""
    colours = STANDARD_RUN_COLOURS if color_system in ("standard", "windows") else RUN_COLOURS
    styles: list[RunStyle] = []
    taken: set[str] = set()
    spare = iter(SPARE_LETTERS)
    for index, run in enumerate(runs):
        letter = LETTERS.get(run.optimizer, "")
        while not letter or letter in taken:
            letter = next(spare, "?")
            if letter == "?":
                break
        taken.add(letter)
        styles.append(RunStyle(letter, colours[index % len(colours)]))
    return styles


def cells(surface: Grid, w: NDArray[np.float64]) -> NDArray[np.float64]:
    """(row, col) of the grid node nearest each point, as floats: −1 or the axis length for a
    point more than half an edge cell off the grid, NaN for a point that is not finite.

    Nodes are found by value, so a thinned grid's uneven axes place a path as exactly as the
    full grid's even ones.
    """
    return np.stack([_nearest(surface.w2, w[:, 1]), _nearest(surface.w1, w[:, 0])], axis=1)


def _nearest(axis: NDArray[np.float64], values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Index of the nearest node of an increasing axis (ties to the lower node), see `cells`."""
    right = np.clip(np.searchsorted(axis, values), 1, len(axis) - 1)
    with np.errstate(invalid="ignore"):
        index = np.where(values - axis[right - 1] <= axis[right] - values, right - 1, right)
        below = values < axis[0] - (axis[1] - axis[0]) / 2
        above = values > axis[-1] + (axis[-1] - axis[-2]) / 2
    found = np.where(below, -1, np.where(above, len(axis), index)).astype(np.float64)
    found[~np.isfinite(values)] = np.nan
    return found


def _inside(surface: Grid, cell: NDArray[np.float64]) -> NDArray[np.bool_]:
    rows, cols = len(surface.w2), len(surface.w1)
    with np.errstate(invalid="ignore"):
        return (cell[:, 0] >= 0) & (cell[:, 0] < rows) & (cell[:, 1] >= 0) & (cell[:, 1] < cols)


def path_marks(
    surface: Grid,
    runs: Sequence[Run],
    *,
    origin: str,
    unicode: bool,
    color_system: str = "truecolor",
) -> dict[tuple[int, int], Mark]:
    """The marks of every run's path on this surface's grid (see the module docstring)."""
    arrows = UNICODE_ARROWS if unicode else ASCII_ARROWS
    up = 1 if origin == "lower" else -1
    styles = run_styles(runs, color_system)
    marks: dict[tuple[int, int], Mark] = {}
    ends: dict[tuple[int, int], Mark] = {}
    for run, style in reversed(list(zip(runs, styles, strict=True))):
        visited = cells(surface, run.w)
        changes = np.flatnonzero(np.any(visited[1:] != visited[:-1], axis=1)) + 1
        order = visited[np.concatenate([[0], changes])]  # consecutive repeats dropped
        with np.errstate(invalid="ignore"):
            heading = np.sign(order[1:] - order[:-1])
        inside = _inside(surface, order)
        for k in np.flatnonzero(inside[:-1]):
            d_row, d_col = heading[k]
            key = (0 if d_col != d_col else int(d_col), 0 if d_row != d_row else int(d_row) * up)
            arrow = arrows.get(key, "·" if unicode else ".")
            marks[(int(order[k, 0]), int(order[k, 1]))] = Mark(style.letter + arrow, style.colour)
        if inside[-1]:
            ends[(int(order[-1, 0]), int(order[-1, 1]))] = Mark(
                style.letter.upper() + " ", style.colour
            )
    marks.update(ends)
    for run in runs:
        start = cells(surface, run.w[:1])
        if _inside(surface, start)[0]:
            key = (int(start[0, 0]), int(start[0, 1]))
            ending, leaving = ends.get(key), marks.get(key)
            second = ending.text[0] if ending else leaving.text[1] if leaving else " "
            marks[key] = Mark("S" + second, START.background)
    return marks


def redraw_steps(surface: Grid, runs: Sequence[Run]) -> list[int]:
    """The steps at which some run moves to another cell (and the first and last): the only
    steps at which the picture changes, so the only frames an animation needs."""
    steps = {0, max(run.steps for run in runs)}
    for run in runs:
        visited = cells(surface, run.w)
        with np.errstate(invalid="ignore"):
            moved = np.any(visited[1:] != visited[:-1], axis=1)
        steps.update((np.flatnonzero(moved) + 1).tolist())
    return sorted(steps)


def plain_marks(marks: dict[tuple[int, int], Mark]) -> dict[tuple[int, int], str]:
    """One character a cell for the lesson-style figure: the mark's first."""
    return {cell: mark.text[0] for cell, mark in marks.items()}


def _swatch(text: str, colour: str, color: bool) -> Text:
    """The mark as drawn on the map; what is appended after it stays unstyled (a style given
    to `Text(...)` itself would paint the whole line)."""
    swatch = Text()
    swatch.append(text, Style(color="#000000", bgcolor=colour, bold=True) if color else None)
    return swatch


def legend(
    runs: Sequence[Run],
    *,
    color: bool,
    unicode: bool,
    plain: bool = False,
    color_system: str = "truecolor",
    optimum: bool = True,
) -> Text:
    """What the marks mean: the start and the star, then each run's path and end, and the
    true minimum's mark where the loss's is known (`optimum`; a landscape has only its grid's).
    The plain figure has one character a cell, so no arrows."""
    arrow = "" if plain else UNICODE_ARROWS[(1, 0)] if unicode else ASCII_ARROWS[(1, 0)]
    blank = "" if plain else " "
    lines = [_swatch("S" + blank, START.background, color)]
    lines[0].append(" start   " + ("*" if plain or not unicode else "★") + " grid minimum")

    if not plain:
        lines[0].append("   arrows point to the next cell visited")
    for run, style in zip(runs, run_styles(runs, color_system), strict=True):
        line = _swatch(style.letter + arrow, style.colour, color)
        line.append(f" {run.optimizer} path   ")
        line.append_text(_swatch(style.letter.upper() + blank, style.colour, color))
        line.append(f" {run.optimizer} end")
        lines.append(line)
    if not plain and optimum:
        lines.append(
            Text(
                TRUE_MINIMUM[unicode].ljust(2) + " the loss's true minimum, where it is on the map"
            )
        )
    return Text("\n").join(lines)


def window_notes(surface: Grid, runs: Sequence[Run]) -> list[Text]:
    """A line for each run that leaves the drawn grid: where it first left, where it ends."""
    notes = []
    across, up = surface.axes
    for run in runs:
        outside = ~_inside(surface, cells(surface, run.w))
        if not outside.any():
            continue
        first = int(np.argmax(outside))
        w1, w2 = run.w[first]
        ending = "outside" if outside[-1] else "back inside"
        notes.append(
            Text(
                f"{run.optimizer} leaves the window at step {first} ({across} = {fmt(w1, 4)}, "
                f"{up} = {fmt(w2, 4)}) and ends {ending}.",
                style="italic",
            )
        )
    return notes


STOP_NOTES = {  # one for each of losscli.defaults.STOP_REASONS
    "converged": "converged: the last step moved less than --tol and changed the loss by less.",
    "max_steps": "max steps: stopped after --steps updates without converging.",
    "zero_gradient": "zero gradient: the gradient is exactly (0, 0): a plateau, no way down.",
    "diverged": "diverged: the loss became non-finite or grew past 1e6 × its start.",
}


def _pair(w: NDArray[np.float64]) -> str:
    return f"{fmt(float(w[0]), 3)}, {fmt(float(w[1]), 3)}"


def reference_minimum(surface: Grid) -> tuple[str, tuple[float, float] | None]:
    """The minimum a run's end is measured against, and its name: the loss's true minimum
    where there is one point of it ("true", or "local" for a local one), else the grid's."""
    optimum = surface.optimum
    if isinstance(optimum, Optimum) and optimum.kind != "region":
        return ("true" if optimum.kind == "unique" else "local"), (optimum.w1, optimum.w2)
    minimum = surface.minimum
    return "grid", None if minimum is None else (minimum.w1, minimum.w2)


def run_table(
    surface: Grid, runs: Sequence[Run], *, color: bool, color_system: str = "truecolor"
) -> Table:
    """A row per run: start, end, final loss, steps, stop reason, distance to the minimum
    (the true one where known, else the grid's: the column's title says which). Drawn
    through `FittingTable`, it wraps between words to fit a narrow width."""
    table = Table(box=None, pad_edge=False, header_style="bold")
    which, minimum = reference_minimum(surface)
    to_min = f"to {which} min"
    pair = ", ".join(surface.axes)
    for column in ("run", f"start {pair}", f"end {pair}", "loss", "steps", "stop", to_min):
        right = column in ("loss", "steps", to_min)
        table.add_column(column, justify="right" if right else "left")
    for run, style in zip(runs, run_styles(runs, color_system), strict=True):
        end = run.w[-1]
        distance = "–"
        if minimum is not None:
            distance = fmt(math.hypot(end[0] - minimum[0], end[1] - minimum[1]), 3)
        label = _swatch(style.letter, style.colour, color)
        label.append(" " + run.optimizer)
        table.add_row(
            label,
            _pair(run.w[0]),
            _pair(end),
            fmt(float(run.loss_values[-1]), 4),
            str(run.steps),
            _stop_words(run.stop_reason),
            distance,
        )
    return table


def _stop_words(reason: str) -> str:
    """A stop reason as the table says it ("max steps"); one read from a file, as it is."""
    return reason.replace("_", " ") if reason in STOP_REASONS else reason


def stop_notes(runs: Sequence[Run]) -> list[Text]:
    """One line explaining each stop reason the runs ended with."""
    reasons = dict.fromkeys(run.stop_reason for run in runs)
    return [Text(STOP_NOTES[reason], "dim") for reason in reasons if reason in STOP_NOTES]


def under_map(
    surface: Grid,
    runs: Sequence[Run],
    *,
    color: bool,
    unicode: bool,
    plain: bool = False,
    color_system: str = "truecolor",
) -> RenderableType:
    """Everything drawn below the map: the legend, notes on leaving the window, the table."""
    return Group(
        legend(
            runs,
            color=color,
            unicode=unicode,
            plain=plain,
            color_system=color_system,
            optimum=surface.optimum is not None,
        ),
        *window_notes(surface, runs),
        Text(),
        FittingTable(run_table(surface, runs, color=color, color_system=color_system)),
        *stop_notes(runs),
    )
