"""The full catalogue: values by hand, gradients against finite differences, properties, stability.

Expected values come from the definitions written out with Python's `math` module (or worked
by hand in the comment), never from losscli's own stable forms. Where a seed prints a wrong
number, the comment says so.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from losscli.catalogue import CATALOGUE, Param, get_loss
from losscli.errors import ParameterError

REGRESSION = [name for name, loss in CATALOGUE.items() if loss.task == "regression"]
CLASSIFICATION = [name for name, loss in CATALOGUE.items() if loss.task == "classification"]
PER_POINT = [name for name, loss in CATALOGUE.items() if loss.per_point]

# Two predictions against two targets: errors e = p − y = (1, −2).
P = np.array([3.0, 0.0])
Y = np.array([2.0, 2.0])


def mean(name: str, p=P, y=Y, **params: float) -> float:
    loss = get_loss(name)
    return float(loss.mean(np.asarray(p, float), np.asarray(y, float), loss.resolve_params(params)))


def logit(q):
    q = np.asarray(q, float)
    return np.log(q / (1.0 - q))


def test_the_catalogue_holds_every_loss_of_the_issue_with_its_aliases():
    assert list(CATALOGUE) == [
        "mse",
        "mae",
        "huber",
        "hinge",
        "smooth-l1",
        "log-cosh",
        "quantile",
        "squared-hinge",
        "logistic",
        "bce",
        "focal",
        "exponential",
        "zero-one",
        "dice",
    ]
    for alias, name in [
        ("l2", "mse"),
        ("l1", "mae"),
        ("pinball", "quantile"),
        ("bce-with-logits", "logistic"),
        ("cross-entropy", "logistic"),
        ("Cross-Entropy", "logistic"),
    ]:
        assert get_loss(alias).name == name


def test_every_entry_is_complete():
    for loss in CATALOGUE.values():
        assert loss.label and loss.summary and loss.formula and loss.gradient_formula
        assert loss.advice.startswith("Use it ") and "avoid" in loss.advice
        for param in loss.params:
            param.check(param.default)  # the default lies in its own range


# ---------------------------------------------------------------------------------------------
# Regression values by hand.


def test_seed_003_mse_example_is_0_05_not_the_printed_0_0380():
    # 003 prints "MSE Loss: 0.0380"; its errors are −0.2, 0.2, −0.2, 0.3, −0.2, so the mean
    # of squares is (4·0.04 + 0.09)/5 = 0.25/5 = 0.05.
    y_true = [2.5, 1.0, 3.2, 0.5, 4.1]
    y_pred = [2.3, 1.2, 3.0, 0.8, 3.9]
    assert mean("mse", y_pred, y_true) == pytest.approx(0.05, rel=1e-12)


def test_seed_003_outlier_example_mae_2_1_and_huber_1_907():
    # 003 prints MSE 20.0140 (right), MAE 2.0600 and Huber 2.5600 (both wrong). Errors are
    # 0.1, 0.2, −0.1, 0.1, 10: MSE = (0.01 + 0.04 + 0.01 + 0.01 + 100)/5 = 20.014;
    # MAE = 10.5/5 = 2.1; Huber(1) = (0.005 + 0.02 + 0.005 + 0.005 + 9.5)/5 = 1.907.
    y_true = [1.0, 2.0, 3.0, 4.0, 5.0]
    y_pred = [1.1, 2.2, 2.9, 4.1, 15.0]
    assert mean("mse", y_pred, y_true) == pytest.approx(20.014, rel=1e-12)
    assert mean("mae", y_pred, y_true) == pytest.approx(2.1, rel=1e-12)
    assert mean("huber", y_pred, y_true, delta=1.0) == pytest.approx(1.907, rel=1e-12)


def test_seed_002_mse_example():
    # 002: ((2.5 − 2)² + (3.1 − 3)² + (4.8 − 5)²)/3 = (0.25 + 0.01 + 0.04)/3 = 0.1 (printed right)
    assert mean("mse", [2.5, 3.1, 4.8], [2.0, 3.0, 5.0]) == pytest.approx(0.1, rel=1e-12)


def test_smooth_l1_by_hand_and_as_huber_over_beta():
    # beta = 1: |1| is not < 1, so 1 − 0.5 = 0.5; |−2| gives 2 − 0.5 = 1.5; mean 1.0
    assert mean("smooth-l1", beta=1.0) == 1.0
    # beta = 2: 0.5·1²/2 = 0.25 and 2 − 1 = 1, mean 0.625 = Huber(delta = 2)/2 = 1.25/2
    assert mean("smooth-l1", beta=2.0) == 0.625 == mean("huber", delta=2.0) / 2


def test_log_cosh_by_hand():
    # (log cosh 1 + log cosh 2)/2 = (0.43378 + 1.32500)/2 = 0.8793917889204458
    expected = (math.log(math.cosh(1.0)) + math.log(math.cosh(2.0))) / 2
    assert mean("log-cosh") == pytest.approx(expected, rel=1e-14)


def test_quantile_by_hand_and_half_of_mae_at_tau_one_half():
    # tau = 0.9: over by 1 costs (1 − 0.9)·1 = 0.1, under by 2 costs 0.9·2 = 1.8; mean 0.95
    assert mean("quantile", tau=0.9) == pytest.approx(0.95, rel=1e-14)
    assert mean("pinball", tau=0.5) == mean("mae") / 2 == 0.75


# ---------------------------------------------------------------------------------------------
# Classification values by hand.

# The seed 003 BCE-with-logits example: logits and 0/1 labels, as t = ±1.
LOGITS = np.array([2.3, -1.5, 0.8, -0.3, 1.7])
LABELS = np.array([1.0, -1.0, 1.0, -1.0, 1.0])


def test_squared_hinge_by_hand():
    # slacks max(0, 1 − t·p): 0, 1.5, 0.5 → squares 0, 2.25, 0.25 → mean 2.5/3
    p, t = [2.0, 0.5, 0.5], [1.0, -1.0, 1.0]
    assert mean("squared-hinge", p, t) == pytest.approx(2.5 / 3, rel=1e-15)


def test_logistic_on_the_seed_003_logits():
    # log(1 + e^(−t·z)) by math, point by point (003 prints no number): 0.2780401364766572
    expected = sum(math.log(1 + math.exp(-t * z)) for t, z in zip(LABELS, LOGITS, strict=True)) / 5
    assert mean("logistic", LOGITS, LABELS) == pytest.approx(expected, rel=1e-14)
    assert mean("bce-with-logits", LOGITS, LABELS) == mean("cross-entropy", LOGITS, LABELS)


def test_bce_matches_logistic_until_the_clip_then_saturates():
    assert mean("bce", LOGITS, LABELS) == pytest.approx(mean("logistic", LOGITS, LABELS), rel=1e-9)
    # A confident mistake, p = 30 on a negative: logistic grows (≈ 30), bce stops at −log(1e-7)
    assert mean("bce", [30.0], [-1.0]) == pytest.approx(-math.log(1e-7), rel=1e-9)
    assert mean("logistic", [30.0], [-1.0]) == pytest.approx(30.0, rel=1e-12)
    assert get_loss("bce").gradient(np.array([30.0]), np.array([-1.0])).tolist() == [0.0]


FOCAL_Q = np.array([0.1, 0.2, 0.15, 0.1, 0.05, 0.12, 0.08, 0.11, 0.85, 0.9])
FOCAL_T = np.array([-1.0] * 8 + [1.0, 1.0])


def test_focal_weights_the_classes_as_the_paper_not_as_seed_003():
    # The seed's focal_loss applies alpha = 0.25 to both classes (mean 0.000583); RetinaNet and
    # torchvision's sigmoid_focal_loss weight negatives by 1 − alpha = 0.75:
    # negatives −0.75·q²·log(1 − q), positives −0.25·(1 − q)²·log q; mean 0.0015129342921852.
    paper = (
        sum(
            -0.25 * (1 - q) ** 2 * math.log(q) if t > 0 else -0.75 * q**2 * math.log(1 - q)
            for q, t in zip(FOCAL_Q, FOCAL_T, strict=True)
        )
        / 10
    )
    assert paper == pytest.approx(0.0015129342921852, rel=1e-12)
    got = mean("focal", logit(FOCAL_Q), FOCAL_T, alpha=0.25, gamma=2.0)
    assert got == pytest.approx(paper, rel=1e-12)
    assert got != pytest.approx(0.0005828161152330303, rel=1e-3)


def test_focal_without_weighting_and_focusing_is_logistic():
    # alpha = −1 turns the class weight off; gamma = 0 removes the focusing factor.
    p = np.linspace(-40.0, 40.0, 81)
    t = np.where(np.arange(81) % 3 == 0, 1.0, -1.0)
    focal, logistic = get_loss("focal"), get_loss("logistic")
    np.testing.assert_allclose(focal.value(p, t, alpha=-1, gamma=0), logistic.value(p, t), 1e-15)
    np.testing.assert_allclose(
        focal.gradient(p, t, alpha=-1, gamma=0), logistic.gradient(p, t), rtol=1e-15
    )


def test_exponential_by_hand():
    # e^(−t·p) for t·p = 2, −0.5, −1: (e^−2 + e^0.5 + e^1)/3 = 1.5007794607985954
    expected = (math.exp(-2) + math.exp(0.5) + math.exp(1)) / 3
    assert mean("exponential", [2.0, 0.5, -1.0], [1.0, -1.0, 1.0]) == pytest.approx(expected)


def test_zero_one_counts_mistakes_and_predicts_minus_one_at_zero():
    # predictions +1, −1 (p = 0), −1, +1 against 1, 1, −1, −1: wrong at points 2 and 4
    assert mean("zero-one", [2.0, 0.0, -0.5, 0.3], [1.0, 1.0, -1.0, -1.0]) == 0.5
    assert not get_loss("zero-one").gradient(np.array([0.3, -2.0]), np.array([1.0, 1.0])).any()


def test_dice_on_the_seed_003_segmentation_example():
    # 003's masks, flattened, with q its probabilities (it prints no number). Good:
    # Σy·q = 0.9 + 0.8 + 0.8 + 0.9 = 3.4, Σy = 4, Σq = 3.9 → 1 − 7.8/8.9 = 1.1/8.9.
    # Bad: Σy·q = 0.6, Σq = 4.0 → 1 − 2.2/9 = 6.8/9.
    y01 = np.array([0, 0, 1, 1, 0, 1, 1, 0], float)
    good = np.array([0.1, 0.1, 0.9, 0.8, 0.2, 0.8, 0.9, 0.1])
    bad = np.array([0.9, 0.8, 0.1, 0.2, 0.9, 0.1, 0.2, 0.8])
    t = 2 * y01 - 1
    assert mean("dice", logit(good), t) == pytest.approx(1.1 / 8.9, rel=1e-12)
    assert mean("dice", logit(bad), t) == pytest.approx(6.8 / 9, rel=1e-12)


def test_dice_reduces_the_points_axis_itself_on_a_grid():
    dice = get_loss("dice")
    p = np.array([[[0.0, 1.0, -1.0]], [[2.0, -2.0, 0.5]]])  # (2, 1, 3): grid axes, then points
    t = np.array([1.0, -1.0, 1.0])
    grid = dice.mean(p, t, {})
    assert grid.shape == (2, 1)
    assert grid[1, 0] == dice.mean(p[1, 0], t, {})


# ---------------------------------------------------------------------------------------------
# Gradients against central finite differences, at points away from every kink.


def _smooth_points(name: str, params: dict[str, float]):
    """Random predictions and targets, keeping only points well away from the loss's kinks."""
    rng = np.random.default_rng(3)
    p = rng.uniform(-4.0, 4.0, 400)
    if name in REGRESSION:
        y = rng.uniform(-3.0, 3.0, 400)
        e = np.abs(p - y)
        kinks = [0.0, params.get("delta", 0.0), params.get("beta", 0.0)]
        keep = np.min([np.abs(e - k) for k in kinks], axis=0) > 1e-3
    else:
        y = np.where(rng.uniform(size=400) < 0.5, 1.0, -1.0)
        keep = (np.abs(1.0 - y * p) > 1e-3) & (np.abs(p) > 1e-3)
    return p[keep], y[keep]


