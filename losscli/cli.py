"""The command-line interface: parse options, call the core, hand the results to a renderer.

Only Click is imported at start-up; numpy and Rich load inside the commands that use them, so
`losscli --help` and shell completion stay fast. The core raises `DataError` (reported with
exit status 1) and `OptionError` (a usage error, exit status 2); nothing else reaches the user
as a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import click
from click.core import ParameterSource
from click.shell_completion import CompletionItem

from losscli import __version__
from losscli.errors import DataError, OptionError
from losscli.losses import CATALOGUE, LESSON_LOSSES, TASKS, all_params, get_loss, loss_names

if TYPE_CHECKING:
    from rich.console import RenderableType

    from losscli.data import Dataset
    from losscli.grid import Grid
    from losscli.losses import Loss
    from losscli.render.pictures import Look, View
    from losscli.sweep import Surface

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


def loss_options(func: F) -> F:
    """--loss (repeatable) and one option per hyper-parameter found in the catalogue."""
    for param in reversed(all_params().values()):
        users = ", ".join(loss.name for loss in CATALOGUE.values() if param in loss.params)
        func = click.option(
            param.option,
            param.name,
            type=float,
            default=param.default,
            show_default=True,
            help=f"{param.help} ({users}; {param.range_text})",
        )(func)
    return click.option(
        "--loss",
        "-l",
        "loss_names",
        multiple=True,
        metavar="NAME",
        shell_complete=_complete_loss,
        help="Loss to show; repeat for several panels. Default: the lesson's "
        f"{', '.join(LESSON_LOSSES)}. See `losscli losses`.",
    )(func)


def data_options(func: F) -> F:
    """--data, or the options of the lesson's synthetic generator."""
    options = [
        click.option(
            "--data",
            "data_path",
            metavar="PATH",
            type=click.Path(dir_okay=False, allow_dash=True),
            help="Points to use: CSV with columns x,y (header optional) or JSON; '-' reads "
            "standard input. Default: the lesson's synthetic data.",
        ),
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


def grid_options(func: F) -> F:
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
            "--steps",
            type=click.IntRange(min=2),
            default=21,
            show_default=True,
            help="Grid points along each axis.",
        ),
        click.option(
            "--w1-steps",
            type=click.IntRange(min=2),
            help="Grid points along w1 (overrides --steps).",
        ),
        click.option(
            "--w2-steps",
            type=click.IntRange(min=2),
            help="Grid points along w2 (overrides --steps).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def view_options(func: F) -> F:
    options = [
        click.option(
            "--style",
            type=click.Choice(["map", "plain"]),
            default="map",
            show_default=True,
            help="map: coloured panels with axes and legend; plain: the lesson's figure, one character a cell.",
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
    ctx: click.Context, data_path: str | None, synthetic: dict[str, Any]
) -> Callable[[Loss], Dataset]:
    """A function giving each loss its dataset: the user's file, or synthetic data for its task."""
    from losscli import data

    if data_path is not None:
        for name in SYNTHETIC_OPTIONS:
            if _given(ctx, name):
                option = "--" + name.replace("_", "-")
                raise OptionError(option, "sets up synthetic data and cannot be used with --data")
        stdin = click.get_binary_stream("stdin")
        loaded = data.read_source(data_path, stdin)
        return lambda loss: loaded
    cache: dict[str, Dataset] = {}

    def for_task(loss: Loss) -> Dataset:
        if loss.task not in cache:
            cache[loss.task] = data.synthetic(loss.task, **synthetic)
        return cache[loss.task]

    return for_task


@cli.command()
@loss_options
@data_options
@grid_options
@view_options
@picture_options
@output_options(
    ["text", "json", "ndjson", "csv", "npz"],
    help="text: the view; json: one document; ndjson: one surface a line; csv: one cell a row; "
    "npz: numpy's arrays (needs -o). Data keeps the grid's full resolution.",
)
@click.pass_context
def surface(
    ctx: click.Context,
    loss_names: tuple[str, ...],
    data_path: str | None,
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
    **rest: Any,
) -> None:
    """Sweep losses over a grid of (w1, w2) and draw their surfaces side by side.

    Each panel marks the grid's minimum with a star. With no --loss it shows the lesson's four
    losses, each on the synthetic dataset its task needs. `values[i][j]` in the JSON is the
    mean loss at w2 = w2[i], w1 = w1[j]; `losscli render` draws it again.
    """
    from losscli.sweep import Axis, sweep

    synthetic = {name: rest.pop(name) for name in SYNTHETIC_OPTIONS}
    with reported_errors():
        _check_output(output_format, output, save_svg, save_html)
        chosen = _chosen_losses(ctx, loss_names, rest)
        dataset_for = _datasets(ctx, data_path, synthetic)
        if data_path is not None and not loss_names:  # hinge only where y holds labels
            labelled = dataset_for(chosen[0][0]).is_labelled()
            chosen = [(loss, p) for loss, p in chosen if loss.task == "regression" or labelled]
        w1 = Axis("w1", *w1_range, w1_steps or steps)
        w2 = Axis("w2", *w2_range, w2_steps or steps)
        surfaces = [sweep(loss, params, dataset_for(loss), w1, w2) for loss, params in chosen]
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
) -> None:
    """Draw grids in the chosen style to standard output or -o PATH, and as pictures."""
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
        )
    from losscli.render.colormap import render_maps

    def maps(look: Look) -> RenderableType:
        return render_maps(
            grids,
            levels=levels or (8 if look.color else 4),
            scale=scale,
            origin=origin,
            color=look.color,
            unicode=look.unicode,
            width=look.width,
        )

    return show_view(
        maps,
        color=color,
        width=width,
        output=output,
        save_svg=save_svg,
        save_html=save_html,
        title=title,
    )


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
) -> None:
    """The lesson's figure as text; it fits a width only when one is known (see --width)."""
    from losscli.render.plain import render_plain

    unicode = output is not None or _stdout_has_unicode()
    known_width = width or (None if output else _terminal_width())
    text = render_plain(
        grids, levels=levels, scale=scale, origin=origin, unicode=unicode, width=known_width
    )
    emit(text, output)
    if save_svg or save_html:
        from rich.text import Text

        from losscli.render.pictures import save_pictures

        drawn = max(len(line) for line in text.splitlines())
        figure = Text(text.rstrip("\n"), no_wrap=True)
        save_pictures(lambda look: figure, drawn, svg=save_svg, html=save_html, title=title)
    return None


