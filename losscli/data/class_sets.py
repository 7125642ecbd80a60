"""Labelled points made by formula, seeded — `blobs`, `moons`, `spirals` — and `iris`, the
150 flowers shipped with the package; `class_set` finds any of them by name.

Every set made by formula gives point i the class i mod K, so the classes are as equal in size
as `points` allows, and draws its noise from `numpy.random.default_rng(seed)`: the same
arguments give the same points, bit for bit.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np

from losscli.data.labelled import Labelled
from losscli.defaults import CLASS_SETS
from losscli.errors import ParameterError
from losscli.limits import check_points

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Array = NDArray[np.float64]
    Labels = NDArray[np.int64]

IRIS_FILE = "iris.csv"
"""The Iris table inside the package (losscli/data/iris.csv); its header comment names the
source."""


def _classes(points: int, classes: int) -> tuple[Labels, Labels]:
    """Each point's class (i mod K) and its rank among its class's points, from 0."""
    index = np.arange(points, dtype=np.int64)
    return index % classes, index // classes


def _labelled(name: str, features: Array, labels: Labels, origin: dict[str, Any]) -> Labelled:
    """A set in the plane (features x1, x2) whose classes are named `class 0` … `class K−1`."""
    names = tuple(f"class {k}" for k in range(origin["classes"]))
    return Labelled(features, labels, names, name, {"name": name, **origin}, ("x1", "x2"))


def blobs(*, points: int, classes: int, seed: int, spread: float = 1.0) -> Labelled:
    """`points` points in the plane, about equally many per class, each class N(c_k, spread²·I)
    around a centre c_k on the circle of radius 3 (c_k at angle 2πk/K)."""
    rng = np.random.default_rng(seed)
    labels, _ = _classes(points, classes)
    angles = 2.0 * np.pi * labels / classes
    centres = 3.0 * np.column_stack([np.cos(angles), np.sin(angles)])
    features = centres + spread * rng.standard_normal((points, 2))
    origin: dict[str, Any] = {"points": points, "classes": classes, "seed": seed}
    if spread != 1.0:
        origin["spread"] = spread
    return _labelled("blobs", features, labels, origin)


def moons(*, points: int, seed: int, noise: float = 0.1) -> Labelled:
    """Two interleaving half circles of radius 1 (as scikit-learn's make_moons): class 0 on
    (cos t, sin t), class 1 on (1 − cos t, 0.5 − sin t), t evenly spaced over [0, π] within
    each class, plus N(0, noise²·I)."""
    rng = np.random.default_rng(seed)
    labels, rank = _classes(points, 2)
    count = np.bincount(labels, minlength=2)[labels]
    t = np.pi * rank / np.maximum(count - 1, 1)
    upper = np.column_stack([np.cos(t), np.sin(t)])
    lower = np.column_stack([1.0 - np.cos(t), 0.5 - np.sin(t)])
    features = np.where(labels[:, None] == 0, upper, lower) + noise * rng.standard_normal(
        (points, 2)
    )
    return _labelled(
        "moons", features, labels, {"points": points, "classes": 2, "seed": seed, "noise": noise}
    )


def spirals(*, points: int, classes: int, seed: int, noise: float = 0.05) -> Labelled:
    """K arms of one turn each: class k's points at radius r evenly spaced over (0, 1] and angle
    2πk/K + 2π·r (the arms, turned by 2π/K from each other, wind out from the centre), plus
    N(0, noise²·I)."""
    rng = np.random.default_rng(seed)
    labels, rank = _classes(points, classes)
    count = np.bincount(labels, minlength=classes)[labels]
    radius = (rank + 1) / count
    angle = 2.0 * np.pi * (labels / classes + radius)
    features = radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    features = features + noise * rng.standard_normal((points, 2))
    origin = {"points": points, "classes": classes, "seed": seed, "noise": noise}
    return _labelled("spirals", features, labels, origin)


def iris() -> Labelled:
    """Fisher's Iris: 150 flowers, 4 measurements in cm (sepal length and width, petal length
    and width), 3 species of 50 each (setosa, versicolor, virginica: classes 0, 1, 2)."""
    text = resources.files("losscli.data").joinpath(IRIS_FILE).read_text(encoding="utf-8")
    rows = [line.split(",") for line in text.splitlines() if line[:1].isdigit()]
    header = next(line for line in text.splitlines() if line[:1].isalpha())
    features = np.array([[float(cell) for cell in row[:4]] for row in rows])
    species = [row[4] for row in rows]
    names = tuple(dict.fromkeys(species))
    labels = np.array([names.index(kind) for kind in species], dtype=np.int64)
    origin = {"name": "iris", "points": len(rows), "classes": len(names)}
    feature_names = tuple(header.split(",")[:4])
    return Labelled(
        features,
        labels,
        names,
        "iris",
        origin,
        feature_names,
        lambda i: f"iris row {i + 1}",
    )


DEFAULTS: dict[str, dict[str, float]] = {
    "blobs": {"points": 300, "classes": 3, "noise": 1.0},
    "moons": {"points": 200, "classes": 2, "noise": 0.1},
    "spirals": {"points": 300, "classes": 3, "noise": 0.05},
    "iris": {"points": 150, "classes": 3},
}
"""Each set's points, classes and noise where the caller leaves them out. Blobs' noise is its
spread (the standard deviation around each centre)."""


def class_set(
    name: str,
    *,
    points: int | None = None,
    classes: int | None = None,
    seed: int = 0,
    noise: float | None = None,
) -> Labelled:
    """The labelled set called `name` (one of `CLASS_SETS`); points, classes and noise left out
    (None) take the set's `DEFAULTS`. Moons has 2 classes; iris has its 150 rows and 3 classes
    and no noise: asking otherwise is a ParameterError naming the parameter."""
    if name not in DEFAULTS:
        known = ", ".join(CLASS_SETS)
        raise ParameterError("dataset", f"unknown labelled set {name!r}; known: {known}")
    defaults = DEFAULTS[name]
    n = int(defaults["points"]) if points is None else points
    k = int(defaults["classes"]) if classes is None else classes
    if name in ("moons", "iris"):
        for field, value in (("points", n), ("classes", k)):
            if name == "iris" or field == "classes":
                _fixed(name, field, value, int(defaults[field]))
        if name == "iris":
            if noise is not None:
                raise ParameterError("noise", "iris is measured, not made: it takes no noise")
            return iris()
    sigma = float(defaults["noise"]) if noise is None else noise
    _check(n, k, sigma)
    makers: dict[str, Callable[[], Labelled]] = {
        "blobs": lambda: blobs(points=n, classes=k, seed=seed, spread=sigma),
        "moons": lambda: moons(points=n, seed=seed, noise=sigma),
        "spirals": lambda: spirals(points=n, classes=k, seed=seed, noise=sigma),
    }
    return makers[name]()


def _fixed(name: str, field: str, value: int, only: int) -> None:
    if value != only:
        raise ParameterError(field, f"{name} has {only} {field}, not {value}")


def _check(points: int, classes: int, noise: float) -> None:
    if classes < 2:
        raise ParameterError("classes", f"must be at least 2, got {classes}")
    if points < classes:
        raise ParameterError(
            "points", f"must be at least the number of classes ({classes}), got {points}"
        )
    if not (math.isfinite(noise) and noise >= 0.0):
        raise ParameterError("noise", f"must be a finite number ≥ 0, got {noise:g}")
    try:
        check_points(points)
    except ParameterError as error:
        raise ParameterError("points", error.message) from None
