"""Two processes for large histogram sweeps: the columns split in two, one half each.

numpy's bincount holds the GIL, so threads would take turns; a second process runs truly in
parallel. It is started with "spawn" (a fresh interpreter, safe beside any threads, such as a
progress bar's) and costs a few tenths of a second, which is why `losscli.sweep` asks for it
only when the sweep is expected to take longer than that by a wide margin.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING

import numpy as np

from losscli import histogram

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Array = NDArray[np.float64]


def cores() -> int:
    """CPU cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def sweep_sums_in_two(
    groups: Sequence[histogram.Group],
    w1: Array,
    grid: histogram.Grid,
    progress: Callable[[float], None] | None = None,
) -> Array:
    """`histogram.sweep_sums`, the right half of the w1 columns done in a second process.

    Progress is the parent's half, which runs at the same pace as the child's.
    """
    half = len(w1) // 2
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        right = pool.submit(histogram.sweep_sums, list(groups), w1[half:], grid)
        left = histogram.sweep_sums(groups, w1[:half], grid, progress)
        return np.concatenate([left, right.result()], axis=1)
