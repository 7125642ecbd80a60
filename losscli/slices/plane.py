"""The mean loss over a plane through weight space, θ + α·d1 + β·d2, or along a line θ + t·d.

Layout as a surface's: `values[i, j]` is the loss at β = betas[i], α = alphas[j] (rows are β,
columns α), so that the plane is drawn as the (w1, w2) grid is.

Why it is fast (docs/plane.md): every weight and bias at a cell is θ's plus α and β times the
directions', so with c = (1, α, β) each layer's parameters are c·(the stack of θ's, d1's, d2's):
- the first layer's pre-activations X·W1 + b1 are c·(X·W1 + b1 at θ, at d1, at d2): three
  products over the points, made once, then three multiply-adds per pre-activation
  (`_combine`); softmax regression has only that layer;
- tanh, the costliest step (numpy's takes 14 ns an element), is 1 − 2/(1 + e^{2u}); on the
  first layer u is affine in (α, β), so e^{2u} is (e^{2u} of the row's part)·(e^{2αb} of the
  column's), each made once per row or column: one product an element, no exponential
  (`_first_tanh`); later layers take one exponential an element (`_tanh`);
- each later layer's inputs differ from cell to cell, so it takes one product per cell, with
  that cell's weights and biases combined likewise;
- cells go in blocks along a row and points in runs, memory bounded (`BLOCK_BYTES`,
  `TABLE_BYTES`); the α columns are
  shared with a second process (`engine.workers.by_columns`); every matrix product is cut to
  the size OpenBLAS runs on one thread (`ONE_THREAD`).
Measured by benchmarks/bench_plane.py, against the per-cell loop it replaces.
"""

from __future__ import annotations

import functools
import pickle
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from losscli.catalogue.multiclass import CROSS_ENTROPY
from losscli.engine.workers import by_columns
from losscli.errors import DataError

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from losscli.catalogue.multiclass import MulticlassLoss
    from losscli.data.labelled import Labelled
    from losscli.engine.method import Progress
    from losscli.models.network import Network

    Array = NDArray[np.float64]
    Labels = NDArray[np.int64]
    PerPoint = Callable[[Array, Labels], Array]

BLOCK_BYTES = 8 * 2**20
"""Memory for one block of cells' activations and logits (and as much again in a second
process). Blocks of 1 to 16 cells of a 2-64-64-3 network over 1000 points (1.1 MB a cell)
measured within 25 % of each other, 8 to 12 fastest: each numpy call has work enough."""

TABLE_BYTES = 32 * 2**20
"""Memory for the first layer's e^{2αb}, one row of them per column (and as much again in a
second process): points go in runs short enough for it."""

EXPONENT_LIMIT = 350.0
"""The largest |u| of either factor of e^{2u} that `_first_tanh` takes: each factor then lies
in [e^−700, e^700], normal floats, and a product beyond the range of floats is the right
answer (+inf gives tanh 1, 0 gives −1). A first layer with larger pre-activations (weights
far beyond any trained network's) is combined and tanh'd cell by cell instead."""

ONE_THREAD = 65536 * 4
"""OpenBLAS runs a product (M×K)·(K×N) on one thread when M·N·K ≤ this (its
SMP_THRESHOLD_MIN × GEMM_MULTITHREAD_THRESHOLD), a larger one on every core, and its threads
wait for each other: with the other core busy (by the second process here, or anyone's work),
the products (1000 × 64)·(64 × 64) of a per-cell loop measured 20 times slower on two threads
than on one. So every product here is cut to fit."""

ONE_THREAD_VECTOR = 2304 * 4 - 1
"""The same for a matrix–vector product (numpy's call where M or N is 1): one thread when the
matrix has fewer elements than 2304 × GEMM_MULTITHREAD_THRESHOLD."""

SECONDS_PER_ACTIVATION = 3e-9
"""About how long one hidden activation takes (tanh; relu is quicker), its share of the
combination and cross-entropy included."""

SECONDS_PER_MULTIPLY = 6e-11
"""About how long one multiply-add of a later layer's product takes, on one thread."""


def plane_losses(
    network: Network,
    theta: Array,
    directions: tuple[Array, Array],
    alphas: Array,
    betas: Array,
    data: Labelled,
    *,
    loss: MulticlassLoss = CROSS_ENTROPY,
    params: Mapping[str, float] | None = None,
    block: int | None = None,
    progress: Progress = None,
) -> Array:
    """The mean loss at every cell of the plane θ + α·d1 + β·d2: shape (len(betas), len(alphas)).
    `loss` and its hyper-parameters `params` as `models.training.mean_loss` takes them;
    `block` the cells evaluated together (default: as many as fit `BLOCK_BYTES`)."""
    rows = np.asarray(betas, dtype=np.float64).reshape(-1, 1)
    plane = _Plane(network, theta, directions, rows, _per_point(loss, params))
    return _losses(plane, np.asarray(alphas, dtype=np.float64), data, block, progress)


