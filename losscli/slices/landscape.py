"""A network's loss on a plane through its weights, as a grid the renderers draw like a surface.

The plane is origin + α·d1 + β·d2 (`losscli.slices.directions`); `values[i, j]` is the mean
loss (cross-entropy unless another is chosen, `scoring`) at β = beta[i], α = alpha[j] (rows
β, columns α), as a surface's `values[i][j]` is at w2[i], w1[j]. For random and PCA
directions the origin is the trained θ*, so θ* is the cell (0, 0) whenever the span holds 0.
The trajectory training took, projected onto the plane, is kept as `path` (α_t, β_t).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from losscli.catalogue.multiclass import CROSS_ENTROPY, MulticlassLoss
from losscli.engine.surface import find_minimum
from losscli.errors import ParameterError

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from losscli.data.labelled import Labelled
    from losscli.descent.walk import Settings
    from losscli.engine.surface import Minimum
    from losscli.models.network import Network
    from losscli.models.training import Training
    from losscli.slices.directions import Directions

    Array = NDArray[np.float64]

LOSS = "cross-entropy"
"""The loss a landscape draws by default: the mean softmax cross-entropy over the data's
points."""

RECIPES = ("random", "pca", "three")
"""How the plane's directions are made (`losscli.slices.directions`)."""

SPANS = {"random": (-1.0, 1.0), "three": (-0.5, 1.5)}
"""Each recipe's default range of α and β; PCA's follows the trajectory (`path_span`)."""


@dataclass(frozen=True)
class Landscape:
    """The loss over a plane's grid: `w1` holds α and `w2` β (the renderers' names for the
    horizontal and vertical axes; `axes` names them), and what made it (`record`: the JSON's
    "model", "directions", "training" and "data")."""

    title: str
    w1: Array
    w2: Array
    values: Array
    record: dict[str, Any] = field(default_factory=dict)
    path: Array | None = None
    """The training trajectory on the plane, (α_t, β_t) a row, where there is one."""
    axes: tuple[str, str] = ("alpha", "beta")
    loss: str = LOSS

    @property
    def short_title(self) -> str:
        return self.title

    @property
    def loss_name(self) -> str:
        return self.loss

    @property
    def optimum(self) -> None:
        """A landscape has no continuous minimum worked out: only the grid's."""
        return None

    @cached_property
    def minimum(self) -> Minimum | None:
        return find_minimum(self.w1, self.w2, self.values)


@dataclass(frozen=True)
class Scoring:
    """The loss a landscape is trained with and draws, and its hyper-parameters (all of
    them, defaults included, as the JSON's "params" records them)."""

    loss: MulticlassLoss = CROSS_ENTROPY
    params: Mapping[str, float] = field(default_factory=lambda: {"smoothing": 0.0})

    @property
    def title(self) -> str:
        """`cross-entropy`, or `cross-entropy (smoothing=0.1)`: hyper-parameters not at their
        default are shown."""
        shown = [
            f"{p.name}={self.params[p.name]:g}"
            for p in self.loss.params
            if self.params[p.name] != p.default
        ]
        return self.loss.name + (f" ({', '.join(shown)})" if shown else "")


def scoring(name: str, smoothing: float | None, classes: int) -> Scoring:
    """The loss called `name` for data of `classes` classes: a multi-class one, or a
    classification loss of the line's catalogue where there are two (scored on z1 − z0,
    `catalogue.multiclass.binary`); `smoothing` (None: not given) only where the loss takes it.
    Refused (ParameterError naming `loss` or `smoothing`): an unknown name, a loss that
    cannot score logits (dice, the regression losses), a two-class loss on K ≠ 2."""
    from losscli.catalogue.multiclass import get_multiclass

    loss = get_multiclass(name)
    params = loss.resolve_params({} if smoothing is None else {"smoothing": smoothing})
    if loss.classes is not None and loss.classes != classes:
        raise ParameterError(
            "loss",
            f"{loss.name} scores two classes (on z1 − z0); the data has {classes}: "
            "use cross-entropy or one-hot-mse",
        )
    return Scoring(loss, params)


