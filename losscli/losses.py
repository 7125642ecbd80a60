"""The loss catalogue: per loss one small pure function, its gradient, and one registry entry.

Conventions, shared by every entry:

* The model is the line p = w1·x + w2; a loss scores predictions `p` against targets `y`.
* `value(p, y, **params)` returns the loss of each point and `gradient(p, y, **params)` its
  derivative dℓ/dp, elementwise; both broadcast, so `p` may carry grid axes in front of the
  points axis. The surface is the mean over points (`Loss.mean`). A loss that is not a mean of
  per-point terms (Dice) sets `per_point=False` and reduces the points axis itself.
* Classification losses receive labels as t ∈ {−1, +1}; data labelled {0, 1} is converted
  before the call (0 → −1), see `losscli.data.Dataset.targets_for`. Losses written for 0/1
  labels use y01 = (t + 1)/2.
* At a kink the gradient is the subgradient 0 (numpy's sign(0) = 0).
* Hyper-parameters are keyword-only; their ranges live in `Param` and are checked up front.
* Logits are handled in stable forms: log(1 + e^(−z)) = max(−z, 0) + log1p(e^(−|z|)), and the
  sigmoid never exponentiates a positive number, so |p| up to 1e4 and beyond stays finite.
  Only `exponential` overflows, and then it honestly says inf.

Adding a loss is one function pair plus one `_register(Loss(...))` call: the CLI builds its
`--loss` choices and hyper-parameter options from this catalogue. Other packages add losses
through the entry-point group `losscli.losses` (see `load_plugins`); `expr:FORMULA` names a
loss written on the command line (see `losscli.expr`).
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from losscli import shapes
from losscli.errors import OptionError
from losscli.piecewise import Description

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

    import numpy as np
    from numpy.typing import NDArray

    Array = NDArray[np.float64]
else:
    from losscli._lazy import lazy_import

    np = lazy_import("numpy")

Task = Literal["regression", "classification"]
TASKS: tuple[Task, ...] = ("regression", "classification")

PLUGIN_GROUP = "losscli.losses"
"""The entry-point group other packages register their losses under."""

EXPR_PREFIX = "expr:"


@dataclass(frozen=True)
class Param:
    """A loss hyper-parameter: its CLI option is `--NAME`; its range is open unless marked.

    `special` lists values accepted outside the range, each with what it means, e.g. focal's
    alpha = −1 that turns the class weighting off.
    """

    name: str
    default: float
    help: str
    low: float = -math.inf
    high: float = math.inf
    low_inclusive: bool = False
    high_inclusive: bool = False
    special: tuple[tuple[float, str], ...] = ()

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def range_text(self) -> str:
        """The valid range in words, e.g. '> 0', 'in (0, 1)' or 'in [0, 1], or -1 for ...'."""
        if math.isinf(self.high):
            text = (">= " if self.low_inclusive else "> ") + _num(self.low)
        elif math.isinf(self.low):
            text = ("<= " if self.high_inclusive else "< ") + _num(self.high)
        else:
            left = "[" if self.low_inclusive else "("
            right = "]" if self.high_inclusive else ")"
            text = f"in {left}{_num(self.low)}, {_num(self.high)}{right}"
        return "".join([text, *(f", or {_num(v)} for {meaning}" for v, meaning in self.special)])

    def check(self, value: float) -> None:
        if any(value == special for special, _ in self.special):
            return
        above = value >= self.low if self.low_inclusive else value > self.low
        below = value <= self.high if self.high_inclusive else value < self.high
        if not (math.isfinite(value) and above and below):
            raise OptionError(self.option, f"must be {self.range_text}, got {_num(value)}")


@dataclass(frozen=True)
class Loss:
    """One catalogue entry: what the loss is, how to compute it, and what it is good for.

    With `per_point=True` (most losses) `value` and `gradient` work point by point and the
    loss is their mean. With `per_point=False` the loss is defined on the whole dataset:
    `value` reduces the last (points) axis itself and `gradient` returns d(loss)/dp_i.
    Either way `mean` and `mean_gradient` are the dataset-level loss and its gradient.
    """

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
    per_point: bool = True
    piecewise: Callable[..., Description] | None = None
    """Optional structure for the fast sweep engines: called with the hyper-parameters as
    keywords, it returns the loss as a piecewise polynomial (see `losscli.piecewise`). Losses
    without one are swept by direct evaluation."""
    residual: bool = False
    """For a regression loss: its value depends on the residual u = p − y alone, so that
    `value(p, y) == value(p − y, 0)` (mse, mae, huber, …; not a loss that scales by y)."""
    smooth: bool = False
    """The per-point loss, as a function of that one number (the residual, or for
    classification the score p per label), has derivatives of every order, none of them large
    on the scale of a grid step, and is never negative: the binned sweep
    (`losscli.binned`) may interpolate it. Not bce, whose clipping makes two kinks."""
    cost: float = 1.0
    """Time to evaluate the loss at one point relative to mse, for the direct sweep's
    estimate (measured on numpy arrays of 2¹⁸ points)."""

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
        """The surface's value: the loss over the last (points) axis, a mean for most losses."""
        if not self.per_point:
            whole: Array = self.value(p, y, **params)
            return whole
        result: Array = self.value(p, y, **params).mean(axis=-1)
        return result

    def mean_gradient(self, p: Array, y: Array, params: Mapping[str, float]) -> Array:
        """d(loss)/dp_i for each point: the per-point derivative divided by n for most losses."""
        if not self.per_point:
            whole: Array = self.gradient(p, y, **params)
            return whole
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


