"""Losses the binned sweep assembles from smooth per-point sums (`Loss.form`): bce and dice.

bce is logistic's loss g(z) = log(1 + e^(−z)) of the margin z = t·p clipped to [−A, A], A =
log((1 − eps)/eps) ≈ 16.1: constant beyond two kinks, where interpolation would lose its
accuracy. So each cell's sum is Σ g(z_i), binned as logistic's (`binned.binned_means`, asked
for half the bound: beyond −A its sums exceed bce's, and their error with them), plus for the
points beyond a kink the exact correction to the constant:

* above A (C = g(A)): C − g(z) = log1p(e^(−A)) − log1p(e^(−z)) = N·C − e^(−A)·Σe^(−(z − A))
  + e^(−2A)/2·Σe^(−2(z − A)), to e^(−3A)/3 a point (3e-15 of its loss, at least C);
* below −A (C = g(−A)): C − g(z) = (z + A) + log1p(e^(−A)) − log1p(e^z), the same way.

For one column the points beyond a kink at row j are those whose crossing row s_i (where z
reaches the kink) lies before j: the count N, the distances Σ(j − s_i) and the decays
Σe^(−k·h·(j − s_i)) follow from one histogram of the crossing rows (⌊s⌋ + 1, the offsets and
e^(−k·h·offset) per bin) by running sums along the rows, decayed by e^(−k·h) a row, done in
blocks of BLOCK rows by exact weights (`decayed_prefix`): every term ≥ 0, so each is within
(BLOCK + 3·G/BLOCK + 4)·ε of itself. Only points that pass a kink somewhere on the grid are
read (x sorted once per label; a slice per column), so a window that stays between the kinks
costs what logistic does. Each cell declares its bound: the logistic sums' bound on Σ g (which
may exceed the bce sum where points lie far below −A), the corrections' rounding and
truncation, relative to the cell's sum; a cell over the bound asked (`binned.TOLERANCE`) is
evaluated directly. The binned sweep itself comes as an argument (`Binned`): it builds on
this module.

dice is Σσ(−t·p)/(N₊ + Σσ(p) + 1): two binned sums of smooth functions ≥ 0, each within its
declared bound e₁, e₂ relative; the denominator is at least 1 and its constant part exact, so
the ratio is within (e₁ + e₂ + 8ε)/(1 − e₂) + ε, each sum being asked for half the bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from losscli.catalogue.model import Loss
from losscli.catalogue.structure import ClippedLogistic, SoftDice
from losscli.engine.direct import cell_means
from losscli.engine.interpolation import EPSILON
from losscli.engine.method import NotApplicable, Progress
from losscli.engine.workers import by_columns

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from numpy.typing import NDArray

    from losscli.engine.axis import Axis

    Array = NDArray[np.float64]

BLOCK = 32
"""Rows whose running sums are formed at once from exact weights (`decayed_prefix`)."""

COLUMN_BLOCK = 256
"""Columns whose kink histograms are held at once: memory stays (G + 1)·256 a histogram."""

RUN_BLOCK = 1 << 18
"""Points past a kink placed at once: their bins are runs (x sorted), summed by reduceat."""

PER_PAIR = 1.1e-8
"""Seconds, about, to place one point past a kink for one column (one core; measured 10.7 ns
at G = 1001, n = 10⁶, w2 in [−20, 20]): for the split between processes and the estimate."""

PER_SORTED_POINT = 3e-8
"""Seconds a point to sort each label's x for the kinks (measured 0.027 s for 10⁶ points)."""

SAMPLE = 1 << 12
"""Points, evenly strided, from which the estimate counts the pairs past a kink (on at most
SAMPLE_COLUMNS columns, evenly strided too)."""

SAMPLE_COLUMNS = 64


def fits(loss: Loss) -> bool:
    """Whether the binned sweep can assemble this loss from smooth sums (bce, dice)."""
    return loss.task == "classification" and loss.form is not None


class Sums(Protocol):
    """The binned sweep of a smooth per-point loss (`binned.binned_means`): its means and
    declared bound, every cell within `tolerance`."""

    def __call__(
        self,
        loss: Loss,
        params: Mapping[str, float],
        x: Array,
        targets: Array,
        w1: Array,
        grid: Axis,
        progress: Progress,
        tolerance: float,
    ) -> tuple[Array, float]: ...