def line_losses(
    network: Network,
    theta: Array,
    direction: Array,
    ts: Array,
    data: Labelled,
    *,
    loss: MulticlassLoss = CROSS_ENTROPY,
    params: Mapping[str, float] | None = None,
    block: int | None = None,
    progress: Progress = None,
) -> Array:
    """The mean loss at θ + t·direction for each t: shape (len(ts),). With θ the start and
    direction = end − θ, t = 0 … 1 is the straight path between them (Goodfellow et al. 2015).
    The keywords as `plane_losses` takes them."""
    line = _Plane(network, theta, (direction,), np.empty((1, 0)), _per_point(loss, params))
    values: Array = _losses(line, np.asarray(ts, dtype=np.float64), data, block, progress)[0]
    return values


def _per_point(loss: MulticlassLoss, params: Mapping[str, float] | None) -> PerPoint:
    """Each point's loss from logits (…, n, K) and labels (n,): shape (…, n), leading axes
    cells."""
    return functools.partial(loss.value, **(params or {}))


@dataclass(frozen=True)
class _Plane:
    """What is swept: θ + c·directions at each cell, c = (its column's value, its row's
    values); `rows` (R, k − 1) holds each row's (β for a plane, none for a line)."""

    network: Network
    theta: Array
    directions: tuple[Array, ...]
    rows: Array
    per_point: PerPoint


@dataclass(frozen=True)
class _Work:
    """What every block of cells needs, made once (and sent to the second process).

    Hidden activations are points by units with a last column of ones, which carries the next
    layer's biases: θ's layout puts a layer's b after its W, so its slice is the matrix
    (fan_in + 1) × fan_out that multiplies them. `first` is (1 + k, n·(h + 1)): the first
    layer's pre-activations at θ and at each direction (biases in), flattened, the column for
    the ones 0; or, with no hidden layer, the logits (1 + k, K·n), classes by points. Each of
    `later` is a later layer's (fan_in, fan_out, its slice of θ and of each direction
    (1 + k, (fan_in + 1)·fan_out)). `factored`: the first layer's tanh comes from its row's and
    its column's exponentials (`_first_tanh`)."""

    first: Array
    later: tuple[tuple[int, int, Array], ...]
    activation: str
    factored: bool
    labels: Labels
    rows: Array
    per_point: PerPoint
    block: int


