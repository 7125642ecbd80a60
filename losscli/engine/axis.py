"""The grid's axes: evenly spaced values of one parameter, each the float nearest its exact
value, so a grid over -2…4 in 21 steps holds 1.6, not linspace's 1.5999999999999996.

Value k is lo + k·(hi − lo)/(steps − 1) computed exactly, lo and hi being the shortest decimals
that read back as the ends (what the user typed: 0.1, not 0.1000000000000000055…): as whole
numbers (start + k·stride) over one denominator, divided once in float64, which rounds to the
nearest. Where the step is a short decimal (0.3) the values print as the decimals −2, −1.7, …;
where it is not (0…1 in 4 steps: 1/3) they are the floats nearest the exact fractions. Where
those whole numbers outgrow float64's 2^53 (ends of very different magnitudes, 1e-300…1, say)
the values are numpy.linspace's, as before.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from losscli.errors import ParameterError

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from losscli.defaults import Range, Window

    Array = NDArray[np.float64]


@dataclass(frozen=True)
class Axis:
    """One parameter's grid line: `steps` values from `low` to `high`, each the float nearest
    its exact value (see the module's docstring).

    Its errors name the parameter's range (`w1_range`) or steps (`w1_steps`).
    """

    name: str
    low: float
    high: float
    steps: int

    def __post_init__(self) -> None:
        field = f"{self.name}_range"
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ParameterError(field, f"must be finite numbers, got {self.low:g} {self.high:g}")
        if self.low >= self.high:
            raise ParameterError(field, f"LO must be below HI, got {self.low:g} {self.high:g}")
        if not math.isfinite(self.high - self.low):
            raise ParameterError(
                field, f"HI - LO overflows float64, got {self.low:g} {self.high:g}"
            )
        if self.steps < 2:
            raise ParameterError(f"{self.name}_steps", f"must be at least 2, got {self.steps}")

    @cached_property
    def _exact(self) -> Rational | None:
        return exact_fraction(self.low, self.high, self.steps)

    @cached_property
    def values(self) -> Array:
        exact = self._exact
        if exact is None:
            return np.linspace(self.low, self.high, self.steps)
        numerators = np.arange(self.steps, dtype=np.int64) * exact.stride + exact.start
        values: Array = numerators.astype(np.float64) / float(exact.denominator)
        return values

    @property
    def step(self) -> float:
        """The distance between neighbouring values: the float nearest the exact step."""
        exact = self._exact
        if exact is None:
            return (self.high - self.low) / (self.steps - 1)
        return exact.stride / exact.denominator  # whole numbers: Python rounds to the nearest


@dataclass(frozen=True)
class Rational:
    """An axis as whole numbers: value k is (start + k·stride) / denominator exactly."""

    start: int
    stride: int
    denominator: int


EXACT_LIMIT = 1 << 53
"""Whole numbers up to this are exact in float64, so one division rounds each value once."""


def exact_fraction(low: float, high: float, steps: int) -> Rational | None:
    """The axis's values as fractions over one denominator, from the shortest decimals of its
    ends; None where a numerator or the denominator would exceed EXACT_LIMIT."""
    lo, hi = Decimal(repr(float(low))), Decimal(repr(float(high)))
    exponents = (lo.as_tuple().exponent, hi.as_tuple().exponent)
    places = max(0, *(-e for e in exponents if isinstance(e, int)))
    scale = 10**places
    start, end = int(lo.scaleb(places)), int(hi.scaleb(places))
    intervals = steps - 1
    common = math.gcd(end - start, intervals)
    per, parts = (end - start) // common, intervals // common
    denominator = parts * scale
    if denominator > EXACT_LIMIT or max(abs(start), abs(end)) * parts > EXACT_LIMIT:
        return None
    return Rational(start * parts, per, denominator)


@dataclass(frozen=True)
class GridSpec:
    """A grid as asked for: each range where chosen (None takes the data's own window) and
    the steps along each axis."""

    w1_range: Range | None
    w2_range: Range | None
    w1_steps: int
    w2_steps: int

    def axes(self, window: Window) -> tuple[Axis, Axis]:
        """The axes over these ranges, the window's where none was chosen."""
        w1 = Axis("w1", *(self.w1_range or window[0]), self.w1_steps)
        w2 = Axis("w2", *(self.w2_range or window[1]), self.w2_steps)
        return w1, w2
