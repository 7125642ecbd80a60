"""Every loss on a fast path: whole `losscli surface` commands, before and after, side by side.

    PYTHONPATH=. python benchmarks/bench_losses.py --before ae7103f          # G = 1001, n = 10⁶
    PYTHONPATH=. python benchmarks/bench_losses.py --before ae7103f --repeat 3 --only log-cosh
    PYTHONPATH=. python benchmarks/bench_losses.py --steps 201 --n 100000    # after only

Each case runs `python -m losscli surface -l LOSS --steps G --n N --format json` (method
auto, plus its window) as a separate process, once with this tree on PYTHONPATH and, with
--before REV, once with that commit's tree (`git archive` into a temporary folder), in
alternating rounds; it reports the median wall time and the median CPU time (user + system of
the command and the worker it forks, from `resource.getrusage(RUSAGE_CHILDREN)`), the ratios
before/after, the method each ran and the largest relative difference between their values.
The machine is shared, so CPU seconds say more than wall seconds where it is loaded. It also
times the sweep alone in this process on one core (CPU seconds, `workers.by_columns` kept
from sharing it) beside this tree's own estimate of it (`Method.seconds`, one core), and their
ratio (the issue asks for within 2×).
Siblings (logistic, hinge) run alongside the losses that were left behind.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from losscli.catalogue import get_loss
from losscli.data.synthetic import synthetic_classification, synthetic_regression
from losscli.engine import Axis, Job, sweep, workers
from losscli.engine.registry import choose_method

HERE = Path(__file__).resolve().parent.parent

WIDE = (("--w1-range", "-2", "8"), ("--w2-range", "-3", "3"))
KINKS = (("--w2-range", "-20", "20"),)


@dataclass(frozen=True)
class Case:
    loss: str
    label: str
    window: tuple[tuple[str, str, str], ...] = ()


CASES = (
    Case("log-cosh", "default"),
    Case("exponential", "default"),
    Case("exponential", "wide", WIDE),
    Case("logistic", "default"),
    Case("logistic", "wide", WIDE),
    Case("zero-one", "default"),
    Case("zero-one", "wide", WIDE),
    Case("hinge", "default"),
    Case("hinge", "wide", WIDE),
    Case("bce", "default"),
    Case("bce", "w2 ±20", KINKS),
    Case("dice", "default"),
)


def run(tree: Path, case: Case, steps: int, count: int, out: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one whole command with `tree` on PYTHONPATH."""
    command = [sys.executable, "-m", "losscli", "surface", "-l", case.loss]
    command += ["--steps", str(steps), "--n", str(count), "--format", "json", "-q"]
    command += ["--max-seconds", "3600"]  # the slow paths before, on a loaded machine
    for option, low, high in case.window:
        command += [option, low, high]
    environment = {**os.environ, "PYTHONPATH": str(tree)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with out.open("w") as sink:
        subprocess.run(command, stdout=sink, check=True, env=environment, cwd=out.parent)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def surface(path: Path) -> tuple[str, np.ndarray]:
    first = json.loads(path.read_text())["surfaces"][0]
    return first["method"], np.array(first["values"], dtype=np.float64)


def estimate(case: Case, steps: int, count: int) -> tuple[float, float, float]:
    """This tree's estimate of the sweep (one core, and as run on two processes), and the
    CPU seconds the sweep itself takes in this process on one core (`by_columns` kept from
    sharing it: the estimate's own terms)."""
    loss = get_loss(case.loss)
    params = loss.resolve_params({})
    regression = loss.task == "regression"
    data = synthetic_regression(n=count) if regression else synthetic_classification(n=count)
    ranges = {option: (float(low), float(high)) for option, low, high in case.window}
    w1 = Axis("w1", *ranges.get("--w1-range", (-2.0, 4.0)), steps)
    w2 = Axis("w2", *ranges.get("--w2-range", (-2.0, 4.0)), steps)
    job = Job(loss, params, count, w1, w2, data)
    method = choose_method(job, "auto")
    one, expected = method.seconds(job), method.expected_seconds(job)
    workers.use(1)  # one core: what `seconds` estimates
    try:
        start = time.process_time()
        sweep(loss, params, data, w1, w2)
        took = time.process_time() - start
    finally:
        workers.use(None)
    return one, expected, took


def checkout(revision: str, folder: Path) -> Path:
    """The tree of `revision` (its losscli package) in `folder`."""
    archive = folder / "before.tar"
    with archive.open("wb") as sink:
        subprocess.run(["git", "archive", revision, "losscli"], stdout=sink, check=True, cwd=HERE)
    with tarfile.open(archive) as tar:
        tar.extractall(folder / "before", filter="data")
    return folder / "before"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1001)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1, help="rounds (medians reported)")
    parser.add_argument("--before", metavar="REV", help="a commit to run side by side")
    parser.add_argument("--only", action="append", help="only these losses (repeatable)")
    options = parser.parse_args()
    cases = [c for c in CASES if not options.only or c.loss in options.only]
    print(f"G = {options.steps}, n = {options.n}, whole process, medians of {options.repeat}")
    print(f"machine: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f} at the start")
    header = f"{'loss':12} {'window':8} {'method':9} {'wall s':>7} {'CPU s':>7}"
    header += f" {'sweep 1 core':>12} {'est':>6} {'×est':>5}"
    if options.before:
        header += f" | {'before':9} {'wall s':>7} {'CPU s':>7}"
        header += f" {'×wall':>6} {'×CPU':>6} {'max rel':>8}"
    print(header)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        old = checkout(options.before, folder) if options.before else None
        new = folder / "after"  # this tree as it is now, whatever is edited while this runs
        shutil.copytree(HERE / "losscli", new / "losscli")
        for case in cases:
            after, before = [], []
            for _ in range(options.repeat):
                after.append(run(new, case, options.steps, options.n, folder / "after.json"))
                if old is not None:
                    before.append(run(old, case, options.steps, options.n, folder / "old.json"))
            wall = statistics.median(a[0] for a in after)
            cpu = statistics.median(a[1] for a in after)
            one, _, took = estimate(case, options.steps, options.n)
            method, values = surface(folder / "after.json")
            line = f"{case.loss:12} {case.label:8} {method:9} {wall:7.2f} {cpu:7.2f}"
            line += f" {took:12.2f} {one:6.2f} {took / one:5.2f}"
            if old is not None:
                old_wall = statistics.median(b[0] for b in before)
                old_cpu = statistics.median(b[1] for b in before)
                old_method, old_values = surface(folder / "old.json")
                with np.errstate(divide="ignore", invalid="ignore"):
                    gap = np.abs(values - old_values) / np.abs(old_values)
                differs = float(np.max(np.where(np.isfinite(gap), gap, 0.0)))
                line += f" | {old_method:9} {old_wall:7.2f} {old_cpu:7.2f}"
                line += f" {old_wall / wall:6.1f} {old_cpu / cpu:6.1f} {differs:8.1e}"
            print(line, flush=True)


if __name__ == "__main__":
    main()