@dataclass(frozen=True)
class Binned:
    """What a form is assembled with: the binned sweep of a smooth loss, and the bound every
    value must meet (a cell over it is evaluated directly)."""

    sums: Sums
    tolerance: float


def form_means(
    loss: Loss,
    params: Mapping[str, float],
    x: Array,
    targets: Array,
    w1: Array,
    grid: Axis,
    progress: Progress,
    binned: Binned,
) -> tuple[Array, float]:
    """The loss at every cell, and the declared bound of the cells not evaluated directly."""
    form = loss.form
    if isinstance(form, SoftDice):
        return _dice(form, x, targets, w1, grid, progress, binned)
    if isinstance(form, ClippedLogistic):
        return _clipped(loss, params, form, x, targets, w1, grid, progress, binned)
    raise NotApplicable("the loss declares no form the binned sweep assembles")


def _smooth(name: str, value: Callable[..., Array]) -> Loss:
    """A per-point classification loss declared smooth: one of the sums a form is made of."""
    return Loss(name, name, "classification", name, name, name, value, value, smooth=True)


def _part(progress: Progress, start: float, share: float) -> Progress:
    """Progress of one part of a sweep, which runs from `start` over `share` of it."""
    if progress is None:
        return None
    report = progress
    return lambda fraction: report(start + share * fraction)


def _dice(
    form: SoftDice,
    x: Array,
    targets: Array,
    w1: Array,
    grid: Axis,
    progress: Progress,
    binned: Binned,
) -> tuple[Array, float]:
    """Σ error / (N₊ + Σ score + smooth), from two binned sums, each within half the bound."""
    n, half = len(x), (binned.tolerance - 16.0 * EPSILON) / 2.0
    error_loss, score_loss = _smooth("dice error", form.error), _smooth("dice score", form.score)
    error, e1 = binned.sums(error_loss, {}, x, targets, w1, grid, _part(progress, 0, 0.5), half)
    score, e2 = binned.sums(score_loss, {}, x, targets, w1, grid, _part(progress, 0.5, 0.5), half)
    constant = float(np.count_nonzero(targets > 0)) + form.smooth
    values: Array = (error * n) / (constant + score * n)
    return values, (e1 + e2 + 8.0 * EPSILON) / (1.0 - e2) + EPSILON


def _clipped(
    loss: Loss,
    params: Mapping[str, float],
    form: ClippedLogistic,
    x: Array,
    targets: Array,
    w1: Array,
    grid: Axis,
    progress: Progress,
    binned: Binned,
) -> tuple[Array, float]:
    """Logistic's binned sums, corrected exactly beyond the two kinks."""
    n, tolerance = len(x), binned.tolerance
    logistic = _smooth("logistic", form.logistic)
    part = _part(progress, 0.0, 0.5)
    smooth, e_smooth = binned.sums(logistic, {}, x, targets, w1, grid, part, tolerance / 2.0)
    sums = smooth * n
    work = Kinks.of(form, x, targets, grid)
    seconds = PER_PAIR * work.pairs(w1)
    part = _part(progress, 0.5, 0.5)
    both = by_columns(
        kink_columns, work, w1, 2 * grid.steps, part, seconds=seconds, grain=COLUMN_BLOCK
    )
    corrections, magnitude = both[: grid.steps], both[grid.steps :]
    sums += corrections
    with np.errstate(divide="ignore", invalid="ignore"):
        bounds = (e_smooth * np.abs(smooth * n) + magnitude) / np.abs(sums) + 4.0 * EPSILON
    bounds = np.where(np.isfinite(bounds), bounds, np.inf)
    values: Array = sums / n
    rows, cols = np.nonzero(bounds > tolerance)
    values[rows, cols] = cell_means(loss, params, x, targets, w1[cols], grid.values[rows])
    return values, float(np.max(bounds[bounds <= tolerance], initial=0.0))


