"""Overflow told the same way everywhere: a finite mean is reported finite by every path (eval,
descend, every sweep method), and a value that is not finite is told by one rule in every
output format, so that `losscli render` draws the legend `surface` drew.

Expected values are computed by hand in the comments, or exactly with Python's `fractions`
(rational arithmetic, no rounding and no overflow), never by the code under test.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from losscli.catalogue import CATALOGUE, get_loss
from losscli.cli import cli
from losscli.data.dataset import Dataset
from losscli.engine import METHODS, Axis, sweep
from losscli.engine.direct import PROBES
from losscli.errors import ParameterError
from losscli.line import value_and_gradient

CLEAN_ENV = {"COLUMNS": None, "NO_COLOR": None, "FORCE_COLOR": None}


def run(*args: str, input: str | bytes | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, env=CLEAN_ENV)


def points(tmp_path: Path, name: str, rows: list[tuple[float, float]]) -> str:
    """A CSV of (x, y) rows under tmp_path; its path."""
    path = tmp_path / name
    path.write_text("x,y\n" + "".join(f"{x!r},{y!r}\n" for x, y in rows))
    return str(path)


def dataset(x, y) -> Dataset:
    return Dataset(np.asarray(x, float), np.asarray(y, float), "test", {"kind": "test"})


def exact_mean(terms) -> Fraction:
    return sum((Fraction(float(t)) for t in terms), Fraction(0)) / len(terms)


# ---------------------------------------------------------------------------------------------
# Every loss in the catalogue: a finite true mean is reported finite and close, by Loss.mean,
# by eval's and descend's value_and_gradient, and by every sweep method that applies.


def largest_finite_input(name: str) -> float:
    """About the largest |p| (or |residual|) at which the loss is finite for either sign and
    either label: float64's largest, or the largest such 2^k bisected up to the next power."""
    loss = get_loss(name)
    params = loss.resolve_params({})
    targets = [-1.0, 1.0] if loss.task == "classification" else [0.0]

    def finite(u: float) -> bool:
        with np.errstate(all="ignore"):
            return all(
                np.isfinite(loss.value(np.array([u, -u]), np.full(2, t), **params)).all()
                for t in targets
            )

    if finite(sys.float_info.max):
        return sys.float_info.max
    exponent = next((k for k in range(1023, 0, -1) if finite(2.0**k)), 0)
    low, high = 2.0**exponent, 2.0 ** (exponent + 1)
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if finite(middle) else (low, middle)
    return low


PER_POINT = sorted(name for name, loss in CATALOGUE.items() if loss.per_point)


@pytest.mark.parametrize("name", PER_POINT)
def test_every_loss_reports_a_finite_true_mean_finite_and_close(name):
    loss = get_loss(name)
    params = loss.resolve_params({})
    limit = largest_finite_input(name)

    @settings(max_examples=40, deadline=None)
    @given(
        scores=st.lists(st.floats(-limit, limit), min_size=1, max_size=12),
        labels=st.lists(st.sampled_from([-1.0, 1.0]), min_size=12, max_size=12),
        near_the_top=st.booleans(),
    )
    def check(scores, labels, near_the_top):
        p = np.array(scores) * (0.999 if near_the_top else 1.0)
        if near_the_top:  # most points at the top of the range: their sum overflows
            p = np.where(np.abs(p) < limit / 4, np.copysign(limit * 0.999, p), p)
        y = np.array(labels[: len(p)]) if loss.task == "classification" else np.zeros(len(p))
        with np.errstate(all="ignore"):  # as the engine runs: a branch np.where drops may overflow
            terms = loss.value(p, y, **params)
            mean = float(loss.mean(p, y, params))
            slopes = np.abs(loss.gradient(p, y, **params))
            floor = float(np.mean(slopes * (np.abs(p) + np.abs(y) + 1.0)))
        exact = exact_mean(terms)  # the true mean of the points' own float64 losses
        # x = p at (w1, w2) = (1, 0): each prediction 1·p + 0 is p itself
        value, _, _ = value_and_gradient(loss, params, p, y, 1.0, 0.0)
        # the mean of these very terms: pairwise summation and the division are within
        # (n + 1)·ε of mean(|t|)
        summed = Fraction((len(p) + 1) * 2.0**-52) * exact_mean(np.abs(terms)) + Fraction(1e-300)
        for reported in (mean, value):
            assert math.isfinite(reported), (reported, exact)
            assert abs(Fraction(reported) - exact) <= summed
        # a sweep: the engine's contract, within 1e-9 of the value or, where that is small,
        # of the rounding its terms carry (test_engine.py's floor) or of the grid's scale, 1
        for reported in swept(name, params, p, y):
            assert math.isfinite(reported), (reported, exact)
            if math.isfinite(floor):
                assert abs(reported - float(exact)) <= 1e-9 * max(abs(float(exact)), floor, 1.0)

    check()


