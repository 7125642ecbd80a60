"""`losscli descend`: walk downhill on one loss's surface and draw the paths over its map."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import click

from losscli import __version__
from losscli.cli.errors import reported_errors, usage_error
from losscli.cli.options import (
    F,
    NumberRange,
    bundle,
    check_destination,
    data_options,
    echo,
    emit,
    grid_options,
    loss_options,
    max_seconds_option,
    output_options,
    picture_options,
    standard_input,
    view_options,
    warn,
)
from losscli.defaults import (
    CONVERGENCE_TOLERANCE,
    DESCENT_STEPS,
    LEARNING_RATE,
    MOMENTUM,
    OPTIMIZER,
)
from losscli.descent.optimizers import OPTIMIZERS

if TYPE_CHECKING:
    from losscli.cli.options import DataRequest, LossRequest
    from losscli.engine import GridSpec
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
        click.option(
            "--lr", type=float, default=LEARNING_RATE, show_default=True, help="Learning rate."
        ),
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
        click.option(
            "--momentum",
            type=float,
            default=MOMENTUM,
            show_default=True,
            help="Momentum coefficient of momentum and nesterov, in [0, 1).",
        ),
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


@click.command("descend")
@loss_options(single="mse")
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
    output_format: str,
    output: str | None,
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
    from losscli import engine
    from losscli.data.sources import Points
    from losscli.descent.runs import runs_document
    from losscli.descent.walk import Settings, check_walks, walks
    from losscli.engine.optimum import find_optimum
    from losscli.engine.window import plan_grid
    from losscli.limits import Deadline, check_grid
    from losscli.render.view import Destination, paths_over, show

    with reported_errors():
        check_destination(output, pictures)
        if animate and output_format != "text":
            raise usage_error(
                "--animate", f"draws the map; it cannot be used with --format {output_format}"
            )
        if len(set(walk.optimizers)) < len(walk.optimizers):
            raise usage_error("--optimizer", "each optimizer can be given once")
        [(loss, params)] = losses.resolve()
        settings = Settings(**walk.settings, seed=data.synthetic["seed"])
        if data.path is not None and "seed" in data.given and settings.batch_size is None:
            raise usage_error(
                "--seed", "with --data it seeds only --batch-size, which is not given"
            )
        points = Points(data.source(also_used=("seed",)), standard_input(), warn)
        dataset = points(loss)
        check_grid(grid.w1_steps, grid.w2_steps, 1)  # before any work on the data
        found = find_optimum(loss, params, dataset)
        window, w1, w2 = plan_grid(grid, points.source.curated_window(), [(loss, dataset, found)])
        map_seconds = engine.check_budget(
            [(loss, params)], points, w1, w2, method="auto", max_seconds=max_seconds
        )
        optimizers = walk.optimizers or (OPTIMIZER,)
        check_walks(
            loss,
            len(dataset),
            settings,
            len(optimizers),
            map_seconds=map_seconds,
            max_seconds=max_seconds,
        )
        deadline = Deadline(max_seconds)
        surface = engine.sweep(loss, params, dataset, w1, w2, deadline=deadline)
        surface = surface.with_optimum(found, window)
        runs = walks(loss, params, dataset, surface, walk.start, optimizers, settings, deadline)
        if output_format == "json":
            import json

            document = runs_document(loss, params, runs, __version__)
            return emit(json.dumps(document, allow_nan=False) + "\n", output)
        show(
            [surface],
            view,
            Destination(output, pictures),
            title="losscli descend",
            echo=echo,
            paths=paths_over([surface], runs, loss.name, fps if animate else None),
            notes=[line] if (line := window.line()) else [],
        )
    return None
