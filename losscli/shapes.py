"""The structure of each piecewise-polynomial loss, for the fast sweep engines.

Each function takes the loss's hyper-parameters as keywords (named as the catalogue's `Param`s)
and returns its `Piecewise` (regression, in u = p − y) or `PerLabel` (classification, in
u = p) description; `losscli.losses` attaches them to catalogue entries as `piecewise=`.
Coefficients are (c0, c1, c2) in powers of u; a u on a break uses the piece below it.

tests/test_engine.py checks each against a direct evaluation of the catalogue's formula.
"""

from __future__ import annotations

from losscli.piecewise import PerLabel, Piecewise


def mse() -> Piecewise:
    """e²: one quadratic piece, swept from sufficient statistics."""
    return Piecewise(breaks=(), pieces=((0.0, 0.0, 1.0),))


def mae() -> Piecewise:
    """|e|: −e below 0, e above."""
    return Piecewise(breaks=(0.0,), pieces=((0.0, -1.0), (0.0, 1.0)))


def huber(*, delta: float = 1.0) -> Piecewise:
    """0.5·e² for |e| ≤ delta, delta·(|e| − 0.5·delta) beyond."""
    ramp = -0.5 * delta * delta
    return Piecewise(
        breaks=(-delta, delta), pieces=((ramp, -delta), (0.0, 0.0, 0.5), (ramp, delta))
    )


def hinge() -> PerLabel:
    """max(0, 1 − t·p): 1 − p below p = 1 for t = +1; 1 + p above p = −1 for t = −1."""
    return PerLabel(
        positive=Piecewise(breaks=(1.0,), pieces=((1.0, -1.0), (0.0,))),
        negative=Piecewise(breaks=(-1.0,), pieces=((0.0,), (1.0, 1.0))),
    )


def smooth_l1(*, beta: float = 1.0) -> Piecewise:
    """0.5·e²/beta for |e| < beta, |e| − 0.5·beta beyond (Huber divided by beta)."""
    return Piecewise(
        breaks=(-beta, beta),
        pieces=((-0.5 * beta, -1.0), (0.0, 0.0, 0.5 / beta), (-0.5 * beta, 1.0)),
    )


def quantile(*, tau: float = 0.5) -> Piecewise:
    """tau·max(y − p, 0) + (1 − tau)·max(p − y, 0): slope −tau below e = 0, 1 − tau above."""
    return Piecewise(breaks=(0.0,), pieces=((0.0, -tau), (0.0, 1.0 - tau)))


def squared_hinge() -> PerLabel:
    """max(0, 1 − t·p)²: (1 − p)² below p = 1 for t = +1; (1 + p)² above p = −1 for t = −1."""
    return PerLabel(
        positive=Piecewise(breaks=(1.0,), pieces=((1.0, -2.0, 1.0), (0.0,))),
        negative=Piecewise(breaks=(-1.0,), pieces=((0.0,), (1.0, 2.0, 1.0))),
    )


def zero_one() -> PerLabel:
    """1 where the predicted sign is wrong, predicting +1 where p > 0 (so −1 at p = 0)."""
    return PerLabel(
        positive=Piecewise(breaks=(0.0,), pieces=((1.0,), (0.0,))),
        negative=Piecewise(breaks=(0.0,), pieces=((0.0,), (1.0,))),
    )