def _losses(
    plane: _Plane, columns: Array, data: Labelled, block: int | None, progress: Progress
) -> Array:
    """The mean loss at every row and column: over all the points at once, or, where one
    cell's activations (or the first layer's exponentials) over them would pass `BLOCK_BYTES`
    (`TABLE_BYTES`), over runs of points that fit, each run's mean weighted by its share."""
    points = len(data.labels)
    if points == 0:
        raise DataError(f"{data.name}: no points to take the loss over")
    sizes = plane.network.sizes
    widths = sum(sizes[1:]) + 4 * sizes[-1]  # the logits' temporaries too
    run = max(1, BLOCK_BYTES // (8 * widths))
    if block is None:
        block = max(1, BLOCK_BYTES // (8 * widths * min(points, run)))
    if len(sizes) > 2 and plane.network.activation == "tanh":
        run = min(run, max(1, TABLE_BYTES // (8 * len(columns) * (sizes[1] + 1))))
    starts = range(0, points, run)
    total = np.zeros((len(plane.rows), len(columns)))
    for index, start in enumerate(starts):
        chosen = slice(start, start + run)
        work = _prepare(plane, data.features[chosen], data.labels[chosen], columns, block)
        if len(starts) == 1:
            return _sweep(work, columns, progress)
        done = None if progress is None else functools.partial(_part, progress, index, len(starts))
        total += _sweep(work, columns, done) * (len(work.labels) / points)
    return total


def _part(progress: Callable[[float], None], index: int, parts: int, fraction: float) -> None:
    """Progress over the whole from progress over part `index` of `parts`."""
    progress((index + fraction) / parts)


def _prepare(plane: _Plane, features: Array, labels: Labels, columns: Array, block: int) -> _Work:
    """The stacks of θ's and the directions' parameters that every block combines."""
    network = plane.network
    vectors = [np.asarray(v, dtype=np.float64) for v in (plane.theta, *plane.directions)]
    features = np.asarray(features, dtype=np.float64)
    hidden = len(network.layers) > 1
    layer = np.zeros((len(vectors), len(features), network.sizes[1] + hidden))
    for index, vector in enumerate(vectors):
        weights, biases = network.unpack(vector)[0]
        layer[index, :, : network.sizes[1]] = features @ weights + biases
    if not hidden:  # the logits: classes by points, as `_mean_loss` takes them
        layer = layer.transpose(0, 2, 1).copy()
    first = layer.reshape(len(vectors), -1)
    later = tuple(
        (layer.fan_in, layer.fan_out, np.stack([v[layer.start : layer.end] for v in vectors]))
        for layer in network.layers[1:]
    )
    factored = hidden and network.activation == "tanh" and _within(first, columns, plane.rows)
    return _Work(
        first, later, network.activation, factored, labels, plane.rows, plane.per_point, block
    )


def _within(first: Array, columns: Array, rows: Array) -> bool:
    """Whether every row's and every column's part of the first layer's pre-activations keeps
    within ±`EXPONENT_LIMIT` (a bound: the largest of each term added)."""
    if first.size == 0 or len(columns) == 0:
        return True
    largest = np.max(np.abs(first), axis=1)
    row_part = largest[0] + float(np.max(np.abs(rows), axis=0, initial=0.0) @ largest[2:])
    column_part = float(np.max(np.abs(columns))) * largest[1]
    return bool(row_part <= EXPONENT_LIMIT and column_part <= EXPONENT_LIMIT)


def _sweep(work: _Work, columns: Array, progress: Progress) -> Array:
    """All rows at all `columns`, the columns shared with a second process if worth it."""
    points = len(work.labels)
    widths = work.first.shape[1] // points
    multiplies = 0
    for fan_in, fan_out, _ in work.later:
        widths += fan_out
        multiplies += fan_in * fan_out
    per_cell = points * (widths * SECONDS_PER_ACTIVATION + multiplies * SECONDS_PER_MULTIPLY)
    seconds = per_cell * len(work.rows) * len(columns)
    if not _travels(work.per_point):
        return _columns(work, columns, progress)
    return by_columns(_columns, work, columns, len(work.rows), progress, seconds=seconds)


def _travels(per_point: PerPoint) -> bool:
    """Whether the loss can be sent to a second process: a module's function can, one made
    inside another (a line-model loss for K = 2, `catalogue.multiclass.binary`) cannot."""
    try:
        pickle.dumps(per_point)
    except (pickle.PicklingError, AttributeError, TypeError):
        return False
    return True


def _columns(work: _Work, columns: Array, progress: Progress) -> Array:
    """The mean losses (rows, len(columns)), a block of one row's cells at a time
    (`by_columns`'s `function`)."""
    rows, count, points = len(work.rows), len(columns), len(work.labels)
    block = min(work.block, count)
    coefficients = np.empty((count, 2 + work.rows.shape[1]))
    coefficients[:, 0] = 1.0
    coefficients[:, 1] = columns
    buffers = [np.empty((block, work.first.shape[1]))]
    for index, (_, fan_out, stack) in enumerate(work.later):
        last = index == len(work.later) - 1
        shape = (block, fan_out, points) if last else (block, points, fan_out + 1)
        buffers += [np.empty((block, stack.shape[1])), np.empty(shape)]
    # e^{2u} of the first layer's column parts α·b, one row of them per column
    by_column = np.exp(np.multiply.outer(2.0 * columns, work.first[1])) if work.factored else None
    values = np.empty((rows, count))
    for row in range(rows):
        coefficients[:, 2:] = work.rows[row]
        by_row = None  # e^{2u} of the row's part: θ's, and β·c
        if by_column is not None:
            by_row = np.exp(2.0 * (work.first[0] + work.rows[row] @ work.first[2:]))
        for start in range(0, count, block):
            end = min(count, start + block)
            exponentials = None
            if by_row is not None and by_column is not None:
                exponentials = (by_row, by_column[start:end])
            values[row, start:end] = _block(work, coefficients[start:end], buffers, exponentials)
            if progress is not None:
                progress((row * count + end) / (rows * count))
    return values


def _block(
    work: _Work,
    coefficients: Array,
    buffers: list[Array],
    exponentials: tuple[Array, Array] | None,
) -> Array:
    """The mean loss of each of a block's cells, given their coefficients (cells, 1 + k) and,
    where the first layer is factored, its row's and the cells' columns' exponentials. Hidden
    activations are points by units, with a last column of ones; the logits units by points,
    so that `per_point`'s sums over the classes run along whole rows."""
    cells, points = len(coefficients), len(work.labels)
    out = buffers[0][:cells]
    if exponentials is not None:
        z = _first_tanh(*exponentials, out)
    else:
        z = _combine(coefficients, work.first, out)
        if not work.later:
            return _mean_loss(work, z.reshape(cells, -1, points))
        _activate(z, work.activation)
    z = z.reshape(cells, points, -1)
    for index, (fan_in, fan_out, stack) in enumerate(work.later):
        if index:
            _activate(z, work.activation)
        z[:, :, fan_in] = 1.0  # the ones the biases multiply
        parameters = _combine(coefficients, stack, buffers[1 + 2 * index][:cells])
        weights = parameters.reshape(cells, fan_in + 1, fan_out)
        out = buffers[2 + 2 * index][:cells]
        if index < len(work.later) - 1:
            z = _by_rows(z, weights, out)
        else:  # the logits
            z = _by_columns(weights.transpose(0, 2, 1), z, out)
    return _mean_loss(work, z)


def _mean_loss(work: _Work, logits: Array) -> Array:
    """Each cell's mean loss from its logits (cells, K, n)."""
    losses: Array = np.mean(work.per_point(logits.transpose(0, 2, 1), work.labels), axis=-1)
    return losses


def _activate(z: Array, activation: str) -> None:
    """The hidden activation, in place."""
    if activation == "tanh":
        _tanh(z)
    else:
        np.maximum(z, 0.0, out=z)


def _tanh(z: Array) -> None:
    """tanh in place, as 1 − 2/(1 + e^{2z}): one exponential, 40 % quicker than numpy's tanh
    and as close to it as rounding goes (an absolute error of a few 1e-16: e^{2z} may be
    inf, giving 1)."""
    np.multiply(z, 2.0, out=z)
    with np.errstate(over="ignore"):
        np.exp(z, out=z)
    _tanh_from_exponential(z)


def _first_tanh(row: Array, columns: Array, out: Array) -> Array:
    """The first layer's tanh at each cell of a row, from e^{2u} = (the row's e^{2u}) times
    (the cell's column's), as `EXPONENT_LIMIT` says they may be multiplied."""
    with np.errstate(over="ignore", under="ignore"):
        np.multiply(columns, row, out=out)
    _tanh_from_exponential(out)
    return out


def _tanh_from_exponential(e: Array) -> None:
    """tanh u = 1 − 2/(1 + e), in place, from e = e^{2u}."""
    np.add(e, 1.0, out=e)
    np.divide(2.0, e, out=e)
    np.subtract(1.0, e, out=e)


def _combine(coefficients: Array, stack: Array, out: Array) -> Array:
    """out = coefficients (cells, m) · stack (m, N): each cell's combination, in column
    slices small enough for one thread."""
    cells, size = coefficients.shape
    limit = ONE_THREAD // cells if cells > 1 else ONE_THREAD_VECTOR
    step = max(1, limit // size)
    for start in range(0, stack.shape[1], step):
        np.matmul(coefficients, stack[:, start : start + step], out=out[:, start : start + step])
    return out


def _run(points: int, fan_in: int, fan_out: int) -> int:
    """How many points one product takes so that it runs on one thread."""
    limit = ONE_THREAD if fan_out > 1 else ONE_THREAD_VECTOR
    return max(1, min(points, limit // (fan_in * fan_out)))


def _by_rows(inputs: Array, weights: Array, out: Array) -> Array:
    """out[c, :, :fan_out] = inputs[c] (n, m) · weights[c] (m, fan_out) for each cell c (columns
    beyond left as they are), in runs of points (numpy loops over the runs, not Python)."""
    cells, points, size = inputs.shape
    fan_out = weights.shape[2]
    run = _run(points, size, fan_out)
    whole = points - points % run
    if whole:
        np.matmul(
            inputs[:, :whole].reshape(cells, -1, run, size),
            weights[:, None],
            out=out[:, :whole, :fan_out].reshape(cells, -1, run, fan_out),
        )
    if whole < points:
        np.matmul(inputs[:, whole:], weights, out=out[:, whole:, :fan_out])
    return out


def _by_columns(weights: Array, inputs: Array, out: Array) -> Array:
    """out[c] = weights[c] (fan_out, m) · inputs[c]ᵀ (m, n) for each cell c, inputs being
    (cells, n, m): the same product as `_by_rows`, written units by points."""
    cells, points, size = inputs.shape
    fan_out = weights.shape[1]
    run = _run(points, size, fan_out)
    whole = points - points % run
    if whole:
        np.matmul(
            weights[:, None],
            inputs[:, :whole].reshape(cells, -1, run, size).transpose(0, 1, 3, 2),
            out=out[:, :, :whole].reshape(cells, fan_out, -1, run).transpose(0, 2, 1, 3),
        )
    if whole < points:
        np.matmul(weights, inputs[:, whole:].transpose(0, 2, 1), out=out[:, :, whole:])
    return out