@pytest.mark.parametrize("name", PER_POINT)
def test_four_points_at_the_top_have_their_own_loss_as_mean(name):
    loss = get_loss(name)
    params = loss.resolve_params({})
    top = 0.999 * largest_finite_input(name)
    # the label (or sign) that makes the loss largest there
    candidates = [(-1.0, 1.0), (1.0, 1.0), (-1.0, -1.0), (1.0, -1.0)]
    if loss.task == "regression":
        candidates = [(sign, 0.0) for sign in (1.0, -1.0)]
    with np.errstate(all="ignore"):
        sign, label = max(
            candidates,
            key=lambda c: float(loss.value(np.array([c[0] * top]), np.array([c[1]]), **params)[0]),
        )
    p, y = np.full(4, sign * top), np.full(4, label)
    with np.errstate(all="ignore"):
        term = float(loss.value(p[:1], y[:1], **params)[0])
    # four equal terms: their mean is the term itself, (4·t)/4 = t exactly, however large
    value, _, _ = value_and_gradient(loss, params, p, y, 1.0, 0.0)
    assert value == term
    axes = Axis("w1", 1, 2, 2), Axis("w2", 0, 1, 2)
    assert sweep(loss, params, dataset(p, y), *axes, method="direct").values[0, 0] == term


def swept(name: str, params, p, y) -> list[float]:
    """The cell (w1, w2) = (1, 0) by every method that applies to a 2 × 2 grid (binned where
    it can bound its error, within 1e-12: the tolerance above). Not piecewise for
    classification, which is inexact for far outliers in x whether or not anything overflows
    (a scale on which nothing overflows shows it: x = 1e9 is 5% off for squared-hinge)."""
    loss = get_loss(name)
    data = dataset(p, y)
    found = []
    for method in METHODS:
        if method == "piecewise" and loss.task == "classification":
            continue
        try:
            surface = sweep(
                loss, params, data, Axis("w1", 1, 2, 2), Axis("w2", 0, 1, 2), method=method
            )
        except ParameterError:
            continue  # the method does not apply to this loss, or cannot bound its error here
        found.append(float(surface.values[0, 0]))
    return found


# ---------------------------------------------------------------------------------------------
# The commands, exactly.


def test_mae_of_1_2e308_from_eval_direct_and_piecewise(tmp_path):
    data = points(tmp_path, "h.csv", [(1.0, 1.2e308)] * 4)
    # |e| = 1.2e308 at every point (the grid's w1 + w2 ≤ 8 is far below its ulp, 2e292)
    text = run("eval", "--data", data, "-l", "mae", "--w1", "0", "--w2", "0")
    assert text.exit_code == 0
    # dℓ/dp = sign(e) = −1: dL/dw1 = mean(−1·1) = −1, dL/dw2 = −1
    assert (
        text.stdout
        == "loss  w1  w2     value  dL/dw1  dL/dw2\nMAE    0   0  1.2e+308      -1      -1\n"
    )
    for method in ("direct", "piecewise"):
        result = run("surface", "--data", data, "-l", "mae", "--steps", "3", "--method", method,
                     "--format", "json")  # fmt: skip
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["surfaces"][0]["values"] == [[1.2e308] * 3] * 3


