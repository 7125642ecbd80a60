"""The direct method: every cell's mean loss evaluated from every point, for any loss.

O(n·G²), but exact for every loss the catalogue holds (formulas and plugins included), so it
is what the other methods are checked against and what `auto` falls back to. Its means are
`Loss.mean`'s, finite wherever every point's loss is; `refill` gives the same to the cells a
faster method's sums left not finite.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from losscli.engine.centre import Centre, shifted
from losscli.engine.method import Job, Progress, Swept

if TYPE_CHECKING:
    from collections.abc import Mapping

    from numpy.typing import NDArray

    from losscli.catalogue import Loss

    Array = NDArray[np.float64]

BLOCK_ELEMENTS = 1 << 18
"""Predictions held at once (2 MiB of float64): memory stays bounded."""

PROBES = (16, 1024)
"""`refill` evaluates a cell on its first 16 points, then 1024, then all, while its mean stays
finite: a loss that is not finite at one point makes the mean not finite, so a cell whose
points overflow (a window far out) is settled on a few of them."""


def centred(loss: Loss, x: Array, targets: Array) -> tuple[Centre, Array, Array]:
    """The data as a direct evaluation takes it: for a regression loss of the residual alone,
    centred where far from the origin (x' = x − c, y' = y − d; the loss at p − d, y − d is the
    loss at p, y), so p − y = w1·x' − y' + (w2 + w1·c − d) with the last term rounded once at
    the residual's size (`losscli.engine.centre`). Other losses take x and y as they are:
    a classification loss's ties at p = 0 then fall where the piecewise method places them."""
    if loss.task != "regression" or not loss.residual:
        return Centre(), x, targets
    centre = Centre.of(x, targets)
    if not centre.active:
        return centre, x, targets
    return centre, x - centre.x, targets - centre.y


def direct_means(
    loss: Loss,
    params: Mapping[str, float],
    x: Array,
    targets: Array,
    w1: Array,
    w2: Array,
    progress: Progress = None,
) -> Array:
    """Evaluate the loss at every cell and point, a block of cells at a time (bounded memory).

    The predictions of a block are written in place into one buffer; the loss's own
    temporaries are the size of a block. Data far from the origin is centred (`centred`).
    """
    centre, x, targets = centred(loss, x, targets)
    if centre.active:
        hi, lo = centre.offsets(w1)
        offset = shifted(hi[None, :], lo[None, :], w2[:, None])
    values = np.empty((len(w2), len(w1)))
    cells = max(1, BLOCK_ELEMENTS // len(x))
    cols = min(len(w1), cells)
    rows = max(1, cells // cols)
    buffer = np.empty(rows * cols * len(x))
    for r in range(0, len(w2), rows):
        for c in range(0, len(w1), cols):
            w1_block, w2_block = w1[c : c + cols], w2[r : r + rows]
            shape = (len(w2_block), len(w1_block), len(x))
            predictions = buffer[: shape[0] * shape[1] * shape[2]].reshape(shape)
            np.multiply(w1_block[None, :, None], x, out=predictions)
            if centre.active:
                predictions += offset[r : r + rows, c : c + cols, None]
            else:
                predictions += w2_block[:, None, None]
            values[r : r + rows, c : c + cols] = loss.mean(predictions, targets, params)
        if progress is not None:
            progress(min(r + rows, len(w2)) / len(w2))
    return values


def cell_means(
    loss: Loss, params: Mapping[str, float], x: Array, targets: Array, w1: Array, w2: Array
) -> Array:
    """The mean loss at the cells (w1[k], w2[k]), a block of cells at a time: the same
    arithmetic as `direct_means`, so the same values to the last bit."""
    centre, x, targets = centred(loss, x, targets)
    if centre.active:
        hi, lo = centre.offsets(w1)
        w2 = shifted(hi, lo, w2)
    values = np.empty(len(w1))
    cells = max(1, BLOCK_ELEMENTS // len(x))
    for start in range(0, len(w1), cells):
        block = slice(start, start + cells)
        predictions = w1[block, None] * x + w2[block, None]
        values[block] = loss.mean(predictions, targets, params)
    return values


NEAR_ZERO = 1e-12
"""`settle` evaluates again the cells at most this share of the surface's largest value."""


def settle(
    loss: Loss,
    params: Mapping[str, float],
    x: Array,
    targets: Array,
    w1: Array,
    w2: Array,
    values: Array,
) -> None:
    """Evaluate directly (`cell_means`), in place, the cells whose value is near 0 beside the
    surface's largest: a fast method's sums leave rounding (1e-26, say) where every residual
    is exactly 0 (a cell already 0 is kept). Only a few: where more cells than the grid has
    rows or columns are that small (a window zoomed onto the minimum), each keeps the
    method's value."""
    if values.size == 0:
        return
    peak = float(np.max(values))  # one pass, no copy: the usual case, every value finite
    if not math.isfinite(peak):
        peak = float(np.max(np.abs(values), initial=0.0, where=np.isfinite(values)))
    bound = NEAR_ZERO * abs(peak)
    small = values <= bound
    if not small.any():
        return
    small &= (values >= -bound) & (values != 0.0)
    rows, cols = np.nonzero(small)
    if 0 < len(rows) <= max(values.shape):
        values[rows, cols] = cell_means(loss, params, x, targets, w1[cols], w2[rows])


def refill(
    loss: Loss,
    params: Mapping[str, float],
    x: Array,
    targets: Array,
    w1: Array,
    w2: Array,
    values: Array,
) -> None:
    """Evaluate directly, in place, the cells of `values` that are not finite: a faster
    method's sums overflow where the mean of finite terms need not. A cell whose first points
    (PROBES) already give a mean that is not finite keeps that mean, inf or nan: for a mean
    over points, a loss that is not finite at one point is not finite overall."""
    if np.isfinite(values.sum()):  # one cheap pass: a finite sum has no value that is not
        return
    rows, cols = np.nonzero(~np.isfinite(values))
    probes = [size for size in PROBES if size < len(x)] if loss.per_point else []
    for size in [*probes, len(x)]:
        means = cell_means(loss, params, x[:size], targets[:size], w1[cols], w2[rows])
        values[rows, cols] = means
        still_finite = np.isfinite(means)
        rows, cols = rows[still_finite], cols[still_finite]


@dataclass(frozen=True)
class DirectCost:
    """Seconds on one core: a fixed start, then a share per cell and point, times the loss's
    own cost relative to mse (`Loss.cost`). Rough costs of a current CPU, for choosing and for
    `--max-seconds`, never reported as measurements."""

    start: float = 2e-5
    per_cell_point: float = 6e-9

    def seconds(self, loss_cost: float, points: int, cells: int) -> float:
        return self.start + self.per_cell_point * loss_cost * points * cells


class DirectMethod:
    """Every cell from every point."""

    name = "direct"
    summary = "any loss, formulas and plugins included: every cell from every point, in blocks"
    cost = DirectCost()

    def applies(self, job: Job) -> bool:
        return True

    def seconds(self, job: Job) -> float:
        return self.cost.seconds(job.loss.cost, job.points, job.cells)

    def expected_seconds(self, job: Job) -> float:
        return self.seconds(job)

    def preferred(self, job: Job, direct_seconds: float) -> bool:
        return True

    def run(self, job: Job, x: Array, targets: Array, progress: Progress) -> Swept:
        values = direct_means(
            job.loss, job.params, x, targets, job.w1.values, job.w2.values, progress
        )
        return Swept(values)


METHOD = DirectMethod()
