"""Points from a JSON document, in losscli's shapes and in those pandas' `to_json` writes.

| shape                                   | pandas orient | columns named by        |
|-----------------------------------------|---------------|-------------------------|
| `{"x": [1, 2], "y": [3, 4]}`            | `list`        | the keys                |
| `[{"x": 1, "y": 3}, {"x": 2, "y": 4}]`  | `records`     | the first record's keys |
| `{"x": {"0": 1, "1": 2}, "y": {...}}`   | `columns`     | the keys                |
| `{"columns": [...], "data": [[...]]}`   | `split`       | `columns`               |
| `{"schema": {...}, "data": [{...}]}`    | `table`       | the records' keys       |
| `[[1, 3], [2, 4]]`                      | `values`      | numbers only            |

`null` (pandas' NaN) and NaN are missing values; `true` is not a number.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from losscli.data.columns import Chosen, Missing, Reading, Table, choose_columns
from losscli.errors import DataError, json_errors

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Array = NDArray[np.float64]


def _json_integer(digits: str) -> int | float:
    """A JSON integer: an int where float64 can hold it, else a float (inf), so an integer
    of any length is read instead of tripping Python's limit on integer digits."""
    return int(digits) if len(digits) <= 300 else float(digits)


JSON_DECODER = json.JSONDecoder(parse_int=_json_integer)
"""JSON as the readers take it (see `_json_integer`)."""

_BOOLEAN = re.compile(r"\b(?:true|false)\b")

SHAPES = (
    '{"x": [...], "y": [...]}, a list of [x, y] pairs or of records, '
    "or pandas' columns or split shape"
)


