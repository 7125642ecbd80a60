"""`--loss expr:FORMULA`: the whitelist evaluator, its values, its gradient, hostile input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from losscli.catalogue import get_loss
from losscli.catalogue.expr import MAX_DEPTH, MAX_LENGTH, formula_loss, parse
from losscli.errors import ParameterError

P = np.array([0.0, 1.0, 3.0])
Y = np.array([1.0, 1.0, 1.0])


def refused(formula: str) -> str:
    with pytest.raises(ParameterError) as error:
        get_loss("expr:" + formula)
    assert error.value.field == "loss"
    assert "\n" not in error.value.message
    return error.value.message


def test_the_issue_examples_evaluate_vectorised():
    loss = get_loss("expr:abs(p - y)**1.5")
    # |e| = 1, 0, 2 → 1, 0, 2^1.5
    np.testing.assert_allclose(loss.value(P, Y), [1.0, 0.0, 2.0**1.5], rtol=1e-15)
    loss = get_loss("expr:log(1 + (p - y)**2)")
    np.testing.assert_allclose(loss.value(P, Y), [math.log(2), 0.0, math.log(5)], rtol=1e-15)
    assert loss.name == "expr:log(1 + (p - y)**2)" and loss.task == "regression"


def test_a_formula_equal_to_mse_gives_mse_on_a_grid():
    grid = np.linspace(-2, 2, 12).reshape(3, 4, 1) + P  # grid axes in front of the points
    mine, mse = get_loss("expr:(p - y)**2"), get_loss("mse")
    np.testing.assert_allclose(mine.mean(grid, Y, {}), mse.mean(grid, Y, {}), rtol=1e-15)


def test_comparisons_are_one_or_zero_and_chain():
    loss = get_loss("expr:where(p > y, 2 * (p - y), y - p) + (0 <= p < 1)")
    # p = 0: y − p = 1, and 0 <= 0 < 1 adds 1; p = 1: 0 + 0; p = 3: 2·2 = 4
    assert loss.value(P, Y).tolist() == [2.0, 0.0, 4.0]


def test_a_constant_formula_broadcasts_to_every_point():
    assert get_loss("expr:2").value(P, Y).tolist() == [2.0, 2.0, 2.0]
    assert get_loss("expr:2").gradient(P, Y).tolist() == [0.0, 0.0, 0.0]


def test_a_formula_in_t_is_a_classification_loss():
    loss = get_loss("expr:log1p(exp(-t * p))")
    assert loss.task == "classification"
    t = np.array([1.0, -1.0, 1.0])
    np.testing.assert_allclose(loss.value(P, t), get_loss("logistic").value(P, t), rtol=1e-15)
    assert "not both" in refused("(p - y)**2 + t")


@settings(max_examples=50, deadline=None)
@given(p=st.floats(-50, 50), y=st.floats(-50, 50))
def test_the_central_difference_matches_the_analytic_gradient(p, y):
    # d/dp of log(1 + e²) is 2e/(1 + e²), and of (p − y)³ is 3e²
    pa, ya = np.array([p]), np.array([y])
    e = p - y
    cauchy = formula_loss("log(1 + (p - y)**2)").gradient(pa, ya)[0]
    assert cauchy == pytest.approx(2 * e / (1 + e * e), rel=1e-6, abs=1e-8)
    cube = formula_loss("(p - y)**3").gradient(pa, ya)[0]
    assert cube == pytest.approx(3 * e * e, rel=1e-6, abs=1e-6)


@pytest.mark.parametrize(
    ("formula", "named"),
    [
        ("p.__class__", "attribute access 'p.__class__'"),
        ("__import__('os').system('true')", "call of attribute access"),
        ("os", "name 'os'"),
        ("open('x')", "function 'open'"),
        ("exec('1')", "function 'exec'"),
        ("p[0]", "subscript 'p[0]'"),
        ("lambda: p", "lambda 'lambda: p'"),
        ("[p for p in y]", "comprehension '[p for p in y]'"),
        ("sum(x for x in p)", "function 'sum'"),
        ("clip(p, a_min=0, a_max=1)", "keyword argument in clip()"),
        ("'p'", "constant 'p'"),
        ("b'p'", "constant b'p'"),
        ("True", "constant True"),
        ("1j", "constant 1j"),
        ("p if y else 0", "conditional expression"),
        ("p and y", "'and'/'or'"),
        ("p // 2", "operator '//'"),
        ("p % 2", "operator '%'"),
        ("~p", "operator '~'"),
        ("not p", "operator 'not'"),
        ("p is y", "operator 'is'"),
        ("p in y", "operator 'in'"),
        ("(p := 1)", "assignment expression"),
        ("f'{p}'", "f-string"),
        ("exp", "name 'exp' (call it, e.g. exp(p))"),
        ("abs(*p)", "starred argument"),
    ],
)
def test_anything_outside_the_whitelist_is_refused_naming_it(formula, named):
    message = refused(formula)
    assert message.startswith(f"expr: refused {named}")
    assert "allowed: numbers, p, y (or t)" in message


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("", "expr: the formula is empty (e.g. expr:abs(p - y)**1.5)"),
        ("p +", "expr: not a formula: invalid syntax"),
        ("exp(p, y)", "expr: exp() takes 1 argument, got 2"),
        ("where(p > y, 1)", "expr: where() takes 3 arguments, got 2"),
        ("p; import os", "expr: not a formula at column 2: invalid syntax"),
    ],
)
def test_malformed_formulas_are_one_line_errors(formula, message):
    with pytest.raises(ParameterError) as error:
        parse(formula)
    assert error.value.message == message


def test_hostile_input_is_bounded_and_quick():
    # A tower of powers is float64 arithmetic: inf at once, never a huge Python integer.
    assert get_loss("expr:9**9**9**9").value(P, Y).tolist() == [math.inf] * 3
    assert get_loss("expr:" + "9" * 400).value(P, Y).tolist() == [math.inf] * 3
    assert refused("p+" * MAX_LENGTH + "p") == f"expr: formula longer than {MAX_LENGTH} characters"
    assert refused("-" * (MAX_DEPTH + 5) + "p") == (
        f"expr: formula nested more than {MAX_DEPTH} levels deep"
    )
    assert refused("abs(" * 60 + "p" + ")" * 60).startswith("expr: formula nested more than")
    assert refused("(" * 240 + "p" + ")" * 240).startswith("expr: not a formula")


def test_bad_arithmetic_is_nan_or_inf_without_warnings(recwarn):
    values = get_loss("expr:log(p - y) + sqrt(y - p)").value(P, Y)
    assert math.isnan(values[0]) and values[1] == -math.inf and math.isnan(values[2])
    assert not recwarn.list
