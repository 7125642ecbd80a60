"""The sweep engine: every fast path agrees with a direct float64 evaluation.

Agreement is measured cell by cell as |fast − direct| / max(|direct|, floor), where the floor
is the cell's sensitivity to rounding: mean_i |f'(u_i)|·(|w1·x_i| + |w2| + |y_i|), the size of
the terms a direct evaluation itself rounds (so a cell whose value is a cancellation to ~0 is
judged against the terms that cancelled), and never below 1e-4 of the surface's mean value.
The contract is 1e-9; edge cases are held to 1e-11.

Two references: the formulas of the issue, written out below independently of the catalogue,
and `sweep(..., method="direct")`, which calls the catalogue loss's own value function.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import pytest
from conftest import method_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from losscli.catalogue import classification, get_loss, regression
from losscli.catalogue.structure import PerLabel, Piecewise, check_description
from losscli.data.dataset import Dataset
from losscli.data.synthetic import synthetic_classification, synthetic_regression
from losscli.engine import Axis, histogram, piecewise, quadratic, sweep, workers
from losscli.errors import ParameterError

CONTRACT = 1e-9
AIM = 1e-11
SURFACE_SHARE = 1e-4
"""A cell whose value is ~0 is judged against this share of the surface's mean value: an
expansion about a break can leave ~1e-17 where the exact value is 0."""


def dataset(x, y) -> Dataset:
    return Dataset(np.asarray(x, float), np.asarray(y, float), "test", {"kind": "test"})


# ---------------------------------------------------------------------------------------------
# Direct references: the formulas of the issue, evaluated at every cell and point.


def residual_formulas(name: str, u, params):
    """(loss, |slope|) of a regression loss at residuals u = p − y."""
    a = np.abs(u)
    if name == "smooth_l1":
        beta = params["beta"]
        return np.where(a < beta, 0.5 * u * u / beta, a - 0.5 * beta), np.minimum(a / beta, 1.0)
    if name == "quantile":
        tau = params["tau"]
        loss = tau * np.maximum(-u, 0.0) + (1.0 - tau) * np.maximum(u, 0.0)
        return loss, np.full_like(u, max(tau, 1.0 - tau))
    if name == "huber":
        delta = params["delta"]
        return np.where(a <= delta, 0.5 * u * u, delta * (a - 0.5 * delta)), np.minimum(a, delta)
    if name == "mae":
        return a, np.ones_like(u)
    assert name == "mse"
    return u * u, 2.0 * a


def label_formulas(name: str, p, t):
    """(loss, |slope|) of a classification loss at scores p for labels t = ±1."""
    margin = np.maximum(1.0 - t * p, 0.0)
    if name == "squared_hinge":
        return margin * margin, 2.0 * margin
    if name == "hinge":
        return margin, (margin > 0).astype(float)
    assert name == "zero_one"
    predicted = np.where(p > 0.0, 1.0, -1.0)
    return (predicted != t).astype(float), np.zeros_like(p)


def direct_surface(name, params, x, y, w1, w2, classification):
    """(mean loss, rounding floor) at every cell: rows w2, columns w1, by broadcasting."""
    p = w1[None, :, None] * x + w2[:, None, None]
    if classification:
        loss, slope = label_formulas(name, p, y)
        size = np.abs(w1[None, :, None] * x) + np.abs(w2[:, None, None])
    else:
        loss, slope = residual_formulas(name, p - y, params)
        size = np.abs(w1[None, :, None] * x) + np.abs(w2[:, None, None]) + np.abs(y)
    return loss.mean(axis=-1), (slope * size).mean(axis=-1)


def worst(fast, direct, floor):
    """The largest cell-wise relative difference (see the module's docstring)."""
    scale = np.maximum(np.maximum(np.abs(direct), floor), SURFACE_SHARE * np.mean(np.abs(direct)))
    error = np.abs(fast - direct)
    relative = np.divide(error, scale, out=np.full_like(error, np.inf), where=scale > 0)
    return float(np.max(np.where(error == 0.0, 0.0, relative)))


DESCRIBED = {
    "smooth_l1": (lambda params: regression.smooth_l1_shape(**params), False),
    "quantile": (lambda params: regression.quantile_shape(**params), False),
    "squared_hinge": (lambda params: classification.squared_hinge_shape(), True),
    "zero_one": (lambda params: classification.zero_one_shape(), True),
    "mae": (lambda params: regression.mae_shape(), False),
    "huber": (lambda params: regression.huber_shape(**params), False),
    "hinge": (lambda params: classification.hinge_shape(), True),
}


def engine_surface(name, params, x, y, w1, w2):
    """The histogram engine's mean surface for a described loss (catalogue or not)."""
    describe, _ = DESCRIBED[name]
    groups = piecewise.groups_for(describe(params), np.asarray(x, float), np.asarray(y, float))
    return histogram_sums(groups, w1, w2) / len(x)


def histogram_sums(groups, w1, w2):
    """Σ_i f(…) at every cell, all columns in one process."""
    grid = Axis("w2", float(w2[0]), float(w2[-1]), len(w2))
    return piecewise.sweep_columns(piecewise.prepare(groups, w1, grid), w1)


def check_piecewise(name, params, x, y, w1_axis, w2_axis, tolerance=CONTRACT):
    x, y = np.asarray(x, float), np.asarray(y, float)
    w1, w2 = w1_axis.values, w2_axis.values
    classification = DESCRIBED[name][1]
    direct, floor = direct_surface(name, params, x, y, w1, w2, classification)
    fast = engine_surface(name, params, x, y, w1, w2)
    assert worst(fast, direct, floor) <= tolerance, (name, params)
    return fast, direct


# ---------------------------------------------------------------------------------------------
# Descriptions themselves.


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("smooth_l1", {"beta": 0.7}),
        ("quantile", {"tau": 0.2}),
        ("mae", {}),
        ("huber", {"delta": 2.0}),
    ],
)
def test_regression_descriptions_equal_their_formulas(name, params):
    u = np.concatenate([np.linspace(-5, 5, 1001), [-0.7, 0.7, -2.0, 2.0, 0.0]])
    expected, _ = residual_formulas(name, u, params)
    np.testing.assert_allclose(DESCRIBED[name][0](params)(u), expected, rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize("name", ["squared_hinge", "zero_one", "hinge"])
def test_classification_descriptions_equal_their_formulas(name):
    p = np.concatenate([np.linspace(-3, 3, 601), [-1.0, 0.0, 1.0]])
    description = DESCRIBED[name][0]({})
    for label in (1.0, -1.0):
        expected, _ = label_formulas(name, p, label)
        actual = description.for_label(label)(p)
        np.testing.assert_allclose(actual, expected, rtol=1e-15, atol=1e-15)


def test_zero_one_counts_p_equal_zero_as_predicting_minus_one():
    description = classification.zero_one_shape()
    assert description.positive(np.array([0.0]))[0] == 1.0  # t = +1 at p = 0: wrong
    assert description.negative(np.array([0.0]))[0] == 0.0  # t = −1 at p = 0: right


def test_catalogue_entries_carry_their_descriptions():
    assert get_loss("mse").description({}) == regression.mse_shape()
    assert get_loss("huber").description({"delta": 0.5}) == regression.huber_shape(delta=0.5)
    assert get_loss("smooth-l1").description({"beta": 0.3}) == regression.smooth_l1_shape(beta=0.3)
    assert get_loss("pinball").description({"tau": 0.9}) == regression.quantile_shape(tau=0.9)
    assert get_loss("squared-hinge").description({}) == classification.squared_hinge_shape()
    assert get_loss("zero-one").description({}) == classification.zero_one_shape()
    assert isinstance(get_loss("hinge").description({}), PerLabel)
    assert get_loss("logistic").description({}) is None  # smooth: swept directly


def test_malformed_descriptions_are_refused():
    with pytest.raises(ValueError, match="2 breaks need 3 pieces"):
        Piecewise(breaks=(0.0, 1.0), pieces=((1.0,), (0.0,)))
    with pytest.raises(ValueError, match="increase strictly"):
        Piecewise(breaks=(1.0, 1.0), pieces=((0.0,), (0.0,), (0.0,)))
    with pytest.raises(ValueError, match="1 to 3 coefficients"):
        Piecewise(breaks=(), pieces=((0.0, 0.0, 0.0, 1.0),))
    step = Piecewise(breaks=(0.0,), pieces=((0.0,), (1.0,)))
    with pytest.raises(ValueError, match="with jumps"):
        check_description(step, classification=False)  # a jump needs exact ties: p only
    with pytest.raises(ValueError, match="needs a PerLabel"):
        check_description(step, classification=True)


# ---------------------------------------------------------------------------------------------
# Adversarial cases: edges, outliers, degenerate grids and data.

# Steps of 0.5 are exact in binary, so w1·x and the residuals land exactly on grid values.
EXACT_W1 = Axis("w1", -2.0, 2.0, 9)
EXACT_W2 = Axis("w2", -2.0, 2.0, 9)
EDGE_X = [-1.0, 0.0, 1.0, 2.0, 0.5, -1.5, 0.0, 0.0]
EDGE_Y = [-1.5, 0.5, 1.0, -2.0, 2.0, 0.0, -2.5, 2.5]  # some beyond the grid by one step
EDGE_LABELS = [1.0, -1.0, 1.0, -1.0, -1.0, 1.0, 1.0, -1.0]

CASES = [
    ("mae", {}),
    ("huber", {"delta": 0.5}),  # 2·delta = 2 steps: both edges on grid values at once
    ("huber", {"delta": 0.75}),  # 2·delta = 3 steps
    ("huber", {"delta": 0.3}),
    ("smooth_l1", {"beta": 0.25}),
    ("smooth_l1", {"beta": 1.0}),
    ("quantile", {"tau": 0.1}),
    ("quantile", {"tau": 0.5}),
]
LABELLED = ["hinge", "squared_hinge", "zero_one"]


@pytest.mark.parametrize(("name", "params"), CASES)
def test_residuals_exactly_on_bin_and_delta_edges(name, params):
    check_piecewise(name, params, EDGE_X, EDGE_Y, EXACT_W1, EXACT_W2, tolerance=AIM)


@pytest.mark.parametrize("name", LABELLED)
def test_margins_exactly_on_bin_edges(name):
    check_piecewise(name, {}, EDGE_X, EDGE_LABELS, EXACT_W1, EXACT_W2, tolerance=AIM)


def test_zero_one_ties_fall_exactly_as_a_direct_evaluation():
    # x = 1 and x = −1 with w1, w2 on a 0.5 grid: p = 0 exactly at many cells, where the
    # prediction is −1; a point moved to the wrong side would change the share by 1/4.
    x, t = [1.0, -1.0, 0.5, 2.0], [1.0, -1.0, -1.0, 1.0]
    fast, direct = check_piecewise("zero_one", {}, x, t, EXACT_W1, EXACT_W2, tolerance=0.0)
    assert np.array_equal(fast, direct)
    assert (
        np.count_nonzero(EXACT_W1.values[None, :, None] * x + EXACT_W2.values[:, None, None] == 0)
        > 0.0
    )


def test_zero_one_ties_on_a_grid_whose_values_are_not_exact_multiples():
    # linspace(−1, 1, 7) has steps of 1/3, rounded: exact ties come from c equal to a value.
    w2 = Axis("w2", -1.0, 1.0, 7)
    w1 = Axis("w1", -1.0, 1.0, 7)
    x = np.array([1.0, -1.0, 1.0, 0.0, 0.0])
    t = np.array([1.0, -1.0, -1.0, 1.0, -1.0])
    fast, direct = check_piecewise("zero_one", {}, x, t, w1, w2, tolerance=0.0)
    assert np.array_equal(fast, direct)


@pytest.mark.parametrize(("name", "params"), [*CASES, ("hinge", {}), ("squared_hinge", {})])
def test_huge_outliers(name, params):
    rng = np.random.default_rng(4)
    x = rng.uniform(-1, 1, 30)
    if name in LABELLED:
        y = np.where(rng.random(30) < 0.5, 1.0, -1.0)
        x[:3] = [1e9, -3e7, 5e5]
    else:
        y = 1.5 * x + 0.5 + rng.normal(0, 0.3, 30)
        y[:4] = [1e8, -1e6, 3e4, 1e12]
    check_piecewise(name, params, x, y, Axis("w1", -2, 4, 13), Axis("w2", -2, 4, 11))


@pytest.mark.parametrize(("name", "params"), [*CASES, ("hinge", {}), ("squared_hinge", {})])
def test_two_steps_one_point_and_identical_points(name, params):
    labels = name in LABELLED
    x, y = [0.3], [1.0 if labels else 0.7]
    check_piecewise(name, params, x, y, Axis("w1", -1, 1, 2), Axis("w2", -1, 1, 2))
    same_x, same_y = [0.5] * 17, [(-1.0 if labels else 0.5)] * 17
    check_piecewise(name, params, same_x, same_y, EXACT_W1, EXACT_W2, tolerance=AIM)


@pytest.mark.parametrize(("name", "params"), [*CASES, ("hinge", {}), ("squared_hinge", {})])
def test_w1_range_without_zero_and_grid_far_from_the_data(name, params):
    rng = np.random.default_rng(9)
    x = rng.uniform(-1, 1, 25)
    y = np.where(x > 0.1, 1.0, -1.0) if name in LABELLED else 3 * x - 1 + rng.normal(0, 0.2, 25)
    check_piecewise(name, params, x, y, Axis("w1", 3.0, 7.0, 9), Axis("w2", -9.0, -4.0, 12))
    check_piecewise(name, params, x, y, Axis("w1", -7.0, -3.0, 5), Axis("w2", 40.0, 41.0, 6))


def test_delta_wider_than_the_grid_still_exact():
    x, y = np.linspace(-1, 1, 20), np.linspace(-3, 4, 20)
    check_piecewise("huber", {"delta": 30.0}, x, y, Axis("w1", -1, 1, 5), Axis("w2", 0, 1, 4))


# ---------------------------------------------------------------------------------------------
# Random data (hypothesis): every described loss, every path.

finite = st.floats(-50, 50, allow_nan=False, allow_infinity=False)
coarse = st.integers(-40, 40).map(lambda k: k / 4)  # quarter steps: many exact ties


@st.composite
def problems(draw):
    n = draw(st.integers(1, 25))
    values = st.one_of(finite, coarse)
    x = np.array(draw(st.lists(values, min_size=n, max_size=n)))
    y = np.array(draw(st.lists(values, min_size=n, max_size=n)))
    labels = np.array(draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=n, max_size=n)))
    low1, span1 = draw(coarse), draw(st.integers(1, 40).map(lambda k: k / 4))
    low2, span2 = draw(coarse), draw(st.integers(1, 40).map(lambda k: k / 4))
    w1 = Axis("w1", low1, low1 + span1, draw(st.integers(2, 12)))
    w2 = Axis("w2", low2, low2 + span2, draw(st.integers(2, 12)))
    return x, y, labels, w1, w2


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    problems(),
    st.sampled_from(sorted(DESCRIBED)),
    st.sampled_from([0.25, 0.5, 0.7, 1.0, 2.5]),
)
def test_histogram_engine_equals_direct_evaluation(problem, name, parameter):
    x, y, labels, w1, w2 = problem
    params = {
        "huber": {"delta": parameter},
        "smooth_l1": {"beta": parameter},
        "quantile": {"tau": min(parameter / 2.5, 0.99)},
    }.get(name, {})
    targets = labels if DESCRIBED[name][1] else y
    check_piecewise(name, params, x, targets, w1, w2)