# ---------------------------------------------------------------------------------------------
# The fast methods: a cell whose sums overflow is evaluated directly, to the same bits.


FAST_CASES = [
    # x = ±1e200: the quadratic method's mean(u²) = 1e400 overflows for every cell; at
    # w1 = 0 the true mse is w2² (0 and 1), at w1 = 1 it is (1e200)² = inf
    pytest.param(
        "mse", "quadratic", [1e200, -1e200], [0.0, 0.0], (0, 1, 2), (0, 1, 2),
        [[0.0, math.inf], [1.0, math.inf]], id="mse-quadratic",
    ),
    # t = −1: margins 1 + 1e154·w1 + w2, squared (1e154)² = 1e308 at w1 = 1 (the 1 + w2 is
    # below its ulp), (2e154)² = inf at w1 = 2
    pytest.param(
        "squared-hinge", "piecewise", [1e154] * 3, [-1.0] * 3, (1, 2, 2), (0, 1, 2),
        [[1e308, math.inf], [1e308, math.inf]], id="squared-hinge-piecewise",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("name", "method", "x", "y", "w1", "w2", "expected"), FAST_CASES)
def test_a_fast_method_gives_the_direct_value_where_its_sums_overflow(
    name, method, x, y, w1, w2, expected
):
    loss = get_loss(name)
    axes = Axis("w1", *w1), Axis("w2", *w2)
    fast = sweep(loss, {}, dataset(x, y), *axes, method=method)
    direct = sweep(loss, {}, dataset(x, y), *axes, method="direct")
    assert fast.method == method
    assert np.array_equal(fast.values, direct.values)
    np.testing.assert_allclose(fast.values, expected, rtol=1e-15)


def test_piecewise_sweeps_data_far_above_the_window_without_a_huge_frame():
    # y = 1e12, far above the window: the histogram's frame would have been 3·10¹¹ bins wide
    # (a MemoryError). |w1·x + w2 − 1e12| at x = 0 and 1 has the mean 1e12 − w2 − w1/2
    axes = Axis("w1", 0, 4, 2), Axis("w2", 0, 4, 2)
    fast = sweep(get_loss("mae"), {}, dataset([0.0, 1.0], [1e12, 1e12]), *axes, method="piecewise")
    expected = [[1e12, 1e12 - 2], [1e12 - 4, 1e12 - 6]]
    np.testing.assert_allclose(fast.values, expected, rtol=1e-15)


def test_the_binned_method_gives_the_direct_value_where_its_sums_overflow():
    # 65536 points at x = 1 with t = −1: each loss e^p, p = w1 + w2 in [700, 701.01]; the sum,
    # 65536·e^700 ≈ 6.6e308, is past float64's largest, the mean e^p ≈ 1e304 is not
    n = 1 << 16
    data = dataset(np.ones(n), np.full(n, -1.0))
    axes = Axis("w1", 0, 0.01, 3), Axis("w2", 700, 701, 3)
    loss = get_loss("exponential")
    binned = sweep(loss, {}, data, *axes, method="binned")
    direct = sweep(loss, {}, data, *axes, method="direct")
    assert binned.method == "binned"
    # log(65536) + 700 = 711.09 > log(largest float64) = 709.78: every sum overflows
    assert math.log(n) + 700 > math.log(sys.float_info.max)
    assert np.array_equal(binned.values, direct.values)
    assert binned.values[0, 0] == pytest.approx(math.exp(700), rel=1e-15)


@pytest.mark.parametrize(
    ("huge_first", "points_read"),
    # 9 cells, all inf after the quadratic sweep (its mean(u²) overflows). First: the 6 cells
    # with w1 ≠ 0 are settled by the 16-point probe, the 3 with w1 = 0 read 16 then all 1000:
    # 6·16 + 3·(16 + 1000) = 3144. Last: every cell reads 16 then 1000: 9·1016 = 9144.
    [(True, 3144), (False, 9144)],
    ids=["probe-settles", "read-in-full"],
)
def test_cells_past_the_probe_match_the_direct_method(huge_first, points_read):
    # 1000 points, one of them 1e200 away from the line: wherever w1 ≠ 0 its squared error is
    # inf; placed first, the first probe finds it, placed last only the whole sum does
    x = np.linspace(0.0, 1.0, 1000)
    x[0 if huge_first else -1] = 1e200
    data = dataset(x, np.zeros(1000))
    assert PROBES == (16, 1024)
    read = []
    mse = get_loss("mse")

    def counted(p, y):
        read.append(p.size)
        return mse.value(p, y)

    loss = dataclasses.replace(mse, value=counted)
    axes = Axis("w1", 0, 1, 3), Axis("w2", 0, 1, 3)
    fast = sweep(loss, {}, data, *axes, method="quadratic")
    assert sum(read) == points_read
    direct = sweep(mse, {}, data, *axes, method="direct")
    assert np.array_equal(fast.values[:, 1:], direct.values[:, 1:])
    assert (fast.values[:, 1:] == math.inf).all()
    # w1 = 0: mean(w2²) = w2², exactly 0, 0.25 and 1
    assert fast.values[:, 0].tolist() == [0.0, 0.25, 1.0]


@pytest.mark.parametrize(
    ("w2_range", "reason"),
    [
        # residuals of 1.7e308 beside a grid of step 3: float64's spacing there, 2e292, is far
        # wider than a node
        (["-2", "4"], "residuals of 1.7e+308 are too far from the grid (far outliers)"),
        # a step of 5e-11: 1.7e308 / 5e-11 node widths is more than float64 counts
        (
            ["0", "1e-10"],
            "the residuals spread over more than 262144 node widths (far outliers)",
        ),
    ],
)
def test_binned_on_far_data_is_refused_with_its_reason_not_a_traceback(tmp_path, w2_range, reason):
    data = points(tmp_path, "far.csv", [(0.0, 1.7e308)] * 4)
    args = ["--data", data, "-l", "log-cosh", "--steps", "3", "--w2-range", *w2_range]
    result = run("surface", *args, "--method", "binned")
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        f"Error: Invalid value for '--method': binned cannot bound its error here: {reason}"
    )
    # auto takes the direct method: 1.7e308 at every cell (|e| = 1.7e308, the w negligible)
    auto = json.loads(run("surface", *args, "--format", "json").stdout)["surfaces"][0]
    assert auto["values"] == [[1.7e308] * 3] * 3


