"""Datasets: the lesson's stream reproduced exactly, and CSV/JSON read with clear errors."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
from conftest import FIXTURES

from losscli.data.files import read_points, to_csv, to_json
from losscli.data.synthetic import synthetic_classification, synthetic_regression
from losscli.errors import DataError, ParameterError


def lesson_script(n: int, seed: int, noise: float = 0.2) -> tuple[list, list]:
    """The lesson's own generator, verbatim in logic: Python's random, regression first."""
    random.seed(seed)
    regression = []
    for _ in range(n):
        x = random.uniform(-1.0, 1.0)
        regression.append((x, 1.5 * x + 0.5 + random.gauss(0.0, noise)))
    classification = []
    for _ in range(n):
        x = random.uniform(-1.0, 1.0)
        classification.append((x, 1.0 if 1.5 * x + 0.5 > 0.0 else -1.0))
    return regression, classification


def points(dataset) -> list[tuple[float, float]]:
    return list(zip(dataset.x.tolist(), dataset.y.tolist(), strict=True))


@pytest.mark.parametrize("n", [1, 2, 5, 40, 101])
@pytest.mark.parametrize("seed", [0, 11, 2**33 + 7])
def test_synthetic_data_is_the_lesson_scripts_to_the_last_bit(n, seed):
    regression, classification = lesson_script(n, seed)
    assert points(synthetic_regression(n=n, seed=seed)) == regression
    assert points(synthetic_classification(n=n, seed=seed)) == classification


@pytest.mark.parametrize("n", [16_384, 30_000, 40_000])
def test_long_and_short_streams_are_the_lesson_scripts_alike(n):
    """Up to 2^16 uniforms come from Python's own generator, more from numpy's in the same
    state: 30 000 points draw 60 000 for regression (Python's) and 90 000 for classification
    (numpy's, the first 60 000 skipped), 40 000 points 80 000 and 120 000 (numpy's). The x
    are the uniforms themselves; y's noise goes through numpy's cos, sin and log, which differ
    from the C library's by an ulp at a few points in ten thousand, so it is not compared."""
    regression, classification = lesson_script(n, 11)
    assert synthetic_regression(n=n, seed=11).x.tolist() == [x for x, _ in regression]
    assert points(synthetic_classification(n=n, seed=11)) == classification


def test_defaults_write_the_lesson_fixtures_byte_for_byte():
    assert to_csv(synthetic_regression()) == (FIXTURES / "lesson-regression.csv").read_text()
    assert (
        to_csv(synthetic_classification()) == (FIXTURES / "lesson-classification.csv").read_text()
    )


def test_outliers_move_only_the_chosen_share_of_points_upwards():
    clean, dirty = synthetic_regression(n=40), synthetic_regression(n=40, outliers=0.1)
    shift = dirty.y - clean.y
    assert np.count_nonzero(shift) == 4  # round(0.1 · 40)
    assert np.all((shift == 0) | ((shift >= 3.0) & (shift <= 6.0)))
    assert np.array_equal(clean.x, dirty.x)


def test_flip_changes_exactly_the_share_of_labels():
    clean, noisy = synthetic_classification(n=40), synthetic_classification(n=40, flip=0.25)
    assert np.count_nonzero(clean.y != noisy.y) == 10


@pytest.mark.parametrize(
    ("options", "field", "message"),
    [
        ({"n": 0}, "n", "must be at least 1, got 0"),
        ({"noise": -0.1}, "noise", "must be >= 0, got -0.1"),
        ({"seed": -3}, "seed", "must be >= 0, got -3"),
        ({"outliers": 1.5}, "outliers", "must be in [0, 1], got 1.5"),
    ],
)
def test_synthetic_options_are_checked(options, field, message):
    with pytest.raises(ParameterError) as error:
        synthetic_regression(**options)
    assert (error.value.field, error.value.message) == (field, message)


@pytest.mark.parametrize(
    "text",
    [
        "x,y\n1,2\n3,4.5\n",
        "y,x,w\n2,1,9\n4.5,3,9\n",  # columns found by name, others ignored
        "1,2\n3,4.5\n",  # headerless two-column
        " X , Y \r\n1, 2\r\n\r\n# a comment\r\n3 ,4.5\r\n",  # CRLF, blanks, comments, spaces
        '"x","y"\n"1","2"\n3,4.5\n',  # quoted fields
        "\ufeffx,y\n1,2\n3,4.5\n",  # byte order mark
        '{"x": [1, 3], "y": [2, 4.5]}',
        "[[1, 2], [3, 4.5]]",
    ],
)
def test_every_accepted_form_reads_the_same_points(text):
    data = read_points(text.encode("utf-8"), "in")
    assert points(data) == [(1.0, 2.0), (3.0, 4.5)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "f.csv: no data points"),
        ("x,y\n", "f.csv: no data points"),
        ("x,y\n1,2\n3,abc\n", "f.csv line 3: y is not a number: 'abc'"),
        ("x,y\n1,2\n\n4\n", "f.csv line 4: expected 2 columns, found 1"),
        (
            "a,b,c\n1,2,3\n",
            "f.csv: no column is named x or y (columns: 'a', 'b', 'c'); choose them with x and y",
        ),
        (
            "1,2,3\n",
            "f.csv: expected 2 columns (x, y), found 3: choose two by number with x and y, "
            "or name the x and y columns in a header",
        ),
        ("x,y\n1,2\n# note\n3,-inf\n", "f.csv line 4: y is not a finite number (-inf)"),
        ("x,y\n1e400,2\n", "f.csv line 2: x is not a finite number (inf)"),
        ('{"x": [1, 2], "y": [1]}', "f.csv: x has 2 values but y has 1"),
        ('{"x": [1, "a"], "y": [1, 2]}', 'f.csv: x[1] is not a number: "a"'),
        ("[[1, 2], [3]]", "f.csv: item 1 is not an [x, y] pair of numbers"),
        (
            '{"a": 1}',
            'f.csv: expected {"x": [...], "y": [...]}, a list of [x, y] pairs or of records, '
            "or pandas' columns or split shape",
        ),
        (
            "{oops",
            "f.csv line 1: not valid JSON (expecting property name enclosed in double quotes)",
        ),
        ("[" * 100_000, "f.csv: JSON nested too deeply"),
    ],
)
def test_bad_data_is_named_by_file_and_line(text, message):
    with pytest.raises(DataError) as error:
        read_points(text.encode("utf-8"), "f.csv")
    assert str(error.value) == message


