"""Contour bands: which of `levels + 1` shades each grid cell gets.

Every scale maps a value v to t in [0, 1] (0 at the surface's minimum, 1 at its maximum);
the band is floor(t · levels), capped at `levels`, so the top band holds only the maximum.
That is the lesson's rule, and with the linear scale it is its arithmetic to the last bit:
band = int((v − low) / (high − low) · levels), and band 0 everywhere when all values are equal.

* linear: t = (v − low) / (high − low).
* log: bands evenly spaced in log(v − low) over `LOG_DECADES` decades below the range (two), so
  the detail close to the minimum that linear bands hide shows up.
* quantile: t is the share of cells below v, so every band covers about as many cells.

Non-finite cells get band −1, which the legends name: "overflow" when some cell is ±inf (a
loss too large for float64, exponential's at large margins), "no value" when they are all nan
(undefined, or null in a JSON grid). A surface equal everywhere has one band and one edge.

Panels may share one scale (`--shared-bands`): each is classified against the values of all
of them (`reference`), so their bands mean the same heights.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, TypeVar

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

LOG_DECADES = 2.0
T = TypeVar("T")


@dataclass(frozen=True)
class Bands:
    """`index[i, j]` is the band of cell (i, j); band k covers values from `edges[k]` up."""

    index: NDArray[np.int64]
    edges: NDArray[np.float64]
    levels: int
    not_finite: str | None = None
    """What band −1 holds, for the legend: "overflow", "no value", or None if no cell is in it."""

    @property
    def constant(self) -> bool:
        """True when every finite cell has the same value."""
        return bool(self.edges[0] == self.edges[-1])


def classify(
    values: NDArray[np.float64],
    levels: int,
    scale: str = "linear",
    reference: NDArray[np.float64] | None = None,
) -> Bands:
    """The band of every cell. The scale is fitted to `reference` (default: `values`
    themselves): panels that share one band scale each pass the values of them all, so equal
    values fall in equal bands on every panel and the legends show the same edges."""
    finite = np.isfinite(values)
    not_finite = None if finite.all() else "overflow" if np.isinf(values).any() else "no value"
    if not finite.any():
        no_band = np.full(values.shape, -1, dtype=np.int64)
        return Bands(no_band, np.zeros(levels + 1), levels, not_finite)
    fitted = values[finite] if reference is None else reference[np.isfinite(reference)]
    low, high = float(fitted.min()), float(fitted.max())
    if math.isinf(high - low):  # wider than float64's range: classify the halves (exactly)
        halves = classify(values / 2.0, levels, scale, None if reference is None else fitted / 2.0)
        return replace(halves, edges=halves.edges * 2.0)
    span = high - low if high > low else 1.0
    fractions = np.arange(levels + 1) / levels
    if scale == "linear":
        t = (values - low) / span
        edges = low + span * fractions
    elif scale == "log":
        stretch = 10.0**LOG_DECADES - 1.0
        t = np.log1p((values - low) / span * stretch) / math.log1p(stretch)
        edges = low + span * (np.expm1(fractions * math.log1p(stretch)) / stretch)
    elif scale == "quantile":
        ordered = np.sort(fitted)
        t = np.searchsorted(ordered, values, side="left") / max(1, ordered.size - 1)
        edges = ordered[np.ceil(fractions * (ordered.size - 1)).astype(np.int64)]
    else:
        raise ValueError(f"unknown scale {scale!r}")
    t = np.where(values == high, 1.0, t) if high > low else np.zeros_like(values)
    band = np.minimum(np.floor(np.where(finite, t, 0.0) * levels), levels).astype(np.int64)
    edges = edges if high > low else np.full(levels + 1, low)
    edges[0], edges[-1] = low, high
    return Bands(np.where(finite, band, -1), edges, levels, not_finite)


def shared_references(
    keys: Sequence[Hashable | None], values: Sequence[NDArray[np.float64]]
) -> list[NDArray[np.float64] | None]:
    """For each panel, the values its band scale is fitted to when panels with one key (the
    same loss) share a scale: all of theirs together; None for a panel that shares with
    none (its key None, or no other panel has it)."""
    pooled: dict[Hashable, list[NDArray[np.float64]]] = {}
    for key, grid in zip(keys, values, strict=True):
        if key is not None:
            pooled.setdefault(key, []).append(grid.ravel())
    together = {key: np.concatenate(grids) for key, grids in pooled.items() if len(grids) > 1}
    return [None if key is None else together.get(key) for key in keys]


def ramp(steps: Sequence[T], levels: int) -> list[T]:
    """`levels + 1` entries evenly spread over a ramp (shade glyphs, lightest first; colours,
    darkest first), both ends included."""
    last = len(steps) - 1
    return [steps[round(k * last / levels)] for k in range(levels + 1)]
