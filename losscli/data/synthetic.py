"""Datasets built by the program: the lesson's synthetic sets, and small sets built by formula.

Synthetic data follows the lesson's script exactly. It seeds Python's `random` with the seed,
draws the regression set (x ~ U(−1, 1), then a Gaussian noise term), and continues the same
stream for the classification set. numpy's MT19937 seeded by key (`RandomState([seed])`) is
the very generator Python's `random.seed` builds, and `random.gauss` is a Box–Muller transform
that consumes two uniforms for every two points, so the whole stream is reproduced here with
array operations: the defaults give the lesson's 40 + 40 points to the last bit. A short
stream is drawn from Python's own generator instead (`random.Random(seed)`, its 32-bit words
by `getrandbits`, each double from two of them as both libraries form it): importing
numpy.random costs more start-up than the lesson's sweeps.
"""

from __future__ import annotations

import math
import random
from typing import TYPE_CHECKING, Any

import numpy as np

from losscli.data.dataset import Dataset
from losscli.defaults import LESSON_DATA as LESSON
from losscli.errors import ParameterError
from losscli.limits import check_points

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from losscli.catalogue import Task

    Array = NDArray[np.float64]

OUTLIER_SHIFT = (3.0, 6.0)
"""An outlier's target lies this far above the true line (uniform in the interval)."""


SHORT_STREAM = 1 << 16
"""Uniforms at most drawn through Python's `random` rather than numpy's generator: a few
milliseconds, against about 14 ms to import numpy.random (measured on 2 cores)."""


def _uniforms(seed: int, count: int, skip: int = 0) -> Array:
    """`count` uniforms in [0, 1) of the stream Python's `random.seed(seed)` starts, after
    its first `skip`: what `random.random()` would return, to the bit."""
    if skip + count > SHORT_STREAM:
        stream = _python_random_stream(seed)
        stream.random_sample(skip)
        return stream.random_sample(count)
    # random() is (a >> 5, b >> 6) of two consecutive 32-bit words over 2^53: as numpy's
    bits = random.Random(seed).getrandbits(64 * (skip + count)) if skip + count else 0
    raw = bits.to_bytes(8 * (skip + count), "little")
    words = np.frombuffer(raw, dtype="<u4").reshape(-1, 2)[skip:]
    high, low = (words[:, 0] >> 5).astype(np.float64), (words[:, 1] >> 6).astype(np.float64)
    return (high * 67108864.0 + low) / 9007199254740992.0


def _python_random_stream(seed: int) -> np.random.RandomState:
    """numpy's MT19937 in the state Python's `random.seed(seed)` leaves its generator in."""
    key, rest = [], seed
    while True:  # random.seed splits |seed| into 32-bit words, least significant first
        key.append(rest & 0xFFFFFFFF)
        rest >>= 32
        if not rest:
            break
    return np.random.RandomState(key)  # a list seeds by init_by_array, as Python does


