"""The sweep: a loss's mean over the data at every cell of the (w1, w2) grid, by the method
the registry chooses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from losscli.defaults import AUTO
from losscli.engine.direct import refill, settle
from losscli.engine.method import Job, Method, NotApplicable, Progress
from losscli.engine.registry import FALLBACK, choose_method
from losscli.engine.surface import Surface
from losscli.errors import ParameterError

if TYPE_CHECKING:
    from losscli.catalogue import Loss
    from losscli.data.dataset import Dataset
    from losscli.engine.axis import Axis
    from losscli.limits import Deadline


def sweep(
    loss: Loss,
    params: Mapping[str, float],
    data: Dataset,
    w1: Axis,
    w2: Axis,
    *,
    method: str = AUTO,
    progress: Progress = None,
    deadline: Deadline | None = None,
) -> Surface:
    """The mean loss at every grid cell, by the fastest exact algorithm the loss allows.

    `method` is "auto" (see `losscli.engine.registry`), or a method's name to insist on it; a
    method that does not apply is a `ParameterError` for `method`. `progress`, if given, is
    called with the fraction done (0 to 1) as the sweep goes; a `deadline` stops a sweep that
    runs past it. The surface records the method that ran. A cell a faster method leaves not
    finite is evaluated directly (`direct.refill`), so every method's surface is finite
    wherever the true mean is.
    """
    targets = data.targets_for(loss.task, loss.name)
    job = Job(loss, dict(params), len(data), w1, w2, data)
    chosen = choose_method(job, method)
    with np.errstate(all="ignore"):  # an overflowing loss is an honest inf (or nan), drawn so
        try:
            swept = chosen.run(job, data.x, targets, _reports(progress, deadline, job, chosen))
        except NotApplicable as reason:
            if method != AUTO:
                raise ParameterError("method", f"{chosen.name} {reason}") from None
            chosen = FALLBACK  # the data defeats the method's promise: exact instead
            swept = chosen.run(job, data.x, targets, _reports(progress, deadline, job, chosen))
        if chosen is not FALLBACK:  # its sums may overflow where the mean does not
            refill(loss, job.params, data.x, targets, w1.values, w2.values, swept.values)
            settle(loss, job.params, data.x, targets, w1.values, w2.values, swept.values)
    return Surface(
        loss, dict(params), data, w1.values, w2.values, swept.values, chosen.name, swept.error
    )


def _reports(progress: Progress, deadline: Deadline | None, job: Job, method: Method) -> Progress:
    """The progress callback a method gets: the caller's, and the deadline's check."""
    if deadline is None:
        return progress
    what = f"{job.loss.brief} by the {method.name} method"

    def report(fraction: float) -> None:
        if progress is not None:
            progress(fraction)
        deadline.check(what, fraction)

    return report