PARAM_CASES = [
    ("huber", {"delta": 0.7}),
    ("smooth-l1", {"beta": 1.5}),
    ("quantile", {"tau": 0.2}),
    ("focal", {"alpha": 0.25, "gamma": 2.0}),
    ("focal", {"alpha": -1.0, "gamma": 0.5}),
]


@pytest.mark.parametrize(
    ("name", "params"),
    [(n, {}) for n in PER_POINT if not CATALOGUE[n].params] + PARAM_CASES,
)
def test_gradient_matches_a_central_difference(name, params):
    loss = get_loss(name)
    p, y = _smooth_points(name, params)
    h = 1e-6
    numeric = (loss.value(p + h, y, **params) - loss.value(p - h, y, **params)) / (2 * h)
    np.testing.assert_allclose(loss.gradient(p, y, **params), numeric, rtol=1e-6, atol=1e-7)


def test_dice_gradient_matches_a_central_difference_point_by_point():
    dice = get_loss("dice")
    rng = np.random.default_rng(5)
    p = rng.uniform(-3, 3, 12)
    t = np.where(rng.uniform(size=12) < 0.3, 1.0, -1.0)
    h = 1e-6
    steps = np.eye(12) * h
    numeric = (dice.mean(p + steps, t, {}) - dice.mean(p - steps, t, {})) / (2 * h)
    np.testing.assert_allclose(dice.mean_gradient(p, t, {}), numeric, rtol=1e-6, atol=1e-9)