def model_record(network: Network) -> dict[str, Any]:
    """What the JSON's "model" says of the network."""
    hidden = len(network.sizes) > 2
    return {
        "kind": "mlp" if hidden else "softmax",
        "sizes": list(network.sizes),
        "activation": network.activation if hidden else None,
        "parameters": network.count,
    }


def path_span(path: Array) -> tuple[float, float]:
    """A range for both axes that holds the path and 0 with a quarter to spare, rounded out
    to two significant digits so that the axis reads well."""
    reach = float(np.max(np.abs(path))) * 1.25 if len(path) else 0.0
    if not (np.isfinite(reach) and reach > 0.0):
        return SPANS["random"]
    digits = 10.0 ** (np.floor(np.log10(reach)) - 1)
    edge = float(f"{np.ceil(reach / digits) * digits:.3g}")  # 3.2, not 3.2000000000000006
    return -edge, edge


def sweep_plane(
    network: Network,
    directions: Directions,
    alphas: Array,
    betas: Array,
    data: Labelled,
    score: Scoring = Scoring(),
) -> Array:
    """The mean loss at origin + α·d1 + β·d2 over the grid (rows β, columns α)."""
    from losscli.slices.plane import plane_losses

    return plane_losses(
        network,
        directions.origin,
        (directions.d1, directions.d2),
        alphas,
        betas,
        data,
        loss=score.loss,
        params=score.params,
    )


def check_recipe(recipe: str, solutions: int, trained: bool) -> None:
    """Refuse a recipe the weights at hand cannot make: three needs three saved solutions,
    pca a training run, random one network to start from."""
    if recipe not in RECIPES:
        raise ParameterError("directions", f"{recipe!r} is not one of {RECIPES}")
    if recipe == "three" and solutions != 3:
        raise ParameterError("weights", f"three needs three saved solutions, got {solutions}")
    if recipe != "three" and solutions > 1:
        raise ParameterError("weights", f"{recipe} slices through one network, got {solutions}")
    if recipe == "pca" and not trained:
        raise ParameterError("directions", "pca needs the training trajectory: train, not load")


def network_for(model: str, hidden: tuple[int, ...], activation: str, data: Labelled) -> Network:
    """The network a `model` names for this data: softmax regression (d inputs straight to
    K logits) or an MLP with the `hidden` widths (one or two layers)."""
    from losscli.models.network import Network

    inputs, classes = data.features.shape[1], len(data.classes)
    if model == "softmax":
        return Network((inputs, classes))
    if model != "mlp":
        raise ParameterError("model", f"{model!r} is not one of ('softmax', 'mlp')")
    if not 1 <= len(hidden) <= 2:
        raise ParameterError("hidden", f"an MLP has one or two hidden layers, got {len(hidden)}")
    return Network((inputs, *hidden, classes), activation)


def check_fits(network: Network, data: Labelled, name: str) -> None:
    """Refuse saved weights whose network cannot read this data (a DataError naming `name`)."""
    from losscli.errors import DataError

    inputs, classes = data.features.shape[1], len(data.classes)
    if network.sizes[0] != inputs or network.sizes[-1] != classes:
        raise DataError(
            f"{name}: a network for {network.sizes[0]} features and {network.sizes[-1]} classes "
            f"cannot read {data.name}'s {inputs} features and {classes} classes"
        )


def plane_for(
    recipe: str,
    network: Network,
    solutions: list[Array],
    trajectory: Array | None,
    *,
    seed: int,
    biases: str,
) -> Directions:
    """The plane a recipe makes through the trained (or loaded) θ*, or through three saved
    solutions."""
    from losscli.slices.directions import pca_directions, random_directions, three_point_plane

    if recipe == "three":
        return three_point_plane(*solutions)
    if recipe == "pca":
        assert trajectory is not None
        return pca_directions(trajectory)[0]
    return random_directions(network, solutions[0], seed, biases=biases)


