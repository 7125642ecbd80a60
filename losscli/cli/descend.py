"""`losscli descend`: walk downhill on one loss's surface and draw the paths over its map."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import click

from losscli import __version__
from losscli.cli.errors import reported_errors, usage_error
from losscli.cli.loss_options import loss_options
from losscli.cli.options import (
    F,
    NumberRange,
    bundle,
    check_destination,
    data_options,
    echo,
    emit,
    grid_options,
    lr_option,
    max_seconds_option,
    momentum_option,
    output_options,
    picture_options,
    standard_input,
    view_options,
    warn,
)
from losscli.cli.repeats import OnceCommand
from losscli.cli.workers import workers_option
from losscli.defaults import CONVERGENCE_TOLERANCE, DESCENT_STEPS, OPTIMIZER
from losscli.descent.optimizers import OPTIMIZERS

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from losscli.catalogue import Loss
    from losscli.cli.loss_options import LossRequest
    from losscli.cli.options import DataRequest
    from losscli.data.sources import Points
    from losscli.descent.walk import Run, Settings
    from losscli.engine import GridSpec, Surface
    from losscli.engine.axis import Axis
    from losscli.render.view import Pictures, ViewOptions


class WalkRequest(NamedTuple):
    """Where the walks start (None: the corner farthest from the grid minimum), which
    optimizers walk, and the settings they share but for the seed."""

    start: tuple[float, float] | None
    optimizers: tuple[str, ...]
    settings: dict[str, Any]


def walk_options(func: F) -> F:
    """The walk's options, handed to the command as `walk: WalkRequest`."""
    options = [
        click.option(
            "--start",
            type=(float, float),
            metavar="W1 W2",
            help="Where the walk starts. Default: the grid corner farthest from the grid minimum.",
        ),
        click.option(
            "--optimizer",
            "optimizers",
            multiple=True,
            type=click.Choice(list(OPTIMIZERS)),
            help=f"Update rule; repeat to draw several paths. Default: {OPTIMIZER}. "
            + "; ".join(f"{o.name}: {o.summary}" for o in OPTIMIZERS.values()),
        ),
        lr_option,
        click.option(
            "--steps",
            type=int,
            default=DESCENT_STEPS,
            show_default=True,
            help="Maximum number of steps.",
        ),
        click.option(
            "--tol",
            type=float,
            default=CONVERGENCE_TOLERANCE,
            show_default=True,
            help="Converged when the step's length and the change in loss are both below this.",
        ),
        momentum_option,
        click.option(
            "--batch-size",
            type=int,
            help="Points per step, drawn afresh each step (stochastic gradient descent), seeded "
            "by --seed. Default: all points (full batch).",
        ),
    ]

    def build(ctx: click.Context, values: dict[str, Any]) -> WalkRequest:
        return WalkRequest(values.pop("start"), values.pop("optimizers"), values)

    return bundle(options, "walk", build)(func)


