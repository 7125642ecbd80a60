"""`losscli data`: print a dataset as CSV or JSON."""

from __future__ import annotations

from typing import Any

import click

from losscli.catalogue import TASKS, Task
from losscli.cli.errors import reported_errors, usage_error
from losscli.cli.options import (
    check_destination,
    dataset_option,
    emit,
    given,
    output_options,
    synthetic_options,
)
from losscli.cli.repeats import OnceCommand
from losscli.data.builtin import DATASETS
from losscli.defaults import SYNTHETIC_SETTINGS

HELP = {
    "n": "Number of points.",
    "true_w1": "Slope of the true line.",
    "true_w2": "Intercept of the true line.",
    "noise": "Regression: standard deviation of the Gaussian noise on y.",
    "seed": "Random seed (the lesson's is 11).",
    "outliers": "Regression: share of points moved 3 to 6 above the line.",
    "flip": "Classification: share of labels flipped.",
}


def _synthetic(func: Any) -> Any:
    for option in reversed(synthetic_options(HELP)):
        func = option(func)
    return func


@click.command(
    "data",
    cls=OnceCommand,
    epilog="Built-in datasets:\n\n"
    + "\n\n".join(f"{name}: {entry.description}" for name, entry in DATASETS.items()),
)
@click.argument("task", type=click.Choice(TASKS), default="regression")
@dataset_option
@_synthetic
@output_options(["csv", "json"])
@click.pass_context
def data_command(
    ctx: click.Context,
    /,
    task: Task,
    dataset_name: str | None,
    output_format: str,
    output: str | None,
    **synthetic: Any,
) -> None:
    """Print a dataset as CSV or JSON: the lesson's synthetic data for TASK (regression or
    classification), or a built-in set with --dataset (TASK then defaults to its own).

    Synthetic data: x is uniform in [-1, 1]. Regression: y = true_w1·x + true_w2 + Gaussian
    noise. Classification: y = +1 where true_w1·x + true_w2 > 0, else -1. The defaults give
    the lesson's data exactly; the output feeds `losscli surface --data`.
    """
    from losscli.data import builtin, files
    from losscli.data.synthetic import synthetic as generate

    typed = [name for name in SYNTHETIC_SETTINGS if given(ctx, name)]
    with reported_errors():
        check_destination(output)
        if dataset_name is None:
            dataset = generate(task, **synthetic)
        else:
            entry = builtin.get_dataset(dataset_name)
            if not given(ctx, "task"):
                task = entry.tasks[0]
            elif task not in entry.tasks:
                raise usage_error("TASK", f"{entry.name} is a {entry.tasks[0]} dataset")
            dataset = builtin.load_builtin(entry.name, task, task, synthetic, typed)
        text = files.to_json(dataset) if output_format == "json" else files.to_csv(dataset)
        emit(text, output)
