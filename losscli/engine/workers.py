"""Every core for a long sweep: its w1 columns spread over worker processes, a service any
sweep method whose columns are independent may use (`by_columns`).

Threads do not pay here: numpy holds the GIL between its calls, and handing the GIL back and
forth costs more than the calls it would overlap (two threads measured no faster than one on a
histogram sweep of 201 × 201 cells over 10⁴ points). Processes run truly in parallel.

A sweep uses as many processes as the cores this process may run on (its CPU affinity), or
as `use` says (`--workers`, `LOSSCLI_WORKERS`), where it is long enough to repay them
(`processes`); one means this process alone, and no other is started. This process is one of
them: it hands the workers their share of the columns and sweeps columns itself meanwhile, in
chunks that shrink as the columns run out (each a share of what is left), so every process
ends at about the same time however loaded its core. The workers are kept for the sweeps that
follow. Where a fork is safe (`can_fork`: Linux, and no other Python thread, so none can hold
a lock the child would wait on) they are forks of this process (a millisecond or two each);
elsewhere fresh interpreters (the spawn start method, ~0.3 s, paid only by sweeps of seconds,
this process sweeping meanwhile). What a worker does, and how the work reaches it, is
`losscli.engine.worker`'s.

No failure of a worker reaches the user: one that dies (SIGKILL) or fails has its columns
done here, and one that stops or falls far behind is waited for only so long (`patience`),
then ended and its columns done here. Every column's sums are the same bit for bit whichever
process sweeps it, so the result is too. Should this process fail or be interrupted (Ctrl-C)
mid-sweep, the workers are ended and collected before the error goes on: no orphan, no
zombie; they end with this process too (`losscli.engine.worker.die_with`).
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from losscli.defaults import MAX_WORKERS
from losscli.engine import worker
from losscli.errors import ParameterError

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

    from numpy.typing import NDArray

    Array = NDArray[np.float64]

    from losscli.engine.method import Progress

    Columns = Callable[[Any, Array, Progress], Array]
    """`function(work, w1, progress)`: the (rows, len(w1)) sums of a sweep's columns `w1`."""


SHARE_SECONDS = 0.01
"""Sweeps expected to take longer than this on one core are shared where workers are running
or may be forked; each process then gets at least half of it (`processes`)."""

SPAWN_SECONDS = 1.0
"""Where workers must be started as fresh interpreters, only sweeps expected to take longer
than this start them."""

FORK_START = 2e-3
"""Seconds to fork one worker and have it at work (measured: 1–2 ms)."""

SPAWN_START = 0.3
"""Seconds before fresh interpreters are at work (they import numpy and losscli)."""

SWEEP_START = 1e-3
"""Seconds a shared sweep spends handing its work to the workers and collecting them."""

PATIENCE = 10.0
"""Seconds, at least, that this process waits for the workers' last columns once it has none
left to sweep itself, before ending them and sweeping those columns itself: over a thousand
times what a healthy worker needs on the shortest chunk it is given, while a stopped one costs
the user no more."""

PATIENCE_FACTOR = 4.0
"""Beyond `PATIENCE`, the wait is this many times the sweep's one-core estimate, or the time
the sweep has taken so far if longer (on a loaded machine every process slows down alike)."""

IN_FLIGHT = 2
"""Chunks each worker holds at once: it starts the next while this process is busy."""

CHUNK_SECONDS = 1e-3
"""The least work in a chunk (on one core): a chunk costs about 0.1 ms to hand out and read
back, and chunks far larger than the sweep's k-th part would leave the processes unequal."""


def cores() -> int:
    """CPU cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


_count: list[int | None] = [None]
"""The processes a sweep may use, as `use` set it (None: every core)."""


def use(count: int | None) -> None:
    """Let sweeps use `count` processes, this one included (1: this one alone), or None: one a
    core. A ParameterError (field `workers`) unless 1 ≤ count ≤ MAX_WORKERS."""
    if count is not None and not 1 <= count <= MAX_WORKERS:
        raise ParameterError("workers", f"must be a whole number from 1 to {MAX_WORKERS}")
    _count[0] = count


def count() -> int:
    """The processes a sweep may use: `use`'s count, else one a core."""
    return _count[0] or cores()


