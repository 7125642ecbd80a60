"""A worker process of the engine's worker service (`losscli.engine.workers`): what a sweep
hands it, and its side of the sweep.

A sweep's work travels to each worker once, pickled (protocol 5) with its arrays' bytes out
of band (`ship`). Where the system has anonymous shared memory (Linux's memfd), the arrays
and the sums live in one segment that every process maps (`Segment`, handed over the worker's
socket): a worker reads the arrays where they lie and writes its columns' sums in place, and
nothing is pickled per column. The segment has no name, so nothing outlives the processes
however they end, and no helper process keeps count of it (the standard library's
`shared_memory` needs its resource tracker, a fresh interpreter measured at 0.12 s to start).
Elsewhere the arrays travel inline and the sums come back pickled.

A worker dies with the process that started it (Linux: the kernel kills it, PR_SET_PDEATHSIG;
elsewhere a thread of its own that watches the parent), holds none of the command's files (its
standard streams are /dev/null, stdin is never read), ignores SIGINT (Ctrl-C at a terminal
reaches the whole process group: the parent decides and ends it) and runs none of the
parent's signal handlers: SIGTERM and SIGHUP end it.
"""

from __future__ import annotations

import contextlib
import functools
import mmap
import os
import pickle
import signal
import sys
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Callable
    from multiprocessing.connection import Connection

    from numpy.typing import NDArray

    Array = NDArray[np.float64]

PR_SET_PDEATHSIG = 1
"""prctl's option for the signal a process gets when its parent ends (Linux)."""

ALIGN = 64
"""Each array in a segment starts on a multiple of this many bytes (a cache line)."""


def can_share_memory() -> bool:
    """Whether sweeps put their arrays and sums in a segment the workers map (Linux's memfd)."""
    return hasattr(os, "memfd_create")


class Segment:
    """Memory this process and the workers map: an anonymous memfd of `size` bytes, made here
    or (given `fd`) received."""

    def __init__(self, size: int, fd: int | None = None) -> None:
        if fd is None:
            fd = os.memfd_create("losscli-sweep", os.MFD_CLOEXEC)
            try:
                os.ftruncate(fd, size)
            except OSError:
                os.close(fd)
                raise
        self.fd = fd
        self.map = mmap.mmap(fd, size)

    def close(self) -> None:
        """Close the descriptor and unmap, unless an array still views the map (a sweep's sums,
        say): the mapping then lasts until the array is freed."""
        with contextlib.suppress(BufferError):  # a view lives on: the mapping goes with it
            self.map.close()
        os.close(self.fd)


@dataclass(frozen=True)
class Shipment:
    """A sweep's work as it travels to each worker: the pickle of (work, w1), its arrays'
    bytes as (offset, length) spans of the segment or inline, and where the sums go (offset
    in the segment; None: sent back)."""

    token: int
    head: bytes
    spans: tuple[tuple[int, int], ...]
    inline: tuple[bytes, ...] | None
    size: int
    sums: int | None
    shape: tuple[int, int]


