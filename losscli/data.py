"""Datasets for the line model: the lesson's synthetic sets, small fixed sets built by formula
(celsius, imbalanced), and points read from CSV or JSON.

Synthetic data follows the lesson's script exactly. It seeds Python's `random` with the seed,
draws the regression set (x ~ U(−1, 1), then a Gaussian noise term), and continues the same
stream for the classification set. numpy's MT19937 seeded by key (`RandomState([seed])`) is
the very generator Python's `random.seed` builds, and `random.gauss` is a Box–Muller transform
that consumes two uniforms for every two points, so the whole stream is reproduced here with
array operations: the defaults give the lesson's 40 + 40 points to the last bit.
"""

from __future__ import annotations

import csv
import io
import json
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from losscli import budget
from losscli.errors import DataError, OptionError, json_errors

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from losscli.losses import Task

    Array = NDArray[np.float64]

LESSON_DEFAULTS: dict[str, Any] = {
    "n": 40,
    "true_w1": 1.5,
    "true_w2": 0.5,
    "noise": 0.2,
    "seed": 11,
    "outliers": 0.0,
    "flip": 0.0,
}
OUTLIER_SHIFT = (3.0, 6.0)
"""An outlier's target lies this far above the true line (uniform in the interval)."""


@dataclass(frozen=True)
class Dataset:
    """Points (x, y) with a record of where they came from.

    `origin` is what `surface --format json` reports as "data". `locate(i)` names point i
    the way its source does ("points.csv line 7"), for error messages.
    """

    x: Array
    y: Array
    name: str
    origin: dict[str, Any]
    locate: Callable[[int], str] = field(default=lambda i: f"point {i + 1}", compare=False)

    def __len__(self) -> int:
        return len(self.x)

    def targets_for(self, task: Task, loss_name: str) -> Array:
        """y as the loss needs it: as is for regression, as t ∈ {−1, +1} for classification."""
        if task == "regression":
            return self.y
        zero_one = bool(np.any(self.y == 0.0))
        allowed = (0.0, 1.0) if zero_one else (-1.0, 1.0)
        bad = np.flatnonzero((self.y != allowed[0]) & (self.y != allowed[1]))
        if bad.size:
            i = int(bad[0])
            raise DataError(
                f"{self.locate(i)}: label {_fmt(self.y[i])} is not in {{-1, +1}} or {{0, 1}}"
                f" ({loss_name} is a classification loss)"
            )
        return np.where(self.y == allowed[0], -1.0, 1.0) if zero_one else self.y

    def single_label(self) -> float | None:
        """The label every point has, when the points are labelled and all of one class."""
        first = float(self.y[0])
        return first if self.is_labelled() and bool(np.all(self.y == first)) else None

    def is_labelled(self) -> bool:
        """True when y is a set of binary labels, ±1 or 0/1."""
        return bool(
            np.all((self.y == -1.0) | (self.y == 1.0)) or np.all((self.y == 0.0) | (self.y == 1.0))
        )


def _fmt(value: float) -> str:
    return repr(float(value))


# ---------------------------------------------------------------------------------------------
# Synthetic data: the lesson's generator.


def _python_random_stream(seed: int) -> np.random.RandomState:
    """numpy's MT19937 in the state Python's `random.seed(seed)` leaves its generator in."""
    key, rest = [], seed
    while True:  # random.seed splits |seed| into 32-bit words, least significant first
        key.append(rest & 0xFFFFFFFF)
        rest >>= 32
        if not rest:
            break
    return np.random.RandomState(key)  # a list seeds by init_by_array, as Python does


