"""Points in files: CSV (with or without a header) or JSON, read from a file or standard
input, and the CSV and JSON that `--data` reads back."""

from __future__ import annotations

import csv
import json
import re
import unicodedata
import warnings
from collections.abc import Callable
from typing import IO, TYPE_CHECKING

import numpy as np

from losscli.data.dataset import Dataset
from losscli.errors import DataError, decode_text, json_errors

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Array = NDArray[np.float64]


def read_points(raw: bytes, name: str) -> Dataset:
    """Parse CSV or JSON bytes into a Dataset; `name` ("points.csv", "<stdin>") goes in errors."""
    if b"\x00" in raw[:8192]:
        raise DataError(f"{name}: looks like a binary file, not CSV or JSON")
    text = decode_text(raw, name)
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        x, y, locate = _parse_json(stripped, name)
        kind = "json"
    else:
        x, y, locate = _parse_csv(text, name)
        kind = "csv"
    if x.size == 0:
        raise DataError(f"{name}: no data points")
    for column, values in (("x", x), ("y", y)):
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            i = int(bad[0])
            raise DataError(f"{locate(i)}: {column} is not a finite number ({float(values[i])!r})")
    source = "stdin" if name == "<stdin>" else name
    origin = {"kind": "file", "source": source, "format": kind, "n": int(x.size)}
    return Dataset(x, y, name, origin, locate)


