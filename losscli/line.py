"""The line model p = w1·x + w2: a loss and its gradient at one (w1, w2).

The chain rule through p_i = w1·x_i + w2 gives dL/dw1 = Σ dL/dp_i·x_i and dL/dw2 = Σ dL/dp_i,
where dL/dp_i is `Loss.mean_gradient` (the per-point derivative over n for mean losses, the
whole-dataset derivative for Dice). Both sums are numpy's pairwise sums, taken again from
scaled terms where they overflow (`losscli.sums`): a sum whose true value is finite is reported
finite. `losscli eval` and `losscli descend` take their numbers from `value_and_gradient`, so
they agree to the last bit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from losscli.errors import ParameterError
from losscli.sums import finite_dot, finite_sum

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from losscli.catalogue import Loss
    from losscli.data.dataset import Dataset

    Array = NDArray[np.float64]
else:
    from losscli.lazy import lazy_import

    np = lazy_import("numpy")  # `descend` reads its optimizers at start-up, through this module


def value_and_gradient(
    loss: Loss, params: Mapping[str, float], x: Array, targets: Array, w1: float, w2: float
) -> tuple[float, float, float]:
    """The loss over these points at (w1, w2), and dL/dw1, dL/dw2 there; overflow shows as
    inf or nan, silently."""
    with np.errstate(all="ignore"):  # exponential's honest inf, and inf·0 = nan, stay quiet
        predictions = w1 * x + w2
        value = float(loss.mean(predictions, targets, params))
        slope = loss.mean_gradient(predictions, targets, params)
        return value, finite_dot(slope, x), float(finite_sum(slope))


@dataclass(frozen=True)
class Point:
    """A loss evaluated at (w1, w2): its value and its gradient there."""

    loss: Loss
    params: Mapping[str, float]
    w1: float
    w2: float
    value: float
    grad_w1: float
    grad_w2: float


def evaluate(loss: Loss, params: Mapping[str, float], data: Dataset, w1: float, w2: float) -> Point:
    """The loss and its gradient at (w1, w2) on `data`."""
    for name, value in (("w1", w1), ("w2", w2)):
        if not math.isfinite(value):
            raise ParameterError(name, f"must be a finite number, got {value:g}")
    targets = data.targets_for(loss.task, loss.name)
    value, grad_w1, grad_w2 = value_and_gradient(loss, params, data.x, targets, w1, w2)
    return Point(loss, dict(params), w1, w2, value, grad_w1, grad_w2)