def _regression_draws(n: int) -> int:
    """Uniforms the lesson's regression loop consumes: one for x, two per Gaussian pair."""
    return n + 2 * ((n + 1) // 2)


def _check_synthetic(n: int, noise: float, seed: int, fraction: float, fraction_opt: str) -> None:
    if n < 1:
        raise OptionError("--n", f"must be at least 1, got {n}")
    budget.check_points(n)
    if not (math.isfinite(noise) and noise >= 0):
        raise OptionError("--noise", f"must be >= 0, got {noise:g}")
    if seed < 0:
        raise OptionError("--seed", f"must be >= 0, got {seed}")
    if not 0.0 <= fraction <= 1.0:
        raise OptionError(fraction_opt, f"must be in [0, 1], got {fraction:g}")


def _chosen(n: int, fraction: float, seed: int, purpose: int) -> Array:
    """round(fraction·n) distinct point indices, from a stream of their own.

    Outliers and label flips draw from `default_rng([seed, purpose])`, apart from the lesson's
    stream, so they change only the points they pick.
    """
    rng = np.random.default_rng([seed, purpose])
    count = math.floor(fraction * n + 0.5)
    chosen: Array = np.sort(rng.choice(n, size=count, replace=False))
    return chosen


def synthetic_regression(
    *,
    n: int = 40,
    true_w1: float = 1.5,
    true_w2: float = 0.5,
    noise: float = 0.2,
    seed: int = 11,
    outliers: float = 0.0,
) -> Dataset:
    """y = true_w1·x + true_w2 + N(0, noise²), x ~ U(−1, 1); `outliers` of the points shifted up."""
    _check_synthetic(n, noise, seed, outliers, "--outliers")
    pairs = (n + 1) // 2
    # Per pair of points the lesson draws: x_even, angle, radius, x_odd (unused when n is odd).
    block = _python_random_stream(seed).random_sample(4 * pairs).reshape(pairs, 4)
    angle = block[:, 1] * (2.0 * math.pi)
    radius = np.sqrt(-2.0 * np.log(1.0 - block[:, 2]))
    x = np.empty(n)
    z = np.empty(n)
    x[0::2] = -1.0 + 2.0 * block[:, 0]
    x[1::2] = (-1.0 + 2.0 * block[:, 3])[: n // 2]
    z[0::2] = np.cos(angle) * radius
    z[1::2] = (np.sin(angle) * radius)[: n // 2]
    y = true_w1 * x + true_w2 + z * noise
    picked = _chosen(n, outliers, seed, purpose=1)
    if picked.size:
        y[picked] += np.random.default_rng([seed, 1, 1]).uniform(*OUTLIER_SHIFT, picked.size)
    origin = {
        "kind": "synthetic",
        "task": "regression",
        "n": n,
        "true_w1": true_w1,
        "true_w2": true_w2,
        "noise": noise,
        "seed": seed,
        "outliers": outliers,
    }
    return Dataset(x, y, "synthetic regression data", origin)


def synthetic_classification(
    *,
    n: int = 40,
    true_w1: float = 1.5,
    true_w2: float = 0.5,
    seed: int = 11,
    flip: float = 0.0,
    noise: float = 0.0,
) -> Dataset:
    """Label +1 where true_w1·x + true_w2 > 0, else −1; then `flip` of the labels flipped.

    The x values continue the lesson's stream after the regression set of the same n, as the
    lesson's script does. `noise` is accepted for symmetry with regression and must be >= 0;
    labels carry no noise but the flipped ones.
    """
    _check_synthetic(n, noise, seed, flip, "--flip")
    stream = _python_random_stream(seed)
    stream.random_sample(_regression_draws(n))
    x = -1.0 + 2.0 * stream.random_sample(n)
    y = np.where(true_w1 * x + true_w2 > 0.0, 1.0, -1.0)
    picked = _chosen(n, flip, seed, purpose=2)
    y[picked] = -y[picked]
    origin = {
        "kind": "synthetic",
        "task": "classification",
        "n": n,
        "true_w1": true_w1,
        "true_w2": true_w2,
        "seed": seed,
        "flip": flip,
    }
    return Dataset(x, y, "synthetic classification data", origin)


def synthetic(task: Task, **options: Any) -> Dataset:
    """The synthetic set for a task, from the options both generators share."""
    if task == "regression":
        options.pop("flip", None)
        return synthetic_regression(**options)
    options.pop("outliers", None)
    return synthetic_classification(**options)


SEPARABLE_GAP = 1.0
"""Width of the empty band around x = 0 in the `separable` set."""


def separable(*, n: int = 40, seed: int = 11) -> Dataset:
    """Two classes split by a gap in x: label −1 for x in [−1, −0.5], +1 for x in [0.5, 1].

    The gap gives hinge loss its plateau of exactly zero: every point is on its side with
    margin at least 1 wherever w1·0.5 − |w2| ≥ 1 (e.g. at w1 = 3, w2 = 0), a wedge inside the
    default grid. On the lesson's own data the classes touch and hinge never reaches zero.
    x is uniform within each class's interval, drawn from `numpy.random.default_rng(seed)`;
    the points come sorted by x, the first n // 2 negative.
    """
    _check_synthetic(n, 0.0, seed, 0.0, "--flip")
    if n < 2:
        raise OptionError("--n", f"must be at least 2 for two classes, got {n}")
    half = SEPARABLE_GAP / 2.0
    negatives = n // 2
    distance = np.random.default_rng(seed).uniform(half, 1.0, n)
    sign = np.where(np.arange(n) < negatives, -1.0, 1.0)
    order = np.argsort(sign * distance)
    x = (sign * distance)[order]
    y = sign[order]
    origin = {
        "kind": "builtin",
        "name": "separable",
        "task": "classification",
        "n": n,
        "seed": seed,
    }
    return Dataset(x, y, "separable classification data", origin)


# ---------------------------------------------------------------------------------------------
# Small fixed datasets, built by formula rather than drawn at random.


def celsius() -> Dataset:
    """The seed's two readings of Celsius against Fahrenheit: 0 °C is 32 °F, 100 °C is 212 °F.

    The line through them is w1 = 1.8, w2 = 32, where every loss is 0.
    """
    origin = {"kind": "builtin", "dataset": "celsius", "task": "regression", "n": 2}
    return Dataset(np.array([0.0, 100.0]), np.array([32.0, 212.0]), "celsius", origin)


def imbalanced_classification(*, negatives: int = 90, positives: int = 10) -> Dataset:
    """A rare positive class: negatives evenly spaced over x in [−1, 0.5], positives over
    [0.2, 1]. The classes overlap on [0.2, 0.5], so no line is perfect, and the easy
    negatives far left outnumber everything else, the setting focal loss was made for.
    """
    x = np.concatenate([np.linspace(-1.0, 0.5, negatives), np.linspace(0.2, 1.0, positives)])
    y = np.concatenate([np.full(negatives, -1.0), np.full(positives, 1.0)])
    origin = {
        "kind": "builtin",
        "dataset": "imbalanced",
        "task": "classification",
        "n": negatives + positives,
        "positives": positives,
    }
    return Dataset(x, y, "imbalanced", origin)


# ---------------------------------------------------------------------------------------------
# Reading points: CSV (with or without a header) or JSON, from a file or standard input.


def read_points(raw: bytes, name: str) -> Dataset:
    """Parse CSV or JSON bytes into a Dataset; `name` ("points.csv", "<stdin>") goes in errors."""
    if b"\x00" in raw[:8192]:
        raise DataError(f"{name}: looks like a binary file, not CSV or JSON")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DataError(f"{name}: not UTF-8 text (byte {error.start})") from None
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        x, y, locate = _parse_json(stripped, name)
        kind = "json"
    else:
        x, y, locate = _parse_csv(text, name)
        kind = "csv"
    if x.size == 0:
        raise DataError(f"{name}: no data points")
    for column, values in (("x", x), ("y", y)):
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            i = int(bad[0])
            raise DataError(f"{locate(i)}: {column} is not a finite number ({_fmt(values[i])})")
    source = "stdin" if name == "<stdin>" else name
    origin = {"kind": "file", "source": source, "format": kind, "n": int(x.size)}
    return Dataset(x, y, name, origin, locate)


def _content_lines(lines: list[str]) -> list[int]:
    """Indices of lines holding data: not blank, not a '#' comment."""
    return [i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")]


def _fields(line: str) -> list[str]:
    return [cell.strip() for cell in next(csv.reader([line]))]


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _parse_csv(text: str, name: str) -> tuple[Array, Array, Callable[[int], str]]:
    lines = text.splitlines()
    first = next(
        (i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")),
        None,
    )
    if first is None:
        raise DataError(f"{name}: no data points")
    head = _fields(lines[first])
    if all(_is_number(cell) for cell in head):
        if len(head) != 2:
            raise DataError(
                f"{name} line {first + 1}: expected 2 columns (x, y), found {len(head)};"
                " add a header row naming the x and y columns"
            )
        columns, body_start = (0, 1), first
    else:
        names = [cell.lower() for cell in head]
        missing = [c for c in ("x", "y") if c not in names]
        if missing:
            found = ", ".join(repr(c) for c in head)
            raise DataError(
                f"{name} line {first + 1}: the header has no {' or '.join(missing)} column"
                f" (found {found})"
            )
        columns, body_start = (names.index("x"), names.index("y")), first + 1

    def locate(i: int) -> str:
        return f"{name} line {_content_lines(lines[body_start:])[i] + body_start + 1}"

    body = lines[body_start:]
    try:
        with warnings.catch_warnings():  # an empty body is reported below, not warned about
            warnings.simplefilter("ignore", UserWarning)
            table = np.loadtxt(
                body, delimiter=",", usecols=columns, ndmin=2, quotechar='"', dtype=np.float64
            )
    except ValueError:
        raise _csv_error(body, body_start, columns, name) from None
    return table[:, 0].copy(), table[:, 1].copy(), locate


def _csv_error(body: list[str], offset: int, columns: tuple[int, int], name: str) -> DataError:
    """Find the first bad row by a slow scan, only once the fast reader has refused the file."""
    for index in _content_lines(body):
        cells = _fields(body[index])
        where = f"{name} line {index + offset + 1}"
        if len(cells) <= max(columns):
            return DataError(f"{where}: expected {max(columns) + 1} columns, found {len(cells)}")
        for label, column in zip(("x", "y"), columns, strict=True):
            if not _is_number(cells[column]):
                return DataError(f"{where}: {label} is not a number: {cells[column]!r}")
    return DataError(f"{name}: not a readable CSV of numbers")


def _parse_json(text: str, name: str) -> tuple[Array, Array, Callable[[int], str]]:
    with json_errors(name):
        document = json.loads(text)
    if isinstance(document, dict) and "x" in document and "y" in document:
        x = _json_numbers(document["x"], f"{name}: x")
        y = _json_numbers(document["y"], f"{name}: y")
        if x.size != y.size:
            raise DataError(f"{name}: x has {x.size} values but y has {y.size}")
        return x, y, lambda i: f"{name}: point {i} (x[{i}], y[{i}])"
    if isinstance(document, list):
        pairs = _numeric_array(document)
        if pairs is None or pairs.ndim != 2 or pairs.shape[1] != 2:
            if not document:
                raise DataError(f"{name}: no data points")
            for i, item in enumerate(document):
                if not (isinstance(item, list) and len(item) == 2 and all(map(_json_number, item))):
                    raise DataError(f"{name}: item {i} is not an [x, y] pair of numbers")
            raise DataError(f"{name}: expected a list of [x, y] pairs")
        return pairs[:, 0].copy(), pairs[:, 1].copy(), lambda i: f"{name}: item {i}"
    raise DataError(f'{name}: expected {{"x": [...], "y": [...]}} or a list of [x, y] pairs')


def _json_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _numeric_array(values: object) -> Array | None:
    """`values` as a float array when it is made of JSON numbers only, else None."""
    try:
        array = np.asarray(values)
    except (ValueError, RecursionError):  # ragged, or nested too deeply
        return None
    return array.astype(np.float64) if array.dtype.kind in "iuf" else None


def _json_numbers(values: object, where: str) -> Array:
    array = _numeric_array(values) if isinstance(values, list) else None
    if array is not None and array.ndim == 1:
        return array
    if not isinstance(values, list):
        raise DataError(f"{where} is not a list of numbers")
    for i, value in enumerate(values):
        if not _json_number(value):
            raise DataError(f"{where}[{i}] is not a number: {json.dumps(value)[:40]}")
    raise DataError(f"{where} is not a flat list of numbers")


# ---------------------------------------------------------------------------------------------
# Writing points: the CSV and JSON that `--data` reads back.


def to_csv(data: Dataset) -> str:
    """Header `x,y`, then one row a point with each float at full (repr) precision."""
    rows = map("{!r},{!r}".format, data.x.tolist(), data.y.tolist())
    return "x,y\n" + "".join(row + "\n" for row in rows)


def to_json(data: Dataset) -> str:
    return json.dumps({"x": data.x.tolist(), "y": data.y.tolist()}) + "\n"


def read_bytes(path: str, stdin: io.BufferedIOBase | Any) -> tuple[bytes, str]:
    """The bytes of `path` ('-' for standard input) and the name its errors should give."""
    if path == "-":
        return stdin.read(), "<stdin>"
    return read_file(path), path


def read_file(path: str) -> bytes:
    """A file's bytes; a failure is a DataError naming the file and the reason."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except IsADirectoryError:
        raise DataError(f"{path}: is a directory, not a data file") from None
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except PermissionError:
        raise DataError(f"{path}: permission denied") from None
    except OSError as error:
        raise DataError(f"{path}: cannot be read ({error.strerror})") from None


def read_source(path: str, stdin: io.BufferedIOBase | Any) -> Dataset:
    """Read `--data PATH` ('-' for standard input); errors name the file."""
    return read_points(*read_bytes(path, stdin))
