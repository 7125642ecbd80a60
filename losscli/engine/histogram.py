"""The piecewise method's kernel: the sums of a piecewise-polynomial loss over the points, for
every w2 of a block of columns, from per-column histograms: O(G·(n + G)).

For one w1 every point contributes f(w2 − c_i), with c_i = y_i − w1·x_i (regression, u = p − y)
or c_i = −w1·x_i (classification, u = p, one description per label), and f a piecewise
polynomial with breaks k_1 < … < k_m. The w2 grid is uniform (w2_j = lo + j·h), so in grid
units point i crosses break q at t_q = (c_i + k_q − lo)/h: it is above the break for every j
from b_q = ⌊t_q⌋ + 1 on. Writing s = j − b_q + δ_q with δ_q = b_q − t_q, each piece is a
polynomial in s, and its sum over the points that use it is a combination of the counts and
the sums of δ and δ² per bin b_q, accumulated over bins. Piece q covers j in [b_q, b_{q+1}):
the first piece is summed over the bins above j (suffix sums), the others over the bins up to j
(prefix sums, the middle ones added at b_q and removed at b_{q+1}).

One histogram serves every break: the offsets K_q = (k_q − k_1)/h split into whole bins L_q
and a fraction κ_q, and each bin of t_1 is cut into sub-bins at the fractions, so each sub-bin
lands in one bin for every break. The sub-bins span t_1 from −(L_m + 2) to G; points beyond
are clamped to the end bins, keeping their exact δ, and a piece no grid point of a sub-bin
uses is left out, so far outliers add no large terms that would cancel. Counts and the bin
numbers are whole numbers, summed exactly in float64.

A break that ties a grid value exactly goes to the piece below (u ≤ k). For a loss that jumps
(zero-one, whose one break is at p = 0) the bin of every point is checked against the grid's
own float values, so ties fall exactly as in a direct evaluation of p = w1·x + w2.
"""

from __future__ import annotations

import math
import mmap
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from losscli.engine.centre import Centre

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from losscli.catalogue.structure import Piecewise
    from losscli.engine.axis import Axis

    Array = NDArray[np.float64]
    IntArray = NDArray[np.intp]

BLOCK_PAIRS = 1 << 15
"""Point-column pairs binned at once: the working arrays stay in the CPU cache."""

OPEN_SPAN = 4
"""Points spread over at most this many times the kept bins are binned without clamping."""


@dataclass(frozen=True)
class _Role:
    """One piece summed over some bins of one break: coefficients in s, direction, sub-bins."""

    brk: int
    coefficients: tuple[float, float, float]
    suffix: bool
    mask: IntArray | None


