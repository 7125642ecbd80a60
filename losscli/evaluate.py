"""One point of the surface: each loss's value and gradient at a single (w1, w2).

The chain rule through the line p_i = w1·x_i + w2 gives dL/dw1 = Σ dL/dp_i·x_i and
dL/dw2 = Σ dL/dp_i, where dL/dp_i is `Loss.mean_gradient` (the per-point derivative over n
for mean losses, the whole-dataset derivative for Dice).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from losscli.data import Dataset
from losscli.losses import Loss


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
    """The loss and its gradient in (w1, w2) on `data`; overflow shows as inf or nan, silently."""
    targets = data.targets_for(loss.task, loss.name)
    predictions = w1 * data.x + w2
    with np.errstate(all="ignore"):  # exponential's honest inf, and inf·0 = nan, stay quiet
        value = float(loss.mean(predictions, targets, params))
        slope = loss.mean_gradient(predictions, targets, params)
        grad_w1 = float(slope @ data.x)
        grad_w2 = float(slope.sum())
    return Point(loss, dict(params), w1, w2, value, grad_w1, grad_w2)
