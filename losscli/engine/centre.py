"""Data far from the origin, centred: the fast methods' sums without catastrophic cancellation.

With x near 10⁶ the residual e = w1·x + w2 − y is a difference of numbers near 10⁶ whose
rounding (ε·10⁶ ≈ 2e-10) dwarfs the residual's own digits. Centring moves the large part into
one number per column that is computed exactly: with x' = x − c and y' = y − d,

    e = w1·x' − y' + (w2 + a),   a = w1·c − d,

and a is formed as a double-double (Dekker's product and Knuth's sum, `offsets`), so that
w2 + a rounds once, at the size of the residual. x − c is exact (Sterbenz) wherever the data
are centred: only data lying within ±1/4 of their own midpoint are, and c is that midpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Array = NDArray[np.float64]

FAR = 4.0
"""Data whose midpoint is more than this many half-widths from 0 are centred: every value is
then within a quarter of the midpoint, so x − c is exact, and centring gains ≥ 2 bits."""

_SPLIT = 134217729.0  # 2^27 + 1: Dekker's splitter for float64


def centre_of(values: Array) -> float:
    """The midpoint of the values where they lie far from 0 (see FAR), else 0 (no centring)."""
    if len(values) == 0:
        return 0.0
    low, high = float(np.min(values)), float(np.max(values))
    middle, half = low / 2.0 + high / 2.0, high / 2.0 - low / 2.0
    return middle if np.isfinite(middle) and abs(middle) > FAR * half else 0.0


@dataclass(frozen=True)
class Centre:
    """Where the data are centred: x' = x − `x`, y' = y − `y` (0: not centred)."""

    x: float = 0.0
    y: float = 0.0

    @classmethod
    def of(cls, x: Array, y: Array | None = None) -> Centre:
        return cls(centre_of(x), 0.0 if y is None else centre_of(y))

    @property
    def active(self) -> bool:
        return self.x != 0.0 or self.y != 0.0

    def offsets(self, w1: Array) -> tuple[Array, Array]:
        """a = w1·c − d per column as (hi, lo), hi + lo equal to a to about ε² relative."""
        return offsets(np.asarray(w1, dtype=np.float64), self.x, self.y)


def offsets(w1: Array, c: float, d: float) -> tuple[Array, Array]:
    """w1·c − d as a double-double (hi, lo): Dekker's exact product, then Knuth's exact sum."""
    product = w1 * c
    with np.errstate(all="ignore"):
        error = _product_error(w1, c, product)
    total = product - d
    back = total - product
    error += (product - (total - back)) + (-d - back)
    return total, np.where(np.isfinite(error), error, 0.0)


def _product_error(a: Array, b: float, product: Array) -> Array:
    """a·b − fl(a·b), exactly (Dekker), where nothing overflows."""
    t = _SPLIT * a
    a_hi = t - (t - a)
    a_lo = a - a_hi
    u = _SPLIT * b
    b_hi = u - (u - b)
    b_lo = b - b_hi
    result: Array = ((a_hi * b_hi - product) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
    return result


def shifted(hi: Array, lo: Array, w2: Array | float) -> Array:
    """w2 + hi + lo, rounded once at its own size: (w2 + hi) is exact where it cancels (w2 near
    −hi, Sterbenz), so an exactly zero offset comes out 0."""
    result: Array = (w2 + hi) + lo
    return result


def row_offsets(values: Array, low: float, step: float) -> Array:
    """values[j] − (low + j·step), the real number low + j·step formed as a double-double
    (Dekker's product, Knuth's sum): how far each stored grid value lies from the uniform
    grid the fast methods place it on, to about ε² of low."""
    index = np.arange(len(values), dtype=np.float64)
    product = index * step
    error = _product_error(index, step, product)
    total = low + product
    back = total - low
    error += (low - (total - back)) + (product - back)
    result: Array = (values - total) - error
    return result


def far_window(low: float, high: float) -> bool:
    """Whether a window lies far from 0 (as FAR says of data): its grid values are then
    rounded at a size that a uniform grid's arithmetic misplaces by more than its own."""
    return centre_of(np.array([low, high])) != 0.0
