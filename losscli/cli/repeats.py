"""An option that takes one value, given twice, is refused rather than silently overwritten.

Click keeps the last value of a repeated single-value option, so `--delta 0.5 --delta 2`
would draw every Huber panel with delta = 2 and say nothing of the 0.5. Every losscli command
is a `OnceCommand`: before Click parses its arguments, the same parser reads them once more
and any such option met twice is a usage error naming its values (and, for a loss's
hyper-parameter, the per-panel form that gives each panel its own). Only the command line is
counted: values from defaults or environment variables never are. Options meant to repeat
(`--loss`, `--optimizer`), counting flags and plain on-flags (`-q -q` loses nothing) are let
through; eager options (`--help`) run first, as Click runs them.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Sequence
from typing import Any

import click

from losscli.catalogue import CATALOGUE, get_loss
from losscli.cli.loss_options import LossParamOption
from losscli.errors import ParameterError


class OnceCommand(click.Command):
    """A command that refuses a single-value option given more than once."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not ctx.resilient_parsing:  # completing a half-typed line refuses nothing
            refuse_repeats(self, ctx, args)
        return super().parse_args(ctx, args)


def refuse_repeats(command: click.Command, ctx: click.Context, args: Sequence[str]) -> None:
    """Raise a one-line usage error for the first single-value option the arguments give
    more than once, naming what was given."""
    _, _, order = command.make_parser(ctx).parse_args(args=list(args))
    if any(param.is_eager for param in order):
        return
    counts = Counter(id(param) for param in order)
    for param in dict.fromkeys(order):
        if counts[id(param)] > 1 and _single_valued(param):
            assert isinstance(param, click.Option) and param.name is not None
            raise click.UsageError(_message(param, _every_value(command, ctx, args, param)), ctx)


def _single_valued(param: click.Parameter) -> bool:
    """Whether a second value would overwrite the first."""
    if not isinstance(param, click.Option) or param.multiple or param.count:
        return False
    return not param.is_flag or bool(param.secondary_opts)


def _every_value(
    command: click.Command, ctx: click.Context, args: Sequence[str], param: click.Option
) -> dict[str, Any]:
    """The arguments parsed again with `param` made repeatable: its values as typed, in order,
    and the other options' values."""
    probe = copy.copy(param)
    probe.multiple = True
    params = [probe if p is param else p for p in command.get_params(ctx)]
    parsed, _, _ = click.Command(None, params=params).make_parser(ctx).parse_args(list(args))
    return parsed


def _message(param: click.Option, parsed: dict[str, Any]) -> str:
    name = next((opt for opt in param.opts if opt.startswith("--")), param.opts[0])
    shown = [" ".join(map(str, v)) if isinstance(v, tuple) else str(v) for v in parsed[param.name]]
    times = "twice" if len(shown) == 2 else f"{len(shown)} times"
    given = f"{name} was given {times} ({', '.join(shown)})"
    if not isinstance(param, LossParamOption):
        return f"{given}; give it once"
    loss = _loss_taking(parsed.get("loss_names") or [], str(param.name))
    panels = " ".join(f"-l {loss}:{param.name}={value}" for value in shown)
    return f"{given}; to give each panel its own, write {panels}"


def _loss_taking(named: Sequence[str], param_name: str) -> str:
    """For the example: the first --loss given that takes this hyper-parameter, else the
    first loss of the catalogue that does."""
    for text in named:
        try:
            loss = get_loss(text.partition(":")[0])
        except ParameterError:
            continue
        if any(p.name == param_name for p in loss.params):
            return loss.name
    return next(
        loss.name for loss in CATALOGUE.values() if any(p.name == param_name for p in loss.params)
    )
