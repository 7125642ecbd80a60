"""Round trips: surface's data formats read back exactly, and `losscli render` draws them."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from losscli.catalogue import get_loss
from losscli.cli import cli
from losscli.data import synthetic as data
from losscli.engine import Axis, Surface, sweep
from losscli.errors import DataError
from losscli.render.export import to_json, to_ndjson, to_npz
from losscli.render.grids import read_grids

CLEAN_ENV = {"COLUMNS": None, "NO_COLOR": None, "FORCE_COLOR": None}


def run(*args: str, input: str | bytes | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, env=CLEAN_ENV)


VIEWS = [
    [],
    ["--width", "100"],
    ["--style", "plain", "--origin", "upper"],
    ["--style", "plain", "--width", "50"],
    ["--scale", "log", "--levels", "5", "--color", "always", "--width", "120"],
    ["--loss", "huber", "--delta", "0.3", "--scale", "quantile"],
    ["--loss", "mse", "--steps", "201", "--w1-range", "0", "3", "--width", "70"],
]


@pytest.mark.parametrize("view", VIEWS, ids=" ".join)
def test_render_of_surface_json_looks_the_same_as_surface(view: list[str]) -> None:
    grid_options = [a for a in view if a not in ("--style", "plain", "--origin", "upper")]
    shown = run("surface", *view)
    document = run("surface", *grid_options, "--format", "json").output
    view_only = [a for a in view if a not in grid_options or a in ("--width", "--scale")]
    view_only = _view_options(view)
    redrawn = run("render", "-", *view_only, input=document)
    assert shown.exit_code == redrawn.exit_code == 0, redrawn.output
    assert redrawn.output == shown.output


def _view_options(args: list[str]) -> list[str]:
    """The options of `args` that render takes: the view, not the sweep."""
    takes_value = {"--width", "--scale", "--levels", "--color", "--style", "--origin"}
    kept = []
    for i, arg in enumerate(args):
        if arg in takes_value:
            kept += [arg, args[i + 1]]
    return kept


def test_render_of_ndjson_looks_the_same_as_surface() -> None:
    ndjson = run("surface", "--format", "ndjson").output
    assert len(ndjson.splitlines()) == 4
    assert run("render", "-", input=ndjson).output == run("surface").output


def test_ndjson_lines_are_the_json_documents_surfaces() -> None:
    document = json.loads(run("surface", "--format", "json").output)
    lines = [json.loads(line) for line in run("surface", "--format", "ndjson").output.splitlines()]
    assert lines == document["surfaces"]


def test_after_jq_picks_one_surface_render_draws_it() -> None:
    """As `jq '.surfaces[1]'`: one object, no document around it."""
    document = json.loads(run("surface", "--format", "json").output)
    picked = json.dumps(document["surfaces"][1], indent=2)
    result = run("render", "-", "--style", "plain", input=picked)
    assert result.output.splitlines()[0] == "MAE"
    assert result.output.count("*") == 1


def test_after_jq_edits_a_value_the_star_follows_the_values() -> None:
    """The minimum is recomputed: a stale "minimum" field does not decide where the star is."""
    record = json.loads(run("surface", "--loss", "mse", "--format", "json").output)["surfaces"][0]
    record["values"][0][0] = -1.0  # w2 = -2, w1 = -2: bottom-left with origin lower
    result = run("render", "-", input=json.dumps(record))
    assert "min -1 at w1 = -2, w2 = -2" in result.output
    bottom_row = next(line for line in result.output.splitlines() if line.startswith("  -2 ┤"))
    assert bottom_row.startswith("  -2 ┤★")


def test_another_tools_grid_with_extra_keys() -> None:
    # Hand-computed: 5 values 0..4 in 4 linear bands are bands 0..4 exactly (t = v/4, band
    # = floor(4t)), drawn with the ramp " ░▒▓█"; the minimum 0 is starred.
    grid = {"w1": [0, 1, 2, 3, 4], "w2": [7], "values": [[0, 1, 2, 3, 4]], "made_by": "numpy"}
    result = run("render", "-", "--style", "plain", input=json.dumps(grid))
    assert result.exit_code == 0
    assert result.output == "<stdin>\n*░▒▓█\n"


def test_title_and_null_cells(tmp_path: Path) -> None:
    source = tmp_path / "grid.json"
    grid = {"title": "my fit", "w1": [0, 1, 2], "w2": [0], "values": [[2, None, 1]]}
    source.write_text(json.dumps(grid))
    result = run("render", str(source), "--style", "plain")
    # 1 is the minimum (starred), 2 the maximum (top band █), null a not-finite cell (!).
    assert result.output == "my fit\n█!*\n"


def test_render_writes_to_a_file(tmp_path: Path) -> None:
    target = tmp_path / "view.txt"
    document = run("surface", "--format", "json").output
    result = run("render", "-", "-o", str(target), "--width", "120", input=document)
    assert result.output == ""
    assert target.read_text() == run("surface", "--width", "120").output


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ('{"w1": [0, 1], "values": [[1, 2]]}', "<stdin>: no 'w2' field"),
        ('{"w1": [0, 1]}', "<stdin>: no 'w2', 'values' field"),
        (
            '{"w1": [0, 1, 2], "w2": [0, 1], "values": [[1, 2, 3], [4, 5]]}',
            "<stdin>: values[1] has 2 numbers but w1 has 3",
        ),
        (
            '{"w1": [0, 1], "w2": [0, 1, 2], "values": [[1, 2], [3, 4]]}',
            "<stdin>: values has 2 rows but w2 has 3 values",
        ),
        ('{"w1": [0, "1"], "w2": [0], "values": [[1, 2]]}', '<stdin>: w1[1] is not a number: "1"'),
        ('{"w1": [], "w2": [0], "values": [[]]}', "<stdin>: w1 is not a non-empty list of numbers"),
        ('{"w1": [0], "w2": 5, "values": [[1]]}', "<stdin>: w2 is not a non-empty list of numbers"),
        ('{"w1": [0], "w2": [0], "values": 3}', "<stdin>: values is not a list of rows"),
        ('{"w1": [0], "w2": [0], "values": [3]}', "<stdin>: values[0] is not a list"),
        (
            '{"w1": [0, 1], "w2": [0], "values": [[1, true]]}',
            "<stdin>: values[0][1] is not a number or null: true",
        ),
        (
            '[{"w1": [0], "w2": [0], "values": [[1]]}, {"w1": [0], "w2": [0], "values": [[[1]]]}]',
            "<stdin> grid 2: values[0][0] is not a number or null: [1]",
        ),
        ("[1]", '<stdin>: expected an object with "w1", "w2" and "values"'),
        ('{"w1": [0],\n "w2": }', "<stdin> line 2: not valid JSON (expecting value)"),
        ("  \n", "<stdin>: holds no grid"),
        ('{"surfaces": []}', "<stdin>: holds no grid"),
        (b"\xff\xfe", "<stdin>: not UTF-8 text (byte 0)"),
    ],
)
def test_bad_grids_are_one_line_errors(grid: str | bytes, message: str) -> None:
    result = run("render", "-", input=grid)
    assert result.exit_code == 1
    assert result.output == f"Error: {message}\n"


def test_a_missing_file_is_named() -> None:
    result = run("render", "nowhere.json")
    assert result.exit_code == 1
    assert result.output == "Error: nowhere.json: no such file\n"


# ---------------------------------------------------------------------------------------------
# Exact round trips of the numbers.


def lesson_surfaces(steps: int = 21) -> list[Surface]:
    """The lesson's four surfaces, swept in-process: the reference the formats must match."""
    surfaces = []
    for name in ("mse", "mae", "huber", "hinge"):
        loss = get_loss(name)
        dataset = data.synthetic(loss.task)
        axis = (Axis("w1", -2.0, 4.0, steps), Axis("w2", -2.0, 4.0, steps))
        surfaces.append(sweep(loss, loss.resolve_params({}), dataset, *axis))
    return surfaces


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("output_format", ["json", "ndjson"])
def test_json_formats_read_back_bit_for_bit(output_format: str) -> None:
    text = run("surface", "--format", output_format).output
    for read, swept in zip(read_grids(text.encode(), "out"), lesson_surfaces(), strict=True):
        assert same_bits(read.values, swept.values)
        assert same_bits(read.w1, swept.w1) and same_bits(read.w2, swept.w2)


