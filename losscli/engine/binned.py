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
kernel with a negative or non-finite value over the grid, or residuals spread so wide (far
outliers) that the FFT would exceed MAX_LENGTH.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from losscli.engine.interpolation import (
    EPSILON,
    ORDER,
    SPREAD_BLOCK,
    bin_plane,
    error_bounds,
    lebesgue,
    spread_positions,
)
from losscli.engine.method import Job, NotApplicable, Progress, Swept

if TYPE_CHECKING:
    from collections.abc import Mapping

    from numpy.typing import NDArray

    from losscli.catalogue import Loss
    from losscli.engine.axis import Axis

    Array = NDArray[np.float64]
    IntArray = NDArray[np.intp]

TARGET = 1e-13
"""The interpolation error asked of every point, relative to its loss: sets the node spacing."""

FLOOR = 1e-4
"""Where a loss is near 0 (log-cosh at u = 0) its error is held to TARGET of FLOOR times the
kernel's largest value instead."""

TOLERANCE = 1e-12
"""The declared bound: a cell whose bound is more than this, relative to its value, is
evaluated directly."""

MAX_LENGTH = 1 << 18
"""Longest FFT a column may need; wider spreads of residuals are refused (swept directly)."""

MAX_PLANE = 1 << 22
"""Most (x, y) nodes a regression may be binned on before the columns (32 MiB of float64)."""

BLOCK_SPECTRUM = 1 << 17
"""Complex FFT values a block of columns holds at once (2 MiB): memory stays bounded."""

MARGIN = 10 * ORDER
"""Kernel samples taken beyond each end to judge its differences there: the widest stencil
(ORDER strides of 8) and a window of ORDER more."""

REFINE_TRIES = 10
"""Attempts at a node spacing before giving up (each one refines by the measured shortfall)."""


@dataclass(frozen=True)
class KernelGroup:
    """Masses swept with one kernel: c = offset − w1·x at each position, of weight `weight`.

    The frame: node m sits at c = `origin` + m·δ, δ = grid step / `refine`, for m < `nodes`;
    `kernel[i]` is f((first + i)·δ), first = A − nodes + 1 where origin = lo − A·δ; the
    convolution runs at FFT length `length`.
    """

    x: Array
    offset: Array | None
    weight: Array | None
    refine: int
    anchor: int
    nodes: int
    kernel: Array
    length: int

    @property
    def mass(self) -> float:
        """Σ|weight|: what the FFT's rounding scales with."""
        return float(len(self.x) if self.weight is None else np.abs(self.weight).sum())


@dataclass(frozen=True)
class BinnedPlan:
    """A binned sweep ready to run: its groups, and the constants of its error bound.

    A cell whose exact sum is S has |binned − S| ≤ factor·TARGET·S + floor + rounding, where
    `floor` covers the points where the loss is near 0 and `rounding` the FFT's rounding.
    """

    groups: list[KernelGroup]
    factor: float
    floor: float
    rounding: float

    def bound(self, sums: Array, rounding: Array | float | None = None) -> Array:
        """Each cell's bound relative to its computed sum (inf where the sum is 0); `rounding`
        replaces the FFT's where the sums were formed otherwise."""
        absolute = self.floor + (self.rounding if rounding is None else rounding)
        with np.errstate(divide="ignore", invalid="ignore"):
            relative: Array = self.factor * TARGET + absolute / np.abs(sums)
        return np.where(np.isfinite(relative), relative, np.inf)


def fits(loss: Loss) -> bool:
    """Whether the loss is declared fit for the binned sweep: per point, smooth, and a function
    of one number (the score per label, or the residual)."""
    return loss.per_point and loss.smooth and (loss.task == "classification" or loss.residual)


def fft_length(size: int) -> int:
    """The smallest 2^a·3^b·5^c at least `size`: lengths pocketfft transforms fastest."""
    best = 1 << max(0, (size - 1).bit_length())
    five = 1
    while five < best:
        three = five
        while three < best:
            two = three
            while two < size:
                two *= 2
            best = min(best, two)
            three *= 3
        five *= 5
    return best


# ---------------------------------------------------------------------------------------------
# Planning: the node spacing, the binning of many points, the frames and kernels.


