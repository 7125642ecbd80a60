"""The catalogue: every loss by name, the lesson's four first; lookup, aliases and plugins.

Built-in losses come from `regression.LOSSES` and `classification.LOSSES`; plugins add theirs
at import (see `losscli.catalogue.plugins`); `expr:FORMULA` names a loss written on the
command line (see `losscli.catalogue.expr`). A hyper-parameter name means one thing across the
catalogue, since it becomes one command-line option.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from losscli.catalogue import classification, plugins, regression
from losscli.catalogue.model import EXPR_PREFIX, Loss, Param
from losscli.defaults import LESSON_LOSSES
from losscli.errors import ParameterError

CATALOGUE: dict[str, Loss] = {}
"""Every loss by name: the lesson's four first, then the rest, regression before
classification, then plugins'."""
ALIASES: dict[str, str] = {}
"""Every name and alias, lower case, to the loss's name."""
PARAMS: dict[str, Param] = {}
"""Every hyper-parameter of the catalogue by name."""
PLUGINS: set[str] = set()
"""Names of the losses that came from plugins."""
PLUGIN_PROBLEMS: dict[str, str] = {}
"""Plugins that failed to load or were withdrawn, by name: why, for `get_loss` and `losses`."""


def register(loss: Loss) -> None:
    """Add a loss; a name taken twice, or a parameter name reused differently, is refused."""
    for name in (loss.name, *loss.aliases):
        if name in ALIASES or name != name.lower() or name.startswith(EXPR_PREFIX):
            raise ValueError(f"loss name {name!r} is taken, not lower case, or reserved")
    for param in loss.params:
        if PARAMS.get(param.name, param) != param:
            raise ValueError(f"parameter {param.option} is already defined differently")
    for name in (loss.name, *loss.aliases):
        ALIASES[name] = loss.name
    for param in loss.params:
        PARAMS.setdefault(param.name, param)
    CATALOGUE[loss.name] = loss


def _register_plugin(loss: Loss) -> None:
    register(loss)
    PLUGINS.add(loss.name)


def withdraw(name: str, reason: str) -> None:
    """Take a plugin's loss back out of the catalogue, recording why."""
    loss = CATALOGUE.pop(name)
    for alias in (loss.name, *loss.aliases):
        del ALIASES[alias]
    still_used = all_params()
    for param in loss.params:
        if param.name not in still_used:
            del PARAMS[param.name]
    PLUGINS.discard(name)
    PLUGIN_PROBLEMS[name] = reason


@contextmanager
def restored() -> Iterator[None]:
    """Undo every registration and withdrawal made inside the block."""
    tables: list[dict[str, Loss] | dict[str, str] | dict[str, Param] | set[str]] = [
        CATALOGUE,
        ALIASES,
        PARAMS,
        PLUGINS,
        PLUGIN_PROBLEMS,
    ]
    saved = [table.copy() for table in tables]
    try:
        yield
    finally:
        for table, content in zip(tables, saved, strict=True):
            table.clear()
            table.update(content)  # type: ignore[arg-type]


def _built_in() -> None:
    entries = {loss.name: loss for loss in (*regression.LOSSES, *classification.LOSSES)}
    for name in (*LESSON_LOSSES, *entries):
        if name not in CATALOGUE:
            register(entries[name])


def load_plugins() -> None:
    """Register every plugin loss installed (see `losscli.catalogue.plugins`); those that
    fail are recorded in PLUGIN_PROBLEMS."""
    PLUGIN_PROBLEMS.update(plugins.discover(_register_plugin))


_built_in()
load_plugins()


def loss_names() -> list[str]:
    """Every name and alias `get_loss` accepts, catalogue order first."""
    return list(ALIASES)


def get_loss(name: str) -> Loss:
    """The entry for a name or alias, or a formula `expr:...`; an unknown name lists the known."""
    if name.startswith(EXPR_PREFIX):
        from losscli.catalogue.expr import formula_loss  # ast and operator: only when asked

        return formula_loss(name[len(EXPR_PREFIX) :])
    try:
        return CATALOGUE[ALIASES[name.lower()]]
    except KeyError:
        if name in PLUGIN_PROBLEMS:
            message = f"plugin loss {name!r} failed to load ({PLUGIN_PROBLEMS[name]})"
            raise ParameterError("loss", message) from None
        known = ", ".join(CATALOGUE)
        raise ParameterError(
            "loss", f"unknown loss {name!r}; known losses: {known}, or expr:FORMULA"
        ) from None


def all_params(losses: Iterable[Loss] | None = None) -> dict[str, Param]:
    """The hyper-parameters of the given losses (default: the whole catalogue), by name."""
    params: dict[str, Param] = {}
    for loss in CATALOGUE.values() if losses is None else losses:
        for param in loss.params:
            params.setdefault(param.name, param)
    return params


def takers(param: Param) -> str:
    """The losses that take a hyper-parameter, by name: "huber, smooth-l1"."""
    return ", ".join(loss.name for loss in CATALOGUE.values() if param in loss.params)
