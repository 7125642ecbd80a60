"""The histogram engine's faster paths give the same sums as the paths they short-cut.

Paths: binning without clamping in an opened frame (folded back into the kept end bins) versus
clamping every point; sums of t instead of φ for linear one-break losses; and how `sweep`
shares the cores. Each is also checked against a direct
evaluation with the loss's own description (`Piecewise.__call__`), independent of the engine.
"""

from __future__ import annotations

import numpy as np
import pytest

from losscli import histogram, shapes
from losscli import sweep as sweep_module
from losscli.data import synthetic_classification, synthetic_regression
from losscli.losses import get_loss
from losscli.sweep import Axis, sweep

DESCRIPTIONS = {
    "mae": (shapes.mae(), False),
    "quantile": (shapes.quantile(tau=0.3), False),
    "huber": (shapes.huber(delta=0.7), False),
    "smooth_l1": (shapes.smooth_l1(beta=0.4), False),
    "hinge": (shapes.hinge(), True),
    "squared_hinge": (shapes.squared_hinge(), True),
}


def direct_sums(description, x, targets, w1, w2):
    """Σ_i f at every cell, straight from the description (no histogram)."""
    p = w1[None, :, None] * x + w2[:, None, None]
    if isinstance(description, shapes.Piecewise):
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
    groups = histogram.groups_for(DESCRIPTIONS[name][0], x, targets)
    return histogram.sweep_sums(groups, w1, histogram.Grid.of(w2))


def close(fast, exact):
    """Within 1e-12 of the surface's largest sum: the sums themselves, not yet means."""
    return np.max(np.abs(fast - exact)) <= 1e-12 * np.max(np.abs(exact))


@pytest.mark.parametrize("name", sorted(DESCRIPTIONS))
def test_open_frame_equals_clamping_and_direct(name, monkeypatch):
    x, targets = data_for(name)
    w1, w2 = Axis("w1", -2, 4, 23).values, Axis("w2", -1, 2, 17).values  # points beyond w2
    group = histogram.groups_for(DESCRIPTIONS[name][0], x, targets)[0]
    grid = histogram.Grid.of(w2)
    points = histogram._Points(group, histogram._Layout(group.shape, grid), grid, w1)
    assert points.opening is not None and points.beyond.any()  # folding has work to do
    opened = sums(name, x, targets, w1, w2)
    monkeypatch.setattr(histogram, "OPEN_SPAN", 0)
    assert histogram._Points(group, points.layout, grid, w1).opening is None
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
    group = histogram.groups_for(DESCRIPTIONS[name][0], x, targets)[0]
    grid = histogram.Grid.of(w2)
    points = histogram._Points(group, histogram._Layout(group.shape, grid), grid, w1)
    assert points.opening is None
    exact = direct_sums(DESCRIPTIONS[name][0], x, targets, w1, w2)
    assert close(sums(name, x, targets, w1, w2), exact)


def test_linear_one_break_losses_sum_t_and_others_phi():
    grid = histogram.Grid.of(Axis("w2", -2, 4, 31).values)
    for name, summed in [("mae", True), ("quantile", True), ("hinge", True), ("huber", False)]:
        description = DESCRIPTIONS[name][0]
        shape = description if isinstance(description, shapes.Piecewise) else description.positive
        x = np.linspace(-1, 1, 5)
        group = histogram.Group(x, np.zeros(5), shape)
        points = histogram._Points(group, histogram._Layout(shape, grid), grid, grid.values)
        assert points.sums_t is summed, name


def test_sums_of_t_keep_their_precision_far_from_the_grid_start():
    # Every point in one bin near the top of a 2001-step grid: Σφ comes from Σt − count·⌊t⌋,
    # where t ≈ 2000; the sums must still match the direct ones to rounding of the values.
    x = np.full(3000, 0.25)
    y = np.full(3000, 3.9990004)
    w1, w2 = Axis("w1", -0.001, 0.001, 3).values, Axis("w2", -2, 4, 2001).values
    exact = direct_sums(shapes.mae(), x, y, w1, w2)
    fast = sums("mae", x, y, w1, w2)
    assert np.max(np.abs(fast - exact)) <= 1e-11 * np.max(exact)
    nearest = np.argmin(exact[:, 1])  # the cell next to the points: a sum of tiny distances
    assert abs(fast[nearest, 1] - exact[nearest, 1]) <= 1e-9 * exact[nearest, 1] + 1e-12


def test_zero_pieces_add_no_roles():
    grid = histogram.Grid.of(Axis("w2", -2, 4, 11).values)
    assert len(histogram._Layout(shapes.hinge().positive, grid).roles) == 1
    assert len(histogram._Layout(shapes.mae(), grid).roles) == 2


@pytest.mark.parametrize(
    ("steps", "points", "cores", "fork", "expected"),
    [
        (201, 10_000, 2, True, "fork"),  # ~14 ms expected: a worker pays
        (201, 40, 2, True, "none"),  # ~5 ms expected, under FORK_SECONDS: one process
        (201, 10_000, 2, False, "none"),  # no fork to be had: a fresh interpreter would not pay
        (1001, 1_000_000, 2, False, "spawn"),  # seconds: it does
        (1001, 1_000_000, 1, True, "none"),  # one core
    ],
)
def test_sweep_decides_how_to_share_the_cores(monkeypatch, steps, points, cores, fork, expected):
    calls = []
    monkeypatch.setattr(sweep_module.parallel, "cores", lambda: cores)
    monkeypatch.setattr(sweep_module.parallel, "has_worker", lambda: fork)
    monkeypatch.setattr(
        sweep_module.histogram,
        "sweep_columns",
        lambda prepared, w1, progress: calls.append("none") or np.zeros((len(w1), len(w1))),
    )
    monkeypatch.setattr(
        sweep_module.parallel,
        "in_two",
        lambda function, work, w1, rows, progress, seconds: (
            calls.append("fork" if sweep_module.parallel.has_worker() else "spawn")
            or np.zeros((rows, len(w1)))
        ),
    )
    # Only the sizes matter to the choice: a small stand-in dataset, the estimate's sizes.
    monkeypatch.setattr(sweep_module, "estimate_seconds", _estimate_as_if(points))
    data = synthetic_regression(n=50)
    axis = Axis("w", -2, 4, steps)
    sweep(get_loss("mae"), {}, data, axis, axis, method="piecewise")
    assert calls == [expected]


def _estimate_as_if(points):
    real = sweep_module.estimate_seconds
    return lambda method, _points, w1_steps, w2_steps: real(method, points, w1_steps, w2_steps)


@pytest.mark.parametrize("name", ["mae", "quantile", "hinge"])
def test_the_linear_combine_equals_the_general_one(name, monkeypatch):
    x, targets = data_for(name, n=700, outliers=0.05)
    w1, w2 = Axis("w1", -2, 4, 23).values, Axis("w2", -3, 5, 41).values
    groups = histogram.groups_for(DESCRIPTIONS[name][0], x, targets)
    fast = histogram.sweep_sums(groups, w1, histogram.Grid.of(w2))
    layout = histogram._Layout.__init__

    def general_only(self, *args):
        layout(self, *args)
        self.linear = False

    monkeypatch.setattr(histogram._Layout, "__init__", general_only)
    general = histogram.sweep_sums(groups, w1, histogram.Grid.of(w2))
    assert close(fast, general)
    assert close(fast, direct_sums(DESCRIPTIONS[name][0], x, targets, w1, w2))