@settings(max_examples=60, deadline=None)
@given(problems(), st.sampled_from(["mse", *sorted(DESCRIBED)]))
def test_every_method_of_the_catalogue_agrees_with_direct(problem, name):
    x, y, labels, w1, w2 = problem
    classification = name != "mse" and DESCRIBED[name][1]
    data = dataset(x, labels if classification else y)
    loss = get_loss(name.replace("_", "-"))
    params = loss.resolve_params({})
    direct = sweep(loss, params, data, w1, w2, method="direct")
    fast = sweep(loss, params, data, w1, w2, method="quadratic" if name == "mse" else "piecewise")
    _, floor = direct_surface(name, params, data.x, data.y, w1.values, w2.values, classification)
    assert worst(fast.values, direct.values, floor) <= CONTRACT


# ---------------------------------------------------------------------------------------------
# Sufficient statistics for mse.


def test_mse_statistics_by_hand():
    # Points (0, 1), (1, 3), (2, 2): x̄ = 1, ȳ = 2, u = (−1, 0, 1), v = (−1, 1, 0),
    # Suu = 2/3, Suv = 1/3, b = 1/2; v − u/2 = (−0.5, 1, −0.5), so R = 1.5/3 = 0.5.
    s = quadratic.Statistics.of(np.array([0.0, 1.0, 2.0]), np.array([1.0, 3.0, 2.0]))
    assert (s.x_mean, s.y_mean, s.slope) == (1.0, 2.0, 0.5)
    assert math.isclose(s.spread, 2 / 3, rel_tol=1e-15)
    assert s.residual == 0.5
    # At the least-squares line (w1 = 0.5, w2 = 1.5) the errors are 0.5, −1, 0.5: mse = R.
    value = quadratic.sweep_means(
        (0.0, 0.0, 1.0),
        np.array([0.0, 1.0, 2.0]),
        np.array([1.0, 3.0, 2.0]),
        np.array([0.5]),
        np.array([1.5]),
    )
    assert math.isclose(value[0, 0], 0.5, rel_tol=1e-15)


