"""A command's view: grids drawn in the chosen style, with descent paths over them, to the
terminal or `-o PATH`, and as pictures.

Every command that draws (surface, descend, render) shows its grids through `show`, so the
view options (`ViewOptions`: style, bands, colour, width, height) and the destinations
(`Destination`: standard output or a file, SVG, HTML) behave the same everywhere. The map style
is a Rich renderable drawn through one console (`losscli.render.console`); the plain style is
the lesson's figure as text.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from rich.console import Console, Group, RenderableType
from rich.text import Text

from losscli.defaults import COLOR_LEVELS, PLAIN_LEVELS
from losscli.output import to_file, write_output
from losscli.render.console import (
    make_console,
    standard_output,
    stdout_has_unicode,
    terminal_height,
    terminal_width,
)
from losscli.render.pictures import Look, print_view, save_pictures

if TYPE_CHECKING:
    from losscli.descent.walk import Run
    from losscli.render.grids import Grid, GridView

Echo = Callable[[str], None]
"""Writes text to standard output (the CLI's, which copes with a stream that lacks UTF-8)."""


@dataclass(frozen=True)
class ViewOptions:
    """How grids are drawn: `map` (coloured panels, axes, legend) or `plain` (the lesson's
    figure); bands (default: 8 in colour, 4 otherwise) and their scale; where w2's low end
    is; colour (auto, always, never); the width to fit (None: the terminal's) and the height
    (None: the terminal's, none in a pipe); whether panels of one loss share their bands'
    scale."""

    style: str = "map"
    levels: int | None = None
    scale: str = "linear"
    origin: str = "lower"
    color: str = "auto"
    width: int | None = None
    height: int | None = None
    shared_bands: bool = False


@dataclass(frozen=True)
class Pictures:
    """The view saved, in colour, as an SVG picture and/or an HTML page, where given."""

    svg: str | None = None
    html: str | None = None


@dataclass(frozen=True)
class Destination:
    """Where a view goes: standard output, or `output` (see `losscli.output`; `-` is standard
    output), and also the pictures."""

    output: str | None = None
    pictures: Pictures = Pictures()

    def write(self, text: str, echo: Echo) -> None:
        if to_file(self.output):
            assert self.output is not None
            write_output(self.output, text)
        else:
            echo(text)


@dataclass(frozen=True)
class Paths:
    """Descent runs to draw over the maps, with notes on how they relate to the panels, and
    the speed of an animation (steps a second) if one is to be played."""

    runs: Sequence[Run]
    notes: tuple[str, ...] = ()
    animate_fps: float | None = None
    own: bool = False
    """Each panel has its own runs (descend's several losses): the runs come in panel order,
    as many for each, and each panel is drawn with only its own, its table below it."""

    def per_panel(self, grids: Sequence[Grid], runs: Sequence[Run]) -> list[Sequence[Run]]:
        """`runs` (these paths' runs, or their heads in an animation) split among the panels:
        each panel's own where `own`, else all of them over every panel."""
        if not self.own:
            return [runs] * len(grids)
        each = len(runs) // len(grids)
        return [runs[k * each : (k + 1) * each] for k in range(len(grids))]


def paths_over(
    grids: Sequence[Grid], runs: Sequence[Run], loss_name: str, animate_fps: float | None = None
) -> Paths:
    """The runs, noting when they were walked on another loss than the first panel's
    (`loss_name`) or are measured against the first of several panels."""
    notes = []
    walked = sorted({run.loss for run in runs} - {loss_name})
    if walked:
        notes.append(f"(loss: as saved, walked on {', '.join(walked)})")
    if len(grids) > 1:
        notes.append(f"(to min: the {grids[0].title} panel's minimum)")
    return Paths(runs, tuple(notes), animate_fps)


PATH_NOTE = "(the path: training's θ projected onto the plane)"
"""What a landscape says of the path it draws on its plane."""


def saved_paths(grids: Sequence[GridView]) -> tuple[Paths | None, list[str]]:
    """The training paths landscapes saved, to draw as landscape did (each panel its own; none
    unless every panel has one), and the notes they wrote under their maps."""
    runs = [grid.run for grid in grids if grid.run is not None]
    notes = list(dict.fromkeys(grid.note for grid in grids if grid.note is not None))
    if not runs or len(runs) < len(grids):
        return None, notes
    return Paths(runs, (PATH_NOTE,), own=len(grids) > 1), notes


def show(
    grids: Sequence[Grid],
    view: ViewOptions,
    to: Destination,
    *,
    title: str,
    echo: Echo,
    paths: Paths | None = None,
    notes: Sequence[str] = (),
) -> None:
    """Draw grids in the chosen style; descent paths, if any, over every panel (marked on the
    cells as drawn, after any thinning) with their legend and table below; `notes` (how the
    window was chosen) one dim line each under the panels."""
    if view.style == "plain":
        return _show_plain(grids, view, to, title=title, echo=echo, paths=paths, notes=notes)
    return _show_map(grids, view, to, title=title, paths=paths, notes=notes)


def _show_map(
    grids: Sequence[Grid],
    view: ViewOptions,
    to: Destination,
    *,
    title: str,
    paths: Paths | None,
    notes: Sequence[str] = (),
) -> None:
    """The coloured maps, printed through one console: on standard output or into the file,
    played as an animation first where asked and on a terminal, saved as pictures. Where the
    height is known (`--height`, $LINES, a terminal) the view fits it."""
    runs = paths.runs if paths else ()

    def whole(look: Look) -> RenderableType:
        if not notes:
            return _maps(grids, view, look, runs, paths)
        from losscli.render.layout import count_lines

        under = Group(*(Text(note, "dim") for note in notes))
        if look.height is not None:  # the notes' lines are not the maps'
            look = replace(look, height=look.height - count_lines(under, look.width))
        return Group(_maps(grids, view, look, runs, paths), under)

    def animation(console: Console, look: Look) -> None:
        assert paths is not None and paths.animate_fps is not None
        frame = functools.partial(_maps, grids, view, look, paths=paths, frame=True)
        _animate(console, frame, whole(look), grids[0], runs, paths.animate_fps)

    buffer = io.StringIO() if to_file(to.output) else None
    console = make_console(color=view.color, file=buffer or standard_output(), width=view.width)
    print_view(
        whole,
        console,
        unicode=buffer is not None or stdout_has_unicode(),
        svg=to.pictures.svg,
        html=to.pictures.html,
        title=title,
        animation=animation if paths and paths.animate_fps else None,
        height=view.height or (None if buffer is not None else terminal_height()),
    )
    if buffer is not None and to.output is not None:
        write_output(to.output, buffer.getvalue())


def _maps(
    grids: Sequence[Grid],
    view: ViewOptions,
    look: Look,
    shown: Sequence[Run],
    paths: Paths | None = None,
    *,
    frame: bool = False,
) -> RenderableType:
    """The panels with the `shown` runs' paths over them; below them, if `paths` is given,
    its legend, notes and table. Panels with their own runs (descend's several losses) are
    drawn one under another, each with its own table. A `frame` of the animation leaves out
    what is below but keeps its room, so every frame draws the same panels.

    On a terminal `look.height` lines tall the view takes at most one line less: the last
    is the prompt's once the command ends."""
    if paths is not None and paths.own and len(grids) > 1:
        split = zip(
            grids, paths.per_panel(grids, shown), paths.per_panel(grids, paths.runs), strict=True
        )
        views = [
            _maps([grid], view, look, mine, replace(paths, runs=runs, own=False), frame=frame)
            for grid, mine, runs in split
        ]
        return Group(*[part for one in views for part in (one, Text())][:-1])
    from losscli.render.colormap import render_maps
    from losscli.render.layout import count_lines
    from losscli.render.palettes import looks

    below = None
    if paths is not None:
        below = _under_map(
            grids[0], paths, color=look.color, unicode=look.unicode, color_system=look.color_system
        )

    overlay = None
    if shown:
        from losscli.render.paths import path_marks

        overlay = functools.partial(
            path_marks,
            runs=shown,
            origin=view.origin,
            unicode=look.unicode,
            color_system=look.color_system,
        )
    drawn = looks(
        view.levels or (COLOR_LEVELS if look.color else PLAIN_LEVELS),
        look.color_system if look.color else None,
    )
    height = None
    if look.height is not None:
        below_lines = count_lines(below, look.width) if below else 0
        height = look.height - 1 - below_lines - (1 if drawn.note else 0)
    maps = render_maps(
        grids,
        levels=drawn.levels,
        scale=view.scale,
        origin=view.origin,
        color=look.color,
        unicode=look.unicode,
        width=look.width,
        height=height,
        overlay=overlay,
        color_system=look.color_system,
        shared_bands=view.shared_bands,
    )
    if drawn.note:
        maps = Group(maps, Text(drawn.note, "dim"))
    return maps if below is None or frame else Group(maps, below)


def _under_map(
    grid: Grid,
    paths: Paths,
    *,
    color: bool,
    unicode: bool,
    plain: bool = False,
    color_system: str = "truecolor",
) -> RenderableType:
    """The paths' legend, window notes and table, measured against the first panel."""
    from losscli.render.paths import under_map

    table = under_map(
        grid, paths.runs, color=color, unicode=unicode, plain=plain, color_system=color_system
    )
    return Group(table, *(Text(note, "dim") for note in paths.notes))


def _show_plain(
    grids: Sequence[Grid],
    view: ViewOptions,
    to: Destination,
    *,
    title: str,
    echo: Echo,
    paths: Paths | None,
    notes: Sequence[str] = (),
) -> None:
    """The lesson's figure as text; it fits a width only when one is known (see --width).
    Panels with their own runs are drawn one under another, each with its own table."""
    unicode = to_file(to.output) or stdout_has_unicode()
    known_width = view.width or (None if to_file(to.output) else terminal_width())
    if paths is not None and paths.own and len(grids) > 1:
        parts = [
            _plain_view([grid], view, replace(paths, runs=runs, own=False), unicode, known_width)
            for grid, runs in zip(grids, paths.per_panel(grids, paths.runs), strict=True)
        ]
        text = "\n".join(parts)
    else:
        text = _plain_view(grids, view, paths, unicode, known_width)
    if notes:
        text = "\n".join([text.rstrip("\n"), *notes])
    to.write(text, echo)
    if to.pictures.svg or to.pictures.html:
        drawn = max(len(line) for line in text.splitlines())
        figure = Text(text.rstrip("\n"), no_wrap=True)
        save_pictures(
            lambda look: figure, drawn, svg=to.pictures.svg, html=to.pictures.html, title=title
        )


def _plain_view(
    grids: Sequence[Grid], view: ViewOptions, paths: Paths | None, unicode: bool, width: int | None
) -> str:
    """The panels as the lesson's figure, the paths over every panel and their table below."""
    from losscli.render.palettes import looks
    from losscli.render.plain import render_plain

    def overlay(grid: Grid) -> Mapping[tuple[int, int], str]:
        from losscli.render.paths import path_marks, plain_marks

        assert paths is not None
        return plain_marks(path_marks(grid, paths.runs, origin=view.origin, unicode=unicode))

    shown = looks(view.levels or PLAIN_LEVELS, None)
    text = render_plain(
        grids,
        levels=shown.levels,
        scale=view.scale,
        origin=view.origin,
        unicode=unicode,
        width=width,
        overlay=overlay if paths else None,
        shared_bands=view.shared_bands,
    )
    if shown.note:
        text += shown.note + "\n"
    if paths:
        under = _under_map(grids[0], paths, color=False, unicode=unicode, plain=True)
        text += "\n" + plain_text(under)
    return text


def plain_text(renderable: RenderableType) -> str:
    """A renderable as text without colour or trailing blanks."""
    buffer = io.StringIO()
    make_console(color="never", file=buffer, width=100).print(renderable)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


def print_table(renderable: RenderableType) -> None:
    """A renderable (a table) on standard output, as the terminal allows (a table fitted to
    its width)."""
    from losscli.render.pictures import print_trimmed

    print_trimmed(make_console(file=standard_output()), renderable)


def _animate(
    console: Console,
    frame: Callable[[Sequence[Run]], RenderableType],
    final: RenderableType,
    grid: Grid,
    runs: Sequence[Run],
    fps: float,
) -> None:
    """Redraw the map step by step with every run's path up to that step, then the final
    picture. Steps that leave every path in the cells it was in draw nothing new: skipped."""
    import time

    from rich.live import Live

    from losscli.descent.walk import head
    from losscli.render.paths import redraw_steps

    last = max(run.steps for run in runs)
    with Live(console=console, auto_refresh=False) as live:
        for step in redraw_steps(grid, runs):
            shown = frame([head(run, step) for run in runs])
            live.update(Group(Text(f"step {step} of {last}"), shown), refresh=True)
            time.sleep(1.0 / fps)
        live.update(final, refresh=True)
