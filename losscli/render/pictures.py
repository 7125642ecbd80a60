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
    """How a view may be drawn: `color_system` is Rich's name of the colours a console with
    colour has ("standard", "256", "truecolor", "windows"), which decides the bands' colours;
    `height` is the terminal's lines (None: as many as it takes)."""

    color: bool
    unicode: bool
    width: int
    color_system: str = "truecolor"
    height: int | None = None


SVG_FONT_ASPECT = 0.6
"""The fonts' advance width over their size (DejaVu Sans Mono and Menlo 0.602, Courier New
0.6); each span of text is also stretched to its cells (`textLength`), so another still fits."""
SVG_FORMAT = """\
<svg class="rich-terminal" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg" \
xml:space="preserve">
    <!-- Drawn by losscli with Rich; fonts are the machine's own, nothing is fetched. -->
    <style>
    .{unique_id}-matrix {{
        font-family: "DejaVu Sans Mono", Menlo, Consolas, "Liberation Mono", "Courier New",
            monospace;
        font-size: {char_height}px;
        line-height: {line_height}px;
        white-space: pre;
    }}
    .{unique_id}-title {{
        font-size: 18px;
        font-weight: bold;
        font-family: Arial, Helvetica, "Liberation Sans", "DejaVu Sans", sans-serif;
    }}
    {styles}
    </style>
    <defs>
    <clipPath id="{unique_id}-clip-terminal">
      <rect x="0" y="0" width="{terminal_width}" height="{terminal_height}" />
    </clipPath>
    {lines}
    </defs>
    {chrome}
    <g transform="translate({terminal_x}, {terminal_y})" \
clip-path="url(#{unique_id}-clip-terminal)">
    {backgrounds}
    <g class="{unique_id}-matrix">
    {matrix}
    </g>
    </g>
</svg>
"""
"""Rich's SVG template without its web font (Rich names Fira Code and fetches it from a CDN):
monospace fonts that Linux, macOS and Windows have, named only, so nothing is downloaded.
Spaces are kept as they are (`xml:space`, `white-space: pre`): librsvg and Inkscape otherwise
strip the no-break spaces that begin a span, as XML's default handling of white space allows,
and shift the text after them (`min 0.05187at`)."""

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
    look = Look(
        console_has_color(console),
        unicode and console_has_unicode(console),
        console.width,
        console.color_system or "truecolor",
        height,
    )
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
        picture = recorder.export_svg(
            title=title, clear=False, code_format=SVG_FORMAT, font_aspect_ratio=SVG_FONT_ASPECT
        )
        write_output(svg, picture, "save_svg")
    if html:
        write_output(html, recorder.export_html(clear=False), "save_html")