@dataclass
class _Source:
    """One kernel's points before planning: f, and c = offset − w1·x."""

    f: Callable[[Array], Array]
    x: Array
    offset: Array | None


def prepare_kernels(
    loss: Loss,
    params: Mapping[str, float],
    x: Array,
    targets: Array,
    w1: Array,
    grid: Axis,
) -> BinnedPlan:
    """The binned sweep of this loss and data over the columns w1 (all of them: each column's
    result does not depend on which others are swept), or NotApplicable with the reason."""
    if not fits(loss):
        raise NotApplicable("the loss is not declared smooth and a function of one number")
    sources = _sources(loss, params, x, targets)
    reach = max(abs(float(w1[0])), abs(float(w1[-1])))
    refine = 1
    for _ in range(REFINE_TRIES):
        frames = [_frame(source, w1, grid, refine) for source in sources]
        worst = max(frame.shortfall for frame in frames)
        if worst <= 1.0:
            break
        # finer by the shortfall, at most 8 times at once (far from the answer the differences
        # need not scale as δ^ORDER)
        more = min(8.0, worst ** (1.0 / ORDER) * 1.05)
        refine = math.ceil(refine * more)
    else:
        raise NotApplicable("the loss varies too fast for interpolation on this grid")

    delta = grid.step / refine
    spread = lebesgue()
    groups: list[KernelGroup] = []
    factor, floor, rounding = 1.0, 0.0, 0.0
    for source, frame in zip(sources, frames, strict=True):
        positions, offset, weight, stages = _compress(source, delta, reach)
        frame = _frame(_Source(source.f, positions, offset), w1, grid, refine, fixed=frame)
        if frame.shortfall > 1.0:  # the nodes reached beyond the points' frame, to worse
            raise NotApplicable("the loss varies too fast for interpolation on this grid")
        anchor, nodes, kernel = frame.anchor, frame.nodes, frame.kernel
        length = fft_length(len(kernel))
        group = KernelGroup(positions, offset, weight, refine, anchor, nodes, kernel, length)
        groups.append(group)
        stacked = sum(spread**s for s in range(stages + 1))
        factor = max(factor, stacked)
        peak = float(np.max(kernel, initial=0.0))
        floor += stacked * TARGET * FLOOR * peak * len(source.x)
        rounding += EPSILON * math.log2(length) * spread * group.mass * peak
    return BinnedPlan(groups, factor, floor, rounding)


def _sources(loss: Loss, params: Mapping[str, float], x: Array, targets: Array) -> list[_Source]:
    """One kernel for regression (f(u) = ℓ(u, 0)), one per label present for classification."""
    if loss.task == "regression":

        def residual(u: Array) -> Array:
            return loss.value(u, np.zeros_like(u), **params)

        return [_Source(residual, x, targets)]
    sources = []
    for label in (1.0, -1.0):
        chosen = targets == label
        if chosen.any():

            def score(u: Array, label: float = label) -> Array:
                return loss.value(u, np.full_like(u, label), **params)

            sources.append(_Source(score, x[chosen], None))
    return sources


@dataclass(frozen=True)
class _Frame:
    """Nodes m = 0 … nodes − 1 at lo + (m − anchor)·δ, the kernel over every node-to-grid
    offset, and how far its worst point's interpolation error is over its share."""

    anchor: int
    nodes: int
    kernel: Array
    shortfall: float


