"""Each loss's continuous minimum (`losscli.engine.optimum`) against independent references:
hand-computed least squares, known medians, the max-margin line by brute force over angles,
thresholds counted one by one, and a zooming grid search on the loss itself."""

from __future__ import annotations

import math

import numpy as np
import pytest

from losscli.catalogue import CATALOGUE, get_loss
from losscli.data.builtin import load_builtin
from losscli.data.dataset import Dataset
from losscli.defaults import LESSON_DATA, SYNTHETIC_SETTINGS
from losscli.engine.optimum import (
    REACH,
    NoOptimum,
    Optimum,
    find_optimum,
    max_margin,
    natural_extent,
)

SCORES = Dataset(np.arange(1.0, 6.0), np.array([52.0, 55.0, 61.0, 64.0, 70.0]), "scores", {})
"""The issue's teacher's data: hours 1..5, scores 52, 55, 61, 64, 70."""


def points(dataset: str, name: str) -> Dataset:
    loss = get_loss(name)
    lesson = dict(zip(SYNTHETIC_SETTINGS, LESSON_DATA, strict=True))
    return load_builtin(dataset, loss.task, name, lesson)


def mean_loss(name: str, data: Dataset, w1, w2, **params: float):
    """The loss at (w1, w2), arrays broadcast, straight from the catalogue's formula."""
    loss = get_loss(name)
    t = data.targets_for(loss.task, name)
    p = np.asarray(w1)[..., None] * data.x + np.asarray(w2)[..., None]
    return loss.mean(p, t, loss.resolve_params(params))


def zoom_search(name: str, data: Dataset, centre, half, **params: float):
    """Reference minimiser: a 41 × 41 grid around `centre`, re-centred on its best cell and
    shrunk fourfold, 20 times (to 4^-20 ≈ 1e-12 of the first half-width)."""
    centre, half = np.array(centre, float), np.array(half, float)
    for _ in range(20):
        w1 = np.linspace(centre[0] - half[0], centre[0] + half[0], 41)
        w2 = np.linspace(centre[1] - half[1], centre[1] + half[1], 41)
        grid1, grid2 = np.meshgrid(w1, w2)
        values = mean_loss(name, data, grid1, grid2, **params)
        best = np.unravel_index(np.argmin(values), values.shape)
        centre = np.array([grid1[best], grid2[best]])
        half /= 4.0
    return centre, float(mean_loss(name, data, centre[0], centre[1], **params))


def test_mse_on_the_scores_is_the_hand_computed_least_squares():
    # x̄ = 3, ȳ = 60.4; Σ(x − x̄)(y − ȳ) = 45, Σ(x − x̄)² = 10: w1 = 4.5, w2 = 60.4 − 3·4.5 =
    # 46.9 (the 47.1 is a slip); residuals ∓0.6, ±0.9: mean square (3·0.36 + 2·0.81)/5
    found = find_optimum(get_loss("mse"), {}, SCORES)
    assert isinstance(found, Optimum) and found.kind == "unique"
    assert found.w1 == pytest.approx(4.5, abs=1e-12)
    assert found.w2 == pytest.approx(46.9, abs=1e-12)
    assert found.value == pytest.approx(0.54, abs=1e-12)


@pytest.mark.parametrize(
    ("name", "w1", "w2", "value"),
    [("mse", 4.5, 46.9, 0.54), ("mae", 4.5, 47.5, 0.6), ("huber", 4.5, 46.9, 0.27)],
)
def test_far_from_the_origin_every_digit_stays(name, w1, w2, value):
    """The scores moved to x = 10⁶ + 1 … 10⁶ + 5: the same slope, the line's intercept moved
    by −10⁶·w1; the solvers work on centred x, so nothing is lost to the offset. (MAE's line
    passes through (1, 52), (3, 61), (5, 70): residuals 0, 1.5, 0, 1.5, 0, mean 0.6; Huber's
    residuals are all within delta = 1, so it is half of MSE's at MSE's line.)"""
    far = Dataset(SCORES.x + 1e6, SCORES.y, "far", {})
    for data, intercept in ((SCORES, w2), (far, w2 - 1e6 * w1)):
        found = find_optimum(get_loss(name), get_loss(name).resolve_params({}), data)
        assert isinstance(found, Optimum) and found.kind == "unique"
        assert found.w1 == pytest.approx(w1, abs=1e-9)
        assert found.w2 == pytest.approx(intercept, rel=1e-12, abs=1e-9)
        assert found.value == pytest.approx(value, rel=1e-6)


