"""The window chosen from the data, and the true minimum beside the grid's in every view:
the issue's teacher's CSV end to end, explicit ranges winning, the lesson's view kept."""

from __future__ import annotations

import json

import numpy as np
import pytest

from losscli.catalogue import get_loss
from losscli.data.dataset import Dataset
from losscli.defaults import LESSON_WINDOW
from losscli.engine.optimum import NoOptimum, Optimum
from losscli.engine.window import choose_window

SCORES_CSV = "x,y\n1,52\n2,55\n3,61\n4,64\n5,70\n"
"""Hours and scores: least squares gives w1 = 4.5, w2 = 46.9 (see test_optimum)."""


@pytest.fixture
def scores(tmp_path):
    path = tmp_path / "scores.csv"
    path.write_text(SCORES_CSV)
    return str(path)


def record(result) -> dict:
    assert result.exit_code == 0, result.output
    [surface] = json.loads(result.output)["surfaces"]
    return surface


def test_the_scores_get_a_window_that_holds_their_minimum(invoke, scores):
    surface = record(invoke("surface", "--data", scores, "-l", "mse", "--format", "json"))
    # around (4.5, 46.9) the data's ellipse: sd(y)/sd(x) = 6.406/1.414 = 4.53 along w1,
    # sd(y)·√(1 + x̄²/var x) = 6.406·√5.5 = 15.02 along w2; ends rounded out to steps of
    # 0.5 and 2 (a twentieth of each span, to 1, 2 or 5 times a power of ten)
    assert surface["window"] == {
        "w1": [-0.5, 9.5],
        "w2": [30.0, 62.0],
        "chosen": {"w1": "data", "w2": "data"},
    }
    assert (surface["w1"][0], surface["w1"][-1], surface["w2"][0], surface["w2"][-1]) == (
        -0.5, 9.5, 30.0, 62.0,
    )  # fmt: skip
    minimum = surface["minimum"]
    assert 0 < minimum["row"] < 20 and 0 < minimum["col"] < 20  # the star is off the edges
    optimum = surface["optimum"]
    assert optimum["kind"] == "unique"
    assert optimum["w1"] == pytest.approx(4.5, abs=1e-9)
    assert optimum["w2"] == pytest.approx(46.9, abs=1e-9)
    assert optimum["value"] == pytest.approx(0.54, abs=1e-9)
    assert surface["optimum_note"] == "closed form (least squares)"


def test_the_scores_view_prints_both_minima_the_mark_and_the_window(invoke, scores):
    result = invoke("surface", "--data", scores, "-l", "mse", "--color", "never")
    lines = result.output.splitlines()
    assert "min 1.03 at w1 = 4.5, w2 = 47.6 (grid)" in lines  # 47.6: a grid line, 1.6 apart
    assert "◆ 0.54 at w1 = 4.5, w2 = 46.9 (true)" in lines
    assert "◆★" in result.output  # the true minimum's cell is the grid minimum's
    assert lines[-1] == "window from the data: w1 -0.5..9.5, w2 30..62 (--w1-range, --w2-range)"


def test_descend_measures_to_the_true_minimum_in_the_same_window(invoke, scores):
    result = invoke(
        "descend", "--data", scores, "-l", "mse", "--lr", "0.02", "--steps", "5000",
        "--color", "never",
    )  # fmt: skip
    lines = result.output.splitlines()
    header = next(line for line in lines if line.startswith("run "))
    assert header.split()[-3:] == ["to", "true", "min"]
    assert "◆  the loss's true minimum, where it is on the map" in lines
    assert lines[-1] == "window from the data: w1 -0.5..9.5, w2 30..62 (--w1-range, --w2-range)"


def test_a_range_given_wins_on_its_axis_only(invoke, scores):
    one = record(
        invoke(
            "surface", "--data", scores, "-l", "mse", "--w1-range", "0", "10", "--format", "json"
        )
    )
    assert one["window"] == {
        "w1": [0.0, 10.0],
        "w2": [30.0, 62.0],
        "chosen": {"w1": "user", "w2": "data"},
    }
    both = ("--w1-range", "-2", "4", "--w2-range", "-2", "4")
    text = invoke("surface", "--data", scores, "-l", "mse", *both, "--color", "never").output
    assert "window from the data" not in text
    shown = text.splitlines()
    at = shown.index("min 1972 at w1 = 4, w2 = 4 (grid)")  # the corner, said to be so
    # wrapped to the panel between words, never inside the brackets
    assert shown[at + 1 : at + 3] == ["◆ 0.54 at w1 = 4.5, w2 = 46.9", "    (true, off the map)"]


def test_the_lessons_view_keeps_its_window(invoke):
    result = invoke("surface", "--format", "json")
    document = json.loads(result.output)
    for surface in document["surfaces"]:
        assert surface["window"] == {
            "w1": [-2.0, 4.0],
            "w2": [-2.0, 4.0],
            "chosen": {"w1": "lesson", "w2": "lesson"},
        }
    assert "window from the data" not in invoke("surface", "--color", "never").output


def test_the_lessons_data_in_a_file_keeps_the_lessons_window(invoke, tmp_path):
    """Data the lesson's window shows well (every minimum well inside, every basin a quarter
    of it or more) keeps it: the lesson's CSV draws the lesson's figure."""
    points = invoke("data", "regression").output
    surface = record(
        invoke("surface", "--data", "-", "-l", "mse", "--format", "json", input=points)
    )
    assert surface["window"]["chosen"] == {"w1": "lesson", "w2": "lesson"}