def _frame(
    source: _Source, w1: Array, grid: Axis, refine: int, fixed: _Frame | None = None
) -> _Frame:
    """The frame whose nodes cover every c = offset − w1·x of every column with 2·ORDER nodes
    to spare each side. `fixed` is kept if it already covers them (the binned positions stay
    inside the points' own frame). The kernel is sampled MARGIN samples further each side to
    judge the interpolation error at its ends as well as inside."""
    delta = grid.step / refine
    low, high = _c_range(source, w1)
    anchor = math.ceil((grid.low - low) / delta) + 2 * ORDER
    nodes = math.floor((high - grid.low) / delta) + anchor + 2 * ORDER + 1
    if (
        fixed is not None
        and fixed.anchor >= anchor
        and fixed.nodes - fixed.anchor >= nodes - anchor
    ):
        return fixed
    size = (grid.steps - 1) * refine + nodes
    if size > MAX_LENGTH:
        raise NotApplicable(
            f"the residuals spread over {size} node widths, more than {MAX_LENGTH} (far outliers)"
        )
    first = anchor - nodes + 1 - MARGIN
    with np.errstate(all="ignore"):
        offsets: Array = np.arange(first, first + size + 2 * MARGIN, dtype=np.float64) * delta
        extended = np.asarray(source.f(offsets), dtype=np.float64)
    kernel = extended[MARGIN : MARGIN + size]
    if not np.all(np.isfinite(kernel)):
        raise NotApplicable("the loss overflows on this grid")
    if np.any(kernel < 0.0):
        raise NotApplicable("the loss is negative somewhere on this grid")
    return _Frame(anchor, nodes, kernel, _shortfall(extended))


def _c_range(source: _Source, w1: Array) -> tuple[float, float]:
    """The least and greatest c = offset − w1·x over all columns (linear in w1: the ends)."""
    if len(source.x) == 0:
        return 0.0, 0.0
    low, high = math.inf, -math.inf
    for w in (float(w1[0]), float(w1[-1])):
        for start in range(0, len(source.x), SPREAD_BLOCK):
            part = slice(start, start + SPREAD_BLOCK)
            c = -w * source.x[part]
            if source.offset is not None:
                c += source.offset[part]
            low, high = min(low, float(c.min())), max(high, float(c.max()))
    if not (math.isfinite(low) and math.isfinite(high)):
        raise NotApplicable("the data or grid is too large for float64")
    return low, high


def _shortfall(extended: Array) -> float:
    """How far the worst point's interpolation error is over its share (≤ 1: met), judged on
    the kernel samples inside the MARGIN."""
    error, least = error_bounds(extended)
    inside = slice(MARGIN, len(extended) - MARGIN)
    error, least = error[inside], least[inside]
    kernel = extended[MARGIN : len(extended) - MARGIN]
    scale = np.maximum(least, FLOOR * float(np.max(kernel, initial=0.0)))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(error > 0.0, error / (TARGET * scale), 0.0)
    return float(np.max(ratio, initial=0.0))


