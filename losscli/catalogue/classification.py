"""Classification losses: p is a score (a logit), y a label t ∈ {−1, +1}; z = t·p is the margin.

Each loss is a value function, its derivative dℓ/dp, optionally its structure as a piecewise
polynomial of p per label (for the fast sweep methods), and one `Loss` entry in `LOSSES`; the
registry (`losscli.catalogue.registry`) lists them.

Logits are handled in stable forms: log(1 + e^(−z)) = max(−z, 0) + log1p(e^(−|z|)), and the
sigmoid never exponentiates a positive number, so |p| up to 1e4 and beyond stays finite. Only
`exponential` overflows, and then it honestly says inf.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from losscli.catalogue.model import Loss, Param
from losscli.catalogue.structure import ClippedLogistic, PerLabel, Piecewise, SoftDice

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Array = NDArray[np.float64]
else:
    from losscli.lazy import lazy_import

    np = lazy_import("numpy")


def _softplus_neg(z: Array) -> Array:
    """log(1 + e^(−z)), stably: max(−z, 0) + log1p(e^(−|z|))."""
    return np.maximum(-z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def sigmoid(z: Array) -> Array:
    """1 / (1 + e^(−z)) without exponentiating a positive number."""
    small = np.exp(-np.abs(z))
    return np.where(z >= 0.0, 1.0 / (1.0 + small), small / (1.0 + small))


def hinge(p: Array, t: Array) -> Array:
    """max(0, 1 − t·p): zero once a point is on its side with margin at least 1."""
    return np.maximum(1.0 - t * p, 0.0)


def hinge_gradient(p: Array, t: Array) -> Array:
    return np.where(1.0 - t * p > 0.0, -t, 0.0)


def hinge_shape() -> PerLabel:
    """max(0, 1 − t·p): 1 − p below p = 1 for t = +1; 1 + p above p = −1 for t = −1."""
    return PerLabel(
        positive=Piecewise(breaks=(1.0,), pieces=((1.0, -1.0), (0.0,))),
        negative=Piecewise(breaks=(-1.0,), pieces=((0.0,), (1.0, 1.0))),
    )


def squared_hinge(p: Array, t: Array) -> Array:
    """max(0, 1 − t·p)²: hinge made smooth at the margin, harsher on gross mistakes."""
    slack = np.maximum(1.0 - t * p, 0.0)
    return slack * slack


def squared_hinge_gradient(p: Array, t: Array) -> Array:
    return -2.0 * t * np.maximum(1.0 - t * p, 0.0)


def squared_hinge_shape() -> PerLabel:
    """max(0, 1 − t·p)²: (1 − p)² below p = 1 for t = +1; (1 + p)² above p = −1 for t = −1."""
    return PerLabel(
        positive=Piecewise(breaks=(1.0,), pieces=((1.0, -2.0, 1.0), (0.0,))),
        negative=Piecewise(breaks=(-1.0,), pieces=((0.0,), (1.0, 2.0, 1.0))),
    )


def logistic(p: Array, t: Array) -> Array:
    """log(1 + e^(−t·p)): binary cross-entropy on the logit p, stable for any |p|."""
    return _softplus_neg(t * p)


def logistic_gradient(p: Array, t: Array) -> Array:
    return -t * sigmoid(-t * p)


BCE_CLIP = 1e-7
"""bce clips the probability to [BCE_CLIP, 1 − BCE_CLIP], as the seed's code does."""

BCE_FORM = ClippedLogistic(BCE_CLIP, logistic)
"""bce as logistic's loss of the clipped margin."""


def bce(p: Array, t: Array) -> Array:
    """−log of the clipped probability sigmoid(t·p) of the true class; saturates at −log 1e-7.
    As logistic's loss of the clipped margin, so that −log of a probability near 1 keeps its
    digits (−log(σ(z)) from σ(z) loses them: 2e-9 relative at z = 16)."""
    low, high = BCE_FORM.kinks()
    return _softplus_neg(np.clip(t * p, low, high))


def bce_gradient(p: Array, t: Array) -> Array:
    q_true = sigmoid(t * p)
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
    return _alpha_t(t, alpha) * sigmoid(-z) ** gamma * _softplus_neg(z)


def focal_gradient(p: Array, t: Array, *, alpha: float = 0.25, gamma: float = 2.0) -> Array:
    z = t * p
    miss = sigmoid(-z)  # 1 − q_t; written so that no power gamma − 1 appears
    return -t * _alpha_t(t, alpha) * miss**gamma * (gamma * sigmoid(z) * _softplus_neg(z) + miss)


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