# ---------------------------------------------------------------------------------------------
# One rule in every format: JSON and ndjson null (overflow listed), CSV and npz as they are.

# one point at (0, 0), so p = w2 in every column: log(p) + e^(1000·p) is nan below 0 (log of a
# negative number), −inf at 0 (log 0), log(0.5) + e^500 = 1.4035922178528375e217 at 0.5
# (Python: math.log(0.5) + math.exp(500)) and inf at 1 (e^1000)
FORMULA = "expr:log(p) + exp(1000*p)"
GRID = ["--w1-range", "0", "1", "--w1-steps", "2", "--w2-range", "-1", "1", "--w2-steps", "5"]
FINITE_CELL = 1.4035922178528375e217


def mixed_surface(tmp_path: Path, *extra: str) -> Result:
    data = points(tmp_path, "one.csv", [(0.0, 0.0)])
    return run("surface", "--data", data, "-l", FORMULA, *GRID, *extra)


def test_json_lists_the_cells_that_overflowed_with_their_sign(tmp_path):
    record = json.loads(mixed_surface(tmp_path, "--format", "json").stdout)["surfaces"][0]
    assert record["values"] == [[None, None]] * 3 + [[FINITE_CELL] * 2, [None, None]]
    assert record["nulls"] == 8
    assert record["overflow"] == [[2, 0, -1], [2, 1, -1], [4, 0, 1], [4, 1, 1]]
    assert record["note"] == (
        "null: 4 of 10 values overflow float64 (inf); 4 of 10 values are undefined (nan)"
    )
    clean = json.loads(run("surface", "--loss", "mse", "--steps", "3", "--format", "json").stdout)
    assert clean["surfaces"][0]["overflow"] == []  # always there, empty on a finite surface
    ndjson = json.loads(mixed_surface(tmp_path, "--format", "ndjson").stdout)
    assert ndjson["overflow"] == record["overflow"] and ndjson["values"] == record["values"]