def _regression_draws(n: int) -> int:
    """Uniforms the lesson's regression loop consumes: one for x, two per Gaussian pair."""
    return n + 2 * ((n + 1) // 2)


def _check_synthetic(n: int, noise: float, seed: int, fraction: float, fraction_name: str) -> None:
    if n < 1:
        raise ParameterError("n", f"must be at least 1, got {n}")
    check_points(n)
    if not (math.isfinite(noise) and noise >= 0):
        raise ParameterError("noise", f"must be >= 0, got {noise:g}")
    if seed < 0:
        raise ParameterError("seed", f"must be >= 0, got {seed}")
    if not 0.0 <= fraction <= 1.0:
        raise ParameterError(fraction_name, f"must be in [0, 1], got {fraction:g}")


def _check_line(true_w1: float, true_w2: float) -> None:
    for name, value in (("true_w1", true_w1), ("true_w2", true_w2)):
        if not math.isfinite(value):
            raise ParameterError(name, f"must be a finite number, got {value:g}")


def _chosen(n: int, fraction: float, seed: int, purpose: int) -> Array:
    """round(fraction·n) distinct point indices, from a stream of their own.

    Outliers and label flips draw from `default_rng([seed, purpose])`, apart from the lesson's
    stream, so they change only the points they pick.
    """
    count = math.floor(fraction * n + 0.5)
    if count == 0:
        return np.empty(0, dtype=np.intp)  # numpy.random not imported for nothing
    rng = np.random.default_rng([seed, purpose])
    chosen: Array = np.sort(rng.choice(n, size=count, replace=False))
    return chosen


def synthetic_regression(
    *,
    n: int = LESSON.n,
    true_w1: float = LESSON.true_w1,
    true_w2: float = LESSON.true_w2,
    noise: float = LESSON.noise,
    seed: int = LESSON.seed,
    outliers: float = LESSON.outliers,
) -> Dataset:
    """y = true_w1·x + true_w2 + N(0, noise²), x ~ U(−1, 1); `outliers` of the points shifted up."""
    _check_synthetic(n, noise, seed, outliers, "outliers")
    _check_line(true_w1, true_w2)
    pairs = (n + 1) // 2
    # Per pair of points the lesson draws: x_even, angle, radius, x_odd (unused when n is odd).
    block = _uniforms(seed, 4 * pairs).reshape(pairs, 4)
    angle = block[:, 1] * (2.0 * math.pi)
    radius = np.sqrt(-2.0 * np.log(1.0 - block[:, 2]))
    x = np.empty(n)
    z = np.empty(n)
    x[0::2] = -1.0 + 2.0 * block[:, 0]
    x[1::2] = (-1.0 + 2.0 * block[:, 3])[: n // 2]
    z[0::2] = np.cos(angle) * radius
    z[1::2] = (np.sin(angle) * radius)[: n // 2]
    with np.errstate(over="ignore"):
        y = true_w1 * x + true_w2 + z * noise
    if not np.all(np.isfinite(y)):
        sizes = {"true_w1": abs(true_w1), "true_w2": abs(true_w2), "noise": noise}
        culprit = max(sizes, key=sizes.__getitem__)
        raise ParameterError(culprit, "makes y overflow float64; use a smaller value")
    picked = _chosen(n, outliers, seed, purpose=1)
    if picked.size:
        y[picked] += np.random.default_rng([seed, 1, 1]).uniform(*OUTLIER_SHIFT, picked.size)
    origin = {
        "kind": "synthetic",
        "task": "regression",
        "n": n,
        "true_w1": true_w1,
        "true_w2": true_w2,
        "noise": noise,
        "seed": seed,
        "outliers": outliers,
    }
    return Dataset(x, y, "synthetic regression data", origin)


def synthetic_classification(
    *,
    n: int = LESSON.n,
    true_w1: float = LESSON.true_w1,
    true_w2: float = LESSON.true_w2,
    seed: int = LESSON.seed,
    flip: float = LESSON.flip,
    noise: float = 0.0,
) -> Dataset:
    """Label +1 where true_w1·x + true_w2 > 0, else −1; then `flip` of the labels flipped.

    The x values continue the lesson's stream after the regression set of the same n, as the
    lesson's script does. `noise` is accepted for symmetry with regression and must be >= 0;
    labels carry no noise but the flipped ones.
    """
    _check_synthetic(n, noise, seed, flip, "flip")
    _check_line(true_w1, true_w2)
    x = -1.0 + 2.0 * _uniforms(seed, n, skip=_regression_draws(n))
    y = np.where(true_w1 * x + true_w2 > 0.0, 1.0, -1.0)
    picked = _chosen(n, flip, seed, purpose=2)
    y[picked] = -y[picked]
    origin = {
        "kind": "synthetic",
        "task": "classification",
        "n": n,
        "true_w1": true_w1,
        "true_w2": true_w2,
        "seed": seed,
        "flip": flip,
    }
    return Dataset(x, y, "synthetic classification data", origin)


def synthetic(task: Task, **options: Any) -> Dataset:
    """The synthetic set for a task, from the options both generators share."""
    if task == "regression":
        options.pop("flip", None)
        return synthetic_regression(**options)
    options.pop("outliers", None)
    return synthetic_classification(**options)


SEPARABLE_GAP = 1.0
"""Width of the empty band around x = 0 in the `separable` set."""


def separable(*, n: int = LESSON.n, seed: int = LESSON.seed) -> Dataset:
    """Two classes split by a gap in x: label −1 for x in [−1, −0.5], +1 for x in [0.5, 1].

    The gap gives hinge loss its plateau of exactly zero: every point is on its side with
    margin at least 1 wherever w1·0.5 − |w2| ≥ 1 (e.g. at w1 = 3, w2 = 0), a wedge inside the
    default grid. On the lesson's own data the classes touch and hinge never reaches zero.
    x is uniform within each class's interval, drawn from `numpy.random.default_rng(seed)`;
    the points come sorted by x, the first n // 2 negative.
    """
    _check_synthetic(n, 0.0, seed, 0.0, "flip")
    if n < 2:
        raise ParameterError("n", f"must be at least 2 for two classes, got {n}")
    half = SEPARABLE_GAP / 2.0
    negatives = n // 2
    distance = np.random.default_rng(seed).uniform(half, 1.0, n)
    sign = np.where(np.arange(n) < negatives, -1.0, 1.0)
    order = np.argsort(sign * distance)
    x = (sign * distance)[order]
    y = sign[order]
    origin = {
        "kind": "builtin",
        "name": "separable",
        "task": "classification",
        "n": n,
        "seed": seed,
    }
    return Dataset(x, y, "separable classification data", origin)


# ---------------------------------------------------------------------------------------------
# Small fixed datasets, built by formula rather than drawn at random.


def celsius() -> Dataset:
    """The seed's two readings of Celsius against Fahrenheit: 0 °C is 32 °F, 100 °C is 212 °F.

    The line through them is w1 = 1.8, w2 = 32, where every loss is 0.
    """
    origin = {"kind": "builtin", "dataset": "celsius", "task": "regression", "n": 2}
    return Dataset(np.array([0.0, 100.0]), np.array([32.0, 212.0]), "celsius", origin)


def imbalanced_classification(*, negatives: int = 90, positives: int = 10) -> Dataset:
    """A rare positive class: negatives evenly spaced over x in [−1, 0.5], positives over
    [0.2, 1]. The classes overlap on [0.2, 0.5], so no line is perfect, and the easy
    negatives far left outnumber everything else, the setting focal loss was made for.
    """
    x = np.concatenate([np.linspace(-1.0, 0.5, negatives), np.linspace(0.2, 1.0, positives)])
    y = np.concatenate([np.full(negatives, -1.0), np.full(positives, 1.0)])
    origin = {
        "kind": "builtin",
        "dataset": "imbalanced",
        "task": "classification",
        "n": negatives + positives,
        "positives": positives,
    }
    return Dataset(x, y, "imbalanced", origin)
