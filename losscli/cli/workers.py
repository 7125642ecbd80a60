"""--workers N, else $LOSSCLI_WORKERS: how many processes a sweep may use."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

import click

from losscli.cli.errors import usage_error
from losscli.defaults import MAX_WORKERS, WORKERS_VARIABLE

F = TypeVar("F", bound=Callable[..., Any])


def workers_option(func: F) -> F:
    """--workers N, else $LOSSCLI_WORKERS: the processes a sweep may use, handed to the command
    as `workers` (None: one a core)."""
    return click.option(
        "--workers",
        metavar="N",
        callback=_workers,
        help=f"Processes a sweep may use, this one included (1: no other process). Default: "
        f"${WORKERS_VARIABLE}, else one a core this process may run on.",
    )(func)


def _workers(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    if value is not None:
        return _process_count("--workers", value)
    given = os.environ.get(WORKERS_VARIABLE, "")
    return _process_count(WORKERS_VARIABLE, given) if given.strip() else None


def _process_count(name: str, given: str) -> int:
    """A count of processes from 1 to MAX_WORKERS, else a usage error naming `name`."""
    text = given.strip()
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_WORKERS):
        raise usage_error(
            name, f"must be a whole number of processes from 1 to {MAX_WORKERS}, got {given!r}"
        )
    return int(text)
