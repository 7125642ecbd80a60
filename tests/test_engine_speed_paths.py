"""The histogram engine's faster paths give the same sums as the paths they short-cut.

Paths: binning without clamping in an opened frame (folded back into the kept end bins) versus
clamping every point; sums of t instead of φ for linear one-break losses; and how `sweep`
shares the cores. Each is also checked against a direct
evaluation with the loss's own description (`Piecewise.__call__`), independent of the engine.
"""

from __future__ import annotations

import numpy as np
import pytest

from losscli.catalogue import classification, get_loss, regression
from losscli.catalogue.structure import Piecewise
from losscli.data.synthetic import synthetic_classification, synthetic_regression
from losscli.engine import Axis, histogram, piecewise, workers
from losscli.engine.method import Job

DESCRIPTIONS = {
    "mae": (regression.mae_shape(), False),
    "quantile": (regression.quantile_shape(tau=0.3), False),
    "huber": (regression.huber_shape(delta=0.7), False),
    "smooth_l1": (regression.smooth_l1_shape(beta=0.4), False),
    "hinge": (classification.hinge_shape(), True),
    "squared_hinge": (classification.squared_hinge_shape(), True),
}


def direct_sums(description, x, targets, w1, w2):
    """Σ_i f at every cell, straight from the description (no histogram)."""
    p = w1[None, :, None] * x + w2[:, None, None]
    if isinstance(description, Piecewise):
        return description(p - targets).sum(axis=-1)
    positive = description.positive(p) * (targets > 0)
    negative = description.negative(p) * (targets < 0)
    return (positive + negative).sum(axis=-1)


def data_for(name, n=400, outliers=0.0):
    if DESCRIPTIONS[name][1]:
        data = synthetic_classification(n=n, flip=0.1)
    else:
        data = synthetic_regression(n=n, outliers=outliers)
    return data.x, data.y  # labels ±1 for the classification data


def sums(name, x, targets, w1, w2):
    groups = piecewise.groups_for(DESCRIPTIONS[name][0], x, targets)
    grid = Axis("w2", float(w2[0]), float(w2[-1]), len(w2))
    return piecewise.sweep_columns(piecewise.prepare(groups, w1, grid), w1)


def close(fast, exact):
    """Within 1e-12 of the surface's largest sum: the sums themselves, not yet means."""
    return np.max(np.abs(fast - exact)) <= 1e-12 * np.max(np.abs(exact))


@pytest.mark.parametrize("name", sorted(DESCRIPTIONS))
def test_open_frame_equals_clamping_and_direct(name, monkeypatch):
    x, targets = data_for(name)
    w1, w2 = Axis("w1", -2, 4, 23).values, Axis("w2", -1, 2, 17).values  # points beyond w2
    group = piecewise.groups_for(DESCRIPTIONS[name][0], x, targets)[0]
    grid = Axis("w2", -1, 2, 17)
    points = histogram.ScaledPoints(group.x, group.offset, group.shape, grid, w1)
    assert points.opening is not None and points.beyond.any()  # folding has work to do
    opened = sums(name, x, targets, w1, w2)
    monkeypatch.setattr(histogram, "OPEN_SPAN", 0)
    assert histogram.ScaledPoints(group.x, group.offset, group.shape, grid, w1).opening is None
    clamped = sums(name, x, targets, w1, w2)
    exact = direct_sums(DESCRIPTIONS[name][0], x, targets, w1, w2)
    assert close(opened, exact) and close(clamped, exact)
    np.testing.assert_allclose(opened, clamped, rtol=1e-12, atol=1e-12 * np.max(exact))


@pytest.mark.parametrize("name", ["mae", "huber", "hinge"])
def test_far_outliers_fall_back_to_clamping(name):
    x, targets = data_for(name, n=200)
    if DESCRIPTIONS[name][1]:
        x = x.copy()
        x[:2] = [1e9, -4e8]
    else:
        targets = targets.copy()
        targets[:2] = [1e10, -3e9]
    w1, w2 = Axis("w1", -2, 4, 9).values, Axis("w2", -2, 4, 11).values
    group = piecewise.groups_for(DESCRIPTIONS[name][0], x, targets)[0]
    grid = Axis("w2", -2, 4, 11)
    points = histogram.ScaledPoints(group.x, group.offset, group.shape, grid, w1)
    assert points.opening is None
    exact = direct_sums(DESCRIPTIONS[name][0], x, targets, w1, w2)
    assert close(sums(name, x, targets, w1, w2), exact)


