"""`losscli descend` and `surface --path` through CliRunner: JSON shape, pictures, errors."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import FIXTURES, usage_error
from rich.console import Console

from losscli import __version__
from losscli.catalogue import CATALOGUE, get_loss
from losscli.data.synthetic import synthetic
from losscli.descent.walk import Run, Settings, descend
from losscli.engine import Axis, sweep
from losscli.render.colormap import render_maps
from losscli.render.grids import GridView
from losscli.render.paths import cells, legend, path_marks, redraw_steps

ISSUE_MSE = ("descend", "--loss", "mse", "--start", "-1.5", "3.5", "--lr", "0.3")


def as_json(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


# ---------------------------------------------------------------------------------------------
# JSON.


def test_json_has_exactly_the_issues_shape(invoke):
    document = as_json(invoke(*ISSUE_MSE, "--steps", "60", "--format", "json"))
    assert list(document) == ["version", "loss", "params", "runs"]
    assert (document["version"], document["loss"], document["params"]) == (__version__, "mse", {})
    [run] = document["runs"]
    assert list(run) == ["optimizer", "settings", "stop_reason", "trajectory"]
    assert run["optimizer"] == "gd"
    assert run["settings"] == {
        "lr": 0.3,
        "steps": 60,
        "tol": 1e-8,
        "batch_size": None,
        "seed": None,
    }
    trajectory = run["trajectory"]
    assert [point["step"] for point in trajectory] == list(range(len(trajectory)))
    assert list(trajectory[0]) == ["step", "w1", "w2", "loss", "gradient"]
    assert (trajectory[0]["w1"], trajectory[0]["w2"]) == (-1.5, 3.5)
    assert list(trajectory[0]["gradient"]) == ["w1", "w2"]
    # 60 steps do not reach the tolerance 1e-8: the issue's first command ends at max_steps.
    assert (run["stop_reason"], len(trajectory)) == ("max_steps", 61)


def test_stop_reason_of_mse_from_the_issues_start_is_converged(invoke):
    document = as_json(invoke(*ISSUE_MSE, "--format", "json"))
    assert document["runs"][0]["stop_reason"] == "converged"


def test_several_optimizers_give_runs_in_order_with_their_own_settings(invoke):
    args = ["--optimizer", "gd", "--optimizer", "momentum", "--optimizer", "nesterov"]
    args += ["--optimizer", "rmsprop", "--optimizer", "adam", "--momentum", "0.5"]
    document = as_json(
        invoke("descend", "--loss", "mae", "--steps", "5", *args, "--format", "json")
    )
    runs = document["runs"]
    assert [run["optimizer"] for run in runs] == ["gd", "momentum", "nesterov", "rmsprop", "adam"]
    common = {"lr": 0.1, "steps": 5, "tol": 1e-8, "batch_size": None, "seed": None}
    assert runs[0]["settings"] == common
    assert runs[1]["settings"] == {**common, "momentum": 0.5}
    assert runs[2]["settings"] == {**common, "momentum": 0.5}
    assert runs[3]["settings"] == {**common, "rho": 0.9, "eps": 1e-8}
    assert runs[4]["settings"] == {**common, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}


def test_default_start_is_the_far_corner_and_huber_passes_its_delta(invoke):
    document = as_json(
        invoke("descend", "--loss", "huber", "--delta", "0.5", "--steps", "1", "--format", "json")
    )
    point = document["runs"][0]["trajectory"][0]
    assert (point["w1"], point["w2"]) == (-2.0, 4.0)
    assert document["params"] == {"delta": 0.5}


def test_json_matches_the_core_walk(invoke):
    document = as_json(invoke(*ISSUE_MSE, "--steps", "10", "--format", "json"))
    run = descend(
        get_loss("mse"), {}, synthetic("regression"), (-1.5, 3.5), "gd", Settings(0.3, 10)
    )
    saved = document["runs"][0]["trajectory"]
    np.testing.assert_array_equal([[p["w1"], p["w2"]] for p in saved], run.w)
    np.testing.assert_array_equal([p["loss"] for p in saved], run.loss_values)


@pytest.mark.parametrize(
    ("loss", "w1", "w2"),
    [("mse", 0.3, -1.7), ("huber", 1.1, 0.45), ("logistic", -0.7, 2.3), ("dice", 2.9, -0.1)],
)
def test_eval_and_descend_report_the_same_gradient_to_the_last_bit(invoke, loss, w1, w2):
    """Step 0 of a walk is the start: its loss and gradient are what `eval` prints there."""
    point = ("--w1", str(w1), "--w2", str(w2))
    [evaluated] = json.loads(invoke("eval", "-l", loss, *point, "--format", "json").output)
    walked = as_json(
        invoke(
            "descend", "-l", loss, "--start", str(w1), str(w2), "--steps", "0", "--format", "json"
        )
    )
    start = walked["runs"][0]["trajectory"][0]
    assert (start["loss"], start["gradient"]) == (evaluated["value"], evaluated["gradient"])


def test_diverged_json_writes_null_for_overflow_and_stays_strict(invoke):
    result = invoke("descend", "--start", "1e200", "0", "--format", "json")
    assert "NaN" not in result.output and "Infinity" not in result.output
    run = as_json(result)["runs"][0]
    assert run["stop_reason"] == "diverged"
    assert run["trajectory"][0]["loss"] is None


def test_minibatches_are_seeded_and_work_with_a_data_file(invoke):
    data = ["--data", str(FIXTURES / "lesson-regression.csv"), "--batch-size", "5", "--steps", "8"]
    first = as_json(invoke("descend", *data, "--seed", "1", "--format", "json"))
    again = as_json(invoke("descend", *data, "--seed", "1", "--format", "json"))
    other = as_json(invoke("descend", *data, "--seed", "2", "--format", "json"))
    assert first == again and first != other
    assert first["runs"][0]["settings"]["seed"] == 1


# ---------------------------------------------------------------------------------------------
# The picture.


def test_text_shows_start_end_on_the_star_legend_and_table(invoke):
    output = invoke(*ISSUE_MSE, "--steps", "60", "--color", "never").output
    assert "S↘" in output  # the start, and the way the first step goes
    assert "G★" in output  # gd ends in the grid minimum's cell, which keeps its star
    assert "g→" in output
    assert "g→ gd path   G  gd end" in output
    lines = output.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("run "))
    assert lines[header].split() == ["run", "start", "w1,", "w2", "end", "w1,", "w2", "loss",
                                     "steps", "stop", "to", "true", "min"]  # fmt: skip
    # measured to the true minimum, least squares' (1.5397, 0.4850), not the grid's (1.6, 0.4),
    # which is 0.104 away: the end is 1e-5 from the true one
    assert lines[header + 1].split() == [
        "g", "gd", "-1.5,", "3.5", "1.54,", "0.485", "0.04179", "60", "max", "steps", "1.01e-05",
    ]  # fmt: skip


def test_hinge_on_the_plateau_is_frozen_and_says_so(invoke):
    result = invoke(
        "descend", "--loss", "hinge", "--dataset", "separable", "--start", "3", "0",
        "--color", "never",
    )  # fmt: skip
    assert result.exit_code == 0
    assert "SG" in result.output  # start and end in one cell
    row = next(line for line in result.output.splitlines() if line.startswith("g gd"))
    assert row.split()[2:] == ["3,", "0", "3,", "0", "0", "0", "zero", "gradient", "1.49"]
    assert "zero gradient: the gradient is exactly (0, 0): a plateau, no way down." in result.output


def test_several_optimizers_draw_distinct_glyphs(invoke):
    result = invoke(
        "descend", "--loss", "mae", "--start", "-1.5", "3.5", "--lr", "0.3",
        "--optimizer", "gd", "--optimizer", "momentum", "--optimizer", "adam", "--color", "never",
    )  # fmt: skip
    output = result.output
    for letter, name in (("g", "gd"), ("m", "momentum"), ("a", "adam")):
        assert f"{letter}→ {name} path   {letter.upper()}  {name} end" in output
        assert any(line.startswith(f"{letter} {name} ") for line in output.splitlines())


def test_diverging_walk_leaves_the_window_says_so_and_has_no_traceback(invoke):
    result = invoke("descend", "--lr", "1.2", "--color", "never")
    assert result.exit_code == 0
    assert "gd leaves the window at step 1 (w1 = 2.245, w2 = -5.761) and ends outside." in (
        result.output
    )
    assert "diverged: the loss became non-finite or grew past 1e6 × its start." in result.output
    assert "Traceback" not in result.output


def test_diverging_in_a_subprocess_prints_no_warning_even_as_errors():
    result = subprocess.run(
        [sys.executable, "-W", "error", "-m", "losscli", "descend", "--start", "1e200", "0",
         "--lr", "1.2", "--color", "never"],
        capture_output=True, text=True, env=os.environ,
    )  # fmt: skip
    assert (result.returncode, result.stderr) == (0, "")
    assert "diverged" in result.stdout


def test_animate_off_a_terminal_prints_only_the_final_picture(invoke):
    still = invoke(*ISSUE_MSE, "--steps", "5", "--color", "never").output
    animated = invoke(*ISSUE_MSE, "--steps", "5", "--color", "never", "--animate", "--fps", "1000")
    assert animated.output == still


def test_animate_on_a_terminal_draws_each_step_then_the_table(invoke):
    result = invoke(*ISSUE_MSE, "--steps", "3", "--color", "always", "--animate", "--fps", "1000")
    assert result.exit_code == 0
    frames = [f"step {k} of 3" for k in range(4)]
    positions = [result.output.index(frame) for frame in frames]
    assert positions == sorted(positions)
    assert result.output.rindex("max steps") > positions[-1]


def test_output_file_gets_the_picture_without_colour_codes(invoke, tmp_path):
    target = tmp_path / "walk.txt"
    result = invoke(*ISSUE_MSE, "--steps", "5", "--color", "auto", "-o", str(target))
    assert (result.exit_code, result.output) == (0, "")
    assert "S↘" in target.read_text() and "\x1b[" not in target.read_text()


def test_plain_style_draws_one_letter_per_cell(invoke):
    output = invoke(*ISSUE_MSE, "--steps", "60", "--style", "plain").output
    lines = output.splitlines()
    assert lines[0] == "MSE"
    map_rows = lines[1:22]
    assert sum(row.count("g") for row in map_rows) >= 5
    assert any("S" in row for row in map_rows) and any("*" in row for row in map_rows)
    assert "g gd" in output
    assert "S start   * grid minimum\ng gd path   G gd end\n" in output  # no arrows in plain


# ---------------------------------------------------------------------------------------------
# Marks on the map.


def tiny_surface():
    return sweep(
        get_loss("mse"), {}, synthetic("regression"), Axis("w1", 0, 2, 3), Axis("w2", 0, 2, 3)
    )


def test_marks_follow_the_path_in_order_with_arrows_and_keep_the_star():
    surface = tiny_surface()  # nodes at 0, 1, 2 on both axes
    assert (surface.minimum.w1, surface.minimum.w2) == (1.0, 0.0)  # row 0, column 1
    w = [[0.0, 0.0], [0.1, 0.2], [0.0, 1.0], [1.0, 1.0], [1.0, 0.0], [1.1, 0.1]]
    run = Run("mse", "gd", {}, "max_steps", np.array(w), np.zeros(6), np.zeros((6, 2)))
    unicode = path_marks(surface, [run], origin="lower", unicode=True)
    assert {cell: mark.text for cell, mark in unicode.items()} == {
        (0, 0): "S↑",  # start; the second point stays in this cell; then up a row
        (1, 0): "g→",
        (1, 1): "g↓",
        (0, 1): "G ",  # the end; render_maps puts the star in its second character
    }
    upper = path_marks(surface, [run], origin="upper", unicode=False)
    assert upper[(0, 0)].text == "Sv"  # with w2 growing downwards, up the grid is down
    assert upper[(1, 1)].text == "g^"
    console = Console(width=60, color_system=None, record=True, file=io.StringIO())
    console.print(render_maps([surface], levels=4, scale="linear", origin="lower", color=False,
                              unicode=True, overlay=lambda grid: unicode))  # fmt: skip
    rows = [row.rstrip() for row in console.export_text().splitlines()]
    assert rows[2:5] == ["2 ┤██▒▒▒▒", "1 ┤g→g↓", "0 ┤S↑G★"]


def test_first_run_wins_where_paths_cross_and_ends_cover_visits():
    surface = tiny_surface()
    w = np.array([[0.0, 2.0], [1.0, 2.0], [2.0, 2.0]])
    first = Run("mse", "gd", {}, "max_steps", w, np.zeros(3), np.zeros((3, 2)))
    second = Run("mse", "adam", {}, "max_steps", w[::-1].copy(), np.zeros(3), np.zeros((3, 2)))
    marks = path_marks(surface, [first, second], origin="lower", unicode=True)
    assert marks[(2, 1)].text == "g→"  # both pass here going opposite ways: the first run wins
    assert marks[(2, 0)].text == "SA"  # gd's start, where adam ends: starts cover ends
    assert marks[(2, 2)].text == "SG"  # adam's start, where gd ends


# ---------------------------------------------------------------------------------------------
# surface --path.


def test_surface_draws_saved_paths_from_one_or_more_files(invoke, tmp_path):
    gd = tmp_path / "gd.json"
    adam = tmp_path / "adam.json"
    assert invoke(*ISSUE_MSE, "--steps", "60", "--format", "json", "-o", str(gd)).exit_code == 0
    assert (
        invoke(*ISSUE_MSE, "--optimizer", "adam", "--format", "json", "-o", str(adam)).exit_code
        == 0
    )
    direct = invoke(*ISSUE_MSE, "--steps", "60", "--color", "never").output
    replayed = invoke("surface", "--loss", "mse", "--path", str(gd), "--color", "never").output
    assert replayed == direct
    both = invoke(
        "surface", "--loss", "mae", "--path", str(gd), "--path", str(adam), "--color", "never"
    ).output
    assert "a→ adam path   A  adam end" in both and "g→ gd path" in both
    assert "(loss: as saved, walked on mse)" in both


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "Error: {path}: no such file"),
        (
            "{",
            "Error: {path} line 1: not valid JSON (expecting property name enclosed in double quotes)",
        ),
        (
            '{"surfaces": []}',
            'Error: {path}: expected a descend result with a non-empty "runs" list',
        ),
    ],
)
def test_surface_path_errors_exit_1_naming_the_file(invoke, tmp_path, content, message):
    path = tmp_path / "run.json"
    if content is not None:
        path.write_text(content)
    result = invoke("surface", "--path", str(path))
    assert (result.exit_code, result.output) == (1, message.format(path=path) + "\n")


# ---------------------------------------------------------------------------------------------
# Usage errors.


@pytest.mark.parametrize(
    ("args", "option", "message"),
    [
        (["--lr", "0"], "--lr", "must be > 0, got 0"),
        (["--lr", "nan"], "--lr", "must be > 0, got nan"),
        (["--steps", "-1"], "--steps", "must be >= 0, got -1"),
        (["--tol", "-1"], "--tol", "must be >= 0, got -1"),
        (["--momentum", "1"], "--momentum", "must be in [0, 1), got 1"),
        (["--start", "nan", "1"], "--start", "must be finite numbers, got nan 1"),
        (["--batch-size", "0"], "--batch-size", "must be at least 1, got 0"),
        (
            ["--batch-size", "41"],
            "--batch-size",
            "must be at most the number of points (40), got 41",
        ),
        (
            ["--optimizer", "gd", "--optimizer", "gd"],
            "--optimizer",
            "each optimizer can be given once",
        ),
        (
            ["--optimizer", "sgd"],
            "--optimizer",
            "'sgd' is not one of 'gd', 'momentum', 'nesterov', 'rmsprop', 'adam'.",
        ),
        (
            ["--animate", "--format", "json"],
            "--animate",
            "draws the map; it cannot be used with --format json",
        ),
        (
            ["--loss", "nope"],
            "--loss",
            "unknown loss 'nope'; known losses: " + ", ".join(CATALOGUE) + ", or expr:FORMULA",
        ),
        (["--delta", "2"], "--delta", "applies to huber, which is not among the chosen losses"),
        (
            ["--dataset", "separable", "--data", "x.csv"],
            "--dataset",
            "cannot be used with --data: choose one source of points",
        ),
        (
            ["--loss", "hinge", "--dataset", "separable", "--noise", "0.1"],
            "--noise",
            "shapes the lesson's synthetic data, not --dataset separable",
        ),
        (
            ["--dataset", "separable"],
            "--dataset",
            "separable is a classification dataset but mse is a regression loss "
            "(regression datasets: lesson, celsius, outliers)",
        ),
        (
            ["--data", "x.csv", "--seed", "3"],
            "--seed",
            "with --data it seeds only --batch-size, which is not given",
        ),
        (
            ["--data", "x.csv", "--flip", "0.1"],
            "--flip",
            "sets up synthetic data and cannot be used with --data",
        ),
        (["--grid-steps", "1"], "--grid-steps", "1 is not in the range x>=2."),
        (["--fps", "0"], "--fps", "0.0 is not in the range 0.01<=x<=1000."),
    ],
)
def test_descend_usage_errors_exit_2_with_one_line(invoke, args, option, message):
    usage_error(invoke("descend", *args), option, message)


def test_surface_path_refuses_json_output(invoke):
    usage_error(
        invoke("surface", "--path", "run.json", "--format", "json"),
        "--path",
        "draws on the map; it cannot be used with --format json",
    )


def test_hinge_on_regression_data_is_a_data_error(invoke):
    result = invoke("descend", "--loss", "hinge", "--data", str(FIXTURES / "lesson-regression.csv"))
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {FIXTURES / 'lesson-regression.csv'} line 2: label ")


def test_help_documents_optimizers_and_their_defaults(invoke):
    text = " ".join(invoke("descend", "--help").output.split())
    for phrase in (
        "gd: plain gradient descent",
        "momentum: heavy ball",
        "rmsprop: s ← rho·s + (1 − rho)·g²",
        "beta1 0.9, beta2 0.999, eps 1e-8",
        "--grid-steps",
        "separable",
    ):
        assert phrase in text


def test_in_colour_marks_are_painted_in_their_runs_colour():
    surface = tiny_surface()
    w = np.array([[0.0, 2.0], [1.0, 2.0], [2.0, 2.0]])
    run = Run("mse", "momentum", {}, "max_steps", w, np.zeros(3), np.zeros((3, 2)))
    marks = path_marks(surface, [run], origin="lower", unicode=True)
    maps = render_maps(
        [surface],
        levels=4,
        scale="linear",
        origin="lower",
        color=True,
        unicode=True,
        overlay=lambda grid: marks,
    )
    console = Console(width=60, color_system="truecolor", file=io.StringIO())
    painted = {
        segment.text: (segment.style.bgcolor.triplet.hex, segment.style.color.triplet.hex)
        for segment in console.render(maps)
        if segment.style
        and segment.style.bold
        and segment.style.bgcolor
        and segment.text != "★ "  # the minimum's star, drawn by the surface
    }
    # momentum is the first run: red #ff4040 behind black letters; the start is on white.
    assert painted == {
        "S→": ("#ffffff", "#000000"),
        "m→": ("#ff4040", "#000000"),
        "M ": ("#ff4040", "#000000"),
    }


def test_animation_frames_are_the_steps_that_move_a_path_to_another_cell():
    surface = tiny_surface()
    w = np.array([[0.0, 0.0], [0.1, 0.2], [0.0, 1.0], [0.05, 1.0], [1.0, 1.0], [1.1, 1.0]])
    run = Run("mse", "gd", {}, "max_steps", w, np.zeros(6), np.zeros((6, 2)))
    short = Run("mse", "adam", {}, "max_steps", w[:2], np.zeros(2), np.zeros((2, 2)))
    assert redraw_steps(surface, [run]) == [0, 2, 4, 5]  # 1 and 3 stay put; 5 is the last
    assert redraw_steps(surface, [short, run]) == [0, 2, 4, 5]


def test_steps_land_on_the_nearest_node_of_uneven_thinned_axes():
    grid = GridView(
        "t", "t", np.array([0.0, 1.0, 3.0, 4.0]), np.array([0.0, 2.0, 4.0]), np.zeros((3, 4))
    )
    w = np.array([[2.9, 1.1], [2.0, 3.0], [-0.4, 0.0], [-0.6, 0.0], [4.6, 5.1], [np.nan, 0.0]])
    found = cells(grid, w)
    # (row, col): 2.9 is nearest 3 (col 2), 1.1 nearest 2 (row 1); 2.0 and 3.0 are ties: lower node;
    # −0.4 is within half an edge cell (0.5) of 0, −0.6 is not; 4.6 (past 4 + 0.5) and 5.1
    # (past 4 + 1) are off the far ends.
    assert found[:5].tolist() == [[1, 2], [1, 1], [0, 0], [0, -1], [3, 4]]
    assert np.isnan(found[5, 1])


def test_a_thinned_view_keeps_the_path_and_its_ends(invoke):
    result = invoke(
        "descend", "--loss", "mse", "--start", "-1.5", "3.5", "--lr", "0.3", "--grid-steps", "201",
        "--width", "60", "--color", "never",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if "│" in line or "┤" in line]
    assert len(rows) <= 30  # thinned from 201 rows to fit 60 columns
    picture = "\n".join(rows)
    assert "S" in picture and "G" in picture and "g" in picture and "★" in picture


def test_in_colour_only_the_legend_swatches_are_painted():
    run = Run("mse", "gd", {}, "max_steps", np.array([[0.0, 0.0], [1.0, 1.0]]), np.zeros(2),
              np.zeros((2, 2)))  # fmt: skip
    text = legend([run], color=True, unicode=True)
    painted = {text.plain[span.start : span.end] for span in text.spans}
    assert painted == {"S ", "g→", "G "}  # the words beside them keep the terminal's colours
    assert text.style == ""
