"""The loss catalogue: per loss one small pure function, its gradient, and one registry entry.

Conventions, shared by every entry:

* The model is the line p = w1·x + w2; a loss scores predictions `p` against targets `y`.
* `value(p, y, **params)` returns the loss of each point and `gradient(p, y, **params)` its
  derivative dℓ/dp, elementwise; both broadcast, so `p` may carry grid axes in front of the
  points axis. The surface is the mean over points (`Loss.mean`).
* Classification losses receive labels as t ∈ {−1, +1}; data labelled {0, 1} is converted
  before the call (0 → −1), see `losscli.data.Dataset.targets_for`.
* At a kink the gradient is the subgradient 0 (numpy's sign(0) = 0).
* Hyper-parameters are keyword-only; their ranges live in `Param` and are checked up front.

Adding a loss is one function pair plus one `_register(Loss(...))` call: the CLI builds its
`--loss` choices and hyper-parameter options from this catalogue.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from losscli import shapes
from losscli.errors import OptionError
from losscli.piecewise import Description

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Array = NDArray[np.float64]
else:
    from losscli._lazy import lazy_import

    np = lazy_import("numpy")

Task = Literal["regression", "classification"]
TASKS: tuple[Task, ...] = ("regression", "classification")


@dataclass(frozen=True)
class Param:
    """A loss hyper-parameter: its CLI option is `--NAME`; its range is open unless marked."""

    name: str
    default: float
    help: str
    low: float = -math.inf
    high: float = math.inf
    low_inclusive: bool = False
    high_inclusive: bool = False

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def range_text(self) -> str:
        """The valid range in words, e.g. '> 0' or 'in (0, 1)'."""
        if math.isinf(self.high):
            return (">= " if self.low_inclusive else "> ") + _num(self.low)
        if math.isinf(self.low):
            return ("<= " if self.high_inclusive else "< ") + _num(self.high)
        left = "[" if self.low_inclusive else "("
        right = "]" if self.high_inclusive else ")"
        return f"in {left}{_num(self.low)}, {_num(self.high)}{right}"

    def check(self, value: float) -> None:
        above = value >= self.low if self.low_inclusive else value > self.low
        below = value <= self.high if self.high_inclusive else value < self.high
        if not (math.isfinite(value) and above and below):
            raise OptionError(self.option, f"must be {self.range_text}, got {_num(value)}")


@dataclass(frozen=True)
class Loss:
    """One catalogue entry: what the loss is, how to compute it, and what it is good for."""

    name: str
    label: str
    task: Task
    summary: str
    formula: str
    gradient_formula: str
    value: Callable[..., Array]
    gradient: Callable[..., Array]
    params: tuple[Param, ...] = ()
    aliases: tuple[str, ...] = ()
    convex: bool = True
    advice: str = ""
    piecewise: Callable[..., Description] | None = None
    """Optional structure for the fast sweep engines: called with the hyper-parameters as
    keywords, it returns the loss as a piecewise polynomial (see `losscli.piecewise`). Losses
    without one are swept by direct evaluation."""

    def resolve_params(self, given: Mapping[str, float]) -> dict[str, float]:
        """This loss's hyper-parameters: the given ones where present, else defaults; checked."""
        resolved = {}
        for param in self.params:
            value = float(given.get(param.name, param.default))
            param.check(value)
            resolved[param.name] = value
        return resolved

    def description(self, params: Mapping[str, float]) -> Description | None:
        """This loss's piecewise-polynomial structure for these hyper-parameters, if declared."""
        return None if self.piecewise is None else self.piecewise(**params)

    def mean(self, p: Array, y: Array, params: Mapping[str, float]) -> Array:
        """The surface's value: the mean of the per-point loss over the last axis."""
        result: Array = self.value(p, y, **params).mean(axis=-1)
        return result

    def mean_gradient(self, p: Array, y: Array, params: Mapping[str, float]) -> Array:
        """d(mean loss)/dp_i for each point: the per-point derivative divided by n."""
        result: Array = self.gradient(p, y, **params) / p.shape[-1]
        return result

    def title(self, params: Mapping[str, float], *, defaults: bool = True) -> str:
        """'Huber (delta=1)': the label with its hyper-parameters, for panel titles.

        With `defaults=False` only the hyper-parameters that differ from their defaults are
        shown, as the lesson's figure titles its default Huber panel just 'Huber'.
        """
        shown = {
            p.name: params[p.name]
            for p in self.params
            if p.name in params and (defaults or params[p.name] != p.default)
        }
        if not shown:
            return self.label
        inner = ", ".join(f"{k}={_num(v)}" for k, v in shown.items())
        return f"{self.label} ({inner})"


def _num(value: float) -> str:
    """A float as a person would write it: 1 not 1.0, 0.25, 1e-07."""
    return f"{value:g}"


# ---------------------------------------------------------------------------------------------
# Regression: y is a real target, e = p − y.


