"""Gradient descent on the line model: the lesson's hiker, stepping downhill on a loss surface.

The walker minimises the mean loss L(w1, w2) = mean_i loss(w1·x_i + w2, y_i) of any catalogue
entry. By the chain rule, with g_i = dL/dp_i from `Loss.mean_gradient`,

    dL/dw1 = Σ g_i·x_i        dL/dw2 = Σ g_i

(`mean_gradient` already divides by n, so these are the gradients of the mean).

Conventions:

* Full batch by default. With `batch_size` B each step's gradient is the mean over B points
  drawn without replacement, afresh every step, from `numpy.random.default_rng(seed)`: the
  same seed gives the same walk.
* Step k of the trajectory records the point w_k, the full-data loss L(w_k) and the
  full-data gradient at w_k (what the surface's slope is there). Step 0 is the start.
* A run stops at the first step k where, in this order:
  `diverged` – L(w_k) or its gradient is not finite, or |L(w_k)| > 1e6·|L(w_0)| (L(w_0) ≠ 0);
  `zero_gradient` – the full-data gradient is exactly (0, 0): the hinge plateau, where the
  hiker cannot tell which way is down;
  `converged` – k ≥ 1 and both |w_k − w_(k−1)| (Euclidean) and |L(w_k) − L(w_(k−1))| < tol;
  `max_steps` – k equals the maximum number of steps.
  Leaving the drawn grid is not a stop.
* Overflow is part of diverging, not an error: the arithmetic runs under `numpy.errstate`
  so it raises no warning, and a non-finite value ends the run.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from losscli.defaults import (
    CONVERGENCE_TOLERANCE,
    DESCENT_STEPS,
    LEARNING_RATE,
    MOMENTUM,
    OPTIMIZER,
)
from losscli.descent.optimizers import OPTIMIZERS, Transformation
from losscli.errors import ParameterError
from losscli.limits import above, check_steps, duration
from losscli.line import value_and_gradient

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from losscli.catalogue import Loss
    from losscli.data.dataset import Dataset
    from losscli.engine.surface import Surface
    from losscli.limits import Deadline

    Array = NDArray[np.float64]
else:
    from losscli.lazy import lazy_import

    np = lazy_import("numpy")  # the CLI imports this package at start-up, before numpy is needed

DEADLINE_STEPS = 256
"""Steps between two looks at the deadline."""

DIVERGENCE_FACTOR = 1e6
"""A loss that grows past this multiple of its starting value has diverged."""


@dataclass(frozen=True)
class Settings:
    """Everything that decides a walk besides the loss, the data and the start."""

    lr: float = LEARNING_RATE
    steps: int = DESCENT_STEPS
    tol: float = CONVERGENCE_TOLERANCE
    momentum: float = MOMENTUM
    rho: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    batch_size: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ParameterError("lr", f"must be > 0, got {self.lr:g}")
        if self.steps < 0:
            raise ParameterError("steps", f"must be >= 0, got {self.steps}")
        if not (math.isfinite(self.tol) and self.tol >= 0):
            raise ParameterError("tol", f"must be >= 0, got {self.tol:g}")
        if not 0.0 <= self.momentum < 1.0:
            raise ParameterError("momentum", f"must be in [0, 1), got {self.momentum:g}")
        if self.batch_size is not None and self.batch_size < 1:
            raise ParameterError("batch_size", f"must be at least 1, got {self.batch_size}")

    def record(self, optimizer: str) -> dict[str, Any]:
        """The settings an optimizer uses, as JSON reports them."""
        record: dict[str, Any] = {
            name: getattr(self, name) for name in OPTIMIZERS[optimizer].settings
        }
        record.update(
            steps=self.steps,
            tol=self.tol,
            batch_size=self.batch_size,
            seed=self.seed if self.batch_size is not None else None,
        )
        return record


@dataclass(frozen=True)
class Run:
    """One walk on the loss named `loss`: `w[k]` is (w1, w2) at step k, `loss_values[k]` and
    `gradient[k]` are taken there."""

    loss: str
    optimizer: str
    settings: dict[str, Any]
    stop_reason: str
    w: Array
    loss_values: Array
    gradient: Array = field(repr=False)

    @property
    def steps(self) -> int:
        """Updates taken: the index of the last recorded point."""
        return len(self.w) - 1


def head(run: Run, step: int) -> Run:
    """The run as it stood at `step` (for animation): its stop reason only once it stopped."""
    if step >= run.steps:
        return run
    end = step + 1
    return Run(
        run.loss,
        run.optimizer,
        run.settings,
        "running",
        run.w[:end],
        run.loss_values[:end],
        run.gradient[:end],
    )


# ---------------------------------------------------------------------------------------------
# The walk.


def gradient_at(
    loss: Loss, params: Mapping[str, float], x: Array, targets: Array, w: Array
) -> tuple[float, Array]:
    """The mean loss over these points at w = (w1, w2) and its gradient (dL/dw1, dL/dw2)."""
    value, grad_w1, grad_w2 = value_and_gradient(loss, params, x, targets, w[0], w[1])
    return value, np.array([grad_w1, grad_w2], dtype=np.float64)


def _stop_reason(k: int, loss: Array, gradient: Array, w: Array, s: Settings) -> str | None:
    value = loss[k]
    start = loss[0]
    if not (math.isfinite(value) and np.isfinite(gradient[k]).all()):
        return "diverged"
    if start != 0.0 and abs(value) > DIVERGENCE_FACTOR * abs(start):
        return "diverged"
    if gradient[k, 0] == 0.0 and gradient[k, 1] == 0.0:
        return "zero_gradient"
    if k >= 1:
        moved = float(np.hypot(*(w[k] - w[k - 1])))
        if moved < s.tol and abs(value - loss[k - 1]) < s.tol:
            return "converged"
    if k >= s.steps:
        return "max_steps"
    return None


def transformation(optimizer: str, settings: Settings) -> Transformation:
    """The optimizer called `optimizer`, its hyper-parameters read from `settings`."""
    entry = OPTIMIZERS.get(optimizer)
    if entry is None:
        known = ", ".join(OPTIMIZERS)
        raise ParameterError("optimizer", f"unknown optimizer {optimizer!r}; known: {known}")
    return entry.transformation(**{name: getattr(settings, name) for name in entry.settings})


def descend(
    loss: Loss,
    params: Mapping[str, float],
    data: Dataset,
    start: tuple[float, float],
    optimizer: str = "gd",
    settings: Settings | None = None,
    deadline: Deadline | None = None,
) -> Run:
    """Walk downhill from `start` until one of the stop reasons (see the module docstring);
    a `deadline` stops a walk that runs past it."""
    s = settings or Settings()
    if not all(map(math.isfinite, start)):
        raise ParameterError("start", f"must be finite numbers, got {start[0]:g} {start[1]:g}")
    if s.batch_size is not None and s.batch_size > len(data):
        raise ParameterError(
            "batch_size",
            f"must be at most the number of points ({len(data)}), got {s.batch_size}",
        )
    transform = transformation(optimizer, s)
    x, targets = data.x, data.targets_for(loss.task, loss.name)
    rng = np.random.default_rng(s.seed)
    w = np.empty((s.steps + 1, 2))
    values = np.empty(s.steps + 1)
    gradients = np.empty((s.steps + 1, 2))
    w[0] = start
    state = transform.init(w[0])
    k = 0
    while True:
        values[k], gradients[k] = gradient_at(loss, params, x, targets, w[k])
        reason = _stop_reason(k, values, gradients, w, s)
        if reason is not None:
            break
        step_gradient = gradients[k]
        if s.batch_size is not None:
            batch = rng.choice(len(x), size=s.batch_size, replace=False)
            _, step_gradient = gradient_at(loss, params, x[batch], targets[batch], w[k])
        with np.errstate(all="ignore"):
            step, state = transform.update(step_gradient, state)
            w[k + 1] = w[k] + step
        k += 1
        if deadline is not None and k % DEADLINE_STEPS == 0:
            deadline.check(f"the {optimizer} walk", k / s.steps)
    return Run(
        loss.name,
        optimizer,
        s.record(optimizer),
        reason,
        w[: k + 1].copy(),
        values[: k + 1].copy(),
        gradients[: k + 1].copy(),
    )


def walks(
    loss: Loss,
    params: Mapping[str, float],
    data: Dataset,
    surface: Surface,
    start: tuple[float, float] | None,
    optimizers: Sequence[str],
    settings: Settings,
    deadline: Deadline | None = None,
) -> list[Run]:
    """One walk per optimizer (the default one if none is named) from `start`, or from the
    corner of `surface`'s grid farthest from its minimum."""
    origin = start if start is not None else default_start(surface)
    chosen = optimizers or (OPTIMIZER,)
    return [descend(loss, params, data, origin, name, settings, deadline) for name in chosen]


