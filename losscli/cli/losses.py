"""`losscli losses`: the loss catalogue, or one loss in full."""

from __future__ import annotations

import click

from losscli.catalogue import CATALOGUE, PLUGIN_PROBLEMS, get_loss, loss_names
from losscli.cli.errors import reported_errors
from losscli.cli.loss_options import complete_loss
from losscli.cli.options import echo
from losscli.cli.repeats import OnceCommand


@click.command("losses", cls=OnceCommand)
@click.argument("name", required=False, shell_complete=complete_loss)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Output format.",
)
def losses_command(name: str | None, output_format: str) -> None:
    """List the loss catalogue (name, task, formula, parameters), or show loss NAME in full:
    formula, gradient, parameters and their ranges, convexity, advice, aliases.

    NAME may be an alias or a formula `expr:...`. The list ends with the multi-class losses
    (task multiclass: of K logits, for models beyond the line and `eval --logits`).
    """
    import json

    from losscli.catalogue.multiclass import MULTICLASS, named
    from losscli.render.catalogue import (
        loss_details,
        loss_record,
        loss_table,
        multiclass_details,
        multiclass_record,
    )

    for broken, reason in PLUGIN_PROBLEMS.items():
        click.echo(f"Warning: plugin loss {broken!r} was not loaded: {reason}", err=True)
    with reported_errors():
        if name is not None:
            own = named(name) if name.lower() not in loss_names() else None
            from losscli.render.console import terminal_width

            columns = max(min(terminal_width() or 100, 100), 40)
            if own is not None:
                if output_format == "json":
                    return echo(json.dumps(multiclass_record(own), indent=2) + "\n")
                return echo(multiclass_details(own, columns))
            loss = get_loss(name)
            if output_format == "json":
                return echo(json.dumps(loss_record(loss), indent=2) + "\n")
            return echo(loss_details(loss, columns))
        if output_format == "json":
            records = [loss_record(loss) for loss in CATALOGUE.values()]
            records += [multiclass_record(loss) for loss in MULTICLASS.values()]
            return echo(json.dumps(records, indent=2) + "\n")
        from losscli.render.view import print_table

        return print_table(loss_table([*CATALOGUE.values(), *MULTICLASS.values()]))
