"""The worker service with real processes: the workers do their part and are kept, die with
their parent, are not waited for once stopped, run none of their parent's signal handlers, and
no failure of theirs (an exception, SIGKILL, SIGSTOP) reaches the result; started by fork or
by spawn, with the work in shared memory or inline, the sums are the same bit for bit.

A sweep that must outlive a signal runs in `run.py`, a script in the test's folder, with one
worker, which writes `busy` there once at work, then sweeps over and over until `go` appears
(a long sweep); the script's own part waits for `go` too, once the worker is at work. The worker is followed by a pidfd:
a pid reused meanwhile is never signalled.
"""

from __future__ import annotations

import multiprocessing
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from losscli.catalogue import regression
from losscli.data.synthetic import synthetic_regression
from losscli.engine import Axis, piecewise, worker, workers

PROBE = '''
import multiprocessing, os, pathlib, time
from losscli.engine import piecewise

HERE = pathlib.Path(__file__).parent


def columns(work, w1, progress):
    """The sweep's columns; in the worker, after its pid in `busy`, sweeps until `go`; here,
    slowly (a fifth of a second a chunk) until the worker is at work, then after `go`."""
    end = time.monotonic() + 60
    if multiprocessing.parent_process() is not None:
        (HERE / "busy.tmp").write_text(str(os.getpid()))
        os.replace(HERE / "busy.tmp", HERE / "busy")
        while not (HERE / "go").exists() and time.monotonic() < end:
            piecewise.sweep_columns(work, w1)
    elif not (HERE / "busy").exists():
        time.sleep(0.2)  # a fresh interpreter takes a few tenths of a second to start
    while (HERE / "busy").exists() and not (HERE / "go").exists() and time.monotonic() < end:
        time.sleep(0.01)
    return piecewise.sweep_columns(work, w1, progress)
'''

RUN = '''
"""A sweep shared with one worker. Arguments: fork or spawn; how long to wait for the worker's
last columns once this process has none left (seconds); and "handlers" to install a clean-up
for SIGTERM and SIGHUP. Prints "same" if the sums are those of one process."""
import pathlib, resource, signal, sys

import numpy as np
import probe
from losscli.catalogue import regression
from losscli.data.synthetic import synthetic_regression
from losscli.engine import Axis, piecewise, workers

HERE = pathlib.Path(__file__).parent


def clean_up(number, frame):
    (HERE / "partial").unlink()
    sys.exit(1)


if __name__ == "__main__":  # a spawned worker imports this file too
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # SIGQUIT writes no core anywhere
    how, wait = sys.argv[1], float(sys.argv[2])
    if sys.argv[3:] == ["handlers"]:
        (HERE / "partial").touch()  # as a command's temporary file
        signal.signal(signal.SIGTERM, clean_up)
        signal.signal(signal.SIGHUP, clean_up)
    if how == "spawn":
        workers.can_fork = lambda: False
    workers.use(2)
    workers.PATIENCE, workers.PATIENCE_FACTOR = wait, 0.0
    data = synthetic_regression(n=2000)
    groups = piecewise.groups_for(regression.mae_shape(), data.x, data.y)
    w1, grid = Axis("w1", -2, 4, 41).values, Axis("w2", -2, 4, 41)
    plan = piecewise.prepare(groups, w1, grid)
    got = workers.by_columns(probe.columns, plan, w1, grid.steps, None, seconds=5.0)
    print("same" if np.array_equal(got, piecewise.sweep_columns(plan, w1)) else "different")
'''


