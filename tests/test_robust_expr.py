"""`expr:` against any text: a loss that evaluates, or one line naming what is refused.

Never a traceback, never a hang: the parser refuses a formula over MAX_LENGTH characters or
MAX_DEPTH levels before building anything, every number is a float64, and only whitelisted
numpy functions run, so the work of a formula is bounded by its length. Hypothesis's deadline
bounds each case in time as well (parse and evaluate over a small grid).
"""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from losscli.catalogue import get_loss
from losscli.catalogue.expr import FUNCTIONS, MAX_LENGTH
from losscli.cli import cli
from losscli.errors import ParameterError

BOUNDED = settings(
    max_examples=400,
    deadline=timedelta(seconds=1),
    suppress_health_check=[HealthCheck.too_slow],
)
GRID_P = np.linspace(-3.0, 3.0, 12).reshape(3, 4, 1) + np.array([-1.0, 0.0, 2.0])
TARGETS = np.array([1.0, -1.0, 1.0])


def check(formula: str) -> None:
    """The contract for any text after `expr:`."""
    try:
        loss = get_loss("expr:" + formula)
    except ParameterError as error:
        assert error.field == "loss"
        assert error.message.startswith("expr: ") and "\n" not in error.message
        assert len(error.message) < 400
        return
    with np.errstate(all="ignore"):  # as the engine evaluates: overflow is an honest inf
        values = loss.mean(GRID_P, TARGETS, {})
    assert values.shape == (3, 4) and values.dtype == np.float64
    assert loss.gradient(GRID_P, TARGETS).shape == GRID_P.shape


TOKENS = [
    *FUNCTIONS, "p", "y", "t", "x", "(", ")", ",", "+", "-", "*", "/", "**", "//", "%", "@",
    "<", "<=", "==", "!=", ">", "and", "or", "not", "if", "else", "lambda", ":", "for", "in",
    "[", "]", "{", "}", ".", "__class__", "__import__", "__builtins__", "os", "open", "eval",
    "exec", "import", "1", "0", "2.5", "1e400", "9" * 40, "0x1f", "1j", "'s'", "b'x'", "...",
    "None", "True", ":=", "*", "yield", "await", "f'{p}'",
]  # fmt: skip
formulas = st.lists(st.sampled_from(TOKENS), max_size=30).map(" ".join)


@BOUNDED
@given(st.text(max_size=80))
def test_any_text(formula):
    check(formula)


@BOUNDED
@given(formulas)
def test_any_string_of_python_tokens(formula):
    check(formula)


def expressions(depth: int) -> st.SearchStrategy[str]:
    """Well-formed formulas of the whitelist: these must all evaluate."""
    leaves = st.sampled_from(["p", "y", "1", "0.5", "2", "1e308", "-3"])
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**", "<", ">="]), inner).map(
                lambda parts: f"({parts[0]} {parts[1]} {parts[2]})"
            ),
            st.tuples(
                st.sampled_from([f for f, spec in FUNCTIONS.items() if spec.arity == 1]), inner
            ).map(lambda parts: f"{parts[0]}({parts[1]})"),
            st.tuples(inner, inner, inner).map(lambda a: f"where({a[0]}, {a[1]}, {a[2]})"),
        ),
        max_leaves=depth,
    )


@BOUNDED
@given(expressions(12))
def test_any_whitelisted_formula_evaluates_to_float64(formula):
    if len(formula) > MAX_LENGTH:
        return
    loss = get_loss("expr:" + formula)
    with np.errstate(all="ignore"):
        values = loss.mean(GRID_P, TARGETS, {})
    assert values.shape == (3, 4) and values.dtype == np.float64


@pytest.mark.parametrize(
    "formula",
    [
        "9**9**9**9",
        "9" * 499,
        "1" + "0" * 498,
        "(p - y)**2 + " * 38 + "p",
        "p" + " + p" * 120,
        "exp(" * 40 + "p" + ")" * 40,
        "exp(" * 41 + "p" + ")" * 41,
        "(" * 100 + "p" + ")" * 100,
        "[" * 100 + "p" + "]" * 100,
        "-" * 1000 + "p",
        "p." + "a." * 200 + "b",
        "p.__class__.__mro__[1].__subclasses__()",
        "__import__('os').system('true')",
        "open('/etc/passwd').read()",
        "lambda: p",
        "[p for p in range(10**9)]",
        "{p: y for p in y}",
        "(x for x in p)",
        "exp.__globals__",
        "abs.__self__",
        "where.__call__(p, p, p)",
        "p if p else y",
        "'a' * 10**9",
        "10**10**10",
        "1e400 - 1e400",
        "0/0 + p",
        "p\x00",
        "p\n+ y",
        "\ufeffp",
    ],
)
def test_hostile_formulas_end_quickly_without_a_trace(formula):
    check(formula)


@settings(max_examples=150, deadline=timedelta(seconds=2))
@given(st.one_of(formulas, st.text(max_size=40)))
def test_the_command_line_gives_a_result_or_one_error_line(formula):
    """End to end through `losscli eval`: exit 0 with JSON, or exit 2 with one Error line."""
    result = CliRunner().invoke(
        cli,
        ["eval", "--loss", "expr:" + formula, "--w1", "1", "--w2", "0", "--format", "json"],
        env={"COLUMNS": None},
    )
    assert result.exception is None or isinstance(result.exception, SystemExit)
    if result.exit_code == 0:
        [point] = json.loads(result.stdout)
        assert point["value"] is None or isinstance(point["value"], float)
    else:
        assert result.exit_code == 2
        errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1 and "Traceback" not in result.stderr
