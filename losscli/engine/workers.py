"""Other processes for a long sweep: the w1 columns split in two, one part each, a service
any sweep method whose columns are independent may use (`by_columns`).

Threads do not pay here: numpy holds the GIL between its calls, and handing the GIL back and
forth costs more than the calls it would overlap (two threads measured no faster than one on a
histogram sweep of 201 × 201 cells over 10⁴ points). A second process runs truly in parallel.

Where it can, the second process is a fork of this one, kept for the sweeps that follow (a
worker): forked once (`can_fork`: Linux, and no other Python thread, so none can hold a lock
the child would wait on), it then takes each sweep's right-hand columns as a pickled request
over a socket pair and sends its sums back. A fork costs about a millisecond, and after it
every page either process writes is first copied (2–4 µs a page on the machine measured), so
forking afresh for every sweep would cost about as much as the second process saves on a
sweep of 10 ms; a kept worker pays that once. It holds nothing this process had open, and
none of its signal handlers.

Elsewhere on Linux the second process is a fresh interpreter (`CHILD`, which runs `serve`)
for one sweep: a few tenths of a second to start, worth it only for sweeps of seconds. Its end
of the socket pair is an inherited descriptor, and it takes a request only if the other end
belongs to the process that started it; it never reads stdin.

Either way the second process dies with the first (the kernel kills it when its parent ends),
and the first waits for its part only so long (`patience`): should the second fail, stop or
fall far behind, the first does its part too, and no failure of the second reaches the user.
Both guarantees need Linux; elsewhere a sweep runs in one process.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from losscli.engine import wire

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Array = NDArray[np.float64]

    from losscli.engine.method import Progress

    Columns = Callable[[Any, Array, Progress], Array]
    """`function(work, w1, progress)`: the (rows, len(w1)) sums of a sweep's columns `w1`."""


CHILD = ("-c", "import sys; from losscli.engine.wire import serve; sys.exit(serve())")
"""How a fresh second interpreter is started: the arguments after the Python executable; the
number of the descriptor that carries its requests follows them."""

FORK_START = 1e-3
"""Seconds before a forked second process is at work (measured: about 1 ms)."""

SPAWN_START = 0.25
"""Seconds before a fresh second interpreter is at work (it imports numpy and losscli)."""

FORK_SECONDS = 0.01
"""Sweeps expected to take longer than this on one core hand half their columns to a forked
worker where they can. Forking it costs a few milliseconds the first time (about 4 ms more
for mae at 201 × 201 cells over 10⁴ points), then about 0.5 ms a sweep."""

SPAWN_SECONDS = 1.0
"""Where no forked worker is to be had, sweeps expected to take longer than this start a fresh
second interpreter, which costs a few tenths of a second."""

PATIENCE = 10.0
"""Seconds, at least, that the first process waits for the second's part once its own is done
(and for the second to take its request) before doing that part itself: over a thousand times
what a healthy second process needs on the shortest sweep it is given, while a stopped one
costs the user no more."""

PATIENCE_FACTOR = 4.0
"""Beyond `PATIENCE`, the wait is this many times the sweep's one-core estimate, or the time
the first process's own part took if longer (on a loaded machine both slow down alike)."""