class Sweep:
    """`run.py` running in `folder`, and its worker once at work."""

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

    def worker(self) -> int:
        """The worker's process id, once it is at work: a child of the script."""
        end = time.monotonic() + 60
        while not (self.folder / "busy").exists():
            assert self.process.poll() is None, self.process.communicate(timeout=30)
            assert time.monotonic() < end, "the worker never began"
            time.sleep(0.01)
        pid = int((self.folder / "busy").read_text())
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        assert str(pid) in children.read_text().split()
        self.pidfd = os.pidfd_open(pid)
        return pid

    def worker_ends(self, timeout: float) -> bool:
        """Whether the worker ends within `timeout` seconds (a zombie has ended)."""
        return bool(select.select([self.pidfd], [], [], timeout)[0])

    def close(self) -> None:
        if self.pidfd >= 0:
            if not self.worker_ends(0):
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
            os.close(self.pidfd)
        if self.process.poll() is None:
            self.process.kill()
        self.process.communicate(timeout=30)


def state(pid: int) -> str:
    """A process's state letter (R, S, T for stopped, ...)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rindex(")") + 2]


@pytest.fixture(autouse=True)
def every_core():
    """Each test sets its own count of processes; the next starts from one a core."""
    yield
    workers.use(None)


def in_a_worker() -> bool:
    return multiprocessing.parent_process() is not None


def tags_its_process(work: int, w1: np.ndarray, progress: object) -> np.ndarray:
    """Columns that say which process swept them: `work` rows of its pid."""
    time.sleep(0.002 * len(w1))  # long enough for every worker to take some
    return np.full((work, len(w1)), float(os.getpid()))


def sweep_of(count: int):
    """A piecewise sweep: its plan, columns and one process's sums; `count` processes."""
    workers.use(count)
    data = synthetic_regression(n=3000, outliers=0.1)
    groups = piecewise.groups_for(regression.huber_shape(delta=0.4), data.x, data.y)
    w1, grid = Axis("w1", -2, 4, 61).values, Axis("w2", -2, 4, 37)
    plan = piecewise.prepare(groups, w1, grid)
    return plan, w1, grid.steps, piecewise.sweep_columns(plan, w1)


def shared(function, plan, w1, rows) -> np.ndarray:
    return workers.by_columns(function, plan, w1, rows, None, seconds=5.0)


@pytest.mark.parametrize("count", [2, 3, 5])
def test_the_workers_do_their_part_and_are_kept(count):
    workers.use(count)
    got = workers.by_columns(tags_its_process, 2, np.zeros(120), 2, None, seconds=5.0)
    kept = workers.worker_pids()
    assert len(kept) >= count - 1
    assert set(np.unique(got)) <= {float(os.getpid()), *map(float, kept)}
    assert float(os.getpid()) in got and len(np.unique(got)) > 1  # shared
    workers.by_columns(tags_its_process, 2, np.zeros(120), 2, None, seconds=5.0)
    assert workers.worker_pids() == kept  # the same processes, not new ones


def test_chunks_are_cut_at_multiples_of_the_grain():
    workers.use(3)
    got = workers.by_columns(tags_its_process, 1, np.zeros(120), 1, None, seconds=5.0, grain=7)
    changes = np.flatnonzero(np.diff(got[0])) + 1  # where another process's chunk begins
    assert len(changes) > 0 and all(change % 7 == 0 for change in changes)


def test_one_process_starts_no_other():
    workers.stop_workers()
    workers.use(1)
    assert workers.processes(1000.0) == 1
    got = workers.by_columns(tags_its_process, 2, np.zeros(8), 2, None, seconds=1000.0)
    assert set(np.unique(got)) == {float(os.getpid())}
    assert workers.worker_pids() == []


@pytest.mark.parametrize("count", [1, 2, 3, 4, 7])
@pytest.mark.parametrize("how", ["fork", "spawn", "inline"])
def test_any_count_and_start_gives_the_same_sums_bit_for_bit(monkeypatch, count, how):
    plan, w1, rows, one = sweep_of(count)
    if how != "fork":
        workers.stop_workers()  # started afresh the way asked
        monkeypatch.setattr(workers, "can_fork", lambda: False)  # as on macOS and Windows
    if how == "inline":  # no shared memory: the arrays travel pickled, the sums come back
        monkeypatch.setattr(worker, "can_share_memory", lambda: False)
    assert np.array_equal(shared(piecewise.sweep_columns, plan, w1, rows), one)
    if how != "fork":
        workers.stop_workers()


