"""Grids to draw: what a renderer needs of a surface, read back from JSON or thinned to fit.

A renderer needs only a title, the axes w1 and w2, the values (`values[i][j]` at w2 = w2[i],
w1 = w1[j]) and the minimum. A swept `Surface` has them; so has a `GridView`, which is what
`losscli render` reads from JSON (losscli's own output, after jq too, or another tool's
`{"w1": [...], "w2": [...], "values": [[...], ...]}`) and what a view thinned to the
terminal's width is. The minimum is always recomputed from the values, so a grid edited by
jq is starred where its values say, never where a stale "minimum" field says, and whether it
lies on the window's edge is judged from the values too (a stale "on_edge" is ignored); a
thinned view keeps the edges its whole grid's minimum lies on. A null that
losscli's "overflow" lists is read back as the inf or −inf it was, any other null as nan, so
the legend says `overflow` or `no value` as surface's did. A landscape's saved training
path ("path", on its axes) is read back as the run `losscli landscape` drew over its map,
with the note under it that says how the plane was made.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from functools import cached_property
from itertools import chain
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from losscli.catalogue import get_loss
from losscli.data.files import is_json_number, printable
from losscli.data.json_points import json_documents
from losscli.engine.optimum import NoOptimum, Optimum
from losscli.engine.surface import Edge, Minimum, find_minimum
from losscli.errors import DataError, ParameterError, decode_text

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from losscli.descent.walk import Run
    from losscli.engine.optimum import Found

    Array = NDArray[np.float64]


class Grid(Protocol):
    """What the renderers draw."""

    @property
    def title(self) -> str: ...

    @property
    def short_title(self) -> str: ...

    @property
    def w1(self) -> Array: ...

    @property
    def axes(self) -> tuple[str, str]:
        """The names of the horizontal axis (`w1`'s values) and the vertical one (`w2`'s):
        ("w1", "w2") for the line's surfaces, ("alpha", "beta") for a plane through weights."""
        ...

    @property
    def w2(self) -> Array: ...

    @property
    def values(self) -> Array: ...

    @property
    def minimum(self) -> Minimum | None: ...

    @property
    def loss_name(self) -> str | None:
        """The catalogue's name of the loss drawn (None: not known), for `--shared-bands`."""
        ...

    @property
    def optimum(self) -> Found | None: ...


@dataclass(frozen=True)
class GridView:
    """A grid with no sweep behind it: read from a file, or a thinned view of a surface."""

    title: str
    short_title: str
    w1: Array
    w2: Array
    values: Array
    loss_name: str | None = None
    edges: tuple[Edge, ...] | None = None
    """A thinned view's: the window's edges its whole grid's minimum lies on, which the cells
    kept may no longer tell; None: judged from these values."""
    optimum: Found | None = None
    """The loss's continuous minimum, where the JSON recorded one (or the thinned surface's)."""
    axes: tuple[str, str] = ("w1", "w2")
    """The axes' names: the JSON's "axes" (a landscape's "alpha", "beta"), else w1 and w2."""
    run: Run | None = None
    """A landscape's training path on its plane, as the run it drew (read from JSON only)."""
    note: str | None = None
    """How a landscape's plane was made, the line it wrote under its map (from JSON only)."""

    @cached_property
    def minimum(self) -> Minimum | None:
        found = find_minimum(self.w1, self.w2, self.values)
        if found is None or self.edges is None:
            return found
        return replace(found, edges=self.edges)


# ---------------------------------------------------------------------------------------------
# Thinning a grid to the cells that fit on screen.


def thin(grid: Grid, max_cols: int, max_rows: int) -> Grid:
    """Rows and columns evenly spread so the grid fits, ends included, the minimum's cell kept.

    The cells kept are true grid values at true (w1, w2), nothing is averaged. The pick
    nearest the minimum's row (column) is moved onto it, so the view's minimum is the grid's.
    """
    rows, cols = grid.values.shape
    if rows <= max_rows and cols <= max_cols:
        return grid
    minimum = grid.minimum
    keep_rows = kept_indices(rows, max_rows, None if minimum is None else minimum.row)
    keep_cols = kept_indices(cols, max_cols, None if minimum is None else minimum.col)
    return GridView(
        grid.title,
        grid.short_title,
        grid.w1[keep_cols],
        grid.w2[keep_rows],
        grid.values[np.ix_(keep_rows, keep_cols)],
        grid.loss_name,
        None if minimum is None else minimum.edges,
        grid.optimum,
        grid.axes,
    )


def kept_indices(count: int, limit: int, must: int | None) -> NDArray[np.int64]:
    """`min(count, limit)` indices evenly spread over `range(count)` (ends kept), with `must`."""
    if count <= limit:
        return np.arange(count)
    picks = np.rint(np.linspace(0, count - 1, max(limit, 2))).astype(np.int64)
    if must is not None:  # the nearest pick is nearer to `must` than its neighbours: order holds
        picks[int(np.argmin(np.abs(picks - must)))] = must
    return picks


# ---------------------------------------------------------------------------------------------
# Reading grids from JSON.


