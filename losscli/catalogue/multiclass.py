"""Multi-class losses over K logits per point, with labels as class indices 0 … K−1.

Conventions: `value(logits, labels)` gives each point's loss (shape logits.shape[:-1]) and
`gradient(logits, labels)` its derivative with respect to that point's logits; a data set's
loss is the mean over points, as `torch.nn.functional.cross_entropy` reduces by default.
Leading axes in front of the points broadcast (a batch of parameter settings).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Array = NDArray[np.float64]
    Labels = NDArray[np.int64]
else:
    from losscli.lazy import lazy_import

    np = lazy_import("numpy")


def log_softmax(logits: Array) -> Array:
    """log softmax(z)_k = z_k − logsumexp(z), with the largest logit taken out first so that
    no exp overflows and no log sees 0."""
    shifted: Array = logits - np.max(logits, axis=-1, keepdims=True)
    total: Array = np.sum(np.exp(shifted), axis=-1, keepdims=True)
    return shifted - np.log(total)


def targets(labels: Labels, classes: int, *, smoothing: float = 0.0) -> Array:
    """The target distribution of each point: one-hot, or with label smoothing ε the mix
    (1 − ε)·one-hot + ε/K, as PyTorch defines `label_smoothing`."""
    one_hot: Array = np.eye(classes)[labels]
    return (1.0 - smoothing) * one_hot + smoothing / classes


def cross_entropy(logits: Array, labels: Labels, *, smoothing: float = 0.0) -> Array:
    """Softmax cross-entropy −Σ_k q_k·log softmax(z)_k, q the (smoothed) one-hot target."""
    q = targets(labels, logits.shape[-1], smoothing=smoothing)
    per_point: Array = np.sum(q * log_softmax(logits), axis=-1)
    return -per_point


def cross_entropy_gradient(logits: Array, labels: Labels, *, smoothing: float = 0.0) -> Array:
    """d/dz of the cross-entropy: softmax(z) − q."""
    q = targets(labels, logits.shape[-1], smoothing=smoothing)
    return np.exp(log_softmax(logits)) - q
