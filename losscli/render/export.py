"""Surfaces for other tools: one strict-JSON document, ndjson, long-form CSV, or numpy's npz.

JSON floats are written with Python's repr, so they read back to the same float64. A value
that is not finite is told the same way in every format, so that nothing is lost on the way:

* JSON and ndjson: null (never the NaN/Infinity tokens that strict parsers such as jq's
  reject), and a cell that overflowed (±inf) is listed in the record's "overflow" as
  [row, col, sign], sign 1 for inf and −1 for −inf; a null not listed is undefined (nan).
  "nulls" counts the nulls and, when there are any, "note" says why in words.
* CSV: `inf`, `-inf` and `nan`, the spellings Python's float(), numpy and pandas read back.
* npz: the float64 values as they are, inf, −inf and nan included.

`losscli render` reads the "overflow" list back (`losscli.render.grids`), so it draws the
legend surface drew: `!! overflow` for ±inf, `!! no value` for nan.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from losscli import __version__
from losscli.engine.optimum import NoOptimum
from losscli.slices.landscape import Landscape

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from losscli.engine.surface import Surface

    Exported = Surface | Landscape
    """A grid written for other tools: a line's surface, or a plane through a network's weights."""


GRID_KEYS = ("w1", "w2", "values", "overflow")
"""A surface record's keys for the grid and its cells, which npz holds as arrays of their own;
a grid whose axes have other names (a landscape's alpha, beta) has those in place of w1, w2."""


def grid_keys(surface: Exported) -> tuple[str, ...]:
    """The record's keys for the grid's axes and cells: the axes' names, values, overflow."""
    return (*surface.axes, "values", "overflow")


BLOCK_CELLS = 1 << 14
"""The most cells formatted at once: a piece of text is one row, or a part of a row this long."""

CHUNK_CHARS = 1 << 20
"""Pieces are joined into chunks of about this many characters (at most this plus one piece),
so that memory stays bounded whatever the grid's size and a stream gets few large writes."""


def _nullable(values: NDArray[np.float64]) -> Any:
    """Nested lists of floats, with None where a value is not finite."""
    finite = np.isfinite(values)
    if finite.all():
        return values.tolist()
    boxed = values.astype(object)
    boxed[~finite] = None
    return boxed.tolist()


def _dumps(value: Any) -> str:
    """Strict JSON text as `json.dumps` writes it: floats by repr, never NaN or Infinity."""
    return json.dumps(value, allow_nan=False)


def _segments(values: NDArray[np.float64]) -> Iterator[tuple[int, int, NDArray[np.float64]]]:
    """(row, first column, cells) of each row in parts of at most BLOCK_CELLS cells."""
    for row, cells in enumerate(values):
        for start in range(0, len(cells), BLOCK_CELLS):
            yield row, start, cells[start : start + BLOCK_CELLS]


def _chunked(pieces: Iterable[str]) -> Iterator[str]:
    """The pieces joined into chunks of at least CHUNK_CHARS characters (the last one less)."""
    pending: list[str] = []
    size = 0
    for piece in pieces:
        pending.append(piece)
        size += len(piece)
        if size >= CHUNK_CHARS:
            yield "".join(pending)
            pending, size = [], 0
    if pending:
        yield "".join(pending)


def null_note(values: NDArray[np.float64]) -> str | None:
    """Why some values are null: how many overflow float64 (±inf), how many are undefined (nan)."""
    overflow, undefined = int(np.isinf(values).sum()), int(np.isnan(values).sum())
    parts = [f"{overflow} of {values.size} values overflow float64 (inf)"] if overflow else []
    parts += [f"{undefined} of {values.size} values are undefined (nan)"] if undefined else []
    return "null: " + "; ".join(parts) if parts else None


def overflow_cells(values: NDArray[np.float64]) -> list[list[int]]:
    """[row, col, sign] of every cell that overflowed float64: sign 1 for inf, −1 for −inf."""
    rows, cols = np.nonzero(np.isinf(values))
    signs = np.where(values[rows, cols] > 0, 1, -1)
    cells: list[list[int]] = np.stack([rows, cols, signs], axis=1).tolist()
    return cells


def surface_record(surface: Exported) -> dict[str, Any]:
    """A surface as one JSON-ready record (what the JSON document's "surfaces" hold)."""
    across, up = surface.axes
    grid = {
        across: surface.w1.tolist(),
        up: surface.w2.tolist(),
        "values": _nullable(surface.values),
        "overflow": overflow_cells(surface.values),
    }
    return {key: grid.get(key, value) for key, value in _record(surface).items()}


def _record(surface: Exported) -> dict[str, Any]:
    """surface_record with None in place of the grid's arrays (`grid_keys`), written apart."""
    if isinstance(surface, Landscape):
        return _landscape_record(surface)
    minimum = surface.minimum
    note = null_note(surface.values)
    return {
        "loss": surface.loss.name,
        "params": dict(surface.params),
        "task": surface.loss.task,
        "method": surface.method,
        **({"error_bound": surface.error} if surface.error is not None else {}),
        "w1": None,
        "w2": None,
        "values": None,
        "nulls": int(np.count_nonzero(~np.isfinite(surface.values))),
        "overflow": None,
        **({"note": note} if note else {}),
        "minimum": None
        if minimum is None
        else {
            "w1": minimum.w1,
            "w2": minimum.w2,
            "value": minimum.value,
            "row": minimum.row,
            "col": minimum.col,
        },
        "on_edge": minimum is not None and minimum.on_edge,
        **optimum_record(surface),
        **({"window": surface.window.record()} if surface.window is not None else {}),
        "data": surface.data.origin,
    }


def _landscape_record(landscape: Landscape) -> dict[str, Any]:
    """A landscape's record: its title and axes, the grid as a surface's, then what made it
    (model, directions, training, data) and the training's path on the plane."""
    minimum = landscape.minimum
    note = null_note(landscape.values)
    across, up = landscape.axes
    path = landscape.path
    return {
        "loss": landscape.loss_name,
        "title": landscape.title,
        "axes": [across, up],
        "method": "plane",
        across: None,
        up: None,
        "values": None,
        "nulls": int(np.count_nonzero(~np.isfinite(landscape.values))),
        "overflow": None,
        **({"note": note} if note else {}),
        "minimum": None
        if minimum is None
        else {
            across: minimum.w1,
            up: minimum.w2,
            "value": minimum.value,
            "row": minimum.row,
            "col": minimum.col,
        },
        "on_edge": minimum is not None and minimum.on_edge,
        **landscape.record,
        **(
            {"path": {across: path[:, 0].tolist(), up: path[:, 1].tolist()}}
            if path is not None
            else {}
        ),
    }


def _record_parts(surface: Exported) -> list[str]:
    """surface_record's JSON text, as `json.dumps` writes it, cut before and after each of the
    grid's arrays, which stand as their key (written by `_grid_text`): the small values are
    formatted here, so that any error they raise comes before a byte is written."""
    parts, text = [], "{"
    keys = grid_keys(surface)
    for k, (key, value) in enumerate(_record(surface).items()):
        text += (", " if k else "") + json.dumps(key) + ": "
        if key in keys:
            parts += [text, key]
            text = ""
        else:
            text += _dumps(value)
    return [*parts, text + "}"]


def _record_text(surface: Exported, parts: list[str]) -> Iterator[str]:
    """The record's text from its parts, its grid's arrays formatted a block at a time."""
    keys = grid_keys(surface)
    for part in parts:
        yield from _grid_text(surface, part) if part in keys else (part,)


def _grid_text(surface: Exported, key: str) -> Iterator[str]:
    """The JSON text of the grid's array `key`, in pieces of at most BLOCK_CELLS cells."""
    if key in surface.axes:
        axis = surface.w1 if key == surface.axes[0] else surface.w2
        yield from _values_pieces(axis[np.newaxis])  # one row: the list
        return
    yield "["
    yield from (_values_pieces if key == "values" else _overflow_pieces)(surface.values)
    yield "]"


def _values_pieces(values: NDArray[np.float64]) -> Iterator[str]:
    """The rows of `values` as `json.dumps(_nullable(values))` writes them, less its brackets."""
    cols = values.shape[1]
    for row, start, cells in _segments(values):
        opening = ("[" if row == 0 else ", [") if start == 0 else ", "
        closing = "]" if start + len(cells) == cols else ""
        yield opening + _dumps(_nullable(cells))[1:-1] + closing


def _overflow_pieces(values: NDArray[np.float64]) -> Iterator[str]:
    """`overflow_cells(values)` as `json.dumps` writes it, less its brackets."""
    separator = ""
    for row, start, cells in _segments(values):
        cols = np.flatnonzero(np.isinf(cells))
        if len(cols):
            signs = np.where(cells[cols] > 0, 1, -1)
            found = np.stack([np.full_like(cols, row), cols + start, signs], axis=1)
            yield separator + _dumps(found.tolist())[1:-1]
            separator = ", "


def optimum_record(surface: Surface) -> dict[str, Any]:
    """The continuous minimum, where computed: "optimum" {w1, w2, value, kind} or null, and
    "optimum_note" saying how it was found, or why there is none."""
    found = surface.optimum
    if found is None:
        return {}
    if isinstance(found, NoOptimum):
        return {"optimum": None, "optimum_note": found.reason}
    point = {"w1": found.w1, "w2": found.w2, "value": found.value, "kind": found.kind}
    return {"optimum": point, "optimum_note": found.note}


def to_json(surfaces: Sequence[Exported]) -> Iterator[str]:
    """One strict-JSON document {"version", "surfaces": [records]}, in chunks of text."""
    parts = [_record_parts(s) for s in surfaces]  # any error before the first chunk

    def pieces() -> Iterator[str]:
        yield _dumps({"version": __version__})[:-1] + ', "surfaces": ['
        for k, surface in enumerate(surfaces):
            yield ", " if k else ""
            yield from _record_text(surface, parts[k])
        yield "]}\n"

    return _chunked(pieces())


def to_ndjson(surfaces: Sequence[Exported]) -> Iterator[str]:
    """One surface record a line (the objects of the JSON document's "surfaces"), for streams;
    in chunks of text."""
    parts = [_record_parts(s) for s in surfaces]  # any error before the first chunk

    def pieces() -> Iterator[str]:
        for surface, record in zip(surfaces, parts, strict=True):
            yield from _record_text(surface, record)
            yield "\n"

    return _chunked(pieces())


def to_npz(surfaces: Sequence[Exported]) -> Iterator[bytes]:
    """numpy's .npz: the shared axes `w1`, `w2` (a landscape's `alpha`, `beta`), `values[k]`
    of surface k, `loss` names.

    `meta` holds the rest of each surface's JSON record (parameters, minimum, data) as a JSON
    string. Values are stored as float64 as they are, inf, −inf and nan included, so `meta`
    needs no "overflow" list. The archive is what `np.savez_compressed` writes, made as it is
    written: `values` goes into it a block of rows at a time, never copied whole.
    """
    meta = [
        {key: value for key, value in _record(s).items() if key not in grid_keys(s)}
        for s in surfaces
    ]
    across, up = surfaces[0].axes
    arrays = {
        across: surfaces[0].w1,
        up: surfaces[0].w2,
        "values": None,
        "loss": np.array([s.loss_name for s in surfaces]),
        "meta": np.array(_dumps(meta)),  # any error before the first chunk
    }
    return _archive(arrays, [s.values for s in surfaces])


def _archive(
    arrays: dict[str, NDArray[Any] | None], values: list[NDArray[np.float64]]
) -> Iterator[bytes]:
    """A zip of .npy members, deflated, as numpy's savez_compressed makes it; the member whose
    array is None is `values` stacked, written from each grid a block of rows at a time."""
    import zipfile

    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zipped:
        for name, array in arrays.items():
            with zipped.open(name + ".npy", "w", force_zip64=True) as member:
                if array is not None:
                    np.lib.format.write_array(member, array, allow_pickle=False)
                    continue
                shape = (len(values), *values[0].shape)
                header = {"descr": "<f8", "fortran_order": False, "shape": shape}
                np.lib.format.write_array_header_1_0(member, header)
                for grid in values:
                    for _, _, cells in _segments(grid):
                        member.write(np.ascontiguousarray(cells, "<f8").tobytes())
                        yield sink.take()
            yield sink.take()
    yield sink.take()


class _Sink(io.RawIOBase):
    """A stream that can only be written, not sought: what it was given since last taken
    (zipfile then writes each member's sizes after it)."""

    def __init__(self) -> None:
        super().__init__()
        self.pending: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any, /) -> int:
        self.pending.append(bytes(data))
        return len(self.pending[-1])

    def take(self) -> bytes:
        taken, self.pending = b"".join(self.pending), []
        return taken


