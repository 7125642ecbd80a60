"""The formats for other tools written as a stream of bounded chunks: the same bytes as the whole
document built at once with json.dumps and repr, chunks that never hold more than a bounded
number of cells, and an output file that is whole or absent however the stream ends."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from losscli import __version__, output
from losscli.catalogue import get_loss
from losscli.data import synthetic as data
from losscli.engine import Surface
from losscli.engine import surface as surface_module
from losscli.errors import DataError
from losscli.render import export
from losscli.render.export import surface_record, to_csv, to_json, to_ndjson, to_npz

LOSSCLI = [sys.executable, "-m", "losscli"]
CELL_CHARS = 100
"""More than any one cell takes in any format (a CSV line: a loss name and three reprs)."""


def surface(values: np.ndarray, loss: str = "mse") -> Surface:
    rows, cols = values.shape
    w1, w2 = np.linspace(-1.5, 2.5, cols), np.arange(rows) / 3
    return Surface(get_loss(loss), {}, data.synthetic("regression"), w1, w2, values)


def reference(surfaces: list[Surface]) -> dict[str, str]:
    """Each format built whole, the simple way: json.dumps of the records, repr of each cell."""
    records = [surface_record(s) for s in surfaces]
    document = {"version": __version__, "surfaces": records}
    csv = ["loss,w1,w2,value\n"]
    for s in surfaces:
        for i, w2 in enumerate(s.w2):
            for j, w1 in enumerate(s.w1):
                csv.append(f"{s.loss.name},{float(w1)!r},{float(w2)!r},{float(s.values[i, j])!r}\n")
    return {
        "json": json.dumps(document, allow_nan=False) + "\n",
        "ndjson": "".join(json.dumps(r, allow_nan=False) + "\n" for r in records),
        "csv": "".join(csv),
    }


def streamed(surfaces: list[Surface]) -> dict[str, list[str]]:
    return {
        "json": list(to_json(surfaces)),
        "ndjson": list(to_ndjson(surfaces)),
        "csv": list(to_csv(surfaces)),
    }


WITH_NON_FINITE = np.array(
    [[1.0, np.inf, 0.1, 2.5e-300], [np.nan, -0.0, -np.inf, 1e16], [3.0, 7.0, np.inf, 1 / 3]]
)


@pytest.mark.parametrize(
    "grids",
    [
        [np.arange(12.0).reshape(3, 4) / 7],
        [WITH_NON_FINITE],
        [WITH_NON_FINITE, np.full((3, 4), 2.0), -WITH_NON_FINITE],  # several surfaces
        [np.full((2, 3), np.nan)],  # no minimum, a note
    ],
    ids=["finite", "non-finite", "several", "all-nan"],
)
@pytest.mark.parametrize(("block", "chunk"), [(1 << 14, 1 << 20), (3, 1), (1, 50)])
def test_the_stream_is_the_document_built_whole(grids, block, chunk):
    surfaces = [surface(g, loss) for g, loss in zip(grids, ["mse", "mae", "huber"], strict=False)]
    with (
        mock.patch.object(export, "BLOCK_CELLS", block),
        mock.patch.object(export, "CHUNK_CHARS", chunk),
    ):
        got = streamed(surfaces)
    assert {name: "".join(chunks) for name, chunks in got.items()} == reference(surfaces)


finite_or_not = st.floats(allow_nan=True, allow_infinity=True, width=64)


@given(
    hnp.arrays(
        np.float64, hnp.array_shapes(min_dims=2, max_dims=2, max_side=9), elements=finite_or_not
    ),
    st.integers(1, 12),
)
def test_any_grid_streams_to_the_same_bytes_in_pieces_of_at_most_block_cells(values, block):
    """With one piece a chunk (CHUNK_CHARS 1), no chunk holds more than BLOCK_CELLS cells."""
    with (
        mock.patch.object(export, "BLOCK_CELLS", block),
        mock.patch.object(export, "CHUNK_CHARS", 1),
    ):
        got = streamed([surface(values)])
    assert {name: "".join(chunks) for name, chunks in got.items()} == reference([surface(values)])
    # the other pieces are parts of the document with the grid's arrays left empty
    emptied = {**surface_record(surface(values)), **{key: [] for key in export.GRID_KEYS}}
    others = len(json.dumps({"version": __version__, "surfaces": [emptied]}))
    for name, chunks in got.items():
        assert max(map(len, chunks)) <= max(block * CELL_CHARS, others), name


@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=2, max_dims=2, max_side=9),
        elements=st.sampled_from([0.0, 1.0, -2.0, np.inf, -np.inf, np.nan]),  # ties, non-finite
    ),
    st.integers(1, 20),
)
def test_the_minimum_searched_in_blocks_is_the_first_smallest_finite_value(values, block):
    """The JSON's minimum is searched a block of rows at a time (no copy of the grid); it is the
    one numpy's argmin finds over the whole grid with the values that are not finite masked."""
    finite = np.isfinite(values)
    with mock.patch.object(surface_module, "MINIMUM_BLOCK", block):
        found = surface_module.find_minimum(
            np.arange(values.shape[1]), np.arange(len(values)), values
        )
    if not finite.any():
        assert found is None
        return
    row, col = divmod(int(np.argmin(np.where(finite, values, np.inf))), values.shape[1])
    assert found is not None and (found.row, found.col, found.value) == (row, col, values[row, col])


