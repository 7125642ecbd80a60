"""`losscli surface`: sweep losses over a grid of (w1, w2) and draw their surfaces."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from losscli.cli.errors import reported_errors, usage_error
from losscli.cli.loss_options import loss_options
from losscli.cli.options import (
    check_destination,
    data_options,
    echo,
    emit,
    grid_options,
    maps_view_options,
    max_seconds_option,
    output_options,
    picture_options,
    standard_input,
    warn,
)
from losscli.cli.repeats import OnceCommand
from losscli.cli.workers import workers_option
from losscli.defaults import AUTO, METHOD_NAMES

if TYPE_CHECKING:
    from collections.abc import Sequence

    from losscli.cli.loss_options import LossRequest
    from losscli.cli.options import DataRequest
    from losscli.descent.walk import Run
    from losscli.engine import GridSpec, Surface
    from losscli.render.view import Pictures, ViewOptions

FORMATS = ("text", "json", "ndjson", "csv", "npz")
"""The view, then `losscli.render.export.WRITERS`' formats."""


@click.command("surface", cls=OnceCommand)
@loss_options()
@data_options
@grid_options()
@maps_view_options
@click.option(
    "--path",
    "path_files",
    metavar="FILE",
    multiple=True,
    type=click.Path(readable=False),  # the reader says why a file cannot be read
    help="Overlay the descent paths saved by `losscli descend --format json` (repeatable).",
)
@picture_options
@output_options(
    FORMATS,
    help="text: the view; json: one document; ndjson: one surface a line; csv: one cell a row; "
    "npz: numpy's arrays (needs -o). Data keeps the grid's full resolution.",
)
@click.option(
    "--method",
    type=click.Choice([AUTO, *METHOD_NAMES]),
    default=AUTO,
    show_default=True,
    help="Sweep algorithm: auto picks the fastest exact one the loss allows, or for a smooth "
    "loss binned (an approximation within 1e-12 relative) where direct would take over 10 s; "
    "direct evaluates every cell and point (to cross-check). The JSON records the one used.",
)
@max_seconds_option
@workers_option
@click.option("--quiet", "-q", is_flag=True, help="No progress bar on stderr for long sweeps.")
def surface_command(
    losses: LossRequest,
    data: DataRequest,
    grid: GridSpec,
    view: ViewOptions,
    path_files: tuple[str, ...],
    pictures: Pictures,
    output_format: str,
    output: str | None,
    method: str,
    max_seconds: float,
    workers: int | None,
    quiet: bool,
) -> None:
    """Sweep losses over a grid of (w1, w2) and draw their surfaces side by side.

    Each panel marks the grid's minimum with a star. With no --loss it shows the lesson's four
    losses, each on the synthetic dataset its task needs. `values[i][j]` in the JSON is the
    mean loss at w2 = w2[i], w1 = w1[j]; `losscli render` draws it again. --path draws saved
    descent paths over every panel.
    """
    from losscli import engine
    from losscli.data.sources import Points
    from losscli.engine.window import plan_grid
    from losscli.limits import Deadline, check_grid
    from losscli.render.progress import sweep_progress
    from losscli.render.view import Destination, paths_over, show

    with reported_errors(grid_steps="--steps"):
        _check_output(output_format, output, pictures)
        if path_files and output_format != "text":
            raise usage_error(
                "--path", f"draws on the map; it cannot be used with --format {output_format}"
            )
        runs = _load_runs(path_files)
        chosen = losses.resolve()
        points = Points(data.source(), standard_input(), warn)
        if not losses.names:  # the default panels: those the data suits
            chosen = [(loss, params) for loss, params in chosen if points.suits(loss)]
        check_grid(grid.w1_steps, grid.w2_steps, len(chosen))  # before any work on the data
        found, window, w1, w2 = plan_grid(grid, points, chosen)
        engine.use_workers(workers)
        engine.check_budget(chosen, points, w1, w2, method=method, max_seconds=max_seconds)
        deadline = Deadline(max_seconds)
        with sweep_progress(quiet=quiet) as track:
            surfaces = [
                engine.sweep(
                    loss,
                    params,
                    points(loss),
                    w1,
                    w2,
                    method=method,
                    progress=track(loss.title(params)) if track else None,
                    deadline=deadline,
                )
                for loss, params in chosen
            ]
        surfaces = [s.with_optimum(f, window) for s, f in zip(surfaces, found, strict=True)]
        if output_format != "text":
            return _export(surfaces, output_format, output)
        paths = paths_over(surfaces, runs, surfaces[0].loss.name) if runs else None
        show(
            surfaces,
            view,
            Destination(output, pictures),
            title="losscli surface",
            echo=echo,
            paths=paths,
            notes=[*points.notes(), *([line] if (line := window.line()) else [])],
        )
    return None


def _load_runs(path_files: Sequence[str]) -> list[Run]:
    """The descent paths saved in these files (their reader imported only when some are)."""
    if not path_files:
        return []
    from losscli.descent.runs import load_runs

    return [run for path in path_files for run in load_runs(path)]


def _check_output(output_format: str, output: str | None, pictures: Pictures) -> None:
    """Refuse, before any work, the combinations that have nothing sensible to write, and
    paths that cannot be written."""
    if output_format == "npz" and output is None:
        raise usage_error(
            "--format", "npz is binary: give -o PATH to write it to a file (or -o - for a pipe)"
        )
    check_destination(output, pictures)
    for flag, path in (("--save-svg", pictures.svg), ("--save-html", pictures.html)):
        if path is not None and output_format != "text":
            raise usage_error(
                flag, f"pictures the view, so it needs --format text, not {output_format}"
            )


def _export(surfaces: list[Surface], output_format: str, output: str | None) -> None:
    """The data at the grid's full resolution, in one of the formats for other tools."""
    from losscli.render.export import WRITERS

    return emit(WRITERS[output_format](surfaces), output)
