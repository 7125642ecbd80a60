"""Losses written on the command line: `--loss 'expr:abs(p - y)**1.5'`.

A formula is user input reaching an evaluator, so it never meets Python's eval. It is parsed
with `ast` and every node is checked against a whitelist: numbers, the variables, arithmetic
(+ − * / ** and unary ±), comparisons (True is 1.0), and the numpy functions in FUNCTIONS.
Anything else is refused with one line naming it. The checked tree is turned into a closure
over numpy ufuncs, so the formula runs vectorised over grid cells and points.

Hostile input stays cheap: a formula is at most MAX_LENGTH characters and MAX_DEPTH levels
deep, and every number is a float64, so 9**9**9**9 is inf at once instead of a huge integer.

The task follows the variables: a formula in `p` and `y` is a regression loss (y the target);
one in `p` and `t` is a classification loss (t the label as ±1). Its gradient dℓ/dp is a
central finite difference with step h = ε^(1/3)·max(1, |p|).
"""

from __future__ import annotations

import ast
import math
import operator
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from losscli.catalogue.model import EXPR_PREFIX, Loss, Task
from losscli.errors import ParameterError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Array = NDArray[np.float64]
else:
    from losscli.lazy import lazy_import

    np = lazy_import("numpy")

MAX_LENGTH = 500
MAX_DEPTH = 40
_STEP = 2.0 ** (-52 / 3)
"""Central differences balance rounding (ε/h) and truncation (h²) at h = ε^(1/3) ≈ 6e-6."""


class Function(NamedTuple):
    """A numpy function a formula may call: how many arguments it takes, and its time over an
    array in units of one subtraction (numpy 2.4, x86-64; see `cost_of`)."""

    arity: int
    cost: float


FUNCTIONS: dict[str, Function] = {
    "abs": Function(1, 0.5),
    "exp": Function(1, 1.0),
    "expm1": Function(1, 1.6),
    "log": Function(1, 1.3),
    "log1p": Function(1, 1.6),
    "log2": Function(1, 1.3),
    "log10": Function(1, 0.9),
    "sqrt": Function(1, 0.9),
    "square": Function(1, 0.5),
    "sin": Function(1, 6.8),
    "cos": Function(1, 6.2),
    "tan": Function(1, 1.4),
    "arctan": Function(1, 1.2),
    "sinh": Function(1, 1.1),
    "cosh": Function(1, 0.8),
    "tanh": Function(1, 1.4),
    "sign": Function(1, 0.6),
    "logaddexp": Function(2, 17.2),
    "maximum": Function(2, 0.8),
    "minimum": Function(2, 0.8),
    "where": Function(3, 4.0),
    "clip": Function(3, 0.5),
}
"""The numpy functions a formula may call."""

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
_SYMBOLS = {
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.Invert: "~",
    ast.Not: "not",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.In: "in",
    ast.NotIn: "not in",
}
ALLOWED = "numbers, p, y (or t), + - * / **, comparisons, and the functions " + ", ".join(FUNCTIONS)

_LARGEST = 1.7976931348623157e308
"""The largest float64: an integer literal beyond it reads as inf, like a float literal."""

Node = Callable[[dict[str, Any]], Any]
"""A checked piece of formula: given the variables, its value."""


def _refuse(what: str) -> ParameterError:
    return ParameterError("loss", f"expr: refused {what} (allowed: {ALLOWED})")


def _describe(node: ast.AST) -> str:
    """A short name for a refused node, with its source text where that helps."""
    kind = {
        ast.Attribute: "attribute access",
        ast.Subscript: "subscript",
        ast.Lambda: "lambda",
        ast.ListComp: "comprehension",
        ast.SetComp: "comprehension",
        ast.DictComp: "comprehension",
        ast.GeneratorExp: "comprehension",
        ast.IfExp: "conditional expression (use where(cond, a, b))",
        ast.BoolOp: "'and'/'or' (use comparisons with where, maximum or minimum)",
        ast.NamedExpr: "assignment expression",
        ast.Await: "await",
        ast.JoinedStr: "f-string",
        ast.Starred: "starred argument",
    }.get(type(node), type(node).__name__)
    try:
        source = ast.unparse(node)
    except Exception:  # ast.unparse has no stable error contract; the kind alone will do
        return kind
    return f"{kind} {source[:40]!r}"


class Formula(NamedTuple):
    """A checked formula: its evaluator, the variables it uses, and its cost per point relative
    to mse (see `cost_of`)."""

    evaluate: Node
    names: frozenset[str]
    cost: float


def parse(formula: str) -> Formula:
    """Check a formula against the whitelist; return its evaluator, variables and cost."""
    text = formula.strip()
    if not text:
        raise ParameterError("loss", "expr: the formula is empty (e.g. expr:abs(p - y)**1.5)")
    if len(text) > MAX_LENGTH:
        raise ParameterError("loss", f"expr: formula longer than {MAX_LENGTH} characters")
    try:
        with warnings.catch_warnings():  # the whitelist judges `is` and "\\d", not Python's hints
            warnings.simplefilter("ignore")
            tree = ast.parse(text, mode="eval")
    except SyntaxError as error:
        where = f" at column {error.offset}" if error.offset else ""
        raise ParameterError("loss", f"expr: not a formula{where}: {error.msg}") from None
    except (RecursionError, MemoryError, ValueError):
        raise ParameterError("loss", "expr: formula nested too deeply or malformed") from None
    names: set[str] = set()
    return Formula(_compile(tree.body, names, 0), frozenset(names), cost_of(tree))


POWER_COST = 2.3
"""`**` in the same units; the other operators and each comparison cost about one."""

