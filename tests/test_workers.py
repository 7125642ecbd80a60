"""The second process of a long sweep, with real processes: it does its part, dies with its
parent, is not waited for once stopped, runs none of its parent's signal handlers, and takes
requests from its parent only.

A sweep runs in `run.py`, a script in the test's folder, and its second process (forked or a
fresh interpreter) writes `busy` there once at work, then sweeps over and over until `go`
appears (a long sweep); the script's own part waits for `go` too. The second process is found
as the script's one child in /proc, and followed by a pidfd: a pid reused meanwhile is never
signalled.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from losscli.engine import wire, workers

PROBE = '''
import os, pathlib, time
from losscli.engine import piecewise, workers

HERE = pathlib.Path(__file__).parent
WAIT = 600.0
"""How long the first process waits for the second once `go` is seen."""


def columns(work, w1, progress):
    """The sweep's columns; in the second process, after a line in `busy` and sweeps until `go`;
    in the first, after `go`."""
    end = time.monotonic() + 60
    if os.getpid() != int(os.environ["SWEEP_PARENT"]):
        (HERE / "busy.tmp").write_text(str(os.getpid()))
        os.replace(HERE / "busy.tmp", HERE / "busy")
        while not (HERE / "go").exists() and time.monotonic() < end:
            piecewise.sweep_columns(work, w1)
    while not (HERE / "go").exists() and time.monotonic() < end:
        time.sleep(0.01)
    workers.PATIENCE = WAIT  # the wait for the answer, not for a fresh interpreter to start
    return piecewise.sweep_columns(work, w1, progress)
'''

RUN = '''
"""A sweep shared with a second process. Arguments: fork or spawn; how long to wait for the
second's answer once `go` is seen (seconds); and "handlers" to install a clean-up for SIGTERM
and SIGHUP. Prints "same" if the sums are those of one process."""
import os, pathlib, resource, signal, sys

os.environ["SWEEP_PARENT"] = str(os.getpid())
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # SIGQUIT writes no core anywhere

import numpy as np
import probe
from losscli.catalogue import regression
from losscli.data.synthetic import synthetic_regression
from losscli.engine import Axis, piecewise, workers

HERE = pathlib.Path(__file__).parent


def clean_up(number, frame):
    (HERE / "partial").unlink()
    sys.exit(1)


how, wait = sys.argv[1], float(sys.argv[2])
if sys.argv[3:] == ["handlers"]:
    (HERE / "partial").touch()  # as a command's temporary file
    signal.signal(signal.SIGTERM, clean_up)
    signal.signal(signal.SIGHUP, clean_up)
workers.PATIENCE, workers.PATIENCE_FACTOR, probe.WAIT = 600.0, 0.0, wait
data = synthetic_regression(n=2000)
groups = piecewise.groups_for(regression.mae_shape(), data.x, data.y)
w1, grid = Axis("w1", -2, 4, 41).values, Axis("w2", -2, 4, 41)
plan = piecewise.prepare(groups, w1, grid)
got = workers.in_two(probe.columns, plan, w1, grid.steps, seconds=1.0, use_worker=how == "fork")
print("same" if np.array_equal(got, piecewise.sweep_columns(plan, w1)) else "different")
'''


class Sweep:
    """`run.py` running in `folder`, and its second process once at work."""

    def __init__(self, folder: Path, how: str, wait: float, *more: str) -> None:
        (folder / "probe.py").write_text(PROBE)
        (folder / "run.py").write_text(RUN)
        self.folder, self.pidfd = folder, -1
        self.process = subprocess.Popen(
            [sys.executable, str(folder / "run.py"), how, str(wait), *more],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=folder,
        )

    def second(self) -> int:
        """The second process's id, once it is at work: the script's one child."""
        end = time.monotonic() + 60
        while not (self.folder / "busy").exists():
            assert self.process.poll() is None, self.process.communicate(timeout=30)
            assert time.monotonic() < end, "the second process never began"
            time.sleep(0.01)
        pid = self.process.pid
        [child] = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        assert (self.folder / "busy").read_text() == child
        self.pidfd = os.pidfd_open(int(child))
        return int(child)

    def second_ends(self, timeout: float) -> bool:
        """Whether the second process ends within `timeout` seconds (a zombie has ended)."""
        return bool(select.select([self.pidfd], [], [], timeout)[0])

    def close(self) -> None:
        if self.pidfd >= 0:
            if not self.second_ends(0):
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
            os.close(self.pidfd)
        if self.process.poll() is None:
            self.process.kill()
        self.process.communicate(timeout=30)


def state(pid: int) -> str:
    """A process's state letter (R, S, T for stopped, ...)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rindex(")") + 2]


def tags_its_process(work: int, w1: np.ndarray, progress: object) -> np.ndarray:
    """Columns that say which process computed them: `work` rows of its pid."""
    return np.full((work, len(w1)), float(os.getpid()))


@pytest.mark.parametrize("fork", [True, False], ids=["forked", "fresh"])
def test_the_second_process_does_its_part(fork):
    got = workers.in_two(tags_its_process, 3, np.zeros(8), 3, seconds=10.0, use_worker=fork)
    here, there = got[0, 0], got[0, -1]
    assert here == os.getpid() and there != here
    assert set(np.unique(got)) == {here, there}
    if fork:
        assert there == workers.worker_pid()  # the kept worker
    else:
        assert not os.path.exists(f"/proc/{int(there)}")  # ended and collected


