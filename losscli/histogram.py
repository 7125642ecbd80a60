"""Exact sweeps of piecewise-polynomial losses from per-column histograms: O(G·(n + G)).

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from losscli.piecewise import PerLabel, Piecewise, check_description

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from losscli.piecewise import Description

    Array = NDArray[np.float64]
    IntArray = NDArray[np.intp]

BLOCK_POINTS = 1 << 15
"""Point-column pairs binned at once: the working arrays stay in the CPU cache."""

BLOCK_BINS = 1 << 17
"""Sub-bin-column pairs combined at once, which bounds memory for wide grids."""

BLOCK_WORK = 1 << 22
"""Point-column pairs between two progress reports (a few tens of milliseconds)."""

MAX_SPAN = 16
"""A description whose breaks span more than this many grid widths is swept directly."""


@dataclass(frozen=True)
class Grid:
    """The w2 axis as the engine needs it: lo + j·h for j < steps, and its float values."""

    low: float
    step: float
    values: Array

    @property
    def steps(self) -> int:
        return len(self.values)

    @classmethod
    def of(cls, values: Array) -> Grid:
        steps = len(values)
        return cls(float(values[0]), float(values[-1] - values[0]) / (steps - 1), values)


@dataclass(frozen=True)
class Group:
    """Points swept with one `Piecewise`: c_i = offset_i − w1·x_i (offset None means 0)."""

    x: Array
    offset: Array | None
    shape: Piecewise


def groups_for(description: Description, x: Array, targets: Array) -> list[Group]:
    """Split the data by label for a classification description; one group for regression."""
    if isinstance(description, Piecewise):
        check_description(description, classification=False)
        return [Group(x, targets, description)]
    check_description(description, classification=True)
    groups = []
    for label in (1.0, -1.0):
        chosen = targets == label
        if chosen.any():
            groups.append(Group(x[chosen], None, description.for_label(label)))
    return groups


def supports(description: Description, grid: Grid) -> bool:
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
class _Role:
    """One piece summed over some bins of one break: coefficients in s, direction, sub-bins."""

    brk: int
    coefficients: tuple[float, float, float]
    suffix: bool
    mask: Array | None


class _Layout:
    """Everything about a group's sub-bins that does not depend on w1, computed once."""

    def __init__(self, shape: Piecewise, grid: Grid) -> None:
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
        self.roles = self._roles(shape, h)
        self.degree = max(
            (1 if role.coefficients[1] else 0) if not role.coefficients[2] else 2
            for role in self.roles
        )
        j = np.arange(steps)
        self.upto = [np.searchsorted(b, j, side="right") for b in self.bin]

    def _roles(self, shape: Piecewise, h: float) -> list[_Role]:
        breaks, pieces = shape.breaks, shape.pieces
        last = len(breaks) - 1
        roles = [_Role(0, _about(pieces[0], breaks[0], h), True, None)]
        for q in range(1, last + 1):
            mask = (self.bin[q - 1] < self.bin[q]).astype(np.float64)
            roles.append(_Role(q - 1, _about(pieces[q], breaks[q - 1], h), False, mask))
            minus = tuple(-c for c in _about(pieces[q], breaks[q], h))
            roles.append(_Role(q, minus, False, mask))  # type: ignore[arg-type]
        roles.append(_Role(last, _about(pieces[-1], breaks[-1], h), False, None))
        return roles


def _about(coefficients: Sequence[float], k: float, h: float) -> tuple[float, float, float]:
    """A polynomial of u rewritten in s, where u = k + h·s."""
    c0, c1, c2 = (*coefficients, 0.0, 0.0)[:3]
    return (c0 + (c1 + c2 * k) * k, (c1 + 2.0 * c2 * k) * h, c2 * h * h)


