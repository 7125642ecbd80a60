"""A swept loss: its grid of values, where the minimum lies, and what produced it.

Layout, as the JSON reports it: `values[i][j]` is the mean loss at w2 = w2[i], w1 = w1[j]
(rows are w2, columns are w1). The minimum is the first minimum in that row-major order,
which is what `numpy.argmin` gives.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from losscli.catalogue import Loss
    from losscli.data.dataset import Dataset
    from losscli.engine.optimum import Found
    from losscli.engine.window import ChosenWindow

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
    optimum: Found | None = None
    """The loss's continuous minimum over all (w1, w2) (`losscli.engine.optimum`), where
    computed."""
    window: ChosenWindow | None = None
    """How the grid's ranges were chosen (`losscli.engine.window`), where known."""

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

    def with_optimum(self, found: Found, window: ChosenWindow | None = None) -> Surface:
        """This surface with its loss's continuous minimum, a local one searched again from
        the grid's minimum where that is lower (`optimum.settled`), and its window."""
        from losscli.engine.optimum import settled

        lowest = self.minimum
        grid = None if lowest is None else (lowest.w1, lowest.w2, lowest.value)
        found = settled(found, self.loss, self.params, self.data, grid)
        return replace(self, optimum=found, window=window)


def find_minimum(w1: Array, w2: Array, values: Array) -> Minimum | None:
    """The first smallest finite value in row-major order; None if no value is finite."""
    finite = np.isfinite(values)
    if not finite.any():
        return None
    flat = np.where(finite, values, np.inf).ravel()
    row, col = divmod(int(np.argmin(flat)), values.shape[1])
    return Minimum(row, col, float(w1[col]), float(w2[row]), float(values[row, col]))
