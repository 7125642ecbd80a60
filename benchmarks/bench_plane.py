"""Benchmark the loss over a plane through a network's weights against the per-cell loops.

    PYTHONPATH=. python benchmarks/bench_plane.py          # 51 × 51, 2-64-64-3 tanh, n = 1000
    PYTHONPATH=. python benchmarks/bench_plane.py --sizes 2-3 --repeat 5   # softmax regression
    OPENBLAS_NUM_THREADS=1 PYTHONPATH=. python benchmarks/bench_plane.py   # the loop, one thread

Side by side in one run, on the same θ (the network trained 300 steps with Adam on seeded blobs),
the same two Gaussian directions (each scaled to θ's norm) and the same α, β in [−1, 1]:
(a) the per-cell numpy loop, each cell's θ built in full and its mean cross-entropy taken
(`losscli.models.training.mean_loss`), as plane_losses did before;
(b) `losscli.slices.plane.plane_losses`;
(c) where torch is installed, the per-cell loop the `loss-landscapes` package runs: the cell's
weights copied into a float64 torch model's parameters, a forward pass and
`torch.nn.functional.cross_entropy`, without gradients (skipped with a note otherwise).
Medians of --repeat runs: wall time (time.perf_counter), its ratio to (b)'s, the CPU time of
this process (time.process_time, its threads' included) and of the engine's workers
(from /proc); and the largest relative difference of any cell of (b), and of (c), from (a).
On a machine busy with other work the wall times grow; the CPU times much less.
The loop's products (1000 × 64 by 64 × 64) are large enough for OpenBLAS to run them on every
core, whose threads wait for each other: on a busy machine that makes (a) much slower, so the
header says how OpenBLAS was told to run (OPENBLAS_NUM_THREADS) and the third line above
gives the loop one thread. (b) keeps every product on one thread either way.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import time
from pathlib import Path

import numpy as np

from losscli.data.class_sets import blobs
from losscli.descent.optimizers import adam
from losscli.engine.workers import worker_pids
from losscli.models.network import Network
from losscli.models.training import mean_loss, train
from losscli.slices.plane import plane_losses


def numpy_loop(network, theta, directions, alphas, betas, data):
    """(a): one cell at a time."""
    d1, d2 = directions
    values = np.empty((len(betas), len(alphas)))
    for i, beta in enumerate(betas):
        for j, alpha in enumerate(alphas):
            cell = theta + alpha * d1 + beta * d2
            values[i, j] = mean_loss(network, cell, data.features, data.labels)
    return values


def torch_loop(network, theta, directions, alphas, betas, data):
    """(c): one cell at a time in torch, as loss-landscapes does: parameters overwritten, then
    a forward pass and the mean cross-entropy."""
    import torch
    from torch.nn import functional

    layers: list[torch.nn.Module] = []
    for index, layer in enumerate(network.layers):
        layers.append(torch.nn.Linear(layer.fan_in, layer.fan_out, dtype=torch.float64))
        if index < len(network.layers) - 1:
            layers.append(torch.nn.Tanh() if network.activation == "tanh" else torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    linear = [module for module in model if isinstance(module, torch.nn.Linear)]
    x, y = torch.from_numpy(data.features), torch.from_numpy(data.labels)
    d1, d2 = directions
    values = np.empty((len(betas), len(alphas)))
    with torch.no_grad():
        for i, beta in enumerate(betas):
            for j, alpha in enumerate(alphas):
                cell = theta + alpha * d1 + beta * d2
                for module, (weights, biases) in zip(linear, network.unpack(cell), strict=True):
                    module.weight.copy_(torch.from_numpy(weights.T))  # torch's is (out, in)
                    module.bias.copy_(torch.from_numpy(biases))
                values[i, j] = functional.cross_entropy(model(x), y).item()
    return values


def worker_seconds():
    """CPU seconds the engine's kept workers have used so far (0 if there are none)."""
    total = 0.0
    for pid in worker_pids():
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    return total


def timed(function, repeat):
    """The result of the last run, and the medians of `repeat` runs' wall time, this process's
    CPU time (its threads' included) and the workers'."""
    wall, here, there = [], [], []
    for _ in range(repeat):
        start, cpu, other = time.perf_counter(), time.process_time(), worker_seconds()
        result = function()
        wall.append(time.perf_counter() - start)
        here.append(time.process_time() - cpu)
        there.append(worker_seconds() - other)
    return result, *(statistics.median(seconds) for seconds in (wall, here, there))


def largest_relative(values, reference):
    return float(np.max(np.abs(values - reference) / np.abs(reference)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2-64-64-3", help="layer sizes, inputs to classes")
    parser.add_argument("--activation", default="tanh", choices=["tanh", "relu"])
    parser.add_argument("--steps", type=int, default=51, help="α and β values each")
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sizes = tuple(int(size) for size in args.sizes.split("-"))
    network = Network(sizes, args.activation)
    data = blobs(points=args.points, classes=sizes[-1], seed=0)
    optimizer = adam(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8)
    theta = train(network, data, optimizer, steps=300, seed=0).theta
    rng = np.random.default_rng(1)
    directions = tuple(rng.normal(size=network.count) for _ in range(2))
    directions = tuple(d * np.linalg.norm(theta) / np.linalg.norm(d) for d in directions)
    alphas = betas = np.linspace(-1.0, 1.0, args.steps)
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "unset (every core)")
    print(
        f"{args.steps} × {args.steps} cells, network {args.sizes} {args.activation} "
        f"({network.count} weights), {args.points} points, loss at θ "
        f"{mean_loss(network, theta, data.features, data.labels):.4f}; {os.cpu_count()} cores, "
        f"OPENBLAS_NUM_THREADS {threads}; medians of {args.repeat}; load average "
        f"{os.getloadavg()[0]:.1f} at the start"
    )
    setting = (network, theta, directions, alphas, betas, data)
    loop, *loop_seconds = timed(lambda: numpy_loop(*setting), args.repeat)
    fast, *fast_seconds = timed(lambda: plane_losses(*setting), args.repeat)
    print(
        f"{'':24} {'seconds':>8} {'÷ (b)':>6} {'CPU s':>6} {'2nd':>6} {'max rel diff from (a)':>22}"
    )
    row = "{:24} {:8.3f} {:5.1f}× {:6.2f} {:6.2f} {:>22}"
    print(row.format("(a) per-cell numpy loop", *ratio(loop_seconds, fast_seconds), ""))
    difference = f"{largest_relative(fast, loop):.1e}"
    print(row.format("(b) plane_losses", *ratio(fast_seconds, fast_seconds), difference))
    if importlib.util.find_spec("torch") is None:
        print("(c) per-cell torch loop: skipped, torch is not installed")
        return
    torched, *torch_seconds = timed(lambda: torch_loop(*setting), args.repeat)
    difference = f"{largest_relative(torched, loop):.1e}"
    print(row.format("(c) per-cell torch loop", *ratio(torch_seconds, fast_seconds), difference))


def ratio(seconds, fast_seconds):
    """Wall time, its ratio to (b)'s, CPU time here and in the workers."""
    wall, here, there = seconds
    return wall, wall / fast_seconds[0], here, there


if __name__ == "__main__":
    main()
