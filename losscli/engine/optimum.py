"""A loss's continuous minimum over all (w1, w2), beside the grid's.

The grid's star is the smallest value swept; the true minimum lies between grid lines, or
outside the window altogether. Each loss gets the method its structure allows:

* mse: closed form, least squares on centred x (stable far from the origin).
* the convex piecewise polynomials (mae, quantile, huber, smooth-l1, hinge, squared-hinge):
  exact in w2 for each w1, nested in a golden-section search on w1
  (`losscli.engine.piecewise_optimum`).
* the smooth convex losses (log-cosh, logistic, exponential): damped Newton with their second
  derivatives, on centred x, until the step is below 1e-13 of the answer's scale.
* zero-one: the best threshold on x, exactly; the same share of errors holds on a whole region.
* labels a line can separate: logistic, exponential, focal and dice have no finite minimum
  (they keep falling as |w| grows, towards their infimum); hinge, squared-hinge and bce reach
  their floor on a whole region, reported at its point nearest the origin (the max-margin line).
* the rest (bce, focal and dice otherwise, formulas, plugins): a local minimum found by
  Nelder–Mead from a start (the grid's minimum), and said to be local.

A point that minimises is an `Optimum`; `kind` says whether it is the minimum (`unique`), one
point of a region where the loss is as low (`region`), or a local minimum (`local`). Where
there is none, a `NoOptimum` says why and, for the window, where the loss has come within
`REACH` of its infimum.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from losscli.catalogue.structure import Unrepresentable
from losscli.engine import piecewise_optimum as exact

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Kind = Literal["unique", "region", "local"]  # for annotations only: no typing work at import

    from losscli.catalogue import Loss
    from losscli.data.dataset import Dataset

    Array = NDArray[np.float64]

REACH = 0.05
"""Where a loss has no finite minimum, the window reaches where it has fallen to within this
share of the way from its value at w = 0 to its infimum."""
BCE_MARGIN = math.log((1.0 - 1e-7) / 1e-7)
"""The margin t·p beyond which bce's clipped probability is 1 − 1e-7: its floor."""
LOCAL_LIMIT = 200_000
"""Nelder–Mead evaluates the loss a few hundred times: beyond this many points it is skipped."""
NEWTON_STEPS = 200
NESTED_LIMIT = 100_000
"""The exact nested search sorts every point's kinks some 60 times: beyond this many points
it is skipped where Newton has not already found the minimum."""


@dataclass(frozen=True)
class Optimum:
    """A minimising (w1, w2) and the loss there; `note` says how it was found, in words."""

    w1: float
    w2: float
    value: float
    kind: Kind = "unique"
    note: str = ""


@dataclass(frozen=True)
class NoOptimum:
    """Why no minimising point is reported; `reach`, where the loss has no finite minimum, is
    a point where it has come within `REACH` of its `infimum`."""

    reason: str
    infimum: float | None = None
    reach: tuple[float, float] | None = None

    @property
    def brief(self) -> str:
        """The reason's first part, before its colon: what the view says."""
        return self.reason.split(": ", 1)[0]


Found = Optimum | NoOptimum
NEWTON_SECOND = {
    "log-cosh": lambda p, y: 1.0 - np.tanh(p - y) ** 2,
    "logistic": lambda p, t: np.exp(-np.abs(p)) / (1.0 + np.exp(-np.abs(p))) ** 2,
    "exponential": lambda p, t: np.exp(-t * p),
}
"""d²ℓ/dp² of the smooth convex losses (logistic's σ(p)·σ(−p) written without overflow)."""
EXACT = {"mae", "quantile", "huber", "smooth-l1", "hinge", "squared-hinge"}
NO_MINIMUM_WHEN_SEPARABLE = {"logistic", "exponential", "focal", "dice"}


