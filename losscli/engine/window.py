"""The (w1, w2) window a view is drawn in: the user's ranges, a curated one, or one chosen
from the data so that every panel's minimum is inside it, with its basin filling the panel.

A built-in dataset (the lesson's included) keeps its own curated window, the lesson's −2…4
so its figure stays byte-exact, unless a panel's minimum (a `unique` or `local` one: a point
of a region, or no minimum, does not move it) falls outside it. Data from a file has no
curated window: it is always chosen from the data. A range the user gives always wins, axis
by axis.

Chosen from the data, each panel asks for a box: around its minimum, the data's own ellipse
E[(Δw1·x + Δw2)²] = r² (`optimum.natural_extent`), r the loss's scale of predictions (the
spread of y for regression, 3 for a classifier's score); where the loss has no finite
minimum, from w = 0 to where it has come within `REACH` of its infimum. The window holds every
panel's box, its ends rounded outwards to a step of 1, 2 or 5 times a power of ten, about a
twentieth of its span, so the ticks read as short decimals.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from losscli.defaults import LESSON_WINDOW
from losscli.engine.optimum import REACH, NoOptimum, Optimum, find_optimum, natural_extent

if TYPE_CHECKING:
    from losscli.catalogue import Loss
    from losscli.data.dataset import Dataset
    from losscli.data.sources import Points
    from losscli.defaults import Range, Window
    from losscli.engine.axis import Axis, GridSpec
    from losscli.engine.optimum import Found

    Chosen = Literal["user", "lesson", "dataset", "data"]  # annotations only: no work at import

CLASSIFIER_SCALE = 3.0
"""A classifier's window spans about this change of score p around its minimum: sigmoid(±3)
is 0.05 and 0.95."""
STEPS_PER_WINDOW = 20
EDGE = 0.05
"""A curated window is kept only where each minimum is this share of its span from an edge."""
FILL = 0.25
"""For a file, the lesson's window is kept only where each basin spans this share of it."""


@dataclass(frozen=True)
class ChosenWindow:
    """The ranges drawn, how each axis's was chosen, and what the view says about it."""

    w1: Range
    w2: Range
    chosen: tuple[Chosen, Chosen]
    reached: tuple[str, ...] = ()
    """Titles of the panels with no finite minimum that the window was stretched to show."""

    @property
    def ranges(self) -> Window:
        return self.w1, self.w2

    def line(self) -> str | None:
        """One line for the view where some axis was chosen from the data, else None."""
        axes = [
            f"{name} {_number(lo)}..{_number(hi)}"
            for name, (lo, hi), how in zip(("w1", "w2"), self.ranges, self.chosen, strict=True)
            if how == "data"
        ]
        if not axes:
            return None
        text = f"window from the data: {', '.join(axes)} (--w1-range, --w2-range)"
        if self.reached:
            text += (
                f"; {', '.join(self.reached)}: no finite minimum, shown until within "
                f"{REACH:.0%} of its infimum"
            )
        return text

    def record(self) -> dict[str, object]:
        """The window as the JSON has it."""
        return {
            "w1": list(self.w1),
            "w2": list(self.w2),
            "chosen": dict(zip(("w1", "w2"), self.chosen, strict=True)),
        }


Panel = tuple["Loss", "Dataset", "Found"]
"""A panel's loss, the data it is computed on, and its minimum."""


def choose_window(
    given: tuple[Range | None, Range | None],
    curated: tuple[Window, Chosen] | None,
    panels: Sequence[Panel],
) -> ChosenWindow:
    """The window for these panels: `given` ranges (None: not given) win; then the `curated`
    window (the lesson's or a dataset's) where it holds every panel's minimum; for a file
    (`curated` None) the lesson's where it shows the data well (`_shows`); else the data's."""
    if curated is not None and _shows(curated[0], panels, fill=False):
        chosen, how = curated
        reached: tuple[str, ...] = ()
    elif curated is None and _shows(LESSON_WINDOW, panels, fill=True):
        chosen, how, reached = LESSON_WINDOW, "lesson", ()
    elif (found := _from_data(panels)) is not None:
        (chosen, reached), how = found, "data"
    else:
        chosen, how = curated or (LESSON_WINDOW, "lesson")
    kinds: tuple[Chosen, Chosen] = ("user" if given[0] else how, "user" if given[1] else how)
    return ChosenWindow(
        given[0] or chosen[0], given[1] or chosen[1], kinds, reached if "data" in kinds else ()
    )