def test_mae_and_quantile_pass_through_the_majority_line():
    """Nine points on y = 2x + 1 and one lifted by 100: least absolute deviations fits the
    nine exactly (the median of the residuals is 0 at every x), so the minimum is (2, 1)
    with mean |e| = 100/10, and the pinball loss at tau = 0.5 is half of it."""
    x = np.arange(10.0)
    y = 2.0 * x + 1.0
    y[7] += 100.0
    data = Dataset(x, y, "line", {})
    for name, value in (("mae", 10.0), ("quantile", 5.0)):
        found = find_optimum(get_loss(name), get_loss(name).resolve_params({}), data)
        assert isinstance(found, Optimum) and found.kind == "unique"
        assert (found.w1, found.w2) == pytest.approx((2.0, 1.0), abs=1e-9)
        assert found.value == pytest.approx(value, rel=1e-12)


def test_huber_beyond_every_residual_is_half_of_mse_at_the_same_point():
    mse = find_optimum(get_loss("mse"), {}, SCORES)
    huber = find_optimum(get_loss("huber"), {"delta": 10.0}, SCORES)
    assert isinstance(mse, Optimum) and isinstance(huber, Optimum)
    assert (huber.w1, huber.w2) == pytest.approx((mse.w1, mse.w2), abs=1e-9)
    assert huber.value == pytest.approx(mse.value / 2, rel=1e-12)


CASES = [
    ("lesson", name)
    for name, loss in CATALOGUE.items()
    if loss.task == "regression" and name != "mse"
] + [("outliers", "mae"), ("outliers", "huber"), ("outliers", "log-cosh"), ("outliers", "quantile")]
CASES += [
    ("imbalanced", name)
    for name in ("hinge", "squared-hinge", "logistic", "exponential", "bce", "focal")
]


@pytest.mark.parametrize(("dataset", "name"), CASES)
def test_each_minimum_matches_a_zooming_grid_search(dataset, name):
    """No point the reference search finds is lower, and for a convex loss it finds the same
    point: to 1e-6 in w (a search by values alone resolves a smooth minimum only to about
    √ε of its scale), the values equal to 1e-10."""
    data = points(dataset, name)
    loss = get_loss(name)
    found = find_optimum(loss, loss.resolve_params({}), data)
    assert isinstance(found, Optimum) and found.kind == ("unique" if loss.convex else "local")
    half = natural_extent(data.x, 3.0)
    where, lowest = zoom_search(name, data, (found.w1, found.w2), half)
    assert found.value <= lowest + 1e-10 * max(1.0, abs(lowest))
    assert found.value == pytest.approx(float(mean_loss(name, data, found.w1, found.w2)), rel=1e-14)
    if loss.convex:
        assert (found.w1, found.w2) == pytest.approx(tuple(where), abs=1e-6, rel=1e-6)
        assert lowest == pytest.approx(found.value, rel=1e-10, abs=1e-14)


@pytest.mark.parametrize("name", ["logistic", "exponential", "focal", "dice"])
def test_separable_labels_have_no_finite_minimum_for_losses_that_keep_falling(name):
    """The lesson's labels are the sign of 1.5·x + 0.5: a line separates them, and these
    losses fall towards 0 for ever along it. The window's reach is where the loss has come
    within REACH of the way from its value at w = 0 down to 0."""
    data = points("lesson", name)
    loss = get_loss(name)
    found = find_optimum(loss, loss.resolve_params({}), data)
    assert isinstance(found, NoOptimum)
    assert found.brief == "no finite minimum, falls to 0 as |w| grows"
    assert found.reason.endswith("the labels can be separated by a line")
    assert found.infimum == pytest.approx(0.0, abs=1e-12)
    assert found.reach is not None
    start = float(mean_loss(name, data, 0.0, 0.0))
    there = float(mean_loss(name, data, *found.reach))
    assert there <= REACH * start * (1 + 1e-9)
    assert float(mean_loss(name, data, *(0.9 * np.array(found.reach)))) > REACH * start


def brute_max_margin(x, t):
    """The line of least norm with every margin at least 1, by brute force: the direction
    (cos θ, sin θ) whose smallest margin m is largest, over 400,001 angles, scaled by 1/m."""
    theta = np.linspace(-np.pi, np.pi, 400_001)
    margins = t[None, :] * (np.cos(theta)[:, None] * x[None, :] + np.sin(theta)[:, None])
    smallest = margins.min(axis=1)
    best = int(np.argmax(smallest))
    return np.array([np.cos(theta[best]), np.sin(theta[best])]) / smallest[best]