def find_optimum(
    loss: Loss,
    params: Mapping[str, float],
    data: Dataset,
    start: tuple[float, float] | None = None,
) -> Found:
    """The loss's minimum over all (w1, w2) on this data (see the module docstring); `start`
    is where a local search begins (default: the least-squares or logistic fit)."""
    x = np.asarray(data.x, dtype=np.float64)
    targets = data.targets_for(loss.task, loss.name)
    if np.ptp(x) == 0.0 and loss.name != "mse":
        return NoOptimum(
            "minimum along a whole line, not computed: every point has the same x, so only "
            "w1·x + w2 matters"
        )
    with np.errstate(all="ignore"):
        if loss.name == "mse":
            return _least_squares(x, targets)
        if loss.task == "classification":
            found = _separable(loss, params, x, targets)
            if found is not None:
                return found
        if loss.name == "zero-one":
            w1, w2, errors = exact.fewest_errors(x, targets)
            note = "one of many: the same share of errors holds on a whole region"
            return Optimum(float(w1), float(w2), errors / x.size, "region", note)
        if loss.name in EXACT:
            return _nested(loss, params, x, targets)
        if loss.name in NEWTON_SECOND:
            return _newton(loss, params, x, targets, NEWTON_SECOND[loss.name])
        return _local(loss, params, x, targets, start)


def loss_at(loss: Loss, params: Mapping[str, float], x: Array, t: Array, w: Array) -> float:
    """The loss at w = (w1, w2) on these points."""
    return float(loss.mean(w[0] * x + w[1], t, params))


def natural_extent(x: Array, reach: float) -> tuple[float, float]:
    """Half-widths in (w1, w2) of the ellipse E[(Δw1·x + Δw2)²] = reach²: the data's geometry.

    Its extent along w1 is reach/sd(x), along w2 reach·√(1 + mean(x)²/var(x)).
    """
    centre, spread = float(np.mean(x)), float(np.std(x))
    if spread == 0.0:
        return reach / max(abs(centre), 1.0), reach
    return reach / spread, reach * math.hypot(1.0, centre / spread)


def _least_squares(x: Array, y: Array) -> Optimum:
    """The mse minimum: w1 = cov(x, y)/var(x) with x and y centred, w2 = ȳ − w1·x̄."""
    x_mean, y_mean = float(np.mean(x)), float(np.mean(y))
    dx, dy = x - x_mean, y - y_mean
    var = float(np.dot(dx, dx))
    if var == 0.0:  # one x: every line through (x̄, ȳ) fits; the one of least norm
        w1, w2 = x_mean * y_mean / (x_mean**2 + 1.0), y_mean / (x_mean**2 + 1.0)
        note = "one of many: every line through the points' one x fits as well"
        return Optimum(w1, w2, _mse(x, y, w1, w2), "region", note)
    w1 = float(np.dot(dx, dy)) / var
    w2 = y_mean - w1 * x_mean
    return Optimum(w1, w2, _mse(x, y, w1, w2), note="closed form (least squares)")


def _mse(x: Array, y: Array, w1: float, w2: float) -> float:
    residual = w1 * x + w2 - y
    return float(np.mean(residual * residual))


def _recession(x: Array, t: Array) -> Array | None:
    """A direction (unit d1, d2) along which no margin t·(d1·x + d2) falls and some grow, if
    the labels allow one (one class, or the classes apart on x, touching at most)."""
    positive, negative = x[t > 0], x[t < 0]
    if not negative.size or not positive.size:
        return np.array([0.0, 1.0 if negative.size == 0 else -1.0])
    if negative.max() <= positive.min():
        d = np.array([1.0, -0.5 * (negative.max() + positive.min())])
    elif positive.max() <= negative.min():
        d = np.array([-1.0, 0.5 * (positive.max() + negative.min())])
    else:
        return None
    unit: Array = d / np.hypot(*d)
    return unit


def max_margin(x: Array, t: Array) -> Array | None:
    """The (w1, w2) of least norm with every margin t·(w1·x + w2) ≥ 1, when there is one.

    Only each class's extreme x can bind, so the candidates are those four constraints one
    at a time and in pairs; the feasible candidate of least norm is the answer (hard-margin
    SVM, the intercept in the norm, the direction gradient descent on logistic tends to).
    """
    rows = [(float(v), 1.0) for v in _extremes(x[t > 0])]
    rows += [(-float(v), -1.0) for v in _extremes(x[t < 0])]
    a = np.array(rows)
    candidates = [row / (row @ row) for row in a]
    for i in range(len(a)):
        for j in range(i + 1, len(a)):
            if abs(np.linalg.det(a[[i, j]])) > 1e-300:
                candidates.append(np.linalg.solve(a[[i, j]], np.ones(2)))
    feasible = [w for w in candidates if np.all(a @ w >= 1.0 - 1e-12)]
    if not feasible:
        return None
    best: Array = min(feasible, key=lambda w: float(w @ w))
    return best


