"""What travels between the two processes of a sweep (`losscli.engine.workers`), and the
second process's side of it.

A request is the number of parts and their lengths (8 bytes each), a pickled (function, work,
w1), and its arrays' bytes; an answer is a status byte, 8 bytes of length and the sums' float64
bytes. The second process dies with the first (the kernel kills it when its parent ends:
PR_SET_PDEATHSIG, Linux), and a fresh interpreter (`serve`) takes requests only from the
process that started it, over an inherited socket whose other end it checks (SO_PEERCRED).
"""

from __future__ import annotations

import os
import pickle
import signal
import socket
import struct
import sys
import time
from collections.abc import Callable

import numpy as np

PR_SET_PDEATHSIG = 1
"""prctl's option for the signal a process gets when its parent ends (Linux)."""


def request(message: object) -> list[bytes | memoryview]:
    """The parts of a request, in order: its head, `message` pickled, then its arrays' bytes
    (pickle protocol 5's out-of-band buffers, neither copied here nor there)."""
    arrays: list[pickle.PickleBuffer] = []
    pickled = pickle.dumps(message, protocol=5, buffer_callback=arrays.append)
    raws = [array.raw() for array in arrays]
    sizes = [len(pickled), *(raw.nbytes for raw in raws)]
    head = len(sizes).to_bytes(8, "little") + b"".join(n.to_bytes(8, "little") for n in sizes)
    return [head + pickled, *raws]


def send(channel: socket.socket, data: bytes | memoryview, by: float | None = None) -> None:
    """Send all of `data`, by the time `by` (time.monotonic()) if given, else TimeoutError (an
    OSError); a closed peer raises, never SIGPIPE."""
    if by is not None:
        channel.settimeout(max(0.0, by - time.monotonic()))
    channel.sendall(data, socket.MSG_NOSIGNAL)


def receive(channel: socket.socket, view: memoryview, by: float | None = None) -> bool:
    """Fill `view` from the channel, by the time `by` if given (else TimeoutError); False if
    it closes first."""
    while view:
        if by is not None:
            channel.settimeout(max(0.0, by - time.monotonic()))
        got = channel.recv_into(view)
        if not got:
            return False
        view = view[got:]
    return True


def prctl() -> Callable[..., int]:
    """libc's prctl, looked up before a fork (the child then loads nothing); OSError where
    there is none."""
    import ctypes  # here, not at the top: 2 ms, paid only where a second process starts

    try:
        function: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except AttributeError as error:  # no prctl in the C library
        raise OSError("no prctl") from error
    return function


def die_with(parent: int, call: Callable[..., int]) -> None:
    """Have the kernel kill this process when its parent ends, through `call` (`prctl()`);
    OSError if it cannot, or if the parent is not `parent` (it ended before, say)."""
    if call(PR_SET_PDEATHSIG, int(signal.SIGKILL)) != 0:
        raise OSError("no parent-death signal")
    if parent <= 0 or os.getppid() != parent:
        raise OSError("not the expected parent")


def serve_requests(channel: socket.socket) -> int:
    """The second process's loop; returns its exit status (0 once the requests end)."""
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        if callable(signal.getsignal(number)):  # the parent's handlers (its clean-up, say) are
            signal.signal(number, signal.SIG_DFL)  # not this process's: these end it quietly
    quiet = os.open(os.devnull, os.O_RDWR)
    for stream in (0, 1, 2):  # never hold the user's terminal or pipes open
        os.dup2(quiet, stream)
    keep = channel.fileno()  # nor anything else this process had open: files, sockets
    os.closerange(3, keep)
    os.closerange(keep + 1, os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else 4096)
    count = bytearray(8)
    while receive(channel, memoryview(count)):
        try:
            sizes = bytearray(8 * int.from_bytes(count, "little"))
            if not receive(channel, memoryview(sizes)):
                return 1
            parts = [
                bytearray(int.from_bytes(sizes[i : i + 8], "little"))
                for i in range(0, len(sizes), 8)
            ]
            if not all(receive(channel, memoryview(part)) for part in parts):
                return 1
            function, work, w1 = pickle.loads(parts[0], buffers=parts[1:])
            del parts  # the arrays hold their buffers; nothing else should
            with np.errstate(all="ignore"):  # as in the parent: overflow is an honest inf
                sums = np.ascontiguousarray(function(work, w1, None), dtype=np.float64)
            del work
        except Exception:  # a failed sweep: say so, and leave
            send(channel, b"\1")
            return 1
        send(channel, b"\0" + sums.nbytes.to_bytes(8, "little"))
        send(channel, sums.data.cast("B"))
    return 0


def serve() -> int:
    """A fresh interpreter's side: the requests on the socket whose descriptor number is its
    one argument, served until it closes (status 0), if its other end is the parent's.

    Started any other way (by hand, say), it reads nothing: one line on stderr, status 1.
    """
    try:
        [number] = sys.argv[1:]
        channel = socket.socket(fileno=int(number))  # OSError unless a socket
        peer = channel.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        die_with(struct.unpack("3i", peer)[0], prctl())  # (pid, uid, gid) of the other end
    except (OSError, ValueError):
        sys.stderr.write(
            "losscli.engine.wire: expected a channel from the losscli process that started "
            "this one\n"
        )
        return 1
    return serve_requests(channel)