def processes(seconds: float, columns: int | None = None) -> int:
    """How many processes share a sweep expected to take `seconds` on one core (of `columns`
    columns, if known): 1 where it is too short to repay them, or outside the main thread."""
    limit = min(count(), columns or MAX_WORKERS)
    if limit < 2 or seconds <= SHARE_SECONDS:
        return 1
    if threading.current_thread() is not threading.main_thread():
        return 1  # workers die with the thread that starts them: only the main one does
    running = len(_helpers)
    if not can_fork() and seconds <= SPAWN_SECONDS:
        limit = min(limit, running + 1)  # fresh interpreters would not pay: those running
    return max(1, min(limit, int(2 * seconds / SHARE_SECONDS)))


def expected_seconds(seconds: float, columns: int | None = None) -> float:
    """About how long a sweep of `seconds` on one core takes as `by_columns` runs it."""
    k = processes(seconds, columns)
    if k == 1:
        return seconds
    new = max(0, k - 1 - len(_helpers))
    start = SWEEP_START + (0.0 if new == 0 else FORK_START * new if can_fork() else SPAWN_START)
    return start + max(0.0, seconds - start) / k


def patience(seconds: float, elapsed: float = 0.0) -> float:
    """How long this process waits for the workers' last columns, for a sweep of `seconds` on
    one core that has taken `elapsed` so far: a healthy worker, given a chunk of a k-th of
    the columns at most, misses it only if it runs four times slower than the whole sweep."""
    return max(PATIENCE, PATIENCE_FACTOR * max(seconds, elapsed))


def can_fork() -> bool:
    """Whether a fork is safe and cheap: on Linux, with no other Python thread running (a
    progress bar's, say), which could hold a lock the child would wait on forever."""
    return sys.platform == "linux" and threading.active_count() == 1


