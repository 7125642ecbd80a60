"""Optimizers as pure (init, update) pairs over explicit state, in the manner of optax.

`init(w)` gives the state a walk starts with; `update(g, state)` gives the step to add to w
for the gradient g, and the next state. Nothing is mutated, so a walk can be replayed from any
state. Each optimizer is one function of its hyper-parameters returning such a pair, and one
entry in `OPTIMIZERS`, which the command line reads for `--optimizer`.

This module is read at start-up (for the option's choices and help), so numpy loads only when
a walk runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Array = NDArray[np.float64]
else:
    from losscli.lazy import lazy_import

    np = lazy_import("numpy")


class Transformation(NamedTuple):
    """An optimizer: the state to start from, and the rule taking a gradient to a step."""

    init: Callable[[Array], Any]
    update: Callable[[Array, Any], tuple[Array, Any]]


class NoState(NamedTuple):
    """Plain gradient descent remembers nothing."""


class Velocity(NamedTuple):
    """The running sum of gradients the momentum methods carry (v, starting at 0)."""

    v: Array


class SquareAverage(NamedTuple):
    """RMSprop's running average of squared gradients (s, starting at 0)."""

    s: Array


class Moments(NamedTuple):
    """Adam's update number so far and running first and second moments (starting at 0)."""

    t: int
    m: Array
    v: Array


def gd(*, lr: float) -> Transformation:
    """w ← w − lr·g."""

    def update(g: Array, state: NoState) -> tuple[Array, NoState]:
        return -lr * g, state

    return Transformation(lambda w: NoState(), update)


def momentum(*, lr: float, momentum: float) -> Transformation:
    """Heavy ball: v ← momentum·v + g, w ← w − lr·v."""

    def update(g: Array, state: Velocity) -> tuple[Array, Velocity]:
        v = momentum * state.v + g
        return -lr * v, Velocity(v)

    return Transformation(lambda w: Velocity(np.zeros_like(w)), update)


def nesterov(*, lr: float, momentum: float) -> Transformation:
    """Nesterov momentum as PyTorch writes it: v ← momentum·v + g, w ← w − lr·(g + momentum·v)."""

    def update(g: Array, state: Velocity) -> tuple[Array, Velocity]:
        v = momentum * state.v + g
        return -lr * (g + momentum * v), Velocity(v)

    return Transformation(lambda w: Velocity(np.zeros_like(w)), update)


def rmsprop(*, lr: float, rho: float, eps: float) -> Transformation:
    """s ← rho·s + (1 − rho)·g², w ← w − lr·g/(√s + eps)."""

    def update(g: Array, state: SquareAverage) -> tuple[Array, SquareAverage]:
        s = rho * state.s + (1.0 - rho) * g * g
        return -lr * g / (np.sqrt(s) + eps), SquareAverage(s)

    return Transformation(lambda w: SquareAverage(np.zeros_like(w)), update)


def adam(*, lr: float, beta1: float, beta2: float, eps: float) -> Transformation:
    """Adam with bias correction (Kingma & Ba, 2015, Algorithm 1)."""

    def update(g: Array, state: Moments) -> tuple[Array, Moments]:
        t = state.t + 1
        m = beta1 * state.m + (1.0 - beta1) * g
        v = beta2 * state.v + (1.0 - beta2) * g * g
        m_hat = m / (1.0 - beta1**t)
        v_hat = v / (1.0 - beta2**t)
        return -lr * m_hat / (np.sqrt(v_hat) + eps), Moments(t, m, v)

    return Transformation(lambda w: Moments(0, np.zeros_like(w), np.zeros_like(w)), update)


@dataclass(frozen=True)
class Optimizer:
    """A registry entry: the name `--optimizer` takes, one line for --help, the settings it
    reads (by their names in `losscli.descent.walk.Settings`), and its transformation."""

    name: str
    summary: str
    settings: tuple[str, ...]
    transformation: Callable[..., Transformation]


OPTIMIZERS: dict[str, Optimizer] = {
    entry.name: entry
    for entry in (
        Optimizer("gd", "plain gradient descent: w ← w − lr·g", ("lr",), gd),
        Optimizer(
            "momentum",
            "heavy ball: v ← momentum·v + g, w ← w − lr·v (v starts at 0)",
            ("lr", "momentum"),
            momentum,
        ),
        Optimizer(
            "nesterov",
            "Nesterov momentum, PyTorch's form: v ← momentum·v + g, w ← w − lr·(g + momentum·v)",
            ("lr", "momentum"),
            nesterov,
        ),
        Optimizer(
            "rmsprop",
            "s ← rho·s + (1 − rho)·g², w ← w − lr·g/(√s + eps); rho 0.9, eps 1e-8",
            ("lr", "rho", "eps"),
            rmsprop,
        ),
        Optimizer(
            "adam",
            "Adam with bias correction: beta1 0.9, beta2 0.999, eps 1e-8 (Kingma & Ba)",
            ("lr", "beta1", "beta2", "eps"),
            adam,
        ),
    )
}
"""Every optimizer by name, in the order --help lists them."""
