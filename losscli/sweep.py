"""The grid over (w1, w2) and the sweep that fills it with mean losses.

Layout, as the JSON reports it: `values[i][j]` is the mean loss at w2 = w2[i], w1 = w1[j]
(rows are w2, columns are w1). The minimum is the first minimum in that row-major order,
which is what `numpy.argmin` gives.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from losscli.errors import OptionError

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from losscli.data import Dataset
    from losscli.losses import Loss

    Array = NDArray[np.float64]

BLOCK_ELEMENTS = 1 << 18
"""Predictions held at once by the direct sweep (2 MiB of float64): memory stays bounded."""


@dataclass(frozen=True)
class Axis:
    """One parameter's grid line: `steps` values from `low` to `high`, as numpy.linspace."""

    name: str
    low: float
    high: float
    steps: int

    def __post_init__(self) -> None:
        option = f"--{self.name}-range"
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise OptionError(option, f"must be finite numbers, got {self.low:g} {self.high:g}")
        if self.low >= self.high:
            raise OptionError(option, f"LO must be below HI, got {self.low:g} {self.high:g}")
        if self.steps < 2:
            raise OptionError(f"--{self.name}-steps", f"must be at least 2, got {self.steps}")

    @property
    def values(self) -> Array:
        return np.linspace(self.low, self.high, self.steps)


@dataclass(frozen=True)
class Minimum:
    row: int
    col: int
    w1: float
    w2: float
    value: float


@dataclass(frozen=True)
class Surface:
    """A swept loss: the grid, its values, and what produced them."""

    loss: Loss
    params: Mapping[str, float]
    data: Dataset
    w1: Array
    w2: Array
    values: Array
    method: str = "direct"

    @property
    def title(self) -> str:
        return self.loss.title(self.params)

    @property
    def short_title(self) -> str:
        """The title without hyper-parameters at their defaults, as the lesson's figure has it."""
        return self.loss.title(self.params, defaults=False)

    @cached_property
    def minimum(self) -> Minimum | None:
        return find_minimum(self.w1, self.w2, self.values)


def find_minimum(w1: Array, w2: Array, values: Array) -> Minimum | None:
    """The first smallest finite value in row-major order; None if no value is finite."""
    finite = np.isfinite(values)
    if not finite.any():
        return None
    flat = np.where(finite, values, np.inf).ravel()
    row, col = divmod(int(np.argmin(flat)), values.shape[1])
    return Minimum(row, col, float(w1[col]), float(w2[row]), float(values[row, col]))


def sweep(loss: Loss, params: Mapping[str, float], data: Dataset, w1: Axis, w2: Axis) -> Surface:
    """Evaluate the mean loss at every grid cell, vectorised over cells and points in blocks."""
    targets = data.targets_for(loss.task, loss.name)
    w1_values, w2_values = w1.values, w2.values
    values = np.empty((w2.steps, w1.steps))
    cells = max(1, BLOCK_ELEMENTS // len(data))
    cols = min(w1.steps, cells)
    rows = max(1, cells // cols)
    for r in range(0, w2.steps, rows):
        for c in range(0, w1.steps, cols):
            predictions = (
                w1_values[None, c : c + cols, None] * data.x + w2_values[r : r + rows, None, None]
            )
            values[r : r + rows, c : c + cols] = loss.mean(predictions, targets, params)
    return Surface(loss, dict(params), data, w1_values, w2_values, values)
