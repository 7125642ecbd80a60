"""The one place a Rich Console is built, and what a stream can show.

Colour is decided per stream with an explicit override (`--color`); the pictures' recorder
always draws in truecolor; the progress bar writes to stderr. `stdout_has_unicode` and
`terminal_width` (and `terminal_height`) ask the real standard output, which Click may have
wrapped.
"""

from __future__ import annotations

import io
import os
import shutil
import sys
from typing import TextIO

from rich.console import Console

from losscli.errors import DataError

GLYPHS = "░▒▓█★┤└┬–"
"""The non-ASCII characters a Unicode view prints: a stream that cannot encode them gets ASCII."""


def make_console(
    *, color: str = "auto", stderr: bool = False, file: object = None, width: int | None = None
) -> Console:
    """A console for a stream: colour decided per stream, with an explicit override.

    `auto` leaves the choice to Rich, which honours NO_COLOR, FORCE_COLOR, TERM=dumb and
    whether the stream is a terminal; `always` forces colour (a command-line flag overrides
    NO_COLOR, as no-color.org asks), `never` turns it off.
    """
    if width is None and "COLUMNS" in os.environ and _columns() is None:
        width = shutil.get_terminal_size().columns  # Rich would take COLUMNS=0 as 0 columns
    options: dict[str, object] = {"stderr": stderr, "width": width, "highlight": False}
    if file is not None:
        options["file"] = file
    if color == "always":
        options["force_terminal"] = True
        options["no_color"] = False
    elif color == "never":
        options["color_system"] = None
    return Console(**options)  # type: ignore[arg-type]


def make_recorder(width: int) -> Console:
    """A console that records what it draws, in truecolor, for SVG and HTML export."""
    return Console(
        file=io.StringIO(),
        width=width,
        record=True,
        color_system="truecolor",
        force_terminal=True,
        no_color=False,
        legacy_windows=False,
        highlight=False,
    )


def console_has_color(console: Console) -> bool:
    return console.color_system is not None and not console.no_color


def console_has_unicode(console: Console) -> bool:
    return _encodes(console.encoding)


def stdout_has_unicode() -> bool:
    """Whether standard output can print the block characters.

    This asks the real stream: Click replaces an ASCII stdout by a UTF-8 one, which would
    send the terminal bytes it cannot show.
    """
    return _encodes(getattr(sys.stdout, "encoding", None) or "utf-8")


def _encodes(encoding: str) -> bool:
    try:
        GLYPHS.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def standard_output() -> TextIO:
    """Standard output, or a DataError where it is closed (`>&-`): a result is never lost
    silently. A stream that cannot encode every character (an ASCII locale) escapes the
    others (`\\xb2`) rather than failing."""
    if sys.stdout is None:
        raise DataError("cannot write to standard output: it is closed")
    if not stdout_has_unicode() and isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="backslashreplace")
    return sys.stdout


def terminal_width() -> int | None:
    """$COLUMNS, else the width of the terminal standard output is; None in a pipe."""
    columns = _columns()
    if columns is not None:
        return columns
    if sys.stdout is not None and sys.stdout.isatty():
        return shutil.get_terminal_size().columns
    return None


def terminal_height() -> int | None:
    """$LINES, else the height of the terminal standard output is; None in a pipe."""
    lines = _positive("LINES")
    if lines is not None:
        return lines
    if sys.stdout is not None and sys.stdout.isatty():
        return shutil.get_terminal_size().lines
    return None


def _columns() -> int | None:
    """$COLUMNS where it is a positive whole number."""
    return _positive("COLUMNS")


def _positive(name: str) -> int | None:
    """The environment variable `name` where it is a positive whole number."""
    value = os.environ.get(name, "")
    return int(value) if value.isdigit() and int(value) > 0 else None
