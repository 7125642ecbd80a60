"""Sums and means over points that are finite wherever the true one is (`losscli.sums`), and
the issue's commands through `eval` and `surface`: a sum that overflows while the mean is
finite reports the mean.

Expected values are computed by hand in the comments, or exactly with Python's `fractions`
(rational arithmetic, no rounding and no overflow), never by the code under test.
"""

from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from losscli.cli import cli
from losscli.sums import finite_dot, finite_mean, finite_sum

CLEAN_ENV = {"COLUMNS": None, "NO_COLOR": None, "FORCE_COLOR": None}
E709 = 8.218407461554972e307
"""e^709, as Python's math.exp(709) prints it."""


def run(*args: str, input: str | bytes | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, env=CLEAN_ENV)


def points(tmp_path: Path, name: str, rows: list[tuple[float, float]]) -> str:
    """A CSV of (x, y) rows under tmp_path; its path."""
    path = tmp_path / name
    path.write_text("x,y\n" + "".join(f"{x!r},{y!r}\n" for x, y in rows))
    return str(path)


def exact_mean(terms) -> Fraction:
    return sum((Fraction(float(t)) for t in terms), Fraction(0)) / len(terms)


# ---------------------------------------------------------------------------------------------
# Sums and means: the scaled path where the plain sum overflows.


def test_the_mean_of_four_e709_is_e709():
    # (4·e^709)/4 = e^709: the plain sum, 3.3e308, is past float64's 1.8e308
    terms = np.full(4, E709)
    with np.errstate(over="ignore"):
        assert not math.isfinite(float(terms.sum()))
    assert float(finite_mean(terms)) == E709 == math.exp(709)


def test_rows_are_rescued_one_by_one_and_the_others_keep_their_bits():
    terms = np.array([[E709] * 4, [1.0, 2.0, 3.0, 4.5], [math.inf, 1.0, 1.0, 1.0]])
    means = finite_mean(terms)
    # e^709; (1 + 2 + 3 + 4.5)/4 = 2.625; a term that is inf makes the mean inf
    assert means.tolist() == [E709, 2.625, math.inf]
    assert math.isnan(float(finite_mean(np.array([math.inf, -math.inf]))))


def test_a_sum_finite_only_after_cancelling_is_finite():
    # pairwise: 1e308 + 1e308 = inf, then + (−1e308) stays inf; the true sum is 1e308
    assert float(finite_sum(np.array([1e308, 1e308, -1e308]))) == 1e308
    # the true sum 2e308 is past float64's largest: inf, honestly
    assert float(finite_sum(np.array([1e308, 1e308]))) == math.inf


def test_a_dot_product_whose_products_overflow_but_cancel_is_zero():
    # (−1e154)·1e300 + (−1e154)·(−1e300) = −1e454 + 1e454 = 0; the plain sum is inf − inf
    a, b = np.array([-1e154, -1e154]), np.array([1e300, -1e300])
    with np.errstate(over="ignore", invalid="ignore"):
        assert math.isnan(float(np.sum(a * b)))
    assert finite_dot(a, b) == 0.0
    # 1e200·1e200 + 1e200·1e200 = 2e400: truly past float64, inf
    assert finite_dot(np.array([1e200, 1e200]), np.array([1e200, 1e200])) == math.inf


FINITE = st.floats(allow_nan=False, allow_infinity=False)


@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 40)), elements=FINITE))
def test_finite_terms_always_have_a_finite_mean_close_to_the_exact_one(terms):
    means = finite_mean(terms)
    assert np.isfinite(means).all()
    for row, mean in zip(terms, means, strict=True):
        # pairwise summation: at most n·ε of Σ|t| off, plus the division's half an ulp
        slack = len(row) * 2.0**-52 * float(exact_mean(np.abs(row)))
        assert abs(Fraction(float(mean)) - exact_mean(row)) <= Fraction(slack) + Fraction(
            math.ulp(float(mean))
        )


@given(hnp.arrays(np.float64, st.integers(1, 60), elements=st.floats(-1e300, 1e300)))
def test_where_the_plain_mean_is_finite_it_is_returned_bit_for_bit(terms):
    with np.errstate(over="ignore"):
        plain = terms.mean()
    if math.isfinite(plain):
        assert float(finite_mean(terms)) == plain


# ---------------------------------------------------------------------------------------------
# The commands, exactly.


def test_eval_reports_the_exponential_mean_whose_sum_overflows(tmp_path):
    data = points(tmp_path, "f.csv", [(1.0, -1.0)] * 4)
    result = run("eval", "--data", data, "-l", "exponential", "--w1", "0", "--w2", "709",
                 "--format", "json")  # fmt: skip
    assert result.exit_code == 0
    # each point: e^(−t·p) = e^709 (t = −1, p = 709), dℓ/dp = −t·e^(−t·p) = e^709; with x = 1
    # both dL/dw1 = mean(dℓ/dp·x) and dL/dw2 = mean(dℓ/dp) are e^709 too
    assert result.stdout == (
        "[\n  {\n"
        '    "loss": "exponential",\n    "params": {},\n    "w1": 0.0,\n    "w2": 709.0,\n'
        '    "value": 8.218407461554972e+307,\n'
        '    "gradient": {\n      "w1": 8.218407461554972e+307,\n'
        '      "w2": 8.218407461554972e+307\n    }\n  }\n]\n'
    )


def test_mse_near_the_top_is_the_same_from_eval_direct_and_quadratic(tmp_path):
    data = points(tmp_path, "g.csv", [(1.0, 1.2e154)] * 4)
    # e = −1.2e154 at every point (w1 + w2 ≤ 2 vanishes beside it): e² = 1.44e308 rounded,
    # as Python's 1.2e154 * 1.2e154 gives it; the mean of four equal terms is the term
    square = 1.4400000000000002e308
    [record] = json.loads(
        run(
            "eval", "--data", data, "-l", "mse", "--w1", "0", "--w2", "0", "--format", "json"
        ).stdout
    )
    # dℓ/dp = 2e = −2.4e154 at every point, x = 1
    assert record["value"] == square
    assert record["gradient"] == {"w1": -2.4e154, "w2": -2.4e154}
    grid = ["--w1-range", "0", "1", "--w2-range", "0", "1", "--steps", "2", "--format", "json"]
    for method in ("direct", "quadratic", "auto"):
        result = run("surface", "--data", data, "-l", "mse", *grid, "--method", method)
        surface = json.loads(result.stdout)["surfaces"][0]
        assert surface["values"] == [[square, square], [square, square]], method
        assert surface["nulls"] == 0


def test_a_gradient_whose_products_overflow_but_cancel_is_zero(tmp_path):
    data = points(tmp_path, "k.csv", [(1e300, 1e154), (-1e300, 1e154)])
    [record] = json.loads(
        run(
            "eval", "--data", data, "-l", "mse", "--w1", "0", "--w2", "0", "--format", "json"
        ).stdout
    )
    # e = −1e154 at both points: e² = 1e308 (Python's 1e154 * 1e154); dℓ/dp/n = −1e154, so
    # dL/dw1 = −1e154·1e300 + (−1e154)·(−1e300) = 0 and dL/dw2 = −2e154
    assert record["value"] == 1e308
    assert record["gradient"] == {"w1": 0.0, "w2": -2e154}
