"""The loss over a plane (and a line) through a network's weights: every cell equal to the loss
at θ + α·d1 + β·d2 computed on its own, one cell at a time (`per_cell` below, the definition),
to 1e-12 relative; rows are β and columns α; blocks of cells change nothing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from losscli.catalogue.multiclass import CROSS_ENTROPY, get_multiclass
from losscli.data.labelled import Labelled
from losscli.errors import DataError
from losscli.models.network import Network
from losscli.models.training import mean_loss
from losscli.slices.plane import EXPONENT_LIMIT, line_losses, plane_losses

RELATIVE = 1e-12

NETWORKS = [
    Network((2, 3)),  # softmax regression
    Network((4, 5), "relu"),  # softmax regression: the activation is unused
    Network((2, 7, 3), "tanh"),
    Network((3, 6, 4), "relu"),
    Network((2, 5, 6, 3), "tanh"),
    Network((2, 6, 5, 3), "relu"),
]


def per_cell(network, theta, directions, alphas, betas, data, loss=CROSS_ENTROPY, **params):
    """The definition: each cell's mean loss on its own, its θ built in full."""
    d1, d2 = directions
    values = np.empty((len(betas), len(alphas)))
    for i, beta in enumerate(betas):
        for j, alpha in enumerate(alphas):
            logits = network.logits(theta + alpha * d1 + beta * d2, data.features)
            values[i, j] = np.mean(loss.value(logits, data.labels, **params))
    return values


def labelled(points: int, features: int, classes: int, seed: int) -> Labelled:
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 2.0, (points, features))
    labels = rng.integers(0, classes, points).astype(np.int64)
    names = tuple(f"class {k}" for k in range(classes))
    return Labelled(x, labels, names, "random", {"name": "random", "seed": seed})


def setting(network: Network, points: int, seed: int):
    """Trained-looking weights, two random directions and data to match."""
    rng = np.random.default_rng(seed)
    theta = network.initial(seed) + rng.normal(0.0, 0.3, network.count)
    directions = (rng.normal(0.0, 0.5, network.count), rng.normal(0.0, 0.5, network.count))
    return theta, directions, labelled(points, network.sizes[0], network.sizes[-1], seed)


@pytest.mark.parametrize("network", NETWORKS, ids=lambda n: f"{n.sizes}-{n.activation}")
def test_every_cell_is_the_loss_there(network):
    theta, directions, data = setting(network, 57, seed=3)
    alphas = np.linspace(-1.5, 2.0, 7)  # 7 columns, 5 rows: a transposed answer fails
    betas = np.array([-1.0, -0.25, 0.0, 0.5, 1.25])
    values = plane_losses(network, theta, directions, alphas, betas, data)
    assert values.shape == (5, 7)
    expected = per_cell(network, theta, directions, alphas, betas, data)
    np.testing.assert_allclose(values, expected, rtol=RELATIVE, atol=0.0)


@given(
    depth=st.integers(0, 2),
    widths=st.lists(st.integers(1, 9), min_size=2, max_size=2),
    features=st.integers(1, 4),
    classes=st.integers(2, 5),
    points=st.integers(1, 40),
    activation=st.sampled_from(["tanh", "relu"]),
    columns=st.integers(1, 6),
    rows=st.integers(1, 6),
    block=st.sampled_from([None, 1, 2, 5]),
    seed=st.integers(0, 2**32 - 1),
)
@settings(max_examples=60, deadline=None)
def test_any_network_any_cells(
    depth, widths, features, classes, points, activation, columns, rows, block, seed
):
    network = Network((features, *widths[:depth], classes), activation)
    theta, directions, data = setting(network, points, seed)
    rng = np.random.default_rng(seed)
    alphas, betas = rng.uniform(-2.0, 2.0, columns), rng.uniform(-2.0, 2.0, rows)
    values = plane_losses(network, theta, directions, alphas, betas, data, block=block)
    expected = per_cell(network, theta, directions, alphas, betas, data)
    np.testing.assert_allclose(values, expected, rtol=RELATIVE, atol=0.0)


@pytest.mark.parametrize("network", NETWORKS, ids=lambda n: f"{n.sizes}-{n.activation}")
def test_the_centre_is_the_loss_at_theta(network):
    theta, directions, data = setting(network, 30, seed=5)
    grid = np.linspace(-1.0, 1.0, 5)  # the centre cell is (0, 0)
    values = plane_losses(network, theta, directions, grid, grid, data)
    centre = mean_loss(network, theta, data.features, data.labels)
    assert values[2, 2] == pytest.approx(centre, rel=RELATIVE, abs=0.0)