def cores() -> int:
    """CPU cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def how_to_share(seconds: float) -> str:
    """How a sweep expected to take `seconds` on one core shares the cores: "fork" or "spawn"
    a second process for the right-hand columns, where it is long enough to repay the start,
    or "none"."""
    if cores() < 2:
        return "none"
    if has_worker():
        return "fork" if seconds > FORK_SECONDS else "none"
    return "spawn" if can_spawn() and seconds > SPAWN_SECONDS else "none"


def expected_seconds(seconds: float) -> float:
    """About how long a sweep of `seconds` on one core takes as `by_columns` runs it."""
    how = how_to_share(seconds)
    if how == "none":
        return seconds
    start = FORK_START if how == "fork" else SPAWN_START
    return (seconds + start) / 2


def patience(seconds: float, elapsed: float = 0.0) -> float:
    """How long the first process waits for the second, for a sweep of `seconds` on one core
    whose first part took `elapsed`. The second, given about as many columns as the first at
    most, misses that only if it runs over five times slower than the first and over eight
    times slower than the estimate."""
    return max(PATIENCE, PATIENCE_FACTOR * max(seconds, elapsed))


def by_columns(
    function: Columns, work: Any, w1: Array, rows: int, progress: Progress, *, seconds: float
) -> Array:
    """`function(work, w1, progress)`, the (rows, len(w1)) sums of a sweep's columns, shared
    with a second process where the sweep is long enough (`how_to_share`)."""
    if how_to_share(seconds) == "none":
        return function(work, w1, progress)
    return in_two(function, work, w1, rows, progress, seconds=seconds)


def can_fork() -> bool:
    """Whether a fork is safe and cheap: on Linux, with no other Python thread running (a
    progress bar's, say), which could hold a lock the child would wait on forever."""
    return sys.platform == "linux" and threading.active_count() == 1


def can_spawn() -> bool:
    """Whether a fresh interpreter may serve: on Linux, where it can tell who sent its request
    (SO_PEERCRED) and die with its parent (PR_SET_PDEATHSIG)."""
    return sys.platform == "linux"


def in_two(
    function: Columns,
    work: Any,
    w1: Array,
    rows: int,
    progress: Progress = None,
    *,
    seconds: float = 0.0,
    use_worker: bool = True,
) -> Array:
    """`function(work, w1, progress)`, with a second process doing the right-hand columns.

    `function` must be picklable (a module-level function). `seconds`, the sweep's expected
    length on one core, sets the split (the first process takes the larger share while a
    second is being started) and how long the first waits for the second (`patience`).
    Progress is the first's share, which ends when the sweep does. `use_worker=False` starts a
    fresh interpreter even where a forked worker could serve.
    """
    worker = _the_worker() if use_worker else None
    if worker is None and (seconds < SPAWN_SECONDS or not can_spawn()):
        return function(work, w1, progress)  # no worker, and no fresh interpreter worth it
    start = (FORK_START if worker.fresh else 0.0) if worker is not None else SPAWN_START
    share = 0.5 + start / (2.0 * seconds) if seconds > 0.0 else 0.5
    cut = min(len(w1) - 1, max(1, round(len(w1) * min(share, 0.9))))
    if worker is None:
        left, right = _spawned(function, work, w1, cut, rows, progress, seconds)
    else:
        try:
            left, right = _shared(worker, function, work, w1, cut, rows, progress, seconds)
        finally:
            _busy.release()
    if right is None:  # the second process failed: its part is done here too
        right = function(work, w1[cut:], None)
    return np.concatenate([left, right], axis=1)


def has_worker() -> bool:
    """Whether a sweep now would have a forked worker: one kept, or one that may be forked."""
    return (_worker is not None and _worker.alive) or can_fork()


class _Worker:
    """A second process that sweeps columns on request over a socket pair: forked and kept
    (`fork`), or a fresh interpreter for one sweep (`spawn`); what travels is `wire`'s. (A
    socket, not a pipe, so that writing to a worker that died raises an error even where
    SIGPIPE would end this process, as the CLI arranges for its output, and so that a fresh
    interpreter can tell who holds the other end.)"""

    def __init__(
        self, channel: socket.socket, pid: int, end: Callable[[], object], *, kept: bool
    ) -> None:
        self.channel, self.pid, self.end, self.kept = channel, pid, end, kept
        self.alive = True
        self.fresh = True  # its first request also pays for copying pages after the fork
        self.asked = False  # whether the last request went whole
        self.feeder: threading.Thread | None = None

    @classmethod
    def fork(cls) -> _Worker:
        """A fork of this process, which dies with it; OSError if there can be none."""
        prctl = wire.prctl()
        parent = os.getpid()
        channel, theirs = socket.socketpair()
        try:
            with warnings.catch_warnings():
                # Python ≥ 3.12 warns of any thread at a fork. The only other threads here are
                # OpenBLAS's, which stops them itself around a fork (pthread_atfork).
                warnings.simplefilter("ignore", DeprecationWarning)
                pid = os.fork()
        except OSError:
            channel.close()
            theirs.close()
            raise
        if pid == 0:  # the worker: serves until the channel closes, then leaves
            status = 1
            try:
                channel.close()
                wire.die_with(parent, prctl)
                status = wire.serve_requests(theirs)
            finally:
                os._exit(status)
        theirs.close()
        worker = cls(channel, pid, lambda: _end_fork(pid), kept=True)
        atexit.register(worker.close)  # collected when this process exits: no zombie left
        return worker

    @classmethod
    def spawn(cls) -> _Worker:
        """A fresh interpreter, its end of the channel an inherited descriptor; OSError if there
        can be none."""
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        channel, theirs = socket.socketpair()
        try:
            child = subprocess.Popen(
                [sys.executable, *CHILD, str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,  # its failures (Ctrl-C reaches it too): not the user's
                env=env,
            )
        except OSError:
            channel.close()
            raise
        finally:
            theirs.close()
        return cls(channel, child.pid, lambda: _end_spawn(child), kept=False)

    def ask(self, message: tuple[Columns, Any, Array], by: float) -> None:
        """Send a request by the time `by` (time.monotonic()). A fresh interpreter reads it only
        once started, so it is sent from another thread meanwhile (`feeder`)."""
        parts = wire.request(message)
        self.asked = False
        if self.kept:
            self._send(parts, by)
        else:
            self.feeder = threading.Thread(target=self._send, args=(parts, by), daemon=True)
            self.feeder.start()

    def _send(self, parts: list[bytes | memoryview], by: float) -> None:
        try:
            for part in parts:
                wire.send(self.channel, part, by)
        except OSError:  # the worker is gone, stopped or slow: `answer` closes it
            return
        self.asked = True

    def answer(self, shape: tuple[int, int], by: float) -> Array | None:
        """The sums asked for, if they come by the time `by`; else None, and the worker is
        closed (it failed, stopped or fell behind)."""
        if self.feeder is not None:
            self.feeder.join(max(0.0, by - time.monotonic()))
        head = bytearray(9)
        sums = np.empty(shape)
        try:
            ok = self.asked and wire.receive(self.channel, memoryview(head), by) and head[0] == 0
            ok = ok and int.from_bytes(head[1:], "little") == sums.nbytes
            ok = ok and wire.receive(self.channel, sums.data.cast("B"), by)
        except OSError:  # the connection reset (the worker died), or the time is up
            ok = False
        if ok:
            self.fresh = False
            return sums
        self.close()
        return None

    def close(self) -> None:
        """End the process, then close the channel: a feeder still sending fails at once, and
        never on a descriptor reused meanwhile."""
        if not self.alive:
            return
        self.alive = False
        self.end()
        if self.feeder is not None:
            self.feeder.join()
        self.channel.close()


def _end_spawn(child: subprocess.Popen[bytes]) -> None:
    child.kill()
    child.wait()


def _end_fork(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):  # already collected by someone else
        os.waitpid(pid, 0)


_worker: _Worker | None = None
_busy = threading.Lock()
"""Held while a sweep uses the worker: a sweep in another thread meanwhile uses none."""


def _the_worker() -> _Worker | None:
    """The kept worker, forked now if there is none and a fork is safe; None if there is none
    to be had or another thread's sweep is using it. The caller releases `_busy`."""
    global _worker
    if not _busy.acquire(blocking=False):
        return None
    if _worker is not None and _worker.alive:
        return _worker
    if can_fork():
        try:
            _worker = _Worker.fork()
            return _worker
        except OSError:  # no process to be had
            pass
    _busy.release()
    return None


def worker_pid() -> int | None:
    """The kept worker's process id, if one is running (for measuring it)."""
    return _worker.pid if _worker is not None and _worker.alive else None


def stop_worker() -> None:
    """End the kept worker, if any: its memory is released, and the next sweep that wants a
    second process forks a new one."""
    with _busy:
        if _worker is not None:
            _worker.close()


def _forget_worker() -> None:
    """In a forked child: the parent's worker is not this process's."""
    global _worker, _busy
    _worker, _busy = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_worker)


def _spawned(
    function: Columns,
    work: Any,
    w1: Array,
    cut: int,
    rows: int,
    progress: Progress,
    seconds: float,
) -> tuple[Array, Array | None]:
    """`_shared` with a fresh interpreter, ended afterwards."""
    try:
        worker = _Worker.spawn()
    except OSError:  # no second process to be had
        return function(work, w1[:cut], progress), None
    try:
        return _shared(worker, function, work, w1, cut, rows, progress, seconds)
    finally:
        worker.close()


def _shared(
    worker: _Worker,
    function: Columns,
    work: Any,
    w1: Array,
    cut: int,
    rows: int,
    progress: Progress,
    seconds: float,
) -> tuple[Array, Array | None]:
    """The columns before `cut` here, and those from `cut` on by the worker: None if it failed
    or has not answered within `patience` of this part's end."""
    begun = time.monotonic()
    try:
        worker.ask((function, work, w1[cut:]), begun + patience(seconds))
        left = function(work, w1[:cut], progress)
        done = time.monotonic()
        return left, worker.answer((rows, len(w1) - cut), done + patience(seconds, done - begun))
    except BaseException:  # Ctrl-C or a failure here: the worker's state is unknown
        worker.close()
        raise