def is_json_number(value: object) -> bool:
    """A JSON number: an int or a float, not a bool (which Python counts as an int)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def json_documents(text: str, name: str, *, at_least_one: bool = False) -> list[Any]:
    """Every JSON document in the text, in order (NDJSON, or documents one after another);
    with `at_least_one`, text holding none is the error a JSON reader gives it."""
    documents: list[Any] = []
    at = 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at == len(text) and (documents or not at_least_one):
            return documents
        with json_errors(name):
            document, at = JSON_DECODER.raw_decode(text, at)
        documents.append(document)


def read_json(text: str, name: str, reading: Reading) -> Table:
    """The points of a JSON document in one of the shapes above, read as `reading` says."""
    with json_errors(name):
        document = JSON_DECODER.decode(text)
    shape = _Shape(name, reading, _BOOLEAN.search(text) is not None)
    if isinstance(document, dict):
        if isinstance(document.get("data"), list) and isinstance(document.get("columns"), list):
            return shape.rows(document["data"], [str(c) for c in document["columns"]], "data")
        if isinstance(document.get("data"), list) and isinstance(document.get("schema"), dict):
            keys = document["schema"].get("primaryKey")
            hidden = {k for k in keys if isinstance(k, str)} if isinstance(keys, list) else set()
            return shape.records(document["data"], hidden)
        lists = any(isinstance(v, list) for v in document.values())
        if document and not lists and all(isinstance(v, dict) for v in document.values()):
            return shape.columns_of_maps(document)
        if lists:
            return shape.columns_of_lists(document)
    if isinstance(document, list) and document and isinstance(document[0], dict):
        return shape.records(document, set())
    if isinstance(document, list):
        return shape.rows(document, None, None)
    raise DataError(f"{name}: expected {SHAPES}")


class _Shape:
    """The readers of each shape, sharing the file's name, the reading and whether the text
    holds true or false (then looked for: numpy would take true as 1)."""

    def __init__(self, name: str, reading: Reading, booleans: bool) -> None:
        self.name = name
        self.reading = reading
        self.booleans = booleans

    def columns_of_lists(self, document: Mapping[str, Any]) -> Table:
        names = list(document)
        chosen = choose_columns(names, len(names), self.reading, self.name)
        xs, ys = (names[p] for p in chosen.positions)
        for key in (xs, ys):
            if not isinstance(document[key], list):
                raise DataError(f"{self.name}: {key} is not a list of numbers")
        x = self.numbers(document[xs], lambda i: f"{self.name}: {xs}[{i}]")
        y = self.numbers(document[ys], lambda i: f"{self.name}: {ys}[{i}]")
        if x.size != y.size:
            raise DataError(f"{self.name}: {xs} has {x.size} values but {ys} has {y.size}")
        return self.table(x, y, lambda i: f"point {i} ({xs}[{i}], {ys}[{i}])", chosen)

    def columns_of_maps(self, document: Mapping[str, Mapping[str, Any]]) -> Table:
        """pandas' `columns` orient: each column maps the row's index to its value."""
        names = list(document)
        chosen = choose_columns(names, len(names), self.reading, self.name)
        xs, ys = (document[names[p]] for p in chosen.positions)
        keys = list(xs)
        if set(keys) != set(ys):
            a, b = chosen.labels
            raise DataError(f"{self.name}: columns {a!r} and {b!r} do not have the same rows")
        place = [f"row {k!r}" for k in keys]
        x = self.numbers([xs[k] for k in keys], lambda i: f"{self.name}: {place[i]}: x")
        y = self.numbers([ys[k] for k in keys], lambda i: f"{self.name}: {place[i]}: y")
        return self.table(x, y, place.__getitem__, chosen)

    def records(self, items: list[Any], hidden: set[str]) -> Table:
        """A list of objects, one a point (pandas' `records`; `table`'s data, the index's
        keys `hidden`)."""
        if not items:
            raise DataError(f"{self.name}: no data points")
        names = [str(k) for k in items[0] if k not in hidden] if isinstance(items[0], dict) else []
        chosen = choose_columns(names, len(names), self.reading, self.name)
        keys = [names[p] for p in chosen.positions]
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise DataError(f"{self.name}: item {i} is not a record like item 0")
        values = [[item.get(key) for item in items] for key in keys]
        x, y = (self.numbers(v, self._in_item(chosen, axis)) for axis, v in enumerate(values))
        return self.table(x, y, lambda i: f"item {i}", chosen)

    def rows(self, items: list[Any], names: Sequence[str] | None, field: str | None) -> Table:
        """A list of rows: pairs, pandas' `values`, or `split`'s data under `field`."""
        if not items:
            raise DataError(f"{self.name}: no data points")
        if names is None and not isinstance(items[0], list):
            raise DataError(f"{self.name}: item 0 is not an [x, y] pair of numbers")
        width = len(names) if names is not None else len(items[0])
        chosen = choose_columns(names, width, self.reading, self.name)
        lead = f"{field}[" if field else "item "
        close = "]" if field else ""
        array = self.array(items)
        if array is not None and array.ndim == 2 and array.shape[1] > max(chosen.positions):
            x, y = (array[:, p].copy() for p in chosen.positions)
        else:
            pairs = chosen.positions == (0, 1) and width == 2 and names is None
            for i, item in enumerate(items):
                if not isinstance(item, list) or len(item) <= max(chosen.positions):
                    shape = "an [x, y] pair of numbers" if pairs else f"a row of {width} values"
                    raise DataError(f"{self.name}: {lead}{i}{close} is not {shape}")
            x, y = (
                self.numbers([item[p] for item in items], self._in_item(chosen, axis, lead, close))
                for axis, p in enumerate(chosen.positions)
            )
        return self.table(x, y, lambda i: f"{lead}{i}{close}", chosen)

    def _in_item(
        self, chosen: Chosen, axis: int, lead: str = "item ", close: str = ""
    ) -> Callable[[int], str]:
        return lambda i: f"{self.name}: {lead}{i}{close}: {chosen.who(axis)}"

    def array(self, values: object) -> Array | None:
        """`values` as a float array when made of JSON numbers only, else None."""
        if self.booleans and _holds_boolean(values):
            return None
        try:
            array = np.asarray(values)
        except (ValueError, RecursionError):  # ragged, or nested too deeply
            return None
        return array.astype(np.float64) if array.dtype.kind in "iuf" else None

    def numbers(self, values: list[Any], where: Callable[[int], str]) -> Array:
        """A column of numbers, null read as NaN (missing); `where(i)` names value i."""
        array = self.array(values)
        if array is not None and array.ndim == 1:
            return array
        for i, value in enumerate(values):
            if value is not None and not is_json_number(value):
                raise DataError(f"{where(i)} is not a number: {json.dumps(value)[:40]}")
        return np.array([np.nan if v is None else v for v in values], dtype=np.float64)

    def table(self, x: Array, y: Array, place: Callable[[int], str], chosen: Chosen) -> Table:
        """The points without those with a missing value (NaN), which are counted."""
        name = self.name
        missing = Missing()
        gaps = np.isnan(x) | np.isnan(y)
        if not gaps.any():
            return Table(x, y, lambda i: f"{name}: {place(i)}", chosen, missing)
        first = int(np.argmax(gaps))
        where = f"{name}: {place(first)}"
        who = chosen.who(int(not np.isnan(x[first])))
        missing.add(int(gaps.sum()), first, place(first), where, who)
        if self.reading.strict:
            missing.refuse()
        kept = np.flatnonzero(~gaps)
        return Table(x[kept], y[kept], lambda i: f"{name}: {place(int(kept[i]))}", chosen, missing)


def _holds_boolean(values: object) -> bool:
    """Whether true or false stands in a list, or in a list of lists."""
    if not isinstance(values, list):
        return isinstance(values, bool)
    return any(
        isinstance(item, bool)
        or (isinstance(item, list) and any(isinstance(v, bool) for v in item))
        for item in values
    )