def show_view(
    view: View,
    *,
    color: str,
    width: int | None,
    output: str | None,
    save_svg: str | None,
    save_html: str | None,
    title: str,
) -> None:
    """Print a Rich view to standard output or -o PATH; save it as SVG/HTML when asked.

    Every command that draws (surface, render, descend) shows its view through here, so
    --color, --width, --save-svg and --save-html behave the same everywhere.
    """
    import io

    from losscli.render.colormap import make_console
    from losscli.render.pictures import show

    buffer = io.StringIO() if output else None
    stream = buffer if buffer is not None else click.get_text_stream("stdout")
    console = make_console(color=color, file=stream, width=width)
    unicode = output is not None or _stdout_has_unicode()
    show(view, console, unicode=unicode, svg=save_svg, html=save_html, title=title)
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
    if click.get_text_stream("stdout").isatty():
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

    All the view options of surface apply. Reads what `surface --format json` or `--format ndjson` wrote, also after jq has
    filtered or changed it, and any tool's {"w1": [...], "w2": [...], "values": [[...]]}
    where values[i][j] is the value at w2[i], w1[j] (null for a missing value; other keys
    are ignored; "title" or "loss" names the panel). The minimum is found from the values.
    """
    from losscli.data import read_bytes
    from losscli.grid import read_grids

    with reported_errors():
        grids = read_grids(*read_bytes(source, click.get_binary_stream("stdin")))
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


@cli.command("data")
@click.argument("task", type=click.Choice(TASKS), default="regression")
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
def data_command(task: str, output_format: str, output: str | None, **synthetic: Any) -> None:
    """Print a synthetic dataset (TASK: regression or classification) as CSV or JSON.

    x is uniform in [-1, 1]. Regression: y = true_w1·x + true_w2 + Gaussian noise.
    Classification: y = +1 where true_w1·x + true_w2 > 0, else -1. The defaults give the
    lesson's data exactly; the output feeds `losscli surface --data`.
    """
    from losscli import data

    with reported_errors():
        dataset = data.synthetic(task, **synthetic)  # type: ignore[arg-type]
        emit(data.to_json(dataset) if output_format == "json" else data.to_csv(dataset), output)


@cli.command("losses")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Output format.",
)
def losses_command(output_format: str) -> None:
    """List the loss catalogue: name, task, formula and parameters."""
    if output_format == "json":
        import json

        entries = [
            {
                "name": loss.name,
                "aliases": list(loss.aliases),
                "task": loss.task,
                "summary": loss.summary,
                "formula": loss.formula,
                "gradient": loss.gradient_formula,
                "params": [
                    {"name": p.name, "default": p.default, "range": p.range_text}
                    for p in loss.params
                ],
                "convex": loss.convex,
                "advice": loss.advice,
            }
            for loss in CATALOGUE.values()
        ]
        click.echo(json.dumps(entries, indent=2))
        return
    from rich.table import Table

    from losscli.render.colormap import make_console

    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("loss", "task", "per-point formula", "parameters"):
        table.add_column(column)
    for loss in CATALOGUE.values():
        name = loss.name + (f" ({', '.join(loss.aliases)})" if loss.aliases else "")
        params = ", ".join(f"--{p.name} {p.default:g}" for p in loss.params) or "–"
        table.add_row(name, loss.task, loss.formula, params)
    make_console(file=click.get_text_stream("stdout")).print(table)


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
    click.echo(completion_script(shell))


def completion_script(shell: str) -> str:
    """The script Click generates from this app: what `_LOSSCLI_COMPLETE=bash_source` prints."""
    from click.shell_completion import get_completion_class

    complete = get_completion_class(shell)
    if complete is None:  # pragma: no cover - Click ships all three
        raise click.BadParameter(f"no completion for {shell}")
    return complete(cli, {}, "losscli", COMPLETE_VAR).source()


def main() -> None:
    """The console script's entry point."""
    cli(prog_name="losscli")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
