"""Each catalogue loss's estimate against the time its sweep then takes (issue 15: within 2×).

    PYTHONPATH=. python benchmarks/bench_estimates.py                      # G = 1001, n = 10⁶
    PYTHONPATH=. python benchmarks/bench_estimates.py --steps 201 --n 100000
    PYTHONPATH=. python benchmarks/bench_estimates.py --w1-range -2 8 --w2-range -3 3 -l exponential

For every loss of `losscli losses` (or those named with -l) on the lesson's synthetic data of
its task, it prints the method `auto` chooses and its estimate (`losscli.engine.expect`, what
`--max-seconds` and the progress bar read, the workers counted), then times
`losscli.engine.sweep` --repeat times and reports the median wall time and its ratio to the
estimate; also this process's CPU time (`time.process_time`, median) and its ratio, which on a
shared, loaded machine shows what the sweep would take on free cores (the workers' parts are
not in it, as the estimate counts them done alongside).
Sweeps estimated over --cap seconds are not run (bce and dice are direct: hours at 10⁶).
Each loss starts without forked workers, as a command does.
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench_sweep import machine

from losscli.catalogue import CATALOGUE, get_loss
from losscli.data.synthetic import synthetic_classification, synthetic_regression
from losscli.engine import Axis, expect, sweep, workers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1001)
    parser.add_argument("--n", type=int, default=10**6)
    parser.add_argument("--w1-range", type=float, nargs=2, default=(-2.0, 4.0))
    parser.add_argument("--w2-range", type=float, nargs=2, default=(-2.0, 4.0))
    parser.add_argument("--repeat", type=int, default=1, help="sweeps timed per loss")
    parser.add_argument("--cap", type=float, default=120.0, help="skip sweeps estimated longer")
    parser.add_argument("-l", "--loss", action="append", help="only these losses")
    options = parser.parse_args()
    print(machine())
    w1 = Axis("w1", *options.w1_range, options.steps)
    w2 = Axis("w2", *options.w2_range, options.steps)
    print(f"G = {options.steps}, n = {options.n}, w1 {options.w1_range}, w2 {options.w2_range}")
    data = {
        "regression": synthetic_regression(n=options.n),
        "classification": synthetic_classification(n=options.n),
    }
    ratio = f"{'ratio':>6}"
    print(f"{'loss':14} {'method':10} {'estimate':>9} {'actual':>9} {ratio} {'cpu':>9} {ratio}")
    for name in options.loss or list(CATALOGUE):
        loss = get_loss(name)
        params = loss.resolve_params({})
        dataset = data[loss.task]
        try:
            method, estimate = expect(loss, params, options.n, w1, w2, dataset=dataset)
        except TypeError:  # a tree before the estimates read the data
            method, estimate = expect(loss, params, options.n, w1, w2)
        line = f"{name:14} {method:10} {estimate:9.3f}"
        if estimate > options.cap:
            print(f"{line} {'(not run)':>9}", flush=True)
            continue
        workers.stop_workers()
        times, cpus = [], []
        for _ in range(options.repeat):
            start, cpu = time.perf_counter(), time.process_time()
            surface = sweep(loss, params, dataset, w1, w2)
            times.append(time.perf_counter() - start)
            cpus.append(time.process_time() - cpu)
        actual, cpu = statistics.median(times), statistics.median(cpus)
        ran = "" if surface.method == method else f" (ran {surface.method})"
        line += f" {actual:9.3f} {actual / estimate:6.2f} {cpu:9.3f} {cpu / estimate:6.2f}{ran}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
