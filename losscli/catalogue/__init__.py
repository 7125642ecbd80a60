"""The loss catalogue: what each loss is, how to compute it, and where to find it by name.

`model` defines an entry (`Loss`, `Param`), `structure` the piecewise descriptions the fast
sweep methods read, `regression` and `classification` the built-in losses, `registry` the
catalogue itself, `specs` a loss named with its own hyper-parameters (`huber:delta=0.5`),
`plugins` and `expr` the losses from other packages and from formulas.
Nothing here imports numpy until a loss is evaluated, so the command line can list the
catalogue at start-up.
"""

from losscli.catalogue.model import EXPR_PREFIX, TASKS, Loss, Param, Task
from losscli.catalogue.registry import (
    CATALOGUE,
    PLUGIN_PROBLEMS,
    PLUGINS,
    all_params,
    get_loss,
    load_plugins,
    loss_names,
    register,
    restored,
    takers,
    withdraw,
)
from losscli.catalogue.specs import LossSpec, parse_spec, resolve_losses

__all__ = [
    "CATALOGUE",
    "EXPR_PREFIX",
    "PLUGINS",
    "PLUGIN_PROBLEMS",
    "TASKS",
    "Loss",
    "LossSpec",
    "Param",
    "Task",
    "all_params",
    "get_loss",
    "load_plugins",
    "loss_names",
    "parse_spec",
    "register",
    "resolve_losses",
    "restored",
    "takers",
    "withdraw",
]