@pytest.mark.parametrize("offset", [0.0, 1e3, 1e6, 1e8])
def test_mse_with_data_far_from_the_origin(offset):
    # Centring keeps the statistics exact where raw sums of x² and y² would cancel.
    rng = np.random.default_rng(3)
    x = offset + rng.uniform(-1, 1, 200)
    y = 2.0 * x + 5.0 + rng.normal(0, 0.1, 200)
    w1, w2 = Axis("w1", 1.9, 2.1, 9), Axis("w2", 4.0, 6.0, 7)
    data = dataset(x, y)
    fast = sweep(get_loss("mse"), {}, data, w1, w2)
    assert fast.method == "quadratic"
    direct, floor = direct_surface("mse", {}, x, y, w1.values, w2.values, False)
    assert worst(fast.values, direct, floor) <= CONTRACT


def test_mse_with_all_x_equal_and_one_point():
    for x, y in (([2.0] * 5, [1.0, 2.0, 3.0, 4.0, 5.0]), ([0.25], [-3.0])):
        w1, w2 = Axis("w1", -3, 3, 7), Axis("w2", -2, 2, 5)
        fast = sweep(get_loss("mse"), {}, dataset(x, y), w1, w2).values
        direct, floor = direct_surface(
            "mse", {}, np.array(x), np.array(y), w1.values, w2.values, False
        )
        assert worst(fast, direct, floor) <= AIM


