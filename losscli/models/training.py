"""A network's mean loss (softmax cross-entropy unless another multi-class loss is given, see
`losscli.catalogue.multiclass`) and its gradient by back-propagation, and training by one of
losscli's optimizers (`losscli.descent.optimizers`), full batch or in seeded mini-batches,
keeping every θ it passes through (the trajectory a slice can be drawn with)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from losscli.catalogue.multiclass import CROSS_ENTROPY, MulticlassLoss

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from losscli.data.labelled import Labelled
    from losscli.descent.optimizers import Transformation
    from losscli.models.network import Network

    Array = NDArray[np.float64]
    Labels = NDArray[np.int64]


def mean_loss(
    network: Network,
    theta: Array,
    features: Array,
    labels: Labels,
    *,
    loss: MulticlassLoss = CROSS_ENTROPY,
    params: Mapping[str, float] | None = None,
) -> float:
    """The mean loss (with its hyper-parameters `params`) of the network at θ over the points."""
    return float(np.mean(loss.value(network.logits(theta, features), labels, **(params or {}))))


def loss_and_gradient(
    network: Network,
    theta: Array,
    features: Array,
    labels: Labels,
    *,
    loss: MulticlassLoss = CROSS_ENTROPY,
    params: Mapping[str, float] | None = None,
) -> tuple[float, Array]:
    """The mean loss at θ and its gradient with respect to θ (same layout as θ)."""
    given = params or {}
    pairs = network.unpack(theta)
    inputs = [features]  # each layer's input: the features, then the hidden activations
    for weights, biases in pairs[:-1]:
        inputs.append(network.hidden(inputs[-1] @ weights + biases))
    weights, biases = pairs[-1]
    logits = inputs[-1] @ weights + biases
    delta = loss.gradient(logits, labels, **given) / len(labels)
    gradient = np.empty_like(theta)
    for index in range(len(pairs) - 1, -1, -1):
        layer, (weights, _) = network.layers[index], pairs[index]
        gradient[layer.start : layer.middle] = (inputs[index].T @ delta).ravel()
        gradient[layer.middle : layer.end] = delta.sum(axis=0)
        if index:  # through the activation a = h(z): tanh′ = 1 − a², relu′ = [a > 0]
            a = inputs[index]
            slope = 1.0 - a**2 if network.activation == "tanh" else (a > 0.0) * 1.0
            delta = (delta @ weights.T) * slope
    return float(np.mean(loss.value(logits, labels, **given))), gradient


@dataclass(frozen=True)
class Training:
    """Where training went: θ after each step (row 0 the start) and the loss there."""

    trajectory: Array
    losses: Array

    @property
    def theta(self) -> Array:
        """The trained parameters: the last θ."""
        last: Array = self.trajectory[-1]
        return last


def train(
    network: Network,
    data: Labelled,
    optimizer: Transformation,
    *,
    steps: int,
    seed: int,
    batch: int | None = None,
    start: Array | None = None,
    loss: MulticlassLoss = CROSS_ENTROPY,
    params: Mapping[str, float] | None = None,
) -> Training:
    """`steps` updates from `start` (or `network.initial(seed)`): on all points, or on a fresh
    seeded draw of `batch` points each step. The losses recorded are on all points."""
    gradient_at = partial(loss_and_gradient, network, loss=loss, params=params)
    loss_at = partial(mean_loss, network, loss=loss, params=params)
    rng = np.random.default_rng(seed)
    theta = network.initial(seed) if start is None else start.copy()
    state = optimizer.init(theta)
    trajectory = np.empty((steps + 1, network.count))
    losses = np.empty(steps + 1)
    for step in range(steps):
        trajectory[step] = theta
        if batch is None or batch >= len(data):
            losses[step], gradient = gradient_at(theta, data.features, data.labels)
        else:
            drawn = rng.choice(len(data), size=batch, replace=False)
            _, gradient = gradient_at(theta, data.features[drawn], data.labels[drawn])
            losses[step] = loss_at(theta, data.features, data.labels)
        update, state = optimizer.update(gradient, state)
        theta = theta + update
    trajectory[steps] = theta
    losses[steps] = loss_at(theta, data.features, data.labels)
    return Training(trajectory, losses)
