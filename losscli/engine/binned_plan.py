"""The binned method's plan: the node spacing, the binning of many points, the frames and the
kernels, and the constants of its error bound (see `losscli.engine.binned` for the method).

The plan is made once for all columns, so each column's sums do not depend on which columns
are swept with it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from losscli.engine.binned_rows import CELL_SECONDS, Plane
from losscli.engine.centre import Centre, far_window, row_offsets
from losscli.engine.interpolation import (
    EPSILON,
    ORDER,
    SPREAD_BLOCK,
    bin_plane,
    error_bounds,
    lebesgue,
)
from losscli.engine.method import NotApplicable

if TYPE_CHECKING:
    from collections.abc import Mapping

    from numpy.typing import NDArray

    from losscli.catalogue import Loss
    from losscli.engine.axis import Axis

    Array = NDArray[np.float64]

TARGET = 1e-13
"""The interpolation error asked of every point, relative to its loss: sets the node spacing."""

FLOOR = 1e-4
"""Where a loss is near 0 (log-cosh at u = 0) its error is held to TARGET of FLOOR times the
kernel's largest value instead."""

MAX_FFT_LENGTH = 1 << 18
"""Longest FFT a column may need; wider spreads of residuals are refused (swept directly)."""

MAX_PLANE = 1 << 22
"""Most (x, y) nodes a regression may be binned on before the columns (32 MiB of float64)."""

MARGIN = 10 * ORDER
"""Kernel samples taken beyond each end to judge its differences there: the widest stencil
(ORDER strides of 8) and a window of ORDER more."""

POSITION_SECONDS = 8e-8
"""Seconds, about, for a column to spread one position (a point or a node) with its own
weights (one core; `benchmarks/bench_estimates.py`)."""

PLANE_POINT_SECONDS = 2e-6
"""Seconds, about, to bin one regression point on the (x, y) nodes (ORDER² weights)."""

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
    centre: Centre
    """Where x and offset are centred (`losscli.engine.centre`): c is then
    offset − w1·x − (w1·cx − cy), the last term formed exactly per column."""
    plane: Plane | None = None
    """The same positions as rows of a plane, where they were binned on (x, y) nodes."""

    @property
    def mass(self) -> float:
        """Σ|weight|: what the FFT's rounding scales with."""
        return float(len(self.x) if self.weight is None else np.abs(self.weight).sum())


@dataclass(frozen=True)
class RowMoves:
    """Far from 0 the columns' nodes place w2 at lo + j·h, which the stored values differ
    from by their rounding (units in the last place of |w2|: a shift of every point alike,
    which the sum does not average out). Each row is moved to its stored value to first
    order: the sums gain offset·Σf′(…), from the same masses with a kernel of f′.

    `offsets`: each stored w2 less lo + j·h (`centre.row_offsets`); `slopes`: each group's
    kernel of f′ (second-order differences of its kernel: the move is some 10⁻¹³ of a sum,
    so SLOPE_ERROR of it is far below the bound); `scale` and `curvature`: Σ mass·max|f′|
    and Σ mass·max|f″|, for the bound on the move's error."""

    offsets: Array
    slopes: list[Array]
    scale: float
    curvature: float

    def apply(self, sums: Array, bounds: Array, slope_sums: Array) -> None:
        """Move the rows of sums (rows, columns), with their relative bounds, in place."""
        step = self.offsets[:, None]
        with np.errstate(invalid="ignore"):
            absolute = np.where(np.isfinite(bounds), bounds * np.abs(sums), np.inf)
        sums += step * slope_sums
        absolute += np.abs(step) * (SLOPE_ERROR * self.scale) + 0.5 * step**2 * self.curvature
        with np.errstate(divide="ignore", invalid="ignore"):
            relative = absolute / np.abs(sums)
        bounds[:] = np.where(np.isfinite(relative), relative, np.inf)

    @classmethod
    def of(cls, groups: list[KernelGroup], grid: Axis) -> RowMoves | None:
        """The moves for a window far from 0; None near it."""
        if not far_window(grid.low, grid.high):
            return None
        delta = grid.step / groups[0].refine if groups else grid.step
        slopes, scale, curvature = [], 0.0, 0.0
        for group in groups:
            kernel = group.kernel
            slope = np.gradient(kernel, delta, edge_order=2) if len(kernel) > 2 else kernel * 0.0
            bend = np.gradient(slope, delta, edge_order=2) if len(kernel) > 2 else slope
            slopes.append(slope)
            scale += group.mass * float(np.max(np.abs(slope), initial=0.0))
            curvature += 2.0 * group.mass * float(np.max(np.abs(bend), initial=0.0))
        offsets = row_offsets(grid.values, grid.low, grid.step)
        return cls(offsets, slopes, scale, curvature)


