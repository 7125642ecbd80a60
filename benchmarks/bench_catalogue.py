"""Every catalogue loss as a whole `losscli surface` process, against the engine's own estimate
(issue 15: each ≤ 6 s at G = 1001 over n = 10⁶, none on the direct method, every estimate
within 2× of what the sweep then takes).

    PYTHONPATH=. python benchmarks/bench_catalogue.py                  # G = 1001, n = 10⁶
    PYTHONPATH=. python benchmarks/bench_catalogue.py --small          # G = 201, n = 10⁴
    PYTHONPATH=. python benchmarks/bench_catalogue.py -l exponential --w1-range -2 8 --w2-range -3 3

Each loss runs `python -m losscli surface -l NAME --steps G --n N --format json -o FILE` (on
the synthetic data of its task, as the command chooses it) --repeat times as a fresh process,
and the row gives medians: from inside the process, the method that ran, the estimate
`--max-seconds` reads (`engine.check_budget`'s total), the sweep's wall time (`engine.sweep`)
and its ratio to the estimate, and `busy`, the CPU time of the sweep's longer part (this
process's, or a forked worker's, ended after the sweep to count it) and its ratio: what the
sweep takes on free cores, which is what the estimate says; then the whole process's wall time
and CPU time (every process it started). The process is the command's own entry point with
those two engine functions wrapped to note their results, which costs microseconds.

A row passes when the whole process takes at most --limit seconds off the direct method
(`fast`) and the estimate is within 2× of the sweep: on its wall time (`wall`), which on a
shared, loaded machine is longer than on free cores, and on `busy`, which is not (the load is
printed first). Standard library and numpy only.
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

def cpu(who):
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime

noted = {}
check_budget, sweep = engine.check_budget, engine.sweep

def noting_budget(*args, **kwargs):
    noted["estimate"] = check_budget(*args, **kwargs)
    return noted["estimate"]

def noting_sweep(*args, **kwargs):
    own, reaped = cpu(resource.RUSAGE_SELF), cpu(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    surface = sweep(*args, **kwargs)
    noted["sweep"] = time.perf_counter() - start
    noted["sweep_own"] = cpu(resource.RUSAGE_SELF) - own
    workers.stop_workers()  # reaped: their time counted below
    noted["sweep_worker"] = cpu(resource.RUSAGE_CHILDREN) - reaped
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
    if done.returncode == 2 and "--max-seconds" in done.stderr:  # refused on its estimate
        return {"refused": done.stderr.strip().splitlines()[-1]}
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
    parser.add_argument(
        "--max-seconds", default="600", help="the command's own limit: longer sweeps refused"
    )
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
        f"{'busy':>8} {'ratio':>6} {'process':>8} {'cpu':>7}  fast  wall  busy"
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
                options.max_seconds,
            ]
            runs = [run_once(args, notes) for _ in range(options.repeat)]
            if "refused" in runs[0]:
                failed += 1
                print(f"{name:14} {str(runs[0]['refused']).removeprefix('Error: ')}", flush=True)
                continue
            for run in runs:  # a sweep's time on free cores: its longer part's CPU time
                run["busy"] = max(float(run["sweep_own"]), float(run["sweep_worker"]))
            wall, cpu, swept, estimate, busy = (
                statistics.median(float(run[key]) for run in runs)
                for key in ("wall", "cpu", "sweep", "estimate", "busy")
            )
            method = str(runs[-1]["method"])
            fast = wall <= options.limit and method != "direct"
            honest = [0.5 <= ratio <= 2.0 for ratio in (swept / estimate, busy / estimate)]
            failed += not (fast and honest[1])
            verdicts = ["pass" if ok else "FAIL" for ok in (fast, *honest)]
            print(
                f"{name:14} {method:10} {estimate:9.3f} {swept:8.3f} {swept / estimate:6.2f} "
                f"{busy:8.3f} {busy / estimate:6.2f} {wall:8.3f} {cpu:7.3f}  "
                + "  ".join(verdicts),
                flush=True,
            )
    print(f"{failed} rows failing (fast, or the estimate against busy)")


if __name__ == "__main__":
    main()