class Layout:
    """Everything about a group's sub-bins that does not depend on w1, computed once."""

    def __init__(self, shape: Piecewise, grid: Axis) -> None:
        h, steps = grid.step, grid.steps
        breaks = shape.breaks
        offsets = [(k - breaks[0]) / h for k in breaks]
        whole = [math.floor(k) for k in offsets]
        fractions = [k - w for k, w in zip(offsets, whole, strict=True)]
        self.cuts = sorted({f for f in fractions if f > 0.0})
        ways = len(self.cuts) + 1
        self.ways = ways
        self.first = -whole[-1] - 2  # the lowest bin of t_1 kept apart: below it, all-below
        self.bins = steps - self.first
        self.size = self.bins * ways
        self.exact_ties = not shape.is_continuous()

        sub = np.arange(self.size)
        base = sub // ways + self.first  # ⌊t_1⌋ of the sub-bin
        part = sub % ways  # how many cuts the fraction of δ_1 lies at or below
        self.bin: list[IntArray] = []
        self.shift: list[Array] = []
        for fraction, extra in zip(fractions, whole, strict=True):
            over = (part >= ways - 1 - self.cuts.index(fraction)) if fraction > 0.0 else 0
            b = base + extra + 1 + over
            clipped = np.clip(b, 0, steps)
            self.bin.append(clipped)
            self.shift.append(1.0 + over - fraction + (clipped - b).astype(np.float64))
        self.roles = [role for role in self._roles(shape, h) if any(role.coefficients)]
        self.degree = (
            max(
                ((1 if role.coefficients[1] else 0) if not role.coefficients[2] else 2)
                for role in self.roles
            )
            if self.roles
            else 0
        )
        self.fractional = ways > 1 or self.degree >= 2
        self.linear = len(breaks) == 1 and self.degree <= 1 and bool(self.roles)  # mae, hinge…
        j = np.arange(steps)
        self.last = [_as_slice(np.searchsorted(b, j, side="right") - 1) for b in self.bin]

    def _roles(self, shape: Piecewise, h: float) -> list[_Role]:
        breaks, pieces = shape.breaks, shape.pieces
        last = len(breaks) - 1
        roles = [_Role(0, _about(pieces[0], breaks[0], h), True, None)]
        for q in range(1, last + 1):
            mask = (self.bin[q - 1] < self.bin[q]).astype(np.intp)  # keeps counts whole
            roles.append(_Role(q - 1, _about(pieces[q], breaks[q - 1], h), False, mask))
            minus = tuple(-c for c in _about(pieces[q], breaks[q], h))
            roles.append(_Role(q, minus, False, mask))  # type: ignore[arg-type]
        roles.append(_Role(last, _about(pieces[-1], breaks[-1], h), False, None))
        return roles


def _as_slice(index: IntArray) -> slice | IntArray:
    """The last sub-bin with bin ≤ j, for each j: a slice where they are evenly spaced (a view
    instead of a gathered copy), else the indices themselves (sub-bin 0 is always at bin 0)."""
    steps = np.diff(index)
    if steps.min() == steps.max() > 0:
        return slice(int(index[0]), int(index[-1]) + 1, int(steps[0]))
    return index


def _about(coefficients: Sequence[float], k: float, h: float) -> tuple[float, float, float]:
    """A polynomial of u rewritten in s, where u = k + h·s."""
    c0, c1, c2 = (*coefficients, 0.0, 0.0)[:3]
    return (c0 + (c1 + c2 * k) * k, (c1 + 2.0 * c2 * k) * h, c2 * h * h)


class Buffers:
    """Working arrays for blocks of point-column pairs, one set per thread, kept between sweeps.

    A fresh page costs a fault of a few microseconds, more than the arithmetic done on it, so
    the arrays are allocated once and touched at once. They are mapped so that a forked
    process does not inherit them (MADV_DONTFORK where the system has it): the parent keeps
    writing them without copy-on-write faults while the child allocates its own.
    """

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def get(self, name: str, dtype: type = np.float64) -> np.ndarray:
        if name not in self.arrays:
            size = BLOCK_PAIRS * np.dtype(dtype).itemsize
            if hasattr(mmap, "MADV_DONTFORK"):
                memory = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE)
                memory.madvise(mmap.MADV_DONTFORK)
                array: np.ndarray = np.frombuffer(memory, dtype=dtype)  # keeps the map open
            else:
                array = np.empty(BLOCK_PAIRS, dtype=dtype)
            array.fill(0)
            self.arrays[name] = array
        return self.arrays[name]


_local = threading.local()


def thread_buffers() -> Buffers:
    """This thread's working arrays."""
    if not hasattr(_local, "buffers"):
        _local.buffers = Buffers()
    buffers: Buffers = _local.buffers
    return buffers


if hasattr(os, "register_at_fork"):  # a forked child has none of the parent's arrays mapped
    os.register_at_fork(after_in_child=_local.__dict__.clear)