def smooth_l1(p: Array, y: Array, *, beta: float = 1.0) -> Array:
    """PyTorch's SmoothL1Loss: 0.5·e²/beta below beta, |e| − 0.5·beta beyond (huber / beta)."""
    e = p - y
    magnitude = np.abs(e)
    return np.where(magnitude < beta, 0.5 * e * e / beta, magnitude - 0.5 * beta)


def smooth_l1_gradient(p: Array, y: Array, *, beta: float = 1.0) -> Array:
    return np.clip((p - y) / beta, -1.0, 1.0)


def log_cosh(p: Array, y: Array) -> Array:
    """log(cosh(e)): log1p(2·sinh²(e/2)) for |e| < 1, accurate to the last digits near e = 0
    where the loss is ≈ e²/2; |e| + log1p(e^(−2|e|)) − log 2 beyond, which never overflows."""
    magnitude = np.abs(p - y)
    half = np.sinh(0.5 * np.minimum(magnitude, 1.0))
    near = np.log1p(2.0 * half * half)
    far = magnitude + np.log1p(np.exp(-2.0 * magnitude)) - math.log(2.0)
    result: Array = np.where(magnitude < 1.0, near, far)
    return result


def log_cosh_gradient(p: Array, y: Array) -> Array:
    return np.tanh(p - y)


def quantile(p: Array, y: Array, *, tau: float = 0.5) -> Array:
    """Pinball loss: tau·(y − p) when under-predicting, (1 − tau)·(p − y) when over."""
    e = p - y
    return np.maximum(-tau * e, (1.0 - tau) * e)


def quantile_gradient(p: Array, y: Array, *, tau: float = 0.5) -> Array:
    e = p - y
    return np.where(e > 0.0, 1.0 - tau, np.where(e < 0.0, -tau, 0.0))


# ---------------------------------------------------------------------------------------------
# Classification: p is a score (a logit), y a label t ∈ {−1, +1}; z = t·p is the margin.


