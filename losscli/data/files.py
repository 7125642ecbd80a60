"""Points in files: CSV (with or without a header) or JSON, read from a file or standard
input, and the CSV and JSON that `--data` reads back. The CSV reader is `csv_points`, the JSON
reader `json_points`; `columns` says which columns are taken and how missing values go."""

from __future__ import annotations

import codecs
import io
import itertools
import json
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING

import numpy as np

from losscli.data.columns import Reading
from losscli.data.csv_points import READING, read_csv
from losscli.data.dataset import Dataset
from losscli.data.json_points import JSON_DECODER as JSON_DECODER
from losscli.data.json_points import is_json_number as is_json_number
from losscli.data.json_points import read_json
from losscli.errors import DataError
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


def read_points(raw: bytes, name: str, reading: Reading = READING) -> Dataset:
    """Parse CSV or JSON bytes into a Dataset; `name` ("points.csv", "<stdin>") goes in errors."""
    return read_stream(io.BytesIO(raw), name, reading)


def read_stream(
    stream: IO[bytes],
    name: str,
    reading: Reading = READING,
    *,
    chunk: int = CHUNK_BYTES,
    tell: Callable[[str], None] = lambda _: None,
) -> Dataset:
    """Points from a stream of CSV or JSON, read a piece at a time: a CSV is parsed as it
    comes, a JSON document once whole; past `limits.input_limit()` bytes it is refused.
    `tell` hears, in one line each, that columns were taken by position and how many rows
    were skipped for a missing value."""
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
        table = read_json("".join((head, *texts)).lstrip(), name, reading)
        kind = "json"
    else:
        table = read_csv(itertools.chain([head], texts), name, reading)
        kind = "csv"
    x, y, locate, chosen, missing = table
    if x.size == 0:
        skipped = f" ({missing.count} skipped with a missing value)" if missing.count else ""
        raise DataError(f"{name}: no data points{skipped}")
    for axis, values in enumerate((x, y)):
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            i = int(bad[0])
            who = chosen.who(axis)
            raise DataError(f"{locate(i)}: {who} is not a finite number ({float(values[i])!r})")
    note = chosen.note(name)
    if note:
        tell(note)
    missing.report(name, tell)
    source = "stdin" if name == "<stdin>" else name
    origin = {
        "kind": "file",
        "source": source,
        "format": kind,
        "n": int(x.size),
        "columns": {"x": chosen.labels[0], "y": chosen.labels[1]},
        "skipped": missing.count,
    }
    return Dataset(x, y, name, origin, locate, (note,) if note else ())


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


def read_source(
    path: str,
    stdin: IO[bytes] | None,
    reading: Reading = READING,
    tell: Callable[[str], None] = lambda _: None,
) -> Dataset:
    """Read `--data PATH` ('-' for standard input) as `reading` says; errors name the file,
    `tell` hears the notes of `read_stream`."""
    with open_input(path, stdin) as (stream, name):
        return read_stream(stream, name, reading, tell=tell)
