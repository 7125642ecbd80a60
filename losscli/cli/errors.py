"""The one table from the core's errors to what the user sees: a message and an exit status.

| raised by the core        | shown as                                         | exit |
|---------------------------|--------------------------------------------------|------|
| `ParameterError(field)`   | `Error: Invalid value for '--FIELD': message`    | 2    |
| `DataError`               | `Error: message` (it names the file and the row) | 1    |

A field names the command's option of that name (`output` is `-o` / `--output`), or the flag a
command spells it with (`grid_steps` is `--steps` for surface), or else is spelled `--` and
dashes for underscores (`loss` is `--loss`). Combinations of flags are the command line's own
business, refused with `usage_error`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from losscli.defaults import option_name
from losscli.errors import DataError, ParameterError


def usage_error(flag: str, message: str) -> click.BadParameter:
    """A usage error naming the flag, as Click reports a bad value (exit status 2)."""
    return click.BadParameter(message, param_hint=f"'{flag}'")


@contextmanager
def reported_errors(**flags: str) -> Iterator[None]:
    """Turn the core's errors inside the block into Click's; `flags` spells the fields this
    command names differently (`grid_steps="--steps"`)."""

    def flag(field: str) -> str:
        return flags.get(field) or option_name(field)

    try:
        yield
    except ParameterError as error:
        message = error.describe(flag)
        ctx = click.get_current_context(silent=True)
        params = {} if ctx is None else {p.name: p for p in ctx.command.params}
        own = params.get(error.field)
        if own is not None and error.field not in flags:
            raise click.BadParameter(message, ctx=ctx, param=own) from None
        raise usage_error(flag(error.field), message) from None
    except DataError as error:
        raise click.ClickException(error.describe(flag)) from None