def test_subgradient_at_a_kink_is_zero():
    zero = np.zeros(1)
    for name in ("mae", "quantile"):
        assert get_loss(name).gradient(zero, zero).tolist() == [0.0]
    assert get_loss("hinge").gradient(np.ones(1), np.ones(1)).tolist() == [0.0]


# ---------------------------------------------------------------------------------------------
# Properties.

finite = st.floats(-1e4, 1e4, allow_nan=False)
label = st.sampled_from([-1.0, 1.0])


def _params(loss, data):
    """Hyper-parameters drawn inside their ranges (focal's alpha may be the special −1)."""
    drawn = {}
    for param in loss.params:
        low = param.low if math.isfinite(param.low) else -1e3
        high = param.high if math.isfinite(param.high) else 10.0
        inside = st.floats(low, high, exclude_min=not param.low_inclusive).filter(
            lambda v, param=param: _in_range(param, v)
        )
        specials = [value for value, _ in param.special]
        drawn[param.name] = data.draw(inside | st.sampled_from(specials) if specials else inside)
    return drawn


def _in_range(param: Param, value: float) -> bool:
    try:
        param.check(value)
    except ParameterError:
        return False
    return True


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(REGRESSION), y=finite, a=st.floats(0, 1e3), b=st.floats(0, 1e3))
def test_regression_losses_vanish_at_a_perfect_fit_and_grow_with_the_error(name, y, a, b):
    loss = get_loss(name)
    params = loss.resolve_params({})
    small, large = min(a, b), max(a, b)
    at = lambda e: float(loss.value(np.array([y + e]), np.array([y]), **params)[0])  # noqa: E731
    assert at(0.0) == pytest.approx(0.0, abs=1e-12)
    for side in (1.0, -1.0):
        assert 0.0 <= at(side * small) <= at(side * large) + 1e-12 * abs(at(side * large))


