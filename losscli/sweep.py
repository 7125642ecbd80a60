"""The grid over (w1, w2) and the sweep that fills it with mean losses.

Layout, as the JSON reports it: `values[i][j]` is the mean loss at w2 = w2[i], w1 = w1[j]
(rows are w2, columns are w1). The minimum is the first minimum in that row-major order,
which is what `numpy.argmin` gives.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from losscli import binned, histogram, moments, parallel
from losscli.errors import OptionError
from losscli.piecewise import Piecewise

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from losscli.data import Dataset
    from losscli.losses import Loss
    from losscli.piecewise import Description

    Array = NDArray[np.float64]

BLOCK_ELEMENTS = 1 << 18
"""Predictions held at once by the direct sweep (2 MiB of float64): memory stays bounded."""


@dataclass(frozen=True)
class Axis:
    """One parameter's grid line: `steps` values from `low` to `high`, as numpy.linspace."""

    name: str
    low: float
    high: float
    steps: int

    def __post_init__(self) -> None:
        option = f"--{self.name}-range"
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise OptionError(option, f"must be finite numbers, got {self.low:g} {self.high:g}")
        if self.low >= self.high:
            raise OptionError(option, f"LO must be below HI, got {self.low:g} {self.high:g}")
        if self.steps < 2:
            raise OptionError(f"--{self.name}-steps", f"must be at least 2, got {self.steps}")

    @property
    def values(self) -> Array:
        return np.linspace(self.low, self.high, self.steps)


@dataclass(frozen=True)
class Minimum:
    row: int
    col: int
    w1: float
    w2: float
    value: float


@dataclass(frozen=True)
class Surface:
    """A swept loss: the grid, its values, and what produced them."""

    loss: Loss
    params: Mapping[str, float]
    data: Dataset
    w1: Array
    w2: Array
    values: Array
    method: str = "direct"
    error: float | None = None
    """An approximate method's declared bound on the relative error of every value (binned);
    None for the exact methods."""

    @property
    def title(self) -> str:
        return self.loss.title(self.params)

    @property
    def short_title(self) -> str:
        """The title without hyper-parameters at their defaults, as the lesson's figure has it."""
        return self.loss.title(self.params, defaults=False)

    @cached_property
    def minimum(self) -> Minimum | None:
        return find_minimum(self.w1, self.w2, self.values)


def find_minimum(w1: Array, w2: Array, values: Array) -> Minimum | None:
    """The first smallest finite value in row-major order; None if no value is finite."""
    finite = np.isfinite(values)
    if not finite.any():
        return None
    flat = np.where(finite, values, np.inf).ravel()
    row, col = divmod(int(np.argmin(flat)), values.shape[1])
    return Minimum(row, col, float(w1[col]), float(w2[row]), float(values[row, col]))


def sweep(
    loss: Loss,
    params: Mapping[str, float],
    data: Dataset,
    w1: Axis,
    w2: Axis,
    *,
    method: str = "auto",
    progress: Callable[[float], None] | None = None,
) -> Surface:
    """The mean loss at every grid cell, by the fastest exact algorithm the loss allows.

    `method` is "auto" (the choice below), or one of METHODS to insist on it; a method the loss
    does not support is an `OptionError` for --method. `progress`, if given, is called with
    the fraction done (0 to 1) as the sweep goes; the surface records the method that ran.
    """
    targets = data.targets_for(loss.task, loss.name)
    w1_values, w2_values = w1.values, w2.values
    description = loss.description(params)
    grid = histogram.Grid.of(w2_values)
    chosen = choose_method(description, len(data), w1.steps, grid, method, loss=loss)
    error = None
    with np.errstate(all="ignore"):  # an overflowing loss is an honest inf (or nan), drawn so
        if chosen == "binned":
            try:
                values, error = binned.sweep_means(
                    loss, params, data.x, targets, w1_values, grid, progress
                )
            except binned.NotApplicable as reason:
                if method == "binned":
                    message = f"binned cannot bound its error here: {reason}"
                    raise OptionError("--method", message) from None
                chosen = "direct"  # the data defeats the bound: exact instead
        if chosen == "quadratic":
            assert isinstance(description, Piecewise)
            pieces = description.pieces[0]
            values = moments.sweep_means(pieces, data.x, targets, w1_values, w2_values)
        elif chosen == "piecewise":
            assert description is not None
            groups = histogram.groups_for(description, data.x, targets)
            prepared = histogram.plan(groups, w1_values, grid)
            seconds = estimate_seconds(chosen, len(data), w1.steps, w2.steps)
            if _split(chosen, seconds) == "none":
                sums = histogram.sweep_columns(prepared, w1_values, progress)
            else:
                sums = parallel.in_two(
                    histogram.sweep_columns,
                    prepared,
                    w1_values,
                    w2.steps,
                    progress,
                    seconds=seconds,
                )
            values = sums / len(data)
        elif chosen == "direct":
            values = _direct(loss, params, data.x, targets, w1_values, w2_values, progress)
    return Surface(loss, dict(params), data, w1_values, w2_values, values, chosen, error)


def expect(
    loss: Loss, params: Mapping[str, float], points: int, w1: Axis, w2: Axis, method: str = "auto"
) -> tuple[str, float]:
    """The method `sweep` would use, and about how many seconds it would take (with a second
    process where it would start one): what a sweep costs, known before it runs."""
    grid = histogram.Grid.of(w2.values)
    chosen = choose_method(loss.description(params), points, w1.steps, grid, method, loss=loss)
    seconds = estimate_seconds(chosen, points, w1.steps, w2.steps, loss=loss)
    split = _split(chosen, seconds)
    if split == "none":
        return chosen, seconds
    start = parallel.FORK_START if split == "fork" else parallel.SPAWN_START
    return chosen, (seconds + start) / 2


