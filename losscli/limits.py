"""What a command may cost: memory it may plan to hold, and the time it may run.

Memory: arrays that would not fit are refused before they exist.

The arrays a command holds grow with the grid cells and the points, about `CELL_BYTES` a cell
(the values, and the sweep's and the writers' blocks) and `POINT_BYTES` a point (the
generator's draws, CSV or JSON text). Past half the machine's memory the work cannot run well
at all, so that limit is not an option: the message names what to shrink. Below it memory is
what these estimates say; the sweeps work through the points in blocks of bounded size.

Time: the engine and the walk estimate it before they start (`losscli.engine.budget`,
`losscli.descent.walk.check_walks`), and a `Deadline` stops the work that runs past it anyway,
since an estimate can be wrong.
"""

from __future__ import annotations

import math
import os
import time

from losscli.errors import DataError, ParameterError

CELL_BYTES = 32
"""Memory a grid cell costs at the peak, with margin: `surface --format json` at 2001 × 2001
peaks at 105 MiB for mae, huber and zero-one (82 MiB for mse), about 17 bytes a cell past
the interpreter's 40 MiB, now that the writers stream (it was 100 when JSON built floats)."""

STEP_BYTES = 40
"""Memory a step of a descent walk keeps: the point, the loss and the gradient, in float64."""

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


INPUT_SHARE = 4
"""Input a command reads at most, by default: this fraction of `memory_limit()` (a CSV is
parsed as it comes, and holds far less than its size)."""

INPUT_VARIABLE = "LOSSCLI_MAX_INPUT"
"""The environment variable that sets the input limit, in bytes."""


def input_limit() -> int:
    """Bytes of input (a data file, standard input, a grid) a command reads at most:
    $LOSSCLI_MAX_INPUT, else a quarter of `memory_limit()`."""
    given = os.environ.get(INPUT_VARIABLE)
    if given is None:
        return memory_limit() // INPUT_SHARE
    if not given.isdigit():
        raise DataError(f"{INPUT_VARIABLE} must be a whole number of bytes, got {given!r}")
    return int(given)


def check_points(n: int) -> None:
    """Refuse generating `n` points whose arrays would not fit in memory (field `n`)."""
    most = memory_limit() // POINT_BYTES
    _check_memory("n", f"{n} points", n * POINT_BYTES, f"ask for at most {most}")


def check_grid(w1_steps: int, w2_steps: int, panels: int) -> None:
    """Refuse a grid whose values, over all panels, would not fit in memory (field
    `grid_steps`)."""
    shape = f"{w1_steps} × {w2_steps} cells" + (f" × {panels} panels" if panels > 1 else "")
    _check_memory("grid_steps", shape, w1_steps * w2_steps * panels * CELL_BYTES, "use fewer steps")


def check_steps(steps: int, walks: int) -> None:
    """Refuse walks whose trajectories would not fit in memory (field `steps`)."""
    most = memory_limit() // (STEP_BYTES * walks) - 1
    need = (steps + 1) * walks * STEP_BYTES
    _check_memory("steps", f"{walks} × {steps} steps", need, f"ask for at most {most}")


def check_trajectory(steps: int, parameters: int) -> None:
    """Refuse training whose kept trajectory, (steps + 1) × parameters float64s, would not fit
    in memory (field `steps`)."""
    most = memory_limit() // (8 * parameters) - 1
    need = (steps + 1) * parameters * 8
    _check_memory("steps", f"{steps} steps × {parameters} weights", need, f"ask for at most {most}")


def _check_memory(field: str, what: str, need: int, advice: str) -> None:
    """Refuse `what`, needing `need` bytes, past `memory_limit()`, with `advice`."""
    if need > memory_limit():
        raise ParameterError(
            field,
            f"{what} would need about {size(need)} of memory, more than half of this "
            f"machine's {size(physical_memory())}; {advice}",
        )


class Deadline:
    """The time the work may run, from now: `check` stops it, once past, between blocks of a
    sweep or steps of a walk, with the usual refusal (field `max_seconds`)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.start = time.monotonic()

    def check(self, what: str, fraction: float) -> None:
        """`what` (say, "mse by the direct method") is `fraction` done: stop if time is up."""
        elapsed = time.monotonic() - self.start
        if elapsed <= self.seconds:
            return
        total = elapsed / fraction if fraction > 0.0 else math.inf
        guess = f", about {duration(total)} in all" if math.isfinite(total) else ""
        raise ParameterError(
            "max_seconds",
            f"the work ran past {duration(self.seconds)} ({what} was {fraction:.0%} done"
            f"{guess}); give {{max_seconds}} {above(total) if math.isfinite(total) else 'inf'} "
            "to let it finish, or use fewer steps or points",
            mentions=("max_seconds",),
        )


def above(seconds: float) -> int:
    """A limit just above an estimate, in two significant digits, for a message to suggest."""
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
