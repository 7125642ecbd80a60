"""A CSV of labelled points: feature columns and a class column, chosen by name or by number.

The first row with content names the columns (a row of numbers is data: then columns are
chosen by number). The class column is the one asked for, else the one named `class`, `label`,
`species` or `target` (any case); the features are those asked for, else every other column.
Class values may be any text: they are numbered in sorted order — as integers where all of
them are integers (so 0, 1, 2 stay 0, 1, 2 and 10 follows 9), else as text — the order of
`Labelled.classes`. Blank lines and lines opening with `#` are skipped; the delimiter is
detected as for `--data` (`losscli.data.columns`). Every row must be whole: a missing class or
feature, or a feature that is not a finite number, is a DataError naming the file and line.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING

import numpy as np

from losscli.data.columns import (
    MISSING,
    SAMPLE_ROWS,
    asked_column,
    detect_delimiter,
    is_number,
    number_text,
    split,
)
from losscli.data.csv_points import quoted
from losscli.data.files import read_bytes
from losscli.data.labelled import Labelled
from losscli.errors import DataError, decode_text

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Labels = NDArray[np.int64]

CLASS_NAMES = ("class", "label", "species", "target")
"""Names a class column is found by when none is asked for, in order of preference."""


def read_labelled(
    raw: bytes,
    name: str,
    *,
    features: Sequence[str] | None = None,
    class_column: str | None = None,
    delimiter: str | None = None,
) -> Labelled:
    """The labelled points of CSV bytes; `name` (the file) goes in messages. A column asked for
    that is not there is a ParameterError of field `class_column` or `features`."""
    rows = [
        (number, row)
        for number, row in enumerate(_lines(decode_text(raw, name)), start=1)
        if row.strip() and not row.lstrip().startswith("#")
    ]
    if not rows:
        raise DataError(f"{name}: no data rows")
    chosen = delimiter or detect_delimiter([row for _, row in rows[:SAMPLE_ROWS]])
    head = split(rows[0][1], chosen)
    names = None if all(is_number(number_text(c, chosen)) for c in head) else head
    if names is not None:
        rows = rows[1:]
    if not rows:
        raise DataError(f"{name}: no data rows under the header")
    labels = [
        (names[i] if names is not None else "") or f"column {i + 1}" for i in range(len(head))
    ]
    target = _class_position(names, len(head), class_column, name)
    if features:
        taken = [asked_column(names, len(head), f, "features", name) for f in features]
        columns = [i for i in taken if i is not None]
    else:
        columns = [i for i in range(len(head)) if i != target]
    values, kinds = _cells(rows, chosen, columns, target, labels, name)
    classes, indices = _numbered(kinds)
    if len(classes) < 2:
        raise DataError(
            f"{name}: column {labels[target]!r} holds one class only ({classes[0]!r}); "
            "a classifier needs two or more"
        )
    lines = np.array([number for number, _ in rows], dtype=np.int64)
    origin = {
        "kind": "file",
        "source": "stdin" if name == "<stdin>" else name,
        "points": len(rows),
        "classes": len(classes),
        "features": [labels[i] for i in columns],
        "class_column": labels[target],
    }
    return Labelled(
        values,
        indices,
        classes,
        name,
        origin,
        tuple(labels[i] for i in columns),
        lambda i: f"{name} line {lines[i]}",
    )


def read_labelled_file(
    path: str,
    stdin: IO[bytes] | None,
    *,
    features: Sequence[str] | None = None,
    class_column: str | None = None,
    delimiter: str | None = None,
) -> Labelled:
    """`read_labelled` of the file at `path` ('-': standard input), within the input limit."""
    raw, name = read_bytes(path, stdin)
    return read_labelled(
        raw, name, features=features, class_column=class_column, delimiter=delimiter
    )


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _class_position(names: list[str] | None, count: int, asked: str | None, name: str) -> int:
    """The class column: the one asked for, else the first of `CLASS_NAMES` in the header."""
    position = asked_column(names, count, asked, "class_column", name)
    if position is not None:
        return position
    lowered = [n.lower() for n in names] if names is not None else []
    for wanted in CLASS_NAMES:
        if wanted in lowered:
            return lowered.index(wanted)
    where = "has no header" if names is None else f"has no column named {_either(CLASS_NAMES)}"
    raise DataError(
        f"{name} {where}: choose the class column with {{class_column}}",
        mentions=("class_column",),
    )


def _either(words: Sequence[str]) -> str:
    return ", ".join(words[:-1]) + " or " + words[-1]


def _cells(
    rows: list[tuple[int, str]],
    delimiter: str,
    columns: list[int],
    target: int,
    labels: list[str],
    name: str,
) -> tuple[np.ndarray, list[str]]:
    """The features (n, d) and each row's class text; the first bad cell is a DataError."""
    needed = max([*columns, target]) + 1
    values = np.empty((len(rows), len(columns)))
    kinds = []
    for row_index, (number, row) in enumerate(rows):
        cells = split(row, delimiter)
        where = f"{name} line {number}"
        if len(cells) < needed:
            raise DataError(f"{where}: expected {needed} columns, found {len(cells)}")
        if cells[target] in MISSING:
            raise DataError(f"{where}: the class ({labels[target]!r}) is missing")
        kinds.append(cells[target])
        for place, column in enumerate(columns):
            values[row_index, place] = _number(cells[column], delimiter, where, labels[column])
    return values, kinds


def _number(cell: str, delimiter: str, where: str, label: str) -> float:
    if cell in MISSING:
        raise DataError(f"{where}: feature {label!r} is missing")
    try:
        value = float(number_text(cell, delimiter))
    except ValueError:
        raise DataError(f"{where}: feature {label!r} is not a number: {quoted(cell)}") from None
    if not math.isfinite(value):
        raise DataError(f"{where}: feature {label!r} is not a finite number: {quoted(cell)}")
    return value


def _numbered(kinds: list[str]) -> tuple[tuple[str, ...], Labels]:
    """The distinct classes in sorted order (numeric where all are integers) and each row's
    index among them."""
    distinct = set(kinds)
    integral = all(k.lstrip("+-").isdigit() for k in distinct)
    ordered = sorted(distinct, key=(lambda k: (int(k), k)) if integral else None)
    position = {kind: index for index, kind in enumerate(ordered)}
    return tuple(ordered), np.array([position[k] for k in kinds], dtype=np.int64)
