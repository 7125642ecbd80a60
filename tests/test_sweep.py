"""The sweep: layout values[i][j] = L(w1[j], w2[i]), blocked evaluation, first minimum."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from losscli.catalogue import get_loss
from losscli.data.dataset import Dataset
from losscli.data.synthetic import synthetic_regression
from losscli.engine import Axis, direct, sweep
from losscli.engine.axis import exact_fraction
from losscli.errors import ParameterError


def lesson_loop_mse(xs, ys, w1s, w2s):
    """The lesson's compute_loss_surface with its mse_loss: plain Python loops, rows are w2."""
    surface = []
    for w2 in w2s:
        row = []
        for w1 in w1s:
            total = 0.0
            for x, y in zip(xs, ys, strict=True):
                error = w1 * x + w2 - y
                total += error * error
            row.append(total / len(xs))
        surface.append(row)
    return surface


def dataset(x, y) -> Dataset:
    return Dataset(np.asarray(x, float), np.asarray(y, float), "test", {"kind": "test"})


def test_rows_are_w2_and_columns_are_w1_on_a_non_square_grid():
    data = synthetic_regression(n=13, seed=2)
    w1, w2 = Axis("w1", -1.0, 3.0, 5), Axis("w2", 0.0, 2.0, 3)
    result = sweep(get_loss("mse"), {}, data, w1, w2)
    assert result.values.shape == (3, 5)
    expected = lesson_loop_mse(
        data.x.tolist(), data.y.tolist(), w1.values.tolist(), w2.values.tolist()
    )
    np.testing.assert_allclose(result.values, expected, rtol=1e-13)


def test_a_single_point_surface_by_hand():
    # One point (x=2, y=1): mse at (w1, w2) = (2·w1 + w2 − 1)². Axes [0, 1] × [0, 1], 2 steps.
    result = sweep(
        get_loss("mse"), {}, dataset([2.0], [1.0]), Axis("w1", 0, 1, 2), Axis("w2", 0, 1, 2)
    )
    # rows w2 = 0, 1; cols w1 = 0, 1: (−1)², (1)², (0)², (2)²
    assert result.values.tolist() == [[1.0, 1.0], [0.0, 4.0]]
    assert (result.minimum.row, result.minimum.col, result.minimum.value) == (1, 0, 0.0)


def test_blocking_does_not_change_values(monkeypatch):
    data = synthetic_regression(n=50, seed=8)
    w1, w2 = Axis("w1", -2, 4, 17), Axis("w2", -2, 4, 9)
    whole = sweep(get_loss("huber"), {"delta": 0.5}, data, w1, w2).values
    monkeypatch.setattr(direct, "BLOCK_ELEMENTS", 7)  # one cell a block, ragged edges
    assert np.array_equal(sweep(get_loss("huber"), {"delta": 0.5}, data, w1, w2).values, whole)


def test_minimum_is_the_first_in_row_major_order():
    # hinge on points far on their sides is 0 over a whole region: argmin picks the first cell.
    data = dataset([1.0, -1.0], [1.0, -1.0])
    result = sweep(get_loss("hinge"), {}, data, Axis("w1", 2, 4, 3), Axis("w2", -0.5, 0.5, 3))
    assert np.all(result.values == 0.0)
    assert (result.minimum.row, result.minimum.col) == (0, 0)


def test_non_finite_values_are_skipped_by_the_minimum():
    result = sweep(
        get_loss("mse"), {}, dataset([1.0], [0.0]), Axis("w1", 0, 1, 2), Axis("w2", 0, 1, 2)
    )
    values = result.values.copy()
    values[0, 0] = np.nan
    patched = type(result)(result.loss, result.params, result.data, result.w1, result.w2, values)
    assert (patched.minimum.row, patched.minimum.col) == (
        0,
        1,
    )  # (1·1 + 0 − 0)² = 1 is smallest left


@pytest.mark.parametrize(
    ("args", "field", "message"),
    [
        (("w1", 4.0, -2.0, 21), "w1_range", "LO must be below HI, got 4 -2"),
        (("w2", 1.0, 1.0, 21), "w2_range", "LO must be below HI, got 1 1"),
        (("w1", 0.0, float("inf"), 21), "w1_range", "must be finite numbers, got 0 inf"),
        (("w2", 0.0, 1.0, 1), "w2_steps", "must be at least 2, got 1"),
    ],
)
def test_axes_are_checked(args, field, message):
    with pytest.raises(ParameterError) as error:
        Axis(*args)
    assert (error.value.field, error.value.message) == (field, message)


def test_axis_values_are_the_decimals_of_the_grid():
    # −2…4 in 21 steps is −2 + 0.3·k: the floats nearest those decimals, which print as them
    # (numpy.linspace gives 1.5999999999999996 for k = 12, −0.20000000000000018 for k = 6).
    axis = Axis("w1", -2, 4, 21)
    assert axis.values.tolist() == [float(Decimal(-2) + k * Decimal("0.3")) for k in range(21)]
    assert [repr(v) for v in axis.values.tolist()][5:9] == ["-0.5", "-0.2", "0.1", "0.4"]
    assert axis.values[12] == 1.6 and axis.step == 0.3
    assert Axis("w", -2, 4, 1001).values[600] == 1.6  # a step of 0.006


def test_an_axis_whose_step_is_no_short_decimal_holds_the_nearest_floats():
    # 0…1 in 7 steps: k/6, each value the float nearest the exact fraction (Python's
    # float(Fraction) rounds to the nearest); numpy.linspace gives 0.8333333333333333 for 5/6.
    values = Axis("w", 0, 1, 7).values.tolist()
    assert values == [float(Fraction(k, 6)) for k in range(7)]
    assert values[5] == 0.8333333333333334


def test_an_axis_beyond_exact_whole_numbers_is_linspace():
    # 1e-300…1 would need 10^300 as a denominator: numpy.linspace's values, as before
    assert exact_fraction(1e-300, 1.0, 3) is None
    assert Axis("w", 1e-300, 1, 3).values.tolist() == np.linspace(1e-300, 1, 3).tolist()
    assert Axis("w", 1e20, 1e21, 3).values.tolist() == np.linspace(1e20, 1e21, 3).tolist()


short_decimals = st.builds(
    lambda whole, places: Decimal(whole).scaleb(-places),
    st.integers(-(10**6), 10**6),
    st.integers(0, 4),
)


@given(short_decimals, short_decimals, st.integers(2, 2000))
def test_every_axis_value_is_the_float_nearest_its_exact_value(low, high, steps):
    assume(low < high)
    axis = Axis("w", float(low), float(high), steps)
    lo, hi = Fraction(low), Fraction(high)
    expected = [float(lo + k * (hi - lo) / (steps - 1)) for k in range(steps)]
    assert axis.values.tolist() == expected
    assert axis.step == float((hi - lo) / (steps - 1))
