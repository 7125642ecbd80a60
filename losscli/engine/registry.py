"""The sweep methods, fastest first, and the choice among them.

`auto` walks the methods in order and takes the first that applies and is worth it against a
direct evaluation (each method says when, `Method.preferred`): the quadratic method always,
the piecewise one when its estimate is shorter, the binned approximation only where a direct
sweep would take over `binned.AUTO_SECONDS`. A method named on purpose is taken if it applies
and refused otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from losscli.defaults import AUTO
from losscli.engine import binned, direct, piecewise, quadratic
from losscli.engine.method import Job, Method
from losscli.errors import ParameterError

if TYPE_CHECKING:
    from losscli.catalogue import Loss
    from losscli.data.dataset import Dataset
    from losscli.engine.axis import Axis

METHODS: dict[str, Method] = {
    method.name: method
    for method in (quadratic.METHOD, piecewise.METHOD, binned.METHOD, direct.METHOD)
}
"""Every sweep method by name, in the order `auto` considers them."""

FALLBACK = direct.METHOD
"""The method that applies to every sweep."""


def choose_method(job: Job, method: str = AUTO) -> Method:
    """The method for a sweep: `auto`'s choice, or the one named, checked."""
    if method == AUTO:
        fallback = FALLBACK.seconds(job)
        return next(m for m in METHODS.values() if m.applies(job) and m.preferred(job, fallback))
    if method not in METHODS:
        raise ParameterError("method", f"must be auto or one of {', '.join(METHODS)}")
    chosen = METHODS[method]
    if not chosen.applies(job):
        raise ParameterError("method", f"{method} does not apply to this loss")
    return chosen


def expect(
    loss: Loss,
    params: Mapping[str, float],
    points: int,
    w1: Axis,
    w2: Axis,
    method: str = AUTO,
    dataset: Dataset | None = None,
) -> tuple[str, float]:
    """The method `sweep` would use, and about how many seconds it would take (the workers
    counted where it would share the cores): what a sweep costs, known before it runs.
    Given the `dataset` itself (of `points` points), a method whose cost depends on the data
    estimates from its plan for it, as `sweep` and `--max-seconds` do."""
    job = Job(loss, params, points, w1, w2, dataset)
    chosen = choose_method(job, method)
    return chosen.name, chosen.expected_seconds(job)
