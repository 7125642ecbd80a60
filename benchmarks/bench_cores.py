"""The engine on every core: mae, huber and logistic at G = 1001, n = 10⁶ with k = 1, 2, …
processes side by side, and the small sweeps beside another checkout (before the change).

    PYTHONPATH=. python benchmarks/bench_cores.py                    # k = 1 … the cores
    PYTHONPATH=. python benchmarks/bench_cores.py --small --compare ../before

Scaling: for each loss, `losscli.engine.sweep` (method auto: piecewise, piecewise, binned) with
`losscli.engine.use_workers(k)` for every k up to the cores this process may use (or
--most), the k interleaved within each of --repeat rounds so that a change of load on a
shared machine falls on all of them alike; each k's first sweep (which starts its workers) is
left out. It prints each k's median, the speed-up time₁/timeₖ and the target's ratio
timeₖ / (time₁ / k), which should be at most 1.3 (first, how many cores the machine gives
the run now: k busy loops at once against one, which other work on a shared machine lowers);
and the CPU time of all k processes (this one's `time.process_time`, the workers' utime +
stime from /proc, 10 ms ticks) over one process's: the work sharing adds, which load changes
far less than the wall times it makes meaningless.

Small sweeps (--small): the lesson's 21 × 21 grid on its 40 points and G = 201 over 10⁴ points
(engine medians, in a fresh interpreter per checkout), and the whole `losscli surface`
(default, its wall time), for this checkout and for --compare's, interleaved round by round;
the ratio is this one's median over the other's (under 1: faster now).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench_sweep import machine

from losscli.catalogue import get_loss
from losscli.data.synthetic import synthetic_classification, synthetic_regression
from losscli.engine import Axis, sweep, use_workers, workers

ROOT = Path(__file__).resolve().parent.parent
TARGET = 1.3
"""time_k / (time_1 / k) at most this (issue 15)."""

SMALL = """
import json, statistics, sys, time
from losscli.catalogue import get_loss
from losscli.data.synthetic import synthetic_classification, synthetic_regression
from losscli.engine import Axis, sweep
found = {}
for steps, n, repeat in ((21, 40, 300), (201, 10_000, 40)):
    axis = Axis("w", -2.0, 4.0, steps)
    sets = {"regression": synthetic_regression(n=n)}
    sets["classification"] = synthetic_classification(n=n)
    for name in ("mse", "mae", "huber", "hinge"):
        loss = get_loss(name)
        data = sets[loss.task]
        sweep(loss, {}, data, axis, axis)  # the first starts any worker
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            sweep(loss, {}, data, axis, axis)
            times.append(time.perf_counter() - start)
        found[f"G={steps} n={n} {name}"] = statistics.median(times)
print(json.dumps(found))
"""
"""Engine medians of the small sweeps, in a fresh interpreter (each checkout's own code)."""


def cpu_seconds() -> float:
    """CPU time so far of this process and of its kept workers (their /proc ticks)."""
    ticks = 0
    for pid in workers.worker_pids():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return time.process_time() + ticks / os.sysconf("SC_CLK_TCK")


def spin(count: int = 10_000_000) -> None:
    """A loop of pure Python: one core's work, nothing shared."""
    total = 0
    for i in range(count):
        total += i


def capacity(most: int) -> float:
    """How many cores the machine gives this run now: `most` busy loops at once against one."""
    import multiprocessing

    context = multiprocessing.get_context("fork" if workers.can_fork() else "spawn")
    walls = []
    for count in (1, most):
        start = time.perf_counter()
        loops = [context.Process(target=spin) for _ in range(count)]
        for loop in loops:
            loop.start()
        for loop in loops:
            loop.join()
        walls.append(time.perf_counter() - start)
    return most * walls[0] / walls[1]


def scaling(most: int, repeat: int) -> None:
    counts = list(range(1, most + 1))
    regression = synthetic_regression(n=1_000_000)
    classification = synthetic_classification(n=1_000_000)
    axis = Axis("w", -2.0, 4.0, 1001)
    print(f"cores given now: {capacity(most):.2f} of {most} (busy loops at once against one)")
    print(
        f"G = 1001, n = 1000000, k = 1 … {most}, median of {repeat} (first sweep of each k apart)"
    )
    print(
        f"{'loss':<9} {'method':<10} {'k':>2} {'first s':>8} {'median s':>9} {'speed-up':>9} "
        f"{'t_k/(t_1/k)':>12} {'cpu_k/cpu_1':>11}"
    )
    for name in ("mae", "huber", "logistic"):
        loss = get_loss(name)
        data = classification if loss.task == "classification" else regression
        times: dict[int, list[float]] = {k: [] for k in counts}
        cpu: dict[int, list[float]] = {k: [] for k in counts}
        first: dict[int, float] = {}
        method = ""
        for round_ in range(repeat + 1):
            for k in counts:
                use_workers(k)
                start, used = time.perf_counter(), cpu_seconds()
                method = sweep(loss, {}, data, axis, axis).method
                seconds = time.perf_counter() - start
                if round_ == 0:
                    first[k] = seconds
                else:
                    times[k].append(seconds)
                    cpu[k].append(cpu_seconds() - used)
        one, one_cpu = statistics.median(times[1]), statistics.median(cpu[1])
        for k in counts:
            median = statistics.median(times[k])
            ratio = median / (one / k)
            mark = "" if ratio <= TARGET else "  over"
            print(
                f"{name:<9} {method:<10} {k:>2} {first[k]:8.3f} {median:9.3f} "
                f"{one / median:8.2f}× {ratio:12.2f} {statistics.median(cpu[k]) / one_cpu:9.2f}"
                f"{mark}",
                flush=True,
            )
        workers.stop_workers()
    use_workers(None)


def small(other: Path, repeat: int) -> None:
    trees = {"this": ROOT, "other": other.resolve()}
    engine: dict[str, dict[str, list[float]]] = {tree: {} for tree in trees}
    whole: dict[str, list[float]] = {tree: [] for tree in trees}
    for _ in range(repeat):
        for tree, path in trees.items():
            env = {**os.environ, "PYTHONPATH": str(path)}
            found = json.loads(
                subprocess.run(
                    [sys.executable, "-c", SMALL], env=env, capture_output=True, check=True
                ).stdout
            )
            for case, seconds in found.items():
                engine[tree].setdefault(case, []).append(seconds)
            start = time.perf_counter()
            command = [sys.executable, "-m", "losscli", "surface"]
            subprocess.run(command, env=env, stdout=subprocess.DEVNULL, check=True)
            whole[tree].append(time.perf_counter() - start)
    print(f"small sweeps, this checkout against {other}: medians of {repeat} rounds")
    print(f"{'case':<24} {'this ms':>9} {'other ms':>9} {'ratio':>7}")
    rows = [(case, engine["this"][case], engine["other"][case]) for case in engine["this"]]
    rows.append(("losscli surface (whole)", whole["this"], whole["other"]))
    for case, these, those in rows:
        now, before = statistics.median(these), statistics.median(those)
        print(f"{case:<24} {1e3 * now:9.3f} {1e3 * before:9.3f} {now / before:7.2f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="rounds (medians over them)")
    parser.add_argument("--most", type=int, default=workers.cores(), help="the largest k")
    parser.add_argument("--small", action="store_true", help="only the small sweeps")
    parser.add_argument("--compare", type=Path, help="another checkout, for the small sweeps")
    options = parser.parse_args()
    print(machine())
    if not options.small:
        scaling(options.most, options.repeat)
    if options.compare is not None:
        small(options.compare, max(options.repeat, 5))


if __name__ == "__main__":
    main()
