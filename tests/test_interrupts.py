"""Ctrl-C and closed pipes, with real processes: quiet ends, Unix exit statuses, no half files.

Ctrl-C is SIGINT sent to a losscli process once it is visibly busy (its progress bar or its
animation on a pseudo-terminal), as a terminal sends it. A closed pipe is a pipe whose reading
end is closed before losscli writes, so the first write fails every time, whatever the size
of the output (a pipe read by `head` races with the writer on small outputs).
"""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

LOSSCLI = [sys.executable, "-m", "losscli"]
LONG_SWEEP = [
    "surface",
    "--loss",
    "logistic",
    "--method",
    "direct",
    "--n",
    "200000",
    "--steps",
    "101",
]
"""A direct sweep of about a minute: long enough to be interrupted, under --max-seconds."""


class Terminal:
    """losscli with stderr (and stdout, if asked) on a pseudo-terminal, drained by a thread."""

    def __init__(self, args: list[str], *, stdout_too: bool = False) -> None:
        master, slave = pty.openpty()
        self.master, self.seen, self.lock = master, b"", threading.Lock()
        self.process = subprocess.Popen(
            [*LOSSCLI, *args],
            stdin=subprocess.DEVNULL,
            stdout=slave if stdout_too else subprocess.PIPE,
            stderr=slave,
            env={**os.environ, "COLUMNS": "100", "TERM": "xterm-256color"},
        )
        os.close(slave)
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # the terminal's other end has closed
                return
            if not chunk:
                return
            with self.lock:
                self.seen += chunk

    def wait_for(self, text: bytes, timeout: float = 30.0) -> None:
        end = time.monotonic() + timeout
        while text not in self.seen:
            assert self.process.poll() is None, f"ended before showing {text!r}: {self.seen!r}"
            assert time.monotonic() < end, f"never showed {text!r}"
            time.sleep(0.02)

    def interrupt(self) -> tuple[int, bytes, bytes]:
        """Ctrl-C; the exit status, stdout, and what the terminal got after the interrupt."""
        before = len(self.seen)
        self.process.send_signal(signal.SIGINT)
        stdout = self.process.communicate(timeout=30)[0] or b""
        time.sleep(0.1)  # the drain thread reads the last bytes
        os.close(self.master)
        return self.process.returncode, stdout, self.seen[before:]


SHOW_CURSOR = b"\x1b[?25h"


def test_ctrl_c_during_a_long_sweep_restores_the_terminal_and_writes_nothing(tmp_path: Path):
    kept, fresh = tmp_path / "kept.json", tmp_path / "fresh.json"
    kept.write_text("the previous result\n")
    for target in (kept, fresh):
        terminal = Terminal([*LONG_SWEEP, "--format", "json", "-o", str(target)])
        terminal.wait_for(b"%")  # the progress bar is up
        status, stdout, after = terminal.interrupt()
        assert status == 130
        assert stdout == b""
        assert SHOW_CURSOR in after and after.rstrip().endswith(b"interrupted")
        assert b"Traceback" not in terminal.seen
    assert kept.read_text() == "the previous result\n"
    assert not fresh.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.json"]  # no temporary left


SHARED_SWEEP = ["surface", "--loss", "mae", "--n", "1000000", "--steps", "1001", "--workers", "3"]
"""A piecewise sweep of a few seconds, shared with two workers."""


def test_ctrl_c_during_a_shared_sweep_ends_every_worker_and_writes_nothing(tmp_path: Path):
    target = tmp_path / "surface.json"
    terminal = Terminal([*SHARED_SWEEP, "--format", "json", "-o", str(target)])
    terminal.wait_for(b"%")  # the progress bar is up: the workers are at work
    pid = terminal.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    assert len(children) == 2
    followed = [os.pidfd_open(int(child)) for child in children]
    try:
        status, stdout, after = terminal.interrupt()
        assert status == 130
        assert stdout == b""
        assert after.rstrip().endswith(b"interrupted")
        assert b"Traceback" not in terminal.seen
        # every worker has ended (none left running, orphaned), and was collected by losscli
        assert select.select(followed, [], [], 0)[0] == followed
        assert all(not Path(f"/proc/{child}").exists() for child in children)
    finally:
        for descriptor in followed:
            os.close(descriptor)
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_during_the_animation_restores_the_terminal_and_saves_no_picture(tmp_path: Path):
    svg, html = tmp_path / "walk.svg", tmp_path / "walk.html"
    args = ["--save-svg", str(svg), "--save-html", str(html)]
    terminal = Terminal(["descend", "--animate", "--fps", "5", *args], stdout_too=True)
    terminal.wait_for(b"step 1 of")
    status, _, after = terminal.interrupt()
    assert status == 130
    assert SHOW_CURSOR in after and after.rstrip().endswith(b"interrupted")
    assert b"Traceback" not in terminal.seen
    assert list(tmp_path.iterdir()) == []


def run_into_closed_pipe(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    reading, writing = os.pipe()
    os.close(reading)
    try:
        return subprocess.run(
            [*LOSSCLI, *args], input=stdin, stdout=writing, stderr=subprocess.PIPE, timeout=60
        )
    finally:
        os.close(writing)


@pytest.fixture(scope="module")
def grid_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("grid") / "surface.json"
    path.write_text(json.dumps({"w1": [0, 1], "w2": [0, 1], "values": [[1, 2], [3, 4]]}))
    return str(path)


@pytest.mark.parametrize(
    "args",
    [
        ["surface", "--format", "json"],
        ["surface", "--color", "always"],
        ["surface", "-l", "mae", "--n", "100000", "--steps", "201", "--workers", "2"],  # shared
        ["data", "--n", "100"],
        ["descend", "--format", "json"],
        ["losses"],
        ["losses", "mse"],
        ["eval", "--w1", "1", "--w2", "0"],
        ["completion", "bash"],
        ["--help"],
        ["render", "GRID", "--color", "always"],
    ],
    ids=lambda args: " ".join(args),
)
def test_a_closed_pipe_ends_losscli_quietly_as_sigpipe(args: list[str], grid_file: str):
    """As `yes | head -1` ends `yes`: killed by SIGPIPE (the shell shows 141), nothing said."""
    result = run_into_closed_pipe(*[grid_file if a == "GRID" else a for a in args])
    assert result.returncode == -signal.SIGPIPE
    assert result.stderr == b""


def test_head_of_a_large_output_ends_quietly_with_status_141():
    """The issue's pipeline `losscli data --n 1000000 | head -1` through a shell (with 100000
    points, 5 MB, far more than a pipe holds, so `head` has gone before losscli is done)."""
    script = f"{sys.executable} -m losscli data --n 100000 | head -1; echo ${{PIPESTATUS[0]}}"
    result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60)
    assert result.stdout == "x,y\n141\n"
    assert result.stderr == ""
