"""The two kinds of failure the core reports, and the checks that raise them in one place.

The core never imports Click and never names a command-line flag: `ParameterError` names the
parameter (`delta`, `w1_range`, `method`) and `losscli.cli.errors` turns it into the flag the
user typed, with exit status 2; `DataError` (exit status 1) names the file and the row.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class DataError(Exception):
    """The data cannot be used: the message names the source and the row or field.

    As in `ParameterError`, the message may mention parameters as `{name}` (listed in
    `mentions`), which `describe` spells out: a table that does not say which of its columns
    are x and y suggests the parameters that choose them.
    """

    def __init__(self, message: str, *, mentions: tuple[str, ...] = ()) -> None:
        self.message = message
        self.mentions = mentions
        super().__init__(self.describe(str))

    def describe(self, name: Callable[[str], str]) -> str:
        """The message with each mentioned parameter written as `name(field)`."""
        return _spelled(self.message, self.mentions, name)


class ParameterError(ValueError):
    """A parameter's value is out of range or does not fit the others (a usage error).

    `field` is the parameter's name as the core spells it. The message may mention other
    parameters as `{name}`, each listed in `mentions`; `describe` spells them out, as field
    names for a library caller (`str(error)`) or as flags for the command line.
    """

    def __init__(self, field: str, message: str, *, mentions: tuple[str, ...] = ()) -> None:
        self.field = field
        self.message = message
        self.mentions = mentions
        super().__init__(f"{field}: {self.describe(str)}")

    def describe(self, name: Callable[[str], str]) -> str:
        """The message with each mentioned parameter written as `name(field)`."""
        return _spelled(self.message, self.mentions, name)


def _spelled(message: str, mentions: tuple[str, ...], name: Callable[[str], str]) -> str:
    for other in mentions:
        message = message.replace("{" + other + "}", name(other))
    return message


def decode_text(raw: bytes, name: str) -> str:
    """UTF-8 text (a byte-order mark dropped); otherwise a DataError naming `name` and the byte."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DataError(f"{name}: not UTF-8 text (byte {error.start})") from None


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
