"""Classification windows far along w2: the fast methods keep the digits they have near 0.

With x ≈ −1000 the line's intercept sits near w2 ≈ 3000 (w1 ≈ 3). The piecewise and binned
methods place row j at lo + j·h, which the stored w2 (the float nearest the exact decimal)
differs from by its rounding, some 10⁻¹³ here: a shift of every point alike, which a sum does
not average out as it does a direct evaluation's own rounding. They moved every cell by up to
1.8e-13 relative (hinge, logistic), against about 1e-15 near the origin and 1.3e-14 (hinge),
4e-15 (logistic) for `--method direct`. Each row is now moved to its stored value.

The reference is independent of the engine: the mean over the same float inputs (x, the
stored w1 and w2, each an exact rational) with p = w1·x + w2 exact, as rationals for hinge
and in 40-digit `decimal` arithmetic for logistic. Tolerance 3e-14 relative: about twice
what direct itself gets here, a sixth of the error before.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from fractions import Fraction

import numpy as np
import pytest

from losscli.catalogue import get_loss
from losscli.data.dataset import Dataset
from losscli.engine import Axis, sweep

TOLERANCE = 3e-14


def far_points(n: int = 60, seed: int = 5) -> Dataset:
    """x = −1000 + U(0, 2); label +1 where 3·x + 3000.9 > 0, a tenth flipped."""
    rng = np.random.default_rng(seed)
    x = -1000.0 + rng.uniform(0.0, 2.0, n)
    t = np.where(3.0 * x + 3000.9 > 0.0, 1.0, -1.0)
    t[rng.random(n) < 0.1] *= -1.0
    return Dataset(x, t, "far along w2", {"kind": "test"})


def reference(name: str, data: Dataset, w1: np.ndarray, w2: np.ndarray) -> np.ndarray:
    xs = [Fraction(v) for v in data.x]
    ts = [int(v) for v in data.y]
    out = np.empty((len(w2), len(w1)))
    with localcontext() as context:
        context.prec = 40
        for i, b in enumerate(w2):
            for j, a in enumerate(w1):
                margins = [t * (Fraction(a) * x + Fraction(b)) for x, t in zip(xs, ts, strict=True)]
                if name == "hinge":
                    total = sum((max(Fraction(0), 1 - z) for z in margins), Fraction(0))
                    out[i, j] = float(total / len(xs))
                else:  # logistic: log(1 + e^(−z))
                    zs = (Decimal(z.numerator) / Decimal(z.denominator) for z in margins)
                    out[i, j] = float(
                        sum((((-z).exp() + 1).ln() for z in zs), Decimal(0)) / len(xs)
                    )
    return out


@pytest.mark.parametrize(("name", "method"), [("hinge", "piecewise"), ("logistic", "binned")])
def test_a_window_far_along_w2_keeps_its_digits(name: str, method: str) -> None:
    data = far_points()
    w1, w2 = Axis("w1", 2.5, 3.5, 9), Axis("w2", 2999.0, 3001.0, 11)
    loss = get_loss(name)
    fast = sweep(loss, {}, data, w1, w2, method=method)
    exact = reference(name, data, w1.values, w2.values)
    assert fast.method == method
    assert np.max(np.abs(fast.values - exact) / exact) < TOLERANCE