def to_csv(surfaces: Sequence[Exported]) -> Iterator[str]:
    """Header `loss,w1,w2,value` (a landscape's `loss,alpha,beta,value`), one row a cell, rows
    in the order of `values[i][j]`; numbers as Python's repr writes them; in chunks of text."""

    def pieces() -> Iterator[str]:
        yield "loss,{},{},value\n".format(*surfaces[0].axes)
        for surface in surfaces:
            yield from _csv_lines(surface)

    return _chunked(pieces())


def _csv_lines(surface: Exported) -> Iterator[str]:
    """A surface's CSV lines, a piece of at most BLOCK_CELLS cells at a time.

    Line j of row i is heads[j] + ",w2[i]," + value + "\\n", so the piece is
    ",w2[i],".join([heads[start], value + "\\n" + heads[start + 1], ...]): one repr and one
    concatenation a cell, both in C.
    """
    heads = [f"{surface.loss_name},{w1!r}" for w1 in surface.w1.tolist()]
    tails = ["\n" + head for head in heads[1:]]
    w2 = surface.w2.tolist()
    for row, start, cells in _segments(surface.values):
        ends = [*tails[start : start + len(cells) - 1], "\n"]
        texts = map(str.__add__, map(float.__repr__, cells.tolist()), ends)
        yield f",{w2[row]!r},".join([heads[start], *texts])


WRITERS: dict[str, Callable[[Sequence[Exported]], Iterable[str] | Iterable[bytes]]] = {
    "json": to_json,
    "ndjson": to_ndjson,
    "csv": to_csv,
    "npz": to_npz,
}
"""Each format for other tools by its `--format` name: chunks of text, or of bytes for a binary
format, to be written as they come."""
