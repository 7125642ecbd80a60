"""Points from CSV text that arrives in pieces: parsed a batch of rows at a time, so memory
holds the numbers kept (and each row's line number, for messages), not the file.

A CSV has an optional header; its columns are chosen as `losscli.data.columns` says, and its
delimiter (comma, semicolon, tab or white space) given or detected from the opening rows. With
semicolons between fields a comma in a number is a decimal point (`1,5;2,5`). Blank lines and
lines that start with `#` are skipped; rows end at line ends only (LF, CRLF, CR), so a form
feed or U+2028 is a character of its row. A row with a missing value in the x or y column is
counted and skipped (refused when the reading is strict).
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from losscli.data.columns import (
    MISSING,
    SAMPLE_ROWS,
    Chosen,
    Missing,
    Reading,
    Table,
    choose_columns,
    detect_delimiter,
    is_number,
    number_text,
    split,
)
from losscli.errors import DataError

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Array = NDArray[np.float64]

BATCH_ROWS = 1 << 16
"""Rows parsed at once (a few MiB of text)."""

READING = Reading()
"""The default reading: columns x and y, the delimiter detected, missing values skipped."""


def _rows(text: str) -> list[str]:
    """The rows of a text, split at LF, CRLF and CR only (C-speed string methods)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def quoted(text: str, limit: int = 40) -> str:
    """A piece of the input for an error message: repr'd (control characters escaped) and cut
    to `limit` characters, so a junk file makes a one-line message."""
    return repr(text[:limit]) + ("..." if len(text) > limit else "")