@dataclass(frozen=True)
class Kinks:
    """bce's kinks and the points that may pass them: each label's x sorted, the margins A
    beyond which the loss is constant (upper, and lower as −A), and the grid's w2 frame."""

    xs: dict[float, Array]
    upper: float
    lower: float
    low: float
    step: float
    steps: int

    @classmethod
    def of(cls, form: ClippedLogistic, x: Array, targets: Array, grid: Axis) -> Kinks:
        xs = {t: np.sort(x[targets == t]) for t in (1.0, -1.0)}
        low, upper = form.kinks()
        return cls(xs, upper, -low, grid.low, grid.step, grid.steps)

    def cases(self) -> list[tuple[float, float, bool]]:
        """Each (label, kink in p, upper): the region beyond the kink is p > kink (rows
        forward) where t·(upper ? 1 : −1) > 0, else p < kink."""
        return [
            (t, t * (self.upper if upper else -self.lower), upper)
            for t in (1.0, -1.0)
            for upper in (True, False)
        ]

    def passing(self, t: float, kink: float, forward: bool, w: float) -> slice:
        """The sorted points of label t whose p = w·x + w2 passes the kink on some row (half
        a row to spare): forward, w·x > kink − (top row's w2); else w·x < kink − lo."""
        xs = self.xs[t]
        top = self.low + (self.steps - 1) * self.step
        bound = kink - top - 0.5 * self.step if forward else kink - self.low + 0.5 * self.step
        if w == 0.0:
            inside = bound < 0.0 if forward else bound > 0.0
            return slice(0, len(xs) if inside else 0)
        at = bound / w
        if (w > 0.0) == forward:  # the points above `at`
            return slice(int(np.searchsorted(xs, at, side="right")), len(xs))
        return slice(0, int(np.searchsorted(xs, at, side="left")))

    def pairs(self, w1: Array) -> int:
        """Point-column pairs past a kink: the work of the corrections."""
        total = 0
        for t, kink, upper in self.cases():
            forward = (t > 0) == upper
            for w in w1.tolist():
                part = self.passing(t, kink, forward, w)
                total += max(0, part.stop - part.start)
        return total


def kink_columns(work: Kinks, w1: Array, progress: Progress) -> Array:
    """The corrections beyond the kinks (rows, then as many rows of their rounding and
    truncation bounds) of the columns w1; each column the same whichever are swept with it,
    so long as its block of COLUMN_BLOCK columns is (BLAS's products of a block may differ in
    the last bit with its count of columns)."""
    rows = work.steps
    result = np.zeros((2 * rows, len(w1)))
    for start in range(0, len(w1), COLUMN_BLOCK):
        block = w1[start : start + COLUMN_BLOCK]
        cols = slice(start, start + len(block))
        for t, kink, upper in work.cases():
            forward = (t > 0) == upper
            constant = work.upper if upper else work.lower
            counts, offsets, decays, squares = _histograms(work, t, kink, forward, block)
            if not counts.any():
                continue
            correction, magnitude = _corrections(
                counts, offsets, decays, squares, constant, upper, work.step
            )
            if not forward:  # the histograms ran from the last row back
                correction, magnitude = correction[::-1], magnitude[::-1]
            result[:rows, cols] += correction
            result[rows:, cols] += magnitude
        if progress is not None:
            progress(min(1.0, (start + len(block)) / len(w1)))
    return result


def _histograms(
    work: Kinks, t: float, kink: float, forward: bool, w1: Array
) -> tuple[NDArray[np.int64], Array, Array, Array]:
    """Per column, the points by their first row beyond the kink b = ⌊s⌋ + 1 (rows counted
    back from the last where the region lies before the kink): counts, Σ(b − s), Σe^(−h·(b −
    s)) and Σe^(−2h·(b − s)); points beyond it on every row are in bin 0. x is sorted, so
    b runs monotone along the points: each bin is a run, summed by `np.add.reduceat` (no
    per-point scatter)."""
    rows, h = work.steps, work.step
    size = rows + 1  # bin `rows`: never beyond it (half a row of slack), dropped
    counts = np.zeros((size, len(w1)), dtype=np.int64)
    offsets, decays, squares = (np.zeros((size, len(w1))) for _ in range(3))
    xs = work.xs[t]
    for col, w in enumerate(w1.tolist()):
        part = work.passing(t, kink, forward, w)
        for first in range(part.start, part.stop, RUN_BLOCK):
            x = xs[first : min(part.stop, first + RUN_BLOCK)]
            s = (kink - work.low - w * x) / h
            if not forward:
                s = (rows - 1) - s
            b = np.floor(s)
            b += 1.0
            np.clip(b, 0.0, float(rows), out=b)
            phi = np.subtract(b, s, out=s)
            decay = np.multiply(phi, -h)
            np.exp(decay, out=decay)
            if b[0] > b[-1]:  # x sorted, so b runs one way: its bins are runs of the points
                b, phi, decay = b[::-1], phi[::-1], decay[::-1]
            starts = np.flatnonzero(b[1:] != b[:-1]) + 1
            starts = np.concatenate(([0], starts))
            index = b[starts].astype(np.intp)
            counts[index, col] += np.diff(np.append(starts, len(b)))
            offsets[index, col] += np.add.reduceat(phi, starts)
            decays[index, col] += np.add.reduceat(decay, starts)
            np.multiply(decay, decay, out=decay)
            squares[index, col] += np.add.reduceat(decay, starts)
    return counts[:rows], offsets[:rows], decays[:rows], squares[:rows]


