"""A declarative description of a loss's structure, which the fast sweep methods read.

Many losses of the line model p = w1·x + w2 are piecewise polynomials of one number u:

* regression: u = p − y, the residual (`Piecewise`);
* classification: u = p, the score, with one piecewise polynomial per label (`PerLabel`),
  since for a label t the loss is a function of t·p.

A `Piecewise` lists its breakpoints k_1 < … < k_m and m + 1 polynomials, each as its
coefficients (c0, c1, c2) in powers of u, lowest first: piece q holds for k_q < u ≤ k_{q+1},
so a u exactly on a break uses the piece below it. A single piece and no breaks (mse) is a
plain quadratic, which the engine sweeps from sufficient statistics.

Jumps are allowed only where the engine can place every tie exactly as a direct evaluation
does: in a classification description with one break, at u = 0 (the zero-one loss, which
predicts +1 where p > 0). Every other description must be continuous.

This module imports nothing heavy: the catalogue reads it at start-up. The checks here
guard against programming errors in a catalogue entry, so they raise ValueError.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Array = NDArray[np.float64]

MAX_DEGREE = 2


class Unrepresentable(ValueError):
    """A description whose breaks or coefficients overflow float64 for these hyper-parameters
    (huber's −delta²/2 at delta = 1e200): the loss is then swept without one."""


@dataclass(frozen=True)
class Piecewise:
    """The per-point loss as a piecewise polynomial of u: breaks and per-piece coefficients."""

    breaks: tuple[float, ...]
    pieces: tuple[tuple[float, ...], ...]

    def __post_init__(self) -> None:
        if len(self.pieces) != len(self.breaks) + 1:
            raise ValueError(
                f"{len(self.breaks)} breaks need {len(self.breaks) + 1} pieces, "
                f"got {len(self.pieces)}"
            )
        if not all(math.isfinite(k) for k in self.breaks):
            raise Unrepresentable(f"breaks must be finite, got {self.breaks}")
        if any(a >= b for a, b in itertools.pairwise(self.breaks)):
            raise ValueError(f"breaks must increase strictly, got {self.breaks}")
        for piece in self.pieces:
            if not 1 <= len(piece) <= MAX_DEGREE + 1:
                raise ValueError(f"a piece has 1 to {MAX_DEGREE + 1} coefficients, got {piece}")
            if not all(math.isfinite(c) for c in piece):
                raise Unrepresentable(f"coefficients must be finite, got {piece}")

    @property
    def degree(self) -> int:
        return max(len(piece) for piece in self.pieces) - 1

    @property
    def is_polynomial(self) -> bool:
        """One piece and no breaks: the whole loss is a single polynomial of u."""
        return not self.breaks

    def jumps(self) -> tuple[float, ...]:
        """P_{q+1}(k_q) − P_q(k_q) at each break: zero everywhere for a continuous loss."""
        return tuple(
            float(evaluate_polynomial(self.pieces[q + 1], k))
            - float(evaluate_polynomial(self.pieces[q], k))
            for q, k in enumerate(self.breaks)
        )

    def is_continuous(self) -> bool:
        """Whether the pieces meet at every break (to rounding of their coefficients)."""
        for q, (k, jump) in enumerate(zip(self.breaks, self.jumps(), strict=True)):
            size = max(_magnitude(self.pieces[q], k), _magnitude(self.pieces[q + 1], k), 1.0)
            if abs(jump) > 1e-12 * size:
                return False
        return True

    def __call__(self, u: Array) -> Array:
        """The loss at each u, piece by piece (a reference evaluation, used by the tests)."""
        import numpy as np

        u = np.asarray(u, dtype=np.float64)
        piece = np.searchsorted(np.asarray(self.breaks, dtype=np.float64), u, side="left")
        result = np.zeros_like(u)
        for q, coefficients in enumerate(self.pieces):
            chosen = piece == q
            result[chosen] = evaluate_polynomial(coefficients, u[chosen])
        return result


@dataclass(frozen=True)
class PerLabel:
    """A classification loss: one `Piecewise` of the score p for each label t = ±1."""

    positive: Piecewise
    negative: Piecewise

    def for_label(self, label: float) -> Piecewise:
        return self.positive if label > 0 else self.negative


Description = Piecewise | PerLabel


@dataclass(frozen=True)
class ClippedLogistic:
    """A classification loss that is logistic's, log(1 + e^(−z)) of the margin z = t·p, with
    the probability σ(z) clipped to [eps, 1 − eps] (bce): logistic's between the kinks
    z = ±log((1 − eps)/eps), constant beyond them. `logistic(p, t)` is the smooth loss."""

    eps: float
    logistic: Callable[..., Array]

    def kinks(self) -> tuple[float, float]:
        """The margins where σ(z) reaches eps and 1 − eps (the float 1 − eps, as `np.clip`
        takes it): −log((1 − eps)/eps) and log(x/(1 − x)), x = 1 − eps. σ is monotone, so
        clipping the probability to [eps, 1 − eps] is clipping the margin to these."""
        high = 1.0 - self.eps
        return math.log(self.eps) - math.log1p(-self.eps), math.log(high) - math.log(1.0 - high)


@dataclass(frozen=True)
class SoftDice:
    """A classification loss on the whole dataset that is a ratio of two sums over the points
    (dice): Σ error(p_i, t_i) / (Σ y01_i + Σ score(p_i) + smooth), each per-point function
    smooth and ≥ 0 (error = σ(−t·p), score = σ(p))."""

    error: Callable[..., Array]
    score: Callable[..., Array]
    smooth: float


Form = ClippedLogistic | SoftDice
"""A loss assembled from smooth per-point sums, which the binned sweep knows how to combine
(`losscli.engine.binned_forms`)."""


def evaluate_polynomial(coefficients: Sequence[float], u: float | Array) -> float | Array:
    """c0 + c1·u + c2·u², by Horner's rule."""
    result: float | Array = 0.0
    for c in reversed(coefficients):
        result = result * u + c
    return result


def _magnitude(coefficients: Sequence[float], u: float) -> float:
    return sum(abs(c) * abs(u) ** power for power, c in enumerate(coefficients))


def check_description(description: Description, *, classification: bool) -> None:
    """Refuse descriptions the engine cannot sweep exactly (a programming error, not user's)."""
    shapes = (
        (description.positive, description.negative)
        if isinstance(description, PerLabel)
        else (description,)
    )
    if isinstance(description, PerLabel) != classification:
        kind = "PerLabel" if classification else "Piecewise"
        raise ValueError(
            f"a {'classification' if classification else 'regression'} loss "
            f"needs a {kind} description"
        )
    for shape in shapes:
        if shape.is_continuous():
            continue
        if not (classification and shape.breaks == (0.0,)):
            raise ValueError(
                "a description with jumps must be a classification one with a single break "
                f"at 0, got breaks {shape.breaks}"
            )
