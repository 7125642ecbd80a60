"""Points from CSV text that arrives in pieces: parsed a batch of rows at a time, so memory
holds the numbers kept (and each row's line number, for messages), not the file.

A CSV has an optional header naming an `x` and a `y` column (any case, any order, other
columns ignored); without one it has exactly two numeric columns. Blank lines and lines that
start with `#` are skipped; rows end at line ends only (LF, CRLF, CR), so a form feed or U+2028
is a character of its row.
"""

from __future__ import annotations

import csv
import warnings
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import numpy as np

from losscli.errors import DataError

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Array = NDArray[np.float64]

BATCH_ROWS = 1 << 16
"""Rows parsed at once (a few MiB of text)."""


def _rows(text: str) -> list[str]:
    """The rows of a text, split at LF, CRLF and CR only (C-speed string methods)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def quoted(text: str, limit: int = 40) -> str:
    """A piece of the input for an error message: repr'd (control characters escaped) and cut
    to `limit` characters, so a junk file makes a one-line message."""
    return repr(text[:limit]) + ("..." if len(text) > limit else "")


def read_csv(pieces: Iterable[str], name: str) -> tuple[Array, Array, Callable[[int], str]]:
    """x, y and `locate(i)` (the file's line of point i) from the text's pieces, in order."""
    reader = _Reader(name)
    pending = ""
    for piece in pieces:
        text = pending + piece
        held = "\r" if text.endswith("\r") else ""  # its \n may open the next piece
        rows = _rows(text[: len(text) - len(held)])
        pending = rows.pop() + held
        reader.feed(rows)
    reader.feed([pending] if pending else [])
    return reader.finish()


class _Reader:
    """Rows in, points out: the header found on the first row with content, then batches."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.line = 0
        self.columns: tuple[int, int] | None = None
        self.batch: list[str] = []
        self.numbers: list[NDArray[np.int64]] = []
        self.parts: list[Array] = []
        self.lines: list[NDArray[np.int64]] = []

    def feed(self, rows: list[str]) -> None:
        """Take the next rows: the header is looked for row by row; after it a Python test
        only for rows that do not open with a digit, a sign or a point (blank, comment,
        odd), numpy for the rest."""
        start = 0
        while self.columns is None and start < len(rows):
            row = rows[start]
            start += 1
            if _content(row) and self._header(row, self.line + start):
                start -= 1  # no header: this first row is data
        first = self.line + start + 1
        self.line += len(rows)
        rows = rows[start:]
        numbers = np.arange(first, first + len(rows), dtype=np.int64)
        dropped = [i for i in _unusual(rows) if not _content(rows[i])]
        if dropped:
            keep = np.ones(len(rows), dtype=bool)
            keep[dropped] = False
            rows = [row for row, kept in zip(rows, keep.tolist(), strict=True) if kept]
            numbers = numbers[keep]
        self.batch += rows
        self.numbers.append(numbers)
        if len(self.batch) >= BATCH_ROWS:
            self._parse()

    def finish(self) -> tuple[Array, Array, Callable[[int], str]]:
        if self.batch:
            self._parse()
        if not self.parts:
            raise DataError(f"{self.name}: no data points")
        table = np.concatenate(self.parts)
        lines = np.concatenate(self.lines)
        name = self.name
        return table[:, 0].copy(), table[:, 1].copy(), lambda i: f"{name} line {lines[i]}"

    def _header(self, row: str, line: int) -> bool:
        """Set the columns from the first row with content; whether that row is data."""
        head = fields(row)
        if all(_is_number(cell) for cell in head):
            if len(head) != 2:
                raise DataError(
                    f"{self.name} line {line}: expected 2 columns (x, y), found {len(head)};"
                    " add a header row naming the x and y columns"
                )
            self.columns = (0, 1)
            return True
        names = [cell.lower() for cell in head]
        missing = [c for c in ("x", "y") if c not in names]
        if missing:
            found = ", ".join(quoted(c) for c in head[:10]) + (", ..." if len(head) > 10 else "")
            raise DataError(
                f"{self.name} line {line}: the header has no {' or '.join(missing)} column"
                f" (found {found})"
            )
        self.columns = (names.index("x"), names.index("y"))
        return False

    def _parse(self) -> None:
        assert self.columns is not None
        try:
            with warnings.catch_warnings():  # rows of only a trailing comment: no data
                warnings.simplefilter("ignore", UserWarning)
                table = np.loadtxt(
                    self.batch,
                    delimiter=",",
                    usecols=self.columns,
                    ndmin=2,
                    quotechar='"',
                    dtype=np.float64,
                )
        except ValueError:
            raise self._error() from None
        if len(table) != len(self.batch):  # a row loadtxt took for a comment
            raise self._error()
        self.parts.append(table)
        self.lines.append(np.concatenate(self.numbers))
        self.batch, self.numbers = [], []

    def _error(self) -> DataError:
        """The first bad row of the batch, found by a slow scan once the fast one refused it."""
        assert self.columns is not None
        for row, line in zip(self.batch, np.concatenate(self.numbers).tolist(), strict=True):
            cells = fields(row)
            where = f"{self.name} line {line}"
            if len(cells) <= max(self.columns):
                return DataError(
                    f"{where}: expected {max(self.columns) + 1} columns, found {len(cells)}"
                )
            for label, column in zip(("x", "y"), self.columns, strict=True):
                if not _is_number(cells[column]):
                    return DataError(f"{where}: {label} is not a number: {quoted(cells[column])}")
        return DataError(f"{self.name}: not a readable CSV of numbers")


_PLAIN = frozenset("0123456789+-.")
"""How a row of numbers opens."""


def _content(row: str) -> bool:
    """Whether a row holds something: not blank, not a comment."""
    return bool(row.strip()) and not row.lstrip().startswith("#")


def _unusual(rows: list[str]) -> list[int]:
    """Indices of the rows that do not open like a number."""
    return [i for i, row in enumerate(rows) if row[:1] not in _PLAIN]


def fields(row: str) -> list[str]:
    """The cells of a CSV row, stripped; a field may be as long as the row."""
    csv.field_size_limit(max(csv.field_size_limit(), len(row) + 1))
    return [cell.strip() for cell in next(csv.reader([row]))]


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True