def mse(p: Array, y: Array) -> Array:
    """Squared error e² (Legendre's least squares)."""
    e = p - y
    return e * e


def mse_gradient(p: Array, y: Array) -> Array:
    return 2.0 * (p - y)


def mae(p: Array, y: Array) -> Array:
    """Absolute error |e| (Laplace's rule)."""
    return np.abs(p - y)


def mae_gradient(p: Array, y: Array) -> Array:
    return np.sign(p - y)


def huber(p: Array, y: Array, *, delta: float = 1.0) -> Array:
    """0.5·e² within delta of the target, delta·(|e| − 0.5·delta) beyond: a bowl with ramps."""
    e = p - y
    magnitude = np.abs(e)
    return np.where(magnitude <= delta, 0.5 * e * e, delta * (magnitude - 0.5 * delta))


def huber_gradient(p: Array, y: Array, *, delta: float = 1.0) -> Array:
    return np.clip(p - y, -delta, delta)


# ---------------------------------------------------------------------------------------------
# Classification: p is a score, y a label t ∈ {−1, +1}.


def hinge(p: Array, t: Array) -> Array:
    """max(0, 1 − t·p): zero once a point is on its side with margin at least 1."""
    return np.maximum(1.0 - t * p, 0.0)


def hinge_gradient(p: Array, t: Array) -> Array:
    return np.where(1.0 - t * p > 0.0, -t, 0.0)


# ---------------------------------------------------------------------------------------------
# The registry.

CATALOGUE: dict[str, Loss] = {}
_ALIASES: dict[str, str] = {}


def _register(loss: Loss) -> None:
    for name in (loss.name, *loss.aliases):
        if name in _ALIASES:
            raise ValueError(f"loss name {name!r} is registered twice")
        _ALIASES[name] = loss.name
    CATALOGUE[loss.name] = loss


_register(
    Loss(
        name="mse",
        label="MSE",
        task="regression",
        summary="Mean squared error: a smooth bowl; one outlier can dominate it.",
        formula="e²,  e = p − y",
        gradient_formula="2·e",
        value=mse,
        gradient=mse_gradient,
        piecewise=shapes.mse,
        aliases=("l2",),
        advice="Use it for regression with roughly Gaussian noise; avoid it when outliers are "
        "common, since their squared errors pull the fit towards them.",
    )
)
_register(
    Loss(
        name="mae",
        label="MAE",
        task="regression",
        summary="Mean absolute error: every point gets an equal vote; a ridged ravine.",
        formula="|e|,  e = p − y",
        gradient_formula="sign(e)  (0 at e = 0)",
        value=mae,
        gradient=mae_gradient,
        piecewise=shapes.mae,
        aliases=("l1",),
        advice="Use it when outliers should not drag the fit (it targets the median); avoid "
        "it when you need smooth gradients near the minimum, where it bounces.",
    )
)
_register(
    Loss(
        name="huber",
        label="Huber",
        task="regression",
        summary="Huber: squared error near the target, absolute error beyond delta.",
        formula="0.5·e² if |e| ≤ delta, else delta·(|e| − 0.5·delta)",
        gradient_formula="clip(e, −delta, delta)",
        value=huber,
        gradient=huber_gradient,
        piecewise=shapes.huber,
        params=(Param("delta", 1.0, "Huber's switch from squared to absolute error.", low=0.0),),
        advice="Use it for regression with some outliers: a smooth bowl near the answer, "
        "gentle ramps far out; pick delta on the scale of ordinary errors.",
    )
)
_register(
    Loss(
        name="hinge",
        label="Hinge",
        task="classification",
        summary="Hinge: zero once a point is on its side by a margin of 1; a flat plateau.",
        formula="max(0, 1 − t·p),  t = ±1",
        gradient_formula="−t if t·p < 1, else 0",
        value=hinge,
        gradient=hinge_gradient,
        piecewise=shapes.hinge,
        advice="Use it for max-margin classifiers (SVMs); avoid plain gradient descent on it, "
        "which freezes on the plateau where the gradient is exactly zero.",
    )
)

LESSON_LOSSES: tuple[str, ...] = ("mse", "mae", "huber", "hinge")
"""The lesson's four panels, shown when no --loss is given."""


def loss_names() -> list[str]:
    """Every name and alias `get_loss` accepts, catalogue order first."""
    return list(_ALIASES)


def get_loss(name: str) -> Loss:
    """The entry for a name or alias; an unknown name lists the known ones."""
    try:
        return CATALOGUE[_ALIASES[name.lower()]]
    except KeyError:
        known = ", ".join(CATALOGUE)
        raise OptionError("--loss", f"unknown loss {name!r}; known losses: {known}") from None


def all_params(losses: Iterable[Loss] | None = None) -> dict[str, Param]:
    """The hyper-parameters of the given losses (default: the whole catalogue), by name."""
    params: dict[str, Param] = {}
    for loss in CATALOGUE.values() if losses is None else losses:
        for param in loss.params:
            params.setdefault(param.name, param)
    return params
