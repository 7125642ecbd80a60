"""The lesson's four losses: values by hand, gradients against finite differences, conventions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from losscli.catalogue import CATALOGUE, get_loss
from losscli.defaults import LESSON_LOSSES
from losscli.errors import ParameterError

# Two predictions against two targets: errors e = p - y = (1, -2).
P = np.array([3.0, 0.0])
Y = np.array([2.0, 2.0])


def mean(name: str, p=P, y=Y, **params: float) -> float:
    loss = get_loss(name)
    return float(loss.mean(p, y, loss.resolve_params(params)))


def test_mse_by_hand():
    # (1² + 2²) / 2 = 2.5
    assert mean("mse") == 2.5


def test_mae_by_hand():
    # (|1| + |-2|) / 2 = 1.5
    assert mean("mae") == 1.5


def test_huber_uses_the_half_convention_inside_delta():
    # delta = 1: |1| <= 1 gives 0.5·1² = 0.5; |-2| > 1 gives 1·(2 − 0.5) = 1.5; mean 1.0
    assert mean("huber", delta=1.0) == 1.0
    # delta = 3 covers both errors: 0.5·(1 + 4) / 2 = 1.25, exactly half of MSE
    assert mean("huber", delta=3.0) == 1.25 == mean("mse") / 2


def test_huber_is_continuous_at_delta():
    # At |e| = delta both branches give 0.5·delta²: 0.5·2² = 2 and 2·(2 − 1) = 2.
    loss = get_loss("huber")
    e = np.array([2.0 - 1e-12, 2.0, 2.0 + 1e-12])
    np.testing.assert_allclose(loss.value(e, np.zeros(3), delta=2.0), 2.0, rtol=1e-11)


def test_hinge_by_hand_with_plus_minus_one_labels():
    # margins 1 − t·p: 1 − 1·2 = −1 → 0; 1 − (−1)·0.5 = 1.5; 1 − 1·0.5 = 0.5 → mean (0+1.5+0.5)/3
    p = np.array([2.0, 0.5, 0.5])
    t = np.array([1.0, -1.0, 1.0])
    assert mean("hinge", p, t) == pytest.approx(2.0 / 3.0, rel=1e-15)


def test_hinge_is_zero_beyond_the_margin_and_its_gradient_too():
    loss = get_loss("hinge")
    p, t = np.array([1.0, 3.0, -2.0]), np.array([1.0, 1.0, -1.0])  # margins exactly 0, −2, −1
    assert loss.value(p, t).tolist() == [0.0, 0.0, 0.0]
    assert loss.gradient(p, t).tolist() == [0.0, 0.0, 0.0]  # subgradient 0 at the kink t·p = 1


def test_mae_subgradient_at_zero_error_is_zero():
    assert get_loss("mae").gradient(np.array([2.0]), np.array([2.0])).tolist() == [0.0]


@pytest.mark.parametrize("name", LESSON_LOSSES)
def test_gradient_matches_central_differences_at_smooth_points(name):
    loss = get_loss(name)
    params = loss.resolve_params({})
    rng = np.random.default_rng(5)
    p = rng.uniform(-3, 3, 50)
    y = np.sign(rng.uniform(-1, 1, 50)) if loss.task == "classification" else rng.normal(size=50)
    kinks = {"mae": [0.0], "huber": [-1.0, 1.0], "hinge": [1.0], "mse": []}[name]
    residual = y * p if name == "hinge" else p - y
    smooth = np.all(np.abs(residual[:, None] - np.array([*kinks, np.inf])) > 1e-3, axis=1)
    h = 1e-6
    numeric = (loss.value(p + h, y, **params) - loss.value(p - h, y, **params)) / (2 * h)
    np.testing.assert_allclose(loss.gradient(p, y, **params)[smooth], numeric[smooth], atol=1e-6)


def test_mean_gradient_divides_by_the_number_of_points():
    loss = get_loss("mse")
    # d/dp_i of mean((p − y)²) = 2·e_i / n = (2·1/2, 2·(−2)/2)
    assert loss.mean_gradient(P, Y, {}).tolist() == [1.0, -2.0]


@given(
    st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=20),
    st.floats(0.01, 100),
)
def test_regression_losses_are_nonnegative_and_zero_at_a_perfect_fit(values, delta):
    y = np.array(values)
    for name in ("mse", "mae", "huber"):
        loss = get_loss(name)
        params = loss.resolve_params({"delta": delta})
        assert float(loss.mean(y, y, params)) == 0.0
        assert float(loss.mean(y + 1.0, y, params)) > 0.0
        assert np.all(loss.value(y[::-1], y, **params) >= 0.0)


def test_unknown_loss_lists_the_known_ones():
    with pytest.raises(ParameterError) as error:
        get_loss("l3")
    assert error.value.field == "loss"
    assert error.value.message.startswith("unknown loss 'l3'; known losses: mse, mae, huber, hinge")


def test_aliases_and_case_resolve_to_the_same_entry():
    assert get_loss("L2") is get_loss("mse") and get_loss("l1") is get_loss("mae")


@pytest.mark.parametrize("delta", [0.0, -1.0, float("nan"), float("inf")])
def test_delta_must_be_positive_and_finite(delta):
    with pytest.raises(ParameterError, match=r"must be > 0, got"):
        get_loss("huber").resolve_params({"delta": delta})


def test_titles_show_parameters_and_can_hide_defaults():
    huber = get_loss("huber")
    assert huber.title({"delta": 1.0}) == "Huber (delta=1)"
    assert huber.title({"delta": 1.0}, defaults=False) == "Huber"
    assert huber.title({"delta": 0.5}, defaults=False) == "Huber (delta=0.5)"


def test_every_entry_documents_itself():
    for loss in CATALOGUE.values():
        assert loss.summary and loss.formula and loss.gradient_formula and loss.advice
        assert loss.task in ("regression", "classification")