def _content_lines(lines: list[str]) -> list[int]:
    """Indices of lines holding data: not blank, not a '#' comment."""
    return [i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")]


def _fields(line: str) -> list[str]:
    csv.field_size_limit(max(csv.field_size_limit(), len(line) + 1))  # a field may be long
    return [cell.strip() for cell in next(csv.reader([line]))]


def _rows(text: str) -> list[str]:
    """CSV rows, split at line ends only (LF, CRLF, CR): a form feed or U+2028 inside a row
    is a character of the row, as CSV readers take it."""
    return re.split(r"\r\n|\r|\n", text.removesuffix("\n"))


def quoted(text: str, limit: int = 40) -> str:
    """A piece of the input for an error message: repr'd (control characters escaped) and cut
    to `limit` characters, so a junk file makes a one-line message."""
    return repr(text[:limit]) + ("..." if len(text) > limit else "")


def printable(text: str) -> str:
    """`text` with every control or format character escaped (`\\x1b`), so that a string read
    from a file cannot move the cursor, clear the screen or retitle the window."""
    return "".join(ascii(c)[1:-1] if unicodedata.category(c)[0] == "C" else c for c in text)


def _json_integer(digits: str) -> int | float:
    """A JSON integer: an int where float64 can hold it, else a float (inf), so an integer
    of any length is read instead of tripping Python's limit on integer digits."""
    return int(digits) if len(digits) <= 300 else float(digits)


JSON_DECODER = json.JSONDecoder(parse_int=_json_integer)
"""JSON as the readers take it (see `_json_integer`)."""

_BOOLEAN = re.compile(r"\b(?:true|false)\b")


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _parse_csv(text: str, name: str) -> tuple[Array, Array, Callable[[int], str]]:
    lines = _rows(text)
    first = next(
        (i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")),
        None,
    )
    if first is None:
        raise DataError(f"{name}: no data points")
    head = _fields(lines[first])
    if all(_is_number(cell) for cell in head):
        if len(head) != 2:
            raise DataError(
                f"{name} line {first + 1}: expected 2 columns (x, y), found {len(head)};"
                " add a header row naming the x and y columns"
            )
        columns, body_start = (0, 1), first
    else:
        names = [cell.lower() for cell in head]
        missing = [c for c in ("x", "y") if c not in names]
        if missing:
            found = ", ".join(quoted(c) for c in head[:10]) + (", ..." if len(head) > 10 else "")
            raise DataError(
                f"{name} line {first + 1}: the header has no {' or '.join(missing)} column"
                f" (found {found})"
            )
        columns, body_start = (names.index("x"), names.index("y")), first + 1

    def locate(i: int) -> str:
        return f"{name} line {_content_lines(lines[body_start:])[i] + body_start + 1}"

    body = lines[body_start:]
    try:
        with warnings.catch_warnings():  # an empty body is reported below, not warned about
            warnings.simplefilter("ignore", UserWarning)
            table = np.loadtxt(
                body, delimiter=",", usecols=columns, ndmin=2, quotechar='"', dtype=np.float64
            )
    except ValueError:
        raise _csv_error(body, body_start, columns, name) from None
    return table[:, 0].copy(), table[:, 1].copy(), locate


def _csv_error(body: list[str], offset: int, columns: tuple[int, int], name: str) -> DataError:
    """Find the first bad row by a slow scan, only once the fast reader has refused the file."""
    for index in _content_lines(body):
        cells = _fields(body[index])
        where = f"{name} line {index + offset + 1}"
        if len(cells) <= max(columns):
            return DataError(f"{where}: expected {max(columns) + 1} columns, found {len(cells)}")
        for label, column in zip(("x", "y"), columns, strict=True):
            if not _is_number(cells[column]):
                return DataError(f"{where}: {label} is not a number: {quoted(cells[column])}")
    return DataError(f"{name}: not a readable CSV of numbers")


def _parse_json(text: str, name: str) -> tuple[Array, Array, Callable[[int], str]]:
    with json_errors(name):
        document = JSON_DECODER.decode(text)
    booleans = _BOOLEAN.search(text) is not None  # then looked for: true is not a number
    if isinstance(document, dict) and "x" in document and "y" in document:
        x = _json_numbers(document["x"], f"{name}: x", booleans)
        y = _json_numbers(document["y"], f"{name}: y", booleans)
        if x.size != y.size:
            raise DataError(f"{name}: x has {x.size} values but y has {y.size}")
        return x, y, lambda i: f"{name}: point {i} (x[{i}], y[{i}])"
    if isinstance(document, list):
        pairs = _numeric_array(document, booleans)
        if pairs is None or pairs.ndim != 2 or pairs.shape[1] != 2:
            if not document:
                raise DataError(f"{name}: no data points")
            for i, item in enumerate(document):
                pair = isinstance(item, list) and len(item) == 2
                if not (pair and all(map(is_json_number, item))):
                    raise DataError(f"{name}: item {i} is not an [x, y] pair of numbers")
            raise DataError(f"{name}: expected a list of [x, y] pairs")
        return pairs[:, 0].copy(), pairs[:, 1].copy(), lambda i: f"{name}: item {i}"
    raise DataError(f'{name}: expected {{"x": [...], "y": [...]}} or a list of [x, y] pairs')


def is_json_number(value: object) -> bool:
    """A JSON number: an int or a float, not a bool (which Python counts as an int)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _numeric_array(values: object, booleans: bool) -> Array | None:
    """`values` as a float array when it is made of JSON numbers only, else None; where the
    text held true or false, they are looked for first (numpy would take true as 1)."""
    if booleans and _holds_boolean(values):
        return None
    try:
        array = np.asarray(values)
    except (ValueError, RecursionError):  # ragged, or nested too deeply
        return None
    return array.astype(np.float64) if array.dtype.kind in "iuf" else None


def _holds_boolean(values: object) -> bool:
    """Whether true or false stands in a list, or in a list of lists."""
    if not isinstance(values, list):
        return isinstance(values, bool)
    return any(
        isinstance(item, bool)
        or (isinstance(item, list) and any(isinstance(v, bool) for v in item))
        for item in values
    )


def _json_numbers(values: object, where: str, booleans: bool) -> Array:
    array = _numeric_array(values, booleans) if isinstance(values, list) else None
    if array is not None and array.ndim == 1:
        return array
    if not isinstance(values, list):
        raise DataError(f"{where} is not a list of numbers")
    for i, value in enumerate(values):
        if not is_json_number(value):
            raise DataError(f"{where}[{i}] is not a number: {json.dumps(value)[:40]}")
    raise DataError(f"{where} is not a flat list of numbers")


def to_csv(data: Dataset) -> str:
    """Header `x,y`, then one row a point with each float at full (repr) precision."""
    rows = map("{!r},{!r}".format, data.x.tolist(), data.y.tolist())
    return "x,y\n" + "".join(row + "\n" for row in rows)


def to_json(data: Dataset) -> str:
    return json.dumps({"x": data.x.tolist(), "y": data.y.tolist()}) + "\n"


def read_bytes(path: str, stdin: IO[bytes] | None) -> tuple[bytes, str]:
    """The bytes of `path` ('-' for standard input, None where it is closed) and the name its
    errors should give."""
    if path == "-":
        if stdin is None:
            raise DataError("<stdin>: standard input is closed")
        try:
            return stdin.read(), "<stdin>"
        except OSError as error:
            raise DataError(f"<stdin>: cannot be read ({error.strerror})") from None
    return read_file(path), path


def read_file(path: str) -> bytes:
    """A file's bytes; a failure is a DataError naming the file and the reason."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except IsADirectoryError:
        raise DataError(f"{path}: is a directory, not a data file") from None
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except PermissionError:
        raise DataError(f"{path}: permission denied") from None
    except OSError as error:
        raise DataError(f"{path}: cannot be read ({error.strerror})") from None


def read_source(path: str, stdin: IO[bytes] | None) -> Dataset:
    """Read `--data PATH` ('-' for standard input); errors name the file."""
    return read_points(*read_bytes(path, stdin))
