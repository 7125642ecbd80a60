"""Networks' gradients by back-propagation against central differences (and torch autograd where
installed), and training: downhill, reproducible, its trajectory kept."""

from __future__ import annotations

import numpy as np
import pytest

from losscli.catalogue.multiclass import CROSS_ENTROPY, ONE_HOT_MSE, get_multiclass, softmax
from losscli.data.class_sets import blobs, iris, spirals
from losscli.descent.optimizers import adam, gd
from losscli.models.network import Network
from losscli.models.training import loss_and_gradient, mean_loss, train

NETWORKS = [
    Network((4, 3)),
    Network((4, 6, 3), "tanh"),
    Network((4, 6, 5, 3), "tanh"),
    Network((4, 6, 3), "relu"),
    Network((4, 6, 5, 3), "relu"),
]
STEP = 1e-6


def sample(count: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """Iris rows spread over all three species, standardised so no unit saturates."""
    data = iris()
    chosen = np.arange(0, 150, 150 // count)[:count]
    features = data.features[chosen]
    return (features - features.mean(axis=0)) / features.std(axis=0), data.labels[chosen]


def pre_activations(network: Network, theta: np.ndarray, features: np.ndarray) -> np.ndarray:
    """Every hidden unit's input at every point, flattened."""
    values, a = [], features
    for weights, biases in network.unpack(theta)[:-1]:
        z = a @ weights + biases
        values.append(z.ravel())
        a = network.hidden(z)
    return np.concatenate(values) if values else np.array([np.inf])


def away_from_kinks(network: Network, features: np.ndarray) -> np.ndarray:
    """θ (biases 0.05, off 0) where relu is differentiable even after a finite-difference step:
    no unit's input within 1e-4 of the kink (a step of 1e-6 in θ moves it by far less than
    that). The first such seed from 0; tanh has no kink, so seed 0."""
    for seed in range(100):
        theta = network.initial(seed) + 0.05
        if (
            network.activation == "tanh"
            or np.abs(pre_activations(network, theta, features)).min() > 1e-4
        ):
            return theta
    raise AssertionError("no seed keeps relu away from its kinks")


def central_differences(network, theta, features, labels, **chosen) -> np.ndarray:
    slopes = np.empty_like(theta)
    for i in range(len(theta)):
        bump = np.zeros_like(theta)
        bump[i] = STEP
        up = mean_loss(network, theta + bump, features, labels, **chosen)
        down = mean_loss(network, theta - bump, features, labels, **chosen)
        slopes[i] = (up - down) / (2 * STEP)
    return slopes


@pytest.mark.parametrize(
    ("loss", "params"),
    [(CROSS_ENTROPY, {}), (CROSS_ENTROPY, {"smoothing": 0.1}), (ONE_HOT_MSE, {})],
    ids=["cross-entropy", "smoothed", "one-hot-mse"],
)
@pytest.mark.parametrize("network", NETWORKS, ids=lambda n: f"{n.activation}-{n.sizes}")
def test_back_propagation_matches_central_differences(network, loss, params):
    features, labels = sample()
    theta = away_from_kinks(network, features)
    value, gradient = loss_and_gradient(network, theta, features, labels, loss=loss, params=params)
    assert value == mean_loss(network, theta, features, labels, loss=loss, params=params)
    expected = central_differences(network, theta, features, labels, loss=loss, params=params)
    assert np.allclose(gradient, expected, rtol=1e-6, atol=1e-8)
    assert np.abs(gradient).max() > 1e-3  # not trivially zero


def test_softmax_regression_gradient_in_closed_form():
    # For logits X·W + b the gradient of the mean cross-entropy is Xᵀ(S − Y)/n and Σ(S − Y)/n.
    features, labels = sample()
    network = Network((4, 3))
    theta = network.initial(seed=1)
    weights, biases = network.unpack(theta)[0]
    miss = softmax(features @ weights + biases) - np.eye(3)[labels]
    _, gradient = loss_and_gradient(network, theta, features, labels)
    assert np.allclose(gradient[:12].reshape(4, 3), features.T @ miss / 30, rtol=1e-13, atol=1e-16)
    assert np.allclose(gradient[12:], miss.sum(axis=0) / 30, rtol=1e-13, atol=1e-16)


@pytest.mark.parametrize("network", NETWORKS, ids=lambda n: f"{n.activation}-{n.sizes}")
def test_back_propagation_equals_torch_autograd(network):
    torch = pytest.importorskip("torch")
    features, labels = sample()
    theta = away_from_kinks(network, features)
    value, gradient = loss_and_gradient(network, theta, features, labels, params={"smoothing": 0.1})
    t = torch.tensor(theta, dtype=torch.float64, requires_grad=True)
    a = torch.tensor(features, dtype=torch.float64)
    for index, layer in enumerate(network.layers):
        weights = t[layer.start : layer.middle].reshape(layer.fan_in, layer.fan_out)
        a = a @ weights + t[layer.middle : layer.end]
        if index < len(network.layers) - 1:
            a = torch.tanh(a) if network.activation == "tanh" else torch.relu(a)
    loss = torch.nn.functional.cross_entropy(a, torch.tensor(labels), label_smoothing=0.1)
    loss.backward()
    assert value == pytest.approx(loss.item(), rel=1e-12)
    assert np.allclose(gradient, t.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_the_line_losses_train_a_two_class_network():
    features, labels = sample()
    two = labels.clip(0, 1)  # setosa against the rest
    network = Network((4, 5, 2), "tanh")
    theta = network.initial(seed=2)
    hinge = get_multiclass("squared-hinge")
    _, gradient = loss_and_gradient(network, theta, features, two, loss=hinge)
    expected = central_differences(network, theta, features, two, loss=hinge)
    assert np.allclose(gradient, expected, rtol=1e-6, atol=1e-8)


def test_full_batch_descent_goes_downhill_on_blobs():
    data = blobs(points=90, classes=3, seed=4)
    network = Network((2, 3))
    run = train(network, data, gd(lr=0.1), steps=40, seed=0)
    # softmax regression's loss is convex and smooth: small full-batch steps only go down
    assert np.all(np.diff(run.losses) < 0)
    assert run.losses[-1] < 0.5 * run.losses[0]
    mlp = train(
        Network((2, 8, 3), "relu"),
        data,
        adam(lr=0.05, beta1=0.9, beta2=0.999, eps=1e-8),
        steps=60,
        seed=1,
    )
    assert mlp.losses[-1] < 0.25 * mlp.losses[0]


def test_training_keeps_its_trajectory():
    data = spirals(points=60, classes=3, seed=2)
    network = Network((2, 4, 3), "tanh")
    run = train(network, data, gd(lr=0.5), steps=7, seed=9)
    assert run.trajectory.shape == (8, network.count) and run.losses.shape == (8,)
    assert np.array_equal(run.trajectory[0], network.initial(9))
    assert np.array_equal(run.theta, run.trajectory[-1])
    for row, loss in zip(run.trajectory, run.losses, strict=True):
        assert loss == mean_loss(network, row, data.features, data.labels)
    start = np.linspace(-1.0, 1.0, network.count)
    from_start = train(network, data, gd(lr=0.5), steps=2, seed=9, start=start)
    assert np.array_equal(from_start.trajectory[0], start)
    # one step of gd is θ − lr·∇L(θ)
    _, gradient = loss_and_gradient(network, start, data.features, data.labels)
    assert np.array_equal(from_start.trajectory[1], start + (-0.5 * gradient))


def test_mini_batches_are_reproducible_byte_for_byte():
    data = blobs(points=100, classes=4, seed=1)
    network = Network((2, 6, 4), "relu")
    optimizer = adam(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8)
    first = train(network, data, optimizer, steps=20, seed=3, batch=16)
    again = train(network, data, optimizer, steps=20, seed=3, batch=16)
    other = train(network, data, optimizer, steps=20, seed=4, batch=16)
    whole = train(network, data, optimizer, steps=20, seed=3)
    assert first.trajectory.tobytes() == again.trajectory.tobytes()
    assert first.losses.tobytes() == again.losses.tobytes()
    assert not np.array_equal(first.trajectory, other.trajectory)
    assert not np.array_equal(first.trajectory, whole.trajectory)  # the batches were used


def test_training_on_another_loss():
    data = blobs(points=60, classes=3, seed=6)
    network = Network((2, 3))
    run = train(network, data, gd(lr=1.0), steps=30, seed=0, loss=ONE_HOT_MSE)
    assert run.losses[0] == mean_loss(
        network, run.trajectory[0], data.features, data.labels, loss=ONE_HOT_MSE
    )
    assert run.losses[-1] < 0.5 * run.losses[0]