def _extremes(values: Array) -> list[float]:
    return [float(values.min()), float(values.max())] if values.size else []


def _separable(loss: Loss, params: Mapping[str, float], x: Array, t: Array) -> Found | None:
    """The answer where the labels can be separated by a line, if this loss has one there."""
    direction = _recession(x, t)
    if direction is None:
        return None
    if loss.name in NO_MINIMUM_WHEN_SEPARABLE:
        return _no_minimum(loss, params, x, t, max_margin(x, t), direction)
    margin_line = max_margin(x, t)
    if margin_line is None:
        return None
    if loss.name in ("hinge", "squared-hinge"):
        note = "one of many: 0 wherever every margin is at least 1; the max-margin line"
        return Optimum(float(margin_line[0]), float(margin_line[1]), 0.0, "region", note)
    if loss.name == "bce":
        w = BCE_MARGIN * margin_line
        note = "one of many: bce's floor wherever every margin is past its clip"
        return Optimum(float(w[0]), float(w[1]), loss_at(loss, params, x, t, w), "region", note)
    return None


def _no_minimum(
    loss: Loss,
    params: Mapping[str, float],
    x: Array,
    t: Array,
    margin_line: Array | None,
    direction: Array,
) -> NoOptimum:
    """No finite minimum: the loss falls for ever along `direction` (the max-margin line's,
    where the classes are strictly apart); `reach` is where it is within REACH of its floor."""
    unit = direction if margin_line is None else margin_line / np.hypot(*margin_line)
    infimum = loss_at(loss, params, x, t, 1e12 * unit)
    top = loss_at(loss, params, x, t, np.zeros(2))
    target = infimum + REACH * (top - infimum)
    scale = 1.0 / max(float(np.max(np.abs(x))), 1e-300)
    far = scale
    for _ in range(200):
        if loss_at(loss, params, x, t, far * unit) <= target:
            break
        far *= 2.0
    near = 0.0
    for _ in range(40):
        middle = 0.5 * (near + far)
        near, far = (
            (near, middle)
            if loss_at(loss, params, x, t, middle * unit) <= target
            else (middle, far)
        )
    reach = far * unit
    reason = (
        f"no finite minimum, falls to {infimum:.4g} as |w| grows: the labels can be separated "
        "by a line"
    )
    return NoOptimum(reason, infimum, (float(reach[0]), float(reach[1])))


def _nested(loss: Loss, params: Mapping[str, float], x: Array, t: Array) -> Found:
    """Newton on the pieces, or the exact inner minimum in w2 nested in a golden section on
    w1 (see `piecewise_optimum`), all on centred x: (w1, b) with b the line's value at x̄,
    so that points far from the origin lose no digits."""
    try:
        description = loss.description(params)
    except Unrepresentable:  # huber at delta = 1e200: swept directly, searched locally
        description = None
    if description is None:
        return _local(loss, params, x, t, None)
    centre = float(np.mean(x))
    dx = x - centre
    point_groups = exact.groups(description, dx, t)

    def value(v: Array) -> float:
        return loss_at(loss, params, dx, t, v)

    def found(v: Array, kind: Kind, note: str) -> Optimum:
        w = np.array([v[0], v[1] - v[0] * centre])
        return Optimum(float(w[0]), float(w[1]), loss_at(loss, params, x, t, w), kind, note)

    start = np.array(_ls_centred(dx, t))
    quadratic = any(len(piece) == 3 for shape, *_ in point_groups for piece in shape.pieces)
    if quadratic:
        v = exact.damped_newton(point_groups, start, value)
        if v is not None:
            return found(v, "unique", "Newton on its pieces")
        if x.size > NESTED_LIMIT:
            return NoOptimum(
                f"true minimum not computed: Newton did not reach it, and the exact search "
                f"over more than {NESTED_LIMIT:,} points takes too long"
            )
    step = natural_extent(x, max(float(np.std(t)), 1.0))[0]
    w1, bracketed = exact.golden_minimum(
        lambda w1: value(np.array([w1, exact.inner_minimum(point_groups, w1)])), start[0], step
    )
    if not bracketed:
        return NoOptimum("no finite minimum, it keeps falling as |w1| grows: no bracket found")
    v = np.array([w1, exact.inner_minimum(point_groups, w1)])
    polished = exact.damped_newton(point_groups, v, value) if quadratic else None
    v = v if polished is None else polished
    if polished is None and _flat(loss, params, dx, t, v, value(v), step):
        return found(
            v, "region", "one of many: the loss is as low along a stretch through this point"
        )
    return found(v, "unique", "exact in w2, golden section in w1")


