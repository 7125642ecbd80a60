"""Regression's binned (x, y) nodes as dense rows, and their spreading onto a column's nodes.

The binned method (`losscli.engine.binned`) bins many regression points once on (x, y) nodes;
a column w1 then spreads every node to its c = y − w1·x with the Lagrange weights of its
fractional position. The y nodes have the columns' own spacing δ, so every node of one x row
lies at the same fraction φ of a node width: the row is spread by the ORDER weights of φ
alone (its ORDER shifted copies times the weights, a matrix product over all the columns at
once), then added in at its whole offset. The same sums as spreading each node with its own
weights, up to rounding, without computing weights per node: a few ns a node and column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from losscli.engine.interpolation import ORDER, spread_positions

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Array = NDArray[np.float64]
    IntArray = NDArray[np.intp]

CELL_SECONDS = 1e-8
"""Seconds, about, for a column to spread one of a plane's `cells` (one core)."""

ROWS = 64
"""Rows spread at once (with COLUMNS columns: 64 × 16 × the band, a few MiB)."""

COLUMNS = 16
"""Columns spread at once; a shorter block is padded to it, so every column goes through the
same matrix products whichever columns are swept with it: the same bits."""


@dataclass(frozen=True)
class Plane:
    """Row r holds the masses of the y nodes `y0` + (`first`[r] + k)·δ, k < the band's
    width, at the x node `x`[r]."""

    x: Array
    y0: float
    first: IntArray
    masses: Array

    @classmethod
    def of(cls, masses: Array, lo_x: float, step_x: float, y0: float) -> Plane:
        """The occupied rows of (x, y) masses (x node a at lo_x + (a − ORDER/2 + 1)·step_x,
        storage b of a row the y node y0 + b·δ), each cut to the band its masses occupy."""
        rows = np.flatnonzero(masses.any(axis=1))
        held = masses[rows] != 0.0
        first = np.argmax(held, axis=1)
        last = held.shape[1] - np.argmax(held[:, ::-1], axis=1)
        width = int(np.max(last - first, initial=1))
        padded = np.pad(masses[rows], ((0, 0), (0, width)))
        band = np.take_along_axis(padded, first[:, None] + np.arange(width)[None, :], axis=1)
        x: Array = lo_x + (rows - (ORDER // 2 - 1)).astype(np.float64) * step_x
        return cls(x, y0, first.astype(np.intp), band)

    @property
    def cells(self) -> int:
        """Values a column spreads: rows × (band + ORDER − 1)."""
        rows, width = self.masses.shape
        return int(rows * (width + ORDER - 1))

    def masses_at(self, w1: Array, at: Array, delta: float, nodes: int, anchor: int) -> Array:
        """The node masses (columns, nodes) for the columns w1, node m of column j at
        at[j] + (m − anchor)·δ (every node within the frame)."""
        rows, width = self.masses.shape
        span = width + ORDER - 1
        cols = len(w1)
        padded = -(-cols // COLUMNS) * COLUMNS
        chosen = np.minimum(np.arange(padded), cols - 1)  # the last block padded with copies
        w, origin = w1[chosen], (self.y0 - at[chosen]) / delta
        total = np.zeros(padded * nodes)
        offsets = (np.arange(COLUMNS) * nodes)[None, :, None] + np.arange(span)
        scaled = self.x / delta
        for first in range(0, rows, ROWS):
            part = slice(first, first + ROWS)
            band = self.masses[part]
            copies = np.zeros((len(band), ORDER, span))  # copy t: the band t nodes on
            for t in range(ORDER):
                copies[:, t, t : t + width] = band
            # node k of row r at (y0 + (first_r + k)·δ − w·x_r − at)/δ node widths from lo
            position = origin[:, None] + self.first[None, part] - w[:, None] * scaled[part]
            index, weights = spread_positions(position)  # (columns, rows), (ORDER, …)
            index += anchor
            for start in range(0, padded, COLUMNS):
                block = slice(start, start + COLUMNS)
                chunk = np.ascontiguousarray(weights[:, block].transpose(2, 1, 0))
                spread = np.matmul(chunk, copies)  # (rows, COLUMNS, span)
                where = index[block].T[:, :, None] + offsets
                # the bands' padding may reach past a column's last node: it adds zeros
                size = COLUMNS * nodes
                total[start * nodes : start * nodes + size] += np.bincount(
                    where.ravel(), spread.ravel(), minlength=size
                )[:size]
        return total.reshape(padded, nodes)[:cols]
