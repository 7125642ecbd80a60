"""A view that fits: thinning to the width, wrapping, Rich's environment conventions, ASCII."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from rich.cells import cell_len

from losscli.cli import cli
from losscli.engine import find_minimum
from losscli.render.grids import GridView, kept_indices, thin

CLEAN_ENV = {"COLUMNS": None, "NO_COLOR": None, "FORCE_COLOR": None, "TERM": "xterm"}


def run(*args: str, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env={**CLEAN_ENV, **(env or {})})


# ---------------------------------------------------------------------------------------------
# Thinning.


def test_keep_spreads_picks_and_moves_the_nearest_onto_the_minimum() -> None:
    # np.linspace(0, 10, 5) = 0, 2.5, 5, 7.5, 10; rint rounds half to even: 0, 2, 5, 8, 10.
    assert kept_indices(11, 5, None).tolist() == [0, 2, 5, 8, 10]
    assert kept_indices(11, 5, 4).tolist() == [0, 2, 4, 8, 10]  # 5 is the pick nearest to 4
    assert kept_indices(11, 5, 10).tolist() == [0, 2, 5, 8, 10]
    assert kept_indices(4, 9, 1).tolist() == [0, 1, 2, 3]  # fits already: everything kept


grids = hnp.arrays(
    np.float64,
    hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=40),
    elements=st.floats(allow_infinity=True, allow_nan=True, width=64),
)


@given(grids, st.integers(2, 45), st.integers(2, 45))
def test_thinning_keeps_the_minimum_and_fits(values: np.ndarray, cols: int, rows: int) -> None:
    grid = GridView(
        "t", "t", np.arange(values.shape[1]) * 0.5, np.arange(values.shape[0]) - 3.0, values
    )
    view = thin(grid, cols, rows)
    assert view.values.shape[0] <= max(rows, 2) and view.values.shape[1] <= max(cols, 2)
    assert np.all(np.diff(view.w1) > 0) and np.all(np.diff(view.w2) > 0)  # order kept
    original, shown = grid.minimum, view.minimum
    if original is None:
        assert shown is None
    else:
        assert shown is not None
        assert (shown.w1, shown.w2, shown.value) == (original.w1, original.w2, original.value)
        found = find_minimum(view.w1, view.w2, view.values)
        assert found is not None and (found.row, found.col) == (shown.row, shown.col)
        # on the window's edge as the whole grid says: thinning may drop the cells that tell
        assert shown.edges == original.edges


# ---------------------------------------------------------------------------------------------
# The view fits the width.


def test_a_501_step_grid_is_thinned_to_the_width_with_the_minimum_starred() -> None:
    full = json.loads(run("surface", "--loss", "mse", "--steps", "501", "--format", "json").output)
    minimum = full["surfaces"][0]["minimum"]
    result = run("surface", "--loss", "mse", "--steps", "501", "--width", "80")
    lines = result.output.splitlines()
    assert max(cell_len(line) for line in lines) <= 80
    assert result.output.count("★") == 1
    assert f"min {minimum['value']:.4g} at w1 = {minimum['w1']:.4g}, w2 = {minimum['w2']:.4g}" in (
        result.output
    )
    # 33 cells (4·8 + 1) fit in 80 columns; the quarter ticks fall on the original grid lines.
    assert lines[-5] == "     └┬" + ("─" * 15 + "┬") * 4 + "─"  # a tick every 8 cells
    assert lines[-4].split() == ["w1", "-2", "-0.5", "1", "2.5", "4"]


@pytest.mark.parametrize(("width", "per_row"), [(60, 1), (99, 2), (150, 3), (201, 4)])
def test_panels_wrap_to_the_width(width: int, per_row: int) -> None:
    result = run("surface", "--width", str(width))
    lines = result.output.splitlines()
    assert max(cell_len(line) for line in lines) <= width
    first = lines[0].split()
    assert first == ["MSE", "MAE", "Huber", "(delta=1)", "Hinge"][: per_row + (per_row >= 3)]


def test_columns_sets_the_width_and_width_overrides_it() -> None:
    narrow = run("surface", env={"COLUMNS": "60"})
    assert max(cell_len(line) for line in narrow.output.splitlines()) <= 60
    overridden = run("surface", "--width", "201", env={"COLUMNS": "60"})
    assert overridden.output.splitlines()[0].split()[-1] == "Hinge"


def test_plain_figure_wraps_and_thins_only_with_a_known_width() -> None:
    unbounded = run("surface", "--style", "plain", "--steps", "101").output.splitlines()
    assert len(unbounded[1]) == 4 * 101 + 3 * 3  # in a pipe: the whole figure, side by side
    fitted = run("surface", "--style", "plain", "--steps", "101", "--width", "50").output
    lines = fitted.splitlines()
    titles = [i for i, line in enumerate(lines) if line in ("MSE", "MAE", "Huber", "Hinge")]
    assert titles == [0, 52, 104, 156]  # one panel a row: title, 50 rows, a blank line
    assert all(len(line) <= 50 for line in lines)
    assert fitted.count("*") == 4
    two_by_two = run("surface", "--style", "plain", "--width", "50").output.splitlines()
    assert two_by_two[0] == "MSE" + " " * 21 + "MAE"  # 21 + 3 + 21 = 45 columns fit in 50
    assert two_by_two[22:24] == ["", "Huber" + " " * 19 + "Hinge"]


def test_width_has_a_floor() -> None:
    result = run("surface", "--width", "5")
    assert result.exit_code == 2
    assert "Invalid value for '--width': 5 is not in the range x>=20." in result.output


# ---------------------------------------------------------------------------------------------
# Rich's conventions: NO_COLOR, FORCE_COLOR, TERM, and --color over all of them.

BACKGROUND = re.compile(r"\x1b\[(?:\d+;)*(?:4[0-7]|10[0-7]|48)[;m]")
"""A background colour in any colour system: a coloured cell. (Which system depends on the
environment, and Rich caches rendered styles per process, so an earlier test's standard
colours can persist here: the test asks only whether cells are coloured.)"""


@pytest.mark.parametrize(
    ("env", "args", "coloured"),
    [
        ({}, [], False),  # CliRunner's output is not a terminal
        ({"FORCE_COLOR": "1"}, [], True),
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, [], False),
        ({"FORCE_COLOR": "1", "TERM": "dumb"}, [], False),
        ({"NO_COLOR": "1"}, ["--color", "always"], True),
        ({"FORCE_COLOR": "1"}, ["--color", "never"], False),
    ],
)
def test_colour_follows_the_environment(
    env: dict[str, str | None], args: list[str], coloured: bool
) -> None:
    result = run("surface", "--loss", "mse", *args, env={"COLORTERM": "truecolor", **env})
    assert bool(BACKGROUND.search(result.output)) is coloured
    if not coloured:  # shading glyphs stand in for colour
        assert "▓▓" in result.output


# ---------------------------------------------------------------------------------------------
# A stdout that cannot print the block characters.


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
@pytest.mark.parametrize("style", ["map", "plain"])
def test_non_utf8_stdout_gets_the_ascii_ramp(encoding: str, style: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "losscli", "surface", "--style", style, "--loss", "mse"],
        env={**os.environ, "PYTHONIOENCODING": encoding, "NO_COLOR": "1"},
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    text = result.stdout.decode("ascii")  # raises if anything but ASCII was written
    assert text.count("*") == 1
    assert "@" in text and "#" in text  # the ASCII ramp " .:-=+#%@"
