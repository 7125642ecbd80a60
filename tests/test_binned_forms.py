"""bce and dice by the binned sweep (losscli.engine.binned_forms): logistic's sums with bce's
two kinks corrected exactly, dice as a ratio of two binned sums.

Every value within the declared bound (≤ 1e-12) of `--method direct`, whose bce and dice are
written without cancellation (so their own rounding is about 1e-15, not the 1e-9 of −log of a
probability near 1), on data placed to hurt: points on the kinks, one class, far out, and a
window reaching past both kinks.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from conftest import method_for
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from losscli.catalogue import get_loss
from losscli.catalogue.classification import BCE_CLIP, BCE_FORM
from losscli.data.dataset import Dataset
from losscli.data.synthetic import synthetic_classification
from losscli.engine import Axis, binned, binned_forms, sweep
from losscli.errors import ParameterError

OWN_ROUNDING = 1e-14
"""The direct evaluation's own rounding, allowed beside the declared bound (as test_binned)."""


def dataset(x, y) -> Dataset:
    return Dataset(np.asarray(x, float), np.asarray(y, float), "test", {"kind": "test"})


def check(name, data, w1, w2):
    """Binned against direct: within the bound it declares, which is at most 1e-12."""
    loss = get_loss(name)
    fast = sweep(loss, {}, data, w1, w2, method="binned")
    exact = sweep(loss, {}, data, w1, w2, method="direct")
    assert fast.method == "binned" and exact.method == "direct"
    assert fast.error is not None and 0.0 <= fast.error <= binned.TOLERANCE
    assert np.all(np.isfinite(exact.values))
    difference = np.abs(fast.values - exact.values) / np.abs(exact.values)
    assert float(difference.max()) <= fast.error + OWN_ROUNDING
    return fast, exact


def test_bce_is_logistic_of_the_clipped_margin():
    # independently: −log of the probability clipped in [1e-7, 1 − 1e-7], in Python's
    # arbitrary-precision-free but separate arithmetic (math.log of the clipped sigmoid), where
    # that is accurate (below z = 5 its −log keeps 12 digits)
    low, high = BCE_FORM.kinks()
    assert low == pytest.approx(-math.log((1 - BCE_CLIP) / BCE_CLIP), rel=1e-15)
    assert high == pytest.approx(math.log((1 - BCE_CLIP) / BCE_CLIP), rel=1e-9)
    loss = get_loss("bce")
    for z in (-40.0, -16.2, -16.0, -3.0, 0.0, 2.5, 4.9):
        q = min(max(1 / (1 + math.exp(-z)), BCE_CLIP), 1 - BCE_CLIP)
        for t in (1.0, -1.0):
            value = float(loss.value(np.array([z * t]), np.array([t]))[0])
            assert value == pytest.approx(-math.log(q), rel=1e-12)
    # saturated: exactly the clip's constants
    assert loss.value(np.array([-100.0]), np.array([1.0]))[0] == pytest.approx(-math.log(1e-7))
    top = float(loss.value(np.array([100.0]), np.array([1.0]))[0])
    assert top == pytest.approx(-math.log1p(-1e-7), rel=1e-9)
    # the old −log(clip(σ)) lost digits near the upper kink; this keeps them: σ(−z) = e^(−z)
    # to 1e-14 there, and log1p(e^(−z)) to 1e-14 of e^(−z)
    z = 15.0
    assert float(loss.value(np.array([z]), np.array([1.0]))[0]) == pytest.approx(
        math.log1p(math.exp(-z)), rel=1e-15
    )


def test_dice_is_the_error_mass_over_the_total():
    # 1 − (2·Σ y01·q + 1)/(Σ y01 + Σ q + 1), written out with math.fsum
    rng = np.random.default_rng(3)
    p, t = rng.normal(0, 3, 40), np.where(rng.random(40) < 0.4, -1.0, 1.0)
    q = [1 / (1 + math.exp(-v)) for v in p]
    y01 = [(v + 1) / 2 for v in t]
    overlap = 2 * math.fsum(a * b for a, b in zip(y01, q, strict=True)) + 1
    total = math.fsum(y01) + math.fsum(q) + 1
    assert float(get_loss("dice").value(p, t)) == pytest.approx(1 - overlap / total, rel=1e-14)


def test_which_forms_it_assembles():
    assert binned_forms.fits(get_loss("bce")) and binned_forms.fits(get_loss("dice"))
    for name in ("logistic", "mae", "hinge", "log-cosh", "expr:log(1 + exp(-y*p))"):
        assert not binned_forms.fits(get_loss(name)), name


@pytest.mark.parametrize("name", ["bce", "dice"])
@pytest.mark.parametrize("n", [1, 40, 3000])
def test_synthetic_data_default_and_wide_windows(name, n):
    data = synthetic_classification(n=n, flip=0.1)
    check(name, data, Axis("w1", -2, 4, 41), Axis("w2", -2, 4, 37))
    # far past both kinks: |p| up to 8·3 + 30
    check(name, data, Axis("w1", -8, 8, 33), Axis("w2", -30, 30, 61))


