"""The sweep engine: a loss's mean over the data at every cell of a (w1, w2) grid, fast.

`axis` holds the grid's axes, `surface` the result, `method` the contract every sweep method
keeps and `registry` the methods themselves (`quadratic`, `piecewise` with its `histogram`
kernel, `binned` with its `interpolation`, `direct`), `sweep` runs one, `budget` refuses what
would cost too much, and `workers` spreads any method's columns over the cores (`use_workers`
sets how many processes).
"""

from losscli.engine.axis import Axis, GridSpec
from losscli.engine.budget import check_budget
from losscli.engine.method import Job
from losscli.engine.registry import METHODS, choose_method, expect
from losscli.engine.surface import Edge, Minimum, Surface, find_minimum
from losscli.engine.sweep import sweep
from losscli.engine.workers import use as use_workers

__all__ = [
    "METHODS",
    "Axis",
    "Edge",
    "GridSpec",
    "Job",
    "Minimum",
    "Surface",
    "check_budget",
    "choose_method",
    "expect",
    "find_minimum",
    "sweep",
    "use_workers",
]
