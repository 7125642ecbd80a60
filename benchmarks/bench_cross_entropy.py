"""Benchmark cross_entropy without smoothing (−log softmax picked at the label) side by side
with the one-hot sum it replaced (−Σ_k onehot_k·log softmax(z)_k, targets built each call).

    PYTHONPATH=. python benchmarks/bench_cross_entropy.py              # the plane's blocks
    PYTHONPATH=. python benchmarks/bench_cross_entropy.py --repeat 200

The shapes are the blocks `losscli.slices.plane` hands the loss for n = 1000 points and K = 3
(69 cells for softmax regression 2-3, 7 for the MLP 2-64-64-3), as the plane does: logits
stored (cells, K, n) and read through a transposed view. The two run alternately, --repeat
times each; medians, their ratio, and whether the values agree bit for bit.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from losscli.catalogue.multiclass import cross_entropy, log_softmax, targets


def one_hot_sum(logits, labels):
    """The replaced formula: one-hot targets times the full log-softmax, summed."""
    return -np.sum(targets(labels, logits.shape[-1]) * log_softmax(logits), axis=-1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--points", type=int, default=1000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, args.points)
    print(f"n = {args.points}, K = 3; medians of {args.repeat} alternating runs")
    print(f"{'block':28} {'one-hot sum ms':>14} {'picked ms':>10} {'ratio':>6} {'same bits':>9}")
    for name, cells in (("softmax 2-3 (69 cells)", 69), ("mlp 2-64-64-3 (7 cells)", 7)):
        logits = (rng.standard_normal((cells, 3, args.points)) * 3.0).transpose(0, 2, 1)
        old, new = [], []
        for _ in range(args.repeat):
            start = time.perf_counter()
            before = one_hot_sum(logits, labels)
            old.append(time.perf_counter() - start)
            start = time.perf_counter()
            after = cross_entropy(logits, labels)
            new.append(time.perf_counter() - start)
        slow, fast = statistics.median(old), statistics.median(new)
        same = bool(np.array_equal(before, after))
        print(f"{name:28} {slow * 1e3:14.3f} {fast * 1e3:10.3f} {slow / fast:5.2f}× {same!s:>9}")


if __name__ == "__main__":
    main()
