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

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from losscli.errors import DataError, OptionError, json_errors

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from losscli.data import Dataset
    from losscli.losses import Loss
    from losscli.sweep import Surface

    Array = NDArray[np.float64]
else:
    from losscli._lazy import lazy_import

    np = lazy_import("numpy")  # the CLI reads OPTIMIZERS at start-up, before numpy is needed

DIVERGENCE_FACTOR = 1e6
"""A loss that grows past this multiple of its starting value has diverged."""

STOP_REASONS = ("converged", "max_steps", "zero_gradient", "diverged")


@dataclass(frozen=True)
class Optimizer:
    """An update rule: its name, what it does (for --help), and the settings it reads."""

    name: str
    summary: str
    settings: tuple[str, ...]


OPTIMIZERS: dict[str, Optimizer] = {
    o.name: o
    for o in (
        Optimizer("gd", "plain gradient descent: w ← w − lr·g", ("lr",)),
        Optimizer(
            "momentum",
            "heavy ball: v ← momentum·v + g, w ← w − lr·v (v starts at 0)",
            ("lr", "momentum"),
        ),
        Optimizer(
            "nesterov",
            "Nesterov momentum, PyTorch's form: v ← momentum·v + g, w ← w − lr·(g + momentum·v)",
            ("lr", "momentum"),
        ),
        Optimizer(
            "rmsprop",
            "s ← rho·s + (1 − rho)·g², w ← w − lr·g/(√s + eps); rho 0.9, eps 1e-8",
            ("lr", "rho", "eps"),
        ),
        Optimizer(
            "adam",
            "Adam with bias correction: beta1 0.9, beta2 0.999, eps 1e-8 (Kingma & Ba)",
            ("lr", "beta1", "beta2", "eps"),
        ),
    )
}


@dataclass(frozen=True)
class Settings:
    """Everything that decides a walk besides the loss, the data and the start."""

    lr: float = 0.1
    steps: int = 200
    tol: float = 1e-8
    momentum: float = 0.9
    rho: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    batch_size: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise OptionError("--lr", f"must be > 0, got {self.lr:g}")
        if self.steps < 0:
            raise OptionError("--steps", f"must be >= 0, got {self.steps}")
        if not (math.isfinite(self.tol) and self.tol >= 0):
            raise OptionError("--tol", f"must be >= 0, got {self.tol:g}")
        if not 0.0 <= self.momentum < 1.0:
            raise OptionError("--momentum", f"must be in [0, 1), got {self.momentum:g}")
        if self.batch_size is not None and self.batch_size < 1:
            raise OptionError("--batch-size", f"must be at least 1, got {self.batch_size}")

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
    with np.errstate(all="ignore"):
        p = w[0] * x + w[1]
        value = float(loss.mean(p, targets, params))
        slope = loss.mean_gradient(p, targets, params)
        gradient = np.array([np.sum(slope * x), np.sum(slope)], dtype=np.float64)
    return value, gradient


def _update_rule(optimizer: str, s: Settings) -> Callable[[Array, int], Array]:
    """A function giving the change in w from the step's gradient g at update number t ≥ 1."""
    state = {"v": np.zeros(2), "m": np.zeros(2)}
    if optimizer == "gd":
        return lambda g, t: -s.lr * g
    if optimizer == "momentum":

        def heavy_ball(g: Array, t: int) -> Array:
            state["v"] = s.momentum * state["v"] + g
            return -s.lr * state["v"]

        return heavy_ball
    if optimizer == "nesterov":

        def nesterov(g: Array, t: int) -> Array:
            state["v"] = s.momentum * state["v"] + g
            return -s.lr * (g + s.momentum * state["v"])

        return nesterov
    if optimizer == "rmsprop":

        def rmsprop(g: Array, t: int) -> Array:
            state["v"] = s.rho * state["v"] + (1.0 - s.rho) * g * g
            return -s.lr * g / (np.sqrt(state["v"]) + s.eps)

        return rmsprop
    if optimizer == "adam":

        def adam(g: Array, t: int) -> Array:
            state["m"] = s.beta1 * state["m"] + (1.0 - s.beta1) * g
            state["v"] = s.beta2 * state["v"] + (1.0 - s.beta2) * g * g
            m_hat = state["m"] / (1.0 - s.beta1**t)
            v_hat = state["v"] / (1.0 - s.beta2**t)
            return -s.lr * m_hat / (np.sqrt(v_hat) + s.eps)

        return adam
    known = ", ".join(OPTIMIZERS)
    raise OptionError("--optimizer", f"unknown optimizer {optimizer!r}; known: {known}")


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