def landscape_title(
    network: Network, recipe: str, data: Labelled, score: Scoring = Scoring()
) -> str:
    """`cross-entropy: mlp 2-16-3 tanh on blobs, random plane`, say."""
    model = model_record(network)
    shape = "-".join(map(str, network.sizes))
    kind = f"mlp {shape} {network.activation}" if model["kind"] == "mlp" else f"softmax {shape}"
    return f"{score.title}: {kind} on {data.name}, {recipe} plane"


def make_landscape(
    network: Network,
    directions: Directions,
    axes: tuple[Array, Array],
    data: Labelled,
    *,
    record: dict[str, Any],
    trajectory: Array | None = None,
    score: Scoring = Scoring(),
) -> Landscape:
    """The loss over the plane on the grid of `axes` (α across, β up), with what made it and
    the trajectory projected onto the plane (where one is given)."""
    from losscli.slices.directions import project

    alphas, betas = axes
    values = sweep_plane(network, directions, alphas, betas, data, score)
    path = project(trajectory, directions) if trajectory is not None else None
    title = landscape_title(network, directions.recipe["recipe"], data, score)
    full = {
        "params": dict(score.params),
        "model": model_record(network),
        "directions": directions.recipe,
        **record,
    }
    return Landscape(title, alphas.copy(), betas.copy(), values, full, path, loss=score.loss.name)


def trained(
    network: Network,
    data: Labelled,
    optimizer: str,
    settings: Settings,
    score: Scoring = Scoring(),
) -> Training:
    """The network trained on the data, on the loss `score`, by `optimizer` with descend's
    `settings` (its steps, learning rate and the rest, its batch size and seed)."""
    from losscli.descent.walk import transformation
    from losscli.limits import check_trajectory
    from losscli.models.training import train

    transform = transformation(optimizer, settings)
    check_trajectory(settings.steps, network.count)
    return train(
        network,
        data,
        transform,
        steps=settings.steps,
        seed=settings.seed,
        batch=settings.batch_size,
        loss=score.loss,
        params=score.params,
    )


def plane_note(recipe: dict[str, Any]) -> str:
    """One line under the map saying how the plane's directions were made."""
    if recipe["recipe"] == "pca":
        first, second = (100.0 * share for share in recipe["explained_variance_ratio"])
        return (
            f"(pca plane: the training path's top two principal directions, explaining "
            f"{first:.1f}% and {second:.1f}% of its variance)"
        )
    if recipe["recipe"] == "three":
        return "(plane through three solutions: at (0, 0), (1, 0) and (0, 1), in their order)"
    biases = "0" if recipe["biases"] == "zero" else "θ*'s own"
    return (
        f"(random plane: Gaussian directions, seed {recipe['seed']}, filter-normalised "
        f"(Li et al. 2018), biases {biases})"
    )


@dataclass(frozen=True)
class Line:
    """The loss along θ0 + t·(θ1 − θ0): `values[k]` at t = `t[k]`, with what made it."""

    title: str
    t: Array
    values: Array
    record: dict[str, Any]
    loss: str = LOSS


def make_line(
    network: Network,
    start: Array,
    end: Array,
    ts: Array,
    data: Labelled,
    record: dict[str, Any],
    score: Scoring = Scoring(),
) -> Line:
    """The loss from the initial weights `start` (t = 0) to the trained ones `end` (t = 1)."""
    from losscli.slices.directions import interpolation_losses

    values = interpolation_losses(
        network, start, end, ts, data, loss=score.loss, params=score.params
    )
    title = landscape_title(network, "line", data, score).replace("line plane", "initial → trained")
    directions = {"recipe": "interpolation", "t0": "initial", "t1": "trained"}
    full = {
        "params": dict(score.params),
        "model": model_record(network),
        "directions": directions,
        **record,
    }
    return Line(title, ts.copy(), values, full, loss=score.loss.name)
