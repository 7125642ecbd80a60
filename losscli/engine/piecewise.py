"""The piecewise method: exact sweeps of piecewise-polynomial losses (mae, huber, hinge, …).

For one w1 every point contributes f(w2 − c_i), with c_i = y_i − w1·x_i (regression, u = p − y)
or c_i = −w1·x_i (classification, u = p, one description per label), and f the loss's declared
piecewise polynomial (`losscli.catalogue.structure`). Over the uniform w2 grid these sums come
from per-column histograms of where the points cross the breaks (`losscli.engine.histogram`):
O(G·(n + G)) for G × G cells and n points instead of O(n·G²).

A sweep is prepared once (`prepare`: each group's layout and its points scaled to grid units)
and then run column block by column block (`sweep_columns`), which the workers may share
(`losscli.engine.workers`): each column's sums are the same bit for bit however the columns are
split.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from losscli.catalogue.structure import PerLabel, Piecewise, check_description
from losscli.engine import steps, workers
from losscli.engine.centre import far_window, row_offsets
from losscli.engine.histogram import (
    Layout,
    ScaledPoints,
    combine,
    combine_linear,
    thread_buffers,
)
from losscli.engine.method import Job, Progress, Swept

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from losscli.catalogue.structure import Description
    from losscli.engine.axis import Axis

    Array = NDArray[np.float64]

BLOCK_BINS = 1 << 13
"""Sub-bin-column pairs combined at once: small enough (64 KiB an array) that the combine's
arrays are reused from the heap block after block rather than mapped afresh, whose page
faults cost more than the arithmetic; and memory stays bounded for wide grids."""

BLOCK_WORK = 1 << 22
"""Point-column pairs between two progress reports (a few tens of milliseconds)."""

MAX_SPAN = 16
"""A description whose breaks span more than this many grid widths is swept directly."""


@dataclass(frozen=True)
class ShapeGroup:
    """Points swept with one `Piecewise`: c_i = offset_i − w1·x_i (offset None means 0)."""

    x: Array
    offset: Array | None
    shape: Piecewise


def groups_for(description: Description, x: Array, targets: Array) -> list[ShapeGroup]:
    """Split the data by label for a classification description; one group for regression."""
    if isinstance(description, Piecewise):
        check_description(description, classification=False)
        return [ShapeGroup(x, targets, description)]
    check_description(description, classification=True)
    groups = []
    for label in (1.0, -1.0):
        chosen = targets == label
        if chosen.any():
            groups.append(ShapeGroup(x[chosen], None, description.for_label(label)))
    return groups


def supports(description: Description, grid: Axis) -> bool:
    """Whether the histogram sweep applies: breaks that span a bounded number of grid widths."""
    shapes = (
        (description.positive, description.negative)
        if isinstance(description, PerLabel)
        else (description,)
    )
    for shape in shapes:
        breaks = shape.breaks
        if not breaks or (breaks[-1] - breaks[0]) / grid.step > MAX_SPAN * grid.steps:
            return False
    return True


@dataclass(frozen=True)
class HistogramPlan:
    """A histogram sweep prepared once for all its columns: what `sweep_columns` needs.

    It depends on the whole w1 range (the binning frame does), not on which columns are swept
    with which, so every column's sums are the same bit for bit however the columns are split
    between processes. Picklable, for the workers (`losscli.engine.workers`).
    """

    points: tuple[ScaledPoints, ...]
    grid: Axis
    offsets: Array | None = None
    """Where the window lies far from 0: each stored w2 less the uniform grid's lo + j·h."""
    slopes: tuple[Layout, ...] = ()
    """Then the layout of each group's derivative, for the sums of f′ (the same sub-bins)."""


def prepare(groups: Sequence[ShapeGroup], w1: Array, grid: Axis) -> HistogramPlan:
    """Lay out each group's sub-bins and scale its points to grid units, once.

    The histograms place w2 at lo + j·h; far from 0 the stored values differ from that by
    their rounding (a few units in the last place of |w2|, which a sum does not average out
    as it does the points' own rounding), so there each row is moved to its stored value to
    first order: the sums gain offset·Σf′, from the same histograms."""
    scaled = tuple(ScaledPoints(g.x, g.offset, g.shape, grid, w1) for g in groups)
    if not far_window(grid.low, grid.high):
        return HistogramPlan(scaled, grid)
    offsets = row_offsets(grid.values, grid.low, grid.step)
    slopes = tuple(Layout(derivative(g.shape), grid) for g in groups)
    return HistogramPlan(scaled, grid, offsets, slopes)


def derivative(shape: Piecewise) -> Piecewise:
    """f′ of a piecewise polynomial: the same breaks, each piece differentiated."""
    pieces = []
    for piece in shape.pieces:
        slope = [float(k) * c for k, c in enumerate(piece) if k > 0]
        pieces.append(tuple(slope) if slope else (0.0,))
    return Piecewise(breaks=shape.breaks, pieces=tuple(pieces))


