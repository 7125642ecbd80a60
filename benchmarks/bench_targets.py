"""Repeat the target rows of issue 4 side by side: the engine R times, the naive sweep 3 times.

    PYTHONPATH=. python benchmarks/bench_targets.py            # G = 201, n = 10⁴ (half a minute)
    PYTHONPATH=. python benchmarks/bench_targets.py --large    # G = 1001, n = 10⁶, engine only

The machine varies by ±30 % between runs, so single timings (bench_sweep.py) can mislead: this
prints the engine's min and median over --repeat runs of `losscli.engine.sweep` (method auto)
and, for G = 201, the median of three naive broadcast sweeps and the ratio of the medians.
Each loss starts without forked workers (`losscli.engine.workers`), so its first run ("first")
pays for the forks, as the first sweep of a command does; the later runs reuse the workers.
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench_sweep import LOSSES, machine, naive_sweep

from losscli.catalogue import get_loss
from losscli.data.synthetic import synthetic_classification, synthetic_regression
from losscli.engine import Axis, sweep, workers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="G = 1001, n = 10⁶ (engine only)")
    parser.add_argument("--repeat", type=int, default=10, help="engine runs per row")
    options = parser.parse_args()
    steps, count = (1001, 1_000_000) if options.large else (201, 10_000)
    print(machine())
    regression, classification = synthetic_regression(n=count), synthetic_classification(n=count)
    axis = Axis("w", -2.0, 4.0, steps)
    for name, params in LOSSES[1:]:  # the piecewise losses
        data = classification if name == "hinge" else regression
        loss = get_loss(name)
        times = []
        workers.stop_workers()
        for _ in range(options.repeat):
            start = time.perf_counter()
            surface = sweep(loss, params, data, axis, axis)
            times.append(time.perf_counter() - start)
        engine = statistics.median(times)
        line = f"G={steps} n={count} {name:<6} {surface.method}: engine first {times[0]:.4f} s, "
        line += f"min {min(times):.4f} s, median {engine:.4f} s"
        if not options.large:
            naive = statistics.median(
                naive_sweep(name, params, data, axis.values)[1] for _ in "abc"
            )
            line += f"; naive median {naive:.3f} s; ×{naive / engine:.0f}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
