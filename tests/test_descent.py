"""The descent core: the lesson's claims about the hiker, hand-computed updates, stop reasons."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from losscli.catalogue import CATALOGUE, get_loss
from losscli.data.dataset import Dataset
from losscli.data.synthetic import separable, synthetic
from losscli.defaults import STOP_REASONS
from losscli.descent.optimizers import OPTIMIZERS
from losscli.descent.runs import read_runs, runs_document
from losscli.descent.walk import Settings, default_start, descend, gradient_at, head
from losscli.engine import Axis, sweep
from losscli.errors import DataError, ParameterError

LESSON_START = (-1.5, 3.5)


def lesson() -> Dataset:
    return synthetic("regression")


def walk(loss: str, optimizer: str = "gd", start=LESSON_START, data=None, **options) -> object:
    chosen = get_loss(loss)
    points = data if data is not None else synthetic(chosen.task)
    params = chosen.resolve_params({})
    return descend(chosen, params, points, start, optimizer, Settings(**options))


# ---------------------------------------------------------------------------------------------
# The lesson's claims.


def test_gd_on_mse_rolls_to_the_least_squares_line_and_says_converged():
    data = lesson()
    run = walk("mse", lr=0.3, steps=500)
    # Independent source: numpy's least-squares solver on the design matrix [x, 1].
    design = np.column_stack([data.x, np.ones_like(data.x)])
    expected = np.linalg.lstsq(design, data.y, rcond=None)[0]
    assert run.stop_reason == "converged"
    assert 0 < run.steps < 500
    np.testing.assert_allclose(run.w[-1], expected, atol=1e-6, rtol=0)
    assert np.all(np.diff(run.loss_values) <= 0)  # every step on the bowl goes downhill


def least_absolute_deviations(data: Dataset) -> np.ndarray:
    """MAE's exact minimiser by brute force: the L1 fit passes through two of the points (a
    vertex of its linear programme), so try the line through every pair."""
    i, j = np.triu_indices(len(data.x), 1)
    slopes = (data.y[j] - data.y[i]) / (data.x[j] - data.x[i])
    intercepts = data.y[i] - slopes * data.x[i]
    errors = np.abs(slopes[:, None] * data.x + intercepts[:, None] - data.y).mean(axis=1)
    best = int(np.argmin(errors))
    return np.array([slopes[best], intercepts[best]])


def test_gd_on_mae_bounces_around_the_minimum_where_a_smaller_rate_or_adam_gets_closer():
    data = lesson()
    target = least_absolute_deviations(data)
    bouncing = walk("mae", lr=0.3, steps=500)
    assert bouncing.stop_reason == "max_steps"  # never settles
    tail = bouncing.gradient[-50:]
    flips = np.count_nonzero(np.diff(np.sign(tail), axis=0) != 0, axis=0)
    # MAE's gradient does not fade near the bottom, it flips sign: in the last 50 steps both
    # components change sign at most steps (measured: 45 and 49 flips of 49).
    assert flips.min() >= 40
    last = bouncing.w[-50:]
    assert last[:, 1].min() < target[1] < last[:, 1].max()  # w2 on both sides of the minimum
    assert np.abs(np.diff(last, axis=0)).max() > 0.01  # still taking real steps
    far = np.linalg.norm(bouncing.w[-1] - target)
    # Measured distances to the L1 fit: gd 0.3 → 0.013, gd 0.03 → 0.0006, adam 0.03 → 0.0002.
    # Adam at the same rate 0.3 does not get closer here (0.046): its steps scale with lr.
    smaller = walk("mae", lr=0.03, steps=500)
    adam = walk("mae", "adam", lr=0.03, steps=500)
    assert np.linalg.norm(smaller.w[-1] - target) < far / 5
    assert np.linalg.norm(adam.w[-1] - target) < far / 5


def test_hinge_started_on_the_plateau_is_frozen_at_step_zero():
    run = walk("hinge", start=(3.0, 0.0), data=separable(), lr=0.1)
    assert run.stop_reason == "zero_gradient"
    assert run.steps == 0
    assert run.loss_values.tolist() == [0.0]
    assert run.gradient.tolist() == [[0.0, 0.0]]


def test_hinge_started_on_the_steep_side_walks_onto_the_plateau_and_stops_there():
    data = separable()
    run = walk("hinge", start=(-2.0, 0.0), data=data, lr=0.1)
    assert run.stop_reason == "zero_gradient"
    assert run.steps > 0
    assert run.loss_values[0] > 1.0 and run.loss_values[-1] == 0.0
    assert np.all(run.loss_values[:-1] > 0.0)  # it stopped at its first step onto the plateau
    w1, w2 = run.w[-1]
    margins = data.y * (w1 * data.x + w2)
    assert margins.min() >= 1.0  # every point on its side with margin at least 1


@pytest.mark.filterwarnings("error")  # an overflow RuntimeWarning would fail the test
def test_too_large_a_rate_on_mse_says_diverged_without_warnings():
    run = walk("mse", lr=1.2, steps=500)
    assert run.stop_reason == "diverged"
    # It stops at the first loss past 1e6 × its start, and not before.
    assert run.loss_values[-1] > 1e6 * run.loss_values[0]
    assert np.all(run.loss_values[:-1] <= 1e6 * run.loss_values[0])


def test_overflowing_values_end_the_walk_as_diverged_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        at_start = walk("mse", start=(1e200, 0.0))  # (1e200·x)² overflows to inf
        runaway = walk("mse", lr=1e150, steps=50)  # the first step lands near 1e150
    assert (at_start.stop_reason, at_start.steps) == ("diverged", 0)
    assert math.isinf(at_start.loss_values[0])
    assert runaway.stop_reason == "diverged"


# ---------------------------------------------------------------------------------------------
# Each optimizer's first steps, by hand, on two points: (x, y) = (0, 1) and (1, 3), MSE,
# start (0, 0), lr 0.1. With p = w1·x + w2 and n = 2, dL/dp_i = 2(p_i − y_i)/2 = p_i − y_i,
# so dL/dw1 = (p_2 − 3) (x_1 = 0 drops out) and dL/dw2 = (p_1 − 1) + (p_2 − 3).
#   g0 at (0, 0): p = (0, 0)      → g0 = (−3, −4)
#   g at (0.3, 0.4): p = (0.4, 0.7) → (−2.3, −0.6 − 2.3) = (−2.3, −2.9)
#   g at (0.57, 0.76): p = (0.76, 1.33) → (−1.67, −0.24 − 1.67) = (−1.67, −1.91)
#   g at (0.1, 0.1): p = (0.1, 0.2) → (−2.8, −0.9 − 2.8) = (−2.8, −3.7)

TWO_POINTS = Dataset(np.array([0.0, 1.0]), np.array([1.0, 3.0]), "two points", {})

HAND_COMPUTED = {
    # w ← w − 0.1·g: (0, 0) + (0.3, 0.4); then (0.3, 0.4) + (0.23, 0.29).
    "gd": [(0.3, 0.4), (0.53, 0.69)],
    # v1 = g0 = (−3, −4), w1 = (0.3, 0.4); v2 = 0.9·v1 + (−2.3, −2.9) = (−5, −6.5),
    # w2 = (0.3, 0.4) + (0.5, 0.65) = (0.8, 1.05).
    "momentum": [(0.3, 0.4), (0.8, 1.05)],
    # v1 = g0; w1 = −0.1·(g0 + 0.9·v1) = −0.1·(−5.7, −7.6) = (0.57, 0.76);
    # v2 = 0.9·(−3, −4) + (−1.67, −1.91) = (−4.37, −5.51);
    # w2 = w1 − 0.1·((−1.67, −1.91) + 0.9·v2) = (0.57, 0.76) + 0.1·(5.603, 6.869).
    "nesterov": [(0.57, 0.76), (1.1303, 1.4469)],
    # s1 = 0.1·g0² = (0.9, 1.6); step = 0.1·(3/√0.9, 4/√1.6) = 0.1·√10·(1, 1) = 0.316228.
    # At (a, a), a = 0.3162278: p = (a, 2a), g = (2a − 3, a − 1 + 2a − 3) = (−2.367544, −3.051317)
    # s2 = 0.9·s1 + 0.1·g² = (0.81 + 0.560527, 1.44 + 0.931053) = (1.370527, 2.371053);
    # step = 0.1·(2.367544/1.170695, 3.051317/1.539823) = (0.2022341, 0.1981603).
    "rmsprop": [(0.3162278, 0.3162278), (0.5184619, 0.5143881)],
    # Bias-corrected m̂1 = g0, v̂1 = g0², so the first step is 0.1·sign: (0.1, 0.1).
    # m2 = 0.9·(−0.3, −0.4) + 0.1·(−2.8, −3.7) = (−0.55, −0.73), m̂2 = m2/0.19;
    # v2 = 0.999·(0.009, 0.016) + 0.001·(7.84, 13.69) = (0.016831, 0.029674), v̂2 = v2/0.001999;
    # step = 0.1·(2.894737/2.901674, 3.842105/3.852846) = (0.0997609, 0.0997212).
    "adam": [(0.1, 0.1), (0.1997609, 0.1997212)],
}


@pytest.mark.parametrize("optimizer", list(HAND_COMPUTED))
def test_first_steps_match_the_hand_computed_updates(optimizer):
    run = descend(get_loss("mse"), {}, TWO_POINTS, (0.0, 0.0), optimizer, Settings(lr=0.1, steps=2))
    assert run.stop_reason == "max_steps"
    np.testing.assert_allclose(run.gradient[0], [-3.0, -4.0], rtol=1e-12)
    np.testing.assert_allclose(run.w[1:], HAND_COMPUTED[optimizer], rtol=1e-6, atol=0)


def test_every_optimizer_is_hand_checked():
    assert set(HAND_COMPUTED) == set(OPTIMIZERS)


# ---------------------------------------------------------------------------------------------
# The gradient, for any catalogue loss, and the stop rules.


@settings(max_examples=40, deadline=None)
@given(
    w1=st.floats(-3, 3),
    w2=st.floats(-3, 3),
    name=st.sampled_from(["mse", "huber", "mae"]),
)
def test_chain_rule_gradient_matches_central_differences(w1, w2, name):
    loss = get_loss(name)
    data = lesson()
    params = loss.resolve_params({})
    _, gradient = gradient_at(loss, params, data.x, data.y, np.array([w1, w2]))
    h = 1e-6

    def at(a: float, b: float) -> float:
        return float(loss.mean(a * data.x + b, data.y, params))

    numeric = [
        (at(w1 + h, w2) - at(w1 - h, w2)) / (2 * h),
        (at(w1, w2 + h) - at(w1, w2 - h)) / (2 * h),
    ]
    # MAE's kinks: within h of a point's error 0 the difference quotient straddles the kink.
    if name == "mae" and np.abs(w1 * data.x + w2 - data.y).min() < 1e-5:
        return
    np.testing.assert_allclose(gradient, numeric, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_every_catalogue_loss_walks_with_gd_taking_minus_lr_times_the_gradient(name):
    run = walk(name, lr=0.05, steps=5)
    assert run.stop_reason in STOP_REASONS
    if run.steps:
        np.testing.assert_allclose(run.w[1], run.w[0] - 0.05 * run.gradient[0], rtol=1e-15)


def test_tol_zero_never_converges_and_steps_zero_stops_at_the_start():
    assert walk("mse", lr=0.3, steps=40, tol=0.0).stop_reason == "max_steps"
    run = walk("mse", steps=0)
    assert (run.stop_reason, run.steps, run.w.tolist()) == ("max_steps", 0, [list(LESSON_START)])


def test_leaving_the_grid_is_not_a_stop():
    run = walk("mse", start=(30.0, -40.0), lr=0.3)
    assert run.stop_reason == "converged"
    assert run.w[0, 1] == -40.0


def test_minibatches_are_reproducible_by_seed_and_full_size_batches_are_full_batch():
    first = walk("mse", lr=0.1, steps=30, batch_size=5, seed=3)
    again = walk("mse", lr=0.1, steps=30, batch_size=5, seed=3)
    other = walk("mse", lr=0.1, steps=30, batch_size=5, seed=4)
    np.testing.assert_array_equal(first.w, again.w)
    assert not np.array_equal(first.w, other.w)
    everything = walk("mse", lr=0.1, steps=30, batch_size=40, seed=3)
    full = walk("mse", lr=0.1, steps=30)
    np.testing.assert_allclose(everything.w, full.w, rtol=1e-12)  # same points, other order
    assert first.settings["batch_size"] == 5 and first.settings["seed"] == 3
    assert full.settings["batch_size"] is None and full.settings["seed"] is None


@pytest.mark.parametrize(
    ("options", "field", "message"),
    [
        ({"lr": 0.0}, "lr", "must be > 0, got 0"),
        ({"lr": math.inf}, "lr", "must be > 0, got inf"),
        ({"steps": -1}, "steps", "must be >= 0, got -1"),
        ({"tol": -1.0}, "tol", "must be >= 0, got -1"),
        ({"momentum": 1.0}, "momentum", "must be in [0, 1), got 1"),
        ({"batch_size": 0}, "batch_size", "must be at least 1, got 0"),
    ],
)
def test_settings_out_of_range_name_the_parameter(options, field, message):
    with pytest.raises(ParameterError) as caught:
        Settings(**options)
    assert (caught.value.field, caught.value.message) == (field, message)


def test_batches_larger_than_the_data_and_unknown_optimizers_are_refused():
    with pytest.raises(ParameterError, match=r"at most the number of points \(40\), got 41"):
        walk("mse", batch_size=41)
    with pytest.raises(ParameterError, match="unknown optimizer 'sgd'; known: gd, momentum"):
        walk("mse", "sgd")


def test_default_start_is_the_corner_farthest_from_the_grid_minimum():
    grid = (Axis("w1", -2, 4, 21), Axis("w2", -2, 4, 21))
    mse = sweep(get_loss("mse"), {}, lesson(), *grid)
    # The minimum is at (1.6, 0.4): the corner (−2, 4) is 5.09 away, (−2, −2) only 4.33.
    assert (mse.minimum.w1, mse.minimum.w2) == pytest.approx((1.6, 0.4))
    assert default_start(mse) == (-2.0, 4.0)


def test_separable_has_a_gap_and_its_plateau_contains_the_issue_start():
    data = separable()
    assert len(data) == 40 and set(data.y.tolist()) == {-1.0, 1.0}
    assert np.all(np.abs(data.x) >= 0.5) and np.all(np.abs(data.x) <= 1.0)
    assert np.all(np.sign(data.x) == data.y)
    np.testing.assert_array_equal(separable(seed=5).x, separable(seed=5).x)
    hinge = get_loss("hinge")
    assert float(hinge.mean(3.0 * data.x + 0.0, data.y, {})) == 0.0
    with pytest.raises(ParameterError, match="at least 2 for two classes"):
        separable(n=1)


def test_head_cuts_a_run_short_for_animation():
    run = walk("mse", lr=0.3, steps=10)
    early = head(run, 3)
    assert early.steps == 3 and early.stop_reason == "running"
    assert head(run, 10) is run


# ---------------------------------------------------------------------------------------------
# Saved runs.


def test_saved_runs_read_back_including_a_diverged_walk():
    runs = [walk("mse", lr=0.3, steps=5), walk("mse", start=(1e200, 0.0))]
    document = runs_document(get_loss("mse"), {}, runs, "0")
    import json

    raw = json.dumps(document, allow_nan=False).encode()
    back = read_runs(raw, "run.json")
    np.testing.assert_array_equal(back[0].w, runs[0].w)
    np.testing.assert_array_equal(back[0].gradient, runs[0].gradient)
    assert document["runs"][1]["trajectory"][0]["loss"] is None
    assert math.isnan(back[1].loss_values[0])
    assert [r.stop_reason for r in back] == ["max_steps", "diverged"]
    assert back[0].loss == "mse"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{", "run.json line 1: not valid JSON"),
        (b"[]", 'run.json: expected a descend result with a non-empty "runs" list'),
        (b'{"runs": [1]}', "run.json: runs[0] is not an object"),
        (b'{"runs": [{"optimizer": 3}]}', 'run.json: runs[0]: "optimizer" is not a string'),
        (
            b'{"runs": [{"optimizer": "gd", "trajectory": []}]}',
            'run.json: runs[0]: "trajectory" is not a non-empty list',
        ),
        (
            b'{"runs": [{"optimizer": "gd", "trajectory": [{"w1": null, "w2": 1}]}]}',
            "run.json: runs[0].trajectory[0].w1 is not a number",
        ),
        (
            b'{"runs": [{"optimizer": "gd", "trajectory": [{"w1": 0, "w2": "a"}]}]}',
            "run.json: runs[0].trajectory[0].w2 is not a number",
        ),
    ],
)
def test_bad_saved_runs_name_the_file_and_field(raw, message):
    with pytest.raises(DataError) as caught:
        read_runs(raw, "run.json")
    assert str(caught.value).startswith(message)
