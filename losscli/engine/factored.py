"""The exponential loss's binned sweep, factored: e^(−t·p) of p = w1·x + w2 is a product.

Σ_i e^(−t_i·(w1·x_i + w2)) = Σ_t e^(−t·(w2 + w1·c_t)) · Σ_(i: t) e^(−t·w1·x'_i), where x' = x − c_t
is the label's x as the binned plan centres it. The second factor is summed over the plan's x
nodes with their masses (the points themselves where there are few): G columns × the nodes,
and one product a cell, instead of an FFT a column and, over a wide window where the values
span many decades, the cells the FFT's rounding swamps summed again. Each column's factor is
scaled by its largest term, so it never overflows; the cell's exponent is formed once.

Its error is the x binning's, which the plan's interpolation bound covers (the columns'
spreading is not done at all), plus rounding: the nodes' sum (pairwise, log₂ of the nodes)
and the exponent's (ε of its parts' size, a few units in the last place of the cell), so
every cell's bound is the plan's with that rounding, relative to the cell's sum.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from losscli.engine.centre import shifted
from losscli.engine.interpolation import EPSILON

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from losscli.catalogue import Loss
    from losscli.engine.axis import Axis
    from losscli.engine.binned_plan import BinnedPlan

    Array = NDArray[np.float64]

PER_NODE = 1e-8
"""Seconds, about, for one column to sum one node's term (one core)."""

PER_CELL = 4e-8
"""Seconds, about, for one cell's product and rounding, per label (one core)."""


def applies(loss: Loss) -> bool:
    """Whether the loss declares itself e^(−t·p)."""
    return loss.exponential


def seconds(plan: BinnedPlan, columns: int, rows: int) -> float:
    """One core: each column over every group's nodes, then each cell per group."""
    nodes = sum(len(group.x) for group in plan.groups)
    return columns * (PER_NODE * nodes + PER_CELL * rows * len(plan.groups))


def factored_sums(
    plan: BinnedPlan, labels: list[float], w1: Array, grid: Axis
) -> tuple[Array, Array]:
    """The sums (rows w2, columns w1) and each cell's relative bound; `labels` are the
    plan's groups' labels (t), in order."""
    sums = np.zeros((grid.steps, len(w1)))
    rounding = np.zeros_like(sums)
    w2 = grid.values[:, None]
    for group, t in zip(plan.groups, labels, strict=True):
        if len(group.x) == 0:
            continue
        masses = np.ones(len(group.x)) if group.weight is None else group.weight
        spread = np.abs(masses)  # Lagrange masses may be negative: the rounding's scale
        exponents = (-t * w1)[:, None] * group.x[None, :]  # (columns, nodes)
        largest = exponents.max(axis=1)
        exponents -= largest[:, None]
        np.exp(exponents, out=exponents)
        factor = exponents @ masses  # every term at most its mass: no overflow
        scale = exponents @ spread
        hi, lo = group.centre.offsets(w1)
        moved = shifted(hi[None, :], lo[None, :], w2)  # w2 + w1·c, rounded once
        size = np.abs(moved)
        size += np.abs(largest)[None, :] + 1.0  # the exponent's parts' size
        power = np.multiply(moved, -t, out=moved)
        power += largest[None, :]
        with np.errstate(over="ignore"):
            np.exp(power, out=power)
        terms = math.log2(len(group.x)) + 4.0
        size *= 2.0 * EPSILON
        size += terms * EPSILON
        size *= scale[None, :] * power
        rounding += size
        power *= factor[None, :]
        sums += power
    with np.errstate(invalid="ignore"):
        bounds = plan.bound(sums, rounding)
    return sums, bounds
