"""The engine at the command line: --method, the JSON's "method", the progress bar's rules."""

from __future__ import annotations

import io
import json
import threading

from rich.console import Console

from losscli.render import progress as progress_module
from losscli.render.progress import SweepProgress, sweep_progress


def methods_of(output: str) -> list[str]:
    return [surface["method"] for surface in json.loads(output)["surfaces"]]


def test_json_records_the_method_that_ran(invoke):
    result = invoke(
        "surface", "-l", "mse", "-l", "huber", "-l", "hinge", "--steps", "201", "--n", "3000",
        "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0
    assert methods_of(result.output) == ["quadratic", "piecewise", "piecewise"]


def test_method_direct_gives_the_same_surface(invoke):
    args = ("surface", "-l", "huber", "--delta", "0.5", "--steps", "31", "--format", "json")
    fast = json.loads(invoke(*args, "--method", "piecewise").output)["surfaces"][0]
    slow = json.loads(invoke(*args, "--method", "direct").output)["surfaces"][0]
    assert (fast["method"], slow["method"]) == ("piecewise", "direct")
    for row_fast, row_slow in zip(fast["values"], slow["values"], strict=True):
        for a, b in zip(row_fast, row_slow, strict=True):
            assert abs(a - b) <= 1e-12 * abs(b)
    assert fast["minimum"]["row"] == slow["minimum"]["row"]


def test_a_method_the_loss_lacks_is_a_usage_error(invoke):
    result = invoke("surface", "--loss", "mae", "--method", "quadratic")
    assert result.exit_code == 2
    assert "Invalid value for '--method': quadratic does not apply to this loss" in result.stderr


def test_nothing_on_stderr_when_not_a_terminal(invoke):
    result = invoke(
        "surface", "--loss", "huber", "--n", "20000", "--steps", "101", "--format", "csv"
    )
    assert result.exit_code == 0 and result.stderr == ""
    assert invoke("surface", "-q", "--loss", "mae", "--format", "json").exit_code == 0


class Clock:
    """A clock the test moves by hand: the bar's rules are about time, the test is not."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def terminal() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=True, width=60), buffer


def test_bar_appears_only_for_sweeps_expected_to_take_over_a_second():
    console, buffer = terminal()
    clock = Clock()
    bars = SweepProgress(console, clock)
    quick = bars.track("MSE")
    clock.now = 0.3
    quick(0.5)  # 0.6 s expected in all: no bar
    quick(1.0)
    assert bars.progress is None
    slow = bars.track("Huber")
    clock.now = 0.6
    slow(0.2)  # 0.3 s so far for a fifth: 1.5 s expected
    assert bars.progress is not None
    slow(1.0)
    bars.close()
    assert "Huber" in buffer.getvalue() and "MSE" not in buffer.getvalue()


def test_the_bar_draws_without_a_thread_so_the_engine_may_fork():
    console, buffer = terminal()
    clock = Clock()
    bars = SweepProgress(console, clock)
    report = bars.track("Huber")
    clock.now = 0.5
    report(0.1)  # 5 s expected: a bar
    assert bars.progress is not None and threading.active_count() == 1
    drawn = buffer.getvalue()
    clock.now = 0.55
    report(0.2)  # sooner than REDRAW_EVERY: not drawn again
    assert buffer.getvalue() == drawn
    clock.now = 0.7
    report(0.3)
    assert buffer.getvalue() != drawn and " 30%" in buffer.getvalue()
    bars.close()


def test_no_guess_before_a_fifth_of_a_second():
    console, _ = terminal()
    clock = Clock()
    bars = SweepProgress(console, clock)
    report = bars.track("MAE")
    clock.now = progress_module.LOOK_AFTER / 2
    report(0.01)  # would extrapolate to 10 s, but too early to trust
    assert bars.progress is None


def test_quiet_and_non_terminals_get_no_tracker():
    with sweep_progress(quiet=True) as track:
        assert track is None
    with sweep_progress(quiet=False, console=Console(file=io.StringIO())) as track:
        assert track is None
    terminal = Console(file=io.StringIO(), force_terminal=True)
    with sweep_progress(quiet=False, console=terminal) as track:
        assert callable(track)
