"""Grid coordinates are the grid's exact decimals, in every output, and every sweep method
evaluates the loss at the coordinates it stores."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import numpy as np
import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from losscli.catalogue import get_loss
from losscli.cli import cli
from losscli.data.dataset import Dataset
from losscli.engine import Axis, sweep

CLEAN_ENV = {"COLUMNS": None, "NO_COLOR": None, "FORCE_COLOR": None, "TERM": "xterm"}


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, env=CLEAN_ENV)


# ---------------------------------------------------------------------------------------------
# The lesson's axis, −2…4 in 21 steps, holds 1.6 (linspace: 1.5999999999999996).


def test_json_minimum_and_axes_are_the_decimals() -> None:
    document = json.loads(run("surface", "--format", "json").output)
    mse = document["surfaces"][0]
    assert mse["loss"] == "mse"
    assert mse["minimum"]["w1"] == 1.6 and mse["minimum"]["w2"] == 0.4  # jq '... == 1.6'
    assert 1.6 in mse["w1"] and 0.4 in mse["w2"]
    assert mse["w1"] == [float(Decimal(-2) + k * Decimal("0.3")) for k in range(21)]
    # the minimum's value is the loss at exactly (1.6, 0.4): the lesson's data, by hand
    data = np.loadtxt("tests/fixtures/lesson-regression.csv", delimiter=",", skiprows=1)
    expected = float(np.mean((1.6 * data[:, 0] + 0.4 - data[:, 1]) ** 2))
    assert mse["minimum"]["value"] == pytest.approx(expected, rel=1e-14)


def test_csv_rows_at_the_decimals() -> None:
    text = run("surface", "--loss", "mse", "--format", "csv").output
    assert "1.5999999999999996" not in text
    rows = list(csv.reader(io.StringIO(text)))[1:]
    at = [row for row in rows if float(row[1]) == 1.6]  # awk -F, '$2==1.6'
    assert len(at) == 21 and all(row[1] == "1.6" for row in at)
    assert {row[2] for row in at} >= {"-0.2", "0.1", "0.4", "3.1"}


def test_ndjson_and_the_text_view_show_the_decimals() -> None:
    record = json.loads(run("surface", "--loss", "mse", "--format", "ndjson").output)
    assert record["w2"][6] == -0.2 and repr(record["w2"][6]) == "-0.2"
    view = run("surface", "--loss", "mse", "--color", "never").output
    assert "min 0.05187 at w1 = 1.6, w2 = 0.4" in view


def test_render_reads_the_coordinates_back_unchanged() -> None:
    document = run("surface", "--loss", "mse", "--format", "json").output
    redrawn = run("render", "-", "--color", "never", input=document)
    assert redrawn.exit_code == 0
    assert "min 0.05187 at w1 = 1.6, w2 = 0.4" in redrawn.output
    assert redrawn.output == run("surface", "--loss", "mse", "--color", "never").output


# ---------------------------------------------------------------------------------------------
# Every method against the direct evaluation at the stored coordinates.

EXACT = 5e-14
"""Exact methods (quadratic, piecewise) against direct, relative to the surface's largest
value: the histogram's expansions about the breaks round at the scale of the window, not of
each cell (measured up to 1e-14 over these grids, 2e-15 for most losses)."""
ROUNDING = 1e-14
"""What the direct evaluation's own rounding may add to the binned method's declared bound."""

METHODS = [
    ("mse", "quadratic"),
    ("mae", "piecewise"),
    ("huber", "piecewise"),
    ("smooth-l1", "piecewise"),
    ("quantile", "piecewise"),
    ("hinge", "piecewise"),
    ("squared-hinge", "piecewise"),
    ("zero-one", "piecewise"),
    ("logistic", "binned"),
    ("focal", "binned"),
    ("exponential", "binned"),
    ("log-cosh", "binned"),
]


def decimal_axes(name: str) -> st.SearchStrategy[Axis]:
    """Axes whose ends and step are short decimals: low = a/10, step = b/100 (0.1 to 1, wide
    enough for every method to apply to these points)."""

    def axis(low: int, step: int, steps: int) -> Axis:
        start, stride = Decimal(low).scaleb(-1), Decimal(step).scaleb(-2)
        return Axis(name, float(start), float(start + stride * (steps - 1)), steps)

    return st.builds(axis, st.integers(-50, 50), st.integers(10, 100), st.integers(2, 24))


points = st.lists(st.integers(-40, 40).map(lambda k: k / 10), min_size=1, max_size=30)


def agree(loss_name: str, method: str, data: Dataset, w1: Axis, w2: Axis) -> None:
    loss = get_loss(loss_name)
    params = loss.resolve_params({})
    direct = sweep(loss, params, data, w1, w2, method="direct")
    fast = sweep(loss, params, data, w1, w2, method=method)
    assert fast.method == method
    assert fast.w1.tolist() == direct.w1.tolist() == w1.values.tolist()
    assert fast.w2.tolist() == direct.w2.tolist() == w2.values.tolist()
    difference = np.abs(fast.values - direct.values)
    if loss_name == "zero-one":  # counts: exact, ties at p = 0 included
        assert np.array_equal(fast.values, direct.values)
    elif method == "binned":
        assert fast.error is not None
        assert np.all(difference <= (fast.error + ROUNDING) * np.abs(direct.values))
    else:
        assert np.max(difference) <= EXACT * np.max(np.abs(direct.values))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(points, st.data(), decimal_axes("w1"), decimal_axes("w2"))
def test_every_method_equals_direct_at_the_stored_coordinates(
    x: list[float], draw: st.DataObject, w1: Axis, w2: Axis
) -> None:
    n = len(x)
    y = draw.draw(st.lists(st.integers(-80, 80).map(lambda k: k / 10), min_size=n, max_size=n))
    labels = draw.draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=n, max_size=n))
    for loss_name, method in METHODS:
        classification = get_loss(loss_name).task == "classification"
        data = Dataset(np.array(x), np.array(labels if classification else y), "t", {"kind": "t"})
        try:
            agree(loss_name, method, data, w1, w2)
        except AssertionError as failure:
            raise AssertionError(f"{loss_name} by {method}") from failure


@pytest.mark.parametrize(("loss_name", "method"), METHODS)
def test_each_method_on_the_command_line_equals_method_direct(loss_name: str, method: str) -> None:
    # w1 −1.3…2.2 in 36 steps (0.1), w2 0.15…0.9 in 16 (0.05): values such as 0.3 and 0.7
    # that linspace misses by an ulp
    grid = ["--w1-range", "-1.3", "2.2", "--w2-range", "0.15", "0.9"]
    grid += ["--w1-steps", "36", "--w2-steps", "16", "--format", "json", "--loss", loss_name]
    fast = json.loads(run("surface", *grid, "--method", method).output)["surfaces"][0]
    direct = json.loads(run("surface", *grid, "--method", "direct").output)["surfaces"][0]
    assert 0.3 in fast["w1"] and 0.7 in fast["w1"] and 0.35 in fast["w2"]
    assert fast["w1"] == direct["w1"] and fast["w2"] == direct["w2"]
    values, exact = np.array(fast["values"]), np.array(direct["values"])
    if method == "binned":
        bound = fast["error_bound"] + ROUNDING
        assert np.all(np.abs(values - exact) <= bound * exact)
    else:
        assert np.max(np.abs(values - exact)) <= EXACT * np.max(exact)
