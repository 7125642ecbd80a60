"""A network's weights saved as JSON and read back: its sizes, activation and θ.

The document is {"weights": "losscli", "sizes": [d, …, K], "activation": "tanh", "theta":
[…]}, θ in `losscli.models.network`'s layout. Floats are written with Python's repr, so
they read back to the same float64: a landscape drawn from saved weights is the one drawn
right after training.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from losscli.data.json_points import is_json_number
from losscli.errors import DataError, ParameterError, decode_text, json_errors
from losscli.models.network import Network

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Array = NDArray[np.float64]

KIND = "losscli"
"""The value of the document's "weights" key, which tells a weights file from other JSON."""


def weights_text(network: Network, theta: Array) -> str:
    """The weights document, one line of strict JSON."""
    document = {
        "weights": KIND,
        "sizes": list(network.sizes),
        "activation": network.activation,
        "theta": theta.tolist(),
    }
    return json.dumps(document, allow_nan=False) + "\n"


def read_weights(raw: bytes, name: str) -> tuple[Network, Array]:
    """The network and θ a weights document holds; `name` starts every error message."""
    with json_errors(name):
        document: Any = json.loads(decode_text(raw, name))
    if not isinstance(document, dict) or document.get("weights") != KIND:
        raise DataError(f'{name}: not a losscli weights file (no "weights": "{KIND}")')
    sizes = document.get("sizes")
    if not (
        isinstance(sizes, list) and sizes and all(type(size) is int and size > 0 for size in sizes)
    ):
        raise DataError(f"{name}: sizes is not a list of whole numbers ≥ 1")
    try:
        network = Network(tuple(sizes), str(document.get("activation", "tanh")))
    except ParameterError as error:
        raise DataError(f"{name}: {error}") from None
    theta = document.get("theta")
    if not isinstance(theta, list) or not all(map(is_json_number, theta)):
        raise DataError(f"{name}: theta is not a list of numbers")
    if len(theta) != network.count:
        raise DataError(
            f"{name}: theta holds {len(theta)} numbers but sizes {tuple(sizes)} need "
            f"{network.count}"
        )
    try:
        values = np.asarray(theta, dtype=np.float64)
    except OverflowError:  # an integer past float64
        values = np.full(1, np.inf)
    if not all(map(math.isfinite, values.tolist())):
        raise DataError(f"{name}: theta holds a number that is not finite")
    return network, values
