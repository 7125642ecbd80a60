"""`-o PATH` as a Unix tool writes it: a regular file replaced whole, everything else written
through or refused, never renamed over; a bad path refused before any work.

Nothing here touches the machine's own /dev: the device node, FIFO, socket and links are made
under the test's temporary folder (a link to /proc/self/fd/1 stands for /dev/stdout, a node
made with mknod for /dev/null).
"""

from __future__ import annotations

import io
import json
import os
import pty
import signal
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

from losscli import output
from losscli.cli import cli

CLEAN_ENV = {"COLUMNS": None, "NO_COLOR": None, "FORCE_COLOR": None}
GRID = ["surface", "--loss", "mse", "--steps", "5", "--format", "json"]


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=CLEAN_ENV)


def last_line(result: Result) -> str:
    return result.output.splitlines()[-1]


def document() -> str:
    """What `-o` should receive: the JSON surface GRID prints on standard output."""
    printed = run(*GRID)
    assert printed.exit_code == 0
    return printed.stdout


def reading(path: Path) -> tuple[threading.Thread, list[bytes]]:
    """A thread that opens `path` for reading (a FIFO's writer waits for one) and reads it."""
    got: list[bytes] = []

    def read() -> None:
        with open(path, "rb") as stream:
            got.append(stream.read())

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread, got


def test_dash_is_standard_output_and_makes_no_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run(*GRID, "-o", "-")
    assert result.exit_code == 0
    assert result.stdout == document()
    assert list(tmp_path.iterdir()) == []


def test_binary_npz_goes_to_a_pipe_with_dash(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["surface", "-l", "mse", "--format", "npz", "-o", "-"])
    assert result.exit_code == 0
    arrays = np.load(io.BytesIO(result.stdout_bytes))
    assert arrays["values"].shape == (1, 21, 21) and list(tmp_path.iterdir()) == []


def test_a_link_to_a_descriptor_writes_that_stream_and_stays_a_link(tmp_path):
    stdout = tmp_path / "stdout"
    stdout.symlink_to("/proc/self/fd/1")  # what /dev/stdout is
    result = run(*GRID, "-o", str(stdout))
    assert result.exit_code == 0
    assert result.stdout == document()
    assert stdout.is_symlink() and os.readlink(stdout) == "/proc/self/fd/1"


def test_a_symlink_is_written_through_and_stays_a_link(tmp_path):
    target = tmp_path / "data" / "grid.json"
    target.parent.mkdir()
    target.write_text("old")
    target.chmod(0o640)
    link = tmp_path / "latest.json"
    link.symlink_to(target)
    assert run(*GRID, "-o", str(link)).exit_code == 0
    assert link.is_symlink() and target.read_text() == document()
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in target.parent.iterdir()) == ["grid.json"]


def test_a_dangling_symlink_creates_the_file_it_names(tmp_path):
    link = tmp_path / "latest.json"
    link.symlink_to(tmp_path / "made.json")
    assert run(*GRID, "-o", str(link)).exit_code == 0
    assert link.is_symlink() and (tmp_path / "made.json").read_text() == document()


def test_a_replaced_file_keeps_its_permissions_and_owner(tmp_path):
    target = tmp_path / "grid.json"
    target.write_text("old")
    target.chmod(0o604)
    owner = (12345, 23456) if os.geteuid() == 0 else (os.getuid(), os.getgid())
    os.chown(target, *owner)
    assert run(*GRID, "-o", str(target)).exit_code == 0
    status = target.stat()
    assert (stat.S_IMODE(status.st_mode), status.st_uid, status.st_gid) == (0o604, *owner)
    assert target.read_text() == document()


def test_a_hard_linked_file_is_refused_and_left_whole(tmp_path):
    target, other = tmp_path / "grid.json", tmp_path / "copy.json"
    target.write_text("old")
    os.link(target, other)
    result = run(*GRID, "-o", str(target))
    assert result.exit_code == 2 and result.stdout == ""
    assert last_line(result) == (
        f"Error: Invalid value for '-o' / '--output': {target}: has 2 hard links, which "
        "replacing it would split; write to another path"
    )
    assert target.read_text() == other.read_text() == "old"
    assert os.stat(target).st_ino == os.stat(other).st_ino