def test_columns_are_alpha_and_rows_beta():
    network = Network((2, 6, 3), "tanh")
    theta, (d1, d2), data = setting(network, 40, seed=7)
    alphas, betas = np.linspace(-1.0, 1.0, 6), np.linspace(-2.0, 2.0, 4)
    only_alpha = plane_losses(network, theta, (d1, 0.0 * d2), alphas, betas, data)
    only_beta = plane_losses(network, theta, (0.0 * d1, d2), alphas, betas, data)
    # Moving along d1 alone: every row the same, the loss changing across the columns.
    np.testing.assert_allclose(only_alpha, np.tile(only_alpha[0], (4, 1)), rtol=RELATIVE)
    assert np.ptp(only_alpha[0]) > 0.01
    # Along d2 alone: every column the same, the loss changing down the rows.
    np.testing.assert_allclose(only_beta, np.tile(only_beta[:, :1], (1, 6)), rtol=RELATIVE)
    assert np.ptp(only_beta[:, 0]) > 0.01
    # The last column of only_alpha is α = 1 along d1: the loss at θ + d1.
    at_d1 = mean_loss(network, theta + d1, data.features, data.labels)
    assert only_alpha[1, -1] == pytest.approx(at_d1, rel=RELATIVE, abs=0.0)


@pytest.mark.parametrize("block", [1, 2, 3, 1000])
def test_blocks_change_nothing(block):
    network = Network((2, 5, 4, 3), "tanh")
    theta, directions, data = setting(network, 33, seed=11)
    alphas, betas = np.linspace(-1.0, 1.0, 7), np.linspace(-1.0, 1.0, 5)
    whole = plane_losses(network, theta, directions, alphas, betas, data)
    blocked = plane_losses(network, theta, directions, alphas, betas, data, block=block)
    # The same but for rounding: one cell alone is combined by a matrix–vector product, which
    # may add in another order (measured: 2 units in the last place at most).
    np.testing.assert_allclose(blocked, whole, rtol=1e-14, atol=0.0)


@pytest.mark.parametrize(
    ("network", "points"),
    [
        (Network((2, 64, 64, 3), "tanh"), 150),  # a 65 × 64 product: runs of 63 points, and 24
        (Network((2, 64, 70), "relu"), 150),  # the logits: runs of 57 points, and 36
        (Network((3, 1, 1, 2), "tanh"), 20),  # products with one column or one row
    ],
)
def test_products_cut_in_runs_are_whole(network, points):
    theta, directions, data = setting(network, points, seed=13)
    grid = np.array([-0.5, 0.0, 0.75])
    values = plane_losses(network, theta, directions, grid, grid, data)
    expected = per_cell(network, theta, directions, grid, grid, data)
    np.testing.assert_allclose(values, expected, rtol=RELATIVE, atol=0.0)


@pytest.mark.parametrize(
    ("scale", "factored"),
    [(1.0, True), (12.0, True), (4000.0, False)],  # first layers unsaturated, saturated, huge
)
def test_saturated_and_huge_first_layers(scale, factored):
    # tanh through exponentials: near 0, saturated (e^{2u} past the floats: 1 or −1), and past
    # `EXPONENT_LIMIT`, where the first layer goes cell by cell; every cell still the loss.
    network = Network((2, 6, 5, 3), "tanh")
    theta, directions, data = setting(network, 30, seed=41)
    first = slice(0, network.layers[0].end)
    for vector in (theta, *directions):
        vector[first] *= scale
    grid = np.linspace(-1.0, 1.0, 5)
    values = plane_losses(network, theta, directions, grid, grid, data)
    expected = per_cell(network, theta, directions, grid, grid, data)
    np.testing.assert_allclose(values, expected, rtol=RELATIVE, atol=0.0)
    # Which case this is: the row's part (θ and β·d2) and the column's (α·d1), |α|, |β| ≤ 1.
    largest = [
        np.max(np.abs(data.features @ weights + biases))
        for weights, biases in (network.unpack(v)[0] for v in (theta, *directions))
    ]
    parts = (largest[0] + largest[2], largest[1])
    assert (max(parts) <= EXPONENT_LIMIT) == factored
    assert largest[0] > 40 or scale == 1.0  # saturated: tanh(20) is 1 to the last bit


