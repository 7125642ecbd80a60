"""Showing a view on the terminal and saving the same view as SVG or HTML, for slides and pages.

A command describes its view as a function of a `Look` (colour or not, Unicode or ASCII, the
width in columns, the height in lines where it is known), so the terminal and the pictures
draw it from one description: the terminal with the look its stream allows, the pictures
always in colour and Unicode, at the terminal's size, cropped to what was drawn. Tables fit
the width (`losscli.render.layout.FittingTable`). Files are written atomically.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.console import Console, RenderableType
from rich.table import Table

from losscli.output import write_output
from losscli.render.console import console_has_color, console_has_unicode, make_recorder
from losscli.render.layout import FittingTable


@dataclass(frozen=True)
class Look:
    """How a view may be drawn: `height` is the terminal's lines (None: as many as it takes)."""

    color: bool
    unicode: bool
    width: int
    height: int | None = None


View = Callable[[Look], RenderableType]
Animation = Callable[[Console, Look], None]
"""Frames played on a terminal console; the last one stays on screen."""


def print_view(
    view: View,
    console: Console,
    *,
    unicode: bool = True,
    svg: str | None = None,
    html: str | None = None,
    title: str = "losscli",
    animation: Animation | None = None,
    height: int | None = None,
) -> None:
    """Print the view on the console (played by `animation` on a terminal, if given), fitted
    to `height` lines too where given; save it to `svg` and `html` too when given.

    `unicode=False` forces ASCII where the console's own encoding check cannot see that the
    real stream lacks the block characters.
    """
    has_unicode = unicode and console_has_unicode(console)
    look = Look(console_has_color(console), has_unicode, console.width, height)
    if animation is not None and console.is_terminal:
        animation(console, look)
    else:
        print_trimmed(console, view(look))
    save_pictures(view, look.width, svg=svg, html=html, title=title, height=height)


def print_trimmed(console: Console, renderable: RenderableType) -> None:
    """Print on the console, a table fitted to its width; without colour, lines lose the
    spaces Rich pads them with, so text in a pipe or a file has no trailing blanks."""
    if isinstance(renderable, Table):
        renderable = FittingTable(renderable)
    if console_has_color(console):
        console.print(renderable)
        return
    with console.capture() as captured:
        console.print(renderable)
    console.file.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))
    console.file.flush()


def save_pictures(
    view: View,
    width: int,
    *,
    svg: str | None,
    html: str | None,
    title: str = "losscli",
    height: int | None = None,
) -> None:
    """Draw the view in colour at `width` (and `height`) and write it as SVG and/or HTML."""
    if not (svg or html):
        return
    recorder = make_recorder(width)
    recorder.print(view(Look(color=True, unicode=True, width=width, height=height)))
    drawn = recorder.export_text(clear=False).splitlines()
    recorder.width = max(1, max((len(line.rstrip()) for line in drawn), default=0))  # crop margin
    if svg:
        write_output(svg, recorder.export_svg(title=title, clear=False), "save_svg")
    if html:
        write_output(html, recorder.export_html(clear=False), "save_html")
