"""Data far from the origin: every method keeps its digits, and exact zeros stay zero.

With x ≈ 10⁶ + U(0, 100) the residual w1·x + w2 − y is a difference of numbers near 10⁶,
whose float64 rounding (~2e-10) once cost the fast methods five digits. The reference here is
independent of the engine: the mean loss over the same float inputs (x, y and the stored grid
values, each an exact rational) computed exactly with `fractions.Fraction` for the piecewise
polynomials, and in 50-digit `decimal` arithmetic for log-cosh.

Tolerance: 1e-13 relative to the reference, for every method on the issue's data (80 points
a million from the origin). Over random offsets the binned method is held to what it declares
instead (`error`, at most 1e-12: its interpolation aims at 1e-13 a point, times the spreading's
growth), plus 1e-14 for rounding; the exact methods to 1e-13 still. The data are noisy (σ = 0.2), so every cell's
value is at least about σ²/2 and relative error is meaningful everywhere; the noiseless data,
where the value at the true line is exactly 0, are held to 0.0 exactly there.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from losscli.catalogue import get_loss
from losscli.data.dataset import Dataset
from losscli.engine import Axis, Surface, sweep

TOLERANCE = 1e-13

METHODS = {
    "mse": ("quadratic", "direct"),
    "mae": ("piecewise", "direct"),
    "huber": ("piecewise", "direct"),
    "log-cosh": ("binned", "direct"),
}


def points(offset: float, n: int, seed: int, noise: float) -> Dataset:
    """y = 1.5·x + 0.5 (+ noise), x = offset + U(0, 100); whole-number x when noiseless, so
    that 1.5·x + 0.5 is exact and the loss at (1.5, 0.5) is exactly 0."""
    rng = np.random.default_rng(seed)
    x = offset + (rng.uniform(0.0, 100.0, n) if noise else rng.integers(0, 100, n))
    y = 1.5 * x + 0.5 + noise * rng.normal(size=n)
    return Dataset(x, y, "far", {"kind": "test"})


def _residual_loss(name: str, e: Fraction) -> Fraction:
    a = abs(e)
    if name == "mse":
        return e * e
    if name == "mae":
        return a
    assert name == "huber"  # delta = 1
    return a * a / 2 if a <= 1 else a - Fraction(1, 2)


def reference(name: str, data: Dataset, w1: np.ndarray, w2: np.ndarray) -> np.ndarray:
    """The exact mean loss (rows w2, columns w1) over the float inputs, as rationals (50
    significant digits for log-cosh), rounded once to float64."""
    xs = [Fraction(v) for v in data.x]
    ys = [Fraction(v) for v in data.y]
    out = np.empty((len(w2), len(w1)))
    with localcontext() as context:
        context.prec = 50
        for i, b in enumerate(w2):
            for j, a in enumerate(w1):
                residuals = [Fraction(a) * x + Fraction(b) - y for x, y in zip(xs, ys, strict=True)]
                if name == "log-cosh":
                    total = Decimal(0)
                    for e in residuals:
                        u = Decimal(e.numerator) / Decimal(e.denominator)
                        total += ((u.exp() + (-u).exp()) / 2).ln()
                    out[i, j] = float(total / len(xs))
                else:
                    exact = sum((_residual_loss(name, e) for e in residuals), Fraction(0))
                    out[i, j] = float(exact / len(xs))
    return out


def surface(name: str, method: str, data: Dataset, w1: Axis, w2: Axis) -> Surface:
    loss = get_loss(name)
    return sweep(loss, loss.resolve_params({}), data, w1, w2, method=method)


def swept(name: str, method: str, data: Dataset, w1: Axis, w2: Axis) -> np.ndarray:
    return surface(name, method, data, w1, w2).values


def relative(values: np.ndarray, exact: np.ndarray) -> float:
    return float(np.max(np.abs(values - exact) / np.abs(exact)))


NOISY = points(1e6, 80, 5, 0.2)
EXACT = points(1e6, 80, 5, 0.0)
VALLEY = (Axis("w1", 1.4999, 1.5001, 11), Axis("w2", -1.0, 2.0, 11))  # holds (1.5, 0.5)


@pytest.mark.parametrize("name", sorted(METHODS))
def test_every_method_keeps_its_digits_a_million_from_the_origin(name) -> None:
    # before centring: quadratic 2.9e-10, piecewise mae 1.2e-10 and huber 1.9e-10, binned
    # log-cosh 6.3e-11, direct 3.2e-10 on this very grid
    w1, w2 = VALLEY
    exact = reference(name, NOISY, w1.values, w2.values)
    for method in METHODS[name]:
        assert relative(swept(name, method, NOISY, w1, w2), exact) <= TOLERANCE, method


@pytest.mark.parametrize("name", ["mse", "mae", "huber"])
def test_an_exact_zero_stays_zero(name) -> None:
    # every residual is exactly 0 at (1.5, 0.5): the reference says 0, and so must the sweep
    w1, w2 = VALLEY
    exact = reference(name, EXACT, w1.values, w2.values)
    row, col = int(np.flatnonzero(w2.values == 0.5)[0]), int(np.flatnonzero(w1.values == 1.5)[0])
    assert exact[row, col] == 0.0
    others = exact != 0.0
    for method in METHODS[name]:
        values = swept(name, method, EXACT, w1, w2)
        assert values[row, col] == 0.0, method
        assert relative(values[others], exact[others]) <= TOLERANCE, method


def test_hinge_far_from_the_origin_keeps_its_exact_zeros() -> None:
    # labels separable at x = 10⁶ + 50: hinge is exactly 0 wherever every margin is ≥ 1
    x = 1e6 + np.arange(1.25, 100.0, 2.5)
    labels = np.where(x > 1e6 + 50.0, 1.0, -1.0)
    data = Dataset(x, labels, "far", {"kind": "test"})
    w1, w2 = Axis("w1", 0.5, 1.5, 5), Axis("w2", -1000052, -1000048, 9)
    xs = [Fraction(v) for v in x]
    exact = np.array(
        [
            [
                float(
                    sum(
                        (max(Fraction(0), 1 - int(t) * (Fraction(a) * xi + Fraction(b))))
                        for xi, t in zip(xs, labels, strict=True)
                    )
                    / len(xs)
                )
                for a in w1.values
            ]
            for b in w2.values
        ]
    )
    assert (exact == 0.0).any() and (exact != 0.0).any()
    for method in ("piecewise", "direct"):
        values = swept("hinge", method, data, w1, w2)
        assert np.array_equal(values == 0.0, exact == 0.0)


@settings(max_examples=15, deadline=None)
@given(
    exponent=st.integers(3, 8),
    mantissa=st.integers(10, 99),
    seed=st.integers(0, 2**16),
    name=st.sampled_from(sorted(METHODS)),
)
def test_every_method_agrees_with_the_exact_mean_at_any_offset(
    exponent, mantissa, seed, name
) -> None:
    # offsets 1e3 … 9.9e8; a w1 window 10/offset wide either side of the true slope (the
    # residuals then move by up to about ±100 across it), w2 around the intercept
    offset = mantissa * 10.0 ** (exponent - 1)
    data = points(offset, 24, seed, 0.2)
    half = 10.0 ** (2 - exponent)
    w1, w2 = Axis("w1", 1.5 - half, 1.5 + half, 5), Axis("w2", -1.0, 2.0, 5)
    exact = reference(name, data, w1.values, w2.values)
    for method in METHODS[name]:
        result = surface(name, method, data, w1, w2)
        allowed = TOLERANCE if result.error is None else max(TOLERANCE, result.error + 1e-14)
        assert relative(result.values, exact) <= allowed, method