def test_a_large_plane_shared_between_processes():
    # Long enough (about 0.1 s on one core) for `by_columns` to hand half the columns over.
    network = Network((2, 32, 32, 3), "tanh")
    theta, directions, data = setting(network, 300, seed=17)
    alphas, betas = np.linspace(-1.0, 1.0, 31), np.linspace(-1.0, 1.0, 21)
    values = plane_losses(network, theta, directions, alphas, betas, data)
    sample = (slice(None, None, 10), slice(None, None, 10))
    expected = per_cell(network, theta, directions, alphas[sample[1]], betas[sample[0]], data)
    np.testing.assert_allclose(values[sample], expected, rtol=RELATIVE, atol=0.0)


def test_label_smoothing():
    network = Network((2, 5, 3), "relu")
    theta, directions, data = setting(network, 40, seed=19)
    grid = np.linspace(-1.0, 1.0, 4)
    smoothed = {"smoothing": 0.1}
    values = plane_losses(network, theta, directions, grid, grid, data, params=smoothed)
    expected = per_cell(network, theta, directions, grid, grid, data, **smoothed)
    np.testing.assert_allclose(values, expected, rtol=RELATIVE, atol=0.0)
    plain = plane_losses(network, theta, directions, grid, grid, data)
    assert np.all(values != plain)


@pytest.mark.parametrize("name", ["one-hot-mse", "logistic", "hinge"])
def test_other_losses(name):
    # one-hot MSE over 3 classes; the line's logistic and hinge losses over K = 2 logits, which
    # are made inside a function, cannot travel to a second process, and are swept here alone.
    loss = get_multiclass(name)
    network = Network((2, 16, 16, 3 if name == "one-hot-mse" else 2), "tanh")
    theta, directions, data = setting(network, 200, seed=37)
    alphas, betas = np.linspace(-1.0, 1.0, 31), np.linspace(-1.0, 1.0, 21)
    values = plane_losses(network, theta, directions, alphas, betas, data, loss=loss)
    sample = (slice(None, None, 10), slice(None, None, 10))
    expected = per_cell(network, theta, directions, alphas[sample[1]], betas[sample[0]], data, loss)
    np.testing.assert_allclose(values[sample], expected, rtol=RELATIVE, atol=0.0)


@pytest.mark.parametrize("network", NETWORKS, ids=lambda n: f"{n.sizes}-{n.activation}")
def test_the_line_from_start_to_end(network):
    start, (end, _), data = setting(network, 45, seed=23)
    ts = np.linspace(-0.5, 1.5, 9)  # t = 0 and t = 1 among them
    values = line_losses(network, start, end - start, ts, data)
    assert values.shape == (9,)
    expected = [
        mean_loss(network, start + t * (end - start), data.features, data.labels) for t in ts
    ]
    np.testing.assert_allclose(values, expected, rtol=RELATIVE, atol=0.0)
    at_end = mean_loss(network, end, data.features, data.labels)
    assert values[6] == pytest.approx(at_end, rel=RELATIVE, abs=0.0)  # t = 1


def test_progress_reaches_one():
    network = Network((2, 4, 3), "tanh")
    theta, directions, data = setting(network, 20, seed=29)
    seen: list[float] = []
    grid = np.linspace(-1.0, 1.0, 5)
    plane_losses(network, theta, directions, grid, grid, data, block=3, progress=seen.append)
    assert seen == sorted(seen)
    assert seen[-1] == 1.0


def test_more_points_than_a_block_holds():
    # 2-64-64-3 takes 1144 bytes a point: over 7332 points, runs of points that fit BLOCK_BYTES.
    network = Network((2, 64, 64, 3), "relu")
    theta, directions, data = setting(network, 15_000, seed=31)
    grid = np.array([-0.5, 0.25])
    seen: list[float] = []
    values = plane_losses(network, theta, directions, grid, grid, data, progress=seen.append)
    expected = per_cell(network, theta, directions, grid, grid, data)
    np.testing.assert_allclose(values, expected, rtol=RELATIVE, atol=0.0)
    assert seen == sorted(seen)
    assert seen[-1] == 1.0


def test_no_points_is_a_data_error():
    network = Network((2, 4, 3), "tanh")
    theta, directions, data = setting(network, 0, seed=41)
    with pytest.raises(DataError) as caught:
        plane_losses(network, theta, directions, np.zeros(2), np.zeros(2), data)
    assert str(caught.value) == "random: no points to take the loss over"
