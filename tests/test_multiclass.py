"""Multi-class losses: softmax cross-entropy against hand-computed values, torch where installed
and finite differences; one-hot MSE; the line's classification losses at K = 2."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from losscli.catalogue import get_loss
from losscli.catalogue.multiclass import (
    CROSS_ENTROPY,
    MULTICLASS,
    ONE_HOT_MSE,
    binary,
    cross_entropy,
    cross_entropy_gradient,
    get_multiclass,
    log_softmax,
    one_hot_mse,
    one_hot_mse_gradient,
    softmax,
    targets,
)
from losscli.errors import ParameterError

LOGITS = np.array([[2.0, 1.0, 0.1], [0.5, -1.5, 3.0], [-2.0, 0.0, 0.25], [1e-3, 7.0, -4.0]])
LABELS = np.array([0, 2, 1, 0], dtype=np.int64)


def reference(z: list[float], label: int, smoothing: float = 0.0) -> float:
    """−Σ_k q_k·log softmax(z)_k from its definition, in exact-as-can-be scalar arithmetic:
    log softmax(z)_k = (z_k − m) − log1p(Σ_{j≠top} e^(z_j − m)), m = z_top the largest, the
    sums by math.fsum, the terms kept apart so nothing cancels."""
    top = z.index(max(z))
    m = z[top]
    log_rest = math.log1p(math.fsum(math.exp(v - m) for j, v in enumerate(z) if j != top))
    q = [(1 - smoothing) * (k == label) + smoothing / len(z) for k in range(len(z))]
    return math.fsum(
        [*(-qk * (zk - m) for qk, zk in zip(q, z, strict=True)), math.fsum(q) * log_rest]
    )


def test_the_seeds_softmax_and_cross_entropy():
    # Seed 001 ("Softmax: turning scores into probabilities"): softmax([2, 1, 0.1]) prints
    # [0.659, 0.242, 0.099]; −log(0.659001…) = 0.417030… (e²/(e² + e + e^0.1) by hand).
    probabilities = softmax(np.array([2.0, 1.0, 0.1]))
    assert np.round(probabilities, 3).tolist() == [0.659, 0.242, 0.099]
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-15)
    value = cross_entropy(np.array([[2.0, 1.0, 0.1]]), np.array([0]))
    assert value[0] == pytest.approx(0.4170300, abs=5e-8)
    expected = -math.log(math.exp(2) / (math.exp(2) + math.exp(1) + math.exp(0.1)))
    assert value[0] == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("smoothing", [0.0, 0.1, 0.5, 1.0])
def test_cross_entropy_equals_its_definition_summed_exactly(smoothing):
    values = cross_entropy(LOGITS, LABELS, smoothing=smoothing)
    expected = [
        reference(z, int(y), smoothing) for z, y in zip(LOGITS.tolist(), LABELS, strict=True)
    ]
    assert values == pytest.approx(expected, rel=1e-14, abs=1e-15)


def test_label_smoothing_is_pytorchs():
    # PyTorch's docs: with label_smoothing ε the targets become (1 − ε)·one-hot + ε/K;
    # for K = 4, ε = 0.2 and class 1: [0.05, 0.85, 0.05, 0.05].
    assert targets(np.array([1]), 4, smoothing=0.2)[0] == pytest.approx([0.05, 0.85, 0.05, 0.05])
    # So the loss is (1 − ε)·CE + ε·mean_k(−log softmax(z)_k), as torch computes it.
    plain = cross_entropy(LOGITS, LABELS)
    uniform = -log_softmax(LOGITS).mean(axis=-1)
    smoothed = cross_entropy(LOGITS, LABELS, smoothing=0.3)
    assert smoothed == pytest.approx(0.7 * plain + 0.3 * uniform, rel=1e-14)


def test_cross_entropy_equals_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    logits = rng.normal(0.0, 4.0, (64, 5))
    labels = rng.integers(0, 5, 64)
    for smoothing in (0.0, 0.15):
        ours = np.mean(cross_entropy(logits, labels, smoothing=smoothing))
        z = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
        theirs = torch.nn.functional.cross_entropy(
            z, torch.tensor(labels), label_smoothing=smoothing
        )
        theirs.backward()
        assert ours == pytest.approx(theirs.item(), rel=1e-12)
        gradient = cross_entropy_gradient(logits, labels, smoothing=smoothing) / len(labels)
        assert np.allclose(gradient, z.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_extreme_logits_stay_finite_and_quiet():
    logits = np.array([[1e4, 0.0, -1e4], [1e4, 0.0, -1e4], [-1e4, -1e4, -1e4]])
    labels = np.array([0, 2, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = cross_entropy(logits, labels)
        smoothed = cross_entropy(logits, labels, smoothing=0.1)
        gradient = cross_entropy_gradient(logits, labels)
        mse = one_hot_mse(logits, labels)
        mse_gradient = one_hot_mse_gradient(logits, labels)
    # −log softmax: 0 for the sure class, 2e4 for the one 2e4 below it; ties: log 3 (as
    # log1p(2), which libm rounds to either neighbour of the true 1.09861228866810969…).
    assert values.tolist()[:2] == [0.0, 2e4]
    assert values[2] == pytest.approx(math.log(3), rel=3e-16)
    assert smoothed[0] == pytest.approx(0.1 / 3 * (1e4 + 2e4))
    assert gradient[1].tolist() == [1.0, 0.0, -1.0]
    assert mse.tolist() == [0.0, 2.0, pytest.approx(2 / 3)]
    assert np.all(np.isfinite(mse_gradient))


def test_a_loss_near_zero_keeps_its_digits():
    # −log softmax([19.5, 0])_0 = log(1 + e^−19.5) = 3.3982678e-9: log1p keeps every digit
    # where log of the sum 1.0000000034 would keep eight.
    value = cross_entropy(np.array([[19.5, 0.0]]), np.array([0]))[0]
    assert value == pytest.approx(math.log1p(math.exp(-19.5)), rel=1e-15)


def central_difference(function, logits, labels, step=1e-6):
    """d/dz of the per-point loss by central differences, one logit at a time."""
    slopes = np.empty_like(logits)
    for k in range(logits.shape[-1]):
        bump = np.zeros(logits.shape[-1])
        bump[k] = step
        slopes[..., k] = (function(logits + bump, labels) - function(logits - bump, labels)) / (
            2 * step
        )
    return slopes


@pytest.mark.parametrize(
    ("value", "gradient"),
    [
        (cross_entropy, cross_entropy_gradient),
        (
            lambda z, y: cross_entropy(z, y, smoothing=0.2),
            lambda z, y: cross_entropy_gradient(z, y, smoothing=0.2),
        ),
        (one_hot_mse, one_hot_mse_gradient),
    ],
)
def test_gradients_match_central_differences(value, gradient):
    expected = central_difference(value, LOGITS, LABELS)
    assert np.allclose(gradient(LOGITS, LABELS), expected, rtol=1e-7, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-30, 30), min_size=2, max_size=6),
    st.data(),
)
def test_cross_entropy_gradient_is_softmax_minus_target(z, data):
    label = data.draw(st.integers(0, len(z) - 1))
    logits = np.array([z])
    gradient = cross_entropy_gradient(logits, np.array([label]))[0]
    assert gradient.sum() == pytest.approx(0.0, abs=1e-15 * len(z))
    assert -1.0 <= gradient[label] <= 0.0
    assert cross_entropy(logits, np.array([label]))[0] == pytest.approx(
        reference(z, label), rel=1e-13, abs=1e-15
    )


def test_one_hot_mse_is_squared_error_on_the_probabilities():
    # The seed's softmax([2, 1, 0.1]) against class 0: (0.659 − 1)² + 0.242² + 0.099².
    p = [math.exp(v) / math.fsum(math.exp(u) for u in (2, 1, 0.1)) for v in (2, 1, 0.1)]
    expected = math.fsum([(p[0] - 1) ** 2, p[1] ** 2, p[2] ** 2])
    assert one_hot_mse(np.array([[2.0, 1.0, 0.1]]), np.array([0]))[0] == pytest.approx(
        expected, rel=1e-14
    )
    assert expected == pytest.approx(0.18477, abs=1e-5)  # 0.341² + 0.2424² + 0.0986²


@pytest.mark.parametrize(
    "name", ["logistic", "hinge", "squared-hinge", "focal", "exponential", "bce"]
)
def test_line_losses_score_two_logits_by_their_difference(name):
    line = get_loss(name)
    two = binary(line)
    logits = np.array([[0.3, 1.2], [2.0, -0.5], [-1.0, -1.0], [0.0, 4.0]])
    labels = np.array([1, 0, 1, 0])
    params = line.resolve_params({})
    p, t = logits[:, 1] - logits[:, 0], 2.0 * labels - 1.0
    assert np.array_equal(two.value(logits, labels, **params), line.value(p, t, **params))
    slope = line.gradient(p, t, **params)
    assert np.array_equal(two.gradient(logits, labels, **params), np.column_stack([-slope, slope]))
    assert two.classes == 2 and two.task == "binary"


def test_softmax_cross_entropy_at_two_classes_is_logistic():
    logits = np.array([[0.3, 1.2], [2.0, -0.5], [-30.0, 30.0], [5.0, 5.0]])
    labels = np.array([1, 0, 0, 1])
    logistic = binary(get_loss("logistic"))
    assert cross_entropy(logits, labels) == pytest.approx(logistic.value(logits, labels), rel=1e-15)
    assert np.allclose(
        cross_entropy_gradient(logits, labels), logistic.gradient(logits, labels), atol=1e-16
    )


def test_the_multiclass_registry():
    assert list(MULTICLASS) == ["cross-entropy", "one-hot-mse"]
    assert get_multiclass("CE") is CROSS_ENTROPY and get_multiclass("brier") is ONE_HOT_MSE
    # the line catalogue's "cross-entropy" is logistic; here it is softmax's (equal at K = 2)
    assert get_multiclass("cross-entropy") is CROSS_ENTROPY
    assert get_multiclass("hinge").classes == 2
    assert CROSS_ENTROPY.resolve_params({}) == {"smoothing": 0.0}
    with pytest.raises(ParameterError) as caught:
        get_multiclass("mse")
    assert caught.value.message == "mse cannot score K logits (not a classification loss)"
    with pytest.raises(ParameterError) as caught:
        get_multiclass("dice")
    assert caught.value.message == "dice cannot score K logits (not per point)"
    with pytest.raises(ParameterError) as caught:
        get_multiclass("nope")
    assert caught.value.message == (
        "unknown multi-class loss 'nope'; known: cross-entropy, one-hot-mse, or a "
        "classification loss for K = 2"
    )


@pytest.mark.parametrize(
    ("call", "field", "message"),
    [
        (
            lambda: CROSS_ENTROPY.resolve_params({"smoothing": 1.5}),
            "smoothing",
            "must be in [0, 1], got 1.5",
        ),
        (
            lambda: ONE_HOT_MSE.resolve_params({"smoothing": 0.1}),
            "smoothing",
            "one-hot-mse takes no smoothing",
        ),
        (
            lambda: CROSS_ENTROPY.check_classes(1),
            "logits",
            "need at least 2 logits (classes), got 1",
        ),
        (
            lambda: get_multiclass("hinge").check_classes(3),
            "logits",
            "hinge scores 2 classes, got 3 logits",
        ),
    ],
)
def test_what_a_multiclass_loss_refuses(call, field, message):
    with pytest.raises(ParameterError) as caught:
        call()
    assert (caught.value.field, caught.value.message) == (field, message)