@settings(max_examples=80, deadline=None)
@given(name=st.sampled_from(PER_POINT), p=finite, y=finite, t=label, data=st.data())
def test_every_per_point_loss_is_non_negative(name, p, y, t, data):
    loss = get_loss(name)
    params = _params(loss, data)
    target = y if loss.task == "regression" else t
    with np.errstate(over="ignore"):
        assert loss.value(np.array([p]), np.array([target]), **params)[0] >= 0.0


@settings(max_examples=80, deadline=None)
@given(
    name=st.sampled_from([n for n in CLASSIFICATION if n in PER_POINT]),
    a=st.floats(-50, 50),
    b=st.floats(-50, 50),
    t=label,
    data=st.data(),
)
def test_classification_losses_never_grow_as_the_margin_grows(name, a, b, t, data):
    loss = get_loss(name)
    params = _params(loss, data)
    low, high = min(a, b), max(a, b)  # margins t·p
    at = lambda z: float(loss.value(np.array([z * t]), np.array([t]), **params)[0])  # noqa: E731
    assert at(high) <= at(low) * (1 + 1e-12) + 1e-300


@settings(max_examples=40, deadline=None)
@given(p=st.lists(finite, min_size=1, max_size=20), data=st.data())
def test_dice_lies_in_zero_one(p, data):
    t = np.array(data.draw(st.lists(label, min_size=len(p), max_size=len(p))))
    assert 0.0 <= mean("dice", p, t) < 1.0