def test_no_shared_memory_to_be_had_sends_the_work_inline(monkeypatch):
    plan, w1, rows, one = sweep_of(3)

    def refused(*args, **kwargs):
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(os, "memfd_create", refused)
    assert np.array_equal(shared(piecewise.sweep_columns, plan, w1, rows), one)
    assert len(workers.worker_pids()) == 2


def fails_in_the_worker(work, columns, progress):
    if in_a_worker():
        raise MemoryError("the worker's part")
    return piecewise.sweep_columns(work, columns, progress)


def killed_in_the_worker(work, columns, progress):
    if in_a_worker():
        os.kill(os.getpid(), signal.SIGKILL)
    return piecewise.sweep_columns(work, columns, progress)


def stops_in_the_worker(work, columns, progress):
    if in_a_worker():
        os.kill(os.getpid(), signal.SIGSTOP)
    return piecewise.sweep_columns(work, columns, progress)


def answers_short_in_the_worker(work, columns, progress):
    if in_a_worker():
        return np.zeros((1, 1))
    return piecewise.sweep_columns(work, columns, progress)


def fails_here_and_sleeps_in_the_worker(work, columns, progress):
    if not in_a_worker():
        raise MemoryError("this process's part")
    time.sleep(30)  # a worker would take long: it must be killed, not waited for
    return piecewise.sweep_columns(work, columns, progress)


@pytest.mark.parametrize(
    "columns",
    [fails_in_the_worker, killed_in_the_worker, stops_in_the_worker, answers_short_in_the_worker],
)
@pytest.mark.parametrize("inline", [False, True], ids=["shared", "inline"])
def test_a_failing_worker_is_silent_and_its_columns_are_done_here(
    monkeypatch, capfd, columns, inline
):
    if inline:  # its sums come back pickled, and are checked
        monkeypatch.setattr(worker, "can_share_memory", lambda: False)
    monkeypatch.setattr(workers, "PATIENCE", 1.0)
    monkeypatch.setattr(workers, "PATIENCE_FACTOR", 0.0)
    plan, w1, rows, one = sweep_of(3)
    shared(piecewise.sweep_columns, plan, w1, rows)
    before = workers.worker_pids()
    start = time.monotonic()
    assert np.array_equal(shared(columns, plan, w1, rows), one)
    assert time.monotonic() - start < 10  # a stopped worker waited for a second, not more
    assert capfd.readouterr().err == ""
    for pid in set(before) - set(workers.worker_pids()):  # those that failed are gone
        with pytest.raises(ProcessLookupError):  # and collected: no zombie left
            os.kill(pid, 0)
    assert len(workers.worker_pids()) < len(before)
    assert np.array_equal(shared(piecewise.sweep_columns, plan, w1, rows), one)
    assert len(workers.worker_pids()) == 2  # new ones, started for the next sweep


def test_a_failure_here_ends_the_workers():
    plan, w1, rows, _ = sweep_of(3)
    shared(piecewise.sweep_columns, plan, w1, rows)
    before = workers.worker_pids()
    start = time.monotonic()
    with pytest.raises(MemoryError, match="this process's part"):
        shared(fails_here_and_sleeps_in_the_worker, plan, w1, rows)
    assert time.monotonic() - start < 10
    assert workers.worker_pids() == []
    for pid in before:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_a_worker_holds_nothing_open_but_its_connection(tmp_path):
    workers.stop_workers()
    held = (tmp_path / "held.txt").open("w")  # open in this process when the workers fork
    plan, w1, rows, _ = sweep_of(2)
    shared(piecewise.sweep_columns, plan, w1, rows)
    held.close()
    [pid] = workers.worker_pids()
    end = time.monotonic() + 10
    while True:  # the sweep's memory is released once the worker reads that the sweep ended
        descriptors = {
            int(fd): os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")
        }
        if len(descriptors) <= 4 or time.monotonic() > end:
            break
        time.sleep(0.01)
    assert [descriptors[fd] for fd in (0, 1, 2)] == ["/dev/null"] * 3
    [connection] = [target for fd, target in descriptors.items() if fd > 2]
    assert connection.startswith("socket:")