def read_grids(raw: bytes, name: str) -> list[GridView]:
    """The grids in JSON bytes; `name` ("grid.json", "<stdin>") starts every error message.

    Accepted: losscli's document (`{"surfaces": [...]}`), one grid object, a list of them,
    or several documents one after another (ndjson, or jq's stream of pretty objects).
    """
    text = decode_text(raw, name)
    records: list[Any] = []
    for document in json_documents(text, name):
        if isinstance(document, dict) and "surfaces" in document:
            document = document["surfaces"]
        records += document if isinstance(document, list) else [document]
    if not records:
        raise DataError(f"{name}: holds no grid")
    single = len(records) == 1
    return [
        _grid(record, name if single else f"{name} grid {k}")
        for k, record in enumerate(records, start=1)
    ]


def _grid(record: object, label: str) -> GridView:
    if not isinstance(record, dict):
        raise DataError(f'{label}: expected an object with "w1", "w2" and "values"')
    across, up = axes = _axis_names(record, label)
    missing = [key for key in (across, up, "values") if key not in record]
    if missing:
        raise DataError(f"{label}: no {', '.join(repr(key) for key in missing)} field")
    w1 = _axis(record[across], f"{label}: {across}")
    w2 = _axis(record[up], f"{label}: {up}")
    values = _values(record["values"], len(w2), len(w1), label, axes)
    if "overflow" in record:
        _restore_overflow(record["overflow"], values, label)
    title, short_title = _titles(record, label)
    grid = GridView(
        title,
        short_title,
        w1,
        w2,
        values,
        _loss_name(record),
        axes=axes,
        run=_saved_run(record, axes, label),
        note=_plane_note(record.get("directions")),
    )
    if _still_fits(record.get("minimum"), grid.minimum):
        grid = replace(grid, optimum=_optimum(record))
    return grid


def _axis_names(record: dict[str, Any], label: str) -> tuple[str, str]:
    """The record's "axes" (two names of keys holding the axes' values), else w1 and w2."""
    names = record.get("axes", ["w1", "w2"])
    if not (
        isinstance(names, list)
        and len(names) == 2
        and all(isinstance(name, str) and name not in ("values", "overflow") for name in names)
        and all(0 < len(name) <= 40 and printable(name) == name for name in names)
        and names[0] != names[1]
    ):
        raise DataError(f'{label}: axes is not a list of two names, such as ["alpha", "beta"]')
    return names[0], names[1]


def _saved_run(record: dict[str, Any], axes: tuple[str, str], label: str) -> Run | None:
    """A landscape's "path" ({across: [...], up: [...]}, training's θ projected onto the plane)
    as the run landscape drew: its optimizer and its losses at the ends from "training", every
    step taken (training stops only after --steps). No "path": None."""
    from losscli.descent.walk import Run

    path = record.get("path")
    if path is None:
        return None
    if not (isinstance(path, dict) and all(name in path for name in axes)):
        raise DataError(f"{label}: path is not an object of {axes[0]} and {axes[1]} lists")
    across, up = (_axis(path[name], f"{label}: path.{name}") for name in axes)
    if len(across) != len(up):
        raise DataError(f"{label}: path has {len(across)} {axes[0]} but {len(up)} {axes[1]} values")
    training = record.get("training")
    training = training if isinstance(training, dict) else {}
    optimizer = training.get("optimizer")
    losses = np.full(len(across), np.nan)
    for index, key in ((0, "initial_loss"), (-1, "final_loss")):
        if is_json_number(training.get(key)):
            losses[index] = float(training[key])
    w = np.column_stack([across, up])
    return Run(
        record["loss"] if isinstance(record.get("loss"), str) else "",
        printable(optimizer) if isinstance(optimizer, str) else "path",
        {},
        "max_steps",
        w,
        losses,
        np.zeros_like(w),
    )


def _plane_note(directions: object) -> str | None:
    """The note landscape wrote under its map, from the record's "directions" where it reads
    as one of landscape's recipes (`slices.landscape.plane_note`); else None."""
    from losscli.slices.landscape import plane_note

    if not isinstance(directions, dict):
        return None
    recipe = directions.get("recipe")
    ratio = directions.get("explained_variance_ratio")
    fits = {
        "pca": isinstance(ratio, list)
        and len(ratio) == 2
        and all(is_json_number(share) for share in ratio),
        "three": True,
        "random": type(directions.get("seed")) is int
        and directions.get("biases") in ("zero", "copy"),
    }
    return plane_note(directions) if isinstance(recipe, str) and fits.get(recipe) else None


def _still_fits(recorded: object, minimum: Minimum | None) -> bool:
    """Whether the grid's minimum is still the one recorded beside the optimum: values edited
    on the way (by jq, say) leave the recorded optimum stale, so it is not drawn."""
    if not (isinstance(recorded, dict) and minimum is not None):
        return False
    return [recorded.get(key) for key in ("w1", "w2", "value")] == [
        minimum.w1,
        minimum.w2,
        minimum.value,
    ]


