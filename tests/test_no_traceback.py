"""Inputs and environments that used to end in a Python traceback, or in exit 0 with the result
lost: each is now one `Error:` line and the right status, or the result itself.

Closed streams and a full disk are made for one child process only (its descriptors closed,
its file size limited), never for the machine.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from losscli.cli import cli

CLEAN_ENV = {"COLUMNS": None, "NO_COLOR": None, "FORCE_COLOR": None}


def run(*args: str, input: str | None = None, env: dict | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, env={**CLEAN_ENV, **(env or {})})


def error(result: Result) -> str:
    """The last line of stderr, which must be the only `Error:` line, and no traceback."""
    assert "Traceback" not in result.output
    return result.stderr.splitlines()[-1]


def losscli(*args: str, cwd: Path, setup=None, env: dict | None = None, stdout=None):
    """losscli as its own process; `setup` runs in the child before losscli starts."""
    return subprocess.run(
        [sys.executable, "-m", "losscli", *args],
        cwd=cwd,
        stdout=stdout if stdout is not None else subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent), **(env or {})},
        preexec_fn=setup,
        timeout=120,
    )


# ---------------------------------------------------------------------------------------------
# Files: numbers of any length, fields of any length, strings that are not text.


def test_an_integer_of_thousands_of_digits_is_read_as_a_number(tmp_path):
    points = tmp_path / "points.json"
    points.write_text("[[1, " + "1" * 4400 + "], [2, 3]]")  # beyond Python's 4300-digit limit
    result = run("surface", "--data", str(points), "-l", "mse")
    assert (result.exit_code, error(result)) == (
        1,
        f"Error: {points}: item 0: y is not a finite number (inf)",
    )


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"w1": [1, "HUGE"], "w2": [1, 2], "values": [[1, 2], [3, 4]]}, "w1[1] is not finite"),
        ({"w1": [1, 2], "w2": [1, 2], "values": [[1, 2], [3, "HUGE"]]}, None),
        ({"w1": [1, 2], "w2": [1, 2], "values": [[1, 2], [3, 4]], "loss": "huber",
          "params": {"delta": "HUGE"}}, None),
    ],
)  # fmt: skip
def test_render_takes_huge_integers_as_numbers(tmp_path, record, message):
    grid = tmp_path / "grid.json"
    grid.write_text(json.dumps(record).replace('"HUGE"', "9" * 5000))
    result = run("render", str(grid), "--color", "never")
    if message is None:  # an overflowing value is drawn as overflow
        assert result.exit_code == 0 and "Traceback" not in result.output
    else:
        assert (result.exit_code, error(result)) == (1, f"Error: {grid}: {message}")


def test_a_descent_file_with_a_huge_step_number_is_read(tmp_path):
    saved = tmp_path / "walk.json"
    saved.write_text(run("descend", "--steps", "3", "--format", "json").stdout)
    saved.write_text(saved.read_text().replace('"step": 3', '"step": ' + "7" * 5000))
    result = run("surface", "--path", str(saved), "--color", "never")
    assert result.exit_code == 0 and "gd" in result.stdout


def test_a_csv_field_longer_than_the_csv_modules_limit(tmp_path):
    padded = tmp_path / "padded.csv"
    padded.write_text("0" * 140_000 + "1,2\n3,4\n")  # a valid number: 1
    result = run("surface", "--data", str(padded), "-l", "mse", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["surfaces"][0]["data"]["n"] == 2
    junk = tmp_path / "junk.csv"
    junk.write_text("x,y\n1," + "z" * 200_000 + "\n")
    message = error(run("surface", "--data", str(junk), "-l", "mse"))
    assert message == f"Error: {junk} line 2: y is not a number: '{'z' * 40}'..."


def test_rows_end_at_line_ends_only(tmp_path):
    data = tmp_path / "feed.csv"
    data.write_text("x,y\n1,2\f3,4\n5,6\u20287,8\n")
    assert error(run("surface", "--data", str(data), "-l", "mse")) == (
        f"Error: {data} line 2: y is not a number: '2\\x0c3'"
    )


def test_json_true_is_not_the_number_one(tmp_path):
    data = tmp_path / "points.json"
    data.write_text('{"x": [1, 2], "y": [true, 4], "note": "true"}')
    assert error(run("surface", "--data", str(data), "-l", "mse")) == (
        f"Error: {data}: y[0] is not a number: true"
    )
    data.write_text('{"x": [1, 2], "y": [3, 4], "note": "true"}')
    assert run("surface", "--data", str(data), "-l", "mse").exit_code == 0


def test_strings_from_files_cannot_drive_the_terminal(tmp_path):
    grid = tmp_path / "grid.json"
    title = "evil\x1b]0;owned\x07\x1b[2J\x9b"
    grid.write_text(json.dumps({"w1": [1, 2], "w2": [1, 2], "values": [[1, 2], [3, 4]],
                                "title": title}))  # fmt: skip
    for style in ("map", "plain"):
        result = run("render", str(grid), "--style", style, "--color", "always")
        assert result.exit_code == 0
        assert "\x07" not in result.stdout and "\x9b" not in result.stdout
        assert "evil\\x1b]0;owned\\x07\\x1b[2J\\x9b" in result.stdout
    walk = json.loads(run("descend", "--steps", "2", "--format", "json").stdout)
    walk["runs"][0]["optimizer"] = "\x1b[31mred"
    saved = tmp_path / "walk.json"
    saved.write_text(json.dumps(walk))
    result = run("surface", "--path", str(saved), "--color", "never")
    assert result.exit_code == 0 and "\x1b" not in result.stdout and "\\x1b[31mred" in result.stdout


# ---------------------------------------------------------------------------------------------
# Values that overflow or are not numbers at all.


def test_a_window_wider_than_float64_is_refused():
    result = run("surface", "--w1-range", "-9e307", "9e307", "--format", "json", "-l", "mse")
    assert (result.exit_code, error(result)) == (
        2,
        "Error: Invalid value for '--w1-range': HI - LO overflows float64, got -9e+307 9e+307",
    )
    result = run("descend", "--w2-range", "-1.7e308", "1.7e308")
    assert "'--w2-range'" in error(result)  # not --start, which was not given


@pytest.mark.parametrize(
    ("args", "value"),
    [(["-l", "huber", "--delta", "1e200"], 0.0259367128417352),
     (["-l", "smooth-l1", "--beta", "1e-310"], 0.1811695328371633)],
)  # fmt: skip
def test_extreme_hyper_parameters_sweep_directly(args, value):
    """huber's ramp −delta²/2 and smooth-l1's 0.5/beta overflow float64: no fast path then.
    (The minima: huber with delta beyond every residual is half the mse, 0.0518734256834704
    / 2; smooth-l1 with beta below every residual is |e| − beta/2, the mae, 0.181169…)."""
    result = run("surface", *args, "--format", "json")
    assert result.exit_code == 0
    surface = json.loads(result.stdout)["surfaces"][0]
    assert surface["method"] == "direct"
    assert surface["minimum"]["value"] == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["data", "--true-w1", "inf", "--format", "json"],
         "Invalid value for '--true-w1': must be a finite number, got inf"),
        (["data", "classification", "--true-w2", "nan"],
         "Invalid value for '--true-w2': must be a finite number, got nan"),
        (["surface", "--noise", "1e308", "-l", "mse"],
         "Invalid value for '--noise': makes y overflow float64; use a smaller value"),
        (["eval", "--w1", "nan", "--w2", "0", "--format", "json"],
         "Invalid value for '--w1': must be a finite number, got nan"),
        (["descend", "--animate", "--fps", "nan"],
         "Invalid value for '--fps': 'nan' is not a finite number."),
        (["descend", "--animate", "--fps", "1e-300"],
         "Invalid value for '--fps': 1e-300 is not in the range 0.01<=x<=1000."),
        (["surface", "--max-seconds", "nan"],
         "Invalid value for '--max-seconds': 'nan' is not a finite number."),
    ],
)  # fmt: skip
def test_values_that_are_not_finite_are_refused(args, message):
    result = run(*args)
    assert (result.exit_code, error(result)) == (2, f"Error: {message}")


def test_max_seconds_inf_means_no_limit():
    assert run("surface", "-l", "mse", "--max-seconds", "inf").exit_code == 0


# ---------------------------------------------------------------------------------------------
# Streams: closed, full, narrow, ASCII.


def test_closed_standard_input(tmp_path):
    closed = lambda: os.close(0)  # noqa: E731 - the child's own stdin
    reading = losscli("surface", "--data", "-", "-l", "mse", cwd=tmp_path, setup=closed)
    assert (reading.returncode, reading.stderr) == (
        1,
        b"Error: <stdin>: standard input is closed\n",
    )
    rendering = losscli("render", "-", cwd=tmp_path, setup=closed)
    assert rendering.stderr == b"Error: <stdin>: standard input is closed\n"
    not_reading = losscli("surface", "-l", "mse", "--color", "never", cwd=tmp_path, setup=closed)
    assert not_reading.returncode == 0 and b"MSE" in not_reading.stdout


@pytest.mark.parametrize("args", [["surface", "-l", "mse"], ["data"], ["losses"]])
def test_closed_standard_output_is_an_error_not_a_silent_success(tmp_path, args):
    result = losscli(*args, cwd=tmp_path, setup=lambda: os.close(1))
    assert (result.returncode, result.stderr) == (
        1,
        b"Error: cannot write to standard output: it is closed\n",
    )


def full_disk() -> None:
    """In the child: files may not grow past 4 KiB, and writing past that fails (EFBIG)
    instead of killing the process, as a full disk would."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))


