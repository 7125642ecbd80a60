"""Sums and means over points that are finite wherever the true one is, in float64.

A plain sum of finite terms overflows once it passes float64's largest value (about 1.8e308)
even where the mean does not: four terms of e^709 sum to inf, yet their mean is e^709. So each
function here takes numpy's plain (pairwise) sum first, the fast path; only where that is not
finite does it sum again with the terms scaled by a power of two (2^−e, e the exponent of the
largest), then scale back. Scaling by a power of two is exact (but for terms some 2^1022
times smaller than the largest, far below its rounding), so the result is the plain one as if
float64's exponent had no end: it is ±inf or nan only where a term is, or where the true
result itself passes float64's largest value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Array = NDArray[np.float64]
else:
    from losscli.lazy import lazy_import

    np = lazy_import("numpy")  # the catalogue loads at start-up, numpy only when a loss runs


def finite_mean(terms: Array) -> Array:
    """The mean over the last axis; finite wherever every term of a row is."""
    return _finite(terms, lambda rows: rows.mean(axis=-1))


def finite_sum(terms: Array) -> Array:
    """The sum over the last axis; finite wherever the true sum is."""
    return _finite(terms, lambda rows: rows.sum(axis=-1))


def finite_dot(a: Array, b: Array) -> float:
    """Σ a_i·b_i of two vectors; finite wherever the true sum is, also where a product alone
    overflows (huge products that cancel)."""
    with np.errstate(over="ignore", invalid="ignore"):
        plain = float(np.sum(a * b))
    if np.isfinite(plain) or not (np.isfinite(a).all() and np.isfinite(b).all()):
        return plain
    a_exponent, b_exponent = _exponents(a[None, :])[0], _exponents(b[None, :])[0]
    with np.errstate(over="ignore", under="ignore"):
        scaled = np.sum(np.ldexp(a, -a_exponent) * np.ldexp(b, -b_exponent))
        return float(np.ldexp(scaled, a_exponent + b_exponent))


def _finite(terms: Array, reduce: Callable[[Array], Array]) -> Array:
    """`reduce(terms)`, the plain way, with the rows that are not finite reduced again from
    scaled terms."""
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is this function's to handle
        plain = reduce(terms)
    if np.isfinite(plain).all():
        return plain
    flat = terms.reshape(-1, terms.shape[-1])
    result = np.array(plain, dtype=np.float64).reshape(-1)
    again = ~np.isfinite(result)
    rows = flat[again]
    exponents = _exponents(rows)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        result[again] = np.ldexp(reduce(np.ldexp(rows, -exponents[:, None])), exponents)
    return result.reshape(np.shape(plain))


def _exponents(rows: Array) -> NDArray[np.intc]:
    """Per row, e such that its largest |term| is in [2^(e−1), 2^e); 0 where that term is 0
    or not finite (the row's sum is then what it is, unscaled)."""
    largest = np.max(np.abs(rows), axis=-1)
    exponents: NDArray[np.intc] = np.frexp(np.where(np.isfinite(largest), largest, 0.0))[1]
    return exponents
