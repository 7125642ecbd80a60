"""`losscli landscape` through CliRunner: the JSON's cells against an independent computation
(no row or column shift, no axis inverted), reproducible bytes, render, the recipes, errors."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from conftest import usage_error

from losscli.data.class_sets import blobs

BASE = ("landscape", "--points", "60")
SMALL = (*BASE, "--hidden", "6", "--steps", "15", "--seed", "4")


def as_json(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def independent_loss(sizes, activation, theta, features, labels) -> float:
    """The mean softmax cross-entropy written out again, apart from losscli.models: layers
    read from θ in order, W (fan_in × fan_out) row-major then b; log-sum-exp shifted."""
    a, start = features, 0
    layers = list(itertools.pairwise(sizes))
    for k, (fan_in, fan_out) in enumerate(layers):
        weights = theta[start : start + fan_in * fan_out].reshape(fan_in, fan_out)
        start += fan_in * fan_out
        biases = theta[start : start + fan_out]
        start += fan_out
        a = a @ weights + biases
        if k < len(layers) - 1:
            a = np.tanh(a) if activation == "tanh" else np.maximum(a, 0.0)
    top = a.max(axis=1, keepdims=True)
    log_total = np.log(np.exp(a - top).sum(axis=1)) + top[:, 0]
    return float(np.mean(log_total - a[np.arange(len(labels)), labels]))


def independent_directions(sizes, theta, seed):
    """Li et al.'s filter-normalised pair, written out again: N(0, 1) draws (d1 then d2 from
    one default_rng(seed)), each column of each W scaled to θ's column's norm, biases 0."""
    out = []
    for raw in np.random.default_rng(seed).standard_normal((2, len(theta))):
        d, start = np.zeros_like(theta), 0
        for fan_in, fan_out in itertools.pairwise(sizes):
            size = fan_in * fan_out
            w = theta[start : start + size].reshape(fan_in, fan_out)
            r = raw[start : start + size].reshape(fan_in, fan_out)
            d[start : start + size] = (
                r * np.linalg.norm(w, axis=0) / np.linalg.norm(r, axis=0)
            ).ravel()
            start += size + fan_out
        out.append(d)
    return out


def test_cells_equal_the_loss_at_their_point_computed_independently(invoke, tmp_path):
    saved = tmp_path / "net.json"
    ranges = ("--alpha-range", "-1", "2", "--beta-range", "-1.5", "1.5")
    args = (*SMALL, *ranges, "--grid-steps", "7", "--format", "json")
    [record] = as_json(invoke(*args, "--save-weights", str(saved)))["surfaces"]
    weights = json.loads(saved.read_text())
    sizes, theta = weights["sizes"], np.array(weights["theta"])
    assert sizes == [2, 6, 3] and record["model"]["sizes"] == sizes
    data = blobs(points=60, classes=3, seed=4)
    alphas, betas, values = record["alpha"], record["beta"], np.array(record["values"])
    assert alphas == [-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0]
    assert betas == [-1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5]

    def loss(point):
        return independent_loss(sizes, "tanh", point, data.features, data.labels)

    # θ* is the cell (α, β) = (0, 0): row 3 (β), column 2 (α); and the loss training ended with
    assert values[3, 2] == pytest.approx(loss(theta), rel=1e-12, abs=0)
    assert record["training"]["final_loss"] == pytest.approx(values[3, 2], rel=1e-12)
    d1, d2 = independent_directions(sizes, theta, seed=4)
    rng = np.random.default_rng(0)
    cells = [(0, 6), (6, 0), (1, 5)] + [tuple(rng.integers(0, 7, 2)) for _ in range(6)]
    for i, j in cells:  # row i is β, column j is α; (0, 6) against (6, 0) tells a transpose
        expected = loss(theta + alphas[j] * d1 + betas[i] * d2)
        assert values[i, j] == pytest.approx(expected, rel=1e-12, abs=0), (i, j)
    assert record["axes"] == ["alpha", "beta"]
    assert record["directions"] == {
        "recipe": "random",
        "seed": 4,
        "normalisation": "filter",
        "biases": "zero",
    }
    assert record["data"] == {"name": "blobs", "points": 60, "classes": 3, "seed": 4}
    assert record["minimum"]["value"] == values.min()


def test_the_same_seed_gives_the_same_bytes(invoke, tmp_path):
    outputs = []
    for name, seed in (("a", "4"), ("b", "4"), ("c", "5")):
        path = tmp_path / f"{name}.json"
        args = (*SMALL[:-1], seed, "--grid-steps", "5", "--format", "json", "-o", str(path))
        assert invoke(*args).exit_code == 0
        outputs.append(path.read_bytes())
    assert outputs[0] == outputs[1]
    assert outputs[0] != outputs[2]


def test_render_draws_the_json_again_with_the_axes_named(invoke, tmp_path):
    path = tmp_path / "plane.json"
    assert invoke(*SMALL, "--grid-steps", "5", "--format", "json", "-o", str(path)).exit_code == 0
    result = invoke("render", str(path), "--color", "never", "--width", "80")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "cross-entropy: mlp 2-6-3 tanh on blobs, random plane"
    assert lines[1].strip() == "beta"
    assert any(line.rstrip().endswith("alpha") for line in lines)
    assert any(line.startswith("min ") and "at alpha = " in line for line in lines)


@pytest.mark.parametrize(("fmt", "first"), [("csv", "loss,alpha,beta,value"), ("ndjson", "{")])
def test_other_formats_name_the_axes(invoke, fmt, first):
    result = invoke(*SMALL, "--grid-steps", "3", "--format", fmt)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(first)
    if fmt == "csv":
        assert result.output.splitlines()[5].startswith("cross-entropy,0.0,0.0,")  # θ*


def test_npz_holds_alpha_and_beta(invoke, tmp_path):
    path = tmp_path / "plane.npz"
    assert invoke(*SMALL, "--grid-steps", "3", "--format", "npz", "-o", str(path)).exit_code == 0
    with np.load(path) as archive:
        assert archive["alpha"].tolist() == [-1.0, 0.0, 1.0]
        assert archive["values"].shape == (1, 3, 3)


def test_pca_records_the_variance_and_the_path_ends_at_the_origin(invoke):
    [record] = as_json(
        invoke(*SMALL, "--directions", "pca", "--grid-steps", "5", "--format", "json")
    )["surfaces"]
    explained = record["directions"]["explained_variance_ratio"]
    assert len(explained) == 2 and 1.0 >= explained[0] >= explained[1] > 0.0
    path = record["path"]
    assert len(path["alpha"]) == 16  # 15 steps and the start
    assert (path["alpha"][-1], path["beta"][-1]) == (0.0, 0.0)
    assert path["alpha"][0] <= 0.0 and path["beta"][0] <= 0.0
    reach = max(map(abs, path["alpha"] + path["beta"]))
    assert record["alpha"][-1] >= reach  # the default span holds the path


def test_three_saved_solutions_lie_at_their_corners(invoke, tmp_path):
    files = []
    for seed in ("1", "2", "3"):
        path = tmp_path / f"net{seed}.json"
        args = (
            *BASE,
            "--hidden",
            "6",
            "--seed",
            "4",
            "--steps",
            seed + "0",
            "--save-weights",
            str(path),
            "--format",
            "csv",
        )
        assert invoke(*args, "--grid-steps", "2").exit_code == 0
        files += ["--weights", str(path)]
    args = (*SMALL, "--directions", "three", *files, "--grid-steps", "5", "--format", "json")
    [record] = as_json(invoke(*args))["surfaces"]
    assert record["alpha"] == [-0.5, 0.0, 0.5, 1.0, 1.5]
    values = np.array(record["values"])
    data = blobs(points=60, classes=3, seed=4)
    corners = {(1, 1): files[1], (1, 3): files[3], (3, 1): files[5]}  # (row β, col α)
    for (i, j), name in corners.items():
        weights = json.loads((tmp_path / name).read_text())
        own = independent_loss(
            [2, 6, 3], "tanh", np.array(weights["theta"]), data.features, data.labels
        )
        assert values[i, j] == pytest.approx(own, rel=1e-12), name
    assert record["training"] == {"weights": files[1::2]}


def test_the_line_from_the_initial_weights_to_the_trained_ones(invoke):
    document = as_json(invoke(*SMALL, "--line", "--grid-steps", "9", "--format", "json"))
    line = document["line"]
    assert line["t"] == [-0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5]
    assert line["values"][2] == pytest.approx(line["training"]["initial_loss"], rel=1e-12)
    assert line["values"][6] == pytest.approx(line["training"]["final_loss"], rel=1e-12)
    text = invoke(*SMALL, "--line", "--width", "60").output
    assert "I initial weights (t = 0)   T trained weights (t = 1)" in text
    assert text.splitlines()[0] == "cross-entropy: mlp 2-6-3 tanh on blobs, initial → trained"


def test_the_map_draws_the_training_path(invoke):
    result = invoke(*SMALL, "--directions", "pca", "--color", "never", "--width", "90")
    assert result.exit_code == 0, result.output
    assert "start alpha, beta" in result.output
    assert "(the path: training's θ projected onto the plane)" in result.output


def test_softmax_is_a_linear_model(invoke):
    [record] = as_json(
        invoke(*SMALL, "--model", "softmax", "--grid-steps", "3", "--format", "json")
    )["surfaces"]
    assert record["model"] == {
        "kind": "softmax",
        "sizes": [2, 3],
        "activation": None,
        "parameters": 9,
    }


@pytest.mark.parametrize(
    ("args", "option", "message"),
    [
        (("--directions", "three"), "--weights", "three needs three saved solutions, got 0"),
        (("--hidden", "8,x"), "--hidden", "'8,x' is not widths such as 16 or 64,64"),
        (("--hidden", "4,4,4"), "--hidden", "an MLP has one or two hidden layers, got 3"),
        (("--format", "npz"), "--format", "npz is binary: give -o PATH to write it to a file"),
        (
            ("--line", "--format", "ndjson"),
            "--format",
            "--line writes text, json or csv, not ndjson",
        ),
        (
            ("--line", "--directions", "pca"),
            "--line",
            "draws the line from θ0 to θ*; it takes no --directions",
        ),
        (("--span", "1", "-1"), "--span", "LO must be below HI, got 1 -1"),
        (("--alpha-range", "1", "1"), "--alpha-range", "LO must be below HI, got 1 1"),
        (
            ("--line", "--save-svg", "a.svg"),
            "--save-svg",
            "pictures the map; --line draws text only",
        ),
        (("--lr", "0"), "--lr", "must be > 0, got 0"),
    ],
)
def test_bad_options_are_usage_errors(invoke, args, option, message):
    usage_error(invoke(*BASE, *args), option, message)


def test_pca_needs_training(invoke, tmp_path):
    path = tmp_path / "net.json"
    assert (
        invoke(
            *SMALL, "--format", "csv", "--grid-steps", "2", "--save-weights", str(path)
        ).exit_code
        == 0
    )
    result = invoke(*SMALL, "--directions", "pca", "--weights", str(path))
    usage_error(result, "--directions", "pca needs the training trajectory: train, not load")


def test_weights_that_do_not_fit_the_data_are_data_errors(invoke, tmp_path):
    path = tmp_path / "net.json"
    path.write_text(
        '{"weights": "losscli", "sizes": [4, 3], "theta": ' + json.dumps([0.0] * 15) + "}"
    )
    result = invoke(*SMALL, "--weights", str(path))
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"Error: {path}: a network for 4 features and 3 classes cannot read blobs's 2 features and 3 classes"
    ]
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    result = invoke(*SMALL, "--weights", str(broken))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.startswith(f"Error: {broken} line 1: not valid JSON")


def test_loaded_weights_give_the_trained_landscape(invoke, tmp_path):
    path = tmp_path / "net.json"
    args = (*SMALL, "--grid-steps", "5", "--format", "json")
    trained = as_json(invoke(*args, "--save-weights", str(path)))["surfaces"][0]
    loaded = as_json(invoke(*args, "--weights", str(path)))["surfaces"][0]
    assert loaded["values"] == trained["values"]
    assert loaded["training"] == {"weights": [str(path)]}


def test_a_minimum_on_the_edge_names_the_planes_option(invoke):
    # 2 training steps leave θ* far from a minimum: the loss falls towards the plane's edge
    args = (*BASE, "--hidden", "6", "--seed", "4", "--steps", "2")
    result = invoke(*args, "--color", "never", "--width", "100")
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "may fall further below alpha = -1 and below beta = -1" in text
    assert "widen --alpha-range and --beta-range" in text
    assert "w1" not in text


def test_render_reads_any_axes_names_and_refuses_bad_ones(invoke, tmp_path):
    grid = {"axes": ["a", "b"], "a": [0, 1, 2], "b": [5, 6], "values": [[3, 2, 1], [4, 0, 4]]}
    path = tmp_path / "grid.json"
    path.write_text(json.dumps(grid))
    result = invoke("render", str(path), "--color", "never", "--width", "60")
    assert result.exit_code == 0, result.output
    assert "min 0 at a = 1, b = 6" in result.output
    for axes, message in (
        (["a"], 'axes is not a list of two names, such as ["alpha", "beta"]'),
        (["a", "a"], 'axes is not a list of two names, such as ["alpha", "beta"]'),
        (["a", "values"], 'axes is not a list of two names, such as ["alpha", "beta"]'),
        (["a", "c"], "no 'c' field"),
    ):
        path.write_text(json.dumps({**grid, "axes": axes}))
        result = invoke("render", str(path))
        assert result.exit_code == 1
        assert result.output.splitlines() == [f"Error: {path}: {message}"]
    path.write_text(json.dumps({**grid, "values": [[3, 2, 1]]}))
    result = invoke("render", str(path))
    assert result.output.splitlines() == [f"Error: {path}: values has 1 rows but b has 2 values"]


def test_the_view_saves_as_svg(invoke, tmp_path):
    picture = tmp_path / "plane.svg"
    result = invoke(*SMALL, "--grid-steps", "5", "--save-svg", str(picture), "--color", "never")
    assert result.exit_code == 0, result.output
    assert picture.read_text().lstrip().startswith("<svg")
    assert "alpha" in picture.read_text()


def test_a_grid_too_large_for_memory_is_refused_before_training(invoke):
    result = invoke(*BASE, "--steps", "100000000", "--grid-steps", "100000")
    assert result.exit_code == 2
    last = result.output.splitlines()[-1]
    assert last.startswith(
        "Error: Invalid value for '--grid-steps': 100000 × 100000 cells would need about"
    )


def test_a_trajectory_too_large_for_memory_is_refused_before_training(invoke):
    result = invoke(*BASE, "--hidden", "64,64", "--steps", "10000000000")
    assert result.exit_code == 2
    last = result.output.splitlines()[-1]
    assert last.startswith(
        "Error: Invalid value for '--steps': 10000000000 steps × 4547 weights would need about"
    )


CLASSES_CSV = "a,b,species\n1,2,x\n2,1,y\n0,0,x\n3,3,y\n1,1,x\n2,2,y\n"


def test_own_data_from_a_file_names_its_columns_and_is_the_plane_s_loss(invoke, tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text(CLASSES_CSV)
    args = ("landscape", "--data", str(path), "--model", "softmax", "--steps", "5")
    saved = tmp_path / "net.json"
    [record] = as_json(
        invoke(*args, "--grid-steps", "3", "--format", "json", "--save-weights", str(saved))
    )["surfaces"]
    assert record["data"] == {
        "kind": "file",
        "source": str(path),
        "points": 6,
        "classes": 2,
        "features": ["a", "b"],
        "class_column": "species",
    }
    theta = np.array(json.loads(saved.read_text())["theta"])
    features = np.array([[1, 2], [2, 1], [0, 0], [3, 3], [1, 1], [2, 2]], dtype=float)
    labels = np.array([0, 1, 0, 1, 0, 1])  # x → 0, y → 1: classes numbered in sorted order
    centre = independent_loss([2, 2], "tanh", theta, features, labels)
    assert np.array(record["values"])[1, 1] == pytest.approx(centre, rel=1e-12, abs=0)


@pytest.mark.parametrize(
    ("args", "option", "message"),
    [
        (
            ("--data", "X", "--points", "5"),
            "--points",
            "sets up a made data set; it cannot go with --data",
        ),
        (
            ("--data", "X", "--dataset", "iris"),
            "--dataset",
            "sets up a made data set; it cannot go with --data",
        ),
        (("--class-column", "q"), "--class-column", "chooses --data's columns; give --data PATH"),
        (("--features", "a"), "--features", "chooses --data's columns; give --data PATH"),
    ],
)
def test_own_data_refuses_the_made_sets_options(invoke, args, option, message):
    usage_error(invoke("landscape", *args), option, message)


def test_own_data_with_a_column_it_lacks_names_the_columns(invoke, tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text(CLASSES_CSV)
    result = invoke("landscape", "--data", str(path), "--class-column", "q")
    usage_error(result, "--class-column", f"no column 'q' in {path} (columns: 'a', 'b', 'species')")