def test_binary_and_non_utf8_files_are_refused():
    with pytest.raises(DataError, match=r"^b.bin: looks like a binary file, not CSV or JSON$"):
        read_points(b"\x89PNG\x00\x00", "b.bin")
    with pytest.raises(DataError, match=r"^l1.csv: not UTF-8 text \(byte 4\)$"):
        read_points(b"x,y\n\xe9,1\n", "l1.csv")


def test_labels_accept_both_encodings_and_convert_zero_to_minus_one():
    zero_one = read_points(b"x,y\n1,0\n2,1\n", "z.csv")
    assert zero_one.targets_for("classification", "hinge").tolist() == [-1.0, 1.0]
    plus_minus = read_points(b"x,y\n1,-1\n2,1\n", "p.csv")
    assert plus_minus.targets_for("classification", "hinge").tolist() == [-1.0, 1.0]


def test_a_label_outside_both_encodings_names_its_line():
    data = read_points(b"x,y\n1,-1\n\n2,0\n3,1\n", "mixed.csv")  # a 0 makes {0, 1} the encoding
    with pytest.raises(DataError) as error:
        data.targets_for("classification", "hinge")
    assert str(error.value) == (
        "mixed.csv line 2: label -1.0 is not in {-1, +1} or {0, 1} (hinge is a classification loss)"
    )


def test_written_csv_and_json_read_back_exactly():
    data = synthetic_regression(n=17, seed=4)
    for text in (to_csv(data), to_json(data)):
        again = read_points(text.encode(), "round")
        assert np.array_equal(again.x, data.x) and np.array_equal(again.y, data.y)
    assert json.loads(to_json(data))["x"] == data.x.tolist()