@pytest.mark.parametrize(
    ("how", "number"),
    [
        ("fork", signal.SIGKILL),
        ("fork", signal.SIGTERM),
        ("fork", signal.SIGHUP),
        ("fork", signal.SIGQUIT),
        ("spawn", signal.SIGKILL),
    ],
    ids=["fork-KILL", "fork-TERM", "fork-HUP", "fork-QUIT", "spawn-KILL"],
)
def test_the_second_process_dies_with_its_parent(tmp_path, how, number):
    sweep = Sweep(tmp_path, how, 600)
    try:
        sweep.second()
        sweep.process.send_signal(number)
        assert sweep.second_ends(10)  # not the minute its sweep would take
        assert sweep.process.wait(timeout=30) == -number
    finally:
        sweep.close()


@pytest.mark.parametrize("how", ["fork", "spawn"])
def test_a_stopped_second_process_is_not_waited_for(tmp_path, how):
    sweep = Sweep(tmp_path, how, 1)
    try:
        second = sweep.second()
        signal.pidfd_send_signal(sweep.pidfd, signal.SIGSTOP)
        end = time.monotonic() + 30
        while state(second) != "T":
            assert time.monotonic() < end, "never stopped"
            time.sleep(0.01)
        (tmp_path / "go").touch()  # a running second process would now answer at once
        stdout, stderr = sweep.process.communicate(timeout=30)
        assert (stdout, stderr) == (b"same\n", b"")  # the first did the second's part
        assert sweep.second_ends(0)  # ended, not left stopped
    finally:
        sweep.close()


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP], ids=["TERM", "HUP"])
def test_the_worker_runs_none_of_its_parents_signal_handlers(tmp_path, number):
    sweep = Sweep(tmp_path, "fork", 600, "handlers")
    try:
        sweep.second()
        signal.pidfd_send_signal(sweep.pidfd, number)
        assert sweep.second_ends(10)
        assert (tmp_path / "partial").exists()  # the parent's clean-up did not run in it
        (tmp_path / "go").touch()
        stdout, stderr = sweep.process.communicate(timeout=60)
        assert (stdout, stderr) == (b"same\n", b"")
    finally:
        sweep.close()


class Opens:
    """Unpickled, opens a file for writing, so creates it: what a crafted request could do."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (self.path, "w"))


RELAY = """
import socket, subprocess, sys
from losscli.engine import workers

if sys.argv[1:]:  # the socket this process was handed
    number = int(sys.argv[1])
else:  # a socket made here, the request from stdin sent on it
    ours, theirs = socket.socketpair()
    ours.sendall(sys.stdin.buffer.read())
    number = theirs.fileno()
command = [sys.executable, *workers.CHILD, str(number)]
child = subprocess.run(command, pass_fds=[number], capture_output=True, timeout=60)
sys.stderr.buffer.write(child.stderr)
sys.exit(child.returncode)
"""
"""Starts losscli's fresh interpreter, as losscli does, on a socket made here or elsewhere."""

REFUSAL = (
    b"losscli.engine.wire: expected a channel from the losscli process that started this one\n"
)


def test_the_fresh_interpreter_reads_its_parents_request(tmp_path):
    marker = tmp_path / "opened"
    crafted = b"".join(wire.request(Opens(marker)))
    relay = [sys.executable, "-c", RELAY]
    result = subprocess.run(relay, input=crafted, capture_output=True, timeout=120)
    assert marker.exists()  # read and unpickled: its parent is trusted, as it runs anything
    assert (result.returncode, result.stderr) == (1, b"")  # not a sweep: status 1, quietly


def test_the_fresh_interpreter_reads_no_request_from_another_process(tmp_path):
    marker = tmp_path / "opened"
    ours, theirs = socket.socketpair()  # made here, handed down to the relay's child
    with ours, theirs:
        ours.sendall(b"".join(wire.request(Opens(marker))))
        relay = [sys.executable, "-c", RELAY, str(theirs.fileno())]
        result = subprocess.run(relay, pass_fds=[theirs.fileno()], capture_output=True, timeout=120)
    assert not marker.exists()
    assert (result.returncode, result.stderr) == (1, REFUSAL)


CRAFTED = "a pickle that opens a file"


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        ([], b""),
        ([], b"garbage\n"),
        ([], bytes(range(256))),
        ([], CRAFTED),
        (["0"], CRAFTED),  # stdin named as the channel: a pipe, not a socket
        (["99"], CRAFTED),  # no such descriptor
        (["x"], CRAFTED),
    ],
    ids=["empty", "garbage", "bytes", "crafted", "stdin-named", "no-descriptor", "not-a-number"],
)
def test_the_fresh_interpreter_run_by_hand_reads_nothing(tmp_path, args, stdin):
    marker = tmp_path / "opened"
    result = subprocess.run(
        [sys.executable, *workers.CHILD, *args],
        input=pickle.dumps(Opens(marker)) if stdin == CRAFTED else stdin,
        capture_output=True,
        timeout=60,
    )
    assert not marker.exists()
    assert (result.returncode, result.stdout, result.stderr) == (1, b"", REFUSAL)
