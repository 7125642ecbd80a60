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

import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from losscli import __version__
from losscli.engine.optimum import NoOptimum

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from losscli.engine.surface import Surface


GRID_KEYS = ("w1", "w2", "values", "overflow")
"""A record's keys for the grid and its cells, which npz holds as arrays of their own."""


def _nullable(values: NDArray[np.float64]) -> Any:
    """Nested lists of floats, with None where a value is not finite."""
    finite = np.isfinite(values)
    if finite.all():
        return values.tolist()
    boxed = values.astype(object)
    boxed[~finite] = None
    return boxed.tolist()


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


def surface_record(surface: Surface) -> dict[str, Any]:
    minimum = surface.minimum
    note = null_note(surface.values)
    return {
        "loss": surface.loss.name,
        "params": dict(surface.params),
        "task": surface.loss.task,
        "method": surface.method,
        **({"error_bound": surface.error} if surface.error is not None else {}),
        "w1": surface.w1.tolist(),
        "w2": surface.w2.tolist(),
        "values": _nullable(surface.values),
        "nulls": int(np.count_nonzero(~np.isfinite(surface.values))),
        "overflow": overflow_cells(surface.values),
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


def to_json(surfaces: Sequence[Surface]) -> str:
    document = {"version": __version__, "surfaces": [surface_record(s) for s in surfaces]}
    return json.dumps(document, allow_nan=False) + "\n"


def to_ndjson(surfaces: Sequence[Surface]) -> str:
    """One surface record a line (the objects of the JSON document's "surfaces"), for streams."""
    return "".join(json.dumps(surface_record(s), allow_nan=False) + "\n" for s in surfaces)


def to_npz(surfaces: Sequence[Surface]) -> bytes:
    """numpy's .npz: the run's shared axes `w1`, `w2`, `values[k]` of surface k, `loss` names.

    `meta` holds the rest of each surface's JSON record (parameters, minimum, data) as a JSON
    string. Values are stored as float64 as they are, inf, −inf and nan included, so `meta`
    needs no "overflow" list.
    """
    import io

    buffer = io.BytesIO()
    meta = [
        {key: value for key, value in surface_record(s).items() if key not in GRID_KEYS}
        for s in surfaces
    ]
    np.savez_compressed(
        buffer,
        w1=surfaces[0].w1,
        w2=surfaces[0].w2,
        values=np.stack([s.values for s in surfaces]),
        loss=np.array([s.loss.name for s in surfaces]),
        meta=np.array(json.dumps(meta, allow_nan=False)),
    )
    return buffer.getvalue()


def to_csv(surfaces: Sequence[Surface]) -> str:
    """Header `loss,w1,w2,value`, one row a cell, rows in the order of `values[i][j]`."""
    lines = ["loss,w1,w2,value\n"]
    for surface in surfaces:
        rows, cols = surface.values.shape
        w1 = np.tile(surface.w1, rows).tolist()
        w2 = np.repeat(surface.w2, cols).tolist()
        prefix = surface.loss.name + ","
        lines += map(
            lambda a, b, v: f"{prefix}{a!r},{b!r},{v!r}\n", w1, w2, surface.values.ravel().tolist()
        )
    return "".join(lines)


WRITERS: dict[str, Callable[[Sequence[Surface]], str | bytes]] = {
    "json": to_json,
    "ndjson": to_ndjson,
    "csv": to_csv,
    "npz": to_npz,
}
"""Each format for other tools by its `--format` name: text, or bytes for a binary format."""
