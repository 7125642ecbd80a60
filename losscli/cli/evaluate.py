"""`losscli eval`: each loss's value and gradient at one point (w1, w2), or at one point's
logits for a multi-class loss (`--logits`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from losscli.cli.errors import reported_errors, usage_error
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
    from losscli.catalogue.multiclass import AtLogits
    from losscli.cli.loss_options import LossRequest
    from losscli.cli.options import DataRequest


def parse_logits(
    ctx: click.Context, param: click.Parameter, text: str | None
) -> tuple[float, ...] | None:
    """`2,1,0.1` as numbers."""
    if text is None:
        return None
    try:
        return tuple(float(part) for part in text.split(","))
    except ValueError:
        raise click.BadParameter(
            f"expected numbers separated by commas, got {text!r}", ctx, param
        ) from None


@click.command("eval", cls=OnceCommand)
@loss_options()
@click.option("--w1", type=float, help="Slope of the line to evaluate at.")
@click.option("--w2", type=float, help="Intercept of the line to evaluate at.")
@click.option(
    "--logits",
    metavar="Z0,Z1,...",
    callback=parse_logits,
    help="One point's K logits, for a multi-class loss (cross-entropy by default) instead of "
    "the line: prints the softmax, the loss and dL/dz.",
)
@click.option("--label", type=int, help="The point's class, 0 to K−1 (with --logits).")
@click.option(
    "--smoothing",
    type=float,
    default=0.0,
    show_default=True,
    help="Label smoothing ε of cross-entropy (with --logits): the target is "
    "(1 − ε)·one-hot + ε/K, as PyTorch's label_smoothing.",
)
@data_options
@output_options(["text", "json"])
def eval_command(
    losses: LossRequest,
    w1: float | None,
    w2: float | None,
    logits: tuple[float, ...] | None,
    label: int | None,
    smoothing: float,
    data: DataRequest,
    output_format: str,
    output: str | None,
) -> None:
    """Print each loss's value and gradient at one point (w1, w2) of the line p = w1·x + w2,
    or at one point's logits (--logits 2,1,0.1 --label 0).

    The gradient is dL/dw1 = Σ dL/dp_i·x_i and dL/dw2 = Σ dL/dp_i, from the catalogue's
    analytic dL/dp (a central difference for expr: formulas). Several --loss give several
    rows; JSON gives a list of {"loss", "params", "w1", "w2", "value", "gradient"}, with
    null for a value that is not finite. With --logits the loss is a multi-class one
    (cross-entropy, one-hot-mse, or a classification loss of two logits, scored on z1 − z0),
    and JSON gives {"loss", "params", "logits", "label", "softmax", "value", "gradient"}.
    """
    from losscli.data.sources import Points
    from losscli.line import evaluate
    from losscli.render.point import logits_to_json, logits_to_text, to_json, to_text

    ctx = click.get_current_context()
    with reported_errors():
        check_destination(output)
        if logits is not None:
            scored = _at_logits(losses, logits, label, smoothing, (w1, w2), data)
            text = logits_to_json(scored) if output_format == "json" else logits_to_text(scored)
            return emit(text, output)
        for name, value in (("label", label), ("smoothing", smoothing or None)):
            if value is not None:
                raise usage_error(f"--{name}", "goes with --logits")
        for param in ctx.command.params:
            if param.name in ("w1", "w2") and ctx.params[param.name] is None:
                raise click.MissingParameter(ctx=ctx, param=param)
        assert w1 is not None and w2 is not None
        chosen = losses.resolve()
        points = Points(data.source(), standard_input(), warn)
        results = [evaluate(loss, params, points(loss), w1, w2) for loss, params in chosen]
        emit(to_json(results) if output_format == "json" else to_text(results), output)


def _at_logits(
    losses: LossRequest,
    logits: tuple[float, ...],
    label: int | None,
    smoothing: float,
    line: tuple[float | None, float | None],
    data: DataRequest,
) -> list[AtLogits]:
    """Each loss named (cross-entropy by default) at these logits; the line's options refused."""
    from losscli.catalogue.multiclass import at_logits, get_multiclass

    if line != (None, None) or data.path or data.dataset or data.given:
        raise usage_error(
            "--logits", "scores one point's logits: drop the line's --w1, --w2 and data"
        )
    if label is None:
        raise usage_error("--label", "is needed with --logits: the point's class, 0 to K−1")
    values = {**losses.values, "smoothing": smoothing}
    scored = []
    for name in losses.names or ("cross-entropy",):
        loss = get_multiclass(name)
        params = loss.resolve_params({p.name: values[p.name] for p in loss.params})
        scored.append(at_logits(loss, params, logits, label))
    return scored