@pytest.mark.parametrize("dataset", ["lesson", "separable"])
def test_hinge_on_separable_labels_is_zero_on_a_region_reported_at_the_max_margin_line(dataset):
    data = points(dataset, "hinge")
    t = data.targets_for("classification", "hinge")
    reference = brute_max_margin(data.x, t)
    for name in ("hinge", "squared-hinge"):
        found = find_optimum(get_loss(name), {}, data)
        assert isinstance(found, Optimum) and found.kind == "region" and found.value == 0.0
        assert found.note.startswith("one of many")
        close = pytest.approx(tuple(reference), abs=1e-4 * float(np.hypot(*reference)))
        assert (found.w1, found.w2) == close  # to the angle grid's resolution
        assert np.min(t * (found.w1 * data.x + found.w2)) == pytest.approx(1.0, rel=1e-12)
    w = max_margin(data.x, t)
    assert w is not None and tuple(w) == close


def test_max_margin_of_two_points_is_known():
    """−1 at x = 0, +1 at x = 2: w1·2 + w2 ≥ 1 and w2 ≤ −1; least norm is w2 = −1, w1 = 1."""
    w = max_margin(np.array([0.0, 2.0]), np.array([-1.0, 1.0]))
    assert w is not None and tuple(w) == pytest.approx((1.0, -1.0), abs=1e-12)
    assert max_margin(np.array([0.0, 1.0, 2.0]), np.array([-1.0, 1.0, -1.0])) is None


def test_bce_on_separable_labels_reaches_its_floor_on_a_region():
    data = points("lesson", "bce")
    found = find_optimum(get_loss("bce"), {}, data)
    assert isinstance(found, Optimum) and found.kind == "region"
    floor = -math.log(1.0 - 1e-7)  # every point's clipped probability at 1 − 1e-7
    assert found.value == pytest.approx(floor, rel=1e-6)


@pytest.mark.parametrize("dataset", ["lesson", "imbalanced"])
def test_zero_one_finds_the_fewest_errors_of_any_threshold(dataset):
    data = points(dataset, "zero-one")
    t = data.targets_for("classification", "zero-one")
    found = find_optimum(get_loss("zero-one"), {}, data)
    assert isinstance(found, Optimum) and found.kind == "region"
    cuts = np.concatenate([[-np.inf], np.sort(data.x), [np.inf]])
    fewest = min(
        int(np.sum(np.where(sign * (data.x - cut) > 0, 1.0, -1.0) != t))
        for cut in cuts
        for sign in (1.0, -1.0)
    )  # every threshold, either way round, one by one (+1 where p > 0, as the loss says)
    assert found.value == fewest / len(data)
    assert float(mean_loss("zero-one", data, found.w1, found.w2)) == found.value


def test_points_on_one_x_have_a_line_of_minima():
    data = Dataset(np.array([2.0, 2.0, 2.0]), np.array([1.0, 2.0, 6.0]), "one x", {})
    mse = find_optimum(get_loss("mse"), {}, data)
    assert isinstance(mse, Optimum) and mse.kind == "region"
    assert 2.0 * mse.w1 + mse.w2 == pytest.approx(3.0, abs=1e-12)  # through the mean, 3
    assert mse.value == pytest.approx((4 + 1 + 9) / 3, rel=1e-12)
    mae = find_optimum(get_loss("mae"), {}, data)
    assert isinstance(mae, NoOptimum) and mae.brief.startswith("minimum along a whole line")


def test_a_formula_gets_a_local_minimum_said_to_be_local():
    """expr:(p - y)**2 is mse: the local search from the least-squares fit stays there."""
    from losscli.catalogue.expr import formula_loss

    found = find_optimum(formula_loss("(p - y)**2"), {}, SCORES)
    assert isinstance(found, Optimum) and found.kind == "local"
    assert found.note.startswith("local: Nelder–Mead")
    assert (found.w1, found.w2) == pytest.approx((4.5, 46.9), abs=1e-6)


def test_dice_that_saturates_far_out_is_no_minimum_found():
    data = points("imbalanced", "dice")
    found = find_optimum(get_loss("dice"), {}, data)
    assert isinstance(found, NoOptimum)
    assert found.brief == "no minimum found, it is as low or lower farther out"
