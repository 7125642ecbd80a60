"""A dataset for the line model: points (x, y) and a record of where they came from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from losscli.errors import DataError

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from losscli.catalogue import Task

    Array = NDArray[np.float64]


@dataclass(frozen=True)
class Dataset:
    """Points (x, y) with a record of where they came from.

    `origin` is what `surface --format json` reports as "data". `locate(i)` names point i
    the way its source does ("points.csv line 7"), for error messages. `reading` says what a
    view should tell of how the points were read (the columns taken from a file that names
    neither x nor y).
    """

    x: Array
    y: Array
    name: str
    origin: dict[str, Any]
    locate: Callable[[int], str] = field(default=lambda i: f"point {i + 1}", compare=False)
    reading: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.x)

    def targets_for(self, task: Task, loss_name: str) -> Array:
        """y as the loss needs it: as is for regression, as t ∈ {−1, +1} for classification."""
        if task == "regression":
            return self.y
        zero_one = bool(np.any(self.y == 0.0))
        allowed = (0.0, 1.0) if zero_one else (-1.0, 1.0)
        bad = np.flatnonzero((self.y != allowed[0]) & (self.y != allowed[1]))
        if bad.size:
            i = int(bad[0])
            raise DataError(
                f"{self.locate(i)}: label {float(self.y[i])!r} is not in {{-1, +1}} or {{0, 1}}"
                f" ({loss_name} is a classification loss)"
            )
        return np.where(self.y == allowed[0], -1.0, 1.0) if zero_one else self.y

    def single_label(self) -> float | None:
        """The label every point has, when the points are labelled and all of one class."""
        first = float(self.y[0])
        return first if self.is_labelled() and bool(np.all(self.y == first)) else None

    def is_labelled(self) -> bool:
        """True when y is a set of binary labels, ±1 or 0/1."""
        return bool(
            np.all((self.y == -1.0) | (self.y == 1.0)) or np.all((self.y == 0.0) | (self.y == 1.0))
        )
