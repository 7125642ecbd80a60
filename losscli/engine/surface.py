"""A swept loss: its grid of values, where the minimum lies, and what produced it.

Layout, as the JSON reports it: `values[i][j]` is the mean loss at w2 = w2[i], w1 = w1[j]
(rows are w2, columns are w1). The minimum is the first minimum in that row-major order,
which is what `numpy.argmin` gives.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from losscli.catalogue import Loss
    from losscli.data.dataset import Dataset

    Array = NDArray[np.float64]


@dataclass(frozen=True)
class Minimum:
    """The grid cell of the smallest value: its row (w2) and column (w1), where, and what."""

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
    error: float | None = None
    """An approximate method's declared bound on the relative error of every value (binned);
    None for the exact methods."""

    @property
    def title(self) -> str:
        return self.loss.title(self.params)

    @property
    def loss_name(self) -> str:
        return self.loss.name

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