def read_csv(pieces: Iterable[str], name: str, reading: Reading = READING) -> Table:
    """The points of the text's pieces, in order, read as `reading` says."""
    reader = _Reader(name, reading)
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
    """Rows in, points out: the delimiter found from the opening rows (unless given), the
    header on the first row with content, then batches."""

    def __init__(self, name: str, reading: Reading) -> None:
        self.name = name
        self.reading = reading
        self.delimiter = reading.delimiter
        self.early: list[str] = []
        self.line = 0
        self.chosen: Chosen | None = None
        self.batch: list[str] = []
        self.numbers: list[NDArray[np.int64]] = []
        self.parts: list[Array] = []
        self.lines: list[NDArray[np.int64]] = []
        self.missing = Missing()

    def feed(self, rows: list[str]) -> None:
        """Take the next rows; until the delimiter is known they wait (a few rows)."""
        if self.delimiter is None:
            self.early += rows
            if len(self._sample()) >= SAMPLE_ROWS:
                self._settle()
        else:
            self._take(rows)

    def _sample(self) -> list[str]:
        """The first rows with content among those waiting, as many as detection looks at."""
        return list(itertools.islice(filter(_content, self.early), SAMPLE_ROWS))

    def _settle(self) -> None:
        """Detect the delimiter from the rows waiting, then take them."""
        self.delimiter = detect_delimiter(self._sample())
        rows, self.early = self.early, []
        self._take(rows)

    def _take(self, rows: list[str]) -> None:
        """The header is looked for row by row; after it a Python test only for rows that do
        not open with a digit, a sign or a point (blank, comment, odd), numpy for the rest."""
        start = 0
        while self.chosen is None and start < len(rows):
            row = rows[start]
            start += 1
            if _content(row) and self._header(row):
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

    def finish(self) -> Table:
        if self.delimiter is None:
            self._settle()
        if self.batch:
            self._parse()
        if not self.parts or self.chosen is None:
            raise DataError(f"{self.name}: no data points")
        table = np.concatenate(self.parts)
        lines = np.concatenate(self.lines)
        name = self.name
        return Table(
            table[:, 0].copy(),
            table[:, 1].copy(),
            lambda i: f"{name} line {lines[i]}",
            self.chosen,
            self.missing,
        )

    def _header(self, row: str) -> bool:
        """Choose the columns from the first row with content; whether that row is data (its
        cells numbers or missing, one a number at least)."""
        assert self.delimiter is not None
        head = split(row, self.delimiter)
        numbers = [is_number(number_text(cell, self.delimiter)) for cell in head]
        data = any(numbers) and all(
            n or cell in MISSING for n, cell in zip(numbers, head, strict=True)
        )
        names = None if data else head
        self.chosen = choose_columns(names, len(head), self.reading, self.name)
        return data

    def _parse(self) -> None:
        """Parse the batch; where numpy refuses it, skip the rows with a missing value and try
        again, then look for the row at fault. Rows read as NaN are missing too."""
        assert self.chosen is not None and self.delimiter is not None
        rows = self.batch
        lines = np.concatenate(self.numbers)
        table = self._load(rows)
        if table is None:
            keep = self._present(rows, lines)
            rows = [row for row, kept in zip(rows, keep, strict=True) if kept]
            lines = lines[np.array(keep, dtype=bool)]
            table = self._load(rows)
            if table is None:
                raise self._error(rows, lines.tolist())
        blank = np.isnan(table)
        if blank.any():
            gaps = blank.any(axis=1)
            at = int(np.argmax(gaps))
            line = int(lines[at])
            who = self.chosen.who(0 if blank[at, 0] else 1)
            self.missing.add(int(gaps.sum()), line, f"line {line}", f"{self.name} line {line}", who)
            table, lines = table[~gaps], lines[~gaps]
        if self.reading.strict:
            self.missing.refuse()
        self.parts.append(table)
        self.lines.append(lines)
        self.batch, self.numbers = [], []

    def _load(self, rows: list[str]) -> Array | None:
        """The chosen columns of the rows as numbers (numpy's parser), None if refused."""
        assert self.chosen is not None and self.delimiter is not None
        if self.delimiter == ";":  # decimal commas: C-speed replace on the batch
            rows = "\n".join(rows).replace(",", ".").split("\n") if rows else rows
        try:
            with warnings.catch_warnings():  # rows of only a trailing comment: no data
                warnings.simplefilter("ignore", UserWarning)
                table = np.loadtxt(
                    rows,
                    delimiter=None if self.delimiter == " " else self.delimiter,
                    usecols=self.chosen.positions,
                    ndmin=2,
                    quotechar=None if self.delimiter == " " else '"',
                    dtype=np.float64,
                )
        except ValueError:
            return None
        return table if len(table) == len(rows) else None  # else a row taken for a comment

    def _present(self, rows: list[str], lines: NDArray[np.int64]) -> list[bool]:
        """Which rows have a value in both chosen columns (a Python scan, for a batch numpy
        refused); the others are counted as missing."""
        assert self.chosen is not None and self.delimiter is not None
        delimiter, (x, y) = self.delimiter, self.chosen.positions
        plain = delimiter != " "  # then a row without quotes splits at C speed
        keep = [True] * len(rows)
        for i, row in enumerate(rows):
            cells = row.split(delimiter) if plain and '"' not in row else split(row, delimiter)
            if len(cells) > x and cells[x].strip() in MISSING:
                axis = 0
            elif len(cells) > y and cells[y].strip() in MISSING:
                axis = 1
            else:
                continue
            keep[i] = False
            line = int(lines[i])
            where = f"{self.name} line {line}"
            self.missing.add(1, line, f"line {line}", where, self.chosen.who(axis))
        return keep

    def _error(self, rows: list[str], lines: list[int]) -> DataError:
        """The first bad row, found by a slow scan once the fast one refused it."""
        assert self.chosen is not None and self.delimiter is not None
        needed = max(self.chosen.positions) + 1
        for row, line in zip(rows, lines, strict=True):
            cells = split(row, self.delimiter)
            where = f"{self.name} line {line}"
            if len(cells) < needed:
                return DataError(f"{where}: expected {needed} columns, found {len(cells)}")
            for axis, column in enumerate(self.chosen.positions):
                if not is_number(number_text(cells[column], self.delimiter)):
                    who = self.chosen.who(axis)
                    return DataError(f"{where}: {who} is not a number: {quoted(cells[column])}")
        return DataError(f"{self.name}: not a readable CSV of numbers")


_PLAIN = frozenset("0123456789+-.")
"""How a row of numbers opens."""


def _content(row: str) -> bool:
    """Whether a row holds something: not blank, not a comment."""
    return bool(row.strip()) and not row.lstrip().startswith("#")


def _unusual(rows: list[str]) -> list[int]:
    """Indices of the rows that do not open like a number."""
    return [i for i, row in enumerate(rows) if row[:1] not in _PLAIN]
