"""`losscli landscape -l NAME --smoothing EPS`: the loss trained, swept on the plane and the
line, recorded and titled; checked against losses written out again here, and refusals."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from losscli.catalogue.multiclass import ONE_HOT_MSE
from losscli.data.class_sets import blobs, class_set
from losscli.descent.optimizers import OPTIMIZERS
from losscli.models.network import Network
from losscli.models.training import train

BASE = ("landscape", "--points", "60")
SMALL = (*BASE, "--hidden", "6", "--steps", "15", "--seed", "4")


def as_json(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def independent_logits(sizes, theta, features):
    """The tanh MLP's logits written out again: layers read from θ in order, W (fan_in ×
    fan_out) row-major then b."""
    a, start = features, 0
    layers = list(itertools.pairwise(sizes))
    for k, (fan_in, fan_out) in enumerate(layers):
        weights = theta[start : start + fan_in * fan_out].reshape(fan_in, fan_out)
        start += fan_in * fan_out
        a = a @ weights + theta[start : start + fan_out]
        start += fan_out
        if k < len(layers) - 1:
            a = np.tanh(a)
    return a


def independent_probabilities(sizes, theta, features):
    logits = independent_logits(sizes, theta, features)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def brier(sizes, theta, data) -> float:
    """The multi-class Brier score (Brier 1950): mean over points of Σ_k (p_k − y_k)²."""
    p = independent_probabilities(sizes, theta, data.features)
    y = np.zeros_like(p)
    y[np.arange(len(data.labels)), data.labels] = 1.0
    return float(np.mean(np.sum((p - y) ** 2, axis=1)))


def smoothed_cross_entropy(sizes, theta, data, eps) -> float:
    """PyTorch's label_smoothing (docs of torch.nn.CrossEntropyLoss): target (1 − ε)·one-hot
    + ε/K, loss −Σ_k q_k·log p_k, mean over points."""
    p = independent_probabilities(sizes, theta, data.features)
    k = p.shape[1]
    q = np.full_like(p, eps / k)
    q[np.arange(len(data.labels)), data.labels] += 1.0 - eps
    return float(np.mean(-np.sum(q * np.log(p), axis=1)))


def test_one_hot_mse_cell_zero_is_the_brier_score_at_the_trained_weights(invoke, tmp_path):
    saved = tmp_path / "net.json"
    args = (*SMALL, "-l", "one-hot-mse", "--grid-steps", "5", "--format", "json")
    [record] = as_json(invoke(*args, "--save-weights", str(saved)))["surfaces"]
    weights = json.loads(saved.read_text())
    sizes, theta = weights["sizes"], np.array(weights["theta"])
    data = blobs(points=60, classes=3, seed=4)
    values = np.array(record["values"])
    assert record["alpha"][2] == 0.0 and record["beta"][2] == 0.0
    assert values[2, 2] == pytest.approx(brier(sizes, theta, data), rel=1e-12, abs=0)
    assert record["training"]["final_loss"] == pytest.approx(values[2, 2], rel=1e-12)
    start = Network((2, 6, 3), "tanh").initial(4)
    assert record["training"]["initial_loss"] == pytest.approx(brier(sizes, start, data), rel=1e-12)
    assert record["loss"] == "one-hot-mse"
    assert record["params"] == {}
    assert record["title"] == "one-hot-mse: mlp 2-6-3 tanh on blobs, random plane"


def test_training_descends_the_loss_chosen(invoke, tmp_path):
    saved = tmp_path / "net.json"
    args = (*SMALL, "-l", "brier", "--grid-steps", "2", "--format", "csv")
    assert invoke(*args, "--save-weights", str(saved)).exit_code == 0
    data = blobs(points=60, classes=3, seed=4)
    network = Network((2, 6, 3), "tanh")
    gd = OPTIMIZERS["gd"].transformation(lr=0.1)
    expected = train(network, data, gd, steps=15, seed=4, loss=ONE_HOT_MSE).theta
    np.testing.assert_array_equal(np.array(json.loads(saved.read_text())["theta"]), expected)


def test_smoothing_is_trained_swept_recorded_and_titled(invoke, tmp_path):
    saved = tmp_path / "net.json"
    args = (*SMALL, "--smoothing", "0.1", "--grid-steps", "3", "--format", "json")
    [record] = as_json(invoke(*args, "--save-weights", str(saved)))["surfaces"]
    weights = json.loads(saved.read_text())
    theta = np.array(weights["theta"])
    data = blobs(points=60, classes=3, seed=4)
    expected = smoothed_cross_entropy(weights["sizes"], theta, data, 0.1)
    assert record["values"][1][1] == pytest.approx(expected, rel=1e-12, abs=0)
    assert record["loss"] == "cross-entropy"
    assert record["params"] == {"smoothing": 0.1}
    assert record["title"] == "cross-entropy (smoothing=0.1): mlp 2-6-3 tanh on blobs, random plane"


def test_the_default_records_cross_entropy_without_smoothing(invoke):
    [record] = as_json(invoke(*SMALL, "--grid-steps", "2", "--format", "json"))["surfaces"]
    assert (record["loss"], record["params"]) == ("cross-entropy", {"smoothing": 0.0})
    assert record["title"].startswith("cross-entropy: mlp 2-6-3")


def test_logistic_on_two_classes_is_cross_entropy_cell_for_cell(invoke):
    """Softmax at K = 2 is σ(z1 − z0): cross-entropy is logistic on p = z1 − z0, t = ±1."""
    args = ("landscape", "--dataset", "moons", "--points", "80", "--hidden", "5")
    args = (*args, "--steps", "20", "--grid-steps", "6", "--format", "json")
    [ce] = as_json(invoke(*args))["surfaces"]
    [logistic] = as_json(invoke(*args, "-l", "logistic"))["surfaces"]
    np.testing.assert_allclose(logistic["values"], ce["values"], rtol=1e-12, atol=0)
    assert logistic["training"]["final_loss"] == pytest.approx(
        ce["training"]["final_loss"], rel=1e-12
    )
    assert (logistic["loss"], logistic["params"]) == ("logistic", {})
    assert logistic["title"] == "logistic: mlp 2-5-2 tanh on moons, random plane"


def test_a_binary_loss_on_the_line_scores_z1_minus_z0(invoke, tmp_path):
    """hinge on moons along θ0 → θ*: at t = 1 the mean of max(0, 1 − t·(z1 − z0))."""
    saved = tmp_path / "net.json"
    args = ("landscape", "--dataset", "moons", "--points", "50", "--hidden", "4", "--steps")
    args = (*args, "10", "--line", "-l", "hinge", "--span", "0", "1", "--grid-steps", "3")
    document = as_json(invoke(*args, "--format", "json", "--save-weights", str(saved)))
    line = document["line"]
    weights = json.loads(saved.read_text())
    data = class_set("moons", points=50, classes=None, seed=0)
    z = independent_logits(weights["sizes"], np.array(weights["theta"]), data.features)
    t = 2.0 * data.labels - 1.0
    expected = float(np.mean(np.maximum(0.0, 1.0 - t * (z[:, 1] - z[:, 0]))))
    assert line["t"] == [0.0, 0.5, 1.0]
    assert line["values"][2] == pytest.approx(expected, rel=1e-12, abs=0)
    assert (line["loss"], line["params"]) == ("hinge", {})
    assert line["title"] == "hinge: mlp 2-4-2 tanh on moons, initial → trained"


@pytest.mark.parametrize(
    ("extra", "option", "message"),
    [
        (
            ("-l", "hinge"),
            "'-l' / '--loss'",
            "hinge scores two classes (on z1 − z0); the data has 3: use cross-entropy or "
            "one-hot-mse",
        ),
        (
            ("-l", "nope"),
            "'-l' / '--loss'",
            "unknown multi-class loss 'nope'; known: cross-entropy, one-hot-mse, or a "
            "classification loss for K = 2",
        ),
        (
            ("-l", "dice", "--classes", "2"),
            "'-l' / '--loss'",
            "dice cannot score K logits (not per point)",
        ),
        (
            ("-l", "mse"),
            "'-l' / '--loss'",
            "mse cannot score K logits (not a classification loss)",
        ),
        (("-l", "brier", "--smoothing", "0.1"), "'--smoothing'", "one-hot-mse takes no smoothing"),
        (
            ("-l", "logistic", "--classes", "2", "--smoothing", "0"),
            "'--smoothing'",
            "logistic takes no smoothing",
        ),
        (("--smoothing", "1.5"), "'--smoothing'", "must be in [0, 1], got 1.5"),
    ],
)
def test_a_loss_that_cannot_be_drawn_is_a_one_line_usage_error(invoke, extra, option, message):
    result = invoke(*SMALL, *extra)
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == f"Error: Invalid value for {option}: {message}"
    assert "Traceback" not in result.output
