"""Points with d features and a class each: the data for softmax regression and networks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Array = NDArray[np.float64]
    Labels = NDArray[np.int64]


@dataclass(frozen=True)
class Labelled:
    """Features (n, d) in float64, labels (n,) as class indices 0 … K−1 into `classes` (the
    class names, in index order), and, as `Dataset` keeps them, a name, an `origin` for the
    JSON's "data" and `locate(i)` naming point i as its source does."""

    features: Array
    labels: Labels
    classes: tuple[str, ...]
    name: str
    origin: dict[str, Any]
    feature_names: tuple[str, ...] = ()
    locate: Callable[[int], str] = field(default=lambda i: f"point {i + 1}", compare=False)

    def __len__(self) -> int:
        return len(self.labels)
