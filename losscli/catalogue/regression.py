"""Regression losses: y is a real target and e = p − y the residual.

Each loss is a value function, its derivative dℓ/dp, optionally its structure as a piecewise
polynomial of e (for the fast sweep methods), and one `Loss` entry in `LOSSES`; the registry
(`losscli.catalogue.registry`) lists them. Every built-in regression loss depends on the
residual alone (`residual=True`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from losscli.catalogue.model import Loss, Param
from losscli.catalogue.structure import Piecewise

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Array = NDArray[np.float64]
else:
    from losscli.lazy import lazy_import

    np = lazy_import("numpy")


def mse(p: Array, y: Array) -> Array:
    """Squared error e² (Legendre's least squares)."""
    e = p - y
    return e * e


def mse_gradient(p: Array, y: Array) -> Array:
    return 2.0 * (p - y)


def mse_shape() -> Piecewise:
    """e²: one quadratic piece, swept from sufficient statistics."""
    return Piecewise(breaks=(), pieces=((0.0, 0.0, 1.0),))


def mae(p: Array, y: Array) -> Array:
    """Absolute error |e| (Laplace's rule)."""
    return np.abs(p - y)


def mae_gradient(p: Array, y: Array) -> Array:
    return np.sign(p - y)


def mae_shape() -> Piecewise:
    """|e|: −e below 0, e above."""
    return Piecewise(breaks=(0.0,), pieces=((0.0, -1.0), (0.0, 1.0)))


def huber(p: Array, y: Array, *, delta: float = 1.0) -> Array:
    """0.5·e² within delta of the target, delta·(|e| − 0.5·delta) beyond: a bowl with ramps."""
    e = p - y
    magnitude = np.abs(e)
    return np.where(magnitude <= delta, 0.5 * e * e, delta * (magnitude - 0.5 * delta))


def huber_gradient(p: Array, y: Array, *, delta: float = 1.0) -> Array:
    return np.clip(p - y, -delta, delta)


def huber_shape(*, delta: float = 1.0) -> Piecewise:
    """0.5·e² for |e| ≤ delta, delta·(|e| − 0.5·delta) beyond."""
    ramp = -0.5 * delta * delta
    return Piecewise(
        breaks=(-delta, delta), pieces=((ramp, -delta), (0.0, 0.0, 0.5), (ramp, delta))
    )


def smooth_l1(p: Array, y: Array, *, beta: float = 1.0) -> Array:
    """PyTorch's SmoothL1Loss: 0.5·e²/beta below beta, |e| − 0.5·beta beyond (huber / beta)."""
    e = p - y
    magnitude = np.abs(e)
    return np.where(magnitude < beta, 0.5 * e * e / beta, magnitude - 0.5 * beta)


def smooth_l1_gradient(p: Array, y: Array, *, beta: float = 1.0) -> Array:
    return np.clip((p - y) / beta, -1.0, 1.0)


def smooth_l1_shape(*, beta: float = 1.0) -> Piecewise:
    """0.5·e²/beta for |e| < beta, |e| − 0.5·beta beyond (Huber divided by beta)."""
    return Piecewise(
        breaks=(-beta, beta),
        pieces=((-0.5 * beta, -1.0), (0.0, 0.0, 0.5 / beta), (-0.5 * beta, 1.0)),
    )


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


def quantile_shape(*, tau: float = 0.5) -> Piecewise:
    """tau·max(y − p, 0) + (1 − tau)·max(p − y, 0): slope −tau below e = 0, 1 − tau above."""
    return Piecewise(breaks=(0.0,), pieces=((0.0, -tau), (0.0, 1.0 - tau)))


LOSSES = (
    Loss(
        name="mse",
        label="MSE",
        task="regression",
        summary="Mean squared error: a smooth bowl; one outlier can dominate it.",
        formula="e²,  e = p − y",
        gradient_formula="2·e",
        value=mse,
        gradient=mse_gradient,
        piecewise=mse_shape,
        residual=True,
        aliases=("l2",),
        advice="Use it for regression with roughly Gaussian noise; avoid it when outliers are "
        "common, since their squared errors pull the fit towards them.",
    ),
    Loss(
        name="mae",
        label="MAE",
        task="regression",
        summary="Mean absolute error: every point gets an equal vote; a ridged ravine.",
        formula="|e|,  e = p − y",
        gradient_formula="sign(e)  (0 at e = 0)",
        value=mae,
        gradient=mae_gradient,
        piecewise=mae_shape,
        residual=True,
        aliases=("l1",),
        advice="Use it when outliers should not drag the fit (it targets the median); avoid "
        "it when you need smooth gradients near the minimum, where it bounces.",
    ),
    Loss(
        name="huber",
        label="Huber",
        task="regression",
        summary="Huber: squared error near the target, absolute error beyond delta.",
        formula="0.5·e² if |e| ≤ delta, else delta·(|e| − 0.5·delta)",
        gradient_formula="clip(e, −delta, delta)",
        value=huber,
        gradient=huber_gradient,
        piecewise=huber_shape,
        residual=True,
        cost=3.5,
        params=(Param("delta", 1.0, "Huber's switch from squared to absolute error.", low=0.0),),
        advice="Use it for regression with some outliers: a smooth bowl near the answer, "
        "gentle ramps far out, delta on the scale of ordinary errors; avoid it on clean data, "
        "where MSE gives the same fit with no delta to pick.",
    ),
    Loss(
        name="smooth-l1",
        label="Smooth L1",
        task="regression",
        summary="Smooth L1 (PyTorch's SmoothL1Loss): Huber divided by beta, slope 1 far out.",
        formula="0.5·e²/beta if |e| < beta, else |e| − 0.5·beta",
        gradient_formula="clip(e/beta, −1, 1)",
        value=smooth_l1,
        gradient=smooth_l1_gradient,
        piecewise=smooth_l1_shape,
        residual=True,
        cost=3.5,
        params=(Param("beta", 1.0, "Smooth L1's switch from squared to absolute error.", low=0.0),),
        advice="Use it where you would use Huber but want the far-out slope fixed at 1 "
        "whatever the switch point (box regression in detectors); avoid a tiny beta, which "
        "turns it back into MAE's sharp kink.",
    ),
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
        cost=6.0,
        advice="Use it when you want Huber's robustness with derivatives of every order and no "
        "threshold to pick; avoid it when errors are tiny on the scale of 1, where it is "
        "just half of MSE.",
    ),
    Loss(
        name="quantile",
        label="Quantile",
        task="regression",
        summary="Quantile (pinball) loss: fits the tau-quantile of y; tau = 0.5 is half of MAE.",
        formula="tau·max(y − p, 0) + (1 − tau)·max(p − y, 0)",
        gradient_formula="−tau if p < y, 1 − tau if p > y, 0 at p = y",
        value=quantile,
        gradient=quantile_gradient,
        piecewise=quantile_shape,
        residual=True,
        params=(Param("tau", 0.5, "Quantile to fit.", low=0.0, high=1.0),),
        aliases=("pinball",),
        cost=2.0,
        advice="Use it to predict a bound rather than a centre (tau = 0.9: a line 90% of "
        "points lie below), or uneven costs of over- and under-prediction; avoid it when "
        "you want the mean.",
    ),
)
"""The regression entries, in the order `losscli losses` lists them after the lesson's."""