def test_linear_one_break_losses_sum_t_and_others_phi():
    grid = Axis("w2", -2, 4, 31)
    for name, summed in [("mae", True), ("quantile", True), ("hinge", True), ("huber", False)]:
        description = DESCRIPTIONS[name][0]
        shape = description if isinstance(description, Piecewise) else description.positive
        x = np.linspace(-1, 1, 5)
        points = histogram.ScaledPoints(x, np.zeros(5), shape, grid, grid.values)
        assert points.sums_t is summed, name


def test_sums_of_t_keep_their_precision_far_from_the_grid_start():
    # Every point in one bin near the top of a 2001-step grid: Σφ comes from Σt − count·⌊t⌋,
    # where t ≈ 2000; the sums must still match the direct ones to rounding of the values.
    x = np.full(3000, 0.25)
    y = np.full(3000, 3.9990004)
    w1, w2 = Axis("w1", -0.001, 0.001, 3).values, Axis("w2", -2, 4, 2001).values
    exact = direct_sums(regression.mae_shape(), x, y, w1, w2)
    fast = sums("mae", x, y, w1, w2)
    assert np.max(np.abs(fast - exact)) <= 1e-11 * np.max(exact)
    nearest = np.argmin(exact[:, 1])  # the cell next to the points: a sum of tiny distances
    assert abs(fast[nearest, 1] - exact[nearest, 1]) <= 1e-9 * exact[nearest, 1] + 1e-12


def test_zero_pieces_add_no_roles():
    grid = Axis("w2", -2, 4, 11)
    assert len(histogram.Layout(classification.hinge_shape().positive, grid).roles) == 1
    assert len(histogram.Layout(regression.mae_shape(), grid).roles) == 2


@pytest.mark.parametrize(
    ("steps", "points", "cores", "fork", "expected"),
    [
        (201, 10_000, 2, True, 2),  # ~16 ms expected: a worker pays
        (201, 10_000, 16, True, 3),  # but not sixteen: each process at least 5 ms
        (201, 40, 2, True, 1),  # ~5 ms expected, under SHARE_SECONDS: one process
        (201, 10_000, 2, False, 1),  # no fork to be had: a fresh interpreter would not pay
        (1001, 1_000_000, 2, False, 2),  # seconds: it does
        (1001, 1_000_000, 16, True, 16),  # every core
        (1001, 1_000_000, 1, True, 1),  # one core
    ],
)
def test_a_piecewise_sweep_shares_the_cores_by_its_estimate(
    monkeypatch, steps, points, cores, fork, expected
):
    workers.stop_workers()  # none running
    monkeypatch.setattr(workers, "cores", lambda: cores)
    monkeypatch.setattr(workers, "can_fork", lambda: fork)
    axis = Axis("w", -2, 4, steps)
    seconds = piecewise.METHOD.seconds(Job(get_loss("mae"), {}, points, axis, axis))
    assert workers.processes(seconds, steps) == expected


@pytest.mark.parametrize("name", ["mae", "quantile", "hinge"])
def test_the_linear_combine_equals_the_general_one(name):
    x, targets = data_for(name, n=700, outliers=0.05)
    w1, w2 = Axis("w1", -2, 4, 23).values, Axis("w2", -3, 5, 41)
    groups = piecewise.groups_for(DESCRIPTIONS[name][0], x, targets)
    fast = piecewise.sweep_columns(piecewise.prepare(groups, w1, w2), w1)
    general = piecewise.prepare(groups, w1, w2)
    for points in general.points:
        assert points.layout.linear
        points.layout.linear = False
    slow = piecewise.sweep_columns(general, w1)
    assert close(fast, slow)
    assert close(fast, direct_sums(DESCRIPTIONS[name][0], x, targets, w1, w2.values))
