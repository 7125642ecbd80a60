"""Directions through weight space, the plane's coordinates, the line from θ0 to θ1, saved
weights and the line plot: hand-worked values and properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from losscli.data.class_sets import blobs
from losscli.errors import DataError, ParameterError
from losscli.models.network import Network
from losscli.models.training import mean_loss
from losscli.models.weights import read_weights, weights_text
from losscli.render.lineplot import line_plot
from losscli.slices.directions import (
    Directions,
    filter_normalised,
    interpolation_losses,
    pca_directions,
    project,
    random_directions,
    three_point_plane,
)
from losscli.slices.landscape import Landscape, path_span

# ---------------------------------------------------------------------------------------------
# Filter-wise normalisation (Li et al. 2018, sec. 4: a filter of a dense layer is a unit's
# incoming weights, column j of W in the (fan_in, fan_out) layout).


def test_filter_normalisation_by_hand():
    # One layer, 2 inputs → 2 units. θ: W = [[3, 0], [4, 1]] (row-major), b = [7, 8]:
    # column 0 has norm 5, column 1 norm 1. Direction W_d = [[1, 1], [0, 1]]: column 0 (norm 1)
    # scaled ×5 → [5, 0]; column 1 (norm √2) scaled ×1/√2 → [1/√2, 1/√2]. Biases: 0.
    network = Network((2, 2))
    theta = np.array([3.0, 0.0, 4.0, 1.0, 7.0, 8.0])
    direction = np.array([1.0, 1.0, 0.0, 1.0, 9.0, 9.0])
    scaled = filter_normalised(network, theta, direction, "zero")
    half = 1 / math.sqrt(2)
    np.testing.assert_allclose(scaled, [5.0, half, 0.0, half, 0.0, 0.0], rtol=1e-15, atol=0)
    # Li et al.'s 'biasbn': the bias direction is θ*'s own bias.
    copied = filter_normalised(network, theta, direction, "copy")
    np.testing.assert_array_equal(copied[4:], [7.0, 8.0])
    assert direction.tolist() == [1.0, 1.0, 0.0, 1.0, 9.0, 9.0]  # the input is left alone


@settings(max_examples=25, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 6), min_size=2, max_size=4),
    seed=st.integers(0, 2**31),
)
def test_every_filter_has_the_norm_of_thetas(sizes, seed):
    network = Network(tuple(sizes), "relu")
    theta = network.initial(seed) + np.random.default_rng(seed + 1).normal(size=network.count)
    directions = random_directions(network, theta, seed)
    for d in (directions.d1, directions.d2):
        for (weights, _biases), (dw, db) in zip(
            network.unpack(theta), network.unpack(d), strict=True
        ):
            np.testing.assert_allclose(
                np.linalg.norm(dw, axis=0), np.linalg.norm(weights, axis=0), rtol=1e-12
            )
            assert not db.any()  # biases: zero by default


def test_random_directions_are_seeded_and_two_from_one_seed():
    network = Network((2, 8, 3))
    theta = network.initial(5)
    first, again = random_directions(network, theta, 11), random_directions(network, theta, 11)
    assert first.d1.tobytes() == again.d1.tobytes() and first.d2.tobytes() == again.d2.tobytes()
    assert not np.array_equal(first.d1, first.d2)
    other = random_directions(network, theta, 12)
    assert not np.array_equal(first.d1, other.d1)
    # d1 and d2 come, in order, from one generator: d1 from the first P normals, d2 the next.
    raw = np.random.default_rng(11).standard_normal((2, network.count))
    np.testing.assert_array_equal(first.d1, filter_normalised(network, theta, raw[0], "zero"))
    assert first.recipe == {
        "recipe": "random",
        "seed": 11,
        "normalisation": "filter",
        "biases": "zero",
    }
    assert np.array_equal(first.origin, theta)


def test_unknown_bias_treatment_is_refused():
    network = Network((2, 2))
    with pytest.raises(ParameterError, match="'keep' is not one of"):
        filter_normalised(network, np.ones(6), np.ones(6), "keep")


# ---------------------------------------------------------------------------------------------
# PCA of the trajectory (Li et al. sec. 7).


def test_pca_by_hand():
    # Rows θ_t − θ_final for t = 0, 1, 2 in a 2-D weight space: (−3, 1), (−2, −1), (−1, 0).
    # Centred: (−1, 1), (0, −1), (1, 0); scatter [[2, −1], [−1, 2]], eigenvalues 3 and 1:
    # ratios 0.75 and 0.25, first direction ±(1, −1)/√2, the sign with the start at α < 0.
    final = np.array([10.0, 20.0])
    trajectory = final + np.array([[-3.0, 1.0], [-2.0, -1.0], [-1.0, 0.0], [0.0, 0.0]])
    directions, explained = pca_directions(trajectory)
    np.testing.assert_allclose(explained, [0.75, 0.25], rtol=1e-12)
    np.testing.assert_allclose(directions.d1, [1 / math.sqrt(2), -1 / math.sqrt(2)], rtol=1e-12)
    assert directions.recipe["explained_variance_ratio"] == explained.tolist()
    assert np.array_equal(directions.origin, final)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**31), steps=st.integers(3, 30), count=st.integers(3, 40))
def test_pca_directions_are_orthonormal_and_the_start_lies_low(seed, steps, count):
    trajectory = np.cumsum(np.random.default_rng(seed).normal(size=(steps + 1, count)), axis=0)
    directions, explained = pca_directions(trajectory)
    basis = np.stack([directions.d1, directions.d2])
    np.testing.assert_allclose(basis @ basis.T, np.eye(2), atol=1e-12)
    assert 1.0 >= explained[0] >= explained[1] > 0.0 and explained.sum() <= 1.0 + 1e-12
    start = project(trajectory[:1], directions)[0]
    assert start[0] <= 0.0 and start[1] <= 0.0


def test_a_trajectory_in_a_plane_is_explained_whole_and_projected_exactly():
    rng = np.random.default_rng(3)
    u, v, final = rng.normal(size=(3, 12))
    a, b = rng.normal(size=(2, 9))
    trajectory = final + np.outer(a, u) + np.outer(b, v)
    trajectory[-1] = final
    directions, explained = pca_directions(trajectory)
    assert explained.sum() == pytest.approx(1.0, abs=1e-12)
    coordinates = project(trajectory, directions)
    rebuilt = (
        final
        + np.outer(coordinates[:, 0], directions.d1)
        + np.outer(coordinates[:, 1], directions.d2)
    )
    np.testing.assert_allclose(rebuilt, trajectory, atol=1e-12)
    # orthonormal: least squares is the dot products
    dots = (trajectory - final) @ np.stack([directions.d1, directions.d2]).T
    np.testing.assert_allclose(coordinates, dots, atol=1e-12)


def test_pca_needs_two_steps_and_a_plane():
    with pytest.raises(ParameterError, match="pca needs a trajectory of ≥ 3 steps, got 2"):
        pca_directions(np.zeros((3, 4)))
    line = np.outer(np.arange(5.0), np.ones(4))
    with pytest.raises(ParameterError, match="moves along one line"):
        pca_directions(line)


# ---------------------------------------------------------------------------------------------
# The plane through three solutions, and projection onto directions that are not orthogonal.


def test_three_solutions_lie_at_the_corners_of_the_unit_triangle():
    rng = np.random.default_rng(0)
    a, b, c = rng.normal(size=(3, 7))
    plane = three_point_plane(a, b, c)
    np.testing.assert_allclose(
        project(np.stack([a, b, c]), plane), [[0, 0], [1, 0], [0, 1]], atol=1e-12
    )
    # a point of the plane, the directions not orthogonal: least squares finds it exactly
    point = a + 0.3 * (b - a) - 2.0 * (c - a)
    np.testing.assert_allclose(project(point[np.newaxis], plane), [[0.3, -2.0]], atol=1e-12)
    assert plane.recipe["recipe"] == "three"


def test_three_solutions_on_one_line_make_no_plane():
    a = np.zeros(3)
    with pytest.raises(ParameterError, match="lie on one line"):
        three_point_plane(a, a + 1, a + 2)


# ---------------------------------------------------------------------------------------------
# The line θ0 + t·(θ1 − θ0) (Goodfellow et al. 2015).


def test_interpolation_equals_the_loss_at_each_point_of_the_line():
    data = blobs(points=40, classes=3, seed=2)
    network = Network((2, 5, 3))
    start, end = network.initial(1), network.initial(2)
    ts = np.array([-0.5, 0.0, 0.25, 1.0, 1.5])
    losses = interpolation_losses(network, start, end, ts, data)
    expected = [
        mean_loss(network, start + t * (end - start), data.features, data.labels) for t in ts
    ]
    np.testing.assert_allclose(losses, expected, rtol=1e-12)
    assert losses[1] == mean_loss(network, start, data.features, data.labels)


# ---------------------------------------------------------------------------------------------
# Saved weights.


def test_weights_read_back_to_the_same_bits():
    network = Network((4, 3, 2), "relu")
    theta = network.initial(9) / 3.0
    read, back = read_weights(weights_text(network, theta).encode(), "w.json")
    assert read == network and back.tobytes() == theta.tobytes()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1]", 'w.json: not a losscli weights file (no "weights": "losscli")'),
        (
            '{"weights": "losscli", "sizes": [2, 0]}',
            "w.json: sizes is not a list of whole numbers ≥ 1",
        ),
        (
            '{"weights": "losscli", "sizes": [1, 1], "theta": [1]}',
            "w.json: theta holds 1 numbers but sizes (1, 1) need 2",
        ),
        (
            '{"weights": "losscli", "sizes": [1, 1], "theta": [1, "x"]}',
            "w.json: theta is not a list of numbers",
        ),
        (
            '{"weights": "losscli", "sizes": [1, 1], "theta": [1, 1e999]}',
            "w.json: theta holds a number that is not finite",
        ),
        (
            '{"weights": "losscli", "sizes": [1, 1], "activation": "gelu", "theta": [1, 1]}',
            "w.json: activation: activation 'gelu' is not one of ('tanh', 'relu')",
        ),
        ("{", "w.json line 1: not valid JSON (expecting property name enclosed in double quotes)"),
    ],
)
def test_bad_weights_are_one_line_data_errors(text, message):
    with pytest.raises(DataError) as raised:
        read_weights(text.encode(), "w.json")
    assert str(raised.value) == message


# ---------------------------------------------------------------------------------------------
# The landscape grid and the line plot.


def test_a_landscape_is_a_grid_with_named_axes():
    axis = np.array([-1.0, 0.0, 1.0])
    values = np.array([[3.0, 2.0, 3.0], [2.0, 1.0, 5.0], [3.0, 0.5, 3.0]])
    landscape = Landscape("t", axis, axis, values)
    assert landscape.axes == ("alpha", "beta")
    minimum = landscape.minimum
    assert (minimum.row, minimum.col, minimum.w1, minimum.w2) == (2, 1, 0.0, 1.0)


def test_path_span_holds_the_path_with_a_quarter_to_spare():
    # reach 1.58 × 1.25 = 1.975, rounded out to two digits: 2.0
    assert path_span(np.array([[-1.58, 0.2], [0.0, 0.0]])) == (-2.0, 2.0)
    assert path_span(np.zeros((3, 2))) == (-1.0, 1.0)
    # 1.9 × 1.25 = 2.375, out to 2.4: the decimal, not 24 × 0.1 = 2.4000000000000004
    assert path_span(np.array([[1.9, 0.0]])) == (-2.4, 2.4)
    assert path_span(np.array([[-79.5, 0.0]])) == (-100.0, 100.0)  # 99.375 → 100


def test_line_plot_puts_low_values_low_and_marks_where_asked():
    xs = np.linspace(0.0, 1.0, 11)
    text = line_plot(xs, xs**2, title="square", width=20, height=5, marks={1.0: "T"}, unicode=False)
    lines = text.splitlines()
    assert lines[0] == "square"
    plot = lines[1:6]
    assert plot[0].startswith("1 |") and plot[0].endswith("T")  # the largest, top right
    assert plot[-1].startswith("0 |o")  # the smallest, bottom left
    assert lines[7].split() == ["0", "1", "t"]


def test_line_plot_leaves_out_values_that_are_not_finite():
    xs = np.array([0.0, 1.0, 2.0])
    text = line_plot(xs, np.array([1.0, np.nan, 2.0]), title="", width=12, height=3, unicode=False)
    assert text.count("o") == 2


def test_directions_hold_what_made_them():
    plane = Directions(np.zeros(2), np.ones(2), np.ones(2), {"recipe": "x"})
    assert plane.recipe == {"recipe": "x"}