@dataclass(frozen=True)
class WalkCost:
    """Seconds a step takes on one core: a fixed share (the update, the checks), then one
    per point of the gradient (times the loss's own cost), for the full data and for a
    mini-batch. Measured on a current CPU (mse: 16 µs a step over 40 points, 8.3 ms over 10⁶),
    for `--max-seconds`, never reported."""

    start: float = 3e-5
    per_point: float = 8e-9

    def seconds(self, loss: Loss, points: int, settings: Settings, walks: int) -> float:
        gradient_points = points + (settings.batch_size or 0)
        step = self.start + self.per_point * loss.cost * gradient_points
        return walks * settings.steps * step


COST = WalkCost()


def check_walks(
    loss: Loss,
    points: int,
    settings: Settings,
    walks: int,
    *,
    map_seconds: float,
    max_seconds: float,
) -> None:
    """Refuse walks whose trajectories would not fit in memory (field `steps`) or that would,
    with the map's `map_seconds`, take longer than `max_seconds` (field `max_seconds`)."""
    check_steps(settings.steps, walks)
    seconds = COST.seconds(loss, points, settings, walks)
    total = map_seconds + seconds
    if total <= max_seconds:
        return
    raise ParameterError(
        "max_seconds",
        f"the walks would take about {duration(seconds)} ({walks} × {settings.steps} steps over "
        f"{points} points), {duration(total)} with the map, more than {duration(max_seconds)}; "
        f"give {{max_seconds}} {above(total)} to run them anyway, or use fewer steps or points",
        mentions=("max_seconds",),
    )


def default_start(surface: Surface) -> tuple[float, float]:
    """The grid corner farthest from the grid's minimum (the first such corner: lower left,
    lower right, upper left, upper right); the lower-left corner if nothing is finite."""
    corners = [(float(a), float(b)) for b in surface.w2[[0, -1]] for a in surface.w1[[0, -1]]]
    minimum = surface.minimum
    if minimum is None:
        return corners[0]
    distances = [math.hypot(a - minimum.w1, b - minimum.w2) for a, b in corners]
    return corners[distances.index(max(distances))]
