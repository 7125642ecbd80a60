"""Memory a command may plan to hold: arrays that would not fit are refused before they exist.

The arrays a command holds grow with the grid cells and the points, about `CELL_BYTES` a cell
(values, the quadratic sweep's temporaries, JSON's Python floats) and `POINT_BYTES` a point (the
generator's draws, CSV or JSON text). Past half the machine's memory the work cannot run well
at all, so that limit is not an option: the message names what to shrink. Below it memory is
what these estimates say; the sweeps work through the points in blocks of bounded size.

Time is the other limit; the engine estimates it (`losscli.engine.budget`).
"""

from __future__ import annotations

import os

from losscli.errors import ParameterError

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


def check_points(n: int) -> None:
    """Refuse generating `n` points whose arrays would not fit in memory (field `n`)."""
    need = n * POINT_BYTES
    if need > memory_limit():
        raise ParameterError(
            "n",
            f"{n} points would need about {size(need)} of memory, more than half of this "
            f"machine's {size(physical_memory())}; ask for at most {memory_limit() // POINT_BYTES}",
        )


def check_grid(w1_steps: int, w2_steps: int, panels: int) -> None:
    """Refuse a grid whose values, over all panels, would not fit in memory (field
    `grid_steps`)."""
    cells = w1_steps * w2_steps * panels
    need = cells * CELL_BYTES
    if need > memory_limit():
        shape = f"{w1_steps} × {w2_steps} cells" + (f" × {panels} panels" if panels > 1 else "")
        raise ParameterError(
            "grid_steps",
            f"{shape} would need about {size(need)} of memory, more than half of this "
            f"machine's {size(physical_memory())}; use fewer steps",
        )


def size(count: int) -> str:
    """Bytes in binary units: '512 MiB', '1.5 TiB'."""
    value, unit = float(count), "B"
    for larger in ("KiB", "MiB", "GiB", "TiB"):
        if value < 1024:
            break
        value, unit = value / 1024, larger
    return f"{value:.3g} {unit}"
