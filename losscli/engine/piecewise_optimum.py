"""The exact minimum of a convex piecewise-polynomial loss (mae, quantile, huber, smooth-l1,
hinge, squared-hinge), and of the zero-one loss, over all (w1, w2).

For a fixed w1 the loss is a convex function of w2 alone whose derivative is piecewise
linear, with its kinks where a point's residual crosses a break of the description
(`losscli.catalogue.structure`). Its zero is found exactly: the kinks sorted, the derivative
summed from one to the next, and the crossing solved on the piece where it lies (O(n log n)).
The profile min over w2 is convex in w1, so a golden-section search on w1 nested around it
converges to the minimum; the search stops when the bracket is 1e-12 of its scale, far below
the 1e-9 the view and the JSON promise.

Zero-one: a line predicts +1 on one side of a threshold on x, so the fewest errors come from
the best threshold, counted for every gap between sorted x at once.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from losscli.catalogue.structure import PerLabel, Piecewise

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from losscli.catalogue.structure import Description

    Array = NDArray[np.float64]

GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0
RELATIVE_TOLERANCE = 1e-12
"""The golden-section search stops when its bracket is this small relative to its scale."""
MAX_EXPANSIONS = 80
"""Doublings of the first bracket before the profile is said to keep falling."""

Group = tuple[Piecewise, "Array", "Array"]
"""Points that share a description: the description, their x, and the offset that turns
w1·x + w2 into its variable u (y for regression, 0 for a label's score)."""


def groups(description: Description, x: Array, targets: Array) -> list[Group]:
    """The points split by the description they follow (one for regression, one per label)."""
    if isinstance(description, PerLabel):
        zero = np.zeros(0)
        return [
            (description.positive, x[targets > 0], zero),
            (description.negative, x[targets < 0], zero),
        ]
    return [(description, x, targets)]


@functools.lru_cache(maxsize=32)
def _coefficients(shape: Piecewise) -> Array:
    """(pieces, 3): each piece's c0, c1, c2, padded with zeros (computed once a shape: the
    searches ask for them at every step; never written to)."""
    table = np.zeros((len(shape.pieces), 3))
    for q, piece in enumerate(shape.pieces):
        table[q, : len(piece)] = piece
    return table


def _shift(x: Array, offset: Array, w1: float) -> Array:
    """a with u = w2 + a: w1·x − offset."""
    return w1 * x - offset if offset.size else w1 * x


def inner_minimum(point_groups: Sequence[Group], w1: float) -> float:
    """The w2 that minimises the loss for this w1 (the smallest, where a flat stretch has many).

    The derivative in w2 is C1 + 2·C2·w2 + 2·S on each stretch between kinks, C1, C2 and S
    summing each point's current piece's c1, c2 and c2·a; the kinks sorted, these are cumulative
    sums. The crossing is then solved once more from the pieces in force there, summed directly,
    so no cumulative rounding remains in the answer.
    """
    fast = _order_statistic(point_groups, w1)
    if fast is not None:
        return fast
    positions, jumps = [], []
    c1 = c2 = s = 0.0
    for shape, x, offset in point_groups:
        if not x.size:
            continue
        table = _coefficients(shape)
        a = _shift(x, offset, w1)
        c1 += x.size * table[0, 1]
        c2 += x.size * table[0, 2]
        s += table[0, 2] * float(np.sum(a))
        for q, k in enumerate(shape.breaks):
            d1, d2 = table[q + 1, 1] - table[q, 1], table[q + 1, 2] - table[q, 2]
            positions.append(k - a)
            jumps.append(np.stack([np.full(a.size, d1), np.full(a.size, d2), d2 * a]))
    if not positions:
        return _linear_zero(c1, c2, s, -math.inf)
    where = np.concatenate(positions)
    order = np.argsort(where, kind="stable")
    where = where[order]
    steps = np.concatenate(jumps, axis=1)[:, order]
    cumulative = np.cumsum(steps, axis=1)
    after_c1, after_c2, after_s = c1 + cumulative[0], c2 + cumulative[1], s + cumulative[2]
    right = after_c1 + 2.0 * after_c2 * where + 2.0 * after_s  # derivative just after each kink
    found = np.flatnonzero(right >= 0.0)
    if not found.size:  # still falling after the last kink: the crossing lies beyond it
        return _linear_zero(
            float(after_c1[-1]), float(after_c2[-1]), float(after_s[-1]), float(where[-1])
        )
    j = int(found[0])
    if j > 0:
        c1, c2, s = float(after_c1[j - 1]), float(after_c2[j - 1]), float(after_s[j - 1])
    low = -math.inf if j == 0 else float(where[j - 1])
    if c1 + 2.0 * c2 * where[j] + 2.0 * s <= 0.0:
        return float(where[j])  # the derivative changes sign at the kink itself
    guess = _linear_zero(c1, c2, s, low)
    return _polished(point_groups, w1, guess, low, float(where[j]))


def _order_statistic(point_groups: Sequence[Group], w1: float) -> float | None:
    """The inner minimum of a piecewise-linear loss whose slope rises by the same step at every
    kink (mae, quantile, hinge): the k-th smallest kink, found in O(n) by `numpy.partition`.

    The slope starts at C1 (every point on its first piece) and rises by `jump` at each kink,
    so it turns non-negative at the k-th kink, k = ⌈−C1/jump⌉; None for other losses.
    """
    tables = [(_coefficients(shape), shape, x, offset) for shape, x, offset in point_groups]
    jumps = {
        float(table[q + 1, 1] - table[q, 1])
        for table, shape, x, _ in tables
        for q in range(len(shape.breaks))
        if x.size
    }
    if any(table[:, 2].any() for table, *_ in tables) or len(jumps) != 1:
        return None
    (jump,) = jumps
    start = sum(x.size * table[0, 1] for table, _, x, _ in tables)
    kinks = np.concatenate(
        [k - _shift(x, offset, w1) for table, shape, x, offset in tables for k in shape.breaks]
    )
    if jump <= 0.0 or not kinks.size:
        return None
    k = min(max(math.ceil(-start / jump), 1), kinks.size)
    return float(np.partition(kinks, k - 1)[k - 1])


def _linear_zero(c1: float, c2: float, s: float, low: float) -> float:
    """Where C1 + 2·C2·w + 2·S is zero (C2 > 0), or `low` where it is flat there."""
    if c2 <= 0.0:
        return low if math.isfinite(low) else 0.0
    return float(-(c1 + 2.0 * s) / (2.0 * c2))


def _polished(
    point_groups: Sequence[Group], w1: float, guess: float, low: float, high: float
) -> float:
    """The crossing solved again from each point's piece at `guess`, summed directly."""
    c1 = c2 = s = 0.0
    for shape, x, offset in point_groups:
        if not x.size:
            continue
        table = _coefficients(shape)
        a = _shift(x, offset, w1)
        piece = np.searchsorted(np.asarray(shape.breaks, float), guess + a, side="left")
        c1 += float(np.sum(table[piece, 1]))
        c2 += float(np.sum(table[piece, 2]))
        s += float(np.sum(table[piece, 2] * a))
    again = _linear_zero(c1, c2, s, guess)
    return again if low <= again <= high else guess


def golden_minimum(
    profile: Callable[[float], float], centre: float, step: float
) -> tuple[float, bool]:
    """The minimiser of a convex function of one variable, bracketed from `centre` by steps
    that double, then narrowed by golden section; False where it keeps falling."""
    low, high = centre - step, centre + step
    f_low, f_mid, f_high = profile(low), profile(centre), profile(high)
    for _ in range(MAX_EXPANSIONS):
        if f_low >= f_mid <= f_high:
            break
        width = high - low
        if f_low < f_mid:
            centre, f_mid, high, f_high = low, f_low, centre, f_mid
            low, f_low = centre - width, profile(centre - width)
        else:
            centre, f_mid, low, f_low = high, f_high, centre, f_mid
            high, f_high = centre + width, profile(centre + width)
    else:
        return centre, False
    a, b = low, high
    c, d = b - GOLDEN * (b - a), a + GOLDEN * (b - a)
    f_c, f_d = profile(c), profile(d)
    while b - a > RELATIVE_TOLERANCE * max(1.0, abs(a), abs(b), step):
        if f_c <= f_d:
            b, d, f_d = d, c, f_c
            c = b - GOLDEN * (b - a)
            f_c = profile(c)
        else:
            a, c, f_c = c, d, f_d
            d = a + GOLDEN * (b - a)
            f_d = profile(d)
    return (c if f_c <= f_d else d), True


def fewest_errors(x: Array, t: Array) -> tuple[float, float, int]:
    """A line (w1, w2) with the fewest misclassified points, and their count.

    Predicting +1 where p > 0 is a threshold on x (+1 above it for w1 > 0, below for w1 < 0)
    or, for w1 = 0, one class everywhere. Every threshold between sorted distinct x is counted
    at once by cumulative sums; the line returned crosses zero midway in the best gap.
    """
    values, inverse = np.unique(x, return_inverse=True)
    positives = np.bincount(inverse, weights=(t > 0).astype(float), minlength=values.size)
    negatives = np.bincount(inverse, weights=(t < 0).astype(float), minlength=values.size)
    below_pos = np.concatenate([[0.0], np.cumsum(positives)])  # at or below gap g
    below_neg = np.concatenate([[0.0], np.cumsum(negatives)])
    rising = below_pos + (below_neg[-1] - below_neg)  # +1 above the gap
    falling = below_neg + (below_pos[-1] - below_pos)  # +1 below the gap
    best_rise, best_fall = int(np.argmin(rising)), int(np.argmin(falling))
    if rising[best_rise] <= falling[best_fall]:
        sign, gap, errors = 1.0, best_rise, rising[best_rise]
    else:
        sign, gap, errors = -1.0, best_fall, falling[best_fall]
    if gap in (0, values.size):  # one class everywhere
        everywhere_positive = (gap == 0) == (sign > 0)
        return 0.0, 1.0 if everywhere_positive else -1.0, int(errors)
    threshold = 0.5 * (values[gap - 1] + values[gap])
    return sign, -sign * threshold, int(errors)


def _piece_model(point_groups: Sequence[Group], w: Array) -> tuple[Array, Array, Array]:
    """At w, the gradient and Hessian (sums over points) of the quadratics the points' current
    pieces make, and each gradient component's scale (the sum of its terms' sizes)."""
    gradient, hessian, scale = np.zeros(2), np.zeros((2, 2)), np.zeros(2)
    for shape, x, offset in point_groups:
        if not x.size:
            continue
        table = _coefficients(shape)
        u = w[0] * x + w[1] - (offset if offset.size else 0.0)
        piece = np.searchsorted(np.asarray(shape.breaks, float), u, side="left")
        slope = table[piece, 1] + 2.0 * table[piece, 2] * u
        curve = 2.0 * table[piece, 2]
        gradient += [float(np.sum(slope * x)), float(np.sum(slope))]
        scale += [float(np.sum(np.abs(slope * x))), float(np.sum(np.abs(slope)))]
        cross = float(np.sum(curve * x))
        hessian += [[float(np.sum(curve * x * x)), cross], [cross, float(np.sum(curve))]]
    return gradient, hessian, scale


def damped_newton(
    point_groups: Sequence[Group], start: Array, value: Callable[[Array], float]
) -> Array | None:
    """The minimum of a convex loss with pieces of degree two (huber, smooth-l1, squared-hinge),
    by Newton's step on the quadratic of the current pieces, halved until the loss does not
    rise. The loss has a continuous gradient, so where that gradient vanishes (to 1e-11 of
    its terms) with the Hessian positive definite, this is the minimum; the last step solves
    the final pieces' quadratic, so the answer is exact but for rounding. None where it is not
    reached in 100 steps (a Hessian singular: too few points on quadratic pieces)."""
    w, current = np.asarray(start, dtype=np.float64), value(start)
    for _ in range(100):
        gradient, hessian, scale = _piece_model(point_groups, w)
        determinant = np.linalg.det(hessian)
        if not determinant > 1e-12 * max(1.0, float(np.abs(hessian).max())) ** 2:
            return None
        if np.all(np.abs(gradient) <= 1e-11 * scale + 1e-300):
            return w
        step = -np.linalg.solve(hessian, gradient)
        for _ in range(60):
            candidate = w + step
            candidate_value = value(candidate)
            if candidate_value <= current + 1e-14 * abs(current):
                break
            step = 0.5 * step
        else:
            return None
        if np.array_equal(candidate, w):
            return w
        w, current = candidate, candidate_value
    return None