def plan_grid(
    grid: GridSpec, points: Points, chosen: Sequence[tuple[Loss, Mapping[str, float]]]
) -> tuple[list[Found], ChosenWindow, Axis, Axis]:
    """Each chosen loss's true minimum on its data (`find_optimum`), the window the panels
    share (`choose_window`, the grid's ranges where given) and the grid's axes over it."""
    found = [find_optimum(loss, params, points(loss)) for loss, params in chosen]
    panels = [(loss, points(loss), f) for (loss, _), f in zip(chosen, found, strict=True)]
    curated = points.source.curated_window()
    window = choose_window((grid.w1_range, grid.w2_range), curated, panels)
    return found, window, *grid.axes(window.ranges)


def _shows(window: Window, panels: Sequence[Panel], *, fill: bool) -> bool:
    """Whether every panel's minimum point is inside the window, clear of its edges by
    `EDGE` of its span (a region's point does not count: the region goes on for ever).
    With `fill`, also each basin spans `FILL` of the window on each axis, and each loss
    without a finite minimum comes within `REACH` of its infimum inside it."""
    for loss, data, found in panels:
        if isinstance(found, Optimum) and found.kind != "region":
            if not _inside(window, (found.w1, found.w2), EDGE):
                return False
            half = natural_extent(np.asarray(data.x, float), _scale(loss, data))
            spans = [high - low for low, high in window]
            if fill and any(2 * h < FILL * span for h, span in zip(half, spans, strict=True)):
                return False
        elif (
            fill
            and isinstance(found, NoOptimum)
            and found.reach is not None
            and not _inside(window, found.reach, 0.0)
        ):
            return False
    return True


def _inside(window: Window, point: tuple[float, float], edge: float) -> bool:
    return all(
        low + edge * (high - low) < value < high - edge * (high - low)
        for (low, high), value in zip(window, point, strict=True)
    )


def _from_data(panels: Sequence[Panel]) -> tuple[Window, tuple[str, ...]] | None:
    boxes, reached = [], []
    for loss, data, found in panels:
        if isinstance(found, Optimum):
            half = natural_extent(np.asarray(data.x, float), _scale(loss, data))
            boxes.append(_box((found.w1, found.w1), (found.w2, found.w2), half))
        elif isinstance(found, NoOptimum) and found.reach is not None:
            far1, far2 = found.reach
            pads = (0.15 * abs(far1) or 1.0, 0.15 * abs(far2) or 1.0)
            boxes.append(
                _box((min(0.0, far1), max(0.0, far1)), (min(0.0, far2), max(0.0, far2)), pads)
            )
            reached.append(loss.label)
    if not boxes:
        return None
    lows = np.min([[box[0][0], box[1][0]] for box in boxes], axis=0)
    highs = np.max([[box[0][1], box[1][1]] for box in boxes], axis=0)
    w1 = _rounded(float(lows[0]), float(highs[0]))
    w2 = _rounded(float(lows[1]), float(highs[1]))
    return (w1, w2), tuple(dict.fromkeys(reached))


def _box(w1: Range, w2: Range, pads: tuple[float, float]) -> Window:
    return (w1[0] - pads[0], w1[1] + pads[0]), (w2[0] - pads[1], w2[1] + pads[1])


def _scale(loss: Loss, data: Dataset) -> float:
    """How far predictions move across the window: the spread of y, or a classifier's 3."""
    if loss.task == "classification":
        return CLASSIFIER_SCALE
    spread = float(np.std(data.y))
    return spread if spread > 0.0 else max(abs(float(np.mean(data.y))), 1.0)


def _rounded(low: float, high: float) -> Range:
    """The range widened to multiples of a step of 1, 2 or 5 times a power of ten, near a
    twentieth of the span, written as exact decimals."""
    rough = (high - low) / STEPS_PER_WINDOW
    exponent = math.floor(math.log10(rough))
    mantissa = next(m for m in (1, 2, 5, 10) if m * 10.0**exponent >= rough * (1 - 1e-12))
    if mantissa == 10:
        mantissa, exponent = 1, exponent + 1
    step = mantissa * 10.0**exponent
    first, last = math.floor(low / step), math.ceil(high / step)
    return float(f"{first * mantissa}e{exponent}"), float(f"{last * mantissa}e{exponent}")


def _number(value: float) -> str:
    return f"{value:g}"
