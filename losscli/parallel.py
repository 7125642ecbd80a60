"""Two processes for a long sweep: the w1 columns split in two, one part each.

Threads do not pay here: numpy holds the GIL between its calls, and handing the GIL back and
forth costs more than the calls it would overlap (two threads measured no faster than one on a
histogram sweep of 201 × 201 cells over 10⁴ points). A second process runs truly in parallel.

Where it can, the second process is a fork of this one (`can_fork`: Linux, and no other Python
thread, so none can hold a lock the child would wait on): it starts in about a
millisecond with the prepared work already in its memory, and sends its sums back through a
pipe. Elsewhere it is a fresh interpreter (`python -m losscli.parallel`) that reads its part of
the work from stdin and writes its sums to stdout, both pickled: a few tenths of a second to
start, worth it only for sweeps of seconds. Either way, should the second process fail, the
first does its part too, and no failure of the second reaches the user.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import threading
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Array = NDArray[np.float64]

    Progress = Callable[[float], None] | None
    Columns = Callable[[Any, Array, Progress], Array]
    """`function(work, w1, progress)`: the (rows, len(w1)) sums of a sweep's columns `w1`."""


CHILD = ("-m", "losscli.parallel")
"""How a fresh second interpreter is started: this module, run as a script."""

FORK_START = 1e-3
"""Seconds before a forked second process is at work (measured: about 1 ms)."""

SPAWN_START = 0.25
"""Seconds before a fresh second interpreter is at work (it imports numpy and losscli)."""


def cores() -> int:
    """CPU cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def can_fork() -> bool:
    """Whether a fork is safe and cheap: on Linux, with no other Python thread running (a
    progress bar's, say), which could hold a lock the child would wait on forever."""
    return sys.platform == "linux" and threading.active_count() == 1


def in_two(
    function: Columns,
    work: Any,
    w1: Array,
    rows: int,
    progress: Progress = None,
    *,
    seconds: float = 0.0,
) -> Array:
    """`function(work, w1, progress)`, with a second process doing the right-hand columns.

    `seconds`, the sweep's expected length on one core, sets the split: the first process
    takes the larger share while the second starts. Progress is the first's share, which
    ends when the sweep does.
    """
    fork = can_fork()
    start = FORK_START if fork else SPAWN_START
    share = 0.5 + start / (2.0 * seconds) if seconds > 0.0 else 0.5
    cut = min(len(w1) - 1, max(1, round(len(w1) * min(share, 0.9))))
    second = _forked if fork else _spawned
    return second(function, work, w1, cut, rows, progress)


def _forked(
    function: Columns, work: Any, w1: Array, cut: int, rows: int, progress: Progress
) -> Array:
    """The columns from `cut` on in a fork, the rest here; the fork's sums come through a pipe."""
    read_end, write_end = os.pipe()
    try:
        with warnings.catch_warnings():
            # Python ≥ 3.12 warns of any thread at a fork. The only other threads here are
            # OpenBLAS's, which stops them itself around a fork (pthread_atfork).
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
    except OSError:  # no process to be had: one does it all
        os.close(read_end)
        os.close(write_end)
        return function(work, w1, progress)
    if pid == 0:  # the child: its sums to the pipe, then out, running no exit handlers
        os.close(read_end)
        status = 1
        try:
            signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C ends it without a word
            with np.errstate(all="ignore"):
                sums = np.ascontiguousarray(function(work, w1[cut:], None), dtype=np.float64)
            view = sums.data.cast("B")
            while view:
                view = view[os.write(write_end, view) :]
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    try:
        left = function(work, w1[:cut], progress)
        right = _receive(read_end, (rows, len(w1) - cut))
    except BaseException:  # Ctrl-C or a failure here: the child's part is not wanted
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise
    finally:
        os.close(read_end)
    _reap(pid)
    if right is None:  # the child stopped short: do its part here
        right = function(work, w1[cut:], None)
    return np.concatenate([left, right], axis=1)


_exiting: list[int] = []
"""Forked children that had sent their sums but not yet exited when last looked at."""


def _reap(pid: int) -> None:
    """Collect the child's exit, without waiting for it: a child's exit takes about a
    millisecond to tear down its memory, and its sums are already here. Children still
    exiting are collected at the next fork (or, once this process exits, by the system)."""
    for earlier in _exiting[:]:
        os.waitpid(earlier, 0)
        _exiting.remove(earlier)
    if os.waitpid(pid, os.WNOHANG) == (0, 0):
        _exiting.append(pid)


def _receive(read_end: int, shape: tuple[int, int]) -> Array | None:
    """Exactly an array of `shape` from the pipe, or None if the writer stopped short."""
    sums = np.empty(shape)
    view = sums.data.cast("B")
    with open(read_end, "rb", buffering=0, closefd=False) as pipe:
        while view:
            got = pipe.readinto(view)
            if not got:
                return None
            view = view[got:]
    return sums


def _spawned(
    function: Columns, work: Any, w1: Array, cut: int, rows: int, progress: Progress
) -> Array:
    """The columns from `cut` on in a fresh interpreter fed on stdin, the rest here."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    message = pickle.dumps((function, work, w1[cut:]), protocol=pickle.HIGHEST_PROTOCOL)
    try:
        child = subprocess.Popen(
            [sys.executable, *CHILD],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # its failures (Ctrl-C reaches it too) are not the user's
            env=env,
        )
    except OSError:  # no second process to be had: one does it all
        return function(work, w1, progress)
    with child:
        feeder = threading.Thread(target=_feed, args=(child, message), daemon=True)
        feeder.start()
        try:
            left = function(work, w1[:cut], progress)
            assert child.stdout is not None
            answer = child.stdout.read()
        except BaseException:  # Ctrl-C or a failure here: the child's part is not wanted
            child.kill()
            raise
        feeder.join()
    shape = (rows, len(w1) - cut)
    right = _answer(answer, shape) if child.returncode == 0 else None
    if right is None:  # the child failed: do its part here
        right = function(work, w1[cut:], None)
    return np.concatenate([left, right], axis=1)


def _answer(answer: bytes, shape: tuple[int, int]) -> Array | None:
    """The child's sums, or None unless they are an array of the expected shape."""
    try:
        sums = pickle.loads(answer)
    except Exception:  # a truncated or garbled answer: pickle raises many kinds
        return None
    return sums if isinstance(sums, np.ndarray) and sums.shape == shape else None


def _feed(child: subprocess.Popen[bytes], message: bytes) -> None:
    assert child.stdin is not None
    try:
        child.stdin.write(message)
        child.stdin.close()
    except BrokenPipeError:  # the child died early; the parent notices by its exit status
        pass


def _serve() -> int:
    """The fresh child's side: one part of a sweep from stdin, its sums to stdout; status 0.

    Anything else on stdin (this module run by hand, say) is one line on stderr and status 1.
    """
    try:
        function, work, w1 = pickle.load(sys.stdin.buffer)
        with np.errstate(all="ignore"):  # as in the parent: overflow is an honest inf
            sums = function(work, w1, None)
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group; the parent reports it
        return 130
    except Exception:  # garbage on stdin: unpickling, unpacking and calling it raise many kinds
        sys.stderr.write("losscli.parallel: expected a sweep from losscli on stdin\n")
        return 1
    sys.stdout.buffer.write(pickle.dumps(sums, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_serve())
