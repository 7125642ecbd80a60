"""A swept loss: its grid of values, where the minimum lies, and what produced it.

Layout, as the JSON reports it: `values[i][j]` is the mean loss at w2 = w2[i], w1 = w1[j]
(rows are w2, columns are w1). The minimum is the first minimum in that row-major order,
which is what `numpy.argmin` gives. A minimum on the window's edge, with no cell of the same
value inside the window along that axis, is told by its `edges`: the loss may keep falling
beyond them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from losscli.catalogue import Loss
    from losscli.data.dataset import Dataset
    from losscli.engine.optimum import Found
    from losscli.engine.window import ChosenWindow

    Array = NDArray[np.float64]


@dataclass(frozen=True)
class Edge:
    """A side of the window: the parameter ("w1" or "w2"), which end ("low" or "high") and the
    parameter's value there."""

    axis: str
    end: str
    at: float


@dataclass(frozen=True)
class Minimum:
    """The grid cell of the smallest value: its row (w2) and column (w1), where, and what;
    and the sides of the window it lies on where the grid cannot show the loss rising again
    (see `window_edges`)."""

    row: int
    col: int
    w1: float
    w2: float
    value: float
    edges: tuple[Edge, ...] = ()

    @property
    def on_edge(self) -> bool:
        return bool(self.edges)


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
    optimum: Found | None = None
    """The loss's continuous minimum over all (w1, w2) (`losscli.engine.optimum`), where
    computed."""
    window: ChosenWindow | None = None
    """How the grid's ranges were chosen (`losscli.engine.window`), where known."""
    axes: tuple[str, str] = ("w1", "w2")
    """The names of the parameters along `w1` and `w2`, as views and files label them."""

    @property
    def title(self) -> str:
        return self.loss.title(self.params)

    @property
    def loss_name(self) -> str:
        return self.loss.name

    @property
    def short_title(self) -> str:
        """The title without hyper-parameters at their defaults, as the lesson's figure has it."""
        return self.loss.title(self.params, defaults=False)

    @cached_property
    def minimum(self) -> Minimum | None:
        return find_minimum(self.w1, self.w2, self.values)

    def with_optimum(self, found: Found, window: ChosenWindow | None = None) -> Surface:
        """This surface with its loss's continuous minimum, a local one searched again from
        the grid's minimum where that is lower (`optimum.settled`), and its window."""
        from losscli.engine.optimum import settled

        lowest = self.minimum
        grid = None if lowest is None else (lowest.w1, lowest.w2, lowest.value)
        found = settled(found, self.loss, self.params, self.data, grid)
        return replace(self, optimum=found, window=window)


MINIMUM_BLOCK = 1 << 16
"""Cells searched at once for the minimum: a block of rows, so that no copy of a large grid
is made (a surface's values may be most of the memory a command holds)."""


def find_minimum(w1: Array, w2: Array, values: Array) -> Minimum | None:
    """The first smallest finite value in row-major order; None if no value is finite."""
    best: tuple[float, int, int] | None = None
    step = max(1, MINIMUM_BLOCK // max(1, values.shape[1]))
    for first in range(0, len(values), step):
        block = values[first : first + step]
        finite = np.isfinite(block)
        if finite.any():
            row, col = divmod(int(np.argmin(np.where(finite, block, np.inf))), block.shape[1])
            if best is None or block[row, col] < best[0]:  # the first of equals kept
                best = (float(block[row, col]), first + row, col)
    if best is None:
        return None
    value, row, col = best
    edges = window_edges(w1, w2, values == value, row, col)
    return Minimum(row, col, float(w1[col]), float(w2[row]), value, edges)


def window_edges(
    w1: Array, w2: Array, lowest: NDArray[np.bool_], row: int, col: int
) -> tuple[Edge, ...]:
    """The window's sides the minimum at (row, col) lies on, where the smallest value (the
    `lowest` cells) is found only in that first or last column (row): the grid shows the loss
    lower at that edge than anywhere else along the axis, so it may keep falling beyond it.
    A smallest value found elsewhere too (a plateau such as zero-one's, a flat surface) is no
    edge's; an axis of one value has nothing to compare with, and no edges."""
    edges = []
    for axis, values, at, hits in (
        ("w1", w1, col, np.asarray(lowest.any(axis=0))),
        ("w2", w2, row, np.asarray(lowest.any(axis=1))),
    ):
        last = len(values) - 1
        if last > 0 and at == 0 and not hits[1:].any():
            edges.append(Edge(axis, "low", float(values[0])))
        elif last > 0 and at == last and not hits[:last].any():
            edges.append(Edge(axis, "high", float(values[last])))
    return tuple(edges)
