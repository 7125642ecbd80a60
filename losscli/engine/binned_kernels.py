"""The binned method's columns: each column's node masses spread from the points, convolved
with the kernel by FFT, or some of its rows summed exactly from the masses (no FFT) with a
bound on their rounding. Each column's sums are the same bits whichever columns are swept with
it, so the columns may be shared among processes (`losscli.engine.binned`)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from losscli.engine.centre import shifted
from losscli.engine.interpolation import EPSILON, ORDER, SPREAD_BLOCK, spread_positions

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from losscli.engine.axis import Axis
    from losscli.engine.binned_plan import KernelGroup

    Array = NDArray[np.float64]
    IntArray = NDArray[np.intp]

BLOCK_SPECTRUM = 1 << 17
"""Complex FFT values a block of columns holds at once (2 MiB): memory stays bounded."""


def kernel_sums(
    groups: Sequence[KernelGroup],
    w1: Array,
    grid: Axis,
    progress: Callable[[float], None] | None = None,
) -> Array:
    """Σ f(w2 − c) over every group's masses for every w2 (rows) and w1 (columns): the sums,
    not yet means. Each column's sums are the same whichever columns are swept with it."""
    totals = np.zeros((grid.steps, len(w1)))
    work = sum(len(group.x) + group.length for group in groups) * len(w1)
    done = 0
    for group in groups:
        if len(group.x) == 0:
            continue
        spectrum = np.fft.rfft(group.kernel, group.length)
        per_block = max(1, BLOCK_SPECTRUM // group.length)
        for start in range(0, len(w1), per_block):
            cols = slice(start, start + per_block)
            totals[:, cols] += _columns(group, w1[cols], grid, spectrum)
            done += (len(group.x) + group.length) * len(w1[cols])
            if progress is not None:
                progress(done / work)
    return totals


def _columns(group: KernelGroup, w1: Array, grid: Axis, spectrum: NDArray[np.complex128]) -> Array:
    """The sums of a block of columns: node masses per column, convolved with the kernel."""
    nodes = group.nodes
    transformed = np.fft.rfft(_masses(group, w1, grid), group.length, axis=1)
    transformed *= spectrum
    sums = np.fft.irfft(transformed, group.length, axis=1)
    # t = j·R + nodes − 1 is the grid's row j (see KernelGroup)
    result: Array = sums[:, nodes - 1 :: group.refine][:, : grid.steps].T
    return result


def _masses(group: KernelGroup, w1: Array, grid: Axis) -> Array:
    """The node masses (columns, nodes) of a block of columns.

    A position is counted in node widths from the grid's lo (node `anchor`), not from the
    frame's first node: the frame may reach far beyond the grid (far outliers), and only
    positions near the grid need all their digits. Columns are spread `per` at a time and
    points `chunk` at a time, both fixed by the group alone, so each column's masses are
    summed in the same order in any block."""
    delta = grid.step / group.refine
    cols, nodes, count = len(w1), group.nodes, len(group.x)
    if group.plane is not None:
        lows = np.full(cols, grid.low)
        if group.centre.active:  # each column's own lo, as below
            hi, lo = group.centre.offsets(w1)
            lows = shifted(hi, lo, grid.low)
        return group.plane.masses_at(w1, lows, delta, nodes, group.anchor)
    masses = np.zeros((cols, nodes))
    per = max(1, SPREAD_BLOCK // count)
    chunk = max(1, SPREAD_BLOCK // per)
    steps = np.arange(ORDER)[:, None, None] + group.anchor
    for first in range(0, cols, per):
        w = w1[first : first + per, None]
        rows = masses[first : first + len(w)]
        at: Array | float = grid.low
        if group.centre.active:  # the column's own lo: lo + w1·cx − cy, exactly
            hi, lo = group.centre.offsets(w)
            at = shifted(hi, lo, grid.low)
        shift = (np.arange(len(w)) * nodes)[None, :, None] + steps
        for start in range(0, count, chunk):
            part = slice(start, start + chunk)
            c = -w * group.x[part]
            if group.offset is not None:
                c += group.offset[part]
            index, weights = spread_positions((c - at) / delta)
            if group.weight is not None:
                weights *= group.weight[part]
            flat = (index[None, :, :] + shift).ravel()
            spread = np.bincount(flat, weights.ravel(), minlength=rows.size)
            rows += spread.reshape(rows.shape)
    return masses


def exact_rows(
    groups: Sequence[KernelGroup], masses: Sequence[Array], rows: IntArray, grid: Axis
) -> tuple[Array, Array]:
    """The sums of some rows of one column as plain dot products of its node masses (one
    array per group) with the kernel (no FFT), and the bound on their rounding:
    log₂(nodes)·ε·Σ|mass·K| (pairwise summation)."""
    sums = np.zeros(len(rows))
    rounding = np.zeros(len(rows))
    for group, held in zip(groups, masses, strict=True):
        lowest = np.flatnonzero(held)
        if len(lowest) == 0:
            continue
        first, last = int(lowest[0]), int(lowest[-1]) + 1
        held = held[first:last]
        per = max(1, BLOCK_SPECTRUM // len(held))
        # row t of the terms is kernel[t − first − k] for k = 0 … len(held) − 1: a window of
        # the reversed kernel, copied whole (a gather by computed indices costs twice as much)
        reverse = sliding_window_view(group.kernel[::-1], len(held))
        for start in range(0, len(rows), per):
            part = slice(start, start + per)
            t = rows[part] * group.refine + group.nodes - 1  # see KernelGroup
            terms = reverse[len(group.kernel) - 1 - t + first]
            terms *= held
            sums[part] += terms.sum(axis=1)
            np.abs(terms, out=terms)
            rounding[part] += (math.log2(len(held)) + 1) * EPSILON * terms.sum(axis=1)
    return sums, rounding


def column_masses(groups: Sequence[KernelGroup], w1: Array, grid: Axis) -> list[list[Array]]:
    """Each column's node masses, one array per group (empty for a group without points)."""
    per_group = [
        _masses(group, w1, grid) if len(group.x) else np.zeros((len(w1), 0)) for group in groups
    ]
    return [[masses[k] for masses in per_group] for k in range(len(w1))]