def test_csv_reads_back_bit_for_bit() -> None:
    rows = run("surface", "--loss", "huber", "--format", "csv").output.splitlines()
    assert rows[0] == "loss,w1,w2,value"
    values = np.array([float(row.split(",")[3]) for row in rows[1:]]).reshape(21, 21)
    assert same_bits(values, lesson_surfaces()[2].values)


def test_npz_reads_back_bit_for_bit(tmp_path: Path) -> None:
    target = tmp_path / "grid.npz"
    result = run("surface", "--format", "npz", "-o", str(target))
    assert result.exit_code == 0 and result.output == ""
    swept = lesson_surfaces()
    with np.load(target, allow_pickle=False) as npz:
        assert sorted(npz.files) == ["loss", "meta", "values", "w1", "w2"]
        assert same_bits(npz["w1"], swept[0].w1) and same_bits(npz["w2"], swept[0].w2)
        assert same_bits(npz["values"], np.stack([s.values for s in swept]))
        assert npz["loss"].tolist() == ["mse", "mae", "huber", "hinge"]
        meta = json.loads(npz["meta"].item())
    assert [m["params"] for m in meta] == [{}, {}, {"delta": 1.0}, {}]
    minimum = swept[0].minimum
    assert minimum is not None
    assert meta[0]["minimum"] == {
        "w1": minimum.w1, "w2": minimum.w2, "value": minimum.value, "row": 8, "col": 12
    }  # fmt: skip