# ---------------------------------------------------------------------------------------------
# Stability: |p| up to 1e4.

EXTREMES = np.array([-1e4, -745.0, -40.0, 0.0, 40.0, 745.0, 1e4])


@pytest.mark.parametrize(
    "name", ["logistic", "focal", "log-cosh", "bce", "squared-hinge", "dice", "smooth-l1"]
)
def test_large_scores_give_finite_values_and_gradients_without_warnings(name):
    loss = get_loss(name)
    params = loss.resolve_params({})
    for target in (1.0, -1.0):
        y = np.full(EXTREMES.shape, target)
        with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
            warnings.simplefilter("error")
            value = loss.mean(EXTREMES, y, params)
            gradient = loss.mean_gradient(EXTREMES, y, params)
        assert np.isfinite(value).all() and np.isfinite(gradient).all()


def test_logistic_and_focal_are_exact_far_out():
    # A mistake by 1e4: log(1 + e^1e4) = 1e4 + log1p(e^−1e4) = 1e4 exactly in float64.
    p, t = np.array([1e4]), np.array([-1.0])
    assert get_loss("logistic").value(p, t).tolist() == [1e4]
    assert get_loss("logistic").gradient(p, t).tolist() == [1.0]
    # focal (alpha = 0.25 → 0.75 for a negative, gamma = 2): (1 − q_t)^2 = 1, so 0.75·1e4
    assert get_loss("focal").value(p, t, alpha=0.25, gamma=2.0).tolist() == [7500.0]
    assert get_loss("log-cosh").value(p, np.zeros(1)).tolist() == [1e4 - math.log(2)]


def test_exponential_overflows_to_an_honest_inf_quietly():
    loss = get_loss("exponential")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = loss.value(np.array([-1e4, 1e4]), np.array([1.0, 1.0]))
        gradient = loss.gradient(np.array([-1e4, 1e4]), np.array([1.0, 1.0]))
    assert value.tolist() == [math.inf, 0.0]
    assert gradient.tolist() == [-math.inf, -0.0]


# ---------------------------------------------------------------------------------------------
# Parameter ranges.


@pytest.mark.parametrize(
    ("name", "params", "field", "message"),
    [
        ("smooth-l1", {"beta": 0.0}, "beta", "must be > 0, got 0"),
        ("quantile", {"tau": 1.0}, "tau", "must be in (0, 1), got 1"),
        ("quantile", {"tau": 0.0}, "tau", "must be in (0, 1), got 0"),
        ("focal", {"gamma": -0.5}, "gamma", "must be >= 0, got -0.5"),
        (
            "focal",
            {"alpha": 1.5},
            "alpha",
            "must be in [0, 1], or -1 for no class weighting, got 1.5",
        ),
        (
            "focal",
            {"alpha": -0.5},
            "alpha",
            "must be in [0, 1], or -1 for no class weighting, got -0.5",
        ),
        ("focal", {"gamma": math.nan}, "gamma", "must be >= 0, got nan"),
    ],
)
def test_out_of_range_parameters_name_the_range(name, params, field, message):
    with pytest.raises(ParameterError) as error:
        get_loss(name).resolve_params(params)
    assert (error.value.field, error.value.message) == (field, message)


def test_focal_alpha_accepts_its_ends_and_the_special_minus_one():
    focal = get_loss("focal")
    for alpha in (0.0, 1.0, -1.0):
        assert focal.resolve_params({"alpha": alpha}) == {"alpha": alpha, "gamma": 2.0}