def _flat(
    loss: Loss, params: Mapping[str, float], x: Array, t: Array, w: Array, value: float, step: float
) -> bool:
    """Whether the loss is as low a little way off `w` along an axis or along the kink line
    of a point that sits on a break (where a piecewise-linear loss can be flat)."""
    p = w[0] * x + w[1]
    on_kink = np.flatnonzero(
        np.abs(p - (t if loss.task == "regression" else 0.0)) < 1e-9 * (1 + np.abs(p))
    )
    directions = [np.array([1.0, 0.0]), np.array([0.0, 1.0])]
    directions += [np.array([1.0, -x[i]]) / math.hypot(1.0, x[i]) for i in on_kink[:8]]
    if loss.task == "classification":
        directions += [
            np.array([1.0, -x[i]]) / math.hypot(1.0, x[i])
            for i in np.flatnonzero(np.abs(np.abs(p) - 1) < 1e-9)[:8]
        ]
    eps = 1e-4 * step * max(1.0, float(np.hypot(*w)) / step)
    tolerance = 1e-11 * max(1e-300, abs(value))
    return any(
        loss_at(loss, params, x, t, w + sign * eps * d) <= value + tolerance
        for d in directions
        for sign in (1.0, -1.0)
    )


def _newton(
    loss: Loss,
    params: Mapping[str, float],
    x: Array,
    t: Array,
    second: Callable[[Array, Array], Array],
) -> Found:
    """Newton on (slope, value at x̄), damped Levenberg–Marquardt's way: where a step would
    raise the loss, λ·I joins the Hessian (λ ×10 until it does not, then ÷10 each step), so
    far out, where log-cosh is nearly |e| and its curvature nearly 0, it walks downhill; near
    the minimum λ is 0 and Newton converges quadratically. Stops where the gradient is zero to
    1e-13 of its terms, or a full Newton step is below 1e-13 of the answer."""
    centre = float(np.mean(x))
    dx = x - centre
    v = np.zeros(2) if loss.task == "classification" else np.array(_ls_centred(dx, t))

    def value(v: Array) -> float:
        return float(loss.mean(v[0] * dx + v[1], t, params))

    current, damping = value(v), 0.0
    for _ in range(NEWTON_STEPS):
        p = v[0] * dx + v[1]
        first = loss.gradient(p, t, **params)
        curve = second(p, t)
        gradient = np.array([np.mean(first * dx), np.mean(first)])
        sizes = np.array([np.mean(np.abs(first * dx)), np.mean(np.abs(first))])
        if np.all(np.abs(gradient) <= 1e-13 * sizes):
            break
        cross = float(np.mean(curve * dx))
        hessian = np.array([[np.mean(curve * dx * dx), cross], [cross, np.mean(curve)]])
        norm = max(float(np.abs(hessian).max()), float(np.abs(gradient).max()), 1e-300)
        for _ in range(80):
            step = -np.linalg.solve(hessian + damping * np.eye(2), gradient)
            candidate = value(v + step) if np.all(np.isfinite(step)) else math.inf
            if candidate <= current:
                break
            damping = max(10.0 * damping, 1e-9 * norm)
        else:
            break
        v, current = v + step, candidate
        full_step = damping == 0.0
        damping = 0.0 if damping < 1e-8 * norm else damping / 10.0
        if full_step and np.max(np.abs(step)) <= 1e-13 * max(1.0, float(np.max(np.abs(v)))):
            break
    w1, w2 = float(v[0]), float(v[1] - v[0] * centre)
    return Optimum(w1, w2, loss_at(loss, params, x, t, np.array([w1, w2])), note="damped Newton")


def _ls_centred(dx: Array, y: Array) -> tuple[float, float]:
    var = float(np.dot(dx, dx))
    return (float(np.dot(dx, y - np.mean(y))) / var if var else 0.0), float(np.mean(y))


