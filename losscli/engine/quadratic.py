"""The quadratic method: exact sweeps of quadratic losses (mse) from sufficient statistics,
O(n + G²).

With e = w1·x + w2 − y, the mean of c0 + c1·e + c2·e² over the points needs only a few means of
the data. They are taken about the data's centre (u = x − x̄, v = y − ȳ), so data far from
the origin does not cancel catastrophically:

    e = w1·u − v + m,   m = w1·x̄ + w2 − ȳ
    mean(e)  = m + w1·ū − v̄                      (ū, v̄: the centred means, ~0 up to rounding)
    mean(e²) = Suu·(w1 − b)² + R + 2m·(w1·ū − v̄) + m²

where Suu = mean(u²), b = mean(u·v)/Suu is the least-squares slope and R = mean((v − b·u)²) its
residual, summed directly from the data: every term but the tiny correction is ≥ 0. m is a
difference of numbers the size of the data (w1·x̄ near ȳ far from the origin), so there
w1·x̄ − ȳ is formed exactly per column (`losscli.engine.centre.offsets`) and w2 added with one
rounding; near the origin (where the engine centres nothing) it is formed as it reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from losscli.catalogue.structure import Piecewise
from losscli.engine.centre import Centre, offsets, shifted
from losscli.engine.method import Job, Progress, Swept

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Array = NDArray[np.float64]


@dataclass(frozen=True)
class Statistics:
    """The centred sufficient statistics of the points for the line model."""

    x_mean: float
    y_mean: float
    u_mean: float
    v_mean: float
    spread: float  # Suu
    slope: float  # b
    residual: float  # R

    @classmethod
    def of(cls, x: Array, y: Array) -> Statistics:
        x_mean, y_mean = float(np.mean(x)), float(np.mean(y))
        u, v = x - x_mean, y - y_mean
        spread = float(np.mean(u * u))
        slope = float(np.mean(u * v)) / spread if spread > 0.0 else 0.0
        rest = v - slope * u
        residual = float(np.mean(rest * rest))
        return cls(x_mean, y_mean, float(np.mean(u)), float(np.mean(v)), spread, slope, residual)


BLOCK_CELLS = 1 << 18
"""Cells worked on at once: the formula's temporaries stay a few MB at any grid, beside the
values themselves (at 4001² five grid-sized temporaries were 640 MB)."""


def sweep_means(coefficients: tuple[float, ...], x: Array, y: Array, w1: Array, w2: Array) -> Array:
    """mean(c0 + c1·e + c2·e²) at every w2 (rows) and w1 (columns), a block of rows at a time."""
    c0, c1, c2 = (*coefficients, 0.0, 0.0)[:3]
    s = Statistics.of(x, y)
    tilt = w1 * s.u_mean - s.v_mean  # mean(w1·u − v), per column
    spread = s.spread * (w1 - s.slope) ** 2 + s.residual  # per column
    far = Centre.of(x, y).active  # far from the origin: w1·x̄ − ȳ exactly, m rounded once
    hi, lo = offsets(w1, s.x_mean, s.y_mean) if far else (w1 * s.x_mean - s.y_mean, None)
    result: Array = np.empty((len(w2), len(w1)))
    rows = max(1, BLOCK_CELLS // max(1, len(w1)))
    for start in range(0, len(w2), rows):
        band = w2[start : start + rows, None]
        # m, per cell: w1·x̄ − ȳ + w2, rounded once where the data is far from the origin
        offset = hi[None, :] + band if lo is None else shifted(hi[None, :], lo[None, :], band)
        mean_e = offset + tilt
        mean_e2 = spread + 2.0 * offset * tilt + offset * offset
        result[start : start + rows] = c0 + c1 * mean_e + c2 * mean_e2
    return result


@dataclass(frozen=True)
class QuadraticCost:
    """Seconds on one core: a fixed start, then a share per point (the statistics, and the
    sweep's checks of the data) and per cell (the formula: a dozen operations on arrays of the
    grid's size, each a fresh page past a few hundred thousand cells). Rough costs of a current
    CPU, for choosing and `--max-seconds`, never reported: measured (CPU time, the sweep over
    10⁶ points) 0.028, 0.049 and 0.10 s at 201², 1001² and 2001² cells in one process, 0.09 s at
    1001² as a command's first sweep (its grid-sized arrays fresh pages), and 3 ms at 201² over
    10⁴ points (the sweep's fixed checks and records)."""

    start: float = 1.5e-3
    per_point: float = 2.5e-8
    per_cell: float = 4e-8

    def seconds(self, points: int, cells: int) -> float:
        return self.start + self.per_point * points + self.per_cell * cells


class QuadraticMethod:
    """A loss that is one polynomial of degree ≤ 2 in the residual, from five means."""

    name = "quadratic"
    summary = "mse and any one-piece quadratic of the residual, from centred sufficient statistics"
    cost = QuadraticCost()

    def applies(self, job: Job) -> bool:
        description = job.description
        return isinstance(description, Piecewise) and description.is_polynomial

    def seconds(self, job: Job) -> float:
        return self.cost.seconds(job.points, job.cells)

    def expected_seconds(self, job: Job) -> float:
        return self.seconds(job)

    def preferred(self, job: Job, direct_seconds: float) -> bool:
        return True  # O(n + G²) against direct's O(n·G²): never worse but for noise

    def run(self, job: Job, x: Array, targets: Array, progress: Progress) -> Swept:
        description = job.description
        assert isinstance(description, Piecewise)
        coefficients = description.pieces[0]
        return Swept(sweep_means(coefficients, x, targets, job.w1.values, job.w2.values))


METHOD = QuadraticMethod()
