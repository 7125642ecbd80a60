"""Every catalogue loss as a whole `losscli surface` process, against the engine's own estimate
(issue 15: each ≤ 6 s at G = 1001 over n = 10⁶, none on the direct method, every estimate
within 2× of what the sweep then takes).

    PYTHONPATH=. python benchmarks/bench_catalogue.py                  # G = 1001, n = 10⁶
    PYTHONPATH=. python benchmarks/bench_catalogue.py --small          # G = 201, n = 10⁴
    PYTHONPATH=. python benchmarks/bench_catalogue.py -l exponential --w1-range -2 8 --w2-range -3 3

Each loss runs `python -m losscli surface -l NAME --steps G --n N --format json -o FILE` (on
the synthetic data of its task, as the command chooses it) --repeat times as a fresh process,
and the row gives medians: the whole process's wall time and CPU time (every process it
started included), and from inside it, the method that ran, the estimate `--max-seconds` reads
(`engine.check_budget`'s total) and the sweep's own wall time and CPU time (`engine.sweep`;
a worker it forked is ended after it, its time counted). The process is the command's own
entry point with those two functions wrapped to note their results, which costs microseconds.
`ratio` is the sweep's wall time over the estimate. A row passes when the whole process takes
≤ --limit seconds off the direct method (`fast`) and the ratio is within [1/2, 2] (`est`).
Standard library and numpy only. The machine's load is printed first: on a shared machine
every wall time is longer than on free cores, which the estimate assumes (a sweep's CPU time
over its estimate is then about the number of processes it ran in).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

RUNNER = """
import json, os, resource, sys, time
from losscli import engine
from losscli.cli import main
from losscli.engine import workers

def cpu():
    used = (resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return sum(usage.ru_utime + usage.ru_stime for usage in used)

noted = {}
check_budget, sweep = engine.check_budget, engine.sweep

def noting_budget(*args, **kwargs):
    noted["estimate"] = check_budget(*args, **kwargs)
    return noted["estimate"]

def noting_sweep(*args, **kwargs):
    start, used = time.perf_counter(), cpu()
    surface = sweep(*args, **kwargs)
    noted["sweep"] = time.perf_counter() - start
    getattr(workers, "stop_worker", lambda: None)()  # reaped: its time counted below
    noted["sweep_cpu"] = cpu() - used
    noted["method"] = surface.method
    with open(os.environ["BENCH_NOTES"], "w") as notes:
        json.dump(noted, notes)
    return surface

engine.check_budget, engine.sweep = noting_budget, noting_sweep
sys.argv[0] = "losscli"
main()
"""


def catalogue() -> list[str]:
    """The catalogue's losses, by name, as `losscli losses` lists them."""
    from losscli.catalogue import CATALOGUE

    return list(CATALOGUE)


def run_once(args: list[str], notes: Path) -> dict[str, float | str]:
    """One whole process: its wall and CPU seconds, and what it noted."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BENCH_NOTES": str(notes)}
    notes.unlink(missing_ok=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)}: exit {done.returncode}: {done.stderr.strip()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    noted = json.loads(notes.read_text())
    return {"wall": wall, "cpu": cpu, **noted}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1001)
    parser.add_argument("--n", type=int, default=10**6)
    parser.add_argument("--small", action="store_true", help="G = 201, n = 10⁴")
    parser.add_argument("--w1-range", nargs=2, default=("-2", "4"))
    parser.add_argument("--w2-range", nargs=2, default=("-2", "4"))
    parser.add_argument("--repeat", type=int, default=3, help="processes per loss (median)")
    parser.add_argument("--limit", type=float, default=6.0, help="whole-process target, s")
    parser.add_argument("-l", "--losses", action="append", help="only these losses")
    options = parser.parse_args()
    steps, n = (201, 10**4) if options.small else (options.steps, options.n)
    print(
        f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; Python {sys.version.split()[0]}"
    )
    print(
        f"G = {steps}, n = {n}, w1 {options.w1_range}, w2 {options.w2_range}, "
        f"median of {options.repeat} processes"
    )
    head = (
        f"{'loss':14} {'method':10} {'estimate':>9} {'sweep':>8} {'ratio':>6} "
        f"{'cpu':>7} {'process':>8} {'cpu':>7}  fast est"
    )
    print(head)
    failed = 0
    with tempfile.TemporaryDirectory() as scratch:
        notes, output = Path(scratch, "notes.json"), Path(scratch, "surface.json")
        for name in options.losses or catalogue():
            args = [
                "surface",
                "-l",
                name,
                "--steps",
                str(steps),
                "--n",
                str(n),
                "--w1-range",
                *options.w1_range,
                "--w2-range",
                *options.w2_range,
                "--format",
                "json",
                "-o",
                str(output),
                "--quiet",
                "--max-seconds",
                "1e9",
            ]
            runs = [run_once(args, notes) for _ in range(options.repeat)]
            wall, cpu, swept, estimate, swept_cpu = (
                statistics.median(float(run[key]) for run in runs)
                for key in ("wall", "cpu", "sweep", "estimate", "sweep_cpu")
            )
            method = str(runs[-1]["method"])
            ratio = swept / estimate
            fast = wall <= options.limit and method != "direct"
            honest = 0.5 <= ratio <= 2.0
            failed += not (fast and honest)
            print(
                f"{name:14} {method:10} {estimate:9.3f} {swept:8.3f} {ratio:6.2f} "
                f"{swept_cpu:7.3f} {wall:8.3f} {cpu:7.3f}  {'pass' if fast else 'FAIL'} "
                f"{'pass' if honest else 'FAIL'}",
                flush=True,
            )
    print(f"{failed} rows failing")


if __name__ == "__main__":
    main()