def _local(
    loss: Loss,
    params: Mapping[str, float],
    x: Array,
    t: Array,
    start: tuple[float, float] | None,
) -> Found:
    """A local minimum by Nelder–Mead from `start` (else a convex stand-in's minimum)."""
    if x.size > LOCAL_LIMIT:
        return NoOptimum(
            f"true minimum not computed: a local search over more than {LOCAL_LIMIT:,} "
            "points takes too long"
        )
    origin = "the grid's minimum"
    if start is None:
        regression = loss.task == "regression"
        reference = _least_squares(x, t) if regression else _logistic_start(x, t)
        start, origin = (
            (reference.w1, reference.w2),
            f"the {'mse' if regression else 'logistic'} minimum",
        )
    extent = np.array(natural_extent(x, 1.0))

    def f(w: Array) -> float:
        v = loss_at(loss, params, x, t, w)
        return v if math.isfinite(v) else math.inf

    w, ok = nelder_mead(f, np.array(start, dtype=np.float64), 0.1 * extent)
    value = f(w)
    far_out = float(np.hypot(*(w / extent))) > 10.0
    if not ok or (far_out and f(2.0 * w) <= value + 1e-12 * abs(value)):
        return NoOptimum(
            f"no minimum found, it is as low or lower farther out: a local search from {origin} "
            f"ran out to w1 = {w[0]:.4g}, w2 = {w[1]:.4g}"
        )
    note = f"local: Nelder–Mead from {origin}; this loss may have a lower one elsewhere"
    return Optimum(float(w[0]), float(w[1]), value, "local", note)


def _logistic_start(x: Array, t: Array) -> Optimum:
    from losscli.catalogue import get_loss

    found = _newton(get_loss("logistic"), {}, x, t, NEWTON_SECOND["logistic"])
    assert isinstance(found, Optimum)
    return found


def nelder_mead(
    f: Callable[[Array], float], start: Array, step: Array, max_evals: int = 2000
) -> tuple[Array, bool]:
    """Nelder–Mead's simplex search in 2-D, until the simplex is 1e-11 of its scale; False
    where it runs off (the loss falling away for ever)."""
    simplex = np.array([start, start + np.array([step[0], 0.0]), start + np.array([0.0, step[1]])])
    values = np.array([f(p) for p in simplex])
    evals = 3
    far = 1e8 * max(1.0, float(np.max(np.abs(start))), float(np.max(step)))
    while evals < max_evals:
        order = np.argsort(values)
        simplex, values = simplex[order], values[order]
        size = np.max(np.abs(simplex[1:] - simplex[0]))
        if size <= 1e-11 * max(1.0, float(np.max(np.abs(simplex[0])))):
            break
        if np.max(np.abs(simplex[0])) > far:
            return simplex[0], False
        centroid = simplex[:2].mean(axis=0)
        reflected = centroid + (centroid - simplex[2])
        f_r = f(reflected)
        evals += 1
        if f_r < values[0]:
            expanded = centroid + 2.0 * (centroid - simplex[2])
            f_e = f(expanded)
            evals += 1
            simplex[2], values[2] = (expanded, f_e) if f_e < f_r else (reflected, f_r)
        elif f_r < values[1]:
            simplex[2], values[2] = reflected, f_r
        else:
            contracted = centroid + 0.5 * (simplex[2] - centroid)
            f_c = f(contracted)
            evals += 1
            if f_c < values[2]:
                simplex[2], values[2] = contracted, f_c
            else:
                simplex[1:] = simplex[0] + 0.5 * (simplex[1:] - simplex[0])
                values[1:] = [f(p) for p in simplex[1:]]
                evals += 2
    best = int(np.argmin(values))
    return simplex[best], True


def settled(
    found: Found,
    loss: Loss,
    params: Mapping[str, float],
    data: Dataset,
    grid_minimum: tuple[float, float, float] | None,
) -> Found:
    """A local minimum searched again from the grid's minimum (w1, w2, value) where the grid
    found lower, the lower of the two kept; any other answer as it is."""
    if not (isinstance(found, Optimum) and found.kind == "local" and grid_minimum is not None):
        return found
    w1, w2, lowest = grid_minimum
    if not lowest < found.value:
        return found
    again = find_optimum(loss, params, data, start=(w1, w2))
    if isinstance(again, Optimum) and again.value < found.value:
        return again
    return found
