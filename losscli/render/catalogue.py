"""The loss catalogue for people and programs: a table of every loss, one loss in full, and
the JSON records `losses --format json` prints."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from rich.table import Table

if TYPE_CHECKING:
    from losscli.catalogue import Loss, Param
    from losscli.catalogue.multiclass import MulticlassLoss


def loss_record(loss: Loss) -> dict[str, Any]:
    """One catalogue entry as JSON."""
    return {**multiclass_record(loss), "convex": loss.convex, "advice": loss.advice}


def multiclass_record(loss: Loss | MulticlassLoss) -> dict[str, Any]:
    """A multi-class loss as JSON: the fields every loss has (a catalogue entry adds two)."""
    return {
        "name": loss.name,
        "aliases": list(loss.aliases),
        "task": loss.task,
        "summary": loss.summary,
        "formula": loss.formula,
        "gradient": loss.gradient_formula,
        "params": [
            {"name": p.name, "default": p.default, "range": p.range_text, "help": p.help}
            for p in loss.params
        ],
    }


def multiclass_details(loss: MulticlassLoss, width: int) -> str:
    """A multi-class loss in full, as `losses NAME` prints it, long values wrapped."""
    rows = [
        ("task", "multiclass: K logits z a point, the label a class index"),
        ("formula", loss.formula),
        ("gradient", "dℓ/dz = " + loss.gradient_formula),
        ("reduction", "mean over points"),
        ("aliases", ", ".join(loss.aliases) or "–"),
    ]
    params = [(f"--{p.name}", p) for p in loss.params]
    return _details(loss, rows, params, [], width)


def loss_details(loss: Loss, width: int) -> str:
    """One loss in full, as `losses NAME` prints it, long values wrapped under themselves."""
    rows = [
        ("task", loss.task),
        ("formula", loss.formula),
        ("gradient", "dℓ/dp = " + loss.gradient_formula),
        ("reduction", "mean over points" if loss.per_point else "whole dataset at once"),
        ("convex", "yes, in (w1, w2)" if loss.convex else "no (not guaranteed)"),
        ("aliases", ", ".join(loss.aliases) or "–"),
    ]
    params = [(p.option, p) for p in loss.params]
    return _details(loss, rows, params, [("advice", loss.advice)], width)


def _details(
    loss: Loss | MulticlassLoss,
    rows: list[tuple[str, str]],
    params: list[tuple[str, Param]],
    after: list[tuple[str, str]],
    width: int,
) -> str:
    """The name and summary, then `rows`, a row a parameter (its flag, default, range and
    help) and `after`, each value wrapped under itself."""
    listed = [
        ("params" if i == 0 else "", f"{flag} {p.default:g}  ({p.range_text})  {p.help}")
        for i, (flag, p) in enumerate(params)
    ]
    lines = [f"{loss.name} — {loss.label}"]
    lines += textwrap.wrap(loss.summary, width, initial_indent="  ", subsequent_indent="  ")
    lines.append("")
    for key, value in rows + (listed or [("params", "–")]) + after:
        head = f"  {key:<10} "
        lines += textwrap.wrap(value, width, initial_indent=head, subsequent_indent=" " * len(head))
    return "\n".join(lines) + "\n"


def loss_table(losses: Iterable[Loss | MulticlassLoss]) -> Table:
    """A row a loss: its name and aliases, task, per-point formula and parameters."""
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("loss", max_width=17)  # aliases wrap under the name, leaving the formula room
    table.add_column("task", no_wrap=True)
    table.add_column("per-point formula")
    table.add_column("parameters")
    for loss in losses:
        label = loss.name + (f" ({', '.join(loss.aliases)})" if loss.aliases else "")
        params = "\n".join(f"{p.option} {p.default:g}" for p in loss.params) or "–"
        table.add_row(label, loss.task, loss.formula, params)
    return table
