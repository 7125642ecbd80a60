"""Saved runs: the JSON `descend --format json` writes and `surface --path` reads back.

Non-finite numbers (a diverged walk's overflow) are written as null and read back as NaN.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from losscli.data.files import is_json_number, printable, read_file
from losscli.data.json_points import json_documents
from losscli.descent.walk import Run
from losscli.errors import DataError, decode_text

if TYPE_CHECKING:
    import numpy as np

    from losscli.catalogue import Loss
else:
    from losscli.lazy import lazy_import

    np = lazy_import("numpy")


def _number(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def runs_document(
    loss: Loss, params: Mapping[str, float], runs: list[Run], version: str
) -> dict[str, Any]:
    """The JSON document of `descend`: non-finite numbers (a diverged walk) become null."""
    return {
        "version": version,
        "loss": loss.name,
        "params": dict(params),
        "runs": [
            {
                "optimizer": run.optimizer,
                "settings": run.settings,
                "stop_reason": run.stop_reason,
                "trajectory": [
                    {
                        "step": k,
                        "w1": _number(w1),
                        "w2": _number(w2),
                        "loss": _number(value),
                        "gradient": {"w1": _number(g1), "w2": _number(g2)},
                    }
                    for k, ((w1, w2), value, (g1, g2)) in enumerate(
                        zip(
                            run.w.tolist(),
                            run.loss_values.tolist(),
                            run.gradient.tolist(),
                            strict=True,
                        )
                    )
                ],
            }
            for run in runs
        ],
    }


def load_runs(path: str) -> list[Run]:
    """The runs saved in a `descend --format json` file."""
    return read_runs(read_file(path), path)


def read_runs(raw: bytes, name: str) -> list[Run]:
    """Parse what `descend --format json` wrote: one document, or one a line for several
    losses; errors name the file and the field."""
    text = decode_text(raw, name)
    documents = json_documents(text, name, at_least_one=True)
    several = len(documents) > 1
    return [
        run
        for k, document in enumerate(documents, start=1)
        for run in _read_document(document, f"{name} document {k}" if several else name)
    ]


def _read_document(document: Any, name: str) -> list[Run]:
    runs = document.get("runs") if isinstance(document, dict) else None
    if not isinstance(runs, list) or not runs:
        raise DataError(f'{name}: expected a descend result with a non-empty "runs" list')
    loss = document.get("loss")
    loss_name = printable(loss) if isinstance(loss, str) else "?"
    return [_read_run(run, loss_name, f"{name}: runs[{i}]") for i, run in enumerate(runs)]


def _read_run(run: Any, loss: str, where: str) -> Run:
    if not isinstance(run, dict):
        raise DataError(f"{where} is not an object")
    optimizer = run.get("optimizer")
    if not isinstance(optimizer, str):
        raise DataError(f'{where}: "optimizer" is not a string')
    trajectory = run.get("trajectory")
    if not isinstance(trajectory, list) or not trajectory:
        raise DataError(f'{where}: "trajectory" is not a non-empty list')
    points = np.empty((len(trajectory), 5))
    for k, point in enumerate(trajectory):
        if not isinstance(point, dict):
            raise DataError(f"{where}.trajectory[{k}] is not an object")
        gradient = point.get("gradient")
        gradient = gradient if isinstance(gradient, dict) else {}
        fields = (
            ("w1", point.get("w1")),
            ("w2", point.get("w2")),
            ("loss", point.get("loss")),
            ("gradient.w1", gradient.get("w1")),
            ("gradient.w2", gradient.get("w2")),
        )
        for column, (label, value) in enumerate(fields):
            if value is None and (k > 0 or column >= 2):
                points[k, column] = math.nan  # a diverged walk's overflowing values
            elif is_json_number(value):
                points[k, column] = value
            else:
                raise DataError(f"{where}.trajectory[{k}].{label} is not a number")
    settings = run.get("settings")
    stop_reason = run.get("stop_reason")
    return Run(
        loss,
        printable(optimizer),
        settings if isinstance(settings, dict) else {},
        printable(stop_reason) if isinstance(stop_reason, str) else "unknown",
        points[:, :2],
        points[:, 2],
        points[:, 3:],
    )