def by_columns(
    function: Columns,
    work: Any,
    w1: Array,
    rows: int,
    progress: Progress,
    *,
    seconds: float,
    grain: int = 1,
) -> Array:
    """`function(work, w1, progress)`, the (rows, len(w1)) sums of a sweep's columns, shared
    with the workers where the sweep is long enough (`processes`).

    `function` must be picklable (a module-level function) and `work` too; each column's sums
    must not depend on which columns are swept with it, or only on which block of `grain`
    columns (counted from the first) it lies in: chunks are cut at multiples of `grain`.
    `seconds` is the sweep's expected length on one core."""
    k = processes(seconds, -(-len(w1) // grain))
    helpers = _helpers_for(k - 1) if k > 1 else []
    if not helpers:
        return function(work, w1, progress)
    shipment, segment = worker.ship(work, w1, rows, next(_tokens))
    try:
        sums = np.empty(shipment.shape) if segment is None else worker.sums_in(segment, shipment)
        chunks = _Chunks(len(w1), seconds, len(helpers) + 1, grain)
        _Sweep(function, work, w1, sums, progress, chunks, helpers, shipment, segment).run()
        return sums  # where it lies in the segment: mapped as long as the array lives
    except BaseException:  # Ctrl-C or a failure here: the workers' state is unknown
        stop_workers()
        raise
    finally:
        if segment is not None:
            segment.close()


class _Helper:
    """A worker as this process sees it: its process, its end of their connection, whether it
    may be handed chunks yet, the sweep it holds and the chunks it is sweeping."""

    def __init__(self, fork: bool) -> None:
        import multiprocessing

        context = multiprocessing.get_context("fork" if fork else "spawn")
        ours, theirs = context.Pipe()
        self.process: BaseProcess = context.Process(  # type: ignore[attr-defined]
            target=worker.serve, args=(theirs, os.getpid()), daemon=True, name="losscli worker"
        )
        try:
            self.process.start()
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self.connection: Connection = ours
        self.ready = fork  # a fork reads its first messages within a millisecond or two; a
        # fresh interpreter only after a few tenths of a second, its chunks swept here meanwhile
        self.token: int | None = None
        self.chunks: list[tuple[int, int]] = []

    def end(self) -> None:
        """Kill the process and collect it: no zombie left."""
        with contextlib.suppress(OSError, ValueError):  # gone already, or closed
            self.process.kill()
        self.process.join()
        self.connection.close()


_helpers: list[_Helper] = []
"""The workers kept for the sweeps that follow."""


_tokens = itertools.count(1)
"""Each shared sweep's number: a worker keeps the last sweep's work until another's comes."""


def _helpers_for(wanted: int) -> list[_Helper]:
    """The first `wanted` kept workers, started now where fewer are running (forked where a
    fork is safe, else fresh interpreters); fewer if no more processes are to be had."""
    for helper in [helper for helper in _helpers if not helper.process.is_alive()]:
        _helpers.remove(helper)
        helper.end()
    fork = can_fork()
    if fork and len(_helpers) < wanted:
        with contextlib.suppress(OSError):  # none: the worker then leaves, its columns done here
            worker.prctl()  # looked up here, once, so that no fork loads it
    while len(_helpers) < wanted:
        try:
            _helpers.append(_Helper(fork))
        except OSError:  # no process to be had
            break
    if _helpers and not _registered:
        atexit.register(stop_workers)  # collected when this process exits: no zombie left
        _registered.append(True)
    return _helpers[:wanted]


_registered: list[bool] = []


def worker_pids() -> list[int]:
    """The kept workers' process ids (for measuring them)."""
    return [helper.process.pid for helper in _helpers if helper.process.pid is not None]


def stop_workers() -> None:
    """End the kept workers, if any, and collect them: their memory is released, and the next
    sweep that wants workers starts new ones."""
    while _helpers:
        _helpers.pop().end()


def _forget_workers() -> None:
    """In a forked child (a worker, say): the parent's workers are not this process's."""
    _helpers.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_workers)


@contextlib.contextmanager
def _no_sigpipe() -> Iterator[None]:
    """Writing to a worker that has died raises an error here, never SIGPIPE (which ends this
    process where the command line restores its default, for its own output)."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGPIPE})
    try:
        yield
    finally:
        if signal.SIGPIPE not in before:
            while signal.SIGPIPE in signal.sigpending():
                signal.sigtimedwait({signal.SIGPIPE}, 0)
            signal.pthread_sigmask(signal.SIG_SETMASK, before)


class _Chunks:
    """A sweep's columns in chunks: each a share of those left (so that every process ends at
    about the same time), at least CHUNK_SECONDS' worth, cut at multiples of `grain`; first
    those a lost worker held."""

    def __init__(self, columns: int, seconds: float, processes: int, grain: int) -> None:
        self.columns, self.seconds, self.processes, self.grain = columns, seconds, processes, grain
        self.next = 0  # the first column not yet handed out
        self.returned: list[tuple[int, int]] = []
        self.least = max(1, math.ceil(columns * CHUNK_SECONDS / max(seconds, 1e-9)))

    def take(self) -> tuple[int, int] | None:
        if self.returned:
            return self.returned.pop()
        left = self.columns - self.next
        if left == 0:
            return None
        size = max(self.least, math.ceil(left / (2 * self.processes)))
        size = min(left, -(-size // self.grain) * self.grain)
        self.next += size
        return self.next - size, self.next


class _Sweep:
    """One shared sweep: chunks of columns handed out as the workers finish theirs, the rest
    swept here; see the module's docstring."""

    def __init__(
        self,
        function: Columns,
        work: Any,
        w1: Array,
        sums: Array,
        progress: Progress,
        chunks: _Chunks,
        helpers: list[_Helper],
        shipment: worker.Shipment,
        segment: worker.Segment | None,
    ) -> None:
        self.function, self.work, self.w1, self.sums = function, work, w1, sums
        self.progress, self.chunks = progress, chunks
        self.helpers, self.shipment, self.segment = helpers, shipment, segment
        self.done = 0  # columns whose sums are in

    def run(self) -> None:
        begun = time.monotonic()
        for helper in list(self.helpers):  # a worker found dead is dropped from the list
            self._feed(helper)
        deadline: float | None = None
        while True:
            self._collect(0.0)
            chunk = self.chunks.take()
            if chunk is not None:
                self._sweep_here(chunk)
                continue
            busy = [helper for helper in self.helpers if helper.chunks]
            if not busy:
                break
            now = time.monotonic()
            if deadline is None:
                deadline = now + patience(self.chunks.seconds, now - begun)
            if now >= deadline:  # stopped or far behind: ended, their columns done here
                for helper in busy:
                    self._lose(helper)
                deadline = None  # any still at work were fed those columns since: a new wait
                continue
            self._collect(deadline - now)
        with _no_sigpipe():
            for helper in list(self.helpers):
                if helper.token == self.shipment.token:
                    self._send(helper, ("end",))

    def _sweep_here(self, chunk: tuple[int, int]) -> None:
        start, stop = chunk
        report = None
        if self.progress is not None:
            report = self._part(stop - start)
        self.sums[:, start:stop] = self.function(self.work, self.w1[start:stop], report)
        self.done += stop - start
        if self.progress is not None:
            self.progress(self.done / len(self.w1))

    def _part(self, columns: int) -> Callable[[float], None]:
        """Progress for a chunk of `columns` swept here: the columns done, and its share."""
        progress, done, total = self.progress, self.done, len(self.w1)
        assert progress is not None
        return lambda fraction: progress((done + fraction * columns) / total)

    def _feed(self, helper: _Helper) -> None:
        """Give a ready worker the sweep, if it has not got it, and chunks up to IN_FLIGHT."""
        if not helper.ready or helper not in self.helpers:
            return
        with _no_sigpipe():
            if helper.token != self.shipment.token:
                if not self._send(helper, ("sweep", self.shipment)):
                    return
                if self.segment is not None and not self._hand(helper):
                    return
                helper.token = self.shipment.token
            while len(helper.chunks) < IN_FLIGHT and (chunk := self.chunks.take()) is not None:
                helper.chunks.append(chunk)
                if not self._send(helper, ("columns", self.function, *chunk)):
                    return

    def _send(self, helper: _Helper, message: tuple[Any, ...]) -> bool:
        try:
            helper.connection.send(message)
        except (OSError, ValueError):  # died, or already ended
            self._lose(helper)
            return False
        return True

    def _hand(self, helper: _Helper) -> bool:
        """Hand the worker the segment's descriptor."""
        from multiprocessing.reduction import send_handle

        assert self.segment is not None and helper.process.pid is not None
        try:
            send_handle(helper.connection, self.segment.fd, helper.process.pid)
        except OSError:
            self._lose(helper)
            return False
        return True

    def _collect(self, timeout: float) -> None:
        """Take the workers' answers that come within `timeout` seconds, feeding each again."""
        from multiprocessing.connection import wait

        waiting = {helper.connection: helper for helper in self.helpers}
        if not waiting:
            return
        for connection in wait(list(waiting), timeout):
            helper = waiting[connection]  # type: ignore[index]
            try:
                answer = helper.connection.recv()
            except (EOFError, OSError):  # it died
                self._lose(helper)
                continue
            if answer[0] == "ready":
                helper.ready = True
            elif answer[0] == "done" and self._fits(answer, helper):
                start, stop, sums = answer[1:]
                helper.chunks.remove((start, stop))
                if sums is not None:
                    self.sums[:, start:stop] = sums
                self.done += stop - start
                if self.progress is not None:
                    self.progress(self.done / len(self.w1))
            else:  # it failed, and ends
                self._lose(helper)
                continue
            self._feed(helper)

    def _fits(self, answer: tuple[Any, ...], helper: _Helper) -> bool:
        """Whether a worker's answer is a chunk it was asked for, with sums of its shape."""
        _, start, stop, sums = answer
        if (start, stop) not in helper.chunks:
            return False
        return sums is None or getattr(sums, "shape", None) == (len(self.sums), stop - start)

    def _lose(self, helper: _Helper) -> None:
        """End a worker that died, failed or fell behind; its chunks are done here."""
        self.chunks.returned.extend(helper.chunks)
        helper.chunks = []
        if helper in self.helpers:
            self.helpers.remove(helper)
        if helper in _helpers:
            _helpers.remove(helper)
        helper.end()