# ---------------------------------------------------------------------------------------------
# Choosing a method, progress, two processes.


UNDECLARED = "expr:abs(p - y)"
"""A loss with no structure declared (a formula)."""


def test_auto_picks_quadratic_piecewise_or_direct():
    assert method_for("mse", 10_000, 201) == "quadratic"
    assert method_for("huber", 10_000, 201, delta=1.0) == "piecewise"
    assert method_for("hinge", 10_000, 201) == "piecewise"
    assert method_for("mae", 40, 5) == "direct"  # start-up dominates
    assert method_for(UNDECLARED, 10**6, 1001) == "direct"  # nothing declared
    # breaks 2·10⁴ apart on a grid of width 6: too many bins
    assert method_for("huber", 10_000, 201, delta=1e4) == "direct"


def test_asking_for_a_method_the_loss_lacks_is_a_parameter_error():
    with pytest.raises(ParameterError, match="quadratic does not apply") as error:
        method_for("mae", 40, 5, "quadratic")
    assert error.value.field == "method"
    with pytest.raises(ParameterError, match="piecewise does not apply"):
        method_for(UNDECLARED, 40, 5, "piecewise")
    with pytest.raises(ParameterError, match="piecewise does not apply"):
        method_for("mse", 40, 5, "piecewise")
    assert method_for(UNDECLARED, 40, 5, "direct") == "direct"