def test_lesson_data_moved_by_its_settings_gets_a_window_from_the_data(invoke):
    surface = record(
        invoke("surface", "-l", "mse", "--true-w1", "10", "--true-w2", "-20", "--format", "json")
    )
    assert surface["window"]["chosen"] == {"w1": "data", "w2": "data"}
    (low1, high1), (low2, high2) = surface["window"]["w1"], surface["window"]["w2"]
    assert low1 < surface["optimum"]["w1"] < high1 and low2 < surface["optimum"]["w2"] < high2


def test_a_dataset_keeps_its_own_window(invoke):
    surface = record(invoke("surface", "--dataset", "celsius", "-l", "mse", "--format", "json"))
    assert surface["window"] == {
        "w1": [0.0, 3.6],
        "w2": [-40.0, 104.0],
        "chosen": {"w1": "dataset", "w2": "dataset"},
    }
    assert surface["optimum"]["w1"] == pytest.approx(1.8) and surface["optimum"]["w2"] == 32.0


def test_separable_labels_stretch_the_window_and_say_so(invoke):
    labels = invoke("data", "classification").output
    result = invoke("surface", "--data", "-", "-l", "logistic", "--color", "never", input=labels)
    lines = result.output.splitlines()
    assert "no finite minimum, falls to 0 as |w| grows" in lines
    note = " ".join(result.output.split("window from the data: ")[1].split())  # wrapped at 80
    assert note.endswith("; Logistic: no finite minimum, shown until within 5% of its infimum")
    surface = record(
        invoke("surface", "--data", "-", "-l", "logistic", "--format", "json", input=labels)
    )
    assert surface["optimum"] is None
    assert surface["optimum_note"].startswith("no finite minimum")


def test_render_draws_the_recorded_true_minimum(invoke, scores):
    document = invoke("surface", "--data", scores, "-l", "mse", "--format", "json").output
    drawn = invoke("render", "-", "--color", "never", input=document).output
    assert "◆ 0.54 at w1 = 4.5, w2 = 46.9 (true)" in drawn.splitlines()
    edited = json.loads(document)
    doubled = [[2 * value for value in row] for row in edited["surfaces"][0]["values"]]
    stale = {**edited["surfaces"][0], "values": doubled}  # the recorded optimum is stale now
    shown = invoke("render", "-", "--color", "never", input=json.dumps(stale)).output
    assert "◆" not in shown and "(grid)" not in shown
    edited["surfaces"][0]["optimum"]["w1"] = "4.5"  # not a number: no optimum at all
    shown = invoke("render", "-", "--color", "never", input=json.dumps(edited)).output
    assert "◆" not in shown and "(grid)" not in shown


def panel(found, x=(0.0, 1.0, 2.0), y=(0.0, 1.0, 2.0)):
    data = Dataset(np.array(x), np.array(y), "points", {})
    return (get_loss("mse"), data, found)


def test_choose_window_keeps_a_curated_window_that_holds_the_minimum():
    inside = panel(Optimum(1.0, 1.0, 0.0))
    window = choose_window((None, None), (LESSON_WINDOW, "lesson"), [inside])
    assert window.ranges == LESSON_WINDOW and window.chosen == ("lesson", "lesson")
    assert window.line() is None
    near_edge = panel(Optimum(3.9, 1.0, 0.0))  # within 5% of the span of the edge at 4
    moved = choose_window((None, None), (LESSON_WINDOW, "lesson"), [near_edge])
    assert moved.chosen == ("data", "data") and moved.w1[0] < 3.9 < moved.w1[1]


def test_choose_window_ignores_regions_and_honours_reach():
    region = panel(Optimum(50.0, 1.0, 0.0, "region"))
    assert choose_window((None, None), (LESSON_WINDOW, "dataset"), [region]).chosen == (
        "dataset", "dataset",
    )  # fmt: skip
    none = panel(NoOptimum("no finite minimum, it falls: why", 0.0, (30.0, 10.0)))
    window = choose_window((None, None), None, [none])
    assert window.chosen == ("data", "data")
    assert window.w1[0] <= 0.0 and window.w1[1] >= 30.0 and window.w2[1] >= 10.0


def test_window_ends_are_short_decimals():
    window = choose_window((None, None), None, [panel(Optimum(0.1234567, 0.7654321, 0.0))])
    for low, high in window.ranges:
        assert repr(low) == f"{low:g}" or float(f"{low:g}") == low
        assert len(repr(low)) <= 6 and len(repr(high)) <= 6


@pytest.mark.parametrize(
    ("name", "truth"),
    [
        ("hinge", ["◆ 0 at w1 = 23.39, w2 = 7.002", "    (true, one of many, off the map)"]),
        (
            "squared-hinge",
            ["◆ 0 at w1 = 23.39, w2 = 7.002", "    (true, one of many, off the map)"],
        ),
        ("logistic", ["no finite minimum, falls to 0 as |w| grows"]),
        ("exponential", ["no finite minimum, falls to 0 as |w| grows"]),
        ("focal", ["no finite minimum, falls to 0 as |w| grows"]),
        ("dice", ["no finite minimum, falls to 0 as |w| grows"]),
        ("zero-one", ["◆ 0 at w1 = 1, w2 = 0.2993 (true, one of many)"]),
    ],
)
def test_the_lessons_classification_losses_say_where_their_minimum_really_is(invoke, name, truth):
    """The lesson's labels are the sign of 1.5·x + 0.5, so a line separates them: the grid's
    star at the window's edge is not the minimum, and each panel says what is (the max-margin
    line: w1·x + w2 = ±1 through the closest points of each class, see test_optimum)."""
    lines = invoke("surface", "-l", name, "--color", "never").output.splitlines()
    at = next(i for i, line in enumerate(lines) if line.endswith("(grid)"))
    assert lines[at + 1 : at + 1 + len(truth)] == truth