def zero_one_shape() -> PerLabel:
    """1 where the predicted sign is wrong, predicting +1 where p > 0 (so −1 at p = 0)."""
    return PerLabel(
        positive=Piecewise(breaks=(0.0,), pieces=((1.0,), (0.0,))),
        negative=Piecewise(breaks=(0.0,), pieces=((0.0,), (1.0,))),
    )


def dice(p: Array, t: Array) -> Array:
    """Soft Dice over the whole dataset: 1 − (2·Σ y01·q + 1)/(Σ y01 + Σ q + 1), q = sigmoid(p)."""
    # 1 − overlap/total = Σ σ(−t·p)/total: every term ≥ 0, no cancellation where it is small
    y01 = (t + 1.0) / 2.0
    total = y01.sum(axis=-1) + sigmoid(p).sum(axis=-1) + 1.0
    loss: Array = sigmoid(-t * p).sum(axis=-1) / total
    return loss


def dice_error(p: Array, t: Array) -> Array:
    """σ(−t·p): dice's numerator per point, 1 − q for a positive, q for a negative."""
    return sigmoid(-t * p)


def dice_score(p: Array, t: Array) -> Array:
    """σ(p) whatever the label (t sets only the shape): the points' part of dice's
    denominator."""
    return sigmoid(np.broadcast_arrays(p, t)[0])


def dice_gradient(p: Array, t: Array) -> Array:
    q = sigmoid(p)
    y01 = (t + 1.0) / 2.0
    overlap = 2.0 * (y01 * q).sum(axis=-1, keepdims=True) + 1.0
    total = y01.sum(axis=-1, keepdims=True) + q.sum(axis=-1, keepdims=True) + 1.0
    d_score = (2.0 * y01 * total - overlap) / (total * total)  # d(overlap/total)/dq_i
    gradient: Array = -d_score * q * (1.0 - q)
    return gradient


LOSSES = (
    Loss(
        name="hinge",
        label="Hinge",
        task="classification",
        summary="Hinge: zero once a point is on its side by a margin of 1; a flat plateau.",
        formula="max(0, 1 − t·p),  t = ±1",
        gradient_formula="−t if t·p < 1, else 0",
        value=hinge,
        gradient=hinge_gradient,
        piecewise=hinge_shape,
        advice="Use it for max-margin classifiers (SVMs); avoid plain gradient descent on it, "
        "which freezes on the plateau where the gradient is exactly zero.",
    ),
    Loss(
        name="squared-hinge",
        label="Squared hinge",
        task="classification",
        summary="Squared hinge: hinge squared, so smooth at the margin and steep for mistakes.",
        formula="max(0, 1 − t·p)²,  t = ±1",
        gradient_formula="−2·t·max(0, 1 − t·p)",
        value=squared_hinge,
        gradient=squared_hinge_gradient,
        piecewise=squared_hinge_shape,
        advice="Use it for a margin classifier trained by gradient methods (it has a gradient "
        "at the margin); avoid it with mislabelled points, whose squared slack dominates.",
    ),
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
    ),
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
        form=BCE_FORM,
        cost=4.5,
        convex=False,
        advice="Use it to see what clipping probabilities does: it matches logistic for "
        "|p| < 16 and then goes flat; avoid it for training on logits, where logistic is "
        "exact and keeps its gradient.",
    ),
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
    ),
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
        exponential=True,
        cost=1.4,
        advice="Use it to understand boosting, which minimises it stage by stage; avoid it with "
        "noisy labels: one mislabelled point far out weighs exponentially (inf, even).",
    ),
    Loss(
        name="zero-one",
        label="Zero-one",
        task="classification",
        summary="Zero-one loss: the share of misclassified points; flat steps, no gradient.",
        formula="1 if ŷ ≠ t else 0,  ŷ = +1 where p > 0, else −1",
        gradient_formula="0 everywhere (undefined on the decision boundary)",
        value=zero_one,
        gradient=zero_one_gradient,
        piecewise=zero_one_shape,
        convex=False,
        advice="Use it to report the error rate and to see why we train on surrogates; avoid "
        "it as a training loss: every gradient is zero.",
    ),
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
        form=SoftDice(dice_error, dice_score, 1.0),
        cost=7.0,
        convex=False,
        per_point=False,
        advice="Use it when the positives are a small part of the data and overlap with them "
        "is what counts (segmentation masks); avoid it alone on small or balanced data, where "
        "its ratio gives noisy, flat gradients.",
    ),
)
"""The classification entries, in the order `losscli losses` lists them after the lesson's."""
