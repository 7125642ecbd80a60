"""The CLI through click.testing.CliRunner: output, JSON/CSV shapes, errors and exit codes."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import FIXTURES, usage_error

from losscli import __version__

FIGURE = (FIXTURES / "lesson-figure.txt").read_text(encoding="utf-8")


def test_default_plain_surface_is_the_lessons_figure(invoke):
    result = invoke("surface", "--style", "plain", "--origin", "upper")
    assert result.exit_code == 0
    assert result.output == FIGURE


def test_plain_surface_from_the_lessons_csv_files(invoke, tmp_path):
    regression = invoke(
        "surface",
        "--style",
        "plain",
        "--origin",
        "upper",
        "--loss",
        "mse",
        "--loss",
        "mae",
        "--loss",
        "huber",
        "--data",
        str(FIXTURES / "lesson-regression.csv"),
    )
    hinge = invoke(
        "surface",
        "--style",
        "plain",
        "--origin",
        "upper",
        "--loss",
        "hinge",
        "--data",
        str(FIXTURES / "lesson-classification.csv"),
    )
    figure = FIGURE.splitlines()
    assert regression.output.splitlines() == [line[:69].rstrip() for line in figure]
    assert hinge.output.splitlines() == [line[72:] for line in figure]


def test_default_map_without_colour_shows_four_panels(invoke):
    result = invoke("surface", "--color", "never", env={"COLUMNS": "100"})
    assert result.exit_code == 0
    assert result.output.count("★") == 4 and "\x1b[" not in result.output
    assert "Huber (delta=1)" in result.output


def test_colour_is_forced_with_always_and_off_with_no_color(invoke):
    assert "\x1b[" in invoke("surface", "--loss", "mse", "--color", "always").output
    assert "\x1b[" not in invoke("surface", "--loss", "mse", env={"NO_COLOR": "1"}).output


def test_json_document_shape_and_numbers(invoke):
    result = invoke(
        "surface", "--loss", "huber", "--delta", "2", "--steps", "5", "--format", "json"
    )
    document = json.loads(result.output)
    assert document["version"] == __version__
    (surface,) = document["surfaces"]
    assert surface["loss"] == "huber" and surface["params"] == {"delta": 2.0}
    assert surface["task"] == "regression" and surface["method"] == "direct"
    assert surface["w1"] == [-2.0, -0.5, 1.0, 2.5, 4.0] == surface["w2"]
    assert surface["data"] == {
        "kind": "synthetic",
        "task": "regression",
        "n": 40,
        "true_w1": 1.5,
        "true_w2": 0.5,
        "noise": 0.2,
        "seed": 11,
        "outliers": 0.0,
    }
    # values[i][j] is the loss at w2[i], w1[j]: recompute one cell directly from the data
    data = np.loadtxt(FIXTURES / "lesson-regression.csv", delimiter=",", skiprows=1)
    e = np.abs(2.5 * data[:, 0] + (-0.5) - data[:, 1])
    expected = np.where(e <= 2, 0.5 * e * e, 2 * (e - 1)).mean()
    assert surface["values"][1][3] == pytest.approx(expected, rel=1e-14)
    values = np.array(surface["values"])
    i, j = np.unravel_index(np.argmin(values), values.shape)
    assert surface["minimum"] == {
        "w1": surface["w1"][j],
        "w2": surface["w2"][i],
        "value": values[i, j],
        "row": int(i),
        "col": int(j),
    }


def test_csv_is_long_form_in_row_major_order(invoke):
    result = invoke("surface", "--loss", "mse", "--loss", "mae", "--steps", "3", "--format", "csv")
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[0] == ["loss", "w1", "w2", "value"]
    assert len(rows) == 1 + 2 * 9
    assert [r[:3] for r in rows[1:4]] == [
        ["mse", "-2.0", "-2.0"],
        ["mse", "1.0", "-2.0"],
        ["mse", "4.0", "-2.0"],
    ]
    assert rows[10][:3] == ["mae", "-2.0", "-2.0"]


def test_data_piped_through_stdin(invoke):
    points = invoke("data", "regression", "--n", "200", "--noise", "0.5", "--seed", "3").output
    assert points.startswith("x,y\n") and points.count("\n") == 201
    result = invoke("surface", "--data", "-", "--loss", "mse", "--format", "json", input=points)
    surface = json.loads(result.output)["surfaces"][0]
    assert surface["data"] == {
        "kind": "file",
        "source": "stdin",
        "format": "csv",
        "n": 200,
        "columns": {"x": "x", "y": "y"},
        "skipped": 0,
    }
    # the minimum agrees with an independent brute-force evaluation of the mean squared error
    data = np.loadtxt(io.StringIO(points), delimiter=",", skiprows=1)
    w1, w2 = np.meshgrid(surface["w1"], surface["w2"])
    brute = ((w1[..., None] * data[:, 0] + w2[..., None] - data[:, 1]) ** 2).mean(axis=-1)
    row, col = np.unravel_index(np.argmin(brute), brute.shape)
    assert (surface["minimum"]["row"], surface["minimum"]["col"]) == (row, col)
    np.testing.assert_allclose(surface["values"], brute, rtol=1e-12)


def test_data_json_feeds_surface(invoke):
    points = invoke("data", "classification", "--format", "json").output
    result = invoke("surface", "--data", "-", "--loss", "hinge", "--format", "json", input=points)
    assert json.loads(result.output)["surfaces"][0]["minimum"]["value"] == pytest.approx(
        0.11266687005605036
    )


def test_user_data_without_loss_shows_the_lesson_losses_that_fit(invoke, tmp_path):
    regression = invoke(
        "surface", "--data", str(FIXTURES / "lesson-regression.csv"), "--format", "json"
    )
    assert [s["loss"] for s in json.loads(regression.output)["surfaces"]] == ["mse", "mae", "huber"]
    labels = invoke(
        "surface", "--data", str(FIXTURES / "lesson-classification.csv"), "--format", "json"
    )
    assert [s["loss"] for s in json.loads(labels.output)["surfaces"]] == [
        "mse",
        "mae",
        "huber",
        "hinge",
    ]


def test_output_file_is_written_whole(invoke, tmp_path):
    target = tmp_path / "grid.json"
    result = invoke("surface", "--loss", "mse", "--format", "json", "-o", str(target))
    assert result.exit_code == 0 and result.output == ""
    assert json.loads(target.read_text())["surfaces"][0]["loss"] == "mse"
    assert [p.name for p in tmp_path.iterdir()] == ["grid.json"]  # no temporary left behind


def test_failed_run_leaves_an_existing_output_untouched(invoke, tmp_path):
    target = tmp_path / "grid.json"
    target.write_text("keep me")
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,oops\n")
    result = invoke("surface", "--data", str(bad), "-o", str(target))
    assert result.exit_code == 1 and target.read_text() == "keep me"


@pytest.mark.parametrize(
    ("args", "option", "message"),
    [
        (["--delta", "-1"], "--delta", "must be > 0, got -1"),
        (
            ["--loss", "mse", "--delta", "2"],
            "--delta",
            "applies to huber, which is not among the chosen losses",
        ),
        (
            ["--loss", "nope"],
            "--loss",
            "unknown loss 'nope'; known losses: mse, mae, huber, hinge, smooth-l1, log-cosh, "
            "quantile, squared-hinge, logistic, bce, focal, exponential, zero-one, dice, "
            "or expr:FORMULA",
        ),
        (["--steps", "1"], "--steps", "1 is not in the range x>=2."),
        (["--w1-range", "4", "-2"], "--w1-range", "LO must be below HI, got 4 -2"),
        (["--w2-range", "0", "0"], "--w2-range", "LO must be below HI, got 0 0"),
        (["--n", "0"], "--n", "must be at least 1, got 0"),
        (
            ["--data", "x.csv", "--seed", "3"],
            "--seed",
            "sets up synthetic data and cannot be used with --data",
        ),
    ],
)
def test_usage_errors_exit_2_with_one_line(invoke, args, option, message):
    usage_error(invoke("surface", *args), option, message)


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (None, [], "Error: {path}: no such file"),
        ("", [], "Error: {path}: no data points"),
        ("x,y\n1,2\n2,inf\n", [], "Error: {path} line 3: y is not a finite number (inf)"),
        ("x,y\n1,2\n2,x\n", [], "Error: {path} line 3: y is not a number: 'x'"),
        (
            "x,y\n1,1\n2,0.5\n",
            ["--loss", "hinge"],
            "Error: {path} line 3: label 0.5 is not in {{-1, +1}} or {{0, 1}} (hinge is a classification loss)",
        ),
    ],
)
def test_data_errors_exit_1_naming_file_and_line(invoke, tmp_path, content, args, message):
    path = tmp_path / "points.csv"
    if content is not None:
        path.write_text(content)
    result = invoke("surface", "--data", str(path), *args)
    assert result.exit_code == 1
    assert result.output == message.format(path=path) + "\n"


def test_a_directory_is_not_data(invoke, tmp_path):
    result = invoke("surface", "--data", str(tmp_path))
    assert (result.exit_code, result.output) == (
        1,
        f"Error: {tmp_path}: is a directory, not a data file\n",
    )


def test_losses_lists_the_catalogue(invoke):
    table = invoke("losses").output
    for name in ("mse (l2)", "mae (l1)", "huber", "hinge", "--delta 1"):
        assert name in table
    entries = json.loads(invoke("losses", "--format", "json").output)
    assert [e["name"] for e in entries][:4] == ["mse", "mae", "huber", "hinge"]


def test_help_and_version(invoke):
    assert invoke("-h").output == invoke("--help").output
    for command in ("surface", "data", "losses"):
        assert command in invoke("--help").output
        assert invoke(command, "--help").exit_code == 0
    assert invoke("--version").output == f"losscli, version {__version__}\n"


def test_python_dash_m_runs_without_numpy_for_help():
    code = "import sys, runpy; sys.argv = ['losscli', '--help']\ntry:\n runpy.run_module('losscli', run_name='__main__')\nexcept SystemExit: pass\nprint('numpy' in sys.modules, 'rich' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=os.environ
    )
    assert result.stdout.splitlines()[-1] == "False False"


def run_main(*args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    """The installed entry point (main), as a shell runs it."""
    return subprocess.run(
        [sys.executable, "-m", "losscli", *args], capture_output=True, text=True, **kwargs
    )


def test_a_closed_pipe_ends_quietly_like_other_unix_tools():
    command = [sys.executable, "-m", "losscli", "data", "--n", "300000"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as producer:
        assert producer.stdout.readline() == b"x,y\n"
        producer.stdout.close()  # what `| head -1` does
        # killed by SIGPIPE, as `yes | head -1` kills yes (status 141 in a shell)
        assert producer.wait() == -13
        assert producer.stderr.read() == b""


def test_entry_point_exit_statuses():
    assert run_main("--help").returncode == 0
    usage = run_main("surface", "--steps", "1")
    assert (
        usage.returncode == 2
        and usage.stderr.splitlines()[-1]
        == "Error: Invalid value for '--steps': 1 is not in the range x>=2."
    )
    data = run_main("surface", "--data", "/nonexistent/points.csv")
    assert (data.returncode, data.stderr) == (1, "Error: /nonexistent/points.csv: no such file\n")


def wait_for_a_child(pid: int, timeout: float = 30.0) -> None:
    """Until process `pid` has a child process of its own (Linux's /proc says)."""
    end = time.monotonic() + timeout
    while not Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        assert time.monotonic() < end, "no child process appeared"
        time.sleep(0.01)


def test_ctrl_c_prints_interrupted_exits_130_and_leaves_no_file(tmp_path):
    target = tmp_path / "grid.json"
    command = [sys.executable, "-m", "losscli", "surface", "--steps", "4000", "--loss", "mae"]
    command += ["--format", "json", "-o", str(target)]
    with subprocess.Popen(command, stderr=subprocess.PIPE, text=True) as process:
        wait_for_a_child(process.pid)  # the sweep has begun: it forked its worker
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 130
        assert process.stderr.read().strip() == "interrupted"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", [["surface"], ["descend", "--loss", "mae"], ["losses"]])
def test_text_in_a_pipe_has_no_trailing_blanks(invoke, command):
    """Rich pads side-by-side panels to the width; what lands in a pipe is trimmed."""
    lines = invoke(*command).output.splitlines()
    assert len(lines) > 10
    assert [line for line in lines if line != line.rstrip()] == []
