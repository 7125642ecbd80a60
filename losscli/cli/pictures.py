"""The pictures' paths: a name must not promise another format than the file will hold.

`--save-svg x.png` would write SVG text into a file every viewer opens as PNG, and fail there,
far from the command that made it; so a picture's path ends in its format's suffix (any case),
or has none (`-`, a pipe, a device). This is the command line's rule, refused as a usage error.
"""

from __future__ import annotations

import posixpath

from losscli.cli.errors import usage_error

PICTURE_FORMATS = {"--save-svg": ("SVG", (".svg",)), "--save-html": ("HTML", (".html", ".htm"))}
"""Each picture flag's format and the suffixes its path may end in."""


def check_picture_suffix(flag: str, path: str) -> None:
    """Refuse a picture's path whose suffix names another format, saying what would do."""
    stem, suffix = posixpath.splitext(path)
    kind, allowed = PICTURE_FORMATS[flag]
    if not suffix or suffix.lower() in allowed:
        return
    writes = f"{flag} writes {kind}"
    other = [f for f, (_, suffixes) in PICTURE_FORMATS.items() if suffix.lower() in suffixes]
    if other:
        writes += f"; for {suffix[1:].upper()} use {other[0]}"
    elif kind == "SVG":
        writes += f"; for {suffix[1:].upper()} convert it, e.g. rsvg-convert {stem}.svg -o {path}"
    raise usage_error(flag, f"{path} is not an {' or '.join(allowed)} file ({writes})")
