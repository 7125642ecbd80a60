"""What a command may cost: work that would take minutes, or arrays that would not fit in
memory, are refused before they start, with the estimate and what to change.

Two limits, each in the unit of what it protects:

* Time, in seconds: the engine's own estimate (`sweep.expect`: the method it would choose, a
  second process counted), summed over the panels, against --max-seconds (default
  `MAX_SECONDS`). It is an estimate from rough costs, so the limit is generous, and the
  message says how to lift it.
* Memory, in bytes: the arrays a command holds grow with the grid cells and the points, about
  `CELL_BYTES` a cell (values, the quadratic sweep's temporaries, JSON's Python floats) and
  `POINT_BYTES` a point (the generator's draws, CSV or JSON text). Past half the machine's
  memory the work cannot run well at all, so that limit is not an option: the message names
  the grid or the --n to shrink. Below it memory is what these estimates say; the sweeps
  work through the points in blocks of bounded size (`sweep.BLOCK_ELEMENTS`, `histogram`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from losscli.errors import OptionError

if TYPE_CHECKING:
    from losscli.losses import Loss
    from losscli.sweep import Axis

MAX_SECONDS = 60.0
"""Default of --max-seconds: a sweep expected to take minutes asks to be confirmed."""

CELL_BYTES = 100
"""Memory a grid cell costs at the peak, measured on `surface --format json` at 2001 × 2001."""

POINT_BYTES = 250
"""Memory a point costs at the peak, measured on `data --n 1000000` (CSV)."""

FALLBACK_MEMORY = 8 << 30
"""Assumed physical memory where the system does not say (8 GiB)."""


def physical_memory() -> int:
    """This machine's memory in bytes (POSIX), else `FALLBACK_MEMORY`."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return FALLBACK_MEMORY


def memory_limit() -> int:
    """Bytes a command may plan to hold: half the machine's memory."""
    return physical_memory() // 2


def check_points(n: int, option: str = "--n") -> None:
    """Refuse generating `n` points whose arrays would not fit in memory."""
    need = n * POINT_BYTES
    if need > memory_limit():
        raise OptionError(
            option,
            f"{n} points would need about {size(need)} of memory, more than half of this "
            f"machine's {size(physical_memory())}; ask for at most {memory_limit() // POINT_BYTES}",
        )


def check_grid(w1_steps: int, w2_steps: int, panels: int, steps_option: str) -> None:
    """Refuse a grid whose values, over all panels, would not fit in memory."""
    cells = w1_steps * w2_steps * panels
    need = cells * CELL_BYTES
    if need > memory_limit():
        shape = f"{w1_steps} × {w2_steps} cells" + (f" × {panels} panels" if panels > 1 else "")
        raise OptionError(
            steps_option,
            f"{shape} would need about {size(need)} of memory, more than half of this "
            f"machine's {size(physical_memory())}; use fewer steps",
        )


def check_sweeps(
    chosen: Sequence[tuple[Loss, Mapping[str, float], int]],
    w1: Axis,
    w2: Axis,
    method: str,
    max_seconds: float,
) -> None:
    """Refuse sweeps (loss, params, points) expected to take longer than `max_seconds` in all."""
    from losscli.sweep import expect

    plans = [(loss, points, *expect(loss, p, points, w1, w2, method)) for loss, p, points in chosen]
    total = sum(seconds for *_, seconds in plans)
    if total <= max_seconds:
        return
    loss, points, slowest, _ = max(plans, key=lambda plan: plan[3])
    others = f"; {len(plans)} panels in all" if len(plans) > 1 else ""
    raise OptionError(
        "--max-seconds",
        f"the sweep would take about {duration(total)} ({loss.name} by the {slowest} method: "
        f"{w1.steps} × {w2.steps} cells × {points} points{others}), more than "
        f"{duration(max_seconds)}; give --max-seconds {_above(total)} to run it anyway, "
        "or use fewer steps or points",
    )


def _above(seconds: float) -> int:
    """A limit just above an estimate, in two significant digits, for the message to suggest."""
    unit: int = 10 ** max(0, int(math.log10(seconds)) - 1)
    return (math.floor(seconds / unit) + 1) * unit


def duration(seconds: float) -> str:
    """Seconds as a person says them: '45 s', '12 min', '3.2 h', '4.1 days'."""
    if seconds < 90:
        return f"{seconds:.3g} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.2g} h"
    return f"{seconds / 86400:.2g} days"


def size(count: int) -> str:
    """Bytes in binary units: '512 MiB', '1.5 TiB'."""
    value, unit = float(count), "B"
    for larger in ("KiB", "MiB", "GiB", "TiB"):
        if value < 1024:
            break
        value, unit = value / 1024, larger
    return f"{value:.3g} {unit}"
