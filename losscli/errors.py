"""The two kinds of failure the core reports; the CLI turns them into messages and exit codes.

The core never imports Click: it raises these, and `losscli.cli` maps `DataError` to exit
status 1 and `OptionError` to Click's usage error (exit status 2).
"""

from __future__ import annotations


class DataError(Exception):
    """The data cannot be used: the message names the source and the row or field."""


class OptionError(Exception):
    """An option's value is out of range or does not fit the others (a usage error)."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(message)
        self.option = option
        self.message = message
