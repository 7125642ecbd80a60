"""Points in files: CSV (with or without a header) or JSON, read from a file or standard
input, and the CSV and JSON that `--data` reads back."""

from __future__ import annotations

import codecs
import io
import itertools
import json
import re
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING

import numpy as np

from losscli.data.csv_points import read_csv
from losscli.data.dataset import Dataset
from losscli.errors import DataError, json_errors
from losscli.limits import input_limit, size

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Array = NDArray[np.float64]

CHUNK_BYTES = 1 << 22
"""Bytes read at once (4 MiB)."""

SNIFF_BYTES = 8192
"""The opening bytes looked at for a NUL, the mark of a binary file."""

JSON_SHARE = 8
"""A JSON document is parsed whole, at several times its size in memory: it may be at most
this fraction of the input limit."""


def read_points(raw: bytes, name: str) -> Dataset:
    """Parse CSV or JSON bytes into a Dataset; `name` ("points.csv", "<stdin>") goes in errors."""
    return read_stream(io.BytesIO(raw), name)


def read_stream(stream: IO[bytes], name: str, *, chunk: int = CHUNK_BYTES) -> Dataset:
    """Points from a stream of CSV or JSON, read a piece at a time: a CSV is parsed as it
    comes, a JSON document once whole; past `limits.input_limit()` bytes it is refused."""
    pieces = _Pieces(stream, name, chunk)
    first = pieces.peek()
    if b"\x00" in first[:SNIFF_BYTES]:
        raise DataError(f"{name}: looks like a binary file, not CSV or JSON")
    texts = pieces.texts()
    head = ""
    for text in texts:  # the first character that is not white space tells the format
        head += text
        if head.strip():
            break
    if head.lstrip()[:1] in ("{", "["):
        pieces.restrict(input_limit() // JSON_SHARE)
        x, y, locate = _parse_json("".join((head, *texts)).lstrip(), name)
        kind = "json"
    else:
        x, y, locate = read_csv(itertools.chain([head], texts), name)
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


class _Pieces:
    """A stream's bytes in pieces, counted against the input limit, and as UTF-8 text."""

    def __init__(self, stream: IO[bytes], name: str, chunk: int) -> None:
        self.stream = stream
        self.name = name
        self.chunk = chunk
        self.limit = input_limit()
        self.taken = 0
        self.first: bytes | None = None

    def peek(self) -> bytes:
        """The first bytes (at least SNIFF_BYTES where the input has them), kept for `texts`."""
        if self.first is None:
            pieces = [self._read()]
            while pieces[-1] and sum(map(len, pieces)) < SNIFF_BYTES:
                pieces.append(self._read())
            self.first = b"".join(pieces)
        return self.first

    def restrict(self, limit: int) -> None:
        """Lower the limit (for input that is read whole), refusing what is already over it."""
        self.limit = limit
        self._check()

    def texts(self) -> Iterator[str]:
        """The pieces decoded (a byte-order mark dropped); a byte that is not UTF-8 is a
        DataError naming its offset in the whole input."""
        decoder = codecs.getincrementaldecoder("utf-8-sig")()
        offset = 0
        piece = self.peek()
        while True:
            final = not piece
            held = len(decoder.getstate()[0])
            try:
                text = decoder.decode(piece, final=final)
            except UnicodeDecodeError as error:
                at = offset - held + error.start
                raise DataError(f"{self.name}: not UTF-8 text (byte {at})") from None
            offset += len(piece)
            if text:
                yield text
            if final:
                return
            piece = self._read()

    def everything(self) -> bytes:
        """All the bytes, within the limit."""
        return b"".join(iter(self._read, b""))

    def _read(self) -> bytes:
        try:
            piece = self.stream.read(self.chunk)
        except OSError as error:
            raise DataError(f"{self.name}: cannot be read ({error.strerror})") from None
        self.taken += len(piece)
        self._check()
        return piece

    def _check(self) -> None:
        if self.taken > self.limit:
            raise DataError(
                f"{self.name}: more than {size(self.limit)} of input, the limit "
                "(set LOSSCLI_MAX_INPUT, in bytes, to change it)"
            )


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
    errors should give, refused past the input limit."""
    with open_input(path, stdin) as (stream, name):
        return _Pieces(stream, name, CHUNK_BYTES).everything(), name


def read_file(path: str) -> bytes:
    """A file's bytes; a failure is a DataError naming the file and the reason."""
    return read_bytes(path, None)[0]


@contextmanager
def open_input(path: str, stdin: IO[bytes] | None) -> Iterator[tuple[IO[bytes], str]]:
    """`path` opened for reading ('-': standard input) and the name its errors give."""
    if path == "-":
        if stdin is None:
            raise DataError("<stdin>: standard input is closed")
        yield stdin, "<stdin>"
        return
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed by the `with` below
    except IsADirectoryError:
        raise DataError(f"{path}: is a directory, not a data file") from None
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except PermissionError:
        raise DataError(f"{path}: permission denied") from None
    except OSError as error:
        raise DataError(f"{path}: cannot be read ({error.strerror})") from None
    with handle:
        yield handle, path


def read_source(path: str, stdin: IO[bytes] | None) -> Dataset:
    """Read `--data PATH` ('-' for standard input); errors name the file."""
    with open_input(path, stdin) as (stream, name):
        return read_stream(stream, name)
