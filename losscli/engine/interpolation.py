"""Lagrange spreading: a point's mass shared among the ORDER evenly spaced nodes around it, so
that sums over nodes interpolate sums over points, and the bound on what that costs.

For a function f sampled on the nodes, the interpolation error at a point is
f⁽ᴼᴿᴰᴱᴿ⁾(ξ)·∏(φ − k)·δ^ORDER/ORDER!, δ the spacing and φ the point's fractional position;
`error_bounds` estimates δ^ORDER·f⁽ᴼᴿᴰᴱᴿ⁾ from the samples' own ORDER-th differences. The
binned method (`losscli.engine.binned`) builds its declared error bound on these.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Array = NDArray[np.float64]
    IntArray = NDArray[np.intp]

ORDER = 8
"""Nodes each point's mass is spread over: Lagrange interpolation of degree ORDER − 1."""

OFFSETS = np.arange(-(ORDER // 2 - 1), ORDER // 2 + 1)
"""The nodes of a point at fractional position φ ∈ [0, 1) after node m: m − 3 … m + 4."""

SAFETY = 2.0
"""The kernel's ORDER-th differences estimate its derivative at some point of each stencil;
this factor covers the sup between them."""

EPSILON = float(np.finfo(np.float64).eps)

NOISE = 4.0
"""Units of rounding (ε) in each computed value of a loss, for the kernel's differences."""

SPREAD_BLOCK = 1 << 16
"""Points (or point-column pairs) spread at once: the working arrays stay in the CPU cache."""

PLANE_CHUNK = 1 << 20
"""Most weights a chunk of points binned on a plane spreads at once (8 MiB an array)."""


def lebesgue() -> float:
    """Σ_k |L_k(φ)| at its largest over φ ∈ [0, 1]: how much spreading can grow an error."""
    phi = np.linspace(0.0, 1.0, 1025)
    return float(np.abs(weights(phi)).sum(axis=0).max())


def error_constant() -> float:
    """max over φ ∈ [0, 1] of ∏|φ − k| / ORDER!: the interpolation error per δ^ORDER·f⁽ᴼᴿᴰᴱᴿ⁾."""
    phi = np.linspace(0.0, 1.0, 1025)
    product = np.prod(np.abs(phi[:, None] - OFFSETS[None, :]), axis=1)
    return float(product.max()) / math.factorial(ORDER)


_DENOMINATORS = np.array([np.prod([float(j - k) for k in OFFSETS if k != j]) for j in OFFSETS])


def weights(phi: Array) -> Array:
    """Lagrange weights (ORDER, *phi.shape) of the nodes OFFSETS for positions φ after node 0,
    by prefix and suffix products (no division by φ − k)."""
    gaps = phi[None, ...] - OFFSETS.reshape((ORDER,) + (1,) * phi.ndim)
    prefix = np.ones((ORDER, *phi.shape))
    suffix = np.ones((ORDER, *phi.shape))
    for k in range(1, ORDER):
        np.multiply(prefix[k - 1], gaps[k - 1], out=prefix[k])
        np.multiply(suffix[ORDER - k], gaps[ORDER - k], out=suffix[ORDER - k - 1])
    prefix *= suffix
    prefix /= _DENOMINATORS.reshape((ORDER,) + (1,) * phi.ndim)
    return prefix


def bin_plane(
    x: Array,
    y: Array | None,
    lo_x: float,
    step_x: float,
    across: int,
    lo_y: float,
    step_y: float,
    down: int,
) -> Array:
    """Masses on the nodes lo_x + (a − 3)·step_x (and lo_y + (b − 3)·step_y), flat a·down + b:
    storage a holds node a − 3, so the first node of a point at ⌊s⌋ is stored at ⌊s⌋."""
    size = across * down
    masses = np.zeros(size)
    # each chunk's counts fill an array the size of the plane: enough points a chunk that
    # filling and adding it costs less than binning them (up to PLANE_CHUNK entries a chunk)
    chunk = max(SPREAD_BLOCK, min(size, PLANE_CHUNK)) // (ORDER if y is None else ORDER * ORDER)
    for start in range(0, len(x), chunk):
        part = slice(start, start + chunk)
        index_x, weights_x = spread_positions((x[part] - lo_x) / step_x)
        index_x -= int(OFFSETS[0])
        if y is None:
            index = (index_x[None, :] + np.arange(ORDER)[:, None]).ravel()
            masses += np.bincount(index, weights_x.ravel(), minlength=size)
            continue
        index_y, weights_y = spread_positions((y[part] - lo_y) / step_y)
        index_y -= int(OFFSETS[0])
        base = index_x * down + index_y
        steps = (np.arange(ORDER)[:, None] * down + np.arange(ORDER)[None, :]).ravel()
        index = (base[None, :] + steps[:, None]).ravel()
        weights = (weights_x[:, None, :] * weights_y[None, :, :]).ravel()
        masses += np.bincount(index, weights, minlength=size)
    return masses


def spread_positions(s: Array) -> tuple[IntArray, Array]:
    """For positions s in node units: the index of each one's first node, ⌊s⌋ − 3, and the
    weights of its ORDER nodes ⌊s⌋ − 3 … ⌊s⌋ + 4."""
    whole = np.floor(s)
    index: IntArray = whole.astype(np.intp) + int(OFFSETS[0])
    return index, weights(s - whole)


def windows(values: Array, reach: int, reduce: Callable[..., Array]) -> Array:
    """reduce over values[i − reach : i + reach + 1] for each i (the ends padded by repeats)."""
    padded = np.pad(values, reach, mode="edge")
    view = np.lib.stride_tricks.sliding_window_view(padded, 2 * reach + 1)
    return reduce(view, axis=1)


def error_bounds(extended: Array) -> tuple[Array, Array]:
    """Per sample of a function on the nodes: the bound on one point's interpolation error
    there, and the least value nearby (within 2·ORDER nodes, as far as two spreadings move a
    point). Samples within 4·ORDER of either end see their stencils cut short.

    δ^ORDER·f⁽ᴼᴿᴰᴱᴿ⁾ is estimated by ORDER-th differences at strides s = 1, 2, 4, 8 divided
    by s^ORDER, the largest of every stencil overlapping the sample's own, with the rounding
    of the samples (2^ORDER·NOISE·ε·|f|) added; the smallest of the four is taken: on a fine
    grid the differences at stride 1 are mostly rounding, at stride 8 they are not."""
    best = np.full(len(extended), np.inf)
    magnitude = np.abs(extended)
    for stride in (1, 2, 4, 8):
        differences = extended
        for _ in range(ORDER):
            differences = differences[stride:] - differences[:-stride]
        half = ORDER * stride // 2
        centred = np.pad(np.abs(differences), half, mode="edge")
        reach = half + ORDER
        noise = 2.0**ORDER * NOISE * EPSILON * windows(magnitude, reach, np.max)
        estimate = windows(centred, reach, np.max) + noise
        np.minimum(best, estimate / float(stride) ** ORDER, out=best)
    best[np.isnan(best)] = np.inf
    error = SAFETY * error_constant() * best
    least = windows(extended, 2 * ORDER, np.min)
    return error, least
