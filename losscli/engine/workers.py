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
sweep of 10 ms; a kept worker pays that once. It ends when this process does (it is
collected at exit, and its socket closes even if this process is killed) and holds nothing
this process had open.

Elsewhere the second process is a fresh interpreter (`CHILD`, which runs `serve`) that reads
its part of the work from stdin and writes its sums to stdout, both pickled: a few tenths of a
second to start, worth it only for sweeps of seconds. Either way, should the second process
fail, the first does its part too, and no failure of the second reaches the user.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pickle
import signal
import socket
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

    from losscli.engine.method import Progress

    Columns = Callable[[Any, Array, Progress], Array]
    """`function(work, w1, progress)`: the (rows, len(w1)) sums of a sweep's columns `w1`."""


CHILD = ("-c", "import sys; from losscli.engine.workers import serve; sys.exit(serve())")
"""How a fresh second interpreter is started: the arguments after the Python executable."""

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
    return "spawn" if seconds > SPAWN_SECONDS else "none"


def expected_seconds(seconds: float) -> float:
    """About how long a sweep of `seconds` on one core takes as `by_columns` runs it."""
    how = how_to_share(seconds)
    if how == "none":
        return seconds
    start = FORK_START if how == "fork" else SPAWN_START
    return (seconds + start) / 2


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
    length on one core, sets the split: the first process takes the larger share while a
    second is being started. Progress is the first's share, which ends when the sweep does.
    `use_worker=False` starts a fresh interpreter even where a forked worker could serve.
    """
    worker = _the_worker() if use_worker else None
    if worker is None and seconds < SPAWN_SECONDS:  # another thread's sweep has the worker,
        return function(work, w1, progress)  # and a fresh interpreter would not pay
    start = (FORK_START if worker.fresh else 0.0) if worker is not None else SPAWN_START
    share = 0.5 + start / (2.0 * seconds) if seconds > 0.0 else 0.5
    cut = min(len(w1) - 1, max(1, round(len(w1) * min(share, 0.9))))
    if worker is None:
        left, right = _spawned(function, work, w1, cut, rows, progress)
    else:
        try:
            left, right = _with_worker(worker, function, work, w1, cut, rows, progress)
        finally:
            _busy.release()
    if right is None:  # the second process failed: its part is done here too
        right = function(work, w1[cut:], None)
    return np.concatenate([left, right], axis=1)


def has_worker() -> bool:
    """Whether a sweep now would have a forked worker: one kept, or one that may be forked."""
    return (_worker is not None and _worker.alive) or can_fork()


class _Worker:
    """A forked process that sweeps columns on request, over a socket pair. In: the number of
    parts and their lengths (8 bytes each), a pickled (function, work, w1), and its arrays'
    bytes; out: a status byte, 8 bytes of length and the sums' float64 bytes.
    (A socket, not a pipe, so that writing to a worker that died raises an error even where
    SIGPIPE would end this process, as the CLI arranges for its output.)"""

    def __init__(self) -> None:
        self.channel, theirs = socket.socketpair()
        try:
            with warnings.catch_warnings():
                # Python ≥ 3.12 warns of any thread at a fork. The only other threads here are
                # OpenBLAS's, which stops them itself around a fork (pthread_atfork).
                warnings.simplefilter("ignore", DeprecationWarning)
                self.pid = os.fork()
        except OSError:
            self.channel.close()
            theirs.close()
            raise
        if self.pid == 0:  # the worker: serves until the channel closes, then leaves
            status = 1
            try:
                self.channel.close()
                status = _serve_requests(theirs)
            finally:
                os._exit(status)
        theirs.close()
        self.alive = True
        self.fresh = True  # its first request also pays for copying pages after the fork
        atexit.register(self.close)  # collected when this process exits: no zombie left

    def ask(self, function: Columns, work: Any, w1: Array) -> None:
        """Send a request: the pickle, then the raw bytes of its contiguous arrays (pickle
        protocol 5's out-of-band buffers), which are neither copied here nor there."""
        arrays: list[pickle.PickleBuffer] = []
        message = pickle.dumps((function, work, w1), protocol=5, buffer_callback=arrays.append)
        raws = [array.raw() for array in arrays]
        sizes = [len(message), *(raw.nbytes for raw in raws)]
        head = len(sizes).to_bytes(8, "little") + b"".join(n.to_bytes(8, "little") for n in sizes)
        _send(self.channel, head + message)
        for raw in raws:
            _send(self.channel, raw)

    def answer(self, shape: tuple[int, int]) -> Array | None:
        """The sums asked for, or None if the worker failed (it is then gone)."""
        head = bytearray(9)
        sums = np.empty(shape)
        try:
            ok = _receive(self.channel, memoryview(head)) and head[0] == 0
            ok = ok and int.from_bytes(head[1:], "little") == sums.nbytes
            ok = ok and _receive(self.channel, sums.data.cast("B"))
        except OSError:  # the connection reset: the worker died
            ok = False
        if ok:
            self.fresh = False
            return sums
        self.close()
        return None

    def close(self) -> None:
        if not self.alive:
            return
        self.alive = False
        self.channel.close()
        with contextlib.suppress(ProcessLookupError):  # already gone
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):  # already collected by someone else
            os.waitpid(self.pid, 0)


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
            _worker = _Worker()
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