MSE_COST = 1.8
"""The unit of `Loss.cost` (mse's time) in the same units, calibrated on formulas' measured
times: 34 terms exp(sin(p - y)) are estimated at 184 times mse and measured at 186,
log1p(exp(-(p - y))) at 2.6 and 2.4, exp(sin(p - y)) at 4.9 and 6.2."""


def cost_of(tree: ast.AST) -> float:
    """The time a checked formula takes per point relative to mse, from its operations: how
    `--max-seconds` judges a sweep of it before it starts (at least 1)."""
    units = 0.0
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp):
            units += POWER_COST if isinstance(node.op, ast.Pow) else 1.0
        elif isinstance(node, ast.UnaryOp):
            units += 1.0
        elif isinstance(node, ast.Compare):
            units += 2.0 * len(node.ops)  # the test and its conversion to 1.0 or 0.0
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            units += FUNCTIONS[node.func.id].cost
    return max(1.0, units / MSE_COST)


def _compile(node: ast.AST, names: set[str], depth: int) -> Node:
    """Turn one checked node into a closure; refuse anything outside the whitelist."""
    if depth > MAX_DEPTH:
        raise ParameterError("loss", f"expr: formula nested more than {MAX_DEPTH} levels deep")
    deeper = depth + 1
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _refuse(f"constant {value!r:.40}")
        number = np.float64(math.inf if abs(value) > _LARGEST else value)
        return lambda env: number
    if isinstance(node, ast.Name):
        if node.id not in ("p", "y", "t"):
            hint = " (call it, e.g. exp(p))" if node.id in FUNCTIONS else ""
            raise _refuse(f"name {node.id!r}{hint}")
        names.add(node.id)
        name = node.id
        return lambda env: env[name]
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        apply2 = _BINARY[type(node.op)]
        left, right = _compile(node.left, names, deeper), _compile(node.right, names, deeper)
        return lambda env: apply2(left(env), right(env))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        apply1 = _UNARY[type(node.op)]
        operand = _compile(node.operand, names, deeper)
        return lambda env: apply1(operand(env))
    if isinstance(node, ast.Compare):
        return _compile_compare(node, names, deeper)
    if isinstance(node, ast.Call):
        return _compile_call(node, names, deeper)
    if isinstance(node, (ast.BinOp, ast.UnaryOp)):
        raise _refuse(f"operator {_SYMBOLS.get(type(node.op), type(node.op).__name__)!r}")
    raise _refuse(_describe(node))


def _compile_compare(node: ast.Compare, names: set[str], depth: int) -> Node:
    """a < b <= c as (a < b) and (b <= c), each comparison 1.0 or 0.0."""
    for op in node.ops:
        if type(op) not in _COMPARE:
            raise _refuse(f"operator {_SYMBOLS.get(type(op), type(op).__name__)!r}")
    operands = [_compile(item, names, depth) for item in (node.left, *node.comparators)]
    tests = [_COMPARE[type(op)] for op in node.ops]

    def compare(env: dict[str, Any]) -> Any:
        values = [operand(env) for operand in operands]
        result = np.float64(1.0)
        for test, left, right in zip(tests, values[:-1], values[1:], strict=True):
            result = result * np.asarray(test(left, right), dtype=np.float64)
        return result

    return compare


def _compile_call(node: ast.Call, names: set[str], depth: int) -> Node:
    function = node.func
    if not isinstance(function, ast.Name):
        raise _refuse(f"call of {_describe(function)}")
    if function.id not in FUNCTIONS:
        raise _refuse(f"function {function.id!r}")
    if node.keywords:
        raise _refuse(f"keyword argument in {function.id}()")
    arity = FUNCTIONS[function.id].arity
    if len(node.args) != arity:
        plural = "" if arity == 1 else "s"
        raise ParameterError(
            "loss",
            f"expr: {function.id}() takes {arity} argument{plural}, got {len(node.args)}",
        )
    arguments = [_compile(argument, names, depth) for argument in node.args]
    name = function.id

    def call(env: dict[str, Any]) -> Any:
        return getattr(np, name)(*(argument(env) for argument in arguments))

    return call


def formula_loss(formula: str) -> Loss:
    """The catalogue entry for `expr:FORMULA`: a per-point loss, mean over points."""
    evaluate, names, cost = parse(formula)
    if "y" in names and "t" in names:
        raise ParameterError(
            "loss", "expr: use y (a regression target) or t (a ±1 label), not both"
        )
    task: Task = "classification" if "t" in names else "regression"
    target = "t" if task == "classification" else "y"
    text = formula.strip()

    def value(p: Array, y: Array) -> Array:
        """The formula at every point, as float64 broadcast to the shape of p and y."""
        with np.errstate(all="ignore"):
            result = np.asarray(evaluate({"p": p, target: y}), dtype=np.float64)
        return np.broadcast_to(result, np.broadcast_shapes(np.shape(p), np.shape(y)))

    def gradient(p: Array, y: Array) -> Array:
        """dℓ/dp by central difference, dividing by the step as actually represented."""
        step = _STEP * np.maximum(1.0, np.abs(p))
        above, below = p + step, p - step
        with np.errstate(all="ignore"):
            return (value(above, y) - value(below, y)) / (above - below)

    return Loss(
        name=EXPR_PREFIX + text,
        label=text,
        task=task,
        summary=f"Your formula, mean over points ({task}: {target} is the "
        + ("target)." if task == "regression" else "label ±1)."),
        formula=text,
        gradient_formula="central finite difference in p",
        value=value,
        gradient=gradient,
        convex=False,
        cost=cost,
        advice="Unknown: convexity and stability are whatever the formula makes them.",
    )
