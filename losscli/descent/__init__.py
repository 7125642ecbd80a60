"""Walking downhill on a loss surface: optimizers, the walk itself, and saved runs.

`optimizers` holds each update rule as a pure (init, update) pair and the registry
`--optimizer` reads; `walk` the walk, its settings and why it stops; `runs` the JSON of saved
walks. numpy loads only when a walk runs or a file is read.
"""

from losscli.descent.optimizers import OPTIMIZERS, Optimizer, Transformation
from losscli.descent.runs import load_runs, read_runs, runs_document
from losscli.descent.walk import Run, Settings, default_start, descend, gradient_at, head

__all__ = [
    "OPTIMIZERS",
    "Optimizer",
    "Run",
    "Settings",
    "Transformation",
    "default_start",
    "descend",
    "gradient_at",
    "head",
    "load_runs",
    "read_runs",
    "runs_document",
]
