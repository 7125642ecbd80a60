"""Benchmark losscli's sweep engine against the naive broadcast sweep and the lesson's loop.

    PYTHONPATH=. python benchmarks/bench_sweep.py            # the full table (a few minutes)
    PYTHONPATH=. python benchmarks/bench_sweep.py --quick    # G ∈ {21, 201}, n ∈ {40, 10⁴}

For every grid size G (G × G cells over [−2, 4]²), data size n and loss (mse, mae, huber with
delta 1, hinge) on the lesson's synthetic data, it times, on the same data:

* engine: `losscli.engine.sweep` with method "auto" (on every core where it shares them);
* naive: a chunked (G·G, n) numpy broadcast of the catalogue's formula, 2²⁰ predictions a
  chunk. When it would run longer than NAIVE_BUDGET seconds, it stops and the full time is
  extrapolated from the share of cells done (marked ~); the difference is over those cells;
* loop: the lesson's pure-Python compute_loss_surface, only where G²·n ≤ LOOP_LIMIT.

Peak memory is the engine sweep's peak traced by tracemalloc plus the data's own arrays
(x, y: 16 bytes a point); the workers, where used, are reported by their peak resident set
size (VmHWM in /proc for the kept workers, resource.getrusage for fresh interpreters), which
includes the interpreter and numpy. The engine's time is the median of three sweeps where
one takes under a second, else of one (or two); the first histogram sweep of the run forks
the workers, the later ones reuse them (bench_targets.py shows a first sweep apart). Only public
tools: time.perf_counter, tracemalloc, resource, /proc.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import time
import tracemalloc

import numpy as np

from losscli.catalogue import get_loss
from losscli.data.dataset import Dataset
from losscli.data.synthetic import synthetic_classification, synthetic_regression
from losscli.engine import Axis, sweep, workers

NAIVE_BUDGET = 20.0
"""Seconds the naive sweep may run before the rest is extrapolated."""

LOOP_LIMIT = 2_000_000
"""The pure-Python loop runs only up to this many loss evaluations (about a second each 10⁶)."""

CHUNK = 1 << 20
LOSSES = (("mse", {}), ("mae", {}), ("huber", {"delta": 1.0}), ("hinge", {}))


def naive_sweep(loss_name: str, params: dict, data: Dataset, w: np.ndarray) -> tuple:
    """The chunked broadcast: every cell against every point. Returns (values, seconds, done)."""
    loss = get_loss(loss_name)
    targets = data.targets_for(loss.task, loss.name)
    w1_cells = np.tile(w, len(w))  # row-major: w2 is the row, w1 the column
    w2_cells = np.repeat(w, len(w))
    values = np.full(len(w) * len(w), np.nan)
    per_chunk = max(1, CHUNK // len(data))
    start = time.perf_counter()
    done = 0
    while done < len(values):
        cells = slice(done, done + per_chunk)
        predictions = w1_cells[cells, None] * data.x + w2_cells[cells, None]
        values[cells] = loss.value(predictions, targets, **params).mean(axis=1)
        done = min(done + per_chunk, len(values))
        if time.perf_counter() - start > NAIVE_BUDGET:
            break
    seconds = time.perf_counter() - start
    return values.reshape(len(w), len(w)), seconds * len(values) / done, done == len(values)


def lesson_loop(loss_name: str, data: Dataset, w: np.ndarray) -> float:
    """The lesson's compute_loss_surface with its loss functions: seconds taken."""
    xs, ys = data.x.tolist(), data.y.tolist()

    def mse(predictions, targets):
        total = 0.0
        for prediction, target in zip(predictions, targets, strict=True):
            error = prediction - target
            total += error * error
        return total / len(predictions)

    def mae(predictions, targets):
        total = 0.0
        for prediction, target in zip(predictions, targets, strict=True):
            total += abs(prediction - target)
        return total / len(predictions)

    def huber(predictions, targets, delta=1.0):
        total = 0.0
        for prediction, target in zip(predictions, targets, strict=True):
            error = prediction - target
            magnitude = abs(error)
            if magnitude <= delta:
                total += 0.5 * error * error
            else:
                total += delta * (magnitude - 0.5 * delta)
        return total / len(predictions)

    def hinge(predictions, targets):
        total = 0.0
        for prediction, target in zip(predictions, targets, strict=True):
            margin = 1.0 - target * prediction
            total += margin if margin > 0.0 else 0.0
        return total / len(predictions)

    loss_fn = {"mse": mse, "mae": mae, "huber": huber, "hinge": hinge}[loss_name]
    grid = w.tolist()
    start = time.perf_counter()
    for w2 in grid:
        for w1 in grid:
            loss_fn([w1 * x + w2 for x in xs], ys)
    return time.perf_counter() - start