def test_a_loss_without_description_sweeps_directly():
    plain = dataclasses.replace(get_loss("huber"), piecewise=None)
    data = synthetic_regression(n=3000)
    surface = sweep(plain, {"delta": 1.0}, data, Axis("w1", -2, 4, 101), Axis("w2", -2, 4, 101))
    assert surface.method == "direct"


@pytest.mark.parametrize(
    ("name", "method"),
    [("mse", "quadratic"), ("huber", "piecewise"), ("hinge", "piecewise"), ("mae", "direct")],
)
def test_progress_rises_to_one(name, method):
    seen: list[float] = []
    loss = get_loss(name)
    data = synthetic_classification(n=500) if name == "hinge" else synthetic_regression(n=500)
    sweep(
        loss,
        loss.resolve_params({}),
        data,
        Axis("w1", -2, 4, 31),
        Axis("w2", -2, 4, 23),
        method=method,
        progress=seen.append,
    )
    if method != "quadratic":  # instantaneous: no report needed
        assert seen and seen[-1] == 1.0
        assert all(a <= b for a, b in itertools.pairwise(seen))


@pytest.mark.parametrize("count", [2, 3])
def test_several_processes_give_the_same_sums(count):
    data = synthetic_regression(n=2000, outliers=0.1)
    groups = piecewise.groups_for(regression.huber_shape(delta=0.4), data.x, data.y)
    w1 = Axis("w1", -2, 4, 9).values
    grid = Axis("w2", -2, 4, 7)
    prepared = piecewise.prepare(groups, w1, grid)
    workers.use(count)
    try:
        shared = workers.by_columns(
            piecewise.sweep_columns, prepared, w1, grid.steps, None, seconds=10.0
        )
    finally:
        workers.use(None)
    assert np.array_equal(shared, histogram_sums(groups, w1, grid.values))