def _split(method: str, seconds: float) -> str:
    """How a sweep expected to take `seconds` on one core shares two cores: "fork" or "spawn"
    a second process for the right-hand columns, where it is long enough to repay its start,
    or "none"."""
    if method != "piecewise" or parallel.cores() < 2:
        return "none"
    if parallel.has_worker():
        return "fork" if seconds > parallel.FORK_SECONDS else "none"
    return "spawn" if seconds > parallel.SPAWN_SECONDS else "none"


METHODS = ("quadratic", "piecewise", "binned", "direct")
"""The algorithms a surface can come from, as its JSON's "method" records them."""

BINNED_SECONDS = 10.0
"""`auto` takes the binned approximation only for sweeps a direct evaluation would take longer
than this over: below it, the exact answer is affordable."""

_COSTS = {
    "direct": (2e-5, 6e-9),
    "piecewise": (2e-4, 4.5e-9, 1.2e-7),
    "quadratic": (2e-5, 5e-9),
    "binned": (5e-3, 5e-8, 6e-7, 3e-5, 3.5e-8),
}
"""Rough costs on one core of a current CPU, in seconds: a fixed start, then per cell and point
(direct, times the loss's own `cost`), per column and point plus per column and w2 step
(piecewise: between mae's 3.1e-9, 3.2e-8 and huber's 5.1e-9, 2.3e-7 as measured here), per
point and cell (quadratic); for binned per point (classification, regression), per column,
and per column and position spread (the points, or the fewer nodes they are binned on). Used
to choose a method, to share the cores and to expect a sweep's length, never reported as
measurements."""

BINNED_POSITIONS = {"classification": 1 << 12, "regression": 1 << 19}
"""Positions a binned column spreads at most, about: nodes in x per label, or in (x, y)."""


def estimate_seconds(
    method: str, points: int, w1_steps: int, w2_steps: int, *, loss: Loss | None = None
) -> float:
    """About how long a sweep takes with one process: for choosing methods and progress bars.
    The loss, if given, brings its cost per point (`Loss.cost`) and its task."""
    if method == "quadratic":
        start, per = _COSTS["quadratic"]
        return start + per * (points + w1_steps * w2_steps)
    if method == "piecewise":
        start, per_point, per_step = _COSTS["piecewise"]
        return start + w1_steps * (per_point * points + per_step * w2_steps)
    if method == "binned":
        start, per_label, per_residual, per_column, per_position = _COSTS["binned"]
        regression = loss is not None and loss.task == "regression"
        positions = min(points, BINNED_POSITIONS["regression" if regression else "classification"])
        per_point = per_residual if regression else per_label
        return start + per_point * points + w1_steps * (per_column + per_position * positions)
    start, per = _COSTS["direct"]
    cost = 1.0 if loss is None else loss.cost
    return start + per * cost * points * w1_steps * w2_steps


def choose_method(
    description: Description | None,
    points: int,
    w1_steps: int,
    grid: histogram.Grid,
    method: str,
    *,
    loss: Loss | None = None,
) -> str:
    """The algorithm for a sweep: the one asked for, checked, or on "auto" the fastest exact,
    or the binned approximation where the loss allows it (`binned.applies`) and a direct
    evaluation would take over BINNED_SECONDS."""
    w2_steps = grid.steps
    smooth = loss is not None and binned.applies(loss)
    quadratic = isinstance(description, Piecewise) and description.is_polynomial
    piecewise = description is not None and not quadratic and histogram.supports(description, grid)
    if method == "auto":
        if quadratic:
            return "quadratic"
        direct = estimate_seconds("direct", points, w1_steps, w2_steps, loss=loss)
        if piecewise and estimate_seconds("piecewise", points, w1_steps, w2_steps) < direct:
            return "piecewise"
        binned_seconds = estimate_seconds("binned", points, w1_steps, w2_steps, loss=loss)
        if smooth and direct > BINNED_SECONDS and binned_seconds < direct:
            return "binned"
        return "direct"
    if method not in METHODS:
        raise OptionError("--method", f"must be auto or one of {', '.join(METHODS)}")
    missing = {"quadratic": not quadratic, "piecewise": not piecewise, "binned": not smooth}
    if missing.get(method, False):
        raise OptionError("--method", f"{method} does not apply to this loss")
    return method


def _direct(
    loss: Loss,
    params: Mapping[str, float],
    x: Array,
    targets: Array,
    w1: Array,
    w2: Array,
    progress: Callable[[float], None] | None,
) -> Array:
    """Evaluate the loss at every cell and point, a block of cells at a time (bounded memory).

    The predictions of a block are written in place into one buffer; the loss's own
    temporaries are the size of a block.
    """
    values = np.empty((len(w2), len(w1)))
    cells = max(1, BLOCK_ELEMENTS // len(x))
    cols = min(len(w1), cells)
    rows = max(1, cells // cols)
    buffer = np.empty(rows * cols * len(x))
    for r in range(0, len(w2), rows):
        for c in range(0, len(w1), cols):
            w1_block, w2_block = w1[c : c + cols], w2[r : r + rows]
            shape = (len(w2_block), len(w1_block), len(x))
            predictions = buffer[: shape[0] * shape[1] * shape[2]].reshape(shape)
            np.multiply(w1_block[None, :, None], x, out=predictions)
            predictions += w2_block[:, None, None]
            values[r : r + rows, c : c + cols] = loss.mean(predictions, targets, params)
        if progress is not None:
            progress(min(r + rows, len(w2)) / len(w2))
    return values
