"""Options shared between commands, as small decorators that each hand the command one typed
spec instead of a dozen keywords: the data's source (`DataRequest`), the grid (`GridSpec`),
the view (`ViewOptions`) and its pictures; the losses' are in `losscli.cli.loss_options`.

A spec records which options the user typed (`given`), since some choices depend on it: a
built-in dataset's own window unless a range is typed, a hyper-parameter no chosen loss takes
refused only when typed.
"""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any, NamedTuple, TypeVar

import click
from click.core import ParameterSource

from losscli.cli.errors import usage_error
from losscli.cli.reading import READING_OPTIONS, reading_from, refuse_reading
from losscli.data.builtin import DATASETS
from losscli.defaults import (
    GRID_STEPS,
    LEARNING_RATE,
    LESSON_DATA,
    LESSON_WINDOW,
    MAX_SECONDS,
    MOMENTUM,
    SCALES,
    SYNTHETIC_SETTINGS,
    option_name,
)

if TYPE_CHECKING:
    from losscli.data.columns import Reading
    from losscli.data.sources import Source
    from losscli.engine.axis import GridSpec
    from losscli.output import Content
    from losscli.render.view import Pictures, ViewOptions

F = TypeVar("F", bound=Callable[..., Any])


class NumberRange(click.FloatRange):
    """A float in a range, never nan (which a plain range lets through), and ±inf only where
    `infinite` says it means something (no limit)."""

    def __init__(self, *args: Any, infinite: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.infinite = infinite

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if math.isnan(number) or (math.isinf(number) and not self.infinite):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return number


def given(ctx: click.Context, name: str) -> bool:
    """Whether the user typed this option (rather than it taking its default)."""
    return ctx.get_parameter_source(name) in (
        ParameterSource.COMMANDLINE,
        ParameterSource.ENVIRONMENT,
    )


def bundle(
    options: Sequence[Callable[[Any], Any]],
    into: str,
    build: Callable[[click.Context, dict[str, Any]], Any],
) -> Callable[[F], F]:
    """Add the options to a command and hand it `into=build(ctx, values)` in their place,
    `values` being the options' values by parameter name."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            values = {name: kwargs.pop(name) for name in names if name in kwargs}
            kwargs[into] = build(click.get_current_context(), values)
            return func(*args, **kwargs)

        before = len(getattr(wrapper, "__click_params__", []))  # the options of inner decorators
        for option in reversed(options):
            option(wrapper)  # appends its parameter to the list Click keeps on the function
        names = [param.name for param in wrapper.__click_params__[before:]]  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


# ---------------------------------------------------------------------------------------------
# Data.


class DataRequest(NamedTuple):
    """--data PATH, or --dataset NAME (None: the lesson's), and the synthetic settings, with
    the names of those typed; how the file is read (--x, --y, --delimiter, --strict)."""

    path: str | None
    dataset: str | None
    synthetic: Mapping[str, Any]
    given: tuple[str, ...]
    reading: Reading | None = None

    def source(self, *, also_used: Collection[str] = ()) -> Source:
        """The core's `Source`; synthetic settings are refused with --data, except those in
        `also_used` (options that mean something besides the data, such as descend's --seed
        for its mini-batches)."""
        from losscli.data.columns import Reading
        from losscli.data.sources import Source

        if self.path is None:
            refuse_reading(self.reading)
        else:
            if self.dataset is not None:
                raise usage_error(
                    "--dataset", "cannot be used with --data: choose one source of points"
                )
            if misplaced := [name for name in self.given if name not in also_used]:
                raise usage_error(
                    option_name(misplaced[0]),
                    "sets up synthetic data and cannot be used with --data",
                )
        reading = self.reading or Reading()
        return Source(self.path, self.dataset, self.synthetic, self.given, reading)


def dataset_option(func: F) -> F:
    """--dataset NAME: one of the built-in datasets."""
    names = ", ".join(DATASETS)
    return click.option(
        "--dataset",
        "dataset_name",
        type=click.Choice(list(DATASETS), case_sensitive=False),
        help=f"Built-in dataset: {names} (see `losscli data --help`). Default: lesson.",
    )(func)


def synthetic_options(helps: Mapping[str, str]) -> list[Callable[[F], F]]:
    """One option per setting of the lesson's generator, its default the lesson's."""
    types = {"n": int, "seed": int}
    return [
        click.option(
            option_name(name),
            name,
            type=types.get(name, float),
            default=getattr(LESSON_DATA, name),
            show_default=True,
            help=helps[name],
        )
        for name in SYNTHETIC_SETTINGS
    ]


SYNTHETIC_HELP = {
    "n": "Synthetic: number of points.",
    "true_w1": "Synthetic: slope of the true line.",
    "true_w2": "Synthetic: intercept of the true line.",
    "noise": "Synthetic: standard deviation of the Gaussian noise on y.",
    "seed": "Synthetic: random seed (the lesson's is 11).",
    "outliers": "Synthetic regression: share of points moved 3 to 6 above the line.",
    "flip": "Synthetic classification: share of labels flipped.",
}


def data_options(func: F) -> F:
    """--data (and how to read it: `losscli.cli.reading`) or --dataset, and the options of the
    lesson's synthetic generator, handed to the command as `data: DataRequest`."""
    options = [
        click.option(
            "--data",
            "data_path",
            metavar="PATH",
            type=click.Path(allow_dash=True, readable=False),  # the reader says why it cannot
            help="Points to use: CSV (columns x,y or chosen with --x/--y; header optional; "
            "comma, semicolon, tab or space separated) or JSON (also pandas' to_json shapes); "
            "'-' reads standard input. Default: the lesson's synthetic data.",
        ),
        *READING_OPTIONS,
        dataset_option,
        *synthetic_options(SYNTHETIC_HELP),
    ]

    def build(ctx: click.Context, values: dict[str, Any]) -> DataRequest:
        path, dataset = values.pop("data_path"), values.pop("dataset_name")
        reading = reading_from(values)
        typed = tuple(name for name in SYNTHETIC_SETTINGS if given(ctx, name))
        return DataRequest(path, dataset, values, typed, reading)

    return bundle(options, "data", build)(func)


# ---------------------------------------------------------------------------------------------
# Grid, view and output.


def grid_options(steps_flag: str = "--steps") -> Callable[[F], F]:
    """The grid's options, handed to the command as `grid: GridSpec`; `steps_flag` names the
    points-per-axis option (--steps, or --grid-steps where --steps means something else)."""
    steps_name = steps_flag.lstrip("-").replace("-", "_")
    (w1_low, w1_high), (w2_low, w2_high) = LESSON_WINDOW
    options = [
        click.option(
            "--w1-range",
            type=(float, float),
            default=(w1_low, w1_high),
            metavar="LO HI",
            help=f"Range of the slope w1 (horizontal axis). Default: the lesson's {w1_low:g} "
            f"{w1_high:g}, a dataset's own, or where those miss a minimum (and for --data the "
            "lesson's does not show it well), a window chosen from the data.",
        ),
        click.option(
            "--w2-range",
            type=(float, float),
            default=(w2_low, w2_high),
            metavar="LO HI",
            help="Range of the intercept w2 (vertical axis). Default: as for --w1-range.",
        ),
        click.option(
            steps_flag,
            steps_name,
            type=click.IntRange(min=2),
            default=GRID_STEPS,
            show_default=True,
            help="Grid points along each axis.",
        ),
        click.option(
            "--w1-steps",
            type=click.IntRange(min=2),
            help=f"Grid points along w1 (overrides {steps_flag}).",
        ),
        click.option(
            "--w2-steps",
            type=click.IntRange(min=2),
            help=f"Grid points along w2 (overrides {steps_flag}).",
        ),
    ]

    def build(ctx: click.Context, values: dict[str, Any]) -> GridSpec:
        from losscli.engine.axis import GridSpec

        steps = values[steps_name]
        return GridSpec(
            values["w1_range"] if given(ctx, "w1_range") else None,
            values["w2_range"] if given(ctx, "w2_range") else None,
            values["w1_steps"] or steps,
            values["w2_steps"] or steps,
        )

    return bundle(options, "grid", build)


def view_options(func: F) -> F:
    """How grids are drawn, handed to the command as `view: ViewOptions`."""
    return _view_options(func, shared_bands=False)


def maps_view_options(func: F) -> F:
    """`view_options` and --shared-bands, for the commands that draw panels side by side."""
    return _view_options(func, shared_bands=True)


FIT_OPTIONS = (
    click.option(
        "--width",
        type=click.IntRange(min=20),
        metavar="COLUMNS",
        help="Fit the view to this many columns (default: $COLUMNS or the terminal's). "
        "Grids too large for it are thinned to fit, the minimum's cell kept; panels wrap.",
    ),
    click.option(
        "--height",
        type=click.IntRange(min=10),
        metavar="LINES",
        help="Fit the map view to a terminal this many lines tall, leaving the last line for "
        "the prompt (default: $LINES or the terminal's; none in a pipe): panels are "
        "arranged, thinned and drawn more compactly to fit.",
    ),
)
"""--width and --height: the room the view fits into."""

SHARED_BANDS = click.option(
    "--shared-bands",
    is_flag=True,
    help="Panels of the same loss (a delta comparison) share one band scale, so equal "
    "colours mean equal heights; each panel still stars its own minimum.",
)
"""--shared-bands, for the commands that draw several panels of one loss."""


def _view_options(func: F, *, shared_bands: bool) -> F:
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
            type=click.Choice(list(SCALES)),
            default=SCALES[0],
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
        *FIT_OPTIONS,
        *([SHARED_BANDS] if shared_bands else []),
    ]

    def build(ctx: click.Context, values: dict[str, Any]) -> ViewOptions:
        from losscli.render.view import ViewOptions

        return ViewOptions(**values)

    return bundle(options, "view", build)(func)


def picture_options(func: F) -> F:
    """--save-svg and --save-html: the view as pictures, in colour, handed to the command as
    `pictures: Pictures`."""
    options = [
        click.option(
            "--save-svg",
            metavar="PATH",
            type=click.Path(dir_okay=False, writable=True, allow_dash=True),
            help="Also write the view, in colour, as an SVG picture (for slides).",
        ),
        click.option(
            "--save-html",
            metavar="PATH",
            type=click.Path(dir_okay=False, writable=True, allow_dash=True),
            help="Also write the view, in colour, as an HTML page.",
        ),
    ]

    def build(ctx: click.Context, values: dict[str, Any]) -> Pictures:
        from losscli.render.view import Pictures

        return Pictures(values["save_svg"], values["save_html"])

    return bundle(options, "pictures", build)(func)


def max_seconds_option(func: F) -> F:
    """--max-seconds: sweeps expected to take longer are refused before they start."""
    return click.option(
        "--max-seconds",
        type=NumberRange(min=0, min_open=True, infinite=True),
        default=MAX_SECONDS,
        show_default=True,
        metavar="SECONDS",
        help="Refuse, before starting, sweeps the engine expects to take longer than this "
        "(an estimate: raise it to run a long sweep anyway).",
    )(func)


def lr_option(func: F) -> F:
    """--lr: the optimizer's learning rate (descend's walks, landscape's training)."""
    return click.option(
        "--lr", type=float, default=LEARNING_RATE, show_default=True, help="Learning rate."
    )(func)


def momentum_option(func: F) -> F:
    """--momentum: momentum's and nesterov's coefficient (descend, landscape)."""
    return click.option(
        "--momentum",
        type=float,
        default=MOMENTUM,
        show_default=True,
        help="Momentum coefficient of momentum and nesterov, in [0, 1).",
    )(func)


def output_path_option(func: F) -> F:
    """-o PATH, handed to the command as `output`."""
    return click.option(
        "-o",
        "--output",
        metavar="PATH",
        type=click.Path(dir_okay=False, writable=True, allow_dash=True),
        help="Write to this file instead of standard output (replaced whole, never half-written; "
        "'-' is standard output).",
    )(func)


def output_options(formats: Iterable[str], help: str = "Output format.") -> Callable[[F], F]:
    """--format (the first format by default) and -o PATH, handed to the command as
    `output_format` and `output`."""
    choices = list(formats)

    def decorate(func: F) -> F:
        return click.option(
            "--format",
            "output_format",
            type=click.Choice(choices),
            default=choices[0],
            show_default=True,
            help=help,
        )(output_path_option(func))

    return decorate


def emit(content: Content, output: str | None) -> None:
    """Write the result to `-o PATH` (see `losscli.output`), or as text to standard output;
    chunks of text as they come."""
    if output is None:
        for chunk in [content] if isinstance(content, str | bytes) else content:
            assert isinstance(chunk, str)
            echo(chunk)
    else:
        from losscli.output import write_output

        write_output(output, content)


def check_destination(output: str | None, pictures: Pictures | None = None) -> None:
    """Refuse, before any work, an `-o` or picture path that cannot be written."""
    from losscli.cli.pictures import check_picture_suffix
    from losscli.output import check_target

    paths = {"output": output}
    if pictures is not None:
        paths.update(save_svg=pictures.svg, save_html=pictures.html)
    for field, path in paths.items():
        if path is not None:
            if field != "output":
                check_picture_suffix("--" + field.replace("_", "-"), path)
            check_target(path, field)


def echo(text: str) -> None:
    """Text on standard output as it is (Click copes with a stream that lacks UTF-8); a closed
    standard output is an error, not a result silently lost."""
    from losscli.render.console import standard_output

    standard_output()
    click.echo(text, nl=False)


def standard_input() -> IO[bytes] | None:
    """Standard input's bytes, or None where it is closed (`<&-`)."""
    return sys.stdin.buffer if sys.stdin is not None else None


def warn(message: str) -> None:
    """A warning on standard error: the work goes on."""
    click.echo(f"Warning: {message}", err=True)