class ScaledPoints:
    """A group's points scaled to grid units once, and the histogram of a block of columns.

    In grid units t_1 = base_i − w1·x_i/h, with base_i = (offset_i + k_1 − lo)/h − first, so
    that t_1 counts from the lowest sub-bin kept. Each point goes to sub-bin ⌊t_1⌋ (clamped
    to the kept range) split by the cuts, and adds 1, φ and φ² there, φ = t_1 − ⌊t_1⌋ (a
    clamped point keeps its true, large φ).

    Two ways to bin, the same sums: when the points' t_1 over the whole sweep spans at most
    OPEN_SPAN times the kept bins, and the frame holding them and the kept range at most one
    more such span, they are binned without clamping in a frame opened by
    `opening` whole bins below the kept range (added to base, so every t there is ≥ 1 and
    truncation is ⌊·⌋), and the bins beyond the kept range are folded into its end bins
    afterwards; otherwise (far outliers) each t_1 is clamped first. Where neither cuts nor
    squares need φ, the bins sum t itself and Σφ = Σt − count·⌊t⌋ per bin, a pass fewer per
    point. Bin numbers are int32 (cast three times as fast as int64), widened once for
    bincount, which the two bincounts then share.
    """

    def __init__(
        self, x: Array, offset: Array | None, shape: Piecewise, grid: Axis, w1: Array
    ) -> None:
        layout = Layout(shape, grid)
        self.layout = layout
        self.grid = grid
        self.raw_x = x
        # far from the origin, t_1 from centred data and a per-column shift (`column_shift`);
        # a loss with a jump places its ties by the raw floats instead, as direct does
        self.centre = Centre() if layout.exact_ties else Centre.of(x, offset)
        self.x = (x - self.centre.x) / grid.step
        if self.centre.active:
            shift = 0.0 if offset is None else offset - self.centre.y
            base = (shift + shape.breaks[0]) / grid.step - layout.first
        else:
            shift = 0.0 if offset is None else offset
            base = (shift + (shape.breaks[0] - grid.low)) / grid.step - layout.first
        frame = self._frame(base, w1)
        self.opening: int | None = None
        ways = layout.ways
        if frame is None:
            self.width = layout.size
        else:
            self.opening, span = frame
            self.width = span * ways
            whole = np.arange(span)
            kept = np.clip(whole - self.opening, 0, layout.bins - 1)
            self.beyond = np.repeat((whole - self.opening - kept).astype(np.float64), ways)
            base = base + self.opening
        self.base = np.broadcast_to(np.asarray(base, dtype=np.float64), x.shape)
        self.sums_t = not (layout.fractional or layout.exact_ties)
        self.t_base = np.arange(layout.size) // layout.ways + float(self.opening or 0)
        """⌊t⌋ of each kept sub-bin as t counts (from the opened frame's first bin)."""

    def _frame(self, base: Array | float, w1: Array) -> tuple[int, int] | None:
        """(opening, span): whole bins below the kept range and in all, to bin every t_1 of
        these columns unclamped; None if they spread too far. t_1 is linear in w1, so its
        extremes are at the first and last column; one bin each side absorbs rounding."""
        layout = self.layout
        if layout.exact_ties or len(self.x) == 0:
            return None
        low, high = math.inf, -math.inf
        bases = np.broadcast_to(base, self.x.shape)
        for start in range(0, len(self.x), BLOCK_PAIRS):  # in chunks: no n-sized temporaries
            part = slice(start, start + BLOCK_PAIRS)
            for w in (w1[:1], w1[-1:]):
                t = bases[part] - w * self.x[part]
                if self.centre.active:
                    t += self.column_shift(w)
                low, high = min(low, float(np.min(t))), max(high, float(np.max(t)))
        if not (math.isfinite(low) and math.isfinite(high)) or high - low > OPEN_SPAN * layout.bins:
            return None
        opening = max(0, 1 - math.floor(low))
        span = max(math.floor(high) + opening + 2, opening + layout.bins + 1)
        if span > (OPEN_SPAN + 1) * layout.bins + 3:  # close together, but far from the kept bins
            return None
        return opening, span

    def column_shift(self, w1: Array) -> Array:
        """What centring moves t_1 by in each column: (d − w1·c − lo)/h, from w1·c − d formed
        exactly, so only numbers the size of the residuals are rounded."""
        hi, lo = self.centre.offsets(w1)
        shift: Array = (-(hi + self.grid.low) - lo) / self.grid.step
        return shift

    def moments(self, w1: Array, buffers: Buffers) -> list[Array]:
        """Per column and kept sub-bin: the count of points and the sums of φ and φ² (as needed)."""
        layout = self.layout
        cols, width, points = len(w1), self.width, len(self.x)
        across = max(1, min(cols, BLOCK_PAIRS // max(points, 1)))
        chunk = min(points, BLOCK_PAIRS // across)
        sums: list[np.ndarray] = [np.empty((cols, width), dtype=np.intp)]  # whole counts
        sums += [np.empty((cols, width)) for _ in range(layout.degree)]
        for first_col in range(0, cols, across):
            w = w1[first_col : first_col + across, None]
            rows = slice(first_col, first_col + len(w))
            length = len(w) * width
            for start in range(0, points, chunk):
                index, weights = self._bin(w, slice(start, start + chunk), buffers)
                parts = [np.bincount(index, minlength=length)]
                if layout.degree >= 1:
                    values = weights.ravel()
                    parts.append(np.bincount(index, values, minlength=length))
                    if layout.degree >= 2:
                        np.multiply(values, values, out=values)
                        parts.append(np.bincount(index, values, minlength=length))
                for total, part in zip(sums, parts, strict=True):
                    if start:
                        total[rows] += part.reshape(len(w), width)
                    else:
                        total[rows] = part.reshape(len(w), width)
        return self._kept(sums)

    def _bin(self, w: Array, part: slice, buffers: Buffers) -> tuple[IntArray, Array]:
        """Each point's sub-bin (flat over the columns in `w`) and its weight: φ, or t if summed."""
        layout = self.layout
        shape = (len(w), len(self.x[part]))
        flat = shape[0] * shape[1]
        t = buffers.get("t")[:flat].reshape(shape)
        index = buffers.get("index", np.intp)[:flat].reshape(shape)
        if layout.exact_ties:
            floor = buffers.get("floor")[:flat].reshape(shape)
            self._tie_positions(w, part, t)
            np.clip(t, 0.0, layout.bins - 1, out=floor)
            np.copyto(index, floor, casting="unsafe")  # ≥ 0: truncation is ⌊·⌋
            _settle_ties(index, w, self.raw_x[part], self.grid, layout.first)
            phi = np.subtract(t, index, out=t)
            index += (np.arange(len(w)) * self.width)[:, None]
            return index.ravel(), phi
        np.multiply(w, self.x[part], out=t)
        np.subtract(self.base[part], t, out=t)
        if self.centre.active:
            t += self.column_shift(w)
        small = buffers.get("small", np.int32)[:flat].reshape(shape)
        weights = t
        if self.opening is None:
            floor = buffers.get("floor")[:flat].reshape(shape)
            np.clip(t, 0.0, layout.bins - 1, out=floor)
            np.copyto(small, floor, casting="unsafe")  # ≥ 0: truncation is ⌊·⌋
        else:
            np.copyto(small, t, casting="unsafe")  # t ≥ 1 in the opened frame
        if layout.fractional:
            weights = np.subtract(t, small, out=t)
            if layout.ways > 1:
                small *= layout.ways
                flag = buffers.get("flag", np.bool_)[:flat].reshape(shape)
                for cut in layout.cuts:
                    np.greater_equal(weights, 1.0 - cut, out=flag)
                    small += flag
        if len(w) > 1:
            small += (np.arange(len(w), dtype=np.int32) * self.width)[:, None]
        np.copyto(index, small)
        return index.ravel(), weights

    def _kept(self, sums: list[Array]) -> list[Array]:
        """The sums over the binning frame as sums over the kept sub-bins, with Σφ and Σφ²."""
        layout = self.layout
        if self.opening is not None:
            if not self.sums_t and len(sums) > 1:  # φ beyond the kept range is t − ⌊t⌋ there
                count, first = sums[0], sums[1]
                if len(sums) > 2:
                    sums[2] += self.beyond * (2.0 * first + self.beyond * count)
                first += self.beyond * count
            sums = [self._fold(s) for s in sums]
        if self.sums_t and len(sums) > 1 and not layout.linear:  # combine_linear takes Σt
            sums[1] -= sums[0] * self.t_base
        return sums

    def _fold(self, values: Array) -> Array:
        """Bins of the open frame beyond the kept range added into the kept end bins (a view)."""
        assert self.opening is not None
        cols, ways, bins = values.shape[0], self.layout.ways, self.layout.bins
        frame = values.reshape(cols, -1, ways)
        kept = frame[:, self.opening : self.opening + bins]
        kept[:, 0] += frame[:, : self.opening].sum(axis=1)
        kept[:, -1] += frame[:, self.opening + bins :].sum(axis=1)
        return kept.reshape(cols, self.layout.size)

    def _tie_positions(self, w: Array, part: slice, out: Array) -> None:
        """t_1 from c = −fl(w1·x) exactly (classification with a jump at k_1 = 0)."""
        np.multiply(w, self.raw_x[part], out=out)
        np.add(out, self.grid.low, out=out)
        np.divide(out, -self.grid.step, out=out)
        out -= self.layout.first


def _settle_ties(whole: IntArray, w: Array, x: Array, grid: Axis, first: int) -> None:
    """Move each point to the bin its c = −fl(w1·x) falls in by the grid's own float values.

    `whole` is ⌊t_1⌋ counted from `first`, that is b + (−first − 1) where b counts the grid
    values ≤ c; the rounding of (c − lo)/h can leave it one off at a tie, never more.
    """
    c = np.multiply(w, x)
    np.negative(c, out=c)
    steps = grid.steps
    offset = -first - 1
    above = np.full(steps + 2, np.inf)  # the grid value just above: w2_b
    below = np.full(steps + 2, -np.inf)  # the grid value just below: w2_{b−1}
    above[1 + offset : steps + offset] = grid.values[1:]
    below[1 + offset : steps + 1 + offset] = grid.values
    whole += above[whole] <= c
    whole -= below[whole] > c


def combine(layout: Layout, moments: list[Array], steps: int) -> Array:
    """Each role's sums over its bins, as a (columns, steps) array of per-w2 totals.

    A role of break q over points with bins b ≤ j (or > j) sums s = j − b + δ, δ = shift − φ:
    Σ1, Σs and Σs². With the gathered count n(j), Σδ s1(j) and Σδ² s2(j), and L the running
    sum over j (for b ≤ j: L[n](j) = Σ_{i<j} n(i) = Σ N_b (j − b); for b > j: minus the sum
    over i ≥ j, which is Σ N_b (j − b) again):
        Σs = L[n] + s1,   Σs² = L[n] + 2·L[L[n]] + 2·L[s1] + s2,
    every term a sum of like-signed parts; n is a whole number, so L[n], L[L[n]] are exact.
    Sums over b > j are the total less the sums over b ≤ j, which roles of the same break and
    sub-bins share.
    """
    total = np.zeros((moments[0].shape[0], steps))
    shared: dict[tuple[int, int, int], tuple[Array, Array]] = {}
    for role in layout.roles:
        gamma, alpha, beta = role.coefficients
        depth = 3 if beta else 2 if alpha else 1
        gathered = []
        for k in range(depth):
            key = (role.brk, id(role.mask), k)
            if key not in shared:
                shared[key] = _sums_upto(layout, moments, role, k)
            upto, whole = shared[key]
            gathered.append(whole[:, None] - upto if role.suffix else upto)
        n0 = gathered[0]
        if gamma:
            total += gamma * n0
        if depth == 1:
            continue
        s1 = gathered[1]
        lin = _running(n0, role.suffix)
        if alpha:
            total += alpha * (lin + s1)
        if beta:
            square = lin + 2.0 * _running(lin, role.suffix) + 2.0 * _running(s1, role.suffix)
            total += beta * (square + gathered[2])
    return total


def combine_linear(points: ScaledPoints, moments: list[Array], steps: int) -> Array:
    """`combine` for one break and pieces of degree ≤ 1 (mae, quantile, hinge), in fewer passes.

    With U(j) the count of points above the break at j (b ≤ j), D(j) their Σδ, N and Δ the
    totals, and L(j) = Σ_{i<j} U(i): the piece above sums γ⁺·U + α⁺·(L + D), the piece below
    γ⁻·(N − U) + α⁻·(V + Δ − D), where V(j) = −Σ_{i≥j} (N − U(i)) = ΣU − L(j) − (steps − j)·N.
    U, L and V are whole numbers, summed exactly in int64 (whose running sums numpy computes
    five times as fast as float64's); α⁺·L and α⁻·V have the same sign for a loss that grows
    away from its break, so nothing cancels.
    """
    layout = points.layout
    above = below = (0.0, 0.0)
    for role in layout.roles:
        if role.suffix:
            below = role.coefficients[:2]
        else:
            above = role.coefficients[:2]
    last = layout.last[0]
    count = moments[0]
    running_count = np.cumsum(count, axis=1)
    upto = running_count[:, last]
    whole = running_count[:, -1:]
    total = upto.astype(np.float64)
    total *= above[0] - below[0]
    total += below[0] * whole
    if not (above[1] or below[1]):
        return total
    running = np.zeros_like(upto)
    np.cumsum(upto[:, :-1], axis=1, out=running[:, 1:])
    remaining = np.arange(steps, 0, -1) * whole  # −V, from whole numbers
    remaining -= running[:, -1:] + upto[:, -1:]
    remaining += running
    total += above[1] * running.astype(np.float64)
    total -= below[1] * remaining.astype(np.float64)
    counts = count.astype(np.float64)
    if points.sums_t:  # Σδ = Σ (shift − φ) = count·(shift + ⌊t⌋) − Σt per sub-bin
        values = counts * (layout.shift[0] + points.t_base) - moments[1]
    else:
        values = counts * layout.shift[0] - moments[1]
    deltas = np.cumsum(values, axis=1)
    total += below[1] * deltas[:, -1:]
    total += (above[1] - below[1]) * deltas[:, last]
    return total


def _sums_upto(layout: Layout, moments: list[Array], role: _Role, k: int) -> tuple[Array, Array]:
    """Σ1, Σδ or Σδ² (k = 0, 1, 2) of a role's sub-bins: over bins ≤ j for each j, and in all."""
    count, shift = moments[0], layout.shift[role.brk]
    if k == 0:
        values = count
    elif k == 1:
        values = shift * count - moments[1]  # Σ δ_q = Σ (shift − φ) over the sub-bin
    else:
        values = moments[2] + shift * (shift * count - 2.0 * moments[1])  # Σ δ_q²
    if role.mask is not None:
        values = values * role.mask
    running = np.cumsum(values, axis=1)
    return running[:, layout.last[role.brk]], running[:, -1]


def _running(values: Array, suffix: bool) -> Array:
    """L over the grid index j: Σ_{i<j} values(i), or for a suffix role −Σ_{i≥j} values(i)."""
    result = np.empty_like(values)
    if suffix:
        np.cumsum(values[:, ::-1], axis=1, out=result[:, ::-1])
        np.negative(result, out=result)
    else:
        result[:, 0] = 0.0
        np.cumsum(values[:, :-1], axis=1, out=result[:, 1:])
    return result
