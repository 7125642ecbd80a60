"""The binned sweep: a declared, bounded approximation for smooth losses (losscli.engine.binned).

Its contract: every value within `binned.TOLERANCE` (1e-12) relative of a direct evaluation,
the surface's `error` the largest bound it declares (at most that), the loss's own rounding
aside. The tests hold it to 1e-11 against `--method direct` and to its declared bound.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math

import numpy as np
import pytest
from conftest import method_for, usage_error
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from losscli.catalogue import get_loss
from losscli.data.dataset import Dataset
from losscli.data.synthetic import synthetic_classification, synthetic_regression
from losscli.engine import (
    Axis,
    binned,
    binned_kernels,
    binned_plan,
    direct,
    expect,
    interpolation,
    sweep,
)
from losscli.engine.method import Job, NotApplicable
from losscli.errors import ParameterError

CONTRACT = 1e-11
"""What the tests ask of every cell, relative to a direct evaluation."""

SMOOTH = {
    "logistic": {},
    "focal": {"alpha": 0.25, "gamma": 2.0},
    "exponential": {},
    "log-cosh": {},
}
"""Every catalogue loss the binned sweep applies to, with parameters."""


def dataset(x, y) -> Dataset:
    return Dataset(np.asarray(x, float), np.asarray(y, float), "test", {"kind": "test"})


def worst_relative(fast: np.ndarray, exact: np.ndarray) -> float:
    """The largest |fast − exact| / |exact|; a zero must be met exactly."""
    assert np.all(np.isfinite(fast)) and np.all(np.isfinite(exact))
    zero = exact == 0.0
    assert np.all(fast[zero] == 0.0)
    return float(np.max(np.abs(fast - exact)[~zero] / np.abs(exact[~zero]), initial=0.0))


def check(name, params, data, w1, w2, contract=CONTRACT):
    """Binned against direct: within the contract, and within the bound it declares."""
    loss = get_loss(name)
    fast = sweep(loss, params, data, w1, w2, method="binned")
    exact = sweep(loss, params, data, w1, w2, method="direct")
    assert fast.method == "binned" and exact.method == "direct"
    assert fast.error is not None and 0.0 <= fast.error <= binned.TOLERANCE
    difference = worst_relative(fast.values, exact.values)
    assert difference <= contract
    assert difference <= fast.error + 1e-14  # the declared bound, the loss's own rounding aside
    return fast, difference


def labelled(x, labels) -> Dataset:
    return dataset(x, labels)


# ---------------------------------------------------------------------------------------------
# The building blocks.


def test_lagrange_weights_reproduce_polynomials_below_the_order():
    phi = np.linspace(0.0, 1.0, 17)
    weights = interpolation.weights(phi)
    assert weights.shape == (interpolation.ORDER, len(phi))
    nodes = interpolation.OFFSETS.astype(float)
    for degree in range(interpolation.ORDER):
        interpolated = (weights * (nodes**degree)[:, None]).sum(axis=0)
        np.testing.assert_allclose(interpolated, phi**degree, rtol=1e-13, atol=1e-13)
    # at a node the weight is 1 there and 0 elsewhere
    at_node = interpolation.weights(np.array([0.0]))[:, 0]
    assert at_node.tolist() == [1.0 if k == 0 else 0.0 for k in interpolation.OFFSETS]


def test_fft_lengths_are_smooth_and_long_enough():
    for size in (1, 2, 7, 250, 1001, 2403, 4097, 65537):
        length = binned_plan.fft_length(size)
        assert length >= size
        rest = length
        for prime in (2, 3, 5):
            while rest % prime == 0:
                rest //= prime
        assert rest == 1
        assert length < 1.25 * size + 2


def test_which_losses_it_applies_to():
    applicable = {name for name in SMOOTH if binned_plan.fits(get_loss(name))}
    assert applicable == set(SMOOTH)
    for name in ("bce", "dice", "mse", "mae", "huber", "hinge", "zero-one"):
        assert not binned_plan.fits(get_loss(name)), name
    assert not binned_plan.fits(get_loss("expr:log(cosh(p - y))"))  # undeclared: not assumed
    regression = [loss for loss in map(get_loss, ("mse", "mae", "huber", "smooth-l1"))]
    assert all(loss.residual for loss in regression)
    assert get_loss("quantile").residual and get_loss("log-cosh").residual


def test_a_regression_loss_must_declare_it_depends_on_the_residual_alone():
    undeclared = dataclasses.replace(get_loss("log-cosh"), residual=False)
    assert not binned_plan.fits(undeclared)
    data = synthetic_regression(n=50)
    with pytest.raises(ParameterError, match="binned does not apply to this loss"):
        sweep(undeclared, {}, data, Axis("w1", -2, 4, 9), Axis("w2", -2, 4, 9), method="binned")


# ---------------------------------------------------------------------------------------------
# Agreement with direct evaluation.


@pytest.mark.parametrize("name", sorted(SMOOTH))
@pytest.mark.parametrize("n", [40, 3000])
def test_each_smooth_loss_equals_direct_on_the_synthetic_data(name, n):
    loss = get_loss(name)
    data = synthetic_regression(n=n) if loss.task == "regression" else synthetic_classification(n=n)
    check(name, SMOOTH[name], data, Axis("w1", -2, 4, 41), Axis("w2", -2, 4, 37))


@pytest.mark.parametrize(
    "params",
    [{"alpha": -1.0, "gamma": 0.0}, {"alpha": 0.9, "gamma": 0.5}, {"alpha": 0.0, "gamma": 5.0}],
)
def test_focal_with_other_parameters(params):
    data = synthetic_classification(n=500, flip=0.1)
    check("focal", params, data, Axis("w1", -3, 3, 23), Axis("w2", -1, 2, 29))


@pytest.mark.parametrize("name", sorted(SMOOTH))
def test_outliers_one_point_identical_points_and_two_steps(name):
    loss = get_loss(name)
    rng = np.random.default_rng(5)
    x = rng.uniform(-1, 1, 200)
    x[:3] = (40.0, -25.0, 60.0)  # far out in x: c = −w1·x spreads over hundreds of units
    if loss.task == "classification":
        y = np.where(rng.random(200) < 0.5, -1.0, 1.0)
        one, same = ([0.3], [1.0]), ([0.7] * 9, [-1.0] * 9)
    else:
        y = 1.5 * x + 0.5 + rng.normal(0, 0.2, 200)
        y[3:6] = (30.0, -20.0, 50.0)  # and far out in y
        one, same = ([0.3], [0.8]), ([0.7] * 9, [1.2] * 9)
    params = SMOOTH[name]
    w1, w2 = Axis("w1", -1, 2, 17), Axis("w2", -2, 3, 19)
    if name == "exponential":  # e^(−t·p) overflows past p ≈ 709: keep the margins below
        w1 = Axis("w1", -0.5, 0.5, 17)
    check(name, params, dataset(x, y), w1, w2)
    check(name, params, dataset(*one), w1, w2)
    check(name, params, dataset(*same), w1, w2)
    check(name, params, dataset(x, y), Axis("w1", -1, 1, 2), Axis("w2", -2, 3, 2))


@pytest.mark.parametrize("name", sorted(SMOOTH))
def test_w1_ranges_without_zero_and_grids_far_from_the_data(name):
    loss = get_loss(name)
    data = (
        synthetic_regression(n=400)
        if loss.task == "regression"
        else synthetic_classification(n=400)
    )
    params = SMOOTH[name]
    check(name, params, data, Axis("w1", 0.5, 3.0, 21), Axis("w2", -2, 4, 21))
    check(name, params, data, Axis("w1", -4.0, -1.0, 13), Axis("w2", -1, 1, 31))
    check(name, params, data, Axis("w1", 2.0, 2.5, 9), Axis("w2", 3.0, 3.2, 11))


@pytest.mark.parametrize("name", ["logistic", "focal", "exponential"])
@pytest.mark.parametrize("label", [1.0, -1.0])
def test_one_label_only(name, label):
    rng = np.random.default_rng(8)
    x = rng.normal(0, 1, 300)
    data = dataset(x, np.full(300, label))
    fast, _ = check(name, SMOOTH[name], data, Axis("w1", -2, 2, 15), Axis("w2", -2, 2, 15))
    assert fast.data.single_label() == label


def test_labels_as_zero_and_one():
    data = dataset([-0.5, 0.1, 0.4, 0.9], [0.0, 0.0, 1.0, 1.0])
    check("logistic", {}, data, Axis("w1", -2, 4, 11), Axis("w2", -2, 4, 11))


def test_a_loss_near_zero_at_a_cell_is_exact_there():
    # log-cosh of one point whose residual is exactly 0 at (w1, w2) = (1, 0): the sum there
    # is 0, no relative bound can hold, so that cell is evaluated directly.
    data = dataset([2.0], [2.0])
    fast, _ = check("log-cosh", {}, data, Axis("w1", 0, 2, 3), Axis("w2", -1, 1, 3))
    assert fast.values[1, 1] == 0.0


def test_each_column_is_the_same_however_the_columns_are_split():
    for name, data in (
        ("logistic", synthetic_classification(n=5000)),
        ("log-cosh", synthetic_regression(n=800)),
    ):
        loss = get_loss(name)
        targets = data.targets_for(loss.task, name)
        w1 = Axis("w1", -2, 4, 61).values
        grid = Axis("w2", -2, 4, 45)
        plan = binned_plan.prepare_kernels(loss, {}, data.x, targets, w1, grid)
        whole = binned_kernels.kernel_sums(plan.groups, w1, grid)
        halves = [
            binned_kernels.kernel_sums(plan.groups, part, grid) for part in (w1[:30], w1[30:])
        ]
        assert np.array_equal(whole, np.concatenate(halves, axis=1))
        one_by_one = [
            binned_kernels.kernel_sums(plan.groups, w1[i : i + 1], grid) for i in range(61)
        ]
        assert np.array_equal(whole, np.concatenate(one_by_one, axis=1))


def test_many_points_are_binned_once_and_still_agree():
    # 20000 labelled points: binned on x-nodes (fewer than the points) before the columns.
    data = synthetic_classification(n=20000, flip=0.05)
    loss = get_loss("logistic")
    w1, w2 = Axis("w1", -2, 4, 31), Axis("w2", -2, 4, 31)
    plan = binned_plan.prepare_kernels(loss, {}, data.x, data.y, w1.values, w2)
    assert all(group.weight is not None for group in plan.groups)
    assert sum(len(group.x) for group in plan.groups) < len(data) / 10
    check("logistic", {}, data, w1, w2)
    # and for regression on (x, y) nodes
    data = synthetic_regression(n=60000, noise=0.05)
    w1 = Axis("w1", 0.5, 2.5, 31)
    plan = binned_plan.prepare_kernels(get_loss("log-cosh"), {}, data.x, data.y, w1.values, w2)
    assert plan.groups[0].weight is not None and len(plan.groups[0].x) < len(data) / 2
    check("log-cosh", {}, data, w1, w2)


def test_cells_with_small_sums_are_summed_again_and_meet_the_bound():
    # exponential over a wide grid: its values span e^±20, so the FFT's rounding (relative to
    # the largest) swamps the small cells; those are summed again without the FFT.
    data = synthetic_classification(n=2000)
    loss = get_loss("exponential")
    w1, w2 = Axis("w1", -4, 4, 41), Axis("w2", -10, 10, 41)
    grid = w2
    plan = binned_plan.prepare_kernels(loss, {}, data.x, data.y, w1.values, grid)
    sums = binned_kernels.kernel_sums(plan.groups, w1.values, grid)
    assert (plan.bound(sums) > binned.TOLERANCE).sum() > 100  # the FFT alone would not do
    check("exponential", {}, data, w1, w2)


def test_a_kink_declared_smooth_is_caught_by_the_kernels_differences():
    # bce clips its probability, so it has kinks at |p| ≈ 16.1. Declared smooth anyway, on a
    # grid that reaches them, the binned sweep must refuse or still meet its bound.
    pretend = dataclasses.replace(get_loss("bce"), smooth=True, form=None)
    data = synthetic_classification(n=300)
    w1, w2 = Axis("w1", -4, 4, 17), Axis("w2", -20, 20, 41)
    grid = w2
    with pytest.raises(NotApplicable, match=r"varies too fast|spread over"):
        binned_plan.prepare_kernels(pretend, {}, data.x, data.y, w1.values, grid)
    # where the grid stays clear of the kinks it is smooth, and binned agrees with direct
    near = Axis("w2", -3, 3, 41)
    fast = sweep(pretend, {}, data, w1, near, method="binned")
    exact = sweep(pretend, {}, data, w1, near, method="direct")
    assert worst_relative(fast.values, exact.values) <= CONTRACT


def test_far_outliers_are_refused_and_auto_falls_back_to_direct(monkeypatch):
    rng = np.random.default_rng(2)
    x = rng.uniform(-1, 1, 2000)
    x[0] = 1e6  # c = −w1·x spans millions of node widths
    data = dataset(x, np.where(rng.random(2000) < 0.5, -1.0, 1.0))
    loss = get_loss("logistic")
    w1, w2 = Axis("w1", -2, 4, 101), Axis("w2", -2, 4, 101)
    with pytest.raises(ParameterError, match="binned cannot bound its error here: the residuals"):
        sweep(loss, {}, data, w1, w2, method="binned")
    monkeypatch.setattr(binned, "AUTO_SECONDS", 0.0)  # auto would take binned
    assert method_for("logistic", len(data), 101) == "binned"
    surface = sweep(loss, {}, data, w1, w2)
    assert surface.method == "direct" and surface.error is None


@st.composite
def problems(draw):
    """Random data (outliers, one label or both), loss and grid."""
    name = draw(st.sampled_from(sorted(SMOOTH)))
    n = draw(st.integers(1, 120))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, n) * draw(st.sampled_from([0.0, 0.01, 1.0, 3.0]))
    outliers = draw(st.integers(0, min(n, 3)))
    x[:outliers] = rng.uniform(-30, 30, outliers)
    if get_loss(name).task == "classification":
        labels = draw(st.sampled_from(["both", "positive", "negative"]))
        y = {
            "both": np.where(rng.random(n) < 0.5, -1.0, 1.0),
            "positive": np.ones(n),
            "negative": -np.ones(n),
        }[labels]
    else:
        y = 1.5 * x + rng.normal(0, draw(st.sampled_from([0.0, 0.1, 2.0])), n)
        y[:outliers] += rng.uniform(-40, 40, outliers)
    low1 = draw(st.floats(-3, 2.5))
    low2 = draw(st.floats(-4, 3))
    w1 = Axis("w1", low1, low1 + draw(st.floats(0.05, 3)), draw(st.integers(2, 25)))
    w2 = Axis("w2", low2, low2 + draw(st.floats(0.05, 6)), draw(st.integers(2, 25)))
    return name, dataset(x, y), w1, w2


@settings(max_examples=80, deadline=None)
@given(problems())
def test_binned_equals_direct_on_random_problems(problem):
    name, data, w1, w2 = problem
    loss = get_loss(name)
    try:
        fast = sweep(loss, SMOOTH[name], data, w1, w2, method="binned")
    except ParameterError as error:  # refused for this data: then it says why, and auto is exact
        assert error.message.startswith("binned cannot bound its error here")
        assume(False)
    exact = sweep(loss, SMOOTH[name], data, w1, w2, method="direct")
    assume(np.all(np.isfinite(exact.values)))
    assert fast.error is not None and fast.error <= binned.TOLERANCE
    difference = worst_relative(fast.values, exact.values)
    assert difference <= CONTRACT
    assert difference <= fast.error + 1e-14


# ---------------------------------------------------------------------------------------------
# Choosing it.


def direct_seconds(name: str, points: int, steps: int) -> float:
    axis = Axis("w", -2, 4, steps)
    return direct.METHOD.seconds(Job(get_loss(name), {}, points, axis, axis))


def test_auto_takes_binned_only_where_direct_would_be_long():
    assert method_for("logistic", 10**6, 1001) == "binned"
    assert method_for("log-cosh", 10**5, 1001) == "binned"
    assert method_for("logistic", 40, 21) == "direct"
    assert method_for("logistic", 10**4, 201) == "direct"  # ~2.4 s
    assert direct_seconds("logistic", 10**4, 201) < binned.AUTO_SECONDS
    # the threshold is the direct estimate, with the loss's own cost per point
    start = direct.METHOD.cost.start
    per_point = direct_seconds("logistic", 10**6, 101) - start
    assert per_point == pytest.approx(
        get_loss("logistic").cost * (direct_seconds("mse", 10**6, 101) - start)
    )
    for name in ("bce", "dice"):  # assembled from binned sums (test_binned_forms)
        assert method_for(name, 10**6, 1001) == "binned"
    assert method_for("mae", 10**6, 1001) == "piecewise"


def test_asking_for_binned_where_it_does_not_apply():
    for name in ("mae", "hinge", "expr:log(cosh(p - y))"):
        with pytest.raises(ParameterError, match="binned does not apply to this loss") as error:
            method_for(name, 40, 21, "binned")
        assert error.value.field == "method"
    assert method_for("focal", 40, 21, "binned") == "binned"


def test_the_target_size_is_expected_in_well_under_a_second():
    w = Axis("w1", -2, 4, 1001)
    method, seconds = expect(get_loss("logistic"), {}, 10**6, w, w)
    assert method == "binned" and seconds < 1.0


def test_progress_rises_to_one():
    seen: list[float] = []
    sweep(
        get_loss("logistic"),
        {},
        synthetic_classification(n=500),
        Axis("w1", -2, 4, 31),
        Axis("w2", -2, 4, 23),
        method="binned",
        progress=seen.append,
    )
    assert seen and seen[-1] == 1.0
    assert all(a <= b for a, b in itertools.pairwise(seen))


# ---------------------------------------------------------------------------------------------
# The command line.


def test_cli_method_binned_records_the_method_and_its_bound(invoke):
    args = ("surface", "-l", "logistic", "--n", "2000", "--steps", "41", "--format", "json")
    fast = json.loads(invoke(*args, "--method", "binned").output)["surfaces"][0]
    exact = json.loads(invoke(*args, "--method", "direct").output)["surfaces"][0]
    assert (fast["method"], exact["method"]) == ("binned", "direct")
    assert 0.0 < fast["error_bound"] <= 1e-12
    assert "error_bound" not in exact
    for row_fast, row_exact in zip(fast["values"], exact["values"], strict=True):
        for a, b in zip(row_fast, row_exact, strict=True):
            assert abs(a - b) <= fast["error_bound"] * abs(b) + 1e-15 * abs(b)
    assert fast["minimum"]["row"] == exact["minimum"]["row"]
    assert fast["minimum"]["col"] == exact["minimum"]["col"]


def test_cli_auto_takes_binned_for_a_long_sweep(invoke):
    result = invoke(
        "surface", "-l", "logistic", "--n", "200000", "--steps", "201", "--format", "json"
    )
    assert result.exit_code == 0, result.stderr
    [surface] = json.loads(result.output)["surfaces"]
    assert surface["method"] == "binned" and surface["error_bound"] <= 1e-12
    minimum = surface["minimum"]
    data = synthetic_classification(n=200000)
    exact = get_loss("logistic").mean(minimum["w1"] * data.x + minimum["w2"], data.y, {})
    assert math.isclose(minimum["value"], float(exact), rel_tol=1e-12)


@pytest.mark.parametrize("name", ["mae", "zero-one", "expr:log(1 + exp(-y*p))"])
def test_cli_binned_for_a_loss_it_does_not_apply_to(invoke, name):
    result = invoke("surface", "--loss", name, "--method", "binned")
    usage_error(result, "--method", "binned does not apply to this loss")


def test_cli_binned_refused_for_data_it_cannot_bound(invoke, tmp_path):
    points = tmp_path / "points.csv"
    points.write_text("x,y\n0.1,1\n-0.4,0\n0.3,1\n1000000,0\n")
    lesson = ("--w1-range", "-2", "4", "--w2-range", "-2", "4")  # not the window of this data
    result = invoke(
        "surface", "-l", "logistic", "--data", str(points), "--method", "binned", *lesson
    )
    assert result.exit_code == 2
    last = result.output.splitlines()[-1]
    assert last.startswith(
        "Error: Invalid value for '--method': binned cannot bound its error here: "
        "the residuals spread over "
    )
    assert last.endswith(" node widths, more than 262144 (far outliers)")