def test_stopping_the_workers_ends_their_processes():
    plan, w1, rows, _ = sweep_of(3)
    shared(piecewise.sweep_columns, plan, w1, rows)
    pids = workers.worker_pids()
    assert len(pids) == 2
    workers.stop_workers()
    assert workers.worker_pids() == []
    for pid in pids:
        with pytest.raises(ProcessLookupError):  # gone, and collected: no zombie left
            os.kill(pid, 0)


def test_a_program_collects_its_workers_when_it_exits():
    script = (
        "from losscli import engine; from losscli.engine import workers; "
        "from losscli.data.synthetic import synthetic_regression; "
        "from losscli.catalogue import get_loss; axis = engine.Axis('w', -2, 4, 201); "
        "engine.use_workers(3); "
        "engine.sweep(get_loss('mae'), {}, synthetic_regression(n=100000), axis, axis); "
        "print(*workers.worker_pids())"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr
    pids = [int(pid) for pid in result.stdout.split()]
    assert len(pids) == 2  # workers were started ...
    for pid in pids:
        assert not os.path.exists(f"/proc/{pid}")  # ... and collected, not left zombies


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
def test_a_worker_dies_with_its_parent(tmp_path, how, number):
    sweep = Sweep(tmp_path, how, 600)
    try:
        sweep.worker()
        sweep.process.send_signal(number)
        assert sweep.worker_ends(10)  # not the minute its sweep would take
        assert sweep.process.wait(timeout=30) == -number
    finally:
        sweep.close()


@pytest.mark.parametrize("how", ["fork", "spawn"])
def test_a_stopped_worker_is_not_waited_for(tmp_path, how):
    sweep = Sweep(tmp_path, how, 1)
    try:
        pid = sweep.worker()
        signal.pidfd_send_signal(sweep.pidfd, signal.SIGSTOP)
        end = time.monotonic() + 30
        while state(pid) != "T":
            assert time.monotonic() < end, "never stopped"
            time.sleep(0.01)
        (tmp_path / "go").touch()  # a running worker would now answer at once
        stdout, stderr = sweep.process.communicate(timeout=30)
        assert (stdout, stderr) == (b"same\n", b"")  # this process did the worker's part
        assert sweep.worker_ends(0)  # ended, not left stopped
    finally:
        sweep.close()


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP], ids=["TERM", "HUP"])
def test_a_worker_runs_none_of_its_parents_signal_handlers(tmp_path, number):
    sweep = Sweep(tmp_path, "fork", 600, "handlers")
    try:
        sweep.worker()
        signal.pidfd_send_signal(sweep.pidfd, number)
        assert sweep.worker_ends(10)
        assert (tmp_path / "partial").exists()  # the parent's clean-up did not run in it
        (tmp_path / "go").touch()
        stdout, stderr = sweep.process.communicate(timeout=60)
        assert (stdout, stderr) == (b"same\n", b"")
    finally:
        sweep.close()


def test_a_worker_ignores_ctrl_c_the_parent_decides(tmp_path):
    sweep = Sweep(tmp_path, "fork", 600)
    try:
        sweep.worker()
        signal.pidfd_send_signal(sweep.pidfd, signal.SIGINT)  # as a terminal sends the group
        assert not sweep.worker_ends(0.5)
        (tmp_path / "go").touch()
        stdout, stderr = sweep.process.communicate(timeout=60)
        assert (stdout, stderr) == (b"same\n", b"")
    finally:
        sweep.close()
