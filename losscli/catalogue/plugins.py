"""Losses other installed packages register under the entry-point group `losscli.losses`.

The contract: an entry point `NAME = package.module:OBJECT` resolves to a `Loss` instance
whose name (lower case, not a built-in's) and aliases become `--loss` choices and whose
`Param`s become options. The module is imported whenever losscli starts, so it should import
numpy lazily (`losscli.lazy.lazy_import`) or inside its functions. A plugin that fails to
load is skipped and recorded; the rest of the catalogue works as before.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from losscli.catalogue.model import TASKS, Loss

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

GROUP = "losscli.losses"
"""The entry-point group other packages register their losses under."""


def entry_points() -> Iterable[EntryPoint]:
    """The installed entry points of GROUP (tests replace this to install a plugin).

    importlib.metadata costs about 25 ms of every start-up, so it is consulted only when some
    distribution's metadata on sys.path names the group at all.
    """
    if not may_have_plugins(sys.path):
        return ()
    from importlib.metadata import entry_points as installed

    return installed(group=GROUP)


def may_have_plugins(folders: Iterable[str]) -> bool:
    """Whether an entry_points.txt of a distribution in these folders mentions GROUP.

    A quick scan of the metadata folders importlib.metadata itself reads (`*.dist-info`,
    `*.egg-info`, editable installs included); a yes only means the full discovery runs.
    """
    marker = f"[{GROUP}]"
    for folder in folders:
        try:
            entries = list(os.scandir(folder or "."))
        except OSError:
            continue
        for entry in entries:
            if not entry.name.endswith((".dist-info", ".egg-info")):
                continue
            try:
                with open(os.path.join(entry.path, "entry_points.txt"), encoding="utf-8") as file:
                    if marker in file.read():
                        return True
            except (OSError, UnicodeDecodeError):
                continue
    return False


def discover(register: Callable[[Loss], None]) -> dict[str, str]:
    """Register every plugin loss found; returns those that failed, by name, with why."""
    problems = {}
    for entry in entry_points():
        try:
            loss = entry.load()
            if not isinstance(loss, Loss):
                raise TypeError(f"{entry.value} is a {type(loss).__name__}, not a losscli Loss")
            if loss.task not in TASKS:
                raise ValueError(f"task {loss.task!r} is not one of {', '.join(TASKS)}")
            register(loss)
        except Exception as error:  # a broken third-party package must not break losscli
            problems[entry.name] = f"{type(error).__name__}: {error}"
    return problems
