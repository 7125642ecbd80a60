"""The binned method: a declared, bounded approximation for smooth per-point losses, from
binned residuals and an FFT.

For one w1 every point contributes f(w2 − c_i): c_i = y_i − w1·x_i with f(u) = ℓ(u, 0) for a
regression loss that depends on the residual u = p − y alone, or c_i = −w1·x_i with
f_t(p) = ℓ(p, t) per label for a classification loss. The w2 grid is uniform,
w2_j = lo + j·h, so on nodes z_m = lo − A·δ + m·δ of spacing δ = h/R (R a whole number),
w2_j − z_m = (A + j·R − m)·δ: the sums at every w2 are a discrete convolution of node masses
with the kernel K_k = f(k·δ), one kernel (and one FFT of it) for every column.

Each point's mass goes to the ORDER nodes around it with the Lagrange weights of its
fractional position, so the node sums are Σ_i P_i(w2) where P_i interpolates f(w2 − c) in c:
the error per point is f⁽ᴼᴿᴰᴱᴿ⁾(ξ)·∏(φ − k)·δ^ORDER/ORDER!, and δ^ORDER·f⁽ᴼᴿᴰᴱᴿ⁾ is read off the
kernel itself as its ORDER-th differences. R is the smallest whole number that makes the
interpolation error of every point at most `TARGET` of its own loss (or of `FLOOR` times the
kernel's largest value, where the loss is near zero): a relative bound, since every term of
the sum is ≥ 0.

Many points share few nodes: with far more points than nodes, the points are first binned
the same way in x (and in y for regression) on nodes fine enough that w1·x moves by at most δ
between them, once for all columns; the columns then spread those nodes instead of the
points: O(n) once, then O(nodes + L·log L) a column, L the FFT's length.

The FFT's rounding error is of the order of ε·log₂L·Σ|mass|·max|K| in every output (a
standard bound for FFT convolution; measured errors are 5–10× below it). With it, each
cell's error bound is `factor`·TARGET·S + `absolute`, S the cell's sum; a cell whose bound is
more than `TOLERANCE` of its value is evaluated directly instead. So every value of a binned
surface is within TOLERANCE (relative) of the exact mean, and the surface records the
largest bound of its binned cells.

Not applicable, so the caller sweeps directly (or refuses --method binned): a loss that is
not declared smooth (bce's clip makes a kink, where interpolation loses its accuracy), a
kernel with a negative or non-finite value over the grid, residuals spread so wide (far
outliers) that the FFT would exceed MAX_FFT_LENGTH, or so far from the grid that float64
cannot place them between nodes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from losscli.engine import direct, factored, workers
from losscli.engine.binned_kernels import column_masses, exact_rows, kernel_sums
from losscli.engine.binned_plan import (
    PLANE_POINT_SECONDS,
    POSITION_SECONDS,
    BinnedPlan,
    KernelGroup,
    fits,
    plan_for,
)
from losscli.engine.binned_rows import CELL_SECONDS
from losscli.engine.direct import cell_means
from losscli.engine.method import Job, NotApplicable, Progress, Swept
from losscli.engine.workers import by_columns

if TYPE_CHECKING:
    from collections.abc import Mapping

    from numpy.typing import NDArray

    from losscli.catalogue import Loss
    from losscli.engine.axis import Axis

    Array = NDArray[np.float64]
    IntArray = NDArray[np.intp]

TOLERANCE = 1e-12
"""The declared bound: a cell whose bound is more than this, relative to its value, is
evaluated directly."""


@dataclass(frozen=True)
class Columns:
    """A binned sweep's columns, for `swept_columns` in either process: the plan, the grid,
    the bound each cell must meet, and the FFT's share of the progress."""

    plan: BinnedPlan
    grid: Axis
    tolerance: float
    share: float


RESUM_BLOCK = 16
"""Columns whose node masses are spread at once for summing cells again."""