@pytest.mark.parametrize("unbuffered", ["", "1"])
def test_a_full_disk_under_standard_output_is_an_error(tmp_path, unbuffered):
    with open(tmp_path / "out.csv", "wb") as out:
        result = losscli(
            "data", "--n", "1000", cwd=tmp_path, setup=full_disk, stdout=out,
            env={"PYTHONUNBUFFERED": unbuffered},
        )  # fmt: skip
    assert (result.returncode, result.stderr) == (
        1,
        b"Error: cannot write to standard output (File too large)\n",
    )


def test_a_full_disk_under_o_is_an_error_and_leaves_the_old_file(tmp_path):
    target = tmp_path / "points.csv"
    target.write_text("old")
    result = losscli("data", "--n", "1000", "-o", str(target), cwd=tmp_path, setup=full_disk)
    assert (result.returncode, result.stderr) == (
        1,
        f"Error: {target}: cannot write (File too large)\n".encode(),
    )
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["points.csv"]


def test_columns_zero_still_draws(tmp_path):
    drawn = run("surface", "-l", "mse", env={"COLUMNS": "0"})
    assert drawn.exit_code == 0 and "MSE" in drawn.stdout
    target = tmp_path / "view.txt"
    assert run("surface", "-l", "mse", "-o", str(target), env={"COLUMNS": "0"}).exit_code == 0
    assert "MSE" in target.read_text()


def test_an_ascii_only_standard_output_gets_escapes_not_a_traceback(tmp_path):
    listed = losscli("losses", cwd=tmp_path, env={"PYTHONIOENCODING": "ascii"})
    assert listed.returncode == 0 and listed.stderr == b""
    assert b"0.5\\xb7e\\xb2" in listed.stdout  # 0.5·e², escaped
    grid = tmp_path / "grid.json"
    grid.write_text(json.dumps({"w1": [1, 2], "w2": [1, 2], "values": [[1, 2], [3, 4]],
                                "title": "Bänder"}))  # fmt: skip
    drawn = losscli("render", str(grid), cwd=tmp_path, env={"PYTHONIOENCODING": "ascii"})
    assert drawn.returncode == 0 and b"B\\xe4nder" in drawn.stdout