SLOPE_ERROR = 1e-3
"""Relative error allowed the sums of f′ (of Σ mass·max|f′|), for the rows' first-order move."""


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
    moves: RowMoves | None = None

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


@dataclass
class _Source:
    """One kernel's points before planning: f, and c = offset − w1·x."""

    f: Callable[[Array], Array]
    x: Array
    offset: Array | None
    centre: Centre


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
        positions, offset, weight, stages, plane = _compress(source, delta, reach, len(w1))
        compressed = _Source(source.f, positions, offset, source.centre)
        frame = _frame(compressed, w1, grid, refine, fixed=frame)
        if frame.shortfall > 1.0:  # the nodes reached beyond the points' frame, to worse
            raise NotApplicable("the loss varies too fast for interpolation on this grid")
        anchor, nodes, kernel = frame.anchor, frame.nodes, frame.kernel
        length = fft_length(len(kernel))
        group = KernelGroup(
            positions, offset, weight, refine, anchor, nodes, kernel, length, source.centre, plane
        )
        groups.append(group)
        stacked = sum(spread**s for s in range(stages + 1))
        factor = max(factor, stacked)
        peak = float(np.max(kernel, initial=0.0))
        floor += stacked * TARGET * FLOOR * peak * len(source.x)
        rounding += EPSILON * math.log2(length) * spread * group.mass * peak
    return BinnedPlan(groups, factor, floor, rounding, RowMoves.of(groups, grid))


_KEPT: list[tuple[tuple[object, ...], BinnedPlan] | None] = [None]
"""The last plan made by `plan_for`, with what it was made from (replaced whole, so a thread
reading it sees one or the other)."""


def plan_for(
    loss: Loss,
    params: Mapping[str, float],
    x: Array,
    targets: Array,
    w1: Array,
    grid: Axis,
) -> BinnedPlan:
    """`prepare_kernels`, kept for the next call on the same data (the same x array, equal
    targets), loss, hyper-parameters and grid: the estimate plans a sweep, since its cost
    depends on the plan, and the sweep then runs that plan instead of making it again."""
    key = (loss, dict(params), x, targets, w1, grid)
    kept = _KEPT[0]
    if kept is not None and _same(kept[0], key):
        return kept[1]
    _KEPT[0] = None  # let the old data go before planning the new
    plan = prepare_kernels(loss, params, x, targets, w1, grid)
    _KEPT[0] = (key, plan)
    return plan


def _same(kept: tuple[object, ...], key: tuple[object, ...]) -> bool:
    loss, params, x, targets, w1, grid = key
    old_loss, old_params, old_x, old_targets, old_w1, old_grid = kept
    return (
        loss is old_loss
        and params == old_params
        and x is old_x
        and grid == old_grid
        and np.array_equal(w1, old_w1)  # type: ignore[arg-type]
        and (targets is old_targets or np.array_equal(targets, old_targets))  # type: ignore[arg-type]
    )


