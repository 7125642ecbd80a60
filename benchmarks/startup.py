"""Start-up cost of `losscli --help` and of one completion request, as whole processes.

Each command runs `--runs` times (default 30) after two warm-up runs; the median wall time is
printed beside `python -c pass`, the floor any Python command pays. Run from the repository
root:  python benchmarks/startup.py
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMPLETION = {
    "_LOSSCLI_COMPLETE": "bash_complete",
    "COMP_WORDS": "losscli surface --loss h",
    "COMP_CWORD": "3",
}
CASES = [
    ("python -c pass", ["-c", "pass"], {}),
    ("losscli --help", ["-m", "losscli", "--help"], {}),
    ("completion: surface --loss h<TAB>", ["-m", "losscli"], COMPLETION),
    ("losscli surface --loss mse (for scale)", ["-m", "losscli", "surface", "--loss", "mse"], {}),
]


def median_seconds(args: list[str], extra_env: dict[str, str], runs: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **extra_env}
    times = []
    for run in range(runs + 2):
        start = time.perf_counter()
        subprocess.run([sys.executable, *args], env=env, stdout=subprocess.DEVNULL, check=True)
        if run >= 2:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    floor = None
    for label, args, env in CASES:
        seconds = median_seconds(args, env, runs)
        floor = floor or seconds
        print(f"{label:42} {seconds * 1000:7.1f} ms   +{(seconds - floor) * 1000:6.1f} ms")


if __name__ == "__main__":
    main()
