"""The contract every sweep method keeps, and the sweep it is asked to do.

A method says whether it applies to a sweep (from the loss's declared structure and the
grid), what it will cost (its own cost model, with named fields, in seconds on one core),
whether `auto` should take it over a direct evaluation, and runs. The registry
(`losscli.engine.registry`) lists the methods; `auto`, `--method`, the estimates behind
`--max-seconds` and the documentation all read it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Protocol

from losscli.catalogue.structure import Unrepresentable

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from losscli.catalogue import Loss
    from losscli.catalogue.structure import Description
    from losscli.data.dataset import Dataset
    from losscli.engine.axis import Axis

    Array = NDArray[np.float64]

Progress = Callable[[float], None] | None
"""Called with the fraction of a sweep done, 0 to 1, as it goes."""


@dataclass(frozen=True)
class Job:
    """One sweep: a loss with its hyper-parameters over the grid w1 × w2, on `points` points."""

    loss: Loss
    params: Mapping[str, float]
    points: int
    w1: Axis
    w2: Axis
    dataset: Dataset | None = field(default=None, compare=False, repr=False)
    """The points themselves, where known: a method whose cost depends on them (binned: the
    spread of the residuals sets its nodes) estimates from its plan for them."""

    @cached_property
    def description(self) -> Description | None:
        """The loss's piecewise-polynomial structure for these hyper-parameters, if declared
        and if float64 can hold it."""
        try:
            return self.loss.description(self.params)
        except Unrepresentable:
            return None

    @property
    def cells(self) -> int:
        return self.w1.steps * self.w2.steps


@dataclass(frozen=True)
class Swept:
    """What a method returns: the mean loss at every cell, and for an approximation the
    declared bound on every value's relative error (None for an exact method)."""

    values: Array
    error: float | None = None


class NotApplicable(Exception):
    """Raised by a method that finds, once it looks at the data, that it cannot keep its
    promise here; the message says why. `auto` then sweeps directly."""


class Method(Protocol):
    """A sweep algorithm."""

    name: str
    summary: str
    """One line for the documentation: how it works and when it applies."""

    def applies(self, job: Job) -> bool:
        """Whether it can sweep this loss on this grid at all."""
        ...

    def seconds(self, job: Job) -> float:
        """About how long it takes on one core (an estimate from its cost model)."""
        ...

    def expected_seconds(self, job: Job) -> float:
        """About how long it takes as it will run, other processes counted."""
        ...

    def preferred(self, job: Job, direct_seconds: float) -> bool:
        """Whether `auto` takes it, where it applies, over a direct evaluation taking
        `direct_seconds`."""
        ...

    def run(self, job: Job, x: Array, targets: Array, progress: Progress) -> Swept:
        """The mean loss at every cell (rows w2, columns w1); an approximate method declares
        its error bound in the result."""
        ...