def _compress(
    source: _Source, delta: float, reach: float
) -> tuple[Array, Array | None, Array | None, int]:
    """The positions the columns spread: the points themselves, or, when there are far more
    points than nodes, nodes in x (spacing δ/max|w1|, so w1·x moves by at most δ between them)
    and for regression in y (spacing δ), with the points' masses. Also how many spreadings
    (0, 1 or 2) lie between a point and the columns' nodes."""
    x, offset, count = source.x, source.offset, len(source.x)
    if count == 0:
        return x, offset, None, 0
    step_x = delta / reach
    lo_x, hi_x = float(x.min()), float(x.max())
    across = math.floor((hi_x - lo_x) / step_x) + ORDER + 2
    if offset is None:
        if across * 2 > count:
            return x, offset, None, 0
        masses = bin_plane(x, None, lo_x, step_x, across, 0.0, 1.0, 1)
        kept = np.flatnonzero(masses)
        nodes: Array = lo_x + (kept - (ORDER // 2 - 1)).astype(np.float64) * step_x
        return nodes, None, masses[kept], 1
    lo_y, hi_y = float(offset.min()), float(offset.max())
    down = math.floor((hi_y - lo_y) / delta) + ORDER + 2
    if across * down > min(MAX_PLANE, ORDER * ORDER * count):  # no larger than what it holds
        return x, offset, None, 0
    masses = bin_plane(x, offset, lo_x, step_x, across, lo_y, delta, down)
    kept = np.flatnonzero(masses)
    if len(kept) * 2 > count:
        return x, offset, None, 0
    row, col = np.divmod(kept, down)
    positions = lo_x + (row - (ORDER // 2 - 1)) * step_x
    offsets = lo_y + (col - (ORDER // 2 - 1)) * delta
    return positions, offsets, masses[kept], 2


# ---------------------------------------------------------------------------------------------
# The sweep.


def kernel_sums(
    groups: Sequence[KernelGroup],
    w1: Array,
    grid: Axis,
    progress: Callable[[float], None] | None = None,
) -> Array:
    """Σ f(w2 − c) over every group's masses for every w2 (rows) and w1 (columns): the sums,
    not yet means. Each column's sums are the same whichever columns are swept with it."""
    totals = np.zeros((grid.steps, len(w1)))
    work = sum(len(group.x) + group.length for group in groups) * len(w1)
    done = 0
    for group in groups:
        if len(group.x) == 0:
            continue
        spectrum = np.fft.rfft(group.kernel, group.length)
        per_block = max(1, BLOCK_SPECTRUM // group.length)
        for start in range(0, len(w1), per_block):
            cols = slice(start, start + per_block)
            totals[:, cols] += _columns(group, w1[cols], grid, spectrum)
            done += (len(group.x) + group.length) * len(w1[cols])
            if progress is not None:
                progress(done / work)
    return totals


def _columns(group: KernelGroup, w1: Array, grid: Axis, spectrum: NDArray[np.complex128]) -> Array:
    """The sums of a block of columns: node masses per column, convolved with the kernel."""
    nodes = group.nodes
    transformed = np.fft.rfft(_masses(group, w1, grid), group.length, axis=1)
    transformed *= spectrum
    sums = np.fft.irfft(transformed, group.length, axis=1)
    # t = j·R + nodes − 1 is the grid's row j (see KernelGroup)
    result: Array = sums[:, nodes - 1 :: group.refine][:, : grid.steps].T
    return result


def _masses(group: KernelGroup, w1: Array, grid: Axis) -> Array:
    """The node masses (columns, nodes) of a block of columns.

    Columns are spread `per` at a time and points `chunk` at a time, both fixed by the group
    alone, so each column's masses are summed in the same order in any block."""
    delta = grid.step / group.refine
    origin = grid.low - group.anchor * delta
    cols, nodes, count = len(w1), group.nodes, len(group.x)
    masses = np.zeros((cols, nodes))
    per = max(1, SPREAD_BLOCK // count)
    chunk = max(1, SPREAD_BLOCK // per)
    steps = np.arange(ORDER)[:, None, None]
    for first in range(0, cols, per):
        w = w1[first : first + per, None]
        rows = masses[first : first + len(w)]
        shift = (np.arange(len(w)) * nodes)[None, :, None] + steps
        for start in range(0, count, chunk):
            part = slice(start, start + chunk)
            c = -w * group.x[part]
            if group.offset is not None:
                c += group.offset[part]
            index, weights = spread_positions((c - origin) / delta)
            if group.weight is not None:
                weights *= group.weight[part]
            flat = (index[None, :, :] + shift).ravel()
            spread = np.bincount(flat, weights.ravel(), minlength=rows.size)
            rows += spread.reshape(rows.shape)
    return masses


def _exact_rows(
    groups: Sequence[KernelGroup], w1: float, rows: IntArray, grid: Axis
) -> tuple[Array, Array]:
    """The sums of some rows of one column as plain dot products of its node masses with the
    kernel (no FFT), and the bound on their rounding: log₂(nodes)·ε·Σ|mass·K| (pairwise
    summation)."""
    sums = np.zeros(len(rows))
    rounding = np.zeros(len(rows))
    for group in groups:
        if len(group.x) == 0:
            continue
        masses = _masses(group, np.array([w1]), grid)[0]
        lowest = np.flatnonzero(masses)
        if len(lowest) == 0:
            continue
        first, last = int(lowest[0]), int(lowest[-1]) + 1
        masses = masses[first:last]
        per = max(1, BLOCK_SPECTRUM // len(masses))
        for start in range(0, len(rows), per):
            part = slice(start, start + per)
            t = rows[part] * group.refine + group.nodes - 1  # see KernelGroup
            kernel = group.kernel[t[:, None] - np.arange(first, last)[None, :]]
            terms = kernel * masses
            sums[part] += terms.sum(axis=1)
            np.abs(terms, out=terms)
            rounding[part] += (math.log2(len(masses)) + 1) * EPSILON * terms.sum(axis=1)
    return sums, rounding


def binned_means(
    loss: Loss,
    params: Mapping[str, float],
    x: Array,
    targets: Array,
    w1: Array,
    grid: Axis,
    progress: Callable[[float], None] | None = None,
) -> tuple[Array, float]:
    """The mean loss at every cell, and the declared bound: the largest relative error bound
    of the cells not evaluated directly (≤ TOLERANCE).

    A cell whose bound, with the FFT's rounding, exceeds TOLERANCE (its sum is small beside
    the largest kernel values) is summed again from its node masses without the FFT; one
    whose bound still exceeds it (a loss near 0 at nearly every point) is evaluated directly.
    """
    chosen = prepare_kernels(loss, params, x, targets, w1, grid)
    sums = kernel_sums(chosen.groups, w1, grid, progress)
    bounds = chosen.bound(sums)
    for col in np.flatnonzero((bounds > TOLERANCE).any(axis=0)).tolist():
        rows = np.flatnonzero(bounds[:, col] > TOLERANCE)
        exact, rounding = _exact_rows(chosen.groups, float(w1[col]), rows, grid)
        sums[rows, col] = exact
        bounds[rows, col] = chosen.bound(exact, rounding)
    values = sums / len(x)
    rows, cols = np.nonzero(bounds > TOLERANCE)
    for row, col in zip(rows.tolist(), cols.tolist(), strict=True):
        values[row, col] = _direct_cell(loss, params, x, targets, w1[col], grid.values[row])
    kept = bounds <= TOLERANCE
    return values, float(np.max(bounds[kept], initial=0.0))


def _direct_cell(
    loss: Loss, params: Mapping[str, float], x: Array, targets: Array, w1: float, w2: float
) -> float:
    """One cell's mean loss by direct evaluation, in blocks of points (bounded memory)."""
    total = 0.0
    for start in range(0, len(x), SPREAD_BLOCK):
        part = slice(start, start + SPREAD_BLOCK)
        predictions = w1 * x[part] + w2
        total += float(loss.value(predictions, targets[part], **params).sum())
    return total / len(x)


AUTO_SECONDS = 10.0
"""`auto` takes the binned approximation only for sweeps a direct evaluation would take longer
than this over: below it, the exact answer is affordable."""

POSITIONS = {"classification": 1 << 12, "regression": 1 << 19}
"""Positions a column spreads at most, about: nodes in x per label, or in (x, y)."""


@dataclass(frozen=True)
class BinnedCost:
    """Seconds on one core: a fixed start, binning each point once (dearer in (x, y) for
    regression than in x per label), then per column a share and a share per position spread.
    Rough costs of a current CPU, for choosing, never reported."""

    start: float = 5e-3
    per_label_point: float = 5e-8
    per_residual_point: float = 6e-7
    per_column: float = 3e-5
    per_column_position: float = 3.5e-8

    def seconds(self, regression: bool, points: int, columns: int) -> float:
        positions = min(points, POSITIONS["regression" if regression else "classification"])
        per_point = self.per_residual_point if regression else self.per_label_point
        spread = self.per_column + self.per_column_position * positions
        return self.start + per_point * points + columns * spread


class BinnedMethod:
    """Smooth losses by interpolated point masses convolved with the loss's kernel."""

    name = "binned"
    summary = (
        "logistic, focal, exponential, log-cosh: point masses spread on fine nodes and "
        f"convolved with the loss by FFT, every value within {TOLERANCE:g} relative"
    )
    exact = False
    cost = BinnedCost()

    def applies(self, job: Job) -> bool:
        return fits(job.loss)

    def seconds(self, job: Job) -> float:
        return self.cost.seconds(job.loss.task == "regression", job.points, job.w1.steps)

    def expected_seconds(self, job: Job) -> float:
        return self.seconds(job)

    def preferred(self, job: Job, direct_seconds: float) -> bool:
        return direct_seconds > AUTO_SECONDS and self.seconds(job) < direct_seconds

    def run(self, job: Job, x: Array, targets: Array, progress: Progress) -> Swept:
        w1 = job.w1.values
        try:
            values, error = binned_means(job.loss, job.params, x, targets, w1, job.w2, progress)
        except NotApplicable as reason:
            raise NotApplicable(f"cannot bound its error here: {reason}") from None
        return Swept(values, error)


METHOD = BinnedMethod()