def swept_columns(work: Columns, w1: Array, progress: Callable[[float], None] | None) -> Array:
    """The sums of the columns w1 (rows), then as many rows of their bounds: by FFT, then
    the cells over the tolerance summed again without it. Each column's the same bits
    whichever columns are swept with it."""
    plan, grid = work.plan, work.grid
    sums = kernel_sums(plan.groups, w1, grid, _part(progress, 0.0, work.share))
    bounds = plan.bound(sums)
    again = np.flatnonzero((bounds > work.tolerance).any(axis=0))
    later = _part(progress, work.share, 1.0)
    for start in range(0, len(again), RESUM_BLOCK):
        cols = again[start : start + RESUM_BLOCK]
        for col, masses in zip(
            cols.tolist(), column_masses(plan.groups, w1[cols], grid), strict=True
        ):
            rows = np.flatnonzero(bounds[:, col] > work.tolerance)
            exact, rounding = exact_rows(plan.groups, masses, rows, grid)
            sums[rows, col] = exact
            bounds[rows, col] = plan.bound(exact, rounding)
        if later is not None:
            later((start + len(cols)) / len(again))
    if plan.moves is not None:  # far from 0: each row moved to its stored w2
        slopes = [replace(g, kernel=k) for g, k in zip(plan.groups, plan.moves.slopes, strict=True)]
        plan.moves.apply(sums, bounds, kernel_sums(slopes, w1, grid))
    return np.vstack([sums, bounds])