def test_bce_with_every_point_on_a_kink():
    # x = 1 (and a hair either side): p = w1 + w2 crosses ±16.118 on a diagonal of the grid,
    # and on row/column steps that put points exactly on the kink's grid row
    rng = np.random.default_rng(1)
    x = 1.0 + rng.choice([0.0, 1e-9, -1e-9, 1e-3], 400)
    y = np.where(rng.random(400) < 0.5, -1.0, 1.0)
    low, high = BCE_FORM.kinks()
    check("bce", dataset(x, y), Axis("w1", 0, 20, 41), Axis("w2", -4, 4, 41))
    # positives alone: somewhere every point is beyond the upper kink, the mean the clip's
    # constant (1e-7), and the relative bound still holds there
    _, exact = check("bce", dataset(x, np.ones(400)), Axis("w1", 0, 20, 41), Axis("w2", -4, 4, 41))
    assert exact.values.min() < 1e-6
    check("bce", dataset(x, y), Axis("w1", high - 1, high + 1, 21), Axis("w2", -1, 1, 21))
    check("bce", dataset(x, y), Axis("w1", low - 1, low + 1, 21), Axis("w2", -1, 1, 21))


@pytest.mark.parametrize("label", [1.0, -1.0])
@pytest.mark.parametrize("name", ["bce", "dice"])
def test_one_class_only(name, label):
    rng = np.random.default_rng(8)
    x = rng.uniform(-3, 3, 500)
    check(name, dataset(x, np.full(500, label)), Axis("w1", -10, 10, 41), Axis("w2", -40, 40, 81))


@pytest.mark.parametrize("name", ["bce", "dice"])
def test_large_and_small_x(name):
    rng = np.random.default_rng(4)
    x = np.concatenate([rng.uniform(-1e-6, 1e-6, 100), rng.uniform(-40, 40, 100)])
    y = np.where(rng.random(200) < 0.5, -1.0, 1.0)
    check(name, dataset(x, y), Axis("w1", -2, 2, 31), Axis("w2", -20, 20, 41))
    check(name, dataset(x, y), Axis("w1", -1, 1, 3), Axis("w2", -20, 20, 41))  # w1 = 0 in it


@st.composite
def problems(draw):
    """Random labelled data, some of it on or past the kinks, and a random window."""
    name = draw(st.sampled_from(["bce", "dice"]))
    n = draw(st.integers(1, 150))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.uniform(-2, 2, n) * draw(st.sampled_from([0.0, 0.01, 1.0, 5.0]))
    y = {
        "both": np.where(rng.random(n) < 0.5, -1.0, 1.0),
        "positive": np.ones(n),
        "negative": -np.ones(n),
    }[draw(st.sampled_from(["both", "positive", "negative"]))]
    low1 = draw(st.floats(-12, 10))
    low2 = draw(st.floats(-30, 20))
    w1 = Axis("w1", low1, low1 + draw(st.floats(0.01, 10)), draw(st.integers(2, 25)))
    w2 = Axis("w2", low2, low2 + draw(st.floats(0.01, 30)), draw(st.integers(2, 25)))
    return name, dataset(x, y), w1, w2


@settings(max_examples=80, deadline=None)
@given(problems())
def test_binned_equals_direct_on_random_problems(problem):
    name, data, w1, w2 = problem
    try:
        check(name, data, w1, w2)
    except ParameterError as error:  # refused for this data: then it says why
        assert error.message.startswith("binned cannot bound its error here")
        assume(False)


def test_decayed_prefix_is_a_running_sum_with_decay():
    # against the definition written as a double loop
    rng = np.random.default_rng(0)
    values = rng.random((75, 3))
    for rate in (0.0, 0.01, 0.7):
        expected = np.array(
            [
                [
                    sum(math.exp(-rate * (j - b)) * values[b, c] for b in range(j + 1))
                    for c in range(3)
                ]
                for j in range(75)
            ]
        )
        np.testing.assert_allclose(binned_forms.decayed_prefix(values, rate), expected, rtol=1e-14)


def test_auto_takes_binned_for_bce_and_dice_where_direct_would_be_long():
    for name in ("bce", "dice"):
        assert method_for(name, 10**6, 1001) == "binned"
        assert method_for(name, 10**5, 1001) == "binned"
        assert method_for(name, 40, 21) == "direct"
        assert method_for(name, 2000, 101) == "direct"
        assert method_for(name, 40, 21, "binned") == "binned"
    assert method_for("mae", 10**6, 1001) == "piecewise"  # exact methods stay first


def test_cli_records_the_method_and_bound(invoke):
    for name in ("bce", "dice"):
        args = ("surface", "-l", name, "--n", "2000", "--steps", "41", "--format", "json")
        args += ("--w2-range", "-20", "20")
        fast = json.loads(invoke(*args, "--method", "binned").output)["surfaces"][0]
        exact = json.loads(invoke(*args, "--method", "direct").output)["surfaces"][0]
        assert (fast["method"], exact["method"]) == ("binned", "direct")
        assert 0.0 < fast["error_bound"] <= 1e-12
        for row_fast, row_exact in zip(fast["values"], exact["values"], strict=True):
            for a, b in zip(row_fast, row_exact, strict=True):
                assert abs(a - b) <= (fast["error_bound"] + OWN_ROUNDING) * abs(b)