def _softplus_neg(z: Array) -> Array:
    """log(1 + e^(−z)), stably: max(−z, 0) + log1p(e^(−|z|))."""
    return np.maximum(-z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def _sigmoid(z: Array) -> Array:
    """1 / (1 + e^(−z)) without exponentiating a positive number."""
    small = np.exp(-np.abs(z))
    return np.where(z >= 0.0, 1.0 / (1.0 + small), small / (1.0 + small))


def hinge(p: Array, t: Array) -> Array:
    """max(0, 1 − t·p): zero once a point is on its side with margin at least 1."""
    return np.maximum(1.0 - t * p, 0.0)


def hinge_gradient(p: Array, t: Array) -> Array:
    return np.where(1.0 - t * p > 0.0, -t, 0.0)


def squared_hinge(p: Array, t: Array) -> Array:
    """max(0, 1 − t·p)²: hinge made smooth at the margin, harsher on gross mistakes."""
    slack = np.maximum(1.0 - t * p, 0.0)
    return slack * slack


def squared_hinge_gradient(p: Array, t: Array) -> Array:
    return -2.0 * t * np.maximum(1.0 - t * p, 0.0)


def logistic(p: Array, t: Array) -> Array:
    """log(1 + e^(−t·p)): binary cross-entropy on the logit p, stable for any |p|."""
    return _softplus_neg(t * p)


def logistic_gradient(p: Array, t: Array) -> Array:
    return -t * _sigmoid(-t * p)


BCE_CLIP = 1e-7
"""bce clips the probability to [BCE_CLIP, 1 − BCE_CLIP], as the seed's code does."""


def bce(p: Array, t: Array) -> Array:
    """−log of the clipped probability sigmoid(t·p) of the true class; saturates at −log 1e-7."""
    return -np.log(np.clip(_sigmoid(t * p), BCE_CLIP, 1.0 - BCE_CLIP))


def bce_gradient(p: Array, t: Array) -> Array:
    q_true = _sigmoid(t * p)
    inside = (q_true > BCE_CLIP) & (q_true < 1.0 - BCE_CLIP)
    return np.where(inside, -t * (1.0 - q_true), 0.0)


def _alpha_t(t: Array, alpha: float) -> Array | float:
    """Focal's class weight: alpha for positives, 1 − alpha for negatives; 1 when alpha < 0."""
    if alpha < 0.0:
        return 1.0
    return np.where(t > 0.0, alpha, 1.0 - alpha)


def focal(p: Array, t: Array, *, alpha: float = 0.25, gamma: float = 2.0) -> Array:
    """−alpha_t·(1 − q_t)^gamma·log(q_t) with q_t = sigmoid(t·p), from the logit (RetinaNet)."""
    z = t * p
    return _alpha_t(t, alpha) * _sigmoid(-z) ** gamma * _softplus_neg(z)


def focal_gradient(p: Array, t: Array, *, alpha: float = 0.25, gamma: float = 2.0) -> Array:
    z = t * p
    miss = _sigmoid(-z)  # 1 − q_t; written so that no power gamma − 1 appears
    return -t * _alpha_t(t, alpha) * miss**gamma * (gamma * _sigmoid(z) * _softplus_neg(z) + miss)


def exponential(p: Array, t: Array) -> Array:
    """e^(−t·p), AdaBoost's loss; overflows to inf for a confident mistake, honestly."""
    with np.errstate(over="ignore"):
        return np.exp(-t * p)


def exponential_gradient(p: Array, t: Array) -> Array:
    with np.errstate(over="ignore"):
        return -t * np.exp(-t * p)


def zero_one(p: Array, t: Array) -> Array:
    """1 for a misclassified point (the prediction is +1 where p > 0, else −1), else 0."""
    wrong: Array = (np.where(p > 0.0, 1.0, -1.0) != t).astype(np.float64)
    return wrong


def zero_one_gradient(p: Array, t: Array) -> Array:
    return np.zeros(np.broadcast_shapes(np.shape(p), np.shape(t)))


def dice(p: Array, t: Array) -> Array:
    """Soft Dice over the whole dataset: 1 − (2·Σ y01·q + 1)/(Σ y01 + Σ q + 1), q = sigmoid(p)."""
    q = _sigmoid(p)
    y01 = (t + 1.0) / 2.0
    overlap = 2.0 * (y01 * q).sum(axis=-1) + 1.0
    total = y01.sum(axis=-1) + q.sum(axis=-1) + 1.0
    loss: Array = 1.0 - overlap / total
    return loss


def dice_gradient(p: Array, t: Array) -> Array:
    q = _sigmoid(p)
    y01 = (t + 1.0) / 2.0
    overlap = 2.0 * (y01 * q).sum(axis=-1, keepdims=True) + 1.0
    total = y01.sum(axis=-1, keepdims=True) + q.sum(axis=-1, keepdims=True) + 1.0
    d_score = (2.0 * y01 * total - overlap) / (total * total)  # d(overlap/total)/dq_i
    gradient: Array = -d_score * q * (1.0 - q)
    return gradient


# ---------------------------------------------------------------------------------------------
# The registry.

CATALOGUE: dict[str, Loss] = {}
"""Every loss by name: the lesson's four first, then the rest, regression before
classification."""
_ALIASES: dict[str, str] = {}
_PARAMS: dict[str, Param] = {}
PLUGINS: set[str] = set()
"""Names of the losses that came from plugins."""
PLUGIN_PROBLEMS: dict[str, str] = {}
"""Plugins that failed to load or were withdrawn, by name: why, for `get_loss` and `losses`."""


def _register(loss: Loss) -> None:
    """Add a loss; a name taken twice, or a parameter name reused differently, is refused."""
    for name in (loss.name, *loss.aliases):
        if name in _ALIASES or name != name.lower() or name.startswith(EXPR_PREFIX):
            raise ValueError(f"loss name {name!r} is taken, not lower case, or reserved")
    for param in loss.params:
        if _PARAMS.get(param.name, param) != param:
            raise ValueError(f"parameter {param.option} is already defined differently")
    for name in (loss.name, *loss.aliases):
        _ALIASES[name] = loss.name
    for param in loss.params:
        _PARAMS.setdefault(param.name, param)
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
        residual=True,
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
        residual=True,
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
        residual=True,
        params=(Param("delta", 1.0, "Huber's switch from squared to absolute error.", low=0.0),),
        advice="Use it for regression with some outliers: a smooth bowl near the answer, "
        "gentle ramps far out, delta on the scale of ordinary errors; avoid it on clean data, "
        "where MSE gives the same fit with no delta to pick.",
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
_register(
    Loss(
        name="smooth-l1",
        label="Smooth L1",
        task="regression",
        summary="Smooth L1 (PyTorch's SmoothL1Loss): Huber divided by beta, slope 1 far out.",
        formula="0.5·e²/beta if |e| < beta, else |e| − 0.5·beta",
        gradient_formula="clip(e/beta, −1, 1)",
        value=smooth_l1,
        gradient=smooth_l1_gradient,
        piecewise=shapes.smooth_l1,
        residual=True,
        params=(Param("beta", 1.0, "Smooth L1's switch from squared to absolute error.", low=0.0),),
        advice="Use it where you would use Huber but want the far-out slope fixed at 1 "
        "whatever the switch point (box regression in detectors); avoid a tiny beta, which "
        "turns it back into MAE's sharp kink.",
    )
)
_register(
    Loss(
        name="log-cosh",
        label="Log-cosh",
        task="regression",
        summary="Log-cosh: like e²/2 for small errors, like |e| − log 2 for large; smooth.",
        formula="log(cosh(e)),  e = p − y",
        gradient_formula="tanh(e)",
        value=log_cosh,
        gradient=log_cosh_gradient,
        residual=True,
        smooth=True,
        cost=1.6,
        advice="Use it when you want Huber's robustness with derivatives of every order and no "
        "threshold to pick; avoid it when errors are tiny on the scale of 1, where it is "
        "just half of MSE.",
    )
)
_register(
    Loss(
        name="quantile",
        label="Quantile",
        task="regression",
        summary="Quantile (pinball) loss: fits the tau-quantile of y; tau = 0.5 is half of MAE.",
        formula="tau·max(y − p, 0) + (1 − tau)·max(p − y, 0)",
        gradient_formula="−tau if p < y, 1 − tau if p > y, 0 at p = y",
        value=quantile,
        gradient=quantile_gradient,
        piecewise=shapes.quantile,
        residual=True,
        params=(Param("tau", 0.5, "Quantile to fit.", low=0.0, high=1.0),),
        aliases=("pinball",),
        advice="Use it to predict a bound rather than a centre (tau = 0.9: a line 90% of "
        "points lie below), or uneven costs of over- and under-prediction; avoid it when "
        "you want the mean.",
    )
)
_register(
    Loss(
        name="squared-hinge",
        label="Squared hinge",
        task="classification",
        summary="Squared hinge: hinge squared, so smooth at the margin and steep for mistakes.",
        formula="max(0, 1 − t·p)²,  t = ±1",
        gradient_formula="−2·t·max(0, 1 − t·p)",
        value=squared_hinge,
        gradient=squared_hinge_gradient,
        piecewise=shapes.squared_hinge,
        advice="Use it for a margin classifier trained by gradient methods (it has a gradient "
        "at the margin); avoid it with mislabelled points, whose squared slack dominates.",
    )
)
_register(
    Loss(
        name="logistic",
        label="Logistic",
        task="classification",
        summary="Logistic loss (BCE with logits): cross-entropy on the score, stable for any p.",
        formula="log(1 + e^(−t·p)),  t = ±1",
        gradient_formula="−t·sigmoid(−t·p)  (= sigmoid(p) − y01)",
        value=logistic,
        gradient=logistic_gradient,
        smooth=True,
        cost=3.0,
        aliases=("bce-with-logits", "cross-entropy"),
        advice="Use it as the default for binary classification when you want probabilities; "
        "avoid it when classes are badly imbalanced and the rare class matters (try focal).",
    )
)
_register(
    Loss(
        name="bce",
        label="BCE",
        task="classification",
        summary="Binary cross-entropy on q = sigmoid(p) clipped to [1e-7, 1 − 1e-7]: it "
        "saturates at 16.1 for confident mistakes, where logistic keeps growing.",
        formula="−y01·log(q) − (1 − y01)·log(1 − q),  q = clip(sigmoid(p), 1e-7, 1 − 1e-7)",
        gradient_formula="q − y01 inside the clip, 0 where it clips",
        value=bce,
        gradient=bce_gradient,
        cost=4.5,
        convex=False,
        advice="Use it to see what clipping probabilities does: it matches logistic for "
        "|p| < 16 and then goes flat; avoid it for training on logits, where logistic is "
        "exact and keeps its gradient.",
    )
)
_register(
    Loss(
        name="focal",
        label="Focal",
        task="classification",
        summary="Focal loss (RetinaNet): cross-entropy scaled down on points already "
        "classified well, with class weight alpha.",
        formula="−alpha_t·(1 − q_t)^gamma·log(q_t),  q_t = sigmoid(t·p), alpha_t = alpha if "
        "t = +1 else 1 − alpha (1 if alpha = −1)",
        gradient_formula="−t·alpha_t·(1 − q_t)^gamma·(gamma·q_t·(−log q_t) + 1 − q_t)",
        value=focal,
        gradient=focal_gradient,
        smooth=True,
        cost=8.0,
        params=(
            Param(
                "alpha",
                0.25,
                "Focal's weight of the positive class (negatives get 1 − alpha).",
                low=0.0,
                high=1.0,
                low_inclusive=True,
                high_inclusive=True,
                special=((-1.0, "no class weighting"),),
            ),
            Param(
                "gamma",
                2.0,
                "Focal's focusing power: how much easy points are discounted.",
                low=0.0,
                low_inclusive=True,
            ),
        ),
        convex=False,
        advice="Use it when one class is rare and the many easy negatives would drown the few "
        "hard points; avoid it on balanced data, where it only makes the surface flatter "
        "(gamma = 0 with alpha = −1 is logistic, and only then convex).",
    )
)
_register(
    Loss(
        name="exponential",
        label="Exponential",
        task="classification",
        summary="Exponential loss (AdaBoost): e^(−t·p), explodes on confident mistakes.",
        formula="e^(−t·p),  t = ±1",
        gradient_formula="−t·e^(−t·p)",
        value=exponential,
        gradient=exponential_gradient,
        smooth=True,
        cost=1.4,
        advice="Use it to understand boosting, which minimises it stage by stage; avoid it with "
        "noisy labels: one mislabelled point far out weighs exponentially (inf, even).",
    )
)
_register(
    Loss(
        name="zero-one",
        label="Zero-one",
        task="classification",
        summary="Zero-one loss: the share of misclassified points; flat steps, no gradient.",
        formula="1 if ŷ ≠ t else 0,  ŷ = +1 where p > 0, else −1",
        gradient_formula="0 everywhere (undefined on the decision boundary)",
        value=zero_one,
        gradient=zero_one_gradient,
        piecewise=shapes.zero_one,
        convex=False,
        advice="Use it to report the error rate and to see why we train on surrogates; avoid "
        "it as a training loss: every gradient is zero.",
    )
)
_register(
    Loss(
        name="dice",
        label="Dice",
        task="classification",
        summary="Soft Dice loss over the whole dataset (not a mean of per-point terms): "
        "one minus the overlap of the positives with q = sigmoid(p).",
        formula="1 − (2·Σ y01·q + 1)/(Σ y01 + Σ q + 1),  q = sigmoid(p), sums over all points",
        gradient_formula="−(2·y01_i·(S + 1) − (2·I + 1))/(S + 1)²·q_i·(1 − q_i),  "
        "I = Σ y01·q, S = Σ y01 + Σ q",
        value=dice,
        gradient=dice_gradient,
        cost=3.5,
        convex=False,
        per_point=False,
        advice="Use it when the positives are a small part of the data and overlap with them "
        "is what counts (segmentation masks); avoid it alone on small or balanced data, where "
        "its ratio gives noisy, flat gradients.",
    )
)

LESSON_LOSSES: tuple[str, ...] = ("mse", "mae", "huber", "hinge")
"""The lesson's four panels, shown when no --loss is given."""


# ---------------------------------------------------------------------------------------------
# Plugins: losses other installed packages register.


def _entry_points() -> Iterable[EntryPoint]:
    """The installed entry points of PLUGIN_GROUP (a seam for tests).

    importlib.metadata costs about 25 ms of every start-up, so it is consulted only when some
    distribution's metadata on sys.path names the group at all.
    """
    if not _may_have_plugins(sys.path):
        return ()
    from importlib.metadata import entry_points

    return entry_points(group=PLUGIN_GROUP)


def _may_have_plugins(folders: Iterable[str]) -> bool:
    """Whether an entry_points.txt of a distribution in these folders mentions PLUGIN_GROUP.

    A quick scan of the metadata folders importlib.metadata itself reads (`*.dist-info`,
    `*.egg-info`, editable installs included); a yes only means the full discovery runs.
    """
    marker = f"[{PLUGIN_GROUP}]"
    for folder in folders:
        try:
            entries = list(os.scandir(folder or "."))
        except OSError:
            continue
        for entry in entries:
            if not entry.name.endswith((".dist-info", ".egg-info")):
                continue
            try:
                with open(os.path.join(entry.path, "entry_points.txt"), encoding="utf-8") as file:
                    if marker in file.read():
                        return True
            except (OSError, UnicodeDecodeError):
                continue
    return False


def load_plugins() -> None:
    """Register every loss found under the entry-point group `losscli.losses`.

    The contract: an entry point `NAME = package.module:OBJECT` resolves to a `Loss`
    instance whose name (lower case, not a built-in's) and aliases become `--loss` choices and
    whose `Param`s become options. The module is imported whenever losscli starts, so it
    should import numpy lazily (`losscli._lazy.lazy_import`) or inside its functions. A plugin
    that fails to load is skipped and recorded in PLUGIN_PROBLEMS; the rest of the catalogue
    works as before.
    """
    for entry in _entry_points():
        try:
            loss = entry.load()
            if not isinstance(loss, Loss):
                raise TypeError(f"{entry.value} is a {type(loss).__name__}, not a losscli Loss")
            if loss.task not in TASKS:
                raise ValueError(f"task {loss.task!r} is not one of {', '.join(TASKS)}")
            _register(loss)
            PLUGINS.add(loss.name)
        except Exception as error:  # a broken third-party package must not break losscli
            PLUGIN_PROBLEMS[entry.name] = f"{type(error).__name__}: {error}"


def withdraw(name: str, reason: str) -> None:
    """Take a plugin's loss back out of the catalogue, recording why."""
    loss = CATALOGUE.pop(name)
    for alias in (loss.name, *loss.aliases):
        del _ALIASES[alias]
    still_used = all_params()
    for param in loss.params:
        if param.name not in still_used:
            del _PARAMS[param.name]
    PLUGINS.discard(name)
    PLUGIN_PROBLEMS[name] = reason


load_plugins()


def loss_names() -> list[str]:
    """Every name and alias `get_loss` accepts, catalogue order first."""
    return list(_ALIASES)


def get_loss(name: str) -> Loss:
    """The entry for a name or alias, or a formula `expr:...`; an unknown name lists the known."""
    if name.startswith(EXPR_PREFIX):
        from losscli.expr import formula_loss

        return formula_loss(name[len(EXPR_PREFIX) :])
    try:
        return CATALOGUE[_ALIASES[name.lower()]]
    except KeyError:
        if name in PLUGIN_PROBLEMS:
            message = f"plugin loss {name!r} failed to load ({PLUGIN_PROBLEMS[name]})"
            raise OptionError("--loss", message) from None
        known = ", ".join(CATALOGUE)
        raise OptionError(
            "--loss", f"unknown loss {name!r}; known losses: {known}, or expr:FORMULA"
        ) from None


def all_params(losses: Iterable[Loss] | None = None) -> dict[str, Param]:
    """The hyper-parameters of the given losses (default: the whole catalogue), by name."""
    params: dict[str, Param] = {}
    for loss in CATALOGUE.values() if losses is None else losses:
        for param in loss.params:
            params.setdefault(param.name, param)
    return params
