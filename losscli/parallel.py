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
    try:
        child = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # its failures (Ctrl-C reaches it too) are not the user's
            env=env,
        )
    except OSError:  # no second process to be had: one does it all
        return histogram.sweep_sums(groups, w1, grid, progress)
    with child:
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
    right = _answer(answer, (grid.steps, len(w1) - half)) if child.returncode == 0 else None
    if right is None:  # the child failed: do its half here
        right = histogram.sweep_sums(groups, w1[half:], grid)
    return np.concatenate([left, right], axis=1)


def _answer(answer: bytes, shape: tuple[int, int]) -> Array | None:
    """The child's sums, or None unless they are an array of the expected shape."""
    try:
        sums = pickle.loads(answer)
    except Exception:  # a truncated or garbled answer: pickle raises many kinds
        return None
    return sums if isinstance(sums, np.ndarray) and sums.shape == shape else None


def _feed(child: subprocess.Popen[bytes], work: bytes) -> None:
    assert child.stdin is not None
    try:
        child.stdin.write(work)
        child.stdin.close()
    except BrokenPipeError:  # the child died early; the parent notices by its exit status
        pass


def _serve() -> int:
    """The child's side: one sweep from stdin, its sums to stdout; exit status 0 if done.

    Anything else on stdin (this module run by hand, say) is one line on stderr and status 1.
    """
    try:
        groups, w1, grid = pickle.load(sys.stdin.buffer)
        with np.errstate(all="ignore"):  # as in the parent: overflow is an honest inf
            sums = histogram.sweep_sums(groups, w1, grid)
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group; the parent reports it
        return 130
    except Exception:  # garbage on stdin: unpickling and unpacking it raise many kinds
        sys.stderr.write("losscli.parallel: expected a sweep from losscli on stdin\n")
        return 1
    sys.stdout.buffer.write(pickle.dumps(sums, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_serve())
