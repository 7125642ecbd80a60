"""The options that say how to read --data: `--x` and `--y` choose the columns, `--delimiter`
the CSV's separator, `--strict` refuses rows with a missing value (see `losscli.data.columns`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click
from click.shell_completion import CompletionItem

from losscli.cli.errors import usage_error

if TYPE_CHECKING:
    from losscli.data.columns import Reading


READING_FLAGS = {"x": "--x", "y": "--y", "delimiter": "--delimiter", "strict": "--strict"}


def refuse_reading(reading: Reading | None) -> None:
    """Refuse the options that say how to read --data where there is no --data."""
    if reading is not None:
        for field, flag in READING_FLAGS.items():
            if getattr(reading, field) not in (None, False):
                raise usage_error(flag, "says how to read --data and cannot be used without it")


def _delimiter(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from losscli.data.columns import delimiter_named
    from losscli.errors import ParameterError

    try:
        return None if value is None else delimiter_named(value)
    except ParameterError as error:
        raise click.BadParameter(error.message, ctx=ctx, param=param) from None


def _complete_delimiter(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    names = {",": "comma", ";": "semicolon (decimal commas)", "tab": "tab", "space": "white space"}
    return [CompletionItem(n, help=h) for n, h in names.items() if n.startswith(incomplete)]


READING_OPTIONS = [
    click.option(
        "--x",
        "x_column",
        metavar="COLUMN",
        help="Column of --data to use as x: a header name or a number from 1. Default: the "
        "column named x, or the first of two.",
    ),
    click.option(
        "--y",
        "y_column",
        metavar="COLUMN",
        help="Column of --data to use as y: a header name or a number from 1. Default: the "
        "column named y, or the second of two.",
    ),
    click.option(
        "--delimiter",
        metavar="SEP",
        callback=_delimiter,
        shell_complete=_complete_delimiter,
        help="What separates the fields of a CSV: ',', ';' (a comma in a number is then a "
        "decimal point), 'tab' (or '\\t') or 'space' (any run of spaces and tabs). Default: "
        "detected from the first rows.",
    ),
    click.option(
        "--strict",
        is_flag=True,
        help="Refuse a row of --data with a missing value (empty, NA, N/A, NaN, null, None, "
        "...) instead of skipping it.",
    ),
]
"""The options that say how to read --data."""


def reading_from(values: dict[str, Any]) -> Reading | None:
    """The `Reading` of the values of `READING_OPTIONS` (popped), None where none is set."""
    from losscli.data.columns import Reading

    x, y = values.pop("x_column"), values.pop("y_column")
    delimiter, strict = values.pop("delimiter"), values.pop("strict")
    if x is None and y is None and delimiter is None and not strict:
        return None
    return Reading(x, y, delimiter, strict)
