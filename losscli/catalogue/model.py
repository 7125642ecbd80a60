"""What a catalogue entry is: a loss, its hyper-parameters, and what the engine may know of it.

Conventions, shared by every entry:

* The model is the line p = w1·x + w2; a loss scores predictions `p` against targets `y`.
* `value(p, y, **params)` returns the loss of each point and `gradient(p, y, **params)` its
  derivative dℓ/dp, elementwise; both broadcast, so `p` may carry grid axes in front of the
  points axis. The surface is the mean over points (`Loss.mean`). A loss that is not a mean of
  per-point terms (Dice) sets `per_point=False` and reduces the points axis itself.
* Classification losses receive labels as t ∈ {−1, +1}; data labelled {0, 1} is converted
  before the call (0 → −1), see `losscli.data.Dataset.targets_for`. Losses written for 0/1
  labels use y01 = (t + 1)/2.
* At a kink the gradient is the subgradient 0 (numpy's sign(0) = 0).
* Hyper-parameters are keyword-only; their ranges live in `Param` and are checked up front.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from losscli.defaults import option_name
from losscli.errors import ParameterError
from losscli.sums import finite_mean

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from losscli.catalogue.structure import Description, Form

    Array = NDArray[np.float64]

Task = Literal["regression", "classification"]
TASKS: tuple[Task, ...] = ("regression", "classification")

EXPR_PREFIX = "expr:"
"""A loss named `expr:FORMULA` is the formula itself (see `losscli.catalogue.expr`)."""


@dataclass(frozen=True)
class Param:
    """A loss hyper-parameter: its range is open unless marked.

    `special` lists values accepted outside the range, each with what it means, e.g. focal's
    alpha = −1 that turns the class weighting off.
    """

    name: str
    default: float
    help: str
    low: float = -math.inf
    high: float = math.inf
    low_inclusive: bool = False
    high_inclusive: bool = False
    special: tuple[tuple[float, str], ...] = ()

    @property
    def option(self) -> str:
        """The command-line option that sets it: `--NAME`."""
        return option_name(self.name)

    @property
    def range_text(self) -> str:
        """The valid range in words, e.g. '> 0', 'in (0, 1)' or 'in [0, 1], or -1 for ...'."""
        if math.isinf(self.high):
            text = (">= " if self.low_inclusive else "> ") + _num(self.low)
        elif math.isinf(self.low):
            text = ("<= " if self.high_inclusive else "< ") + _num(self.high)
        else:
            left = "[" if self.low_inclusive else "("
            right = "]" if self.high_inclusive else ")"
            text = f"in {left}{_num(self.low)}, {_num(self.high)}{right}"
        return "".join([text, *(f", or {_num(v)} for {meaning}" for v, meaning in self.special)])

    def check(self, value: float) -> None:
        """Refuse a value outside the range (a `ParameterError` naming this parameter)."""
        if any(value == special for special, _ in self.special):
            return
        above = value >= self.low if self.low_inclusive else value > self.low
        below = value <= self.high if self.high_inclusive else value < self.high
        if not (math.isfinite(value) and above and below):
            raise ParameterError(self.name, f"must be {self.range_text}, got {_num(value)}")


@dataclass(frozen=True)
class Loss:
    """One catalogue entry: what the loss is, how to compute it, and what it is good for.

    With `per_point=True` (most losses) `value` and `gradient` work point by point and the
    loss is their mean. With `per_point=False` the loss is defined on the whole dataset:
    `value` reduces the last (points) axis itself and `gradient` returns d(loss)/dp_i.
    Either way `mean` and `mean_gradient` are the dataset-level loss and its gradient.
    """

    name: str
    label: str
    task: Task
    summary: str
    formula: str
    gradient_formula: str
    value: Callable[..., Array]
    gradient: Callable[..., Array]
    params: tuple[Param, ...] = ()
    aliases: tuple[str, ...] = ()
    convex: bool = True
    advice: str = ""
    per_point: bool = True
    piecewise: Callable[..., Description] | None = None
    """Optional structure for the fast sweep methods: called with the hyper-parameters as
    keywords, it returns the loss as a piecewise polynomial (see
    `losscli.catalogue.structure`). Losses without one are swept by direct evaluation."""
    residual: bool = False
    """For a regression loss: its value depends on the residual u = p − y alone, so that
    `value(p, y) == value(p − y, 0)` (mse, mae, huber, …; not a loss that scales by y)."""
    smooth: bool = False
    """The per-point loss, as a function of that one number (the residual, or for
    classification the score p per label), has derivatives of every order, none of them large
    on the scale of a grid step, and is never negative: the binned sweep
    (`losscli.engine.binned`) may interpolate it. Not bce, whose clipping makes two kinks."""
    form: Form | None = None
    """For a loss that is not smooth per point but is assembled from smooth per-point sums
    (bce: logistic's with two kinks; dice: a ratio of two sums), that assembly, which the
    binned sweep reads (`losscli.catalogue.structure.Form`)."""
    cost: float = 1.0
    """Time to evaluate the loss at one point relative to mse, for the direct sweep's
    estimate (measured on numpy arrays of 2¹⁸ points; for the catalogue, the CPU time of
    direct sweeps of 41 × 41 cells over 10⁴ points and 201 × 201 over 40, against mse's)."""
    exponential: bool = False
    """A classification loss that is e^(−t·p): its sum over the points factors into
    Σ_t e^(−t·w2)·Σ_(i: t) e^(−t·w1·x_i), which the binned sweep uses
    (`losscli.engine.factored`)."""

    @property
    def brief(self) -> str:
        """The name, cut for messages: a formula's may be 500 characters long."""
        return self.name if len(self.name) <= 40 else self.name[:37] + "..."

    def resolve_params(self, given: Mapping[str, float]) -> dict[str, float]:
        """This loss's hyper-parameters: the given ones where present, else defaults; checked."""
        resolved = {}
        for param in self.params:
            value = float(given.get(param.name, param.default))
            param.check(value)
            resolved[param.name] = value
        return resolved

    def description(self, params: Mapping[str, float]) -> Description | None:
        """This loss's piecewise-polynomial structure for these hyper-parameters, if declared."""
        return None if self.piecewise is None else self.piecewise(**params)

    def mean(self, p: Array, y: Array, params: Mapping[str, float]) -> Array:
        """The surface's value: the loss over the last (points) axis, a mean for most losses,
        finite wherever every point's loss is (`losscli.sums.finite_mean`)."""
        if not self.per_point:
            whole: Array = self.value(p, y, **params)
            return whole
        return finite_mean(self.value(p, y, **params))

    def mean_gradient(self, p: Array, y: Array, params: Mapping[str, float]) -> Array:
        """d(loss)/dp_i for each point: the per-point derivative divided by n for most losses."""
        if not self.per_point:
            whole: Array = self.gradient(p, y, **params)
            return whole
        result: Array = self.gradient(p, y, **params) / p.shape[-1]
        return result

    def title(self, params: Mapping[str, float], *, defaults: bool = True) -> str:
        """'Huber (delta=1)': the label with its hyper-parameters, for panel titles.

        With `defaults=False` only the hyper-parameters that differ from their defaults are
        shown, as the lesson's figure titles its default Huber panel just 'Huber'.
        """
        shown = {
            p.name: params[p.name]
            for p in self.params
            if p.name in params and (defaults or params[p.name] != p.default)
        }
        if not shown:
            return self.label
        inner = ", ".join(f"{k}={_num(v)}" for k, v in shown.items())
        return f"{self.label} ({inner})"


def _num(value: float) -> str:
    """A float as a person would write it: 1 not 1.0, 0.25, 1e-07."""
    return f"{value:g}"
