"""The grid's axes: evenly spaced values of one parameter, as numpy.linspace gives them."""

from __future__ import annotations

import math
from dataclasses import dataclass
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
    """One parameter's grid line: `steps` values from `low` to `high`, as numpy.linspace.

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
    def values(self) -> Array:
        return np.linspace(self.low, self.high, self.steps)

    @property
    def step(self) -> float:
        """The distance between neighbouring values (linspace's own, to the last bit)."""
        return (self.high - self.low) / (self.steps - 1)


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
