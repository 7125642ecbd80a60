"""A grid minimum on the window's edge is flagged: a note in the view, "on_edge" in the JSON."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from click.testing import CliRunner, Result

from losscli.catalogue import get_loss
from losscli.cli import cli
from losscli.data.synthetic import synthetic_regression as lesson_regression
from losscli.engine import Axis, Edge, find_minimum, sweep
from losscli.render.export import surface_record

CLEAN_ENV = {"COLUMNS": None, "NO_COLOR": None, "FORCE_COLOR": None, "TERM": "xterm"}
NOTE = "may fall further"


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, env=CLEAN_ENV)


W = np.array([-2.0, 1.0, 4.0])


def edges_of(values: list[list[float]]) -> tuple[Edge, ...]:
    minimum = find_minimum(W, W, np.array(values))
    assert minimum is not None
    return minimum.edges


# ---------------------------------------------------------------------------------------------
# The core: which sides of the window the minimum lies on.


def test_a_minimum_inside_the_window_has_no_edge() -> None:
    assert edges_of([[5, 4, 5], [4, 1, 4], [5, 4, 5]]) == ()


def test_a_minimum_in_the_last_column_is_on_w1s_high_edge() -> None:
    # rows are w2, columns are w1: the smallest value at w2 = 1, w1 = 4
    assert edges_of([[5, 4, 3], [4, 2, 1], [5, 4, 3]]) == (Edge("w1", "high", 4.0),)


def test_a_corner_names_both_axes() -> None:
    assert edges_of([[0, 1, 2], [1, 2, 3], [2, 3, 4]]) == (
        Edge("w1", "low", -2.0),
        Edge("w2", "low", -2.0),
    )


def test_a_minimum_along_the_first_row_is_on_w2s_low_edge_only() -> None:
    # found at w1 = −2, 1 and 4, all at w2 = −2: the loss falls towards w2's low edge
    assert edges_of([[0, 0, 0], [1, 1, 1], [2, 2, 2]]) == (Edge("w2", "low", -2.0),)


def test_a_minimum_found_inside_too_is_no_edges() -> None:
    # zero-one's plateau: the first minimum (row-major) is on the edge, but so is a cell inside
    assert edges_of([[0, 0, 1], [0, 0, 1], [1, 1, 1]]) == ()
    assert edges_of([[3, 3, 3], [3, 3, 3], [3, 3, 3]]) == ()  # flat: nothing falls
    assert edges_of([[1, 2, 1], [2, 3, 2], [2, 3, 2]]) == (Edge("w2", "low", -2.0),)  # both ends


def test_an_axis_of_one_value_has_no_edges() -> None:
    minimum = find_minimum(np.array([0.5]), W, np.array([[3.0], [2.0], [1.0]]))
    assert minimum is not None and minimum.edges == (Edge("w2", "high", 4.0),)


# ---------------------------------------------------------------------------------------------
# The view: a line under the panel's minimum line.


def test_the_lessons_hinge_panel_carries_the_note() -> None:
    lines = run("surface").output.splitlines()
    at = lines.index("min 0.1127 at w1 = 4, w2 = 1 (grid)")
    # Below it the true minimum, two lines (hinge's, off the map), then the note.
    assert lines[at + 3] == "may fall further past w1 = 4: widen --w1-range"
    assert sum(NOTE in line for line in lines) == 1  # MSE, MAE and Huber: inside the window


def test_a_user_csv_in_the_default_window_names_both_axes(tmp_path) -> None:
    scores = tmp_path / "scores.csv"
    scores.write_text("x,y\n1,52\n2,55\n3,61\n4,64\n5,70\n")
    result = run(
        "surface", "--data", str(scores), "-l", "mse", "--w1-range", "-2", "4", "--w2-range",
        "-2", "4",
    )  # fmt: skip
    assert result.exit_code == 0
    text = " ".join(line.strip() for line in result.output.splitlines())
    assert "min 1972 at w1 = 4, w2 = 4 (grid)" in text
    assert (
        "(true, off the map) may fall further past w1 = 4 and past w2 = 4: "
        "widen --w1-range and --w2-range" in text
    )


def test_low_edges_say_below() -> None:
    grid = {"w1": [0, 1, 2], "w2": [-1.5, 0, 1.5], "values": [[0, 1, 2], [1, 2, 3], [2, 3, 4]]}
    shown = run("render", "-", "--color", "never", input=json.dumps(grid)).output
    text = " ".join(line.strip() for line in shown.splitlines())
    assert "may fall further below w1 = 0 and below w2 = -1.5: widen --w1-range and --w2-range" in (
        text
    )


def test_a_thinned_view_keeps_its_whole_grids_edges() -> None:
    shown = run("surface", "-l", "hinge", "--steps", "201", "--width", "60").output
    assert "may fall further past w1 = 4: widen --w1-range" in shown


def test_the_plain_figure_has_no_note() -> None:
    assert NOTE not in run("surface", "--style", "plain").output
    assert NOTE not in run("surface", "--style", "plain", "-l", "logistic").output


# ---------------------------------------------------------------------------------------------
# Output for other tools.


@pytest.mark.parametrize("fmt", ["json", "ndjson"])
def test_records_say_on_edge(fmt: str) -> None:
    output = run("surface", "-l", "mse", "-l", "hinge", "-l", "logistic", "--format", fmt).output
    records = [
        record
        for document in map(json.loads, output.splitlines() if fmt == "ndjson" else [output])
        for record in document.get("surfaces", [document])
    ]
    assert [(r["loss"], r["on_edge"]) for r in records] == [
        ("mse", False),
        ("hinge", True),
        ("logistic", True),
    ]
    assert records[1]["minimum"]["w1"] == 4.0 == records[1]["w1"][-1]


def test_npz_meta_says_on_edge(tmp_path) -> None:
    target = tmp_path / "grid.npz"
    assert run("surface", "-l", "hinge", "--format", "npz", "-o", str(target)).exit_code == 0
    with np.load(target, allow_pickle=False) as archive:
        meta = json.loads(archive["meta"].item())
    assert meta[0]["on_edge"] is True


def test_a_grid_without_a_finite_value_is_not_on_edge() -> None:
    swept = sweep(
        get_loss("mse"), {}, lesson_regression(), Axis("w1", 0, 1, 3), Axis("w2", 0, 1, 3)
    )
    record = surface_record(dataclasses.replace(swept, values=np.full((3, 3), np.nan)))
    assert record["minimum"] is None and record["on_edge"] is False


def test_render_judges_the_edge_from_the_values_not_the_file() -> None:
    document = json.loads(run("surface", "-l", "mse", "-l", "hinge", "--format", "json").output)
    mse, hinge = document["surfaces"]
    mse["on_edge"], hinge["on_edge"] = True, False  # stale flags, as jq might leave them
    shown = run("render", "-", "--color", "never", input=json.dumps(document)).output
    assert sum(NOTE in line for line in shown.splitlines()) == 1
    assert "may fall further past w1 = 4: widen --w1-range" in shown
    hinge["values"][10][10] = -1.0  # edited: the smallest value is now inside the window
    shown = run("render", "-", "--color", "never", input=json.dumps(document)).output
    assert NOTE not in shown and "min -1 at w1 = 1, w2 = 1" in shown
