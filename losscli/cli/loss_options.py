"""`--loss` and one option per catalogue hyper-parameter (`--delta`), handed to a command as
one `LossRequest`: the losses named, each perhaps with its own hyper-parameters
(`huber:delta=0.5`, see `losscli.catalogue.specs`), and the values every panel shares.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

import click
from click.shell_completion import CompletionItem

from losscli.catalogue import (
    CATALOGUE,
    EXPR_PREFIX,
    all_params,
    get_loss,
    loss_names,
    resolve_losses,
    takers,
)
from losscli.cli.options import F, bundle, given
from losscli.defaults import LESSON_LOSSES
from losscli.errors import ParameterError

if TYPE_CHECKING:
    from losscli.catalogue import Loss, Param


class LossRequest(NamedTuple):
    """The losses named (none: the lesson's four) and the hyper-parameters' values."""

    names: tuple[str, ...]
    values: Mapping[str, float]
    given: frozenset[str]

    def resolve(self) -> list[tuple[Loss, dict[str, float]]]:
        """The line's losses; a multi-class loss named is refused, saying where it serves."""
        from losscli.catalogue.multiclass import named

        for name in self.names:
            if name.lower() not in loss_names() and named(name) is not None:
                raise ParameterError(
                    "loss",
                    f"{name} is a multi-class loss, of K logits a point, not of the line's p: "
                    "evaluate it with eval --logits",
                )
        return resolve_losses(self.names, self.values, self.given)


class LossParamOption(click.Option):
    """An option made from a catalogue hyper-parameter (`--delta`), not one of losscli's own."""


def complete_loss(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Loss names and aliases."""
    return [
        CompletionItem(name, help=CATALOGUE[get_loss(name).name].summary)
        for name in loss_names()
        if name.startswith(incomplete)
    ]


def complete_loss_spec(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Loss names and aliases; after `NAME:` (and after each `,`) the loss's
    hyper-parameters not yet given, as `huber:delta=`."""
    name, colon, typed_params = incomplete.partition(":")
    if not colon or incomplete.lower().startswith(EXPR_PREFIX):
        return complete_loss(ctx, param, incomplete)
    try:
        loss = get_loss(name)
    except ParameterError:
        return []
    done, _, typing = typed_params.rpartition(",")
    typed = {item.partition("=")[0].strip().lower() for item in done.split(",")}
    head = incomplete[: len(incomplete) - len(typing)]
    return [
        CompletionItem(f"{head}{param.name}=", help=param.help)
        for param in loss.params
        if param.name not in typed and param.name.startswith(typing.lower())
    ]


def param_example(param: Param) -> str:
    """The per-panel form for a hyper-parameter, as help shows it: `-l huber:delta=V`."""
    loss = next(loss for loss in CATALOGUE.values() if param in loss.params)
    return f"-l {loss.name}:{param.name}=V"


def loss_options(*, walk: str | None = None) -> Callable[[F], F]:
    """`--loss` (repeatable; by default the lesson's four, or the one loss `walk` for
    descend) and one option per hyper-parameter of the catalogue (--delta, ...), the default
    for every panel of the losses that take it; handed to the command as `losses:
    LossRequest`. A --loss value may carry its own: `huber:delta=0.5`."""
    panels = "Default: the lesson's " + ", ".join(LESSON_LOSSES) if walk is None else ""
    what = "Loss to show" if walk is None else "Loss to walk down"
    loss = click.option(
        "--loss",
        "-l",
        "loss_names",
        metavar="NAME[:PARAM=VALUE,...]",
        multiple=True,
        default=() if walk is None else (walk,),
        show_default=walk is not None,
        shell_complete=complete_loss_spec,
        help=f"{what}; repeat for several panels. {panels + '. ' if panels else ''}"
        "NAME:PARAM=VALUE gives this panel its own hyper-parameters (huber:delta=0.5). "
        "See `losscli losses`.",
    )
    params = [
        click.option(
            param.option,
            param.name,
            cls=LossParamOption,
            type=float,
            default=param.default,
            show_default=True,
            help=f"{param.help} ({takers(param)}; {param.range_text}) For every panel "
            f"that does not give its own ({param_example(param)}).",
        )
        for param in all_params().values()
    ]

    def build(ctx: click.Context, values: dict[str, Any]) -> LossRequest:
        names = tuple(values.pop("loss_names"))
        return LossRequest(names, values, frozenset(n for n in values if given(ctx, n)))

    return bundle([loss, *params], "losses", build)