def descend(
    loss: Loss,
    params: Mapping[str, float],
    data: Dataset,
    start: tuple[float, float],
    optimizer: str = "gd",
    settings: Settings | None = None,
) -> Run:
    """Walk downhill from `start` until one of the stop reasons (see the module docstring)."""
    s = settings or Settings()
    if not all(map(math.isfinite, start)):
        raise OptionError("--start", f"must be finite numbers, got {start[0]:g} {start[1]:g}")
    if s.batch_size is not None and s.batch_size > len(data):
        raise OptionError(
            "--batch-size",
            f"must be at most the number of points ({len(data)}), got {s.batch_size}",
        )
    update = _update_rule(optimizer, s)
    x, targets = data.x, data.targets_for(loss.task, loss.name)
    rng = np.random.default_rng(s.seed)
    w = np.empty((s.steps + 1, 2))
    values = np.empty(s.steps + 1)
    gradients = np.empty((s.steps + 1, 2))
    w[0] = start
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
            w[k + 1] = w[k] + update(step_gradient, k + 1)
        k += 1
    return Run(
        loss.name,
        optimizer,
        s.record(optimizer),
        reason,
        w[: k + 1].copy(),
        values[: k + 1].copy(),
        gradients[: k + 1].copy(),
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


# ---------------------------------------------------------------------------------------------
# Saved runs: the JSON `descend --format json` writes and `surface --path` reads.


def _number(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def runs_document(
    loss: Loss, params: Mapping[str, float], runs: list[Run], version: str
) -> dict[str, Any]:
    """The JSON document of `descend`: non-finite numbers (a diverged walk) become null."""
    return {
        "version": version,
        "loss": loss.name,
        "params": dict(params),
        "runs": [
            {
                "optimizer": run.optimizer,
                "settings": run.settings,
                "stop_reason": run.stop_reason,
                "trajectory": [
                    {
                        "step": k,
                        "w1": _number(w1),
                        "w2": _number(w2),
                        "loss": _number(value),
                        "gradient": {"w1": _number(g1), "w2": _number(g2)},
                    }
                    for k, ((w1, w2), value, (g1, g2)) in enumerate(
                        zip(
                            run.w.tolist(),
                            run.loss_values.tolist(),
                            run.gradient.tolist(),
                            strict=True,
                        )
                    )
                ],
            }
            for run in runs
        ],
    }


def load_runs(path: str) -> list[Run]:
    """The runs saved in a `descend --format json` file."""
    from losscli.data import read_file

    return read_runs(read_file(path), path)


def read_runs(raw: bytes, name: str) -> list[Run]:
    """Parse a `descend --format json` document; errors name the file and the field."""
    try:
        with json_errors(name):
            document = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise DataError(f"{name}: not UTF-8 text (byte {error.start})") from None
    runs = document.get("runs") if isinstance(document, dict) else None
    if not isinstance(runs, list) or not runs:
        raise DataError(f'{name}: expected a descend result with a non-empty "runs" list')
    loss = document.get("loss")
    loss_name = loss if isinstance(loss, str) else "?"
    return [_read_run(run, loss_name, f"{name}: runs[{i}]") for i, run in enumerate(runs)]


def _read_run(run: Any, loss: str, where: str) -> Run:
    if not isinstance(run, dict):
        raise DataError(f"{where} is not an object")
    optimizer = run.get("optimizer")
    if not isinstance(optimizer, str):
        raise DataError(f'{where}: "optimizer" is not a string')
    trajectory = run.get("trajectory")
    if not isinstance(trajectory, list) or not trajectory:
        raise DataError(f'{where}: "trajectory" is not a non-empty list')
    points = np.empty((len(trajectory), 5))
    for k, point in enumerate(trajectory):
        if not isinstance(point, dict):
            raise DataError(f"{where}.trajectory[{k}] is not an object")
        gradient = point.get("gradient")
        gradient = gradient if isinstance(gradient, dict) else {}
        fields = (
            ("w1", point.get("w1")),
            ("w2", point.get("w2")),
            ("loss", point.get("loss")),
            ("gradient.w1", gradient.get("w1")),
            ("gradient.w2", gradient.get("w2")),
        )
        for column, (label, value) in enumerate(fields):
            if value is None and (k > 0 or column >= 2):
                points[k, column] = math.nan  # a diverged walk's overflowing values
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                points[k, column] = value
            else:
                raise DataError(f"{where}.trajectory[{k}].{label} is not a number")
    settings = run.get("settings")
    stop_reason = run.get("stop_reason")
    return Run(
        loss,
        optimizer,
        settings if isinstance(settings, dict) else {},
        stop_reason if isinstance(stop_reason, str) else "unknown",
        points[:, :2],
        points[:, 2],
        points[:, 3:],
    )
