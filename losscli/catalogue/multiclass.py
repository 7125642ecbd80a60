"""Multi-class losses over K logits per point, with labels as class indices 0 … K−1.

Conventions: `value(logits, labels)` gives each point's loss (shape logits.shape[:-1]) and
`gradient(logits, labels)` its derivative with respect to that point's logits; a data set's
loss is the mean over points, as `torch.nn.functional.cross_entropy` reduces by default.
Leading axes in front of the points broadcast (a batch of parameter settings).

The losses live in their own small registry (`MULTICLASS`, `get_multiclass`), apart from the
line model's catalogue: a loss of K logits cannot score the line's one prediction p. The line
catalogue's classification losses serve where K = 2 (`binary`): they score p = z1 − z0, the
logit of class 1 over class 0, against t = +1 for class 1 and −1 for class 0. Softmax
cross-entropy at K = 2 is exactly logistic on that p, which is why the line catalogue calls
logistic `cross-entropy` too.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from losscli.catalogue.model import Loss, Param
from losscli.errors import ParameterError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Array = NDArray[np.float64]
    Labels = NDArray[np.int64]
else:
    from losscli.lazy import lazy_import

    np = lazy_import("numpy")


def log_softmax(logits: Array) -> Array:
    """log softmax(z)_k = z_k − m − log(1 + Σ_{j≠top} e^(z_j − m)), m = z_top the largest
    logit: no exp overflows, no log sees 0, and log1p keeps the digits of a loss near 0 (a sure
    class's −log softmax of 3.4e-9 has them all, where log of a sum near 1 keeps 8)."""
    shifted, rest = _shifted(logits)
    return shifted - np.log1p(rest)


def _shifted(logits: Array) -> tuple[Array, Array]:
    """z − m and Σ_{j≠top} e^(z_j − m) (its last axis kept, of length 1): `log_softmax`'s
    parts."""
    shifted: Array = logits - np.max(logits, axis=-1, keepdims=True)
    others = np.exp(shifted)
    np.put_along_axis(others, np.argmax(logits, axis=-1)[..., None], 0.0, axis=-1)
    rest: Array = np.sum(others, axis=-1, keepdims=True)
    return shifted, rest


def softmax(logits: Array) -> Array:
    """The class probabilities e^(z_k) / Σ_j e^(z_j), as exp(log_softmax): never inf / inf."""
    probabilities: Array = np.exp(log_softmax(logits))
    return probabilities


def targets(labels: Labels, classes: int, *, smoothing: float = 0.0) -> Array:
    """The target distribution of each point: one-hot, or with label smoothing ε the mix
    (1 − ε)·one-hot + ε/K, as PyTorch defines `label_smoothing`."""
    one_hot: Array = np.eye(classes)[labels]
    return (1.0 - smoothing) * one_hot + smoothing / classes


def cross_entropy(logits: Array, labels: Labels, *, smoothing: float = 0.0) -> Array:
    """Softmax cross-entropy −Σ_k q_k·log softmax(z)_k, q the (smoothed) one-hot target.
    Without smoothing q is one-hot: −log softmax(z)_y taken at the label alone, no targets
    made and no sum (bit for bit the sum's value: its other terms are exact zeros)."""
    if smoothing == 0.0:
        shifted, rest = _shifted(logits)
        at = np.broadcast_to(labels[:, None], (*logits.shape[:-1], 1))
        picked: Array = np.take_along_axis(shifted, at, axis=-1) - np.log1p(rest)
        return -picked[..., 0]
    q = targets(labels, logits.shape[-1], smoothing=smoothing)
    per_point: Array = np.sum(q * log_softmax(logits), axis=-1)
    return -per_point


def cross_entropy_gradient(logits: Array, labels: Labels, *, smoothing: float = 0.0) -> Array:
    """d/dz of the cross-entropy: softmax(z) − q."""
    q = targets(labels, logits.shape[-1], smoothing=smoothing)
    return softmax(logits) - q


def one_hot_mse(logits: Array, labels: Labels) -> Array:
    """Σ_k (softmax(z)_k − y_k)², y one-hot: squared error on the probabilities, summed over
    the classes (the multi-class Brier score, Brier 1950). In [0, 2]."""
    miss = softmax(logits) - targets(labels, logits.shape[-1])
    squared: Array = np.sum(miss * miss, axis=-1)
    return squared


def one_hot_mse_gradient(logits: Array, labels: Labels) -> Array:
    """d/dz through the softmax's Jacobian diag(s) − s·sᵀ: s ⊙ (g − g·s), g = 2(s − y)."""
    s = softmax(logits)
    g = 2.0 * (s - targets(labels, logits.shape[-1]))
    result: Array = s * (g - np.sum(g * s, axis=-1, keepdims=True))
    return result


@dataclass(frozen=True)
class MulticlassLoss:
    """A loss of K logits per point: `value` and `gradient` as the module's conventions say,
    with the hyper-parameters as keywords; `classes` is the K it needs (None: any K ≥ 2)."""

    name: str
    label: str
    summary: str
    formula: str
    gradient_formula: str
    value: Callable[..., Array]
    gradient: Callable[..., Array]
    params: tuple[Param, ...] = ()
    aliases: tuple[str, ...] = ()
    classes: int | None = None
    task: str = "multiclass"

    def resolve_params(self, given: Mapping[str, float]) -> dict[str, float]:
        """This loss's hyper-parameters: the given ones where present, else defaults; checked.
        One it does not take is refused."""
        for key in given:
            if key not in {p.name for p in self.params}:
                raise ParameterError(key, f"{self.name} takes no {key}")
        resolved = {}
        for param in self.params:
            value = float(given.get(param.name, param.default))
            param.check(value)
            resolved[param.name] = value
        return resolved

    def check_classes(self, classes: int) -> None:
        """Refuse logits of a width this loss cannot score (field `logits`)."""
        if classes < 2:
            raise ParameterError("logits", f"need at least 2 logits (classes), got {classes}")
        if self.classes is not None and classes != self.classes:
            raise ParameterError(
                "logits", f"{self.name} scores {self.classes} classes, got {classes} logits"
            )


SMOOTHING = Param(
    "smoothing",
    0.0,
    "Label smoothing ε: the target is (1 − ε)·one-hot + ε/K, as PyTorch's label_smoothing.",
    low=0.0,
    high=1.0,
    low_inclusive=True,
    high_inclusive=True,
)

CROSS_ENTROPY = MulticlassLoss(
    name="cross-entropy",
    label="Cross-entropy",
    summary="Softmax cross-entropy: −log of the probability the model gives the true class.",
    formula="−Σ_k q_k·log softmax(z)_k,  q = (1 − smoothing)·one-hot + smoothing/K",
    gradient_formula="softmax(z) − q",
    value=cross_entropy,
    gradient=cross_entropy_gradient,
    params=(SMOOTHING,),
    aliases=("ce",),
)

ONE_HOT_MSE = MulticlassLoss(
    name="one-hot-mse",
    label="One-hot MSE",
    summary="Squared error between the softmax probabilities and the one-hot target.",
    formula="Σ_k (softmax(z)_k − y_k)²,  y one-hot",
    gradient_formula="s ⊙ (g − g·s),  s = softmax(z), g = 2(s − y)",
    value=one_hot_mse,
    gradient=one_hot_mse_gradient,
    aliases=("brier",),
)

MULTICLASS: dict[str, MulticlassLoss] = {loss.name: loss for loss in (CROSS_ENTROPY, ONE_HOT_MSE)}
"""The multi-class losses by name."""


def binary(loss: Loss) -> MulticlassLoss:
    """A classification loss of the line catalogue as a loss of K = 2 logits: ℓ(p, t) with
    p = z1 − z0 and t = 2·label − 1; its gradient is (−ℓ'(p), ℓ'(p)). A loss that is not a
    mean over points (dice) cannot be one, nor can a regression loss."""
    if loss.task != "classification" or not loss.per_point:
        why = "not a classification loss" if loss.task != "classification" else "not per point"
        raise ParameterError("loss", f"{loss.name} cannot score K logits ({why})")

    def value(logits: Array, labels: Labels, **params: float) -> Array:
        score = logits[..., 1] - logits[..., 0]
        result: Array = loss.value(score, 2.0 * labels - 1.0, **params)
        return result

    def gradient(logits: Array, labels: Labels, **params: float) -> Array:
        slope = loss.gradient(logits[..., 1] - logits[..., 0], 2.0 * labels - 1.0, **params)
        return np.stack([-slope, slope], axis=-1)

    return MulticlassLoss(
        name=loss.name,
        label=loss.label,
        summary=loss.summary,
        formula=f"{loss.formula} with p = z1 − z0, t = +1 for class 1, −1 for class 0",
        gradient_formula=f"(−ℓ'(p), ℓ'(p)), ℓ'(p) = {loss.gradient_formula}",
        value=value,
        gradient=gradient,
        params=loss.params,
        aliases=loss.aliases,
        classes=2,
        task="binary",
    )


def named(name: str) -> MulticlassLoss | None:
    """The multi-class registry's loss called `name` or an alias (any case), else None."""
    lowered = name.lower()
    return next((x for x in MULTICLASS.values() if lowered in (x.name, *x.aliases)), None)


def get_multiclass(name: str) -> MulticlassLoss:
    """The multi-class loss called `name` (or an alias), else a classification loss of the
    line catalogue for K = 2 (`binary`); an unknown name lists the known."""
    from losscli.catalogue.registry import ALIASES, CATALOGUE  # the catalogue: only when asked

    lowered = name.lower()
    own = named(lowered)
    if own is not None:
        return own
    if lowered in ALIASES:
        return binary(CATALOGUE[ALIASES[lowered]])
    known = ", ".join(MULTICLASS)
    raise ParameterError(
        "loss",
        f"unknown multi-class loss {name!r}; known: {known}, or a classification loss for K = 2",
    )


@dataclass(frozen=True)
class AtLogits:
    """A multi-class loss at one point's logits: the softmax there, the loss and dℓ/dz."""

    loss: MulticlassLoss
    params: Mapping[str, float]
    logits: tuple[float, ...]
    label: int
    probabilities: tuple[float, ...]
    value: float
    gradient: tuple[float, ...]

    def title(self) -> str:
        """'Cross-entropy (smoothing=0.1)': the label, with hyper-parameters not at default."""
        shown = [
            f"{p.name}={self.params[p.name]:g}"
            for p in self.loss.params
            if self.params[p.name] != p.default
        ]
        return self.loss.label + (f" ({', '.join(shown)})" if shown else "")


def at_logits(
    loss: MulticlassLoss, params: Mapping[str, float], logits: Sequence[float], label: int
) -> AtLogits:
    """The loss and its gradient at one point with these logits and this class; logits that
    are not finite, fewer than 2 or more than the loss scores, or a label that is not a class
    index are a ParameterError naming `logits` or `label`."""
    if not all(math.isfinite(v) for v in logits):
        raise ParameterError("logits", "must be finite numbers")
    loss.check_classes(len(logits))
    if not 0 <= label < len(logits):
        raise ParameterError(
            "label",
            f"must be a class index 0 to {len(logits) - 1} for {len(logits)} logits, got {label}",
        )
    z, y = np.array([logits], dtype=np.float64), np.array([label], dtype=np.int64)
    return AtLogits(
        loss,
        dict(params),
        tuple(float(v) for v in logits),
        label,
        tuple(softmax(z)[0].tolist()),
        float(loss.value(z, y, **params)[0]),
        tuple(loss.gradient(z, y, **params)[0].tolist()),
    )