def ship(work: Any, w1: Array, rows: int, token: int) -> tuple[Shipment, Segment | None]:
    """The shipment of a sweep's `work` and its columns `w1`, with the segment it lies in
    (None where there is none to be had)."""
    buffers: list[pickle.PickleBuffer] = []
    head = pickle.dumps((work, w1), protocol=5, buffer_callback=buffers.append)
    raws = [buffer.raw() for buffer in buffers]
    shape = (rows, len(w1))
    spans, end = [], 0
    for raw in raws:
        spans.append((end, raw.nbytes))
        end += -(-raw.nbytes // ALIGN) * ALIGN
    size = end + rows * len(w1) * 8
    try:
        if not can_share_memory():
            raise OSError("no memfd")
        segment = Segment(max(size, 1))
    except OSError:  # none to be had (a limit, a sandbox): the arrays travel inline
        return Shipment(token, head, (), tuple(bytes(raw) for raw in raws), 0, None, shape), None
    for (start, length), raw in zip(spans, raws, strict=True):
        segment.map[start : start + length] = raw
    return Shipment(token, head, tuple(spans), None, size, end, shape), segment


def sums_in(segment: Segment, shipment: Shipment) -> Array:
    """The sweep's sums, (rows, columns), where they lie in the segment."""
    assert shipment.sums is not None
    count = shipment.shape[0] * shipment.shape[1]
    flat = np.frombuffer(segment.map, dtype=np.float64, count=count, offset=shipment.sums)
    return flat.reshape(shipment.shape)


class Received:
    """A sweep as a worker holds it: the work, its columns, and where its sums go (None: sent
    back), read-only where it lies in the segment."""

    def __init__(self, shipment: Shipment, connection: Connection) -> None:
        self.token, self.rows = shipment.token, shipment.shape[0]
        self.segment: Segment | None = None
        self.sums: Array | None = None
        if shipment.inline is not None:
            self.work, self.w1 = pickle.loads(shipment.head, buffers=shipment.inline)
            return
        from multiprocessing.reduction import recv_handle

        self.segment = Segment(max(shipment.size, 1), recv_handle(connection))
        view = memoryview(self.segment.map)
        buffers = [view[start : start + length].toreadonly() for start, length in shipment.spans]
        self.work, self.w1 = pickle.loads(shipment.head, buffers=buffers)
        del view, buffers
        self.sums = sums_in(self.segment, shipment)

    def release(self) -> None:
        self.work = self.w1 = self.sums = None
        if self.segment is not None:
            self.segment.close()


@functools.cache
def prctl() -> Callable[..., int]:
    """libc's prctl, looked up once (before a fork, the child then loads nothing); OSError
    where there is none."""
    import ctypes  # here, not at the top: 2 ms, paid only where a worker starts

    try:
        function: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except AttributeError as error:  # no prctl in the C library
        raise OSError("no prctl") from error
    return function


def die_with(parent: int) -> None:
    """End this process when its parent `parent` ends: the kernel's signal on Linux, else a
    thread that watches the parent. OSError if the parent is not `parent` (it ended before)."""
    if sys.platform == "linux":
        if prctl()(PR_SET_PDEATHSIG, int(signal.SIGKILL)) != 0:
            raise OSError("no parent-death signal")
    else:
        import multiprocessing
        from multiprocessing.connection import wait

        watched = multiprocessing.parent_process()
        if watched is None:
            raise OSError("no parent to watch")

        def watch() -> None:
            wait([watched.sentinel])
            os._exit(1)

        threading.Thread(target=watch, daemon=True).start()
    if os.getppid() != parent:
        raise OSError("not the expected parent")


def _quiet(keep: int) -> None:
    """Standard streams on /dev/null, none of the parent's files held (where forked) and none
    of its signal handlers: SIGINT ignored, SIGTERM and SIGHUP end this process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for number in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if number is not None and callable(signal.getsignal(number)):
            signal.signal(number, signal.SIG_DFL)
    quiet = os.open(os.devnull, os.O_RDWR)
    for stream in (0, 1, 2):
        os.dup2(quiet, stream)
    if sys.platform == "linux":  # a fork holds the parent's descriptors: files, sockets
        os.closerange(3, keep)
        os.closerange(keep + 1, os.sysconf("SC_OPEN_MAX"))
    elif quiet > 2:
        os.close(quiet)


def serve(connection: Connection, parent: int) -> None:
    """A worker's life (its process's target): says it is ready, then answers each message
    until the connection closes or a sweep fails here.

    Messages: ("sweep", Shipment) hands it a sweep's work (on Linux its segment follows);
    ("columns", function, start, stop) asks for the sums of columns start to stop, answered
    ("done", start, stop, sums or None where they went to the segment) or ("failed",), after
    which it ends; ("end",) lets it drop the sweep's memory."""
    _quiet(connection.fileno())
    try:
        die_with(parent)
    except OSError:  # the parent has gone, or this one could outlive it: leave
        return
    connection.send(("ready",))
    held: Received | None = None
    while True:
        try:
            message = connection.recv()
        except EOFError:
            return
        if held is not None and message[0] != "columns":
            held.release()
            held = None
        if message[0] == "sweep":
            held = Received(message[1], connection)
        elif message[0] == "columns":
            _, function, start, stop = message
            try:
                if held is None:
                    raise LookupError("columns asked for before their sweep")
                with np.errstate(all="ignore"):  # as in the parent: overflow is an honest inf
                    sums = function(held.work, held.w1[start:stop], None)
                if np.shape(sums) != (held.rows, stop - start):
                    raise ValueError("sums of another shape than the columns asked for")
                if held.sums is not None:
                    held.sums[:, start:stop] = sums
                    sums = None
            except Exception:  # a failed sweep: say so, and leave
                connection.send(("failed",))
                return
            connection.send(("done", start, stop, sums))
