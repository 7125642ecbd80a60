"""`losscli eval`: each loss's value and gradient at one point (w1, w2)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from losscli.cli.errors import reported_errors
from losscli.cli.loss_options import loss_options
from losscli.cli.options import (
    check_destination,
    data_options,
    emit,
    output_options,
    standard_input,
    warn,
)
from losscli.cli.repeats import OnceCommand

if TYPE_CHECKING:
    from losscli.cli.loss_options import LossRequest
    from losscli.cli.options import DataRequest


@click.command("eval", cls=OnceCommand)
@loss_options()
@click.option("--w1", type=float, required=True, help="Slope of the line to evaluate at.")
@click.option("--w2", type=float, required=True, help="Intercept of the line to evaluate at.")
@data_options
@output_options(["text", "json"])
def eval_command(
    losses: LossRequest,
    w1: float,
    w2: float,
    data: DataRequest,
    output_format: str,
    output: str | None,
) -> None:
    """Print each loss's value and gradient at one point (w1, w2) of the line p = w1·x + w2.

    The gradient is dL/dw1 = Σ dL/dp_i·x_i and dL/dw2 = Σ dL/dp_i, from the catalogue's
    analytic dL/dp (a central difference for expr: formulas). Several --loss give several
    rows; JSON gives a list of {"loss", "params", "w1", "w2", "value", "gradient"}, with
    null for a value that is not finite.
    """
    from losscli.data.sources import Points
    from losscli.line import evaluate
    from losscli.render.point import to_json, to_text

    with reported_errors():
        check_destination(output)
        chosen = losses.resolve()
        points = Points(data.source(), standard_input(), warn)
        results = [evaluate(loss, params, points(loss), w1, w2) for loss, params in chosen]
        emit(to_json(results) if output_format == "json" else to_text(results), output)