def test_npz_needs_an_output_file() -> None:
    result = run("surface", "--format", "npz")
    assert result.exit_code == 2
    assert "Invalid value for '--format': npz is binary: give -o PATH to write it to a file" in (
        result.output
    )


def test_data_keeps_full_resolution_while_the_view_is_thinned() -> None:
    document = json.loads(
        run("surface", "--loss", "mse", "--steps", "501", "--format", "json").output
    )
    record = document["surfaces"][0]
    assert len(record["w1"]) == len(record["w2"]) == 501
    assert all(len(row) == 501 for row in record["values"])


finite_grids = hnp.arrays(
    np.float64,
    hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=6),
    elements=st.floats(allow_nan=False, allow_infinity=False, width=64),
)


def synthetic_surface(values: np.ndarray) -> Surface:
    loss = get_loss("mse")
    rows, cols = values.shape
    return Surface(
        loss, {}, data.synthetic("regression"), np.arange(cols) * 0.1, np.arange(rows) / 3, values
    )


@given(finite_grids)
def test_any_float64_grid_round_trips_through_json_ndjson_and_npz(values: np.ndarray) -> None:
    surface = synthetic_surface(values)
    for text in ("".join(to_json([surface])), "".join(to_ndjson([surface]))):
        (read,) = read_grids(text.encode(), "x")
        assert same_bits(read.values, values)
        assert same_bits(read.w1, surface.w1) and same_bits(read.w2, surface.w2)
    with np.load(io.BytesIO(b"".join(to_npz([surface]))), allow_pickle=False) as npz:
        assert same_bits(npz["values"][0], values)


def test_non_finite_cells_travel_as_null_and_come_back_not_finite() -> None:
    values = np.array([[1.0, np.inf], [np.nan, -0.0]])
    text = "".join(to_json([synthetic_surface(values)]))
    assert '"values": [[1.0, null], [null, -0.0]]' in text
    (read,) = read_grids(text.encode(), "x")
    assert np.array_equal(np.isfinite(read.values), np.isfinite(values))
    assert same_bits(read.values[1, 1:], np.array([-0.0]))


def test_read_grids_names_the_source_in_errors() -> None:
    with pytest.raises(DataError, match=r"^grid\.json: no 'values' field$"):
        read_grids(b'{"w1": [1], "w2": [1]}', "grid.json")