def binned_means(
    loss: Loss,
    params: Mapping[str, float],
    x: Array,
    targets: Array,
    w1: Array,
    grid: Axis,
    progress: Callable[[float], None] | None = None,
    tolerance: float = TOLERANCE,
    seconds: tuple[float, float] | None = None,
) -> tuple[Array, float]:
    """The mean loss at every cell, and the declared bound: the largest relative error bound
    of the cells not evaluated directly (≤ `tolerance`, TOLERANCE unless a sum of several
    asks for less).

    A cell whose bound, with the FFT's rounding, exceeds TOLERANCE (its sum is small beside
    the largest kernel values) is summed again from its node masses without the FFT; one
    whose bound still exceeds it (a loss near 0 at nearly every point) is evaluated directly.
    The columns are shared with a second process (`workers.by_columns`). `seconds` is the
    estimate (`BinnedCost.planned`: the FFT's columns, the cells after them) where known,
    for the split and the progress; else the FFT's columns are estimated from the plan.
    """
    chosen = plan_for(loss, params, x, targets, w1, grid)
    if factored.applies(loss):  # e^(−t·p): a product, no FFT (`losscli.engine.factored`)
        labels = [t for t in (1.0, -1.0) if np.any(targets == t)]  # the plan's groups'
        sums, bounds = factored.factored_sums(chosen, labels, w1, grid)
    else:
        if seconds is None:
            seconds = BinnedCost().planned(chosen, len(w1), Probe(0.0, 0.0, 0.0), 0.0)
        fft, after = seconds
        share = fft / (fft + after) if fft + after > 0.0 else 1.0
        work, steps = Columns(chosen, grid, tolerance, share), grid.steps
        later = _part(progress, 0.0, 0.95)
        both = by_columns(swept_columns, work, w1, 2 * steps, later, seconds=fft + after)
        sums, bounds = both[:steps], both[steps:]
    values = sums / len(x)
    rows, cols = np.nonzero(bounds > tolerance)
    block = DIRECT_BLOCKS * max(1, direct.BLOCK_ELEMENTS // len(x))  # cell_means' own blocks
    for start in range(0, len(rows), block):
        r, c = rows[start : start + block], cols[start : start + block]
        values[r, c] = cell_means(loss, params, x, targets, w1[c], grid.values[r])
        if progress is not None:
            progress(0.95 + 0.05 * (start + len(r)) / len(rows))
    if progress is not None:
        progress(1.0)
    kept = bounds <= tolerance
    return values, float(np.max(bounds[kept], initial=0.0))


DIRECT_BLOCKS = 16
"""`cell_means` blocks between two progress reports while cells are evaluated directly."""


def _part(
    progress: Callable[[float], None] | None, low: float, high: float
) -> Callable[[float], None] | None:
    """`progress` for one part of the work, which takes it from `low` to `high`."""
    if progress is None:
        return None
    report = progress
    return lambda fraction: report(low + (high - low) * fraction)


AUTO_SECONDS = 10.0
"""`auto` takes the binned approximation only for sweeps a direct evaluation would take longer
than this over: below it, the exact answer is affordable."""

POSITIONS = {"classification": 1 << 12, "regression": 1 << 19}
"""Positions a column spreads at most, about, where the data is not known: nodes in x per
label, or in (x, y)."""

FORM_PLANNED = 1 << 16
"""Points, at most, on which a form (bce, dice) is estimated from logistic's plan: blind, a
sum is costed at `POSITIONS` a column, where 10⁴ points at G = 201 spread on 281 (estimated
0.078 s blind, 0.025 s planned, swept in 0.025 s); a plan of 2^16 points takes milliseconds."""

PROBES = 16
"""Columns, evenly spaced, that the estimate sweeps to learn how many cells will be summed
again or evaluated directly (where the sums span many decades, as exponential's do on a wide
window)."""


@dataclass(frozen=True)
class Probe:
    """What the estimate learned from sweeping a few columns of the plan, per column swept:
    the share of columns with cells to sum again, their kernel terms (rows × node masses) per
    column, and the cells left to evaluate directly."""

    resummed: float
    terms: float
    direct: float


@dataclass(frozen=True)
class BinnedCost:
    """Seconds on one core: a fixed start, binning each point once (dearer in (x, y) for
    regression than in x per label), then per column and kernel a share, a share per position
    spread (or per cell of a regression's plane of nodes, `losscli.engine.binned_rows`) and
    per FFT term (L·log₂L); with the plan known, also the cells summed again
    without the FFT (per column, and per kernel term) and those evaluated directly. Rough
    costs of a current CPU, measured by benchmarks/bench_estimates.py, for choosing and
    `--max-seconds`."""

    start: float = 5e-3
    per_label_point: float = 5e-8
    per_residual_point: float = PLANE_POINT_SECONDS
    per_column: float = 3e-5
    per_column_position: float = POSITION_SECONDS
    per_plane_cell: float = CELL_SECONDS
    per_fft_term: float = 2e-9
    per_resummed_column: float = 1e-4
    per_resummed_term: float = 3e-9

    def seconds(self, regression: bool, points: int, columns: int) -> float:
        """Before the data is known: the positions at their most, no cell summed again."""
        positions = min(points, POSITIONS["regression" if regression else "classification"])
        per_point = self.per_residual_point if regression else self.per_label_point
        spread = self.per_column + self.per_column_position * positions
        return self.start + per_point * points + columns * spread

    def planned(
        self, plan: BinnedPlan, columns: int, probe: Probe, direct_cell: float
    ) -> tuple[float, float]:
        """From the plan (already made: its binning is paid) and what the probe learned, the
        seconds of the FFT's columns (with the start) and of the cells summed again or
        evaluated directly after them; `direct_cell` is a direct evaluation's seconds a cell."""
        spread = sum(
            self.per_column
            + self._spreading(group)
            + self.per_fft_term * group.length * math.log2(group.length)
            for group in plan.groups
        )
        resum = probe.resummed * (
            self.per_resummed_column + sum(self._spreading(group) for group in plan.groups)
        )
        again = resum + self.per_resummed_term * probe.terms + direct_cell * probe.direct
        return self.start + columns * spread, columns * again

    def _spreading(self, group: KernelGroup) -> float:
        """A column's spreading of a group: its plane's cells, or its positions."""
        if group.plane is not None:
            return self.per_plane_cell * group.plane.cells
        return self.per_column_position * len(group.x)


_PROBED: list[tuple[BinnedPlan, Probe] | None] = [None]
"""The last plan probed, and what its probe found (the estimate's, which the run reads)."""


def probe(plan: BinnedPlan, w1: Array, grid: Axis) -> Probe:
    """Sweep PROBES evenly spaced columns of the plan (made for `w1` and `grid`) as
    `binned_means` does, counting the cells it would sum again and those it would then
    evaluate directly; the last plan's answer is kept."""
    kept = _PROBED[0]
    if kept is not None and kept[0] is plan:
        return kept[1]
    found = _probe(plan, w1, grid)
    _PROBED[0] = (plan, found)
    return found


def _probe(plan: BinnedPlan, w1: Array, grid: Axis) -> Probe:
    cols = np.unique(np.linspace(0, len(w1) - 1, min(PROBES, len(w1))).round().astype(np.intp))
    bounds = plan.bound(kernel_sums(plan.groups, w1[cols], grid))
    again = np.flatnonzero((bounds > TOLERANCE).any(axis=0))
    terms, left = 0, 0
    for k, masses in zip(
        again.tolist(), column_masses(plan.groups, w1[cols[again]], grid), strict=True
    ):
        rows = np.flatnonzero(bounds[:, k] > TOLERANCE)
        for held in masses:
            where = np.flatnonzero(held)
            terms += len(rows) * (int(where[-1]) - int(where[0]) + 1 if len(where) else 0)
        exact, rounding = exact_rows(plan.groups, masses, rows, grid)
        left += int(np.count_nonzero(plan.bound(exact, rounding) > TOLERANCE))
    return Probe(len(again) / len(cols), terms / len(cols), left / len(cols))


def _assembled(loss: Loss) -> bool:
    """Whether the binned sweep assembles the loss from smooth sums (bce, dice:
    `binned_forms.fits`); that module is imported only for a loss declaring a form."""
    if loss.form is None:
        return False
    from losscli.engine.binned_forms import fits as forms_fit

    return forms_fit(loss)


class BinnedMethod:
    """Smooth losses by interpolated point masses convolved with the loss's kernel."""

    name = "binned"
    summary = (
        "logistic, focal, exponential, log-cosh, and bce and dice from such sums: point "
        "masses spread on fine nodes and convolved with the loss by FFT, every value within "
        f"{TOLERANCE:g} relative"
    )
    cost = BinnedCost()

    def applies(self, job: Job) -> bool:
        return fits(job.loss) or _assembled(job.loss)

    def seconds(self, job: Job) -> float:
        if job.loss.form is not None:
            return self._form_seconds(job)
        planned = self._planned(job)
        if planned is not None:
            return sum(planned)
        return self.cost.seconds(job.loss.task == "regression", job.points, job.w1.steps)

    def expected_seconds(self, job: Job) -> float:
        return workers.expected_seconds(self.seconds(job), job.w1.steps)

    def _form_seconds(self, job: Job) -> float:
        """A form's estimate (`form_seconds`): where the data is known, bce's kinks counted
        on it, and each binned sum as logistic's plan says (the forms' sums spread the same
        points over the same window), made on FORM_PLANNED of the points, evenly strided,
        where there are more (their positions are then the nodes', and a plan of all of them
        only for the estimate would cost a good part of the sweep), binning them all added."""
        from losscli.catalogue import get_loss
        from losscli.engine.binned_forms import form_seconds, kink_share

        cost: Callable[[int, int], float] = partial(self.cost.seconds, False)
        if job.dataset is None:
            return form_seconds(job.loss, job.points, job.w1.steps, cost)
        data = job.dataset
        stride = max(1, len(data) // FORM_PLANNED)
        if stride > 1:
            data = replace(data, x=data.x[::stride], y=data.y[::stride])
        planned = self._planned(replace(job, loss=get_loss("logistic"), params={}, dataset=data))
        if planned is not None:
            binning = self.cost.per_label_point * job.points if stride > 1 else 0.0
            cost = lambda points, columns: binning + sum(planned)  # noqa: E731
        targets = job.dataset.targets_for(job.loss.task, job.loss.name)
        passing = kink_share(job.loss, job.dataset.x, targets, job.w1.values, job.w2)
        return form_seconds(job.loss, job.points, job.w1.steps, cost, passing)

    def preferred(self, job: Job, direct_seconds: float) -> bool:
        if direct_seconds <= AUTO_SECONDS:
            return False
        return self.seconds(job) < direct_seconds and self._plan(job) is not False

    def _plan(self, job: Job) -> BinnedPlan | bool:
        """The plan for the job's data (made once: the sweep runs it), False where the data
        defeats the method (NotApplicable), True where the data is not known or the loss is
        a form of binned sums (bce, dice), whose parts plan their own."""
        if job.dataset is None or job.loss.form is not None:
            return True
        targets = job.dataset.targets_for(job.loss.task, job.loss.name)
        with np.errstate(all="ignore"):
            try:
                return plan_for(job.loss, job.params, job.dataset.x, targets, job.w1.values, job.w2)
            except NotApplicable:
                return False

    def _planned(self, job: Job) -> tuple[float, float] | None:
        """Seconds from the plan and a probe of a few columns, where the data is known: the
        FFT's columns, and the cells after them (`BinnedCost.planned`)."""
        plan = self._plan(job)
        if isinstance(plan, bool):
            return None
        if factored.applies(job.loss):
            return factored.seconds(plan, job.w1.steps, job.w2.steps), 0.0
        with np.errstate(all="ignore"):
            found = probe(plan, job.w1.values, job.w2)
        direct_cell = direct.METHOD.cost.seconds(job.loss.cost, job.points, 1)
        return self.cost.planned(plan, job.w1.steps, found, direct_cell)

    def run(self, job: Job, x: Array, targets: Array, progress: Progress) -> Swept:
        w1 = job.w1.values
        planned = self._planned(job)
        try:
            if job.loss.form is None:
                values, error = binned_means(
                    job.loss, job.params, x, targets, w1, job.w2, progress, seconds=planned
                )
            else:
                from losscli.engine.binned_forms import Binned, form_means

                binned = Binned(binned_means, TOLERANCE)
                values, error = form_means(
                    job.loss, job.params, x, targets, w1, job.w2, progress, binned
                )
        except NotApplicable as reason:
            raise NotApplicable(f"cannot bound its error here: {reason}") from None
        return Swept(values, error)


METHOD = BinnedMethod()