def engine_sweep(loss_name: str, params: dict, data: Dataset, axis: Axis) -> tuple:
    """(surface, seconds, peak bytes in this process) for losscli's engine: the median of
    three sweeps where one takes under a second, else one sweep."""
    loss = get_loss(loss_name)
    times = []
    while len(times) < 3 and sum(times) < 1.0:
        start = time.perf_counter()
        surface = sweep(loss, params, data, axis, axis)
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    sweep(loss, params, data, axis, axis)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return surface, statistics.median(times), peak + data.x.nbytes + data.y.nbytes


def max_relative_difference(engine: np.ndarray, naive: np.ndarray) -> float:
    done = np.isfinite(naive)
    scale = np.maximum(np.abs(naive[done]), np.finfo(float).tiny)
    return float(np.max(np.abs(engine[done] - naive[done]) / scale))


def machine() -> str:
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as info:
            model = next(line.split(":", 1)[1].strip() for line in info if "model name" in line)
    except (OSError, StopIteration):
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"{model}, {cores} cores; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, numpy {np.__version__}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only G ≤ 201 and n ≤ 10⁴")
    quick = parser.parse_args().quick
    sizes = [21, 201] if quick else [21, 201, 1001]
    counts = [40, 10_000] if quick else [40, 10_000, 1_000_000]
    print(machine())
    print(f"naive: chunks of {CHUNK} predictions, extrapolated (~) past {NAIVE_BUDGET:g} s;")
    print(f"loop: the lesson's pure Python, run where G²·n ≤ {LOOP_LIMIT:,}.")
    print()
    header = (
        f"{'G':>5} {'n':>8} {'loss':<6} {'method':<10} {'engine s':>9} {'naive s':>9} "
        f"{'×naive':>8} {'loop s':>8} {'×loop':>8} {'peak MB':>8} {'max rel diff':>12}"
    )
    print(header)
    print("-" * len(header))
    for n in counts:
        regression = synthetic_regression(n=n)
        classification = synthetic_classification(n=n)
        for steps in sizes:
            axis = Axis("w", -2.0, 4.0, steps)
            for name, params in LOSSES:
                data = classification if name == "hinge" else regression
                surface, seconds, peak = engine_sweep(name, params, data, axis)
                naive, naive_seconds, complete = naive_sweep(name, params, data, axis.values)
                mark = "" if complete else "~"
                if steps * steps * n <= LOOP_LIMIT:
                    loop = lesson_loop(name, data, axis.values)
                    loop_text, loop_ratio = f"{loop:8.3f}", f"{loop / seconds:7.0f}×"
                else:
                    loop_text, loop_ratio = f"{'skipped':>8}", f"{'':>8}"
                print(
                    f"{steps:>5} {n:>8} {name:<6} {surface.method:<10} {seconds:9.4f} "
                    f"{mark + format(naive_seconds, '.3f'):>9} "
                    f"{mark + format(naive_seconds / seconds, '.0f') + '×':>8} "
                    f"{loop_text} {loop_ratio} {peak / 2**20:8.1f} "
                    f"{max_relative_difference(surface.values, naive):12.1e}",
                    flush=True,
                )
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print()
    print(f"workers (where used): peak resident set {max(children, worker_peak()):.0f} MB")


def worker_peak() -> float:
    """The largest peak resident set of the kept workers in MB (0 if none, or no /proc)."""
    peaks = [0.0]
    for pid in workers.worker_pids():
        try:
            with open(f"/proc/{pid}/status") as status:
                line = next(line for line in status if line.startswith("VmHWM:"))
        except (OSError, StopIteration):
            continue
        peaks.append(int(line.split()[1]) / 1024)
    return max(peaks)


if __name__ == "__main__":
    main()
