"""How a table of points is read: which columns are x and y, what separates the fields, which
fields are missing values, and what becomes of rows that hold one.

A column is chosen by its header name or by its 1-based number. Without a choice, columns
named `x` and `y` (any case) are taken; a table of exactly two columns that does not name
them is read as x then y, and says so. The delimiter of a CSV is given or detected from its
opening rows (see `detect_delimiter`).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from losscli.errors import DataError, ParameterError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Array = NDArray[np.float64]

DELIMITERS = {
    ",": ",",
    "comma": ",",
    ";": ";",
    "semicolon": ";",
    "tab": "\t",
    "\\t": "\t",
    "\t": "\t",
    "space": " ",
    "whitespace": " ",
    " ": " ",
}
"""What a delimiter may be called (in any case), and the delimiter it is; " " stands for any run
of white space (spaces and tabs)."""

DETECTED = ("\t", ";", ",", " ")
"""The delimiters tried, in order of preference (see `detect_delimiter`)."""

SAMPLE_ROWS = 20
"""The rows with content a delimiter is detected from."""

MISSING = frozenset(
    (
        "",
        "#N/A",
        "#N/A N/A",
        "#NA",
        "-1.#IND",
        "-1.#QNAN",
        "1.#IND",
        "1.#QNAN",
        "<NA>",
        "N/A",
        "n/a",
        "NA",
        "NULL",
        "null",
        "None",
    )
)
"""Fields that stand for a missing value (pandas' default `na_values`); any spelling of NaN,
which Python's float reads, is missing too."""


@dataclass(frozen=True)
class Reading:
    """How to read a file of points: the x and y columns (a header name or a 1-based number;
    None: the default choice), the CSV delimiter (None: detected; one of `DELIMITERS`' values)
    and whether a row with a missing value is refused (`strict`) rather than skipped."""

    x: str | None = None
    y: str | None = None
    delimiter: str | None = None
    strict: bool = False


def delimiter_named(text: str) -> str:
    """The delimiter `text` names (`,` `;` `tab` `\\t` `space`), or a ParameterError."""
    chosen = DELIMITERS.get(text.lower())
    if chosen is None:
        raise ParameterError(
            "delimiter", f"must be one of ',', ';', 'tab' or 'space', not {text!r}"
        )
    return chosen


def split(row: str, delimiter: str) -> list[str]:
    """The cells of a row, stripped: CSV quoting for a delimiter character, none for white
    space; a field may be as long as the row."""
    if delimiter == " ":
        return row.split()
    csv.field_size_limit(max(csv.field_size_limit(), len(row) + 1))
    return [cell.strip() for cell in next(csv.reader([row], delimiter=delimiter))]


def detect_delimiter(rows: Sequence[str]) -> str:
    """The delimiter of a CSV from its opening rows with content: the first of tab,
    semicolon, comma and white space that splits every row into the same number (two or more)
    of cells. So `1,5;2,5` is two cells with decimal commas, and `1, 2` is split at the comma.
    Where none does, the first that splits the first row in two or more, else a comma (then
    the reader says what is wrong with the rows)."""
    sample = list(rows[:SAMPLE_ROWS])
    counts = {d: [len(split(row, d)) for row in sample] for d in DETECTED}
    for delimiter in DETECTED:
        if counts[delimiter] and min(counts[delimiter]) == max(counts[delimiter]) >= 2:
            return delimiter
    return next((d for d in DETECTED if counts[d] and counts[d][0] >= 2), ",")


def number_text(cell: str, delimiter: str) -> str:
    """A cell as Python's float reads it: with `;` between fields, a comma is a decimal point."""
    return cell.replace(",", ".") if delimiter == ";" else cell


def is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


class Chosen(NamedTuple):
    """The x and y columns: their positions (from 0), their labels for messages and the JSON
    record (the header's name, else `column N`), whether the table has a header, and whether
    they were taken only because the table has two named columns, neither named x or y."""

    positions: tuple[int, int]
    labels: tuple[str, str]
    headed: bool
    by_position: bool

    def who(self, axis: int) -> str:
        """x or y for a message, with its column where that is not plain from the file."""
        role, label, position = "xy"[axis], self.labels[axis], self.positions[axis]
        if (label.lower() == role) if self.headed else position == axis:
            return role
        return f"{role} (column {label!r})" if self.headed else f"{role} ({label})"

    def note(self, name: str) -> str | None:
        """What to tell the user where the columns were taken by position."""
        if not self.by_position:
            return None
        x, y = self.labels
        return f"{name}: no column is named x or y; taking x = {x}, y = {y}, in the file's order"


def choose_columns(names: Sequence[str] | None, count: int, reading: Reading, name: str) -> Chosen:
    """The x and y columns of a table with header `names` (None: no header) and `count`
    columns; `name` (the file) goes in messages. Each is the column asked for, else the one
    named x (or y) in any case; where that leaves one or both unset and the table has two
    columns (an unnamed one, such as the index pandas writes first, not counted), they are
    taken in order. A column asked for that is not there is a ParameterError of field `x` or
    `y`; a table that does not say which columns to take is a DataError."""
    labels = [(names[i] if names is not None else "") or f"column {i + 1}" for i in range(count)]
    asked = (reading.x, reading.y)
    found = [
        asked_column(names, count, text, role, name) for role, text in zip("xy", asked, strict=True)
    ]
    lowered = [n.lower() for n in names] if names is not None else []
    for axis, role in enumerate("xy"):
        if found[axis] is None and role in lowered:
            found[axis] = lowered.index(role)
    pool = [i for i in range(count) if names is None or names[i]]  # unnamed: pandas' index
    unset = [axis for axis in (0, 1) if found[axis] is None]
    by_position = len(unset) == 2 and len(pool) == 2 and names is not None
    if unset and len(pool) == 2:
        rest = [i for i in pool if i not in found]
        for axis in unset:
            found[axis] = rest.pop(0)
    if found[0] is None or found[1] is None:
        raise _unclear(names, labels, found, name)
    positions = (found[0], found[1])
    chosen = (labels[positions[0]], labels[positions[1]])
    return Chosen(positions, chosen, names is not None, by_position)


def asked_column(
    names: Sequence[str] | None, count: int, text: str | None, role: str, name: str
) -> int | None:
    """The position of the column asked for (a header name or a 1-based number) by the
    parameter `role` (`x`, `y`, `class_column`), None if not asked."""
    if text is None:
        return None
    if names is not None:
        if text in names:
            return list(names).index(text)
        folded = [n for n in names if n.lower() == text.lower()]
        if len(folded) == 1:
            return list(names).index(folded[0])
    if text.isdigit() or (text.startswith("+") and text[1:].isdigit()):
        number = int(text)
        if 1 <= number <= count:
            return number - 1
        raise ParameterError(
            role, f"{name} has {count} columns: a column number is 1 to {count}, not {text}"
        )
    if names is None:
        raise ParameterError(
            role, f"{name} has no header row: give a column number (1 to {count}), not {text!r}"
        )
    raise ParameterError(role, f"no column {text!r} in {name} (columns: {_listed(names)})")


def _unclear(
    names: Sequence[str] | None, labels: list[str], found: list[int | None], name: str
) -> DataError:
    """The error of a table whose x or y column is neither asked for nor named."""
    if names is None:
        return DataError(
            f"{name}: expected 2 columns (x, y), found {len(labels)}: choose two by number "
            "with {x} and {y}, or name the x and y columns in a header",
            mentions=("x", "y"),
        )
    roles = [role for role, f in zip("xy", found, strict=True) if f is None]
    flags = " and ".join("{" + role + "}" for role in roles)
    return DataError(
        f"{name}: no column is named {' or '.join(roles)} (columns: {_listed(names)}); "
        f"choose {'them' if len(roles) == 2 else 'it'} with {flags}",
        mentions=tuple(roles),
    )


def _listed(names: Sequence[str], limit: int = 10) -> str:
    """Column names for a message: each repr'd and cut, at most `limit` of them."""
    shown = [repr(n[:40]) + ("..." if len(n) > 40 else "") for n in names[:limit]]
    return ", ".join(shown) + (", ..." if len(names) > limit else "")


@dataclass
class Missing:
    """The rows skipped for a missing value: how many, and the first (its place, such as
    `line 7`, its full location for an error, and which of x and y is missing)."""

    count: int = 0
    first: tuple[int, str, str, str] | None = field(default=None)

    def add(self, count: int, order: int, place: str, locate: str, who: str) -> None:
        """Count `count` more rows; the first of them is at `order` (a line or an index)."""
        self.count += count
        if count and (self.first is None or order < self.first[0]):
            self.first = (order, place, locate, who)

    def refuse(self) -> None:
        """Raise, for a strict reading, at the first missing value."""
        if self.first is not None:
            _, _, locate, who = self.first
            raise DataError(f"{locate}: {who} is missing")

    def report(self, name: str, tell: Callable[[str], None]) -> None:
        """Tell, in one line, how many rows were skipped and where the first was."""
        if self.first is not None:
            rows = "1 row" if self.count == 1 else f"{self.count} rows"
            tell(f"{name}: skipped {rows} with a missing value (first: {self.first[1]})")


class Table(NamedTuple):
    """What a reader makes of a file: the points, `locate(i)` naming point i's place in the
    file, the columns taken and the rows skipped for a missing value."""

    x: Array
    y: Array
    locate: Callable[[int], str]
    chosen: Chosen
    missing: Missing
