"""The losses once left behind, on their fast paths: log-cosh's plane of (x, y) nodes,
zero-one by binary search, bce's estimate from its kinks' pairs.

The plane (`losscli.engine.binned_rows`) spreads each row of binned (x, y) nodes by one set
of weights a column; it must give the sums that spreading each node by its own weights gives
(up to rounding: 1e-13 relative here), the same bits however the columns are split, and a
sweep within the binned method's contract of a direct evaluation on awkward data. zero-one's
counts (`losscli.engine.steps`) must equal a direct evaluation's exactly, ties included.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from losscli.catalogue import get_loss
from losscli.data.dataset import Dataset
from losscli.data.synthetic import synthetic_regression
from losscli.engine import Axis, binned, binned_kernels, binned_plan, sweep

CONTRACT = 1e-11
"""What the binned method promises every cell against direct (as tests/test_binned.py asks)."""


def awkward_regression(n: int, seed: int = 3) -> Dataset:
    """Two clusters on different lines, a twentieth of the points 3 to 4 above, x in [−1, 1]."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, n)
    y = np.where(x < 0.2, 1.5 * x + 0.5, -0.5 * x + 2.0) + 0.1 * rng.normal(size=n)
    outliers = rng.random(n) < 0.05
    y[outliers] += rng.uniform(3.0, 4.0, int(outliers.sum()))
    return Dataset(x, y, "awkward", {"kind": "test"})


def test_the_plane_gives_the_sums_of_spreading_each_node():
    data = synthetic_regression(n=60_000)
    w1, grid = Axis("w1", -2, 4, 41), Axis("w2", -2, 4, 301)
    plan = binned_plan.prepare_kernels(get_loss("log-cosh"), {}, data.x, data.y, w1.values, grid)
    assert plan.groups[0].plane is not None
    nodes = [dataclasses.replace(group, plane=None) for group in plan.groups]
    by_rows = binned_kernels.kernel_sums(plan.groups, w1.values, grid)
    by_nodes = binned_kernels.kernel_sums(nodes, w1.values, grid)
    assert np.max(np.abs(by_rows - by_nodes) / by_nodes) < 1e-13


def test_each_column_through_the_plane_is_the_same_however_the_columns_are_split():
    data = synthetic_regression(n=60_000)
    w1, grid = Axis("w1", -2, 4, 37).values, Axis("w2", -2, 4, 301)
    plan = binned_plan.prepare_kernels(get_loss("log-cosh"), {}, data.x, data.y, w1, grid)
    assert plan.groups[0].plane is not None
    whole = binned_kernels.kernel_sums(plan.groups, w1, grid)
    halves = [binned_kernels.kernel_sums(plan.groups, part, grid) for part in (w1[:17], w1[17:])]
    assert np.array_equal(whole, np.concatenate(halves, axis=1))
    one_by_one = [binned_kernels.kernel_sums(plan.groups, w1[i : i + 1], grid) for i in range(37)]
    assert np.array_equal(whole, np.concatenate(one_by_one, axis=1))


@pytest.mark.parametrize("seed", [3, 4])
def test_log_cosh_through_the_plane_keeps_the_binned_contract(seed):
    data = awkward_regression(80_000, seed)
    w1, w2 = Axis("w1", -1, 3, 31), Axis("w2", -1, 3, 61)
    loss = get_loss("log-cosh")
    plan = binned_plan.plan_for(loss, {}, data.x, data.y, w1.values, w2)
    assert plan.groups[0].plane is not None
    fast = sweep(loss, {}, data, w1, w2, method="binned")
    exact = sweep(loss, {}, data, w1, w2, method="direct")
    difference = float(np.max(np.abs(fast.values - exact.values) / exact.values))
    assert fast.error is not None and fast.error <= binned.TOLERANCE
    assert difference <= min(CONTRACT, fast.error + 1e-14)


@pytest.mark.parametrize("shift", [0.0, 1e6])
def test_zero_one_counts_equal_a_direct_evaluation_ties_and_all(shift):
    """Whole-number x and a grid through p = 0 at many cells; w1 crosses 0 (falling and
    rising columns, and w1 = 0 itself); far from the origin too."""
    rng = np.random.default_rng(8)
    x = shift + rng.integers(-20, 21, 500).astype(np.float64)
    t = np.where(rng.random(500) < 0.5, 1.0, -1.0)
    data = Dataset(x, t, "ties", {"kind": "test"})
    w1 = Axis("w1", -1, 1, 21)
    w2 = Axis("w2", -20 - shift, 20 + shift, 41) if shift else Axis("w2", -20, 20, 41)
    loss = get_loss("zero-one")
    fast = sweep(loss, {}, data, w1, w2, method="piecewise")
    exact = sweep(loss, {}, data, w1, w2, method="direct")
    assert np.array_equal(fast.values, exact.values)


@pytest.mark.parametrize(
    ("x", "w1", "w2"),
    [
        (np.random.default_rng(2).normal(0.0, 1.0, 6000), (-2, 8), (-3, 3)),  # the wide window
        (
            np.append(np.random.default_rng(3).normal(0.0, 1.0, 3000), [40.0, -35.0]),
            (-1, 1),
            (-2, 2),
        ),
        (-1000.0 + np.random.default_rng(4).uniform(0.0, 2.0, 2000), (2.9, 3.1), (2999.5, 3000.5)),
    ],
)
def test_exponential_as_a_product_keeps_the_binned_contract(x, w1, w2):
    """e^(−t·p) summed as e^(−t·w2)·Σe^(−t·w1·x) over the binned x nodes: values spanning many
    decades (the wide window, far outliers) and a window far along w2."""
    t = np.where(np.random.default_rng(5).random(len(x)) < 0.5, 1.0, -1.0)
    data = Dataset(x, t, "product", {"kind": "test"})
    a, b = Axis("w1", *w1, 31), Axis("w2", *w2, 31)
    loss = get_loss("exponential")
    fast = sweep(loss, {}, data, a, b, method="binned")
    exact = sweep(loss, {}, data, a, b, method="direct")
    finite = np.isfinite(exact.values)
    assert np.array_equal(finite, np.isfinite(fast.values))
    difference = float(np.max(np.abs(fast.values - exact.values)[finite] / exact.values[finite]))
    assert fast.error is not None and fast.error <= binned.TOLERANCE
    assert difference <= min(CONTRACT, fast.error + 1e-14)
