"""cross_entropy without smoothing takes −log softmax at the label alone: the same bits as the
one-hot sum it replaces (whose other terms are exact zeros), over leading cell axes too."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from losscli.catalogue.multiclass import cross_entropy, log_softmax, targets


def summed(logits, labels):
    """The definition, −Σ_k onehot_k·log softmax(z)_k, as cross_entropy computed it before."""
    return -np.sum(targets(labels, logits.shape[-1]) * log_softmax(logits), axis=-1)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    classes=st.integers(2, 7),
    cells=st.integers(1, 4),
    points=st.integers(1, 30),
    scale=st.sampled_from([1e-3, 1.0, 30.0, 1e4, 1e300]),
)
def test_the_picked_loss_is_the_one_hot_sum_bit_for_bit(seed, classes, cells, points, scale):
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((cells, points, classes)) * scale
    labels = rng.integers(0, classes, points)
    np.testing.assert_array_equal(cross_entropy(logits, labels), summed(logits, labels))
    np.testing.assert_array_equal(cross_entropy(logits[0], labels), summed(logits[0], labels))


def test_a_strided_view_of_logits_is_read_as_it_is():
    """The plane hands logits over as (cells, K, n) transposed to (cells, n, K)."""
    rng = np.random.default_rng(3)
    stored = rng.standard_normal((2, 3, 5)) * 4.0
    labels = np.array([0, 2, 1, 1, 0])
    view = stored.transpose(0, 2, 1)
    np.testing.assert_array_equal(cross_entropy(view, labels), summed(view.copy(), labels))
    # the seed's example: −log softmax([2, 1, 0.1])_0 = −log 0.659 (001_…, 3 s.f.)
    assert round(float(cross_entropy(np.array([[2.0, 1.0, 0.1]]), np.array([0]))[0]), 3) == 0.417