def test_a_fifo_is_written_not_replaced(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    thread, got = reading(fifo)
    result = run(*GRID, "-o", str(fifo))
    thread.join(timeout=30)
    assert result.exit_code == 0 and got == [document().encode()]
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["pipe"]


def make_device(folder: Path) -> tuple[Path, int | None]:
    """A character device of this test's own: a null device made with mknod where this
    process may (as root), else a pseudo-terminal (its reading end returned, to be closed)."""
    node = folder / "null"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        return node, None
    except PermissionError:
        master, slave = pty.openpty()
        name = os.ttyname(slave)
        os.close(slave)
        return Path(name), master


def test_a_character_device_is_written_not_replaced(tmp_path):
    device, master = make_device(tmp_path)
    try:
        result = run(*GRID, "-o", str(device))
        assert result.exit_code == 0 and result.stdout == ""
        assert stat.S_ISCHR(device.stat().st_mode)
    finally:
        if master is not None:
            os.close(master)
    assert [p.name for p in tmp_path.iterdir()] == (["null"] if master is None else [])


def test_a_socket_receives_the_output(tmp_path):
    path = tmp_path / "listener"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)
    got: list[bytes] = []

    def serve() -> None:
        connection, _ = server.accept()
        with connection:
            got.append(b"".join(iter(lambda: connection.recv(65536), b"")))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        assert run(*GRID, "-o", str(path)).exit_code == 0
        thread.join(timeout=30)
    finally:
        server.close()
    assert got == [document().encode()] and stat.S_ISSOCK(path.stat().st_mode)


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("missing/grid.json", "{path}: the folder {folder} does not exist"),
        ("grid.json/inside.json", "{path}: the folder {folder} is not a folder"),
    ],
)
def test_a_path_that_cannot_be_written_is_refused_before_any_work(tmp_path, where, message):
    (tmp_path / "grid.json").write_text("a file")
    path = tmp_path / where
    # a sweep refused for its size would say so first if the sweep came before the check
    result = run("surface", "--loss", "bce", "--steps", "1001", "--n", "1000000", "-o", str(path))
    assert result.exit_code == 2 and result.stdout == ""
    expected = message.format(path=path, folder=path.parent)
    assert last_line(result) == f"Error: Invalid value for '-o' / '--output': {expected}"


def test_a_directory_is_refused(tmp_path):
    result = run(*GRID, "-o", str(tmp_path))
    assert result.exit_code == 2
    assert "is a directory" in last_line(result)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_removes_its_temporary_file(tmp_path, monkeypatch):
    """Whatever interrupts the write (Ctrl-C, a signal turned into an exception, a full disk)
    between the temporary file and the rename, the temporary file goes and the old file stays."""
    target = tmp_path / "grid.json"
    target.write_text("old")

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(output.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        output.write_output(str(target), "new")
    assert [p.name for p in tmp_path.iterdir()] == ["grid.json"]
    assert target.read_text() == "old"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_or_sighup_during_a_sweep_ends_by_that_signal_leaving_nothing(tmp_path, signum):
    target = tmp_path / "grid.json"
    target.write_text("old")
    command = [sys.executable, "-m", "losscli", "surface", "--steps", "4000", "--loss", "mae"]
    command += ["--format", "json", "-o", str(target)]
    with subprocess.Popen(command, stderr=subprocess.PIPE) as process:
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
        deadline = 300
        while not children.read_text().split() and deadline:  # the sweep forked its worker
            deadline -= 1
            threading.Event().wait(0.1)
        assert deadline, "the sweep never started its worker"
        process.send_signal(signum)
        assert process.wait(timeout=60) == -signum
        assert process.stderr is not None and b"Traceback" not in process.stderr.read()
    assert [p.name for p in tmp_path.iterdir()] == ["grid.json"]
    assert target.read_text() == "old"


def test_the_rules_are_checked_without_writing(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert output.check_target(str(fifo), "output").kind == "stream"  # did not block
    assert output.check_target("-", "output") == output.Target("descriptor", "-", 1)
    missing = tmp_path / "new.json"
    assert output.check_target(str(missing), "output") == output.Target("replace", str(missing))
    assert list(tmp_path.iterdir()) == [fifo]  # the probe file is gone
    json.loads(run(*GRID).stdout)  # and the command still prints valid JSON
