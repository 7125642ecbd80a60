"""A loss with its own hyper-parameters, written as one `--loss` value: `huber:delta=0.5`.

`NAME:PARAM=VALUE[,PARAM=VALUE...]` gives one panel its own values, so two Huber panels can
differ in delta; a parameter a spec leaves out takes the value shared by every panel (the
`--delta` option, else its default). A name the catalogue knows whole, and an `expr:FORMULA`
(whose formula may hold `:`, `=` and `,`), is never split.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import NamedTuple

from losscli.catalogue.model import EXPR_PREFIX, Loss
from losscli.catalogue.registry import ALIASES, all_params, get_loss, takers
from losscli.defaults import LESSON_LOSSES
from losscli.errors import ParameterError

SEPARATOR = ":"
"""Between the loss's name and its parameters."""


class LossSpec(NamedTuple):
    """A loss as named on the command line, and the hyper-parameters given with it."""

    loss: Loss
    params: Mapping[str, float]


def parse_spec(text: str) -> LossSpec:
    """The loss and per-panel values in `huber:delta=0.5`; each mistake is a one-line
    `ParameterError` on `loss` that quotes the whole value."""
    if text.startswith(EXPR_PREFIX) or text.lower() in ALIASES or SEPARATOR not in text:
        return LossSpec(get_loss(text), {})
    name, _, rest = text.partition(SEPARATOR)
    loss = get_loss(name)

    def refuse(message: str) -> ParameterError:
        return ParameterError("loss", f"{text!r}: {message}")

    if not loss.params:
        raise refuse(f"{loss.name} takes no parameters")
    known = {param.name: param for param in loss.params}
    params: dict[str, float] = {}
    for item in rest.split(","):
        key, equals, number = (part.strip() for part in item.partition("="))
        if not (key and equals and number):
            example = f"{name}:{loss.params[0].name}={loss.params[0].default:g}"
            raise refuse(f"write each parameter as NAME=VALUE, e.g. {example}")
        key = key.lower()
        if key not in known:
            raise refuse(f"{loss.name} takes {_names(known)}, not {key}")
        if key in params:
            raise refuse(f"{key} is given twice")
        try:
            value = float(number)
        except ValueError:
            raise refuse(f"{key} must be a number, got {number!r}") from None
        try:
            known[key].check(value)
        except ParameterError as error:
            raise refuse(f"{key} {error.message}") from None
        params[key] = value
    return LossSpec(loss, params)


def _names(params: Collection[str]) -> str:
    """'delta', or 'alpha and gamma'."""
    *first, last = params
    return f"{', '.join(first)} and {last}" if first else last


def resolve_losses(
    names: Sequence[str], values: Mapping[str, float], given: Collection[str] = ()
) -> list[tuple[Loss, dict[str, float]]]:
    """The losses named (the lesson's four if none), each with its hyper-parameters: its own
    from the spec (`huber:delta=0.5`), else from `values`. A hyper-parameter in `given` (set
    on purpose for every panel) that no chosen loss takes, or that every panel taking it sets
    for itself, is refused: it would change nothing."""
    specs = [parse_spec(name) for name in (names or LESSON_LOSSES)]
    for name, param in all_params().items():
        if name not in given:
            continue
        taking = [spec for spec in specs if param in spec.loss.params]
        if not taking:
            raise ParameterError(
                name, f"applies to {takers(param)}, which is not among the chosen losses"
            )
        if all(name in spec.params for spec in taking):
            losses = ", ".join(dict.fromkeys(spec.loss.name for spec in taking))
            raise ParameterError(
                name, f"changes no panel: every {losses} panel gives its own {name}"
            )
    return [(spec.loss, spec.loss.resolve_params({**values, **spec.params})) for spec in specs]
