"""A progress bar on stderr for sweeps that take a while, and nothing for the quick ones.

The engine calls back with the fraction done; the bar appears only once a sweep is expected to
last longer than `SHOW_AFTER` seconds in all (extrapolated from the time so far), and only when
stderr is a terminal, so pipes, files and `--quiet` never see it. It is transient: the line
is erased when the sweeps finish.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from losscli.render.console import make_console

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

SHOW_AFTER = 1.0
"""Sweeps expected to take longer than this many seconds get a bar."""

LOOK_AFTER = 0.2
"""Seconds of a sweep before its total length is extrapolated (earlier guesses are noisy)."""

REDRAW_EVERY = 0.1
"""Seconds between redraws of the bar, which is redrawn by the reports themselves."""


class SweepProgress:
    """Hands out one progress callback per sweep; draws them in one Rich Progress if needed."""

    def __init__(self, console: Console, clock: Callable[[], float] = time.perf_counter) -> None:
        self.console = console
        self.clock = clock
        self.progress: Progress | None = None

    def track(self, title: str) -> Callable[[float], None]:
        """A callback for one sweep, labelled with the loss's title."""
        started = drawn = self.clock()
        task: TaskID | None = None

        def report(fraction: float) -> None:
            nonlocal task, drawn
            now = self.clock()
            if task is None:
                elapsed = now - started
                if elapsed < LOOK_AFTER or fraction <= 0.0 or elapsed / fraction < SHOW_AFTER:
                    return
                task = self._bar().add_task(title, total=1.0)
            assert self.progress is not None
            redraw = now - drawn >= REDRAW_EVERY or fraction >= 1.0
            self.progress.update(task, completed=fraction, refresh=redraw)
            if redraw:
                drawn = now

        return report

    def _bar(self) -> Progress:
        if self.progress is None:  # rich.progress imported only for a bar: most sweeps need none
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            self.progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.percentage:>3.0f}%"),
                TimeRemainingColumn(),
                console=self.console,
                transient=True,
                auto_refresh=False,  # redrawn at each report: no refresh thread, so the
            )  # engine may still fork its workers (see losscli.engine.workers.can_fork)
            self.progress.start()
        return self.progress

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


@contextmanager
def sweep_progress(
    *, quiet: bool, console: Console | None = None
) -> Iterator[Callable[[str], Callable[[float], None]] | None]:
    """`track(title)` callbacks drawing on stderr (or `console`), or None when quiet or not on
    a terminal."""
    console = console or make_console(stderr=True)
    if quiet or not console.is_terminal:
        yield None
        return
    progress = SweepProgress(console)
    try:
        yield progress.track
    finally:
        progress.close()