def sweep_sums(
    groups: Sequence[Group],
    w1: Array,
    grid: Grid,
    progress: Callable[[float], None] | None = None,
) -> Array:
    """Σ_i f(w1·x_i + w2 …) for every w2 (rows) and w1 (columns): the sums, not yet means."""
    totals = np.zeros((grid.steps, len(w1)))
    layouts = [_Layout(group.shape, grid) for group in groups]
    work = sum(len(g.x) + layout.size for g, layout in zip(groups, layouts, strict=True)) * len(w1)
    done = 0
    for group, layout in zip(groups, layouts, strict=True):
        points = _Points(group, layout, grid)
        per_block = max(1, min(BLOCK_BINS // layout.size, BLOCK_WORK // max(len(group.x), 1)))
        for start in range(0, len(w1), per_block):
            cols = slice(start, start + per_block)
            moments = points.moments(w1[cols])
            totals[:, cols] += _combine(layout, moments, grid.steps).T
            done += (len(group.x) + layout.size) * len(w1[cols])
            if progress is not None:
                progress(done / work)
    return totals


class _Points:
    """A group's points scaled to grid units once, and the histogram of a block of columns.

    In grid units t_1 = base_i − w1·x_i/h, with base_i = (offset_i + k_1 − lo)/h − first, so
    that t_1 counts from the lowest sub-bin kept. Each point goes to sub-bin ⌊t_1⌋ (clamped
    to the kept range) split by the cuts, and adds 1, φ and φ² there, φ = t_1 − ⌊t_1⌋ (a
    clamped point keeps its true, large φ).
    """

    def __init__(self, group: Group, layout: _Layout, grid: Grid) -> None:
        self.layout = layout
        self.grid = grid
        self.raw_x = group.x
        self.x = group.x / grid.step
        offset = 0.0 if group.offset is None else group.offset
        base = (offset + (group.shape.breaks[0] - grid.low)) / grid.step - layout.first
        self.base = np.broadcast_to(np.asarray(base, dtype=np.float64), group.x.shape)
        self.t = np.empty(BLOCK_POINTS)
        self.clipped = np.empty(BLOCK_POINTS)
        self.whole = np.empty(BLOCK_POINTS, dtype=np.intp)

    def moments(self, w1: Array) -> list[Array]:
        """Per column and sub-bin: the count of points and the sums of φ and φ² (as needed)."""
        layout = self.layout
        cols, size, points = len(w1), layout.size, len(self.x)
        sums = [np.zeros(cols * size) for _ in range(layout.degree + 1)]
        across = max(1, min(cols, BLOCK_POINTS // max(points, 1)))
        chunk = min(points, BLOCK_POINTS // across)
        for first_col in range(0, cols, across):
            w = w1[first_col : first_col + across, None]
            place = (np.arange(len(w)) * size)[:, None]
            where = slice(first_col * size, (first_col + len(w)) * size)
            for start in range(0, points, chunk):
                part = slice(start, start + chunk)
                shape = (len(w), len(self.x[part]))
                flat = shape[0] * shape[1]
                t = self.t[:flat].reshape(shape)
                whole = self.whole[:flat].reshape(shape)
                self._positions(w, part, t)
                clipped = self.clipped[:flat].reshape(shape)
                np.clip(t, 0.0, layout.bins - 1, out=clipped)
                np.floor(clipped, out=clipped)
                np.copyto(whole, clipped, casting="unsafe")
                if layout.exact_ties:
                    _settle_ties(whole, w, self.raw_x[part], self.grid, layout.first)
                    phi = np.subtract(t, whole, out=t)
                else:  # float minus float: faster than subtracting the integers
                    phi = np.subtract(t, clipped, out=t)
                if layout.ways > 1:
                    whole *= layout.ways
                    for cut in layout.cuts:
                        whole += phi >= 1.0 - cut
                if len(w) > 1:
                    whole += place
                index = whole.ravel()
                length = len(w) * size
                sums[0][where] += np.bincount(index, minlength=length)
                if layout.degree >= 1:
                    values = phi.ravel()
                    sums[1][where] += np.bincount(index, values, minlength=length)
                    if layout.degree >= 2:
                        np.multiply(values, values, out=values)
                        sums[2][where] += np.bincount(index, values, minlength=length)
        return [s.reshape(cols, size) for s in sums]

    def _positions(self, w: Array, part: slice, out: Array) -> None:
        """t_1 of each point in `part` for each w1 in `w` (a column), written into `out`."""
        if self.layout.exact_ties:  # classification, k_1 = 0: from c = −fl(w1·x) exactly
            np.multiply(w, self.raw_x[part], out=out)
            np.add(out, self.grid.low, out=out)
            np.divide(out, -self.grid.step, out=out)
            out -= self.layout.first
            return
        np.multiply(w, self.x[part], out=out)
        np.subtract(self.base[part], out, out=out)


def _settle_ties(whole: IntArray, w: Array, x: Array, grid: Grid, first: int) -> None:
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


def _combine(layout: _Layout, moments: list[Array], steps: int) -> Array:
    """Each role's sums over its bins, as a (columns, steps) array of per-w2 totals."""
    count = moments[0]
    cols = count.shape[0]
    j = np.arange(steps, dtype=np.float64)
    total = np.zeros((cols, steps))
    for role in layout.roles:
        gamma, alpha, beta = role.coefficients
        b = layout.bin[role.brk].astype(np.float64)
        shift = layout.shift[role.brk]
        weights = count if role.mask is None else count * role.mask
        n0 = _gather(weights, layout.upto[role.brk], role.suffix)
        total += gamma * n0
        if not (alpha or beta):
            continue
        first = shift * count - moments[1]  # Σ δ_q = Σ (shift − φ) over the sub-bin
        if role.mask is not None:
            first *= role.mask
        nb = _gather(weights * b, layout.upto[role.brk], role.suffix)
        s1 = _gather(first, layout.upto[role.brk], role.suffix)
        linear = (j * n0 - nb) + s1  # Σ s
        total += alpha * linear
        if not beta:
            continue
        second = moments[2] + shift * (shift * count - 2.0 * moments[1])  # Σ δ_q²
        if role.mask is not None:
            second *= role.mask
        nbb = _gather(weights * (b * b), layout.upto[role.brk], role.suffix)
        s1b = _gather(first * b, layout.upto[role.brk], role.suffix)
        s2 = _gather(second, layout.upto[role.brk], role.suffix)
        square = (j * j * n0 - 2.0 * j * nb + nbb) + 2.0 * (j * s1 - s1b) + s2  # Σ s²
        total += beta * square
    return total


def _gather(values: Array, upto: IntArray, suffix: bool) -> Array:
    """For each grid index j: the sum of `values` over sub-bins with bin ≤ j (or > j)."""
    cols = values.shape[0]
    running = np.zeros((cols, values.shape[1] + 1))
    if suffix:
        np.cumsum(values[:, ::-1], axis=1, out=running[:, 1:])
        return running[:, values.shape[1] - upto]
    np.cumsum(values, axis=1, out=running[:, 1:])
    return running[:, upto]
