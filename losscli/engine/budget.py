"""What a set of sweeps may cost: work expected to take longer than the limit, or a grid that
would not fit in memory, is refused before anything starts, with the estimate and what to
change.

Time is the engine's own estimate (`Method.expected_seconds`: the method it would choose, its
workers counted), summed over the panels. It is an estimate from rough costs, so the limit is
generous (`losscli.defaults.MAX_SECONDS`), and the message says how to lift it. Memory is
`losscli.limits`'.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from losscli.engine.method import Job
from losscli.engine.registry import choose_method
from losscli.errors import ParameterError
from losscli.limits import above, check_grid, duration

if TYPE_CHECKING:
    from losscli.catalogue import Loss
    from losscli.data.dataset import Dataset
    from losscli.engine.axis import Axis


def check_budget(
    chosen: Sequence[tuple[Loss, Mapping[str, float]]],
    dataset_for: Callable[[Loss], Dataset],
    w1: Axis,
    w2: Axis,
    *,
    method: str,
    max_seconds: float,
) -> float:
    """Refuse the sweeps of these losses on the grid if the grids would not fit in memory
    (field `grid_steps`, checked before any data is loaded) or if they are expected to take
    longer than `max_seconds` in all (field `max_seconds`); else the seconds expected."""
    check_grid(w1.steps, w2.steps, len(chosen))
    datasets = [dataset_for(loss) for loss, _ in chosen]
    jobs = [
        Job(loss, params, len(data), w1, w2, data)
        for (loss, params), data in zip(chosen, datasets, strict=True)
    ]
    return check_time(jobs, method, max_seconds)


def check_time(jobs: Sequence[Job], method: str, max_seconds: float) -> float:
    """Refuse sweeps expected to take longer than `max_seconds` in all; else the seconds
    expected."""
    chosen = [choose_method(job, method) for job in jobs]
    seconds = [way.expected_seconds(job) for way, job in zip(chosen, jobs, strict=True)]
    total = sum(seconds)
    if total <= max_seconds:
        return total
    slowest = seconds.index(max(seconds))
    job, way = jobs[slowest], chosen[slowest].name
    others = f"; {len(jobs)} panels in all" if len(jobs) > 1 else ""
    raise ParameterError(
        "max_seconds",
        f"the sweep would take about {duration(total)} ({job.loss.brief} by the {way} "
        f"method: {job.w1.steps} × {job.w2.steps} cells × {job.points} points{others}), more "
        f"than {duration(max_seconds)}; give {{max_seconds}} {above(total)} to run it anyway, "
        "or use fewer steps or points",
        mentions=("max_seconds",),
    )