def test_a_large_grid_is_written_in_chunks_of_bounded_size():
    values = np.random.default_rng(15).normal(size=(700, 700)) ** 3
    for name, chunks in streamed([surface(values)]).items():
        total = sum(map(len, chunks))
        assert total > 4 * export.CHUNK_CHARS  # several chunks, each bounded
        assert max(map(len, chunks)) <= export.CHUNK_CHARS + export.BLOCK_CELLS * CELL_CHARS, name
        assert len(chunks) >= total // (export.CHUNK_CHARS + export.BLOCK_CELLS * CELL_CHARS)


def test_a_row_wider_than_a_block_is_cut_and_still_the_same_bytes():
    values = np.linspace(0.0, 1.0, 3 * (export.BLOCK_CELLS + 5)).reshape(3, -1)
    values[1, export.BLOCK_CELLS] = np.inf  # an overflow listed past the first piece of a row
    got = streamed([surface(values)])
    assert {name: "".join(chunks) for name, chunks in got.items()} == reference([surface(values)])
    assert json.loads("".join(got["json"]))["surfaces"][0]["overflow"] == [
        [1, export.BLOCK_CELLS, 1]
    ]


def test_npz_streams_the_arrays_savez_compressed_writes_in_bounded_chunks():
    grid = np.random.default_rng(15).normal(size=(400, 700)) ** 3
    surfaces = [surface(grid, "mse"), surface(grid * 2.0, "mae")]
    chunks = list(to_npz(surfaces))
    assert max(map(len, chunks)) <= 1 << 20 < 4 * sum(map(len, chunks))  # no chunk holds a grid
    # the reference: numpy's own writer, given the arrays whole
    meta = [
        {k: v for k, v in surface_record(s).items() if k not in export.GRID_KEYS} for s in surfaces
    ]
    whole = io.BytesIO()
    np.savez_compressed(
        whole,
        w1=surfaces[0].w1,
        w2=surfaces[0].w2,
        values=np.stack([s.values for s in surfaces]),
        loss=np.array(["mse", "mae"]),
        meta=np.array(json.dumps(meta, allow_nan=False)),
    )
    streamed_zip = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    whole_zip = zipfile.ZipFile(whole)
    assert streamed_zip.namelist() == whole_zip.namelist()
    for name in whole_zip.namelist():
        assert streamed_zip.read(name) == whole_zip.read(name), name  # the same .npy bytes


def test_npz_keeps_non_finite_values_as_they_are():
    archive = b"".join(to_npz([surface(WITH_NON_FINITE)]))
    with np.load(io.BytesIO(archive), allow_pickle=False) as npz:
        assert np.array_equal(npz["values"][0], WITH_NON_FINITE, equal_nan=True)
        assert np.array_equal(np.signbit(npz["values"][0]), np.signbit(WITH_NON_FINITE))


def failing_after_first_chunk() -> Iterator[str]:
    yield "the first chunk\n"
    raise DataError("made up: the writer failed mid-way")


def test_a_failure_while_streaming_to_a_file_leaves_the_old_file_and_no_temporary(tmp_path):
    kept, fresh = tmp_path / "kept.csv", tmp_path / "fresh.csv"
    kept.write_text("the previous result\n")
    for target in (kept, fresh):
        with pytest.raises(DataError, match=r"^made up: the writer failed mid-way$"):
            output.write_output(str(target), failing_after_first_chunk())
    assert [p.name for p in tmp_path.iterdir()] == ["kept.csv"]
    assert kept.read_text() == "the previous result\n"


def test_chunks_reach_a_file_whole_and_in_order(tmp_path):
    target = tmp_path / "grid.csv"
    output.write_output(str(target), iter(["a,b\n", "1,2\n", "", "3,4\n"]))
    assert target.read_text() == "a,b\n1,2\n3,4\n"


def test_sigterm_while_the_file_is_being_streamed_leaves_the_old_file_alone(tmp_path):
    """The temporary file grows chunk by chunk (the output is streamed, not built whole first);
    SIGTERM then removes it and keeps the old file."""
    target = tmp_path / "grid.csv"
    target.write_text("old\n")
    command = [*LOSSCLI, "surface", "-l", "mse", "--steps", "3001", "--format", "csv"]
    with subprocess.Popen([*command, "-o", str(target)], stderr=subprocess.PIPE) as process:
        deadline = time.monotonic() + 120
        while not any(temporary_sizes(tmp_path)):
            assert process.poll() is None and time.monotonic() < deadline, "no chunk was written"
            time.sleep(0.02)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == -signal.SIGTERM
        assert process.stderr is not None and process.stderr.read() == b""
    assert [p.name for p in tmp_path.iterdir()] == ["grid.csv"]
    assert target.read_text() == "old\n"


def temporary_sizes(folder: Path) -> list[int]:
    """The sizes of the temporary files beside a target (one that goes meanwhile: skipped)."""
    sizes = []
    for path in folder.glob(output.TEMPORARY[0] + "*" + output.TEMPORARY[1]):
        try:
            sizes.append(path.stat().st_size)
        except FileNotFoundError:
            continue
    return sizes


def test_a_reader_that_leaves_a_fifo_mid_stream_ends_losscli_quietly_as_sigpipe(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []

    def read_a_little() -> None:
        with open(fifo, "rb") as stream:
            got.append(stream.read(4096))

    reader = threading.Thread(target=read_a_little, daemon=True)
    reader.start()
    command = [*LOSSCLI, "surface", "-l", "mse", "--steps", "1001", "--format", "json"]
    result = subprocess.run([*command, "-o", str(fifo)], capture_output=True, timeout=120)
    reader.join(timeout=30)
    assert result.returncode == -signal.SIGPIPE and result.stderr == b""
    assert got[0].startswith(b'{"version": ') and len(got[0]) == 4096
    assert [p.name for p in tmp_path.iterdir()] == ["pipe"]