def test_blocking_does_not_change_histogram_sums(monkeypatch):
    data = synthetic_classification(n=300, flip=0.2)
    groups = piecewise.groups_for(classification.squared_hinge_shape(), data.x, data.y)
    w1 = Axis("w1", -2, 4, 17).values
    w2 = Axis("w2", -2, 4, 13).values
    whole = histogram_sums(groups, w1, w2)
    monkeypatch.setattr(histogram, "BLOCK_PAIRS", 7)
    monkeypatch.setattr(piecewise, "BLOCK_BINS", 5)
    np.testing.assert_allclose(histogram_sums(groups, w1, w2), whole, rtol=1e-13)


@pytest.mark.parametrize("offset", [0.0, 1e6])
def test_the_quadratic_sweep_in_blocks_of_rows_gives_the_same_bits(monkeypatch, offset):
    """The formula runs a block of rows at a time so its temporaries stay small at any grid;
    the blocks change no bit (a block of one row against the whole grid at once)."""
    from losscli.engine import quadratic

    rng = np.random.default_rng(5)
    x = offset + rng.uniform(0, 100, 80)
    y = 1.5 * x + 0.5 + rng.normal(0, 0.2, 80)
    w1, w2 = np.linspace(1.49, 1.51, 7), np.linspace(-1.0, 2.0, 9)
    whole = quadratic.sweep_means((0.0, 0.0, 1.0), x, y, w1, w2)
    monkeypatch.setattr(quadratic, "BLOCK_CELLS", 1)
    assert np.array_equal(quadratic.sweep_means((0.0, 0.0, 1.0), x, y, w1, w2), whole)
