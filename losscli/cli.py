"""The command-line interface: parse options, call the core, hand the results to a renderer.

Only Click is imported at start-up; numpy and Rich load inside the commands that use them, so
`losscli --help` and shell completion stay fast. The core raises `DataError` (reported with
exit status 1) and `OptionError` (a usage error, exit status 2); nothing else reaches the user
as a traceback.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import click
from click.core import ParameterSource
from click.shell_completion import CompletionItem

from losscli import __version__
from losscli.budget import MAX_SECONDS
from losscli.datasets import DATASETS
from losscli.errors import DataError, OptionError
from losscli.losses import (
    CATALOGUE,
    LESSON_LOSSES,
    PLUGIN_PROBLEMS,
    PLUGINS,
    TASKS,
    all_params,
    get_loss,
    loss_names,
    withdraw,
)

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

    from losscli.data import Dataset
    from losscli.descent import Optimizer, Run
    from losscli.grid import Grid
    from losscli.losses import Loss, Task
    from losscli.render.pictures import Animation, Look, View
    from losscli.sweep import Axis, Surface

F = TypeVar("F", bound=Callable[..., Any])

SYNTHETIC_OPTIONS = ("n", "true_w1", "true_w2", "noise", "seed", "outliers", "flip")


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn the core's errors into Click's: a one-line message and the right exit status."""
    try:
        yield
    except OptionError as error:
        raise click.BadParameter(error.message, param_hint=f"'{error.option}'") from None
    except DataError as error:
        raise click.ClickException(str(error)) from None


def _given(ctx: click.Context, name: str) -> bool:
    """Whether the user typed this option (rather than it taking its default)."""
    return ctx.get_parameter_source(name) in (
        ParameterSource.COMMANDLINE,
        ParameterSource.ENVIRONMENT,
    )


# ---------------------------------------------------------------------------------------------
# Options shared between commands.


