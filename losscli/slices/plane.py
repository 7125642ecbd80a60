"""The mean cross-entropy over a plane through weight space, θ + α·d1 + β·d2.

Layout as a surface's: `values[i, j]` is the loss at β = betas[i], α = alphas[j] (rows are β,
columns α), so that the plane is drawn as the (w1, w2) grid is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from losscli.models.training import mean_loss

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from losscli.data.labelled import Labelled
    from losscli.models.network import Network

    Array = NDArray[np.float64]


def plane_losses(
    network: Network,
    theta: Array,
    directions: tuple[Array, Array],
    alphas: Array,
    betas: Array,
    data: Labelled,
) -> Array:
    """The loss at every cell of the plane (len(betas), len(alphas)); one cell at a time."""
    d1, d2 = directions
    values = np.empty((len(betas), len(alphas)))
    for i, beta in enumerate(betas):
        for j, alpha in enumerate(alphas):
            values[i, j] = mean_loss(
                network, theta + alpha * d1 + beta * d2, data.features, data.labels
            )
    return values