def test_csv_spells_them_as_python_floats(tmp_path):
    lines = mixed_surface(tmp_path, "--format", "csv").stdout.splitlines()
    assert [line.rsplit(",", 1)[1] for line in lines[1:]] == [
        "nan", "nan", "nan", "nan", "-inf", "-inf", repr(FINITE_CELL), repr(FINITE_CELL),
        "inf", "inf",
    ]  # fmt: skip
    assert [float(line.rsplit(",", 1)[1]) for line in lines[-2:]] == [math.inf, math.inf]


def test_npz_keeps_them_as_float64_and_its_meta_has_no_overflow_list(tmp_path):
    target = tmp_path / "grid.npz"
    assert mixed_surface(tmp_path, "--format", "npz", "-o", str(target)).exit_code == 0
    stored = np.load(io.BytesIO(target.read_bytes()))
    values = stored["values"][0]
    assert np.isnan(values[:2]).all()
    assert values[2:].tolist() == [[-math.inf] * 2, [FINITE_CELL] * 2, [math.inf] * 2]
    [meta] = json.loads(str(stored["meta"]))
    assert "overflow" not in meta and meta["nulls"] == 8


@pytest.mark.parametrize("fmt", ["json", "ndjson"])
def test_render_draws_the_legend_surface_drew(tmp_path, fmt):
    shown = mixed_surface(tmp_path, "--color", "never")
    assert shown.stdout.splitlines()[-1] == "!! overflow"
    document = mixed_surface(tmp_path, "--format", fmt).stdout
    redrawn = run("render", "-", "--color", "never", input=document)
    assert redrawn.exit_code == 0
    assert redrawn.stdout == shown.stdout


def test_exponential_through_render_says_overflow_as_surface_does():
    args = ["surface", "--loss", "exponential", "--w1-range", "-2000", "2000", "--steps", "7"]
    shown = run(*args, "--color", "never").stdout
    redrawn = run("render", "-", "--color", "never", input=run(*args, "--format", "json").stdout)
    assert redrawn.stdout == shown
    assert redrawn.stdout.splitlines()[-1] == "!! overflow"


def test_undefined_cells_still_say_no_value_both_ways():
    args = ["surface", "--loss", "expr:log(p - y)", "--steps", "3"]
    shown = run(*args, "--color", "never").stdout
    assert shown.splitlines()[-1] == "!! no value"
    assert (
        run("render", "-", "--color", "never", input=run(*args, "--format", "json").stdout).stdout
        == shown
    )


def test_a_listed_cell_that_holds_a_number_keeps_it():
    grid = {"w1": [0, 1], "w2": [0], "values": [[1, None]], "overflow": [[0, 0, 1]]}
    lines = run("render", "-", "--color", "never", input=json.dumps(grid)).stdout.splitlines()
    # the cell (0, 0) holds 1, the minimum; the null at (0, 1) is not listed: no value
    assert lines[-2:] == ["blank 1 elsewhere", "!! no value"]


@pytest.mark.parametrize(
    ("overflow", "message"),
    [
        ('"yes"', "<stdin>: overflow is not a list of [row, col, sign]"),
        ("[[0, 5, 1]]", "<stdin>: overflow[0] is not [row, col, 1 or -1] of a cell: [0, 5, 1]"),
        (
            "[[0, 1, 1], [0, 1, 2]]",
            "<stdin>: overflow[1] is not [row, col, 1 or -1] of a cell: [0, 1, 2]",
        ),
        (
            "[[0, true, 1]]",
            "<stdin>: overflow[0] is not [row, col, 1 or -1] of a cell: [0, true, 1]",
        ),
    ],
)
def test_a_broken_overflow_list_is_one_error_line(overflow, message):
    document = '{"w1": [0, 1], "w2": [0], "values": [[1, null]], "overflow": ' + overflow + "}"
    result = run("render", "-", input=document)
    assert result.exit_code == 1
    assert result.output == f"Error: {message}\n"
