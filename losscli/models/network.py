"""A small fully connected network whose parameters are one flat float64 vector.

`Network((d, K))` is softmax regression (multinomial logistic regression): logits = X·W + b.
`Network((d, h, K), "tanh")` and `Network((d, h1, h2, K), "relu")` are MLPs with one or two
hidden layers. Layout of the vector θ, layer after layer: the weights W (fan_in × fan_out,
row-major: W[i, j] joins input i to unit j) and then the biases b (fan_out). A slice through
weight space moves θ along directions in this same layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from losscli.errors import ParameterError

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Array = NDArray[np.float64]

ACTIVATIONS = ("tanh", "relu")


@dataclass(frozen=True)
class Layer:
    """Where one layer's weights and biases sit in θ: W is θ[start:middle], b θ[middle:end]."""

    fan_in: int
    fan_out: int
    start: int

    @property
    def middle(self) -> int:
        return self.start + self.fan_in * self.fan_out

    @property
    def end(self) -> int:
        return self.middle + self.fan_out


@dataclass(frozen=True)
class Network:
    """Layer sizes from the inputs to the K outputs (the logits), and the hidden activation."""

    sizes: tuple[int, ...]
    activation: str = "tanh"

    def __post_init__(self) -> None:
        if len(self.sizes) < 2 or any(size < 1 for size in self.sizes):
            raise ParameterError(
                "sizes", f"layer sizes {self.sizes} need an input and an output, each ≥ 1"
            )
        if self.activation not in ACTIVATIONS:
            raise ParameterError(
                "activation", f"activation {self.activation!r} is not one of {ACTIVATIONS}"
            )

    @property
    def layers(self) -> tuple[Layer, ...]:
        layers, start = [], 0
        for fan_in, fan_out in zip(self.sizes[:-1], self.sizes[1:], strict=True):
            layers.append(Layer(fan_in, fan_out, start))
            start = layers[-1].end
        return tuple(layers)

    @property
    def count(self) -> int:
        """How many parameters θ holds."""
        return self.layers[-1].end

    def unpack(self, theta: Array) -> list[tuple[Array, Array]]:
        """(W, b) of each layer: views into θ, not copies."""
        return [
            (
                theta[layer.start : layer.middle].reshape(layer.fan_in, layer.fan_out),
                theta[layer.middle : layer.end],
            )
            for layer in self.layers
        ]

    def initial(self, seed: int) -> Array:
        """θ to train from: weights drawn N(0, σ²) with σ² = 1/fan_in for tanh (LeCun) and
        2/fan_in for relu (He), so activations keep their scale; biases 0."""
        rng = np.random.default_rng(seed)
        theta = np.zeros(self.count)
        gain = 2.0 if self.activation == "relu" else 1.0
        for layer in self.layers:
            scale = np.sqrt(gain / layer.fan_in)
            theta[layer.start : layer.middle] = rng.normal(0.0, scale, layer.middle - layer.start)
        return theta

    def hidden(self, z: Array) -> Array:
        """The hidden activation, applied to pre-activations z."""
        return np.tanh(z) if self.activation == "tanh" else np.maximum(z, 0.0)

    def logits(self, theta: Array, features: Array) -> Array:
        """The outputs (n, K) for features (n, d): hidden layers activated, the last linear."""
        a = features
        pairs = self.unpack(theta)
        for weights, biases in pairs[:-1]:
            a = self.hidden(a @ weights + biases)
        weights, biases = pairs[-1]
        return a @ weights + biases