@click.command("descend", cls=OnceCommand)
@loss_options(walk="mse")
@data_options
@grid_options("--grid-steps")
@view_options
@walk_options
@picture_options
@click.option("--animate", is_flag=True, help="Redraw the map step by step on a terminal.")
@click.option(
    "--fps",
    type=NumberRange(min=0.01, max=1000),
    default=20.0,
    show_default=True,
    help="Steps per second of --animate (steps that move no path to a new cell are skipped).",
)
@max_seconds_option
@workers_option
@output_options(["text", "json"])
def descend_command(
    losses: LossRequest,
    data: DataRequest,
    grid: GridSpec,
    view: ViewOptions,
    walk: WalkRequest,
    pictures: Pictures,
    animate: bool,
    fps: float,
    max_seconds: float,
    workers: int | None,
    output_format: str,
    output: str | None,
) -> None:
    """Walk downhill on each loss's surface from --start and draw the paths over its map.

    Several --loss values (-l mse -l mae) each get their own map, paths and table.

    Each run stops for one reason: converged (step and loss change below --tol),
    max_steps, zero_gradient (the gradient is exactly zero: hinge's plateau) or diverged
    (the loss is not finite or grew past 1e6 times its start). Leaving the drawn window is not
    a stop. --format json writes every step (a document a line for several losses);
    `losscli surface --path FILE` draws it again.

    \b
      losscli descend --loss mse --start -1.5 3.5 --lr 0.3 --steps 60
      losscli descend --loss mae --optimizer gd --optimizer adam
      losscli descend --loss hinge --dataset separable --start 3 0
    """
    from losscli import engine
    from losscli.data.sources import Points
    from losscli.descent.runs import runs_document
    from losscli.descent.walk import Settings
    from losscli.engine.window import plan_grid
    from losscli.limits import check_grid
    from losscli.render.view import Destination, Paths, show

    with reported_errors():
        check_destination(output, pictures)
        if animate and output_format != "text":
            raise usage_error(
                "--animate", f"draws the map; it cannot be used with --format {output_format}"
            )
        if len(set(walk.optimizers)) < len(walk.optimizers):
            raise usage_error("--optimizer", "each optimizer can be given once")
        chosen = losses.resolve()
        settings = Settings(**walk.settings, seed=data.synthetic["seed"])
        if data.path is not None and "seed" in data.given and settings.batch_size is None:
            raise usage_error(
                "--seed", "with --data it seeds only --batch-size, which is not given"
            )
        points = Points(data.source(also_used=("seed",)), standard_input(), warn)
        check_grid(grid.w1_steps, grid.w2_steps, len(chosen))  # before any work on the data
        found, window, w1, w2 = plan_grid(grid, points, chosen)
        engine.use_workers(workers)
        surfaces, walked = _walk_each(
            chosen,
            points,
            (w1, w2),
            lambda k, s: s.with_optimum(found[k], window),
            walk,
            settings,
            max_seconds,
        )
        if output_format == "json":
            import json

            documents = [runs_document(*one, __version__) for one in walked]
            text = "".join(json.dumps(d, allow_nan=False) + "\n" for d in documents)
            return emit(text, output)
        show(
            surfaces,
            view,
            Destination(output, pictures),
            title="losscli descend",
            echo=echo,
            paths=Paths(
                [run for _, _, runs in walked for run in runs],
                animate_fps=fps if animate else None,
                own=True,
            ),
            notes=[*points.notes(), *([line] if (line := window.line()) else [])],
        )
    return None


def _walk_each(
    chosen: Sequence[tuple[Loss, Mapping[str, float]]],
    points: Points,
    axes: tuple[Axis, Axis],
    finish: Callable[[int, Surface], Surface],
    walk: WalkRequest,
    settings: Settings,
    max_seconds: float,
) -> tuple[list[Surface], list[tuple[Loss, Mapping[str, float], list[Run]]]]:
    """Each loss's map (`finish(k, surface)` adds what is known of the k-th beside its grid)
    and its walks, one per optimizer; refused first if they would take longer than
    `max_seconds` in all."""
    from losscli import engine
    from losscli.descent.walk import check_walks, walks
    from losscli.limits import Deadline

    w1, w2 = axes
    map_seconds = engine.check_budget(
        chosen, points, w1, w2, method="auto", max_seconds=max_seconds
    )
    optimizers = walk.optimizers or (OPTIMIZER,)
    check_walks(  # the costliest loss on the most points bounds every walk's time
        max((loss for loss, _ in chosen), key=lambda loss: loss.cost),
        max(len(points(loss)) for loss, _ in chosen),
        settings,
        len(optimizers) * len(chosen),
        map_seconds=map_seconds,
        max_seconds=max_seconds,
    )
    deadline = Deadline(max_seconds)
    surfaces, walked = [], []
    for k, (loss, params) in enumerate(chosen):
        surface = finish(k, engine.sweep(loss, params, points(loss), w1, w2, deadline=deadline))
        surfaces.append(surface)
        runs = walks(
            loss, params, points(loss), surface, walk.start, optimizers, settings, deadline
        )
        walked.append((loss, params, runs))
    return surfaces, walked