def _corrections(
    counts: NDArray[np.int64],
    offsets: Array,
    decays: Array,
    squares: Array,
    kink: float,
    upper: bool,
    h: float,
) -> tuple[Array, Array]:
    """Each row's correction to logistic's sum beyond one kink, and its bound (rounding and
    truncation). `kink` is A (> 0)."""
    rows = len(counts)
    beyond = np.cumsum(counts, axis=0)
    index = np.arange(rows)[:, None]
    whole = index * beyond - np.cumsum(index * counts, axis=0)  # Σ(j − b), exact
    first = math.exp(-kink) * decayed_prefix(decays, h)  # Σ e^(−|z ∓ A|)·e^(−A)
    second = 0.5 * math.exp(-2.0 * kink) * decayed_prefix(squares, 2.0 * h)
    constant = math.log1p(math.exp(-kink))  # log1p(e^(−A)), and g(±A) = that (+ A below)
    count = beyond.astype(np.float64)
    parts: list[Array] = [count * constant, -first, second]
    if not upper:
        parts.append(-h * (whole.astype(np.float64) + decayed_prefix(offsets, 0.0)))
    correction: Array = sum(parts[1:], parts[0])
    kappa = BLOCK + 3.0 * math.ceil(rows / BLOCK) + 16.0
    magnitude: Array = kappa * EPSILON * sum((np.abs(p) for p in parts[1:]), np.abs(parts[0]))
    magnitude += count * math.exp(-3.0 * kink) / 3.0  # log1p's series cut after e^(−2z)
    return correction, magnitude


def decayed_prefix(values: Array, rate: float) -> Array:
    """out[j] = Σ_{b ≤ j} e^(−rate·(j − b))·values[b] along the rows: BLOCK rows at a time
    from exact weights, each block's last row carried into the next. For values ≥ 0 each
    out[j] is within (BLOCK + 3·blocks + 1)·ε of itself."""
    rows = len(values)
    size = min(BLOCK, rows)
    lag = np.arange(size)[:, None] - np.arange(size)[None, :]
    weights = np.where(lag >= 0, np.exp(-rate * np.maximum(lag, 0)), 0.0)
    carry_weights = np.exp(-rate * np.arange(1, size + 1))[:, None]
    out = np.empty_like(values)
    for start in range(0, rows, size):
        block = values[start : start + size]
        local = weights[: len(block), : len(block)] @ block
        if start:
            local += carry_weights[: len(block)] * out[start - 1]
        out[start : start + len(block)] = local
    return out


def form_seconds(
    loss: Loss,
    points: int,
    columns: int,
    binned: Callable[[int, int], float],
    passing: float = 0.1,
) -> float:
    """The estimate of a form's sweep on one core from the binned sweep's
    (`binned(points, columns)`): two binned sums for dice; for bce one, and its kinks: sorting
    the points, and the corrections for the share `passing` of point-column pairs past a kink
    (`kink_share` where the data is known)."""
    if isinstance(loss.form, SoftDice):
        return 2.0 * binned(points, columns)
    kinks = PER_PAIR * passing * points * columns
    return binned(points, columns) + PER_SORTED_POINT * points + kinks


def kink_share(loss: Loss, x: Array, targets: Array, w1: Array, grid: Axis) -> float:
    """The share of point-column pairs past one of bce's kinks (`Kinks.pairs`), counted on a
    sample of the points and columns: what its corrections cost depends on the window (none
    where it stays between the kinks, every pair where w2 lies far out)."""
    if not isinstance(loss.form, ClippedLogistic) or len(x) == 0:
        return 0.0
    stride = max(1, len(x) // SAMPLE)
    sample = x[::stride]
    columns = w1[:: max(1, len(w1) // SAMPLE_COLUMNS)]
    kinks = Kinks.of(loss.form, sample, targets[::stride], grid)
    return kinks.pairs(columns) / (len(sample) * len(columns))