def _complete_loss(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    return [
        CompletionItem(name, help=CATALOGUE[get_loss(name).name].summary)
        for name in loss_names()
        if name.startswith(incomplete)
    ]


class LossParamOption(click.Option):
    """An option made from a catalogue hyper-parameter (`--delta`), not one of losscli's own."""


def loss_options(func: F) -> F:
    """--loss (repeatable) and one option per hyper-parameter found in the catalogue."""
    return click.option(
        "--loss",
        "-l",
        "loss_names",
        multiple=True,
        metavar="NAME",
        shell_complete=_complete_loss,
        help="Loss to show; repeat for several panels. Default: the lesson's "
        f"{', '.join(LESSON_LOSSES)}. See `losscli losses`.",
    )(loss_param_options(func))


def loss_param_options(func: F) -> F:
    """One option per hyper-parameter found in the catalogue (--delta, ...)."""
    for param in reversed(all_params().values()):
        users = ", ".join(loss.name for loss in CATALOGUE.values() if param in loss.params)
        func = click.option(
            param.option,
            param.name,
            cls=LossParamOption,
            type=float,
            default=param.default,
            show_default=True,
            help=f"{param.help} ({users}; {param.range_text})",
        )(func)
    return func


def dataset_option(func: F) -> F:
    """--dataset NAME: one of the built-in datasets."""
    names = ", ".join(DATASETS)
    return click.option(
        "--dataset",
        "dataset_name",
        type=click.Choice(list(DATASETS), case_sensitive=False),
        help=f"Built-in dataset: {names} (see `losscli data --help`). Default: lesson.",
    )(func)


def data_options(func: F) -> F:
    """--data or --dataset, and the options of the lesson's synthetic generator."""
    options = [
        click.option(
            "--data",
            "data_path",
            metavar="PATH",
            type=click.Path(allow_dash=True),
            help="Points to use: CSV with columns x,y (header optional) or JSON; '-' reads "
            "standard input. Default: the lesson's synthetic data.",
        ),
        dataset_option,
        click.option(
            "--n", type=int, default=40, show_default=True, help="Synthetic: number of points."
        ),
        click.option(
            "--true-w1",
            type=float,
            default=1.5,
            show_default=True,
            help="Synthetic: slope of the true line.",
        ),
        click.option(
            "--true-w2",
            type=float,
            default=0.5,
            show_default=True,
            help="Synthetic: intercept of the true line.",
        ),
        click.option(
            "--noise",
            type=float,
            default=0.2,
            show_default=True,
            help="Synthetic: standard deviation of the Gaussian noise on y.",
        ),
        click.option(
            "--seed",
            type=int,
            default=11,
            show_default=True,
            help="Synthetic: random seed (the lesson's is 11).",
        ),
        click.option(
            "--outliers",
            type=float,
            default=0.0,
            show_default=True,
            help="Synthetic regression: share of points moved 3 to 6 above the line.",
        ),
        click.option(
            "--flip",
            type=float,
            default=0.0,
            show_default=True,
            help="Synthetic classification: share of labels flipped.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def make_grid_options(steps_option: str) -> Callable[[F], F]:
    """The grid's options; `steps_option` names the points-per-axis option (--steps, or
    --grid-steps where --steps means something else)."""
    return lambda func: _grid_options(func, steps_option)


def _grid_options(func: F, steps_option: str) -> F:
    options = [
        click.option(
            "--w1-range",
            type=(float, float),
            default=(-2.0, 4.0),
            show_default=True,
            metavar="LO HI",
            help="Range of the slope w1 (horizontal axis).",
        ),
        click.option(
            "--w2-range",
            type=(float, float),
            default=(-2.0, 4.0),
            show_default=True,
            metavar="LO HI",
            help="Range of the intercept w2 (vertical axis).",
        ),
        click.option(
            steps_option,
            type=click.IntRange(min=2),
            default=21,
            show_default=True,
            help="Grid points along each axis.",
        ),
        click.option(
            "--w1-steps",
            type=click.IntRange(min=2),
            help=f"Grid points along w1 (overrides {steps_option}).",
        ),
        click.option(
            "--w2-steps",
            type=click.IntRange(min=2),
            help=f"Grid points along w2 (overrides {steps_option}).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


grid_options = make_grid_options("--steps")


def view_options(func: F) -> F:
    options = [
        click.option(
            "--style",
            type=click.Choice(["map", "plain"]),
            default="map",
            show_default=True,
            help="map: coloured panels with axes and legend; "
            "plain: the lesson's figure, one character a cell.",
        ),
        click.option(
            "--levels",
            type=click.IntRange(1, 64),
            help="Number of bands (default: 8 in colour, 4 otherwise, as in the lesson).",
        ),
        click.option(
            "--scale",
            type=click.Choice(["linear", "log", "quantile"]),
            default="linear",
            show_default=True,
            help="How values map to bands: log and quantile show detail near the minimum.",
        ),
        click.option(
            "--origin",
            type=click.Choice(["lower", "upper"]),
            default="lower",
            show_default=True,
            help="Where w2's low end is drawn (upper is the lesson's layout).",
        ),
        click.option(
            "--color",
            type=click.Choice(["auto", "always", "never"]),
            default="auto",
            show_default=True,
            help="auto: colour on a terminal, none when piped or NO_COLOR is set.",
        ),
        click.option(
            "--width",
            type=click.IntRange(min=20),
            metavar="COLUMNS",
            help="Fit the view to this many columns (default: $COLUMNS or the terminal's). "
            "Grids too large for it are thinned to fit, the minimum's cell kept; panels wrap.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def picture_options(func: F) -> F:
    """--save-svg and --save-html: the view as a picture, in colour (see `show_view`)."""
    func = click.option(
        "--save-html",
        metavar="PATH",
        type=click.Path(dir_okay=False, writable=True),
        help="Also write the view, in colour, as an HTML page.",
    )(func)
    return click.option(
        "--save-svg",
        metavar="PATH",
        type=click.Path(dir_okay=False, writable=True),
        help="Also write the view, in colour, as an SVG picture (for slides).",
    )(func)


def max_seconds_option(func: F) -> F:
    """--max-seconds: sweeps expected to take longer are refused before they start."""
    return click.option(
        "--max-seconds",
        type=click.FloatRange(min=0, min_open=True),
        default=MAX_SECONDS,
        show_default=True,
        metavar="SECONDS",
        help="Refuse, before starting, sweeps the engine expects to take longer than this "
        "(an estimate: raise it to run a long sweep anyway).",
    )(func)


def output_path_option(func: F) -> F:
    return click.option(
        "-o",
        "--output",
        metavar="PATH",
        type=click.Path(dir_okay=False, writable=True),
        help="Write to this file instead of standard output (replaced whole, never half-written).",
    )(func)


def output_options(formats: Sequence[str], help: str = "Output format.") -> Callable[[F], F]:
    def decorate(func: F) -> F:
        return click.option(
            "--format",
            "output_format",
            type=click.Choice(list(formats)),
            default=formats[0],
            show_default=True,
            help=help,
        )(output_path_option(func))

    return decorate


def emit(text: str, output: str | None) -> None:
    """Write the result to `-o PATH` atomically, or to standard output."""
    if output:
        from losscli.output import write_atomically

        write_atomically(output, text)
    else:
        click.echo(text, nl=False)


# ---------------------------------------------------------------------------------------------
# Commands.


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="losscli")
def cli() -> None:
    """See a loss function's surface over (w1, w2) of the line model p = w1·x + w2.

    \b
      losscli surface                      the lesson's four panels: MSE, MAE, Huber, hinge
      losscli surface --loss huber --delta 1
      losscli data regression > points.csv
      losscli surface --data points.csv --loss mae --format json
    """


def _chosen_losses(
    ctx: click.Context, names: Sequence[str], values: dict[str, float]
) -> list[tuple[Loss, dict[str, float]]]:
    """The losses to show, each with its resolved hyper-parameters; unused options refused."""
    losses = [get_loss(name) for name in (names or LESSON_LOSSES)]
    for name, param in all_params().items():
        if _given(ctx, name) and not any(param in loss.params for loss in losses):
            takers = ", ".join(loss.name for loss in CATALOGUE.values() if param in loss.params)
            raise OptionError(
                param.option, f"applies to {takers}, which is not among the chosen losses"
            )
    return [(loss, loss.resolve_params(values)) for loss in losses]


def _datasets(
    ctx: click.Context,
    data_path: str | None,
    dataset_name: str | None,
    synthetic: dict[str, Any],
    also_used: Sequence[str] = (),
) -> Callable[[Loss], Dataset]:
    """A function giving each loss its dataset: the user's file, or the built-in set (by default
    the lesson's synthetic data) for its task.

    Synthetic options are refused with --data, except those in `also_used` (options that
    mean something besides the data, such as descend's --seed for its mini-batches).
    """
    from losscli import data, datasets

    typed = [name for name in SYNTHETIC_OPTIONS if _given(ctx, name)]
    if data_path is not None:
        if dataset_name is not None:
            raise OptionError(
                "--dataset", "cannot be used with --data: choose one source of points"
            )
        if misplaced := [name for name in typed if name not in also_used]:
            option = "--" + misplaced[0].replace("_", "-")
            raise OptionError(option, "sets up synthetic data and cannot be used with --data")
        stdin = sys.stdin.buffer
        loaded = data.read_source(data_path, stdin)
        return _warning_single_class(lambda loss: loaded)
    cache: dict[str, Dataset] = {}

    def for_task(loss: Loss) -> Dataset:
        if loss.task not in cache:
            cache[loss.task] = datasets.load(
                dataset_name or "lesson", loss.task, loss.name, synthetic, typed
            )
        return cache[loss.task]

    return _warning_single_class(for_task)


def _warning_single_class(dataset_for: Callable[[Loss], Dataset]) -> Callable[[Loss], Dataset]:
    """`dataset_for` that warns, once a dataset, when a classification loss gets one class only:
    the surface is still drawn, but it cannot show a boundary between classes."""
    warned: set[int] = set()

    def checked(loss: Loss) -> Dataset:
        dataset = dataset_for(loss)
        if loss.task == "classification" and id(dataset) not in warned:
            warned.add(id(dataset))
            label = dataset.single_label()
            if label is not None:
                click.echo(
                    f"Warning: {dataset.name}: every label is {label:g}, a single class; "
                    "the surface is drawn all the same",
                    err=True,
                )
        return dataset

    return checked


def _check_budget(
    chosen: Sequence[tuple[Loss, dict[str, float]]],
    dataset_for: Callable[[Loss], Dataset],
    w1: Axis,
    w2: Axis,
    method: str,
    max_seconds: float,
    steps_option: str,
) -> None:
    """Refuse, before any sweep starts, a grid too large for memory or sweeps too long."""
    from losscli import budget

    budget.check_grid(w1.steps, w2.steps, len(chosen), steps_option)
    points = [(loss, params, len(dataset_for(loss))) for loss, params in chosen]
    budget.check_sweeps(points, w1, w2, method, max_seconds)


@cli.command()
@loss_options
@data_options
@grid_options
@view_options
@click.option(
    "--path",
    "path_files",
    metavar="FILE",
    multiple=True,
    type=click.Path(),
    help="Overlay the descent paths saved by `losscli descend --format json` (repeatable).",
)
@picture_options
@output_options(
    ["text", "json", "ndjson", "csv", "npz"],
    help="text: the view; json: one document; ndjson: one surface a line; csv: one cell a row; "
    "npz: numpy's arrays (needs -o). Data keeps the grid's full resolution.",
)
@click.option(
    "--method",
    type=click.Choice(["auto", "quadratic", "piecewise", "binned", "direct"]),
    default="auto",
    show_default=True,
    help="Sweep algorithm: auto picks the fastest exact one the loss allows, or for a smooth "
    "loss binned (an approximation within 1e-12 relative) where direct would take over 10 s; "
    "direct evaluates every cell and point (to cross-check). The JSON records the one used.",
)
@max_seconds_option
@click.option("--quiet", "-q", is_flag=True, help="No progress bar on stderr for long sweeps.")
@click.pass_context
def surface(
    ctx: click.Context,
    /,
    loss_names: tuple[str, ...],
    data_path: str | None,
    path_files: tuple[str, ...],
    w1_range: tuple[float, float],
    w2_range: tuple[float, float],
    steps: int,
    w1_steps: int | None,
    w2_steps: int | None,
    style: str,
    levels: int | None,
    scale: str,
    origin: str,
    color: str,
    width: int | None,
    save_svg: str | None,
    save_html: str | None,
    output_format: str,
    output: str | None,
    method: str,
    max_seconds: float,
    quiet: bool,
    **rest: Any,
) -> None:
    """Sweep losses over a grid of (w1, w2) and draw their surfaces side by side.

    Each panel marks the grid's minimum with a star. With no --loss it shows the lesson's four
    losses, each on the synthetic dataset its task needs. `values[i][j]` in the JSON is the
    mean loss at w2 = w2[i], w1 = w1[j]; `losscli render` draws it again. --path draws saved
    descent paths over every panel.
    """
    from losscli.datasets import get_dataset
    from losscli.descent import load_runs
    from losscli.render.progress import sweep_progress
    from losscli.sweep import Axis, sweep

    synthetic = {name: rest.pop(name) for name in SYNTHETIC_OPTIONS}
    dataset_name = rest.pop("dataset_name")
    with reported_errors():
        _check_output(output_format, output, save_svg, save_html)
        if path_files and output_format != "text":
            raise OptionError(
                "--path", f"draws on the map; it cannot be used with --format {output_format}"
            )
        runs = [run for path in path_files for run in load_runs(path)]
        chosen = _chosen_losses(ctx, loss_names, rest)
        dataset_for = _datasets(ctx, data_path, dataset_name, synthetic)
        if data_path is not None and not loss_names:  # hinge only where y holds labels
            labelled = dataset_for(chosen[0][0]).is_labelled()
            chosen = [(loss, p) for loss, p in chosen if loss.task == "regression" or labelled]
        if dataset_name is not None:  # the dataset's own window, and the defaults of its task
            builtin = get_dataset(dataset_name)
            w1_range, w2_range = _window(ctx, dataset_name, w1_range, w2_range)
            if not loss_names:
                chosen = [(loss, p) for loss, p in chosen if loss.task in builtin.tasks]
        w1 = Axis("w1", *w1_range, w1_steps or steps)
        w2 = Axis("w2", *w2_range, w2_steps or steps)
        _check_budget(chosen, dataset_for, w1, w2, method, max_seconds, "--steps")
        with sweep_progress(quiet=quiet) as track:
            surfaces = [
                sweep(
                    loss,
                    params,
                    dataset_for(loss),
                    w1,
                    w2,
                    method=method,
                    progress=track(loss.title(params)) if track else None,
                )
                for loss, params in chosen
            ]
        if output_format != "text":
            return _export(surfaces, output_format, output)
        _show(
            surfaces,
            style=style,
            levels=levels,
            scale=scale,
            origin=origin,
            color=color,
            width=width,
            output=output,
            save_svg=save_svg,
            save_html=save_html,
            title="losscli surface",
            paths=_paths(surfaces, runs) if runs else None,
        )
    return None


def _check_output(
    output_format: str, output: str | None, save_svg: str | None, save_html: str | None
) -> None:
    """Refuse, before any work, the combinations that have nothing sensible to write."""
    if output_format == "npz" and output is None:
        raise OptionError("--format", "npz is binary: give -o PATH to write it to a file")
    for option, path in (("--save-svg", save_svg), ("--save-html", save_html)):
        if path is not None and output_format != "text":
            raise OptionError(
                option, f"pictures the view, so it needs --format text, not {output_format}"
            )


def _export(surfaces: list[Surface], output_format: str, output: str | None) -> None:
    """The data at the grid's full resolution, in one of the formats for other tools."""
    from losscli.render import export

    if output_format == "npz" and output is not None:
        from losscli.output import write_atomically

        return write_atomically(output, export.to_npz(surfaces))
    writers = {"json": export.to_json, "ndjson": export.to_ndjson, "csv": export.to_csv}
    return emit(writers[output_format](surfaces), output)


@dataclass(frozen=True)
class Paths:
    """Descent runs to draw over the maps, with notes on how they relate to the panels."""

    runs: Sequence[Run]
    notes: tuple[str, ...] = ()
    animate_fps: float | None = None


def _paths(
    surfaces: Sequence[Surface], runs: Sequence[Run], animate_fps: float | None = None
) -> Paths:
    """The runs, noting when they were walked on another loss or measured on the first panel."""
    notes = []
    walked = sorted({run.loss for run in runs} - {surfaces[0].loss.name})
    if walked:
        notes.append(f"(loss: as saved, walked on {', '.join(walked)})")
    if len(surfaces) > 1:
        notes.append(f"(to min: the {surfaces[0].title} panel's grid minimum)")
    return Paths(runs, tuple(notes), animate_fps)


def _show(
    grids: Sequence[Grid],
    *,
    style: str,
    levels: int | None,
    scale: str,
    origin: str,
    color: str,
    width: int | None,
    output: str | None,
    save_svg: str | None,
    save_html: str | None,
    title: str,
    paths: Paths | None = None,
) -> None:
    """Draw grids in the chosen style to standard output or -o PATH, and as pictures; descent
    paths, if any, over every panel (marked on the cells as drawn, after any thinning)."""
    if style == "plain":
        return _show_plain(
            grids,
            levels=levels or 4,
            scale=scale,
            origin=origin,
            width=width,
            output=output,
            save_svg=save_svg,
            save_html=save_html,
            title=title,
            paths=paths,
        )
    from rich.console import Group

    from losscli.render.colormap import Marks, render_maps

    runs = paths.runs if paths else ()

    def picture(look: Look, shown: Sequence[Run], under: bool = True) -> RenderableType:
        def overlay(grid: Grid) -> Marks:
            from losscli.render.paths import path_marks

            return path_marks(grid, shown, origin=origin, unicode=look.unicode)

        maps = render_maps(
            grids,
            levels=levels or (8 if look.color else 4),
            scale=scale,
            origin=origin,
            color=look.color,
            unicode=look.unicode,
            width=look.width,
            overlay=overlay if shown else None,
        )
        if paths is None or not under:
            return maps
        return Group(maps, _under_map(grids[0], paths, color=look.color, unicode=look.unicode))

    def animation(console: Console, look: Look) -> None:
        assert paths is not None and paths.animate_fps is not None
        _animate(
            console,
            lambda shown: picture(look, shown, under=False),
            picture(look, runs),
            grids[0],
            runs,
            paths.animate_fps,
        )

    return show_view(
        lambda look: picture(look, runs),
        color=color,
        width=width,
        output=output,
        save_svg=save_svg,
        save_html=save_html,
        title=title,
        animation=animation if paths and paths.animate_fps else None,
    )


def _under_map(
    grid: Grid, paths: Paths, *, color: bool, unicode: bool, plain: bool = False
) -> RenderableType:
    """The paths' legend, window notes and table, measured against the first panel."""
    from rich.console import Group
    from rich.text import Text

    from losscli.render.paths import under_map

    table = under_map(grid, paths.runs, color=color, unicode=unicode, plain=plain)
    return Group(table, *(Text(note, "dim") for note in paths.notes))


def _show_plain(
    grids: Sequence[Grid],
    *,
    levels: int,
    scale: str,
    origin: str,
    width: int | None,
    output: str | None,
    save_svg: str | None,
    save_html: str | None,
    title: str,
    paths: Paths | None,
) -> None:
    """The lesson's figure as text; it fits a width only when one is known (see --width)."""
    from losscli.render.plain import render_plain

    unicode = output is not None or _stdout_has_unicode()
    known_width = width or (None if output else _terminal_width())

    def overlay(grid: Grid) -> Mapping[tuple[int, int], str]:
        from losscli.render.paths import path_marks, plain_marks

        assert paths is not None
        return plain_marks(path_marks(grid, paths.runs, origin=origin, unicode=unicode))

    text = render_plain(
        grids,
        levels=levels,
        scale=scale,
        origin=origin,
        unicode=unicode,
        width=known_width,
        overlay=overlay if paths else None,
    )
    if paths:
        text += "\n" + _plain_text(
            _under_map(grids[0], paths, color=False, unicode=unicode, plain=True)
        )
    emit(text, output)
    if save_svg or save_html:
        from rich.text import Text

        from losscli.render.pictures import save_pictures

        drawn = max(len(line) for line in text.splitlines())
        figure = Text(text.rstrip("\n"), no_wrap=True)
        save_pictures(lambda look: figure, drawn, svg=save_svg, html=save_html, title=title)
    return None


def _plain_text(renderable: RenderableType) -> str:
    """A renderable as text without colour, for the lesson-style figure."""
    import io

    from losscli.render.colormap import make_console

    buffer = io.StringIO()
    make_console(color="never", file=buffer, width=100).print(renderable)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


def show_view(
    view: View,
    *,
    color: str,
    width: int | None,
    output: str | None,
    save_svg: str | None,
    save_html: str | None,
    title: str,
    animation: Animation | None = None,
) -> None:
    """Print a Rich view to standard output or -o PATH; save it as SVG/HTML when asked.

    Every command that draws (surface, render, descend) shows its view through here, so
    --color, --width, --save-svg and --save-html behave the same everywhere. `animation`, on a
    terminal, plays before the view stays on screen.
    """
    import io

    from losscli.render.colormap import make_console
    from losscli.render.pictures import show

    buffer = io.StringIO() if output else None
    console = make_console(color=color, file=buffer or sys.stdout, width=width)
    unicode = output is not None or _stdout_has_unicode()
    show(
        view,
        console,
        unicode=unicode,
        svg=save_svg,
        html=save_html,
        title=title,
        animation=animation,
    )
    if buffer is not None and output:
        emit(buffer.getvalue(), output)


def _stdout_has_unicode() -> bool:
    """Whether standard output can print the block characters.

    This asks the real stream: Click replaces an ASCII stdout by a UTF-8 one, which would
    send the terminal bytes it cannot show.
    """
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    try:
        "░▒▓█★┤└┬–".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _terminal_width() -> int | None:
    """$COLUMNS, else the width of the terminal standard output is; None in a pipe."""
    import os
    import shutil

    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if sys.stdout.isatty():
        return shutil.get_terminal_size().columns
    return None


@cli.command("render")
@click.argument("source", metavar="FILE|-", type=click.Path(dir_okay=False, allow_dash=True))
@view_options
@picture_options
@output_path_option
def render_command(
    source: str,
    style: str,
    levels: int | None,
    scale: str,
    origin: str,
    color: str,
    width: int | None,
    save_svg: str | None,
    save_html: str | None,
    output: str | None,
) -> None:
    """Draw the grids in a JSON FILE ('-' reads standard input), as surface draws its own.

    All the view options of surface apply. Reads what `surface --format json` or `--format
    ndjson` wrote, also after jq has filtered or changed it, and any tool's {"w1": [...],
    "w2": [...], "values": [[...]]} where values[i][j] is the value at w2[i], w1[j] (null for
    a missing value; other keys are ignored; "title" or "loss" names the panel). The minimum
    is found from the values.
    """
    from losscli.data import read_bytes
    from losscli.grid import read_grids

    with reported_errors():
        grids = read_grids(*read_bytes(source, sys.stdin.buffer))
        _show(
            grids,
            style=style,
            levels=levels,
            scale=scale,
            origin=origin,
            color=color,
            width=width,
            output=output,
            save_svg=save_svg,
            save_html=save_html,
            title="losscli render",
        )


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

    from rich.console import Group
    from rich.live import Live
    from rich.text import Text

    from losscli.descent import head
    from losscli.render.paths import redraw_steps

    last = max(run.steps for run in runs)
    with Live(console=console, auto_refresh=False) as live:
        for step in redraw_steps(grid, runs):
            shown = frame([head(run, step) for run in runs])
            live.update(Group(Text(f"step {step} of {last}"), shown), refresh=True)
            time.sleep(1.0 / fps)
        live.update(final, refresh=True)


def _descent_dataset(
    ctx: click.Context,
    loss: Loss,
    data_path: str | None,
    dataset_name: str | None,
    synthetic: dict[str, Any],
) -> Dataset:
    """The points to walk on: --data, or a built-in set (the lesson's for the loss's task).

    With --data, --seed still seeds the mini-batches of --batch-size, and nothing else.
    """
    if data_path is not None and _given(ctx, "seed") and not _given(ctx, "batch_size"):
        raise OptionError("--seed", "with --data it seeds only --batch-size, which is not given")
    return _datasets(ctx, data_path, dataset_name, synthetic, also_used=("seed",))(loss)


def _window(
    ctx: click.Context,
    dataset_name: str,
    w1_range: tuple[float, float],
    w2_range: tuple[float, float],
) -> tuple[tuple[float, float], tuple[float, float]]:
    """The grid's ranges: those typed, else the built-in dataset's own window."""
    from losscli.datasets import get_dataset

    window = get_dataset(dataset_name).window
    return (
        w1_range if _given(ctx, "w1_range") else window[0],
        w2_range if _given(ctx, "w2_range") else window[1],
    )


def _optimizers() -> dict[str, Optimizer]:
    """The update rules (losscli.descent loads numpy only when a walk runs)."""
    from losscli.descent import OPTIMIZERS

    return OPTIMIZERS


@cli.command()
@click.option(
    "--loss",
    "-l",
    "loss_name",
    default="mse",
    show_default=True,
    metavar="NAME",
    shell_complete=_complete_loss,
    help="The loss to walk down. See `losscli losses`.",
)
@loss_param_options
@data_options
@make_grid_options("--grid-steps")
@view_options
@click.option(
    "--start",
    type=(float, float),
    metavar="W1 W2",
    help="Where the walk starts. Default: the grid corner farthest from the grid minimum.",
)
@click.option(
    "--optimizer",
    "optimizers",
    multiple=True,
    type=click.Choice(list(_optimizers())),
    help="Update rule; repeat to draw several paths. Default: gd. "
    + "; ".join(f"{o.name}: {o.summary}" for o in _optimizers().values()),
)
@click.option("--lr", type=float, default=0.1, show_default=True, help="Learning rate.")
@click.option("--steps", type=int, default=500, show_default=True, help="Maximum number of steps.")
@click.option(
    "--tol",
    type=float,
    default=1e-8,
    show_default=True,
    help="Converged when the step's length and the change in loss are both below this.",
)
@click.option(
    "--momentum",
    type=float,
    default=0.9,
    show_default=True,
    help="Momentum coefficient of momentum and nesterov, in [0, 1).",
)
@click.option(
    "--batch-size",
    type=int,
    help="Points per step, drawn afresh each step (stochastic gradient descent), seeded by "
    "--seed. Default: all points (full batch).",
)
@picture_options
@click.option("--animate", is_flag=True, help="Redraw the map step by step on a terminal.")
@click.option(
    "--fps",
    type=click.FloatRange(min=0, min_open=True, max=1000),
    default=20.0,
    show_default=True,
    help="Steps per second of --animate (steps that move no path to a new cell are skipped).",
)
@max_seconds_option
@output_options(["text", "json"])
@click.pass_context
def descend(
    ctx: click.Context,
    /,
    loss_name: str,
    data_path: str | None,
    dataset_name: str | None,
    w1_range: tuple[float, float],
    w2_range: tuple[float, float],
    grid_steps: int,
    w1_steps: int | None,
    w2_steps: int | None,
    style: str,
    levels: int | None,
    scale: str,
    origin: str,
    color: str,
    width: int | None,
    start: tuple[float, float] | None,
    optimizers: tuple[str, ...],
    lr: float,
    steps: int,
    tol: float,
    momentum: float,
    batch_size: int | None,
    save_svg: str | None,
    save_html: str | None,
    animate: bool,
    fps: float,
    max_seconds: float,
    output_format: str,
    output: str | None,
    **rest: Any,
) -> None:
    """Walk downhill on one loss's surface from --start and draw the path over the map.

    Each run stops for one reason: converged (step and loss change below --tol),
    max_steps, zero_gradient (the gradient is exactly zero: hinge's plateau) or diverged
    (the loss is not finite or grew past 1e6 times its start). Leaving the drawn window is not
    a stop. --format json writes every step; `losscli surface --path FILE` draws it again.

    \b
      losscli descend --loss mse --start -1.5 3.5 --lr 0.3 --steps 60
      losscli descend --loss mae --optimizer gd --optimizer adam
      losscli descend --loss hinge --dataset separable --start 3 0
    """
    from losscli.descent import Settings, default_start, runs_document
    from losscli.descent import descend as walk
    from losscli.sweep import Axis, sweep

    synthetic = {name: rest.pop(name) for name in SYNTHETIC_OPTIONS}
    with reported_errors():
        if animate and output_format != "text":
            raise OptionError(
                "--animate", f"draws the map; it cannot be used with --format {output_format}"
            )
        if len(set(optimizers)) < len(optimizers):
            raise OptionError("--optimizer", "each optimizer can be given once")
        [(loss, params)] = _chosen_losses(ctx, [loss_name], rest)
        settings = Settings(
            lr=lr,
            steps=steps,
            tol=tol,
            momentum=momentum,
            batch_size=batch_size,
            seed=synthetic["seed"],
        )
        points = _descent_dataset(ctx, loss, data_path, dataset_name, synthetic)
        if dataset_name is not None:  # the dataset's own window unless one is given
            w1_range, w2_range = _window(ctx, dataset_name, w1_range, w2_range)
        w1 = Axis("w1", *w1_range, w1_steps or grid_steps)
        w2 = Axis("w2", *w2_range, w2_steps or grid_steps)
        chosen = [(loss, params)]
        _check_budget(chosen, lambda loss: points, w1, w2, "auto", max_seconds, "--grid-steps")
        surface = sweep(loss, params, points, w1, w2)
        origin_point = start if start is not None else default_start(surface)
        runs = [
            walk(loss, params, points, origin_point, name, settings)
            for name in optimizers or ("gd",)
        ]
        if output_format == "json":
            import json

            document = runs_document(loss, params, runs, __version__)
            return emit(json.dumps(document, allow_nan=False) + "\n", output)
        _show(
            [surface],
            style=style,
            levels=levels,
            scale=scale,
            origin=origin,
            color=color,
            width=width,
            output=output,
            save_svg=save_svg,
            save_html=save_html,
            title="losscli descend",
            paths=_paths([surface], runs, fps if animate else None),
        )
    return None


@cli.command(
    "data",
    epilog="Built-in datasets:\n\n"
    + "\n\n".join(f"{name}: {entry.description}" for name, entry in DATASETS.items()),
)
@click.argument("task", type=click.Choice(TASKS), default="regression")
@dataset_option
@click.option("--n", type=int, default=40, show_default=True, help="Number of points.")
@click.option(
    "--true-w1", type=float, default=1.5, show_default=True, help="Slope of the true line."
)
@click.option(
    "--true-w2", type=float, default=0.5, show_default=True, help="Intercept of the true line."
)
@click.option(
    "--noise",
    type=float,
    default=0.2,
    show_default=True,
    help="Regression: standard deviation of the Gaussian noise on y.",
)
@click.option(
    "--seed", type=int, default=11, show_default=True, help="Random seed (the lesson's is 11)."
)
@click.option(
    "--outliers",
    type=float,
    default=0.0,
    show_default=True,
    help="Regression: share of points moved 3 to 6 above the line.",
)
@click.option(
    "--flip",
    type=float,
    default=0.0,
    show_default=True,
    help="Classification: share of labels flipped.",
)
@output_options(["csv", "json"])
@click.pass_context
def data_command(
    ctx: click.Context,
    /,
    task: Task,
    dataset_name: str | None,
    output_format: str,
    output: str | None,
    **synthetic: Any,
) -> None:
    """Print a dataset as CSV or JSON: the lesson's synthetic data for TASK (regression or
    classification), or a built-in set with --dataset (TASK then defaults to its own).

    Synthetic data: x is uniform in [-1, 1]. Regression: y = true_w1·x + true_w2 + Gaussian
    noise. Classification: y = +1 where true_w1·x + true_w2 > 0, else -1. The defaults give
    the lesson's data exactly; the output feeds `losscli surface --data`.
    """
    from losscli import data, datasets

    typed = [name for name in SYNTHETIC_OPTIONS if _given(ctx, name)]
    with reported_errors():
        if dataset_name is None:
            dataset = data.synthetic(task, **synthetic)
        else:
            builtin = datasets.get_dataset(dataset_name)
            if not _given(ctx, "task"):
                task = builtin.tasks[0]
            elif task not in builtin.tasks:
                raise OptionError("TASK", f"{builtin.name} is a {builtin.tasks[0]} dataset")
            dataset = datasets.load(builtin.name, task, task, synthetic, typed)
        emit(data.to_json(dataset) if output_format == "json" else data.to_csv(dataset), output)


def _loss_record(loss: Loss) -> dict[str, Any]:
    """One catalogue entry as JSON: what `losses --format json` lists."""
    return {
        "name": loss.name,
        "aliases": list(loss.aliases),
        "task": loss.task,
        "summary": loss.summary,
        "formula": loss.formula,
        "gradient": loss.gradient_formula,
        "params": [
            {"name": p.name, "default": p.default, "range": p.range_text, "help": p.help}
            for p in loss.params
        ],
        "convex": loss.convex,
        "advice": loss.advice,
    }


def _loss_details(loss: Loss, width: int) -> str:
    """One loss in full, as `losses NAME` prints it, long values wrapped under themselves."""
    import textwrap

    rows = [
        ("task", loss.task),
        ("formula", loss.formula),
        ("gradient", "dℓ/dp = " + loss.gradient_formula),
        ("reduction", "mean over points" if loss.per_point else "whole dataset at once"),
        ("convex", "yes, in (w1, w2)" if loss.convex else "no (not guaranteed)"),
        ("aliases", ", ".join(loss.aliases) or "–"),
    ]
    rows += [
        ("params" if i == 0 else "", f"{p.option} {p.default:g}  ({p.range_text})  {p.help}")
        for i, p in enumerate(loss.params)
    ] or [("params", "–")]
    rows.append(("advice", loss.advice))
    lines = [f"{loss.name} — {loss.label}"]
    lines += textwrap.wrap(loss.summary, width, initial_indent="  ", subsequent_indent="  ")
    lines.append("")
    for key, value in rows:
        head = f"  {key:<10} "
        lines += textwrap.wrap(value, width, initial_indent=head, subsequent_indent=" " * len(head))
    return "\n".join(lines) + "\n"


@cli.command("losses")
@click.argument("name", required=False, shell_complete=_complete_loss)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Output format.",
)
def losses_command(name: str | None, output_format: str) -> None:
    """List the loss catalogue (name, task, formula, parameters), or show loss NAME in full:
    formula, gradient, parameters and their ranges, convexity, advice, aliases.

    NAME may be an alias or a formula `expr:...`.
    """
    import json

    for broken, reason in PLUGIN_PROBLEMS.items():
        click.echo(f"Warning: plugin loss {broken!r} was not loaded: {reason}", err=True)
    if name is not None:
        with reported_errors():
            loss = get_loss(name)
        if output_format == "json":
            click.echo(json.dumps(_loss_record(loss), indent=2))
        else:
            columns = min(_terminal_width() or 100, 100)
            click.echo(_loss_details(loss, max(columns, 40)), nl=False)
        return
    if output_format == "json":
        click.echo(json.dumps([_loss_record(loss) for loss in CATALOGUE.values()], indent=2))
        return
    from rich.table import Table

    from losscli.render.colormap import make_console
    from losscli.render.pictures import print_trimmed

    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("loss", max_width=17)  # aliases wrap under the name, leaving the formula room
    table.add_column("task", no_wrap=True)
    table.add_column("per-point formula")
    table.add_column("parameters")
    for loss in CATALOGUE.values():
        label = loss.name + (f" ({', '.join(loss.aliases)})" if loss.aliases else "")
        params = "\n".join(f"{p.option} {p.default:g}" for p in loss.params) or "–"
        table.add_row(label, loss.task, loss.formula, params)
    print_trimmed(make_console(file=sys.stdout), table)


@cli.command("eval")
@loss_options
@click.option("--w1", type=float, required=True, help="Slope of the line to evaluate at.")
@click.option("--w2", type=float, required=True, help="Intercept of the line to evaluate at.")
@data_options
@output_options(["text", "json"])
@click.pass_context
def eval_command(
    ctx: click.Context,
    /,
    loss_names: tuple[str, ...],
    w1: float,
    w2: float,
    data_path: str | None,
    dataset_name: str | None,
    output_format: str,
    output: str | None,
    **rest: Any,
) -> None:
    """Print each loss's value and gradient at one point (w1, w2) of the line p = w1·x + w2.

    The gradient is dL/dw1 = Σ dL/dp_i·x_i and dL/dw2 = Σ dL/dp_i, from the catalogue's
    analytic dL/dp (a central difference for expr: formulas). Several --loss give several
    rows; JSON gives a list of {"loss", "params", "w1", "w2", "value", "gradient"}, with
    null for a value that is not finite.
    """
    from losscli.evaluate import evaluate
    from losscli.render.point import to_json, to_text

    synthetic = {name: rest.pop(name) for name in SYNTHETIC_OPTIONS}
    with reported_errors():
        chosen = _chosen_losses(ctx, loss_names, rest)
        dataset_for = _datasets(ctx, data_path, dataset_name, synthetic)
        points = [evaluate(loss, params, dataset_for(loss), w1, w2) for loss, params in chosen]
        emit(to_json(points) if output_format == "json" else to_text(points), output)


def _withdraw_shadowing_plugins() -> None:
    """A plugin parameter whose option is one of losscli's own (a `--scale`, say) would shadow
    it: its loss leaves the catalogue, and its options leave every command. Runs once every
    command is defined."""
    own = {
        opt
        for command in cli.commands.values()
        for param in command.params
        if not isinstance(param, LossParamOption)
        for opt in param.opts
    }
    for name in sorted(PLUGINS):
        clashes = [p.option for p in CATALOGUE[name].params if p.option in own]
        if clashes:
            withdraw(name, f"its parameter {clashes[0]} would shadow losscli's own option")
    kept = all_params()
    for command in cli.commands.values():
        command.params = [
            p for p in command.params if not isinstance(p, LossParamOption) or p.name in kept
        ]


_withdraw_shadowing_plugins()


COMPLETE_VAR = "_LOSSCLI_COMPLETE"
"""The environment variable Click's completion protocol talks through."""
SHELLS = ("bash", "zsh", "fish")


@cli.command("completion")
@click.argument("shell", type=click.Choice(SHELLS))
def completion_command(shell: str) -> None:
    """Print the tab-completion script for SHELL: bash, zsh or fish.

    It completes commands, options, loss names, choices and file paths. Install it with:

    \b
      bash:  echo 'eval "$(losscli completion bash)"' >> ~/.bashrc
      zsh:   echo 'eval "$(losscli completion zsh)"' >> ~/.zshrc
      fish:  losscli completion fish > ~/.config/fish/completions/losscli.fish
    """
    script = completion_script(shell)
    click.echo(script, nl=not script.endswith("\n"))  # as Click's own protocol prints it


def completion_script(shell: str) -> str:
    """The script Click generates from this app: what `_LOSSCLI_COMPLETE=bash_source` prints."""
    from click.shell_completion import get_completion_class

    complete = get_completion_class(shell)
    if complete is None:  # pragma: no cover - Click ships all three
        raise click.BadParameter(f"no completion for {shell}")
    return complete(cli, {}, "losscli", COMPLETE_VAR).source()


def main() -> None:
    """The console script: Unix conventions for pipes and Ctrl-C around the Click group.

    A reader that closes the pipe early (`losscli data --n 1000000 | head -1`) ends losscli
    quietly by SIGPIPE, as it ends `cat` or `yes`; Ctrl-C prints "interrupted" on stderr and
    exits with status 130, the shell's code for SIGINT.
    """
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        status = cli.main(prog_name="losscli", standalone_mode=False)
    except click.exceptions.Abort:  # Click's name for KeyboardInterrupt and EOF at a prompt
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    sys.exit(status if isinstance(status, int) else 0)


if __name__ == "__main__":
    main()