def sweep_columns(prepared: HistogramPlan, w1: Array, progress: Progress = None) -> Array:
    """Σ_i f(…) at every w2 (rows) for the columns `w1` (all or some of those planned): the
    sums, not yet means, in blocks of columns that bound memory."""
    steps = prepared.grid.steps
    totals = np.zeros((steps, len(w1)))
    buffers = thread_buffers()
    work = sum(len(p.x) + p.width for p in prepared.points) * len(w1)
    done = 0
    for k, points in enumerate(prepared.points):
        count = len(points.x)
        per_block = max(1, min(BLOCK_BINS // points.width, BLOCK_WORK // max(count, 1)))
        for start in range(0, len(w1), per_block):
            cols = slice(start, start + per_block)
            moments = points.moments(w1[cols], buffers)
            if points.layout.linear:
                totals[:, cols] += combine_linear(points, moments, steps).T
            else:
                totals[:, cols] += combine(points.layout, moments, steps).T
            if prepared.offsets is not None:  # each row moved to its stored w2, to first order
                slope = prepared.slopes[k]
                sums = combine(slope, moments[: slope.degree + 1], steps).T
                totals[:, cols] += prepared.offsets[:, None] * sums
            done += (count + points.width) * len(w1[cols])
            if progress is not None:
                progress(done / work)
    return totals


@dataclass(frozen=True)
class HistogramCost:
    """Seconds on one core: a fixed start, then per column a share per point (binning, times
    the shape's `weight`) and per w2 step (combining, times the shape's `step_weight`). Rough
    costs of a current CPU, for choosing and sharing the cores, never reported: mae's CPU time
    a point and column, one process, measured 6.1e-9 at G = 201 over 10⁴ points, 6.6e-9 over
    10⁵, 5.4e-9 and 6.4e-9 at G = 201 and 1001 over 10⁶ (arrays past the caches); its
    combining 1.1e-7 a step."""

    start: float = 2e-4
    per_column_point: float = 5.5e-9
    per_column_step: float = 1.2e-7

    def seconds(
        self, points: int, columns: int, rows: int, weight: float = 1.0, step_weight: float = 1.0
    ) -> float:
        per_point = self.per_column_point * weight * points
        per_column = per_point + self.per_column_step * step_weight * rows
        return self.start + columns * per_column


SHAPE_WEIGHTS = {"linear": 1.0, "curved": 2.0, "jump": 3.5}
"""A point's binning cost by its shape, relative to one linear break (mae, hinge, quantile):
breaks with squares or several cuts (huber, smooth-l1, squared-hinge) need φ and φ² as well,
and a jump (zero-one) checks each point's bin against the grid's own values. Measured at
G = 401 over 10⁵ points (benchmarks/bench_estimates.py): 1, 1.8–1.9 and 3.6."""

STEP_WEIGHTS = {"linear": 1.0, "curved": 2.0, "jump": 0.5}
"""A w2 step's combining cost by its shape, relative to one linear break (which has a
combine of its own, `combine_linear`), curved ones per break: the running sums of a break's
count, Σφ and Σφ² on either side. Measured at G = 1001 over 10⁴ points, one process, CPU
time (the combine is then half the work or more): mae, hinge, quantile 1, 1.2, 0.85;
huber and smooth-l1 (two breaks) 3.8 and 4.5; squared-hinge 1.6; zero-one (counts only) 0.3."""


def _shapes(description: Description) -> tuple[Piecewise, ...]:
    """The description's piecewise polynomials: one, or one per label."""
    if isinstance(description, PerLabel):
        return (description.positive, description.negative)
    return (description,)


def _kind(shape: Piecewise) -> str:
    """The key of the weights: "jump", "linear" (one break, degree ≤ 1) or "curved"."""
    degree = max((i for piece in shape.pieces for i, c in enumerate(piece) if c), default=0)
    if not shape.is_continuous():
        return "jump"
    return "linear" if len(shape.breaks) == 1 and degree <= 1 else "curved"


def shape_weight(description: Description) -> float:
    """The costliest of the description's shapes per point, by `SHAPE_WEIGHTS`."""
    return max(SHAPE_WEIGHTS[_kind(shape)] for shape in _shapes(description))


def step_weight(description: Description) -> float:
    """The costliest of the description's shapes per w2 step, by `STEP_WEIGHTS` (a curved
    shape's weight a break)."""
    return max(
        STEP_WEIGHTS[kind] * (len(shape.breaks) if kind == "curved" else 1)
        for shape in _shapes(description)
        for kind in (_kind(shape),)
    )


class PiecewiseMethod:
    """Piecewise polynomials of degree ≤ 2 with breaks, from per-column histograms."""

    name = "piecewise"
    summary = (
        "mae, huber, smooth-l1, quantile, hinge, squared-hinge, zero-one: the sums over the "
        "points from per-column histograms of where they cross the breaks"
    )
    cost = HistogramCost()

    def applies(self, job: Job) -> bool:
        description = job.description
        if description is None:
            return False
        if isinstance(description, Piecewise) and description.is_polynomial:
            return False  # the quadratic method's
        return supports(description, job.w2)

    def seconds(self, job: Job) -> float:
        assert job.description is not None
        if steps.is_step(job.description):
            return steps.seconds(job.points, job.w1.steps, job.w2.steps)
        weights = shape_weight(job.description), step_weight(job.description)
        return self.cost.seconds(job.points, job.w1.steps, job.w2.steps, *weights)

    def expected_seconds(self, job: Job) -> float:
        return workers.expected_seconds(self.seconds(job), job.w1.steps)

    def preferred(self, job: Job, direct_seconds: float) -> bool:
        return self.seconds(job) < direct_seconds

    def run(self, job: Job, x: Array, targets: Array, progress: Progress) -> Swept:
        assert job.description is not None
        w1 = job.w1.values
        if isinstance(job.description, PerLabel) and steps.is_step(job.description):
            plan = steps.prepare(job.description, x, targets, job.w2.values)
            counts = workers.by_columns(
                steps.step_columns, plan, w1, job.w2.steps, progress, seconds=self.seconds(job)
            )
            return Swept(counts / len(x))
        prepared = prepare(groups_for(job.description, x, targets), w1, job.w2)
        sums = workers.by_columns(
            sweep_columns, prepared, w1, job.w2.steps, progress, seconds=self.seconds(job)
        )
        return Swept(sums / len(x))


METHOD = PiecewiseMethod()
