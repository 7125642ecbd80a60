"""Every kind of bad data file the issue names, through the command line: one line, exit 1.

What is reasonably a CSV (a BOM, CRLF line ends, quoted fields, blank and comment lines) is
read, not refused.
"""

from __future__ import annotations

import builtins
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from losscli.cli import cli

FILES: list[tuple[str, bytes, str]] = [
    ("empty.csv", b"", "empty.csv: no data points"),
    ("header.csv", b"x,y\n", "header.csv: no data points"),
    ("binary.dat", b"\x00\x01\x02\x7fELF", "binary.dat: looks like a binary file, not CSV or JSON"),
    ("latin1.csv", b"x,y\n1,\xe9\n", "latin1.csv: not UTF-8 text (byte 6)"),
    ("ragged.csv", b"x,y\n1,2\n3\n", "ragged.csv line 3: expected 2 columns, found 1"),
    ("word.csv", b"x,y\n1,2\n3,abc\n", "word.csv line 3: y is not a number: 'abc'"),
    ("huge.csv", b"x,y\n1,2\n3,1e400\n", "huge.csv line 3: y is not a finite number (inf)"),
    ("inf.csv", b"x,y\n-inf,2\n", "inf.csv line 2: x is not a finite number (-inf)"),
    ("noy.csv", b"x,z,w\n1,2,3\n", "noy.csv: no column is named y (columns: 'x', 'z', 'w'); choose it with --y"),
    ("three.csv", b"1,2,3\n", "three.csv: expected 2 columns (x, y), found 3: choose two by number with --x and --y, or name the x and y columns in a header"),
    ("deep.json", b"[" * 10_000 + b"]" * 10_000, "deep.json: JSON nested too deeply"),
    ("object.json", b'{"a": 1}', 'object.json: expected {"x": [...], "y": [...]}, a list of [x, y] pairs or of records, or pandas\' columns or split shape'),
    ("pairs.json", b"[[1, 2], [3]]", "pairs.json: item 1 is not an [x, y] pair of numbers"),
    ("lengths.json", b'{"x": [1, 2], "y": [1]}', "lengths.json: x has 2 values but y has 1"),
    ("huge.json", b"[[1, 2], [1e400, 3]]", "huge.json: item 1: x is not a finite number (inf)"),
    ("broken.json", b'{"x": [1, 2', "broken.json line 1: not valid JSON (expecting ',' delimiter)"),
]  # fmt: skip


def surface(*args: str, input: bytes | None = None) -> Result:
    return CliRunner().invoke(cli, ["surface", "--loss", "mse", "--steps", "3", *args], input=input)


@pytest.mark.parametrize(("name", "content", "message"), FILES, ids=[f[0] for f in FILES])
def test_bad_data_is_one_line_naming_the_file_and_row(tmp_path: Path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    result = surface("--data", str(path))
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == f"Error: {tmp_path / message}\n"


def test_a_directory_is_not_a_data_file(tmp_path: Path):
    result = surface("--data", str(tmp_path))
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: {tmp_path}: is a directory, not a data file\n",
    )


@pytest.mark.parametrize("command", [["surface", "--data"], ["render"], ["surface", "--path"]])
def test_an_unreadable_file_says_so_with_the_data_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
):
    """As root every file is readable, so the refusal comes from a patched open() and a
    patched os.access (which Click would consult to refuse it with status 2 itself)."""
    path = tmp_path / "locked.csv"
    path.write_text("x,y\n1,2\n")
    real_open = builtins.open

    def locked(file, *args, **kwargs):
        if str(file) == str(path):
            raise PermissionError(13, "Permission denied")
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", locked)
    monkeypatch.setattr(os, "access", lambda file, mode, **kw: str(file) != str(path))
    result = CliRunner().invoke(cli, [*command, str(path)])
    assert (result.exit_code, result.stderr) == (1, f"Error: {path}: permission denied\n")


def test_a_reasonable_csv_is_read_whatever_its_dialect():
    """BOM, CRLF, quoted fields, a blank and a comment line: the points (1, 2) and (3, 4)."""
    raw = b'\xef\xbb\xbfx,y\r\n"1","2"\r\n\r\n# c\r\n3,4\r\n'
    result = surface("--data", "-", "--format", "json", input=raw)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["surfaces"][0]["data"]["n"] == 2


def test_a_single_point_draws_its_valley():
    """One point is a well-defined surface: a valley of minima along w2 = y − w1·x."""
    result = surface("--data", "-", "--format", "json", input=b"x,y\n1,2\n")
    record = json.loads(result.stdout)["surfaces"][0]
    assert result.exit_code == 0 and record["minimum"]["value"] == 0.0  # (w1, w2) = (1, 1)