def _optimum(record: dict[str, Any]) -> Found | None:
    """The continuous minimum losscli recorded ("optimum", "optimum_note"), if it reads as one;
    anything else (another tool's grid, an edited field) is no optimum at all."""
    note = record.get("optimum_note")
    note = printable(note) if isinstance(note, str) else ""
    found = record.get("optimum")
    if found is None:
        return NoOptimum(note) if note else None
    if not isinstance(found, dict):
        return None
    numbers = [found.get(key) for key in ("w1", "w2", "value")]
    if not all(is_json_number(n) for n in numbers):
        return None
    try:
        w1, w2, value = (float(n) for n in numbers)  # type: ignore[arg-type]  # numbers, checked
    except OverflowError:  # an integer past float64
        return None
    if not all(map(math.isfinite, (w1, w2, value))):
        return None
    kind = found.get("kind", "unique")
    return Optimum(w1, w2, value, kind if kind in ("unique", "region", "local") else "unique", note)


def _axis(values: object, where: str) -> Array:
    if not isinstance(values, list) or not values:
        raise DataError(f"{where} is not a non-empty list of numbers")
    bad = next((i for i, value in enumerate(values) if not is_json_number(value)), None)
    if bad is not None:
        raise DataError(f"{where}[{bad}] is not a number: {json.dumps(values[bad])[:40]}")
    axis = np.asarray(values, dtype=np.float64)
    if not np.isfinite(axis).all():
        raise DataError(f"{where}[{int(np.argmin(np.isfinite(axis)))}] is not finite")
    return axis


def _values(
    values: object, rows: int, cols: int, label: str, axes: tuple[str, str] = ("w1", "w2")
) -> Array:
    """A rows × cols float array; JSON null (and NaN, Infinity) become non-finite cells."""
    if not isinstance(values, list):
        raise DataError(f"{label}: values is not a list of rows")
    if len(values) != rows:
        raise DataError(f"{label}: values has {len(values)} rows but {axes[1]} has {rows} values")
    for i, row in enumerate(values):
        if not isinstance(row, list):
            raise DataError(f"{label}: values[{i}] is not a list")
        if len(row) != cols:
            raise DataError(f"{label}: values[{i}] has {len(row)} numbers but {axes[0]} has {cols}")
    cells = np.fromiter(chain.from_iterable(values), dtype=object, count=rows * cols)
    kinds = set(map(type, cells))
    if not kinds <= {int, float, type(None)}:  # bool, str, list, dict: find the first
        good = np.frompyfunc(lambda v: v is None or is_json_number(v), 1, 1)(cells).astype(bool)
        i, j = divmod(int(np.argmin(good)), cols)
        shown = json.dumps(values[i][j])[:40]
        raise DataError(f"{label}: values[{i}][{j}] is not a number or null: {shown}")
    try:
        return np.where(cells == None, np.nan, cells).astype(np.float64).reshape(rows, cols)  # noqa: E711
    except OverflowError:
        raise DataError(f"{label}: values holds an integer too large for a float") from None


def _restore_overflow(cells: object, values: Array, label: str) -> None:
    """Give back, in place, ±inf to the nulls that losscli's "overflow" lists as [row, col,
    sign]: they overflowed, where the other nulls are undefined (nan). A listed cell that
    holds a number (edited on the way, by jq say) keeps its number."""
    if not isinstance(cells, list):
        raise DataError(f"{label}: overflow is not a list of [row, col, sign]")
    rows, cols = values.shape

    def fits(cell: object) -> bool:
        return (
            isinstance(cell, list)
            and len(cell) == 3
            and all(type(number) is int for number in cell)
            and 0 <= cell[0] < rows
            and 0 <= cell[1] < cols
            and cell[2] in (1, -1)
        )

    bad = next((k for k, cell in enumerate(cells) if not fits(cell)), None)
    if bad is not None:
        shown = json.dumps(cells[bad])[:40]
        raise DataError(f"{label}: overflow[{bad}] is not [row, col, 1 or -1] of a cell: {shown}")
    if cells:
        row, col, sign = np.array(cells, dtype=np.int64).T
        null = np.isnan(values[row, col])
        values[row[null], col[null]] = sign[null] * np.inf


def _loss_name(record: dict[str, Any]) -> str | None:
    """The catalogue's name of the record's "loss" (an alias read as its loss), the name as
    written for a landscape's loss or one losscli does not know, None where there is none."""
    name = record.get("loss")
    if not isinstance(name, str):
        return None
    if "model" in record:  # a landscape's: a multi-class loss (or a binary one), as written
        return name
    try:
        return get_loss(name).name
    except ParameterError:
        return name


def _titles(record: dict[str, Any], label: str) -> tuple[str, str]:
    """The panel titles: "title" if given, else the loss and its parameters, else the label."""
    if isinstance(record.get("title"), str):
        title = printable(record["title"])
        return title, title
    name = record.get("loss")
    if not isinstance(name, str):
        return label, label
    given = record.get("params")
    params = (
        {key: float(value) for key, value in given.items() if is_json_number(value)}
        if isinstance(given, dict)
        else {}
    )
    try:
        loss = get_loss(name)
    except ParameterError:  # a loss losscli does not know: its name is still the best title
        return printable(name), printable(name)
    return loss.title(params), loss.title(params, defaults=False)
