"""Benchmark the binned sweep of smooth losses: time, peak memory, error against direct.

    PYTHONPATH=. python benchmarks/bench_binned.py                 # logistic, G = 1001, n = 10⁶
    PYTHONPATH=. python benchmarks/bench_binned.py --all --repeat 3
    PYTHONPATH=. python benchmarks/bench_binned.py --steps 201 --n 10000 --all \
        --method binned --direct

For each loss it times `losscli.engine.sweep` over a G × G grid on [−2, 4]² (method "auto",
which takes binned there), the fastest of --repeat runs; traces the peak of a further run with
tracemalloc (numpy's arrays included), and reports it with the data's own arrays (x, y: 16
bytes a point) and the process's maximum resident set; then evaluates every STRIDE-th row and
column directly, point by point in float64, and reports the largest relative difference and
the bound the surface declares. bce and dice are assembled from binned sums
(`losscli.engine.binned_forms`); --wide sweeps w2 over [−20, 20] as well, past bce's kinks at
|p| ≈ 16.1, and --direct times a direct sweep too (small sizes: hours at the largest), with the
ratio. Only public tools: time.perf_counter, tracemalloc, resource.
"""

from __future__ import annotations

import argparse
import itertools
import resource
import time
import tracemalloc

import numpy as np

from losscli.catalogue import get_loss
from losscli.data.synthetic import synthetic_classification, synthetic_regression
from losscli.engine import METHODS, Axis, Job, sweep

LOSSES = ("logistic", "focal", "exponential", "log-cosh", "bce", "dice")
STRIDE = 50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1001)
    parser.add_argument("--n", type=int, default=10**6)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--all", action="store_true", help="every binned loss, not only logistic")
    parser.add_argument("--wide", action="store_true", help="w2 over [-20, 20] as well")
    parser.add_argument("--direct", action="store_true", help="time a direct sweep too")
    parser.add_argument("--method", default="auto", help="auto (default) or binned")
    args = parser.parse_args()
    axis = Axis("w1", -2.0, 4.0, args.steps)
    print(f"G = {args.steps}, n = {args.n}, w1 in [-2, 4], sub-grid every {STRIDE}th row/column")
    header = f"{'loss':12} {'w2':9} {'method':8} {'seconds':>8} {'direct est.':>12} {'peak MB':>8}"
    print(header + f" {'max rel diff':>13} {'declared':>9}" + (" direct s  ratio" * args.direct))
    windows = [(-2.0, 4.0), (-20.0, 20.0)] if args.wide else [(-2.0, 4.0)]
    for name, (low, high) in itertools.product(LOSSES if args.all else LOSSES[:1], windows):
        w2 = Axis("w2", low, high, args.steps)
        loss = get_loss(name)
        params = loss.resolve_params({})
        regression = loss.task == "regression"
        data = synthetic_regression(n=args.n) if regression else synthetic_classification(n=args.n)
        seconds = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            surface = sweep(loss, params, data, axis, w2, method=args.method)
            seconds.append(time.perf_counter() - start)
        tracemalloc.start()
        sweep(loss, params, data, axis, w2, method=args.method)
        peak = tracemalloc.get_traced_memory()[1] + data.x.nbytes + data.y.nbytes
        tracemalloc.stop()
        targets = data.targets_for(loss.task, name)
        worst = 0.0
        for col in range(0, args.steps, STRIDE):
            scores = surface.w1[col] * data.x
            for row in range(0, args.steps, STRIDE):
                exact = float(np.mean(loss.value(scores + surface.w2[row], targets, **params)))
                worst = max(worst, abs(surface.values[row, col] - exact) / abs(exact))
        direct = METHODS["direct"].seconds(Job(loss, params, args.n, axis, w2))
        line = f"{name:12} [{low:g}, {high:g}] {surface.method:8} {min(seconds):8.3f}"
        line += f" {direct:10.0f} s {peak / 2**20:8.1f} {worst:13.1e} {surface.error or 0.0:9.1e}"
        if args.direct:
            start = time.perf_counter()
            sweep(loss, params, data, axis, w2, method="direct")
            took = time.perf_counter() - start
            line += f" {took:8.2f} {took / min(seconds):6.0f}×"
        print(line, flush=True)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"maximum resident set of this process: {rss:.0f} MB (interpreter, numpy, data)")


if __name__ == "__main__":
    main()
