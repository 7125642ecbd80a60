"""`losscli render` of a landscape's JSON: the saved training path is drawn as `landscape`
drew it (same map lines, run table and notes); a bad "path" is a one-line data error."""

from __future__ import annotations

import json

import pytest

START = ("landscape", "--points", "60", "--hidden", "6", "--seed", "4")
LANDSCAPE = (*START, "--steps", "15")
VIEW = ("--grid-steps", "11", "--color", "never", "--width", "80")


def rendered(invoke, document: str, *args: str):
    return invoke("render", "-", "--color", "never", "--width", "80", *args, input=document)


@pytest.mark.parametrize("recipe", ["pca", "random"])
def test_render_draws_the_saved_path_as_landscape_drew_it(invoke, recipe):
    args = (*LANDSCAPE, "--directions", recipe, *VIEW)
    drawn = invoke(*args)
    assert drawn.exit_code == 0, drawn.output
    document = invoke(*args, "--format", "json").output
    again = rendered(invoke, document)
    assert again.exit_code == 0, again.output
    assert again.output.splitlines() == drawn.output.splitlines()
    assert "S" in again.output and "g gd" in again.output  # the start, and the run's row


def test_the_pca_map_carries_the_path_marks(invoke):
    document = invoke(*LANDSCAPE, "--directions", "pca", *VIEW, "--format", "json").output
    lines = rendered(invoke, document).output.splitlines()
    assert lines[7] == "   0 ┤▓▓S→g↗g→g→G"  # the path along β = 0, from S to its end G
    assert "(the path: training's θ projected onto the plane)" in lines
    record = json.loads(document)["surfaces"][0]
    del record["path"]
    bare = rendered(invoke, json.dumps(record)).output.splitlines()
    assert bare[7] == "   0 ┤▓▓▒▒░░"  # no path saved: the grid alone, as before
    assert not any(line.startswith("g gd") for line in bare)


def test_each_panel_draws_its_own_saved_path(invoke):
    first = invoke(*LANDSCAPE, "--directions", "pca", *VIEW, "--format", "ndjson").output
    second = invoke(*START, "--steps", "8", "--directions", "pca", *VIEW, "--format", "ndjson")
    result = rendered(invoke, first + second.output)
    assert result.exit_code == 0, result.output
    rows = [line.split()[-4] for line in result.output.splitlines() if line.startswith("g gd")]
    assert rows == ["15", "8"]  # each panel's table: its own run's steps


def test_a_plane_note_that_no_longer_reads_is_left_out(invoke):
    document = invoke(*LANDSCAPE, "--directions", "pca", *VIEW, "--format", "json").output
    record = json.loads(document)["surfaces"][0]
    assert "(pca plane:" in rendered(invoke, json.dumps(record)).output
    record["directions"]["explained_variance_ratio"] = "most"
    result = rendered(invoke, json.dumps(record))
    assert result.exit_code == 0 and "(pca plane:" not in result.output


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ({"alpha": [0.0, 1.0], "beta": [0.0]}, "<stdin>: path has 2 alpha but 1 beta values"),
        ([[0.0, 0.0]], "<stdin>: path is not an object of alpha and beta lists"),
        ({"alpha": [0.0, "x"], "beta": [0.0, 1.0]}, '<stdin>: path.alpha[1] is not a number: "x"'),
    ],
)
def test_a_bad_path_is_a_one_line_data_error(invoke, path, message):
    document = invoke(*LANDSCAPE, *VIEW, "--format", "json").output
    record = json.loads(document)["surfaces"][0]
    record["path"] = path
    result = rendered(invoke, json.dumps(record))
    assert result.exit_code == 1
    assert result.output.splitlines() == [f"Error: {message}"]


def test_a_landscape_keeps_its_loss_name_where_the_line_reads_an_alias(invoke):
    """`cross-entropy` on the line is logistic's alias; a landscape's is softmax cross-entropy,
    and panels share bands (`--shared-bands`) only with their own loss."""
    from losscli.render.grids import read_grids

    landscape = invoke("landscape", "--model", "softmax", "--steps", "3", "--format", "json")
    line = invoke("surface", "-l", "cross-entropy", "--format", "json")
    assert landscape.exit_code == line.exit_code == 0
    [plane] = read_grids(landscape.output.encode(), "plane.json")
    [surface] = read_grids(line.output.encode(), "line.json")
    assert (plane.loss_name, surface.loss_name) == ("cross-entropy", "logistic")
