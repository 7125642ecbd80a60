"""Time each loss's true minimum (`losscli.engine.optimum`) on n synthetic points.

    PYTHONPATH=. python benchmarks/bench_optimum.py [N]     # default N = 1000000

x is uniform in [-1, 1]; regression targets lie on 1.5·x + 0.5 with noise 0.5, and labels are
the sign of the same line with noise, so that no line separates them. Each time is the median
of three runs.
"""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np

from losscli.catalogue import get_loss
from losscli.data.dataset import Dataset
from losscli.engine.optimum import find_optimum

LOSSES = (
    "mse", "mae", "quantile", "huber", "log-cosh", "hinge", "squared-hinge", "logistic",
    "exponential", "zero-one",
)  # fmt: skip


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rng = np.random.default_rng(1)
    x = rng.uniform(-1.0, 1.0, n)
    y = 1.5 * x + 0.5 + rng.normal(0.0, 0.5, n)
    t = np.where(1.5 * x + 0.5 + rng.normal(0.0, 0.5, n) > 0.0, 1.0, -1.0)
    print(f"n = {n}")
    for name in LOSSES:
        loss = get_loss(name)
        data = Dataset(x, y if loss.task == "regression" else t, "bench", {})
        params = loss.resolve_params({})
        times = []
        for _ in range(3):
            start = time.perf_counter()
            found = find_optimum(loss, params, data)
            times.append(time.perf_counter() - start)
        print(f"{name:14s} {statistics.median(times):8.3f} s   {found}")


if __name__ == "__main__":
    main()
