"""The built-in datasets `--dataset NAME` names: what each is for, its task, a grid that shows it.

This module is read when the CLI is built (choices, help, completion), so it imports neither
numpy nor the generators until a dataset is loaded.

Each dataset serves one task, except `lesson`, which is the lesson's pair: its synthetic
regression set for regression losses and its classification set for classification losses
(both shaped by the synthetic options --n, --seed, ...; `separable` takes --n and --seed). A
loss of the other task on a single-task dataset is a usage error that names the datasets of its
task.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from losscli.defaults import LESSON_WINDOW, SYNTHETIC_SETTINGS, Window
from losscli.errors import ParameterError

if TYPE_CHECKING:
    from losscli.catalogue import Task
    from losscli.data.dataset import Dataset


@dataclass(frozen=True)
class BuiltinDataset:
    """A named dataset: its tasks, one line about it, and the (w1, w2) window that shows it."""

    name: str
    tasks: tuple[Task, ...]
    description: str
    build: Callable[..., Dataset]
    window: Window = LESSON_WINDOW
    shaped_by: tuple[str, ...] = ()
    """The synthetic options (n, seed, ...) that shape it; the others are refused with it."""


OUTLIER_SHARE = 0.2
"""`outliers` is the lesson's regression set with this share of points lifted 3 to 6."""


def _lesson(task: Task, **synthetic: Any) -> Dataset:
    from losscli.data import synthetic as generators

    return generators.synthetic(task, **synthetic)


def _celsius(task: Task) -> Dataset:
    from losscli.data.synthetic import celsius

    return celsius()


def _outliers(task: Task) -> Dataset:
    from losscli.data.synthetic import synthetic_regression

    dataset = synthetic_regression(outliers=OUTLIER_SHARE)
    return replace(dataset, name="outliers", origin={**dataset.origin, "dataset": "outliers"})


def _separable(task: Task, **shaping: int) -> Dataset:
    from losscli.data.synthetic import separable

    return separable(**shaping)


def _imbalanced(task: Task) -> Dataset:
    from losscli.data.synthetic import imbalanced_classification

    return imbalanced_classification()


DATASETS: dict[str, BuiltinDataset] = {
    entry.name: entry
    for entry in (
        BuiltinDataset(
            "lesson",
            ("regression", "classification"),
            "The lesson's synthetic data: 40 noisy points on y = 1.5·x + 0.5, and 40 labelled "
            "by its sign (shaped by --n, --seed, --noise, ...).",
            _lesson,
            shaped_by=SYNTHETIC_SETTINGS,
        ),
        BuiltinDataset(
            "celsius",
            ("regression",),
            "Two thermometer readings, 0 °C = 32 °F and 100 °C = 212 °F: the line is "
            "w1 = 1.8, w2 = 32.",
            _celsius,
            window=((0.0, 3.6), (-40.0, 104.0)),
        ),
        BuiltinDataset(
            "outliers",
            ("regression",),
            "The lesson's 40 regression points with 8 lifted 3 to 6 above the line: MSE's "
            "minimum is dragged up and flattened, MAE's stays near w1 = 1.5, w2 = 0.5.",
            _outliers,
        ),
        BuiltinDataset(
            "imbalanced",
            ("classification",),
            "90 negatives and 10 positives that overlap on x in [0.2, 0.5]: the rare class "
            "where focal loss matters.",
            _imbalanced,
            window=((-2.0, 8.0), (-6.0, 2.0)),
        ),
        BuiltinDataset(
            "separable",
            ("classification",),
            "Two classes with a gap in x (-1 on [-1, -0.5], +1 on [0.5, 1]): hinge reaches "
            "exactly zero on a plateau and gradient descent stops there (shaped by --n, --seed).",
            _separable,
            shaped_by=("n", "seed"),
        ),
    )
}


def get_dataset(name: str) -> BuiltinDataset:
    """The entry for a name, in any case; an unknown name lists the known ones."""
    try:
        return DATASETS[name.lower()]
    except KeyError:
        known = ", ".join(DATASETS)
        raise ParameterError("dataset", f"unknown dataset {name!r}; known: {known}") from None


def load_builtin(
    name: str,
    task: Task,
    loss_name: str,
    synthetic: Mapping[str, Any],
    typed: Sequence[str] = (),
) -> Dataset:
    """Dataset `name` for a loss of `task`; a loss of the wrong task is a usage error.

    `synthetic` holds the synthetic options' values, `typed` the names of those the user
    typed: a dataset takes only the options that shape it.
    """
    entry = get_dataset(name)
    if task not in entry.tasks:
        others = ", ".join(n for n, d in DATASETS.items() if task in d.tasks)
        raise ParameterError(
            "dataset",
            f"{entry.name} is a {entry.tasks[0]} dataset but {loss_name} is a {task} loss "
            f"({task} datasets: {others})",
        )
    if misplaced := [name for name in typed if name not in entry.shaped_by]:
        raise ParameterError(
            misplaced[0],
            f"shapes the lesson's synthetic data, not {{dataset}} {entry.name}",
            mentions=("dataset",),
        )
    shaping = {name: synthetic[name] for name in entry.shaped_by if name in synthetic}
    return entry.build(task, **shaping)
