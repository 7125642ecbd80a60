"""Directions through weight space to slice the loss along, and where θs lie on their plane.

* `random_directions`: two Gaussian directions, filter-normalised as Li et al. (2018,
  "Visualizing the Loss Landscape of Neural Nets", sec. 4) define it. A filter of a fully
  connected layer is one unit's incoming weights, column j of W (fan_in × fan_out); each
  filter of the direction is rescaled to the norm of the same filter of θ*. Biases: by
  default the direction's biases are 0 (`biases="zero"`, what Li et al.'s code does unless
  asked with 'biasbn'); `biases="copy"` sets them to θ*'s biases, as their code then does.
* `pca_directions`: the top two principal directions of a training trajectory, from the rows
  θ_t − θ_final (t before the last), centred as Li et al.'s code (sklearn's PCA) centres
  them, with the share of variance each explains.
* `three_point_plane`: the plane through saved solutions θa, θb, θc: origin θa, d1 = θb − θa,
  d2 = θc − θa, so that they lie at (0, 0), (1, 0) and (0, 1).
* `project`: the plane's coordinates (α, β) of points, by least squares.
* `interpolation_losses`: the loss along θ0 + t·(θ1 − θ0) (Goodfellow et al. 2015).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from losscli.catalogue.multiclass import CROSS_ENTROPY
from losscli.errors import ParameterError

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from losscli.catalogue.multiclass import MulticlassLoss
    from losscli.data.labelled import Labelled
    from losscli.models.network import Network

    Array = NDArray[np.float64]

BIASES = ("zero", "copy")
"""What a random direction holds for the biases: 0, or θ*'s own biases (Li et al.'s biasbn)."""


@dataclass(frozen=True)
class Directions:
    """A plane through weight space: its origin, its two directions and how they were made
    (`recipe`: what the JSON's "directions" records)."""

    origin: Array
    d1: Array
    d2: Array
    recipe: dict[str, Any]


def filter_normalised(network: Network, theta: Array, direction: Array, biases: str) -> Array:
    """`direction` with each filter (column of each layer's W) rescaled to the norm of θ's
    same filter, and its biases zeroed or set to θ's (`biases`, one of BIASES)."""
    if biases not in BIASES:
        raise ParameterError("biases", f"{biases!r} is not one of {BIASES}")
    scaled: Array = direction.copy()
    for layer in network.layers:
        shape = (layer.fan_in, layer.fan_out)
        weights = theta[layer.start : layer.middle].reshape(shape)
        part = scaled[layer.start : layer.middle].reshape(shape)  # a view: scaled in place
        part *= np.linalg.norm(weights, axis=0) / np.linalg.norm(part, axis=0)
        own = theta[layer.middle : layer.end]
        scaled[layer.middle : layer.end] = own if biases == "copy" else 0.0
    return scaled


def random_directions(
    network: Network, theta: Array, seed: int, *, biases: str = "zero"
) -> Directions:
    """Two filter-normalised Gaussian directions through θ: d1 and then d2 drawn from
    `numpy.random.default_rng(seed)`, each N(0, 1) in every entry before rescaling."""
    rng = np.random.default_rng(seed)
    raw = rng.standard_normal((2, network.count))
    d1, d2 = (filter_normalised(network, theta, row, biases) for row in raw)
    recipe = {
        "recipe": "random",
        "seed": seed,
        "normalisation": "filter",
        "biases": biases,
    }
    return Directions(theta.copy(), d1, d2, recipe)


def pca_directions(trajectory: Array) -> tuple[Directions, Array]:
    """The top two principal directions of the trajectory through its last θ (orthonormal),
    and the share of variance each explains.

    The rows θ_t − θ_final for every t but the last are centred and decomposed by SVD; each
    direction's sign is chosen so that the start lies at α ≤ 0 and β ≤ 0.
    """
    steps = len(trajectory) - 1
    if steps < 3:  # the rows are `steps`, centred they span at most steps − 1 directions
        raise ParameterError("steps", f"pca needs a trajectory of ≥ 3 steps, got {steps}")
    final = trajectory[-1]
    rows = trajectory[:-1] - final
    centred = rows - rows.mean(axis=0)
    _, spread, basis = np.linalg.svd(centred, full_matrices=False)
    variance = spread**2
    tolerance = spread[0] * max(centred.shape) * np.finfo(np.float64).eps  # matrix_rank's
    if len(spread) < 2 or spread[1] <= tolerance:
        raise ParameterError("directions", "the trajectory moves along one line: no PCA plane")
    d1, d2 = basis[0].copy(), basis[1].copy()
    for d in (d1, d2):
        if d @ rows[0] > 0.0:
            d *= -1.0
    explained = variance[:2] / variance.sum()
    recipe = {
        "recipe": "pca",
        "normalisation": "orthonormal",
        "explained_variance_ratio": explained.tolist(),
    }
    return Directions(final.copy(), d1, d2, recipe), explained


def three_point_plane(first: Array, second: Array, third: Array) -> Directions:
    """The plane through three solutions: origin θa, d1 = θb − θa, d2 = θc − θa."""
    if not (len(first) == len(second) == len(third)):
        raise ParameterError("weights", "the three solutions hold different numbers of weights")
    d1, d2 = second - first, third - first
    spans = np.linalg.matrix_rank(np.stack([d1, d2]))
    if spans < 2:
        raise ParameterError("weights", "the three solutions lie on one line: no plane")
    recipe = {"recipe": "three", "normalisation": "none", "origin": "first solution"}
    return Directions(first.copy(), d1, d2, recipe)


def project(points: Array, directions: Directions) -> Array:
    """(α, β) of each point (rows of `points`): the least-squares solution of
    origin + α·d1 + β·d2 ≈ point, exact for a point on the plane. Orthonormal directions
    give the dot products (d1·(θ − origin), d2·(θ − origin)) up to rounding."""
    basis = np.stack([directions.d1, directions.d2], axis=1)
    offsets = (points - directions.origin).T
    coordinates, *_ = np.linalg.lstsq(basis, offsets, rcond=None)
    result: Array = coordinates.T
    return result


def interpolation_losses(
    network: Network,
    start: Array,
    end: Array,
    ts: Array,
    data: Labelled,
    *,
    loss: MulticlassLoss = CROSS_ENTROPY,
    params: Mapping[str, float] | None = None,
) -> Array:
    """The mean loss (cross-entropy unless another `loss` is given, with its `params`) at
    θ0 + t·(θ1 − θ0) for each t (t = 0 the start, t = 1 the end; t may reach beyond both)."""
    from losscli.slices.plane import line_losses

    return line_losses(network, start, end - start, ts, data, loss=loss, params=params)