def _sources(loss: Loss, params: Mapping[str, float], x: Array, targets: Array) -> list[_Source]:
    """One kernel for regression (f(u) = ℓ(u, 0)), one per label present for classification."""
    if loss.task == "regression":

        def residual(u: Array) -> Array:
            return loss.value(u, np.zeros_like(u), **params)

        centre = Centre.of(x, targets)  # far from the origin: centred, the shift exact
        return [_Source(residual, x - centre.x, targets - centre.y, centre)]
    sources = []
    for label in (1.0, -1.0):
        chosen = targets == label
        if chosen.any():

            def score(u: Array, label: float = label) -> Array:
                return loss.value(u, np.full_like(u, label), **params)

            centre = Centre.of(x[chosen])
            sources.append(_Source(score, x[chosen] - centre.x, None, centre))
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
    below, above = (grid.low - low) / delta, (high - grid.low) / delta
    if not (math.isfinite(below) and math.isfinite(above)):  # too many to count in float64
        raise NotApplicable(
            f"the residuals spread over more than {MAX_FFT_LENGTH} node widths (far outliers)"
        )
    largest = max(abs(low), abs(high), abs(grid.low))
    if math.ulp(largest) > delta / 2:  # float64 cannot place a point between its nodes
        raise NotApplicable(f"residuals of {largest:.3g} are too far from the grid (far outliers)")
    anchor = math.ceil(below) + 2 * ORDER
    nodes = math.floor(above) + anchor + 2 * ORDER + 1
    if (
        fixed is not None
        and fixed.anchor >= anchor
        and fixed.nodes - fixed.anchor >= nodes - anchor
    ):
        return fixed
    size = (grid.steps - 1) * refine + nodes
    if size > MAX_FFT_LENGTH:
        raise NotApplicable(
            f"the residuals spread over {size} node widths, "
            f"more than {MAX_FFT_LENGTH} (far outliers)"
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
    for w in (w1[:1], w1[-1:]):
        hi, lo = source.centre.offsets(w)
        for start in range(0, len(source.x), SPREAD_BLOCK):
            part = slice(start, start + SPREAD_BLOCK)
            c = -w * source.x[part]
            if source.offset is not None:
                c += source.offset[part]
            if source.centre.active:
                c -= hi + lo
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
    source: _Source, delta: float, reach: float, columns: int
) -> tuple[Array, Array | None, Array | None, int, Plane | None]:
    """The positions the columns spread: the points themselves, or, when there are far more
    points than nodes, nodes in x (spacing δ/max|w1|, so w1·x moves by at most δ between them)
    and for regression in y (spacing δ), with the points' masses. Also how many spreadings
    (0, 1 or 2) lie between a point and the columns' nodes, and for regression's nodes their
    `Plane`, whose rows the columns spread: binned where the `columns` spreading its cells
    would cost less than spreading the points, and the binning (per point) pays."""
    x, offset, count = source.x, source.offset, len(source.x)
    if count == 0:
        return x, offset, None, 0, None
    step_x = delta / reach
    lo_x, hi_x = float(x.min()), float(x.max())
    across = math.floor((hi_x - lo_x) / step_x) + ORDER + 2
    if offset is None:
        if across * 2 > count:
            return x, offset, None, 0, None
        masses = bin_plane(x, None, lo_x, step_x, across, 0.0, 1.0, 1)
        kept = np.flatnonzero(masses)
        nodes: Array = lo_x + (kept - (ORDER // 2 - 1)).astype(np.float64) * step_x
        return nodes, None, masses[kept], 1, None
    lo_y, hi_y = float(offset.min()), float(offset.max())
    down = math.floor((hi_y - lo_y) / delta) + ORDER + 2
    if across * down > min(MAX_PLANE, ORDER * ORDER * count):  # no larger than what it holds
        return x, offset, None, 0, None
    if columns * POSITION_SECONDS < PLANE_POINT_SECONDS:  # too few columns to pay for it
        return x, offset, None, 0, None
    masses = bin_plane(x, offset, lo_x, step_x, across, lo_y, delta, down)
    plane = Plane.of(masses.reshape(across, down), lo_x, step_x, lo_y - (ORDER // 2 - 1) * delta)
    if plane.cells * CELL_SECONDS > count * POSITION_SECONDS:
        return x, offset, None, 0, None
    kept = np.flatnonzero(masses)
    row, col = np.divmod(kept, down)
    positions = lo_x + (row - (ORDER // 2 - 1)) * step_x
    offsets = lo_y + (col - (ORDER // 2 - 1)) * delta
    return positions, offsets, masses[kept], 2, plane
