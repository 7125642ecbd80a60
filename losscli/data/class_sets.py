"""Labelled points made by formula, seeded: K Gaussian `blobs` (more sets join them here)."""

from __future__ import annotations

import numpy as np

from losscli.data.labelled import Labelled


def blobs(*, points: int, classes: int, seed: int, spread: float = 1.0) -> Labelled:
    """`points` points in the plane, about equally many per class, each class N(c_k, spread²·I)
    around a centre c_k on the circle of radius 3 (c_k at angle 2πk/K)."""
    rng = np.random.default_rng(seed)
    labels = np.arange(points, dtype=np.int64) % classes
    angles = 2.0 * np.pi * labels / classes
    centres = 3.0 * np.column_stack([np.cos(angles), np.sin(angles)])
    features = centres + spread * rng.standard_normal((points, 2))
    origin = {"name": "blobs", "points": points, "classes": classes, "seed": seed}
    names = tuple(f"class {k}" for k in range(classes))
    return Labelled(features, labels, names, "blobs", origin, ("x1", "x2"))
