"""Two processes for large histogram sweeps: the columns split in two, one half each.

numpy's bincount holds the GIL, so threads would take turns; a second process runs truly in
parallel. It is a fresh interpreter (`python -m losscli.parallel`) that reads its half of the
work from stdin and writes the sums to stdout, both pickled: unlike multiprocessing's spawn it
never re-imports the caller's main script, and it is safe beside any threads (a progress
bar's). Starting it costs a few tenths of a second, which is why `losscli.sweep` asks for it
only for sweeps expected to take longer than that by a wide margin. Should it fail, the
parent does the whole sweep itself.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from losscli import histogram

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Array = NDArray[np.float64]


CHILD = ("-m", "losscli.parallel")
"""How the second interpreter is started: this module, run as a script."""


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
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    work = pickle.dumps((list(groups), w1[half:], grid), protocol=pickle.HIGHEST_PROTOCOL)
    command = [sys.executable, *CHILD]
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env) as child:
        feeder = threading.Thread(target=_feed, args=(child, work), daemon=True)
        feeder.start()
        try:
            left = histogram.sweep_sums(groups, w1[:half], grid, progress)
            assert child.stdout is not None
            answer = child.stdout.read()
        except BaseException:  # Ctrl-C or a failure here: the child's half is not wanted
            child.kill()
            raise
        feeder.join()
    status = child.returncode
    right = pickle.loads(answer) if status == 0 and answer else None
    if right is None:  # the child failed: do its half here
        right = histogram.sweep_sums(groups, w1[half:], grid)
    return np.concatenate([left, right], axis=1)


def _feed(child: subprocess.Popen[bytes], work: bytes) -> None:
    assert child.stdin is not None
    try:
        child.stdin.write(work)
        child.stdin.close()
    except BrokenPipeError:  # the child died early; the parent notices by its exit status
        pass


def _serve() -> None:
    """The child's side: one sweep from stdin, its sums to stdout."""
    groups, w1, grid = pickle.load(sys.stdin.buffer)
    sums = histogram.sweep_sums(groups, w1, grid)
    sys.stdout.buffer.write(pickle.dumps(sums, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    _serve()
