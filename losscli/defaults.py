"""The constants a user meets as defaults, said once; importable without numpy.

The lesson fixes the synthetic data (40 points on y = 1.5·x + 0.5 with noise 0.2, Python's
`random` seeded with 11), the four losses of its figure, and the window it draws them in:
w1 and w2 each from −2 to 4 on 21 grid lines. Everything else here names a choice the
command line offers (sweep methods, band scales, stop reasons) so that the CLI can list them
at start-up without importing the modules that implement them.
"""

from __future__ import annotations

from typing import Final, NamedTuple


class Synthetic(NamedTuple):
    """The settings of the lesson's synthetic generator; the defaults are the lesson's own."""

    n: int = 40
    true_w1: float = 1.5
    true_w2: float = 0.5
    noise: float = 0.2
    seed: int = 11
    outliers: float = 0.0
    flip: float = 0.0


LESSON_DATA: Final = Synthetic()
"""The settings that give the lesson's two datasets exactly."""

SYNTHETIC_SETTINGS: Final = Synthetic._fields

CLASS_SETS: Final = ("blobs", "moons", "spirals", "iris")
"""The labelled sets `landscape --dataset` names (`losscli.data.class_sets.class_set`)."""
"""The settings that shape synthetic data, in the order the command line lists them."""

LESSON_LOSSES: Final = ("mse", "mae", "huber", "hinge")
"""The lesson's four panels, shown when no loss is chosen."""

Range = tuple[float, float]
Window = tuple[Range, Range]
LESSON_WINDOW: Final[Window] = ((-2.0, 4.0), (-2.0, 4.0))
"""The (w1, w2) ranges of the lesson's figure."""

GRID_STEPS: Final = 21
"""Grid lines along each axis, as in the lesson's figure."""

AUTO: Final = "auto"
METHOD_NAMES: Final = ("quadratic", "piecewise", "binned", "direct")
"""The sweep algorithms, fastest first, as `losscli.engine.METHODS` (the registry) lists them."""

MAX_SECONDS: Final = 60.0
"""Sweeps expected to take longer than this in all are refused until the limit is raised."""

MAX_WORKERS: Final = 256
"""The most processes a sweep may be told to use (`--workers`); more than the cores is allowed,
each then sharing one."""

WORKERS_VARIABLE: Final = "LOSSCLI_WORKERS"
"""The environment variable that sets the processes a sweep may use, as `--workers` does."""

SCALES: Final = ("linear", "log", "quantile")
"""How loss values map to shading bands (see `losscli.render.bands`)."""

COLOR_LEVELS: Final = 8
PLAIN_LEVELS: Final = 4
"""Bands in a coloured map, and without colour (the lesson's four shades)."""

STOP_REASONS: Final = ("converged", "max_steps", "zero_gradient", "diverged")
"""Why a descent run stops (`losscli.descent.walk` says in which order they are checked)."""

OPTIMIZER: Final = "gd"
LEARNING_RATE: Final = 0.1
DESCENT_STEPS: Final = 500
CONVERGENCE_TOLERANCE: Final = 1e-8
MOMENTUM: Final = 0.9
"""A walk's defaults: plain gradient descent, its learning rate, at most this many steps,
converged when a step and the change in loss are both below the tolerance; the momentum
coefficient of the momentum optimizers."""


def option_name(name: str) -> str:
    """How the command line spells a parameter: `true_w1` is `--true-w1`."""
    return "--" + name.replace("_", "-")
