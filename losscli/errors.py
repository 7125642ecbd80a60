"""The two kinds of failure the core reports; the CLI turns them into messages and exit codes.

The core never imports Click: it raises these, and `losscli.cli` maps `DataError` to exit
status 1 and `OptionError` to Click's usage error (exit status 2).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager


class DataError(Exception):
    """The data cannot be used: the message names the source and the row or field."""


class OptionError(Exception):
    """An option's value is out of range or does not fit the others (a usage error)."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(message)
        self.option = option
        self.message = message


@contextmanager
def json_errors(name: str) -> Iterator[None]:
    """Turn the json module's failures inside the block into one-line `DataError`s naming
    `name` (the file, or "<stdin>") and the line."""
    try:
        yield
    except RecursionError:
        raise DataError(f"{name}: JSON nested too deeply") from None
    except json.JSONDecodeError as error:
        raise DataError(
            f"{name} line {error.lineno}: not valid JSON ({error.msg.lower()})"
        ) from None
