"""Built-in datasets: what each holds, that it is deterministic, and how `--dataset` behaves."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import FIXTURES, usage_error

from losscli.catalogue import get_loss
from losscli.data import synthetic as data
from losscli.data.builtin import DATASETS, load_builtin
from losscli.errors import ParameterError


def test_the_built_in_datasets_and_their_tasks():
    assert {name: entry.tasks for name, entry in DATASETS.items()} == {
        "lesson": ("regression", "classification"),
        "celsius": ("regression",),
        "outliers": ("regression",),
        "imbalanced": ("classification",),
        "separable": ("classification",),
    }


@pytest.mark.parametrize("name", list(DATASETS))
def test_every_dataset_is_deterministic(name):
    for task in DATASETS[name].tasks:
        first, second = (
            load_builtin(name, task, "a loss", {}),
            load_builtin(name, task, "a loss", {}),
        )
        assert first.x.tolist() == second.x.tolist() and first.y.tolist() == second.y.tolist()


def test_lesson_is_the_lessons_synthetic_data(invoke):
    for task in ("regression", "classification"):
        written = invoke("data", task, "--dataset", "lesson").output
        assert written == (FIXTURES / f"lesson-{task}.csv").read_text()


def test_celsius_is_the_seeds_two_readings(invoke):
    assert invoke("data", "--dataset", "celsius").output == "x,y\n0.0,32.0\n100.0,212.0\n"


def test_celsius_mse_is_11794_at_half_and_ten_and_zero_on_the_true_line():
    # p = 0.5·x + 10 gives 10 and 60 against 32 and 212: errors −22 and −152,
    # (484 + 23104)/2 = 11794. On w1 = 1.8, w2 = 32 both points are exact.
    celsius = data.celsius()
    mse = get_loss("mse")
    assert mse.mean(0.5 * celsius.x + 10, celsius.y, {}) == 11794.0
    assert mse.mean(1.8 * celsius.x + 32, celsius.y, {}) == 0.0


def test_outliers_drag_mses_minimum_but_not_maes():
    outliers = load_builtin("outliers", "regression", "mse", {})
    assert len(outliers) == 40
    lesson = data.synthetic_regression()
    lifted = outliers.y - lesson.y
    assert np.count_nonzero(lifted) == 8 and lifted.min() >= 0 and lifted[lifted > 0].min() >= 3
    # MSE's minimum is the least-squares line, pulled up from the true (1.5, 0.5) ...
    design = np.column_stack([outliers.x, np.ones(40)])
    w1_mse, w2_mse = np.linalg.lstsq(design, outliers.y, rcond=None)[0]
    assert w1_mse < 1.2 and w2_mse > 1.2  # dragged flatter and up, towards the lifted points
    # ... while MAE's, found by brute force on a fine grid, stays within 0.1 of it.
    w1 = np.linspace(0.0, 3.0, 301)
    w2 = np.linspace(-1.0, 2.0, 301)
    values = np.abs(w1[None, :, None] * outliers.x + w2[:, None, None] - outliers.y).mean(-1)
    row, col = np.unravel_index(values.argmin(), values.shape)
    assert abs(w1[col] - 1.5) < 0.1 and abs(w2[row] - 0.5) < 0.1


def test_imbalanced_has_a_rare_overlapping_positive_class():
    imbalanced = data.imbalanced_classification()
    positives = imbalanced.x[imbalanced.y == 1.0]
    negatives = imbalanced.x[imbalanced.y == -1.0]
    assert (len(positives), len(negatives)) == (10, 90)
    assert positives.min() == 0.2 and negatives.max() == 0.5  # the classes overlap on [0.2, 0.5]
    assert imbalanced.is_labelled()


def test_a_loss_of_the_other_task_is_a_usage_error(invoke):
    usage_error(
        invoke("surface", "--dataset", "celsius", "--loss", "hinge"),
        "--dataset",
        "celsius is a regression dataset but hinge is a classification loss "
        "(classification datasets: lesson, imbalanced, separable)",
    )
    usage_error(
        invoke("eval", "--dataset", "imbalanced", "--loss", "mae", "--w1", "1", "--w2", "0"),
        "--dataset",
        "imbalanced is a classification dataset but mae is a regression loss "
        "(regression datasets: lesson, celsius, outliers)",
    )
    with pytest.raises(ParameterError):
        load_builtin("outliers", "classification", "logistic", {})


def test_an_unknown_dataset_lists_the_known_ones():
    with pytest.raises(ParameterError) as error:
        load_builtin("Nope", "regression", "mse", {})
    assert (
        error.value.message
        == "unknown dataset 'Nope'; known: lesson, celsius, outliers, imbalanced, separable"
    )
    assert load_builtin("CELSIUS", "regression", "mse", {}).origin["dataset"] == "celsius"


def test_synthetic_options_only_shape_the_lesson(invoke):
    usage_error(
        invoke("surface", "--dataset", "celsius", "--n", "5"),
        "--n",
        "shapes the lesson's synthetic data, not --dataset celsius",
    )
    usage_error(
        invoke("data", "--dataset", "outliers", "--seed", "3"),
        "--seed",
        "shapes the lesson's synthetic data, not --dataset outliers",
    )
    short = invoke("data", "--dataset", "lesson", "--n", "3").output
    assert short == invoke("data", "--n", "3").output and short.count("\n") == 4


def test_data_and_dataset_exclude_each_other(invoke, tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("x,y\n0,1\n")
    usage_error(
        invoke("surface", "--data", str(path), "--dataset", "celsius"),
        "--dataset",
        "cannot be used with --data: choose one source of points",
    )


def test_data_prints_a_dataset_of_its_own_task_or_refuses_the_other(invoke):
    assert invoke("data", "--dataset", "imbalanced").output.count("\n") == 101
    written = json.loads(invoke("data", "--dataset", "imbalanced", "--format", "json").output)
    assert written["y"].count(1.0) == 10
    usage_error(
        invoke("data", "classification", "--dataset", "celsius"),
        "TASK",
        "celsius is a regression dataset",
    )
    usage_error(invoke("data", "--dataset", "nope"), "--dataset", _choice_message("nope"))


def _choice_message(value: str) -> str:
    names = ", ".join(f"'{name}'" for name in DATASETS)
    return f"'{value}' is not one of {names}."


def test_surface_on_a_dataset_uses_its_window_and_the_lessons_losses_of_its_task(invoke):
    result = invoke("surface", "--dataset", "celsius", "--format", "json")
    surfaces = json.loads(result.output)["surfaces"]
    assert [s["loss"] for s in surfaces] == ["mse", "mae", "huber"]  # hinge needs labels
    mse = surfaces[0]
    assert (mse["w1"][0], mse["w1"][-1], mse["w2"][0], mse["w2"][-1]) == (0.0, 3.6, -40.0, 104.0)
    assert mse["minimum"]["w2"] == 32.0 and mse["minimum"]["w1"] == pytest.approx(1.8)
    assert mse["minimum"]["value"] == pytest.approx(0.0, abs=1e-20)
    assert mse["data"] == {"kind": "builtin", "dataset": "celsius", "task": "regression", "n": 2}
    typed = json.loads(
        invoke("surface", "--dataset", "celsius", "--w1-range", "0", "1", "--format", "json").output
    )
    assert typed["surfaces"][0]["w1"][-1] == 1.0  # a typed range wins over the window
    imbalanced = json.loads(invoke("surface", "--dataset", "imbalanced", "--format", "json").output)
    assert [s["loss"] for s in imbalanced["surfaces"]] == ["hinge"]
