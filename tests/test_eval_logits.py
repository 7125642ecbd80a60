"""`losscli eval --logits`: a multi-class loss at one point's logits, as text and JSON."""

from __future__ import annotations

import json
import math

import pytest
from conftest import usage_error


def records(invoke, *args: str) -> list[dict]:
    result = invoke("eval", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_the_seeds_example_as_text(invoke):
    # Seed 001: softmax([2, 1, 0.1]) = [0.659, 0.242, 0.099]; −log 0.659001 = 0.41703;
    # dL/dz = softmax − one-hot = [−0.340999, 0.242433, 0.0985659].
    result = invoke("eval", "-l", "cross-entropy", "--logits", "2,1,0.1", "--label", "0")
    assert result.exit_code == 0
    assert result.output == (
        "Cross-entropy: 0.41703\n"
        "class      logit    softmax      dL/dz\n"
        "0 (label)      2   0.659001  -0.340999\n"
        "1              1   0.242433   0.242433\n"
        "2            0.1  0.0985659  0.0985659\n"
    )


def test_json_keeps_full_precision(invoke):
    [record] = records(invoke, "--logits", "2,1,0.1", "--label", "0", "--smoothing", "0.1")
    total = math.fsum(math.exp(v) for v in (2, 1, 0.1))
    softmax = [math.exp(v) / total for v in (2, 1, 0.1)]
    assert record["loss"] == "cross-entropy" and record["params"] == {"smoothing": 0.1}
    assert record["logits"] == [2.0, 1.0, 0.1] and record["label"] == 0
    assert record["softmax"] == pytest.approx(softmax, rel=1e-15)
    # smoothing 0.1 over K = 3: q = [0.9 + 0.1/3, 0.1/3, 0.1/3]
    q = [0.9 + 0.1 / 3, 0.1 / 3, 0.1 / 3]
    expected = -math.fsum(qk * math.log(pk) for qk, pk in zip(q, softmax, strict=True))
    assert record["value"] == pytest.approx(expected, rel=1e-14)
    assert record["gradient"] == pytest.approx(
        [p - t for p, t in zip(softmax, q, strict=True)], rel=1e-14
    )


def test_several_losses_and_the_line_ones_at_two_classes(invoke):
    rows = records(
        invoke, "-l", "ce", "-l", "brier", "-l", "logistic", "--logits", "0.5,-1", "--label", "1"
    )
    assert [r["loss"] for r in rows] == ["cross-entropy", "one-hot-mse", "logistic"]
    # logistic on p = z1 − z0 = −1.5 with t = +1 is log(1 + e^1.5), softmax's −log q_1 too
    assert rows[2]["value"] == pytest.approx(math.log1p(math.exp(1.5)), rel=1e-15)
    assert rows[0]["value"] == pytest.approx(rows[2]["value"], rel=1e-15)
    # one-hot MSE at K = 2: (q0 − 0)² + (q1 − 1)² = 2·q0², q0 = sigmoid(1.5)
    q0 = 1 / (1 + math.exp(-1.5))
    assert rows[1]["value"] == pytest.approx(2 * q0 * q0, rel=1e-14)


def test_extreme_logits_and_an_overflow_in_json(invoke):
    rows = records(invoke, "-l", "ce", "-l", "exponential", "--logits", "-1e4,1e4", "--label", "0")
    assert rows[0]["value"] == 2e4 and rows[0]["gradient"] == [-1.0, 1.0]
    assert rows[1]["value"] is None and rows[1]["gradient"] == [None, None]


def test_negative_logits_are_read(invoke):
    [record] = records(invoke, "--logits", "-1,-2", "--label", "1")
    assert record["logits"] == [-1.0, -2.0]


@pytest.mark.parametrize(
    ("args", "option", "message"),
    [
        (
            ["--logits", "2,1,0.1", "--label", "3"],
            "--label",
            "must be a class index 0 to 2 for 3 logits, got 3",
        ),
        (
            ["--logits", "2,1,0.1", "--label", "-1"],
            "--label",
            "must be a class index 0 to 2 for 3 logits, got -1",
        ),
        (["--logits", "2", "--label", "0"], "--logits", "need at least 2 logits (classes), got 1"),
        (
            ["--logits", "2,,1", "--label", "0"],
            "--logits",
            "expected numbers separated by commas, got '2,,1'",
        ),
        (["--logits", "1,nan", "--label", "0"], "--logits", "must be finite numbers"),
        (["--logits", "1,2"], "--label", "is needed with --logits: the point's class, 0 to K−1"),
        (
            ["--logits", "1,2", "--label", "0", "--smoothing", "1.5"],
            "--smoothing",
            "must be in [0, 1], got 1.5",
        ),
        (
            ["--logits", "1,2,3", "--label", "0", "-l", "hinge"],
            "--logits",
            "hinge scores 2 classes, got 3 logits",
        ),
        (
            ["--logits", "1,2", "--label", "0", "-l", "mae"],
            "--loss",
            "mae cannot score K logits (not a classification loss)",
        ),
        (
            ["--logits", "1,2", "--label", "0", "--w1", "1"],
            "--logits",
            "scores one point's logits: drop the line's --w1, --w2 and data",
        ),
        (
            ["--logits", "1,2", "--label", "0", "--dataset", "celsius"],
            "--logits",
            "scores one point's logits: drop the line's --w1, --w2 and data",
        ),
        (["--w1", "1", "--w2", "0", "--label", "0"], "--label", "goes with --logits"),
        (["--w1", "1", "--w2", "0", "--smoothing", "0.1"], "--smoothing", "goes with --logits"),
    ],
)
def test_a_bad_point_is_a_one_line_usage_error(invoke, args, option, message):
    usage_error(invoke("eval", *args), option, message)


@pytest.mark.parametrize("command", [["surface"], ["descend"], ["eval", "--w1", "0", "--w2", "0"]])
def test_the_lines_commands_refuse_a_multiclass_loss(invoke, command):
    usage_error(
        invoke(*command, "-l", "one-hot-mse"),
        "--loss",
        "one-hot-mse is a multi-class loss, of K logits a point, not of the line's p: "
        "evaluate it with eval --logits",
    )
    # the catalogue's cross-entropy is logistic, the same loss at K = 2: the line takes it
    assert invoke("eval", "-l", "cross-entropy", "--w1", "0", "--w2", "0").exit_code == 0


def test_losses_shows_a_multiclass_loss_in_full(invoke):
    text = invoke("losses", "CE").output
    assert text.splitlines()[:6] == [
        "cross-entropy — Cross-entropy",
        "  Softmax cross-entropy: −log of the probability the model gives the true class.",
        "",
        "  task       multiclass: K logits z a point, the label a class index",
        "  formula    −Σ_k q_k·log softmax(z)_k,  q = (1 − smoothing)·one-hot + smoothing/K",
        "  gradient   dℓ/dz = softmax(z) − q",
    ]
    record = json.loads(invoke("losses", "brier", "--format", "json").output)
    assert (record["name"], record["task"], record["params"]) == ("one-hot-mse", "multiclass", [])