def _with_worker(
    worker: _Worker,
    function: Columns,
    work: Any,
    w1: Array,
    cut: int,
    rows: int,
    progress: Progress,
) -> tuple[Array, Array | None]:
    """The columns before `cut` here, and those from `cut` on by the worker (None if it failed)."""
    try:
        try:
            worker.ask(function, work, w1[cut:])
        except OSError:  # the worker is gone
            worker.close()
        left = function(work, w1[:cut], progress)
        return left, worker.answer((rows, len(w1) - cut)) if worker.alive else None
    except BaseException:  # Ctrl-C or a failure here: the worker's state is unknown
        worker.close()
        raise


def _serve_requests(channel: socket.socket) -> int:
    """The worker's loop; returns its exit status (0 once the requests end)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C ends it without a word
    quiet = os.open(os.devnull, os.O_RDWR)
    for stream in (0, 1, 2):  # never hold the user's terminal or pipes open
        os.dup2(quiet, stream)
    keep = channel.fileno()  # nor anything else this process had open: files, sockets
    os.closerange(3, keep)
    os.closerange(keep + 1, os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else 4096)
    count = bytearray(8)
    while _receive(channel, memoryview(count)):
        try:
            sizes = bytearray(8 * int.from_bytes(count, "little"))
            if not _receive(channel, memoryview(sizes)):
                return 1
            parts = [
                bytearray(int.from_bytes(sizes[i : i + 8], "little"))
                for i in range(0, len(sizes), 8)
            ]
            if not all(_receive(channel, memoryview(part)) for part in parts):
                return 1
            function, work, w1 = pickle.loads(parts[0], buffers=parts[1:])
            del parts  # the arrays hold their buffers; nothing else should
            with np.errstate(all="ignore"):  # as in the parent: overflow is an honest inf
                sums = np.ascontiguousarray(function(work, w1, None), dtype=np.float64)
            del work
        except Exception:  # a failed sweep: say so, and leave
            _send(channel, b"\1")
            return 1
        _send(channel, b"\0" + sums.nbytes.to_bytes(8, "little"))
        _send(channel, sums.data.cast("B"))
    return 0


def _send(channel: socket.socket, data: bytes | memoryview) -> None:
    channel.sendall(data, socket.MSG_NOSIGNAL)  # a closed peer raises, never SIGPIPE


def _receive(channel: socket.socket, view: memoryview) -> bool:
    """Fill `view` from the channel; False if it closes first."""
    while view:
        got = channel.recv_into(view)
        if not got:
            return False
        view = view[got:]
    return True


def _spawned(
    function: Columns, work: Any, w1: Array, cut: int, rows: int, progress: Progress
) -> tuple[Array, Array | None]:
    """The columns before `cut` here, and those from `cut` on by a fresh interpreter fed on
    stdin (None if it failed)."""
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
    except OSError:  # no second process to be had
        return function(work, w1[:cut], progress), None
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
    right = _answer(answer, (rows, len(w1) - cut)) if child.returncode == 0 else None
    return left, right


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


def serve() -> int:
    """The fresh child's side: one part of a sweep from stdin, its sums to stdout; status 0.

    Anything else on stdin (`CHILD` run by hand, say) is one line on stderr and status 1.
    """
    try:
        function, work, w1 = pickle.load(sys.stdin.buffer)
        with np.errstate(all="ignore"):  # as in the parent: overflow is an honest inf
            sums = function(work, w1, None)
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group; the parent reports it
        return 130
    except Exception:  # garbage on stdin: unpickling, unpacking and calling it raise many kinds
        sys.stderr.write("losscli.engine.workers: expected a sweep from losscli on stdin\n")
        return 1
    sys.stdout.buffer.write(pickle.dumps(sums, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()
    return 0
