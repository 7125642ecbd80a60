"""Reading anyone's data (issue 13, part 0): columns chosen with --x/--y or taken in order, the
delimiter detected or given, rows with a missing value skipped (or refused with --strict), and
the JSON shapes pandas' `to_json` writes."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from losscli.data.columns import MISSING, Reading, detect_delimiter
from losscli.data.csv_points import BATCH_ROWS
from losscli.data.files import read_points, read_stream
from losscli.errors import DataError, ParameterError

SCORES = "hours,score\n1,52\n2,55\n3,61\n4,64\n5,70\n"
"""The issue's teacher's CSV. At w1 = 4.5, w2 = 47 the line predicts 51.5, 56, 60.5, 65,
69.5: residuals -0.5, 1, -0.5, 1, -0.5, so MSE = 2.75 / 5 = 0.55 and MAE = 3.5 / 5 = 0.7."""

NOTE = "Warning: {}: no column is named x or y; taking x = hours, y = score, in the file's order\n"


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def evaluate(invoke, path: str, *options: str):
    """`losscli eval` at (4.5, 47) with MSE on `path`: the Click result."""
    return invoke(
        "eval", "-l", "mse", "--w1", "4.5", "--w2", "47", "--format", "json", "--data", path,
        *options,
    )  # fmt: skip


def mse(result) -> float:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)[0]["value"]


def one_line_error(result, code: int, message: str) -> None:
    assert result.exit_code == code
    assert result.stderr.splitlines()[-1] == f"Error: {message}"
    assert "Traceback" not in result.output


def read(text: str, **reading: Any):
    """The points of `text` read as `reading` says, and what the reader told."""
    told: list[str] = []
    data = read_stream(io.BytesIO(text.encode()), "f.csv", Reading(**reading), tell=told.append)
    return data.x.tolist(), data.y.tolist(), told


# ---------------------------------------------------------------------------------------------
# Columns: through the command line.


def test_a_csv_headed_hours_score_is_read_in_order_and_says_so(invoke, tmp_path):
    path = write(tmp_path, "scores.csv", SCORES)
    result = evaluate(invoke, path)
    assert mse(result) == pytest.approx(0.55, rel=1e-15)
    assert result.stderr == NOTE.format(path)


@pytest.mark.parametrize("command", ["surface", "descend"])
def test_the_view_says_which_columns_it_took(invoke, tmp_path, command):
    path = write(tmp_path, "scores.csv", SCORES)
    result = invoke(command, "-l", "mse", "--steps", "5", "--color", "never", "--data", path)
    assert result.exit_code == 0, result.output
    # The view itself, not only the warning on stderr, names the columns taken.
    told = NOTE.removeprefix("Warning: ").format(path).strip()
    assert told in " ".join(result.stdout.split())
    chosen = invoke(command, "-l", "mse", "--steps", "5", "--data", path, "--x", "1", "--y", "2")
    assert "taking x" not in chosen.stdout  # chosen by the user: nothing to say


def test_the_columns_taken_are_recorded_in_the_surface_json(invoke, tmp_path):
    path = write(tmp_path, "scores.csv", "id,hours,score\n1,1,52\n2,2,55\n")
    result = invoke(
        "surface", "-l", "mse", "--steps", "2", "--format", "json", "--data", path,
        "--x", "hours", "--y", "3",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stderr == ""  # chosen, so nothing to tell
    data = json.loads(result.stdout)["surfaces"][0]["data"]
    assert data["columns"] == {"x": "hours", "y": "score"}
    assert (data["n"], data["skipped"]) == (2, 0)


@pytest.mark.parametrize(
    "options",
    [("--x", "hours", "--y", "score"), ("--x", "2", "--y", "3"), ("--y", "SCORE", "--x", "Hours")],
)
def test_x_and_y_choose_columns_by_name_number_or_any_case(invoke, tmp_path, options):
    path = write(tmp_path, "scores.csv", "id,hours,score,notes\n" + "".join(
        f"{i},{h},{s},n{i}\n" for i, (h, s) in enumerate([(1, 52), (2, 55), (3, 61), (4, 64), (5, 70)])
    ))  # fmt: skip
    assert mse(evaluate(invoke, path, *options)) == pytest.approx(0.55, rel=1e-15)


def test_the_commands_that_take_data_take_the_columns(invoke, tmp_path):
    path = write(tmp_path, "scores.csv", "a,hours,score\n0,1,52\n0,5,70\n")
    for command in (["surface", "--steps", "2", "--format", "json"], ["descend", "--steps", "1"]):
        result = invoke(*command, "-l", "mse", "--data", path, "--x", "hours", "--y", "score")
        assert result.exit_code == 0, (command, result.output)


def test_a_header_of_three_unnamed_columns_is_one_line_naming_them(invoke, tmp_path):
    path = write(tmp_path, "scores.csv", "id,hours,score\n1,2,3\n")
    result = evaluate(invoke, path)
    message = (
        f"{path}: no column is named x or y (columns: 'id', 'hours', 'score'); "
        "choose them with --x and --y"
    )
    one_line_error(result, 1, message)


def test_a_header_with_x_but_three_columns_asks_for_y_only(invoke, tmp_path):
    path = write(tmp_path, "scores.csv", "x,a,b\n1,2,3\n")
    message = f"{path}: no column is named y (columns: 'x', 'a', 'b'); choose it with --y"
    one_line_error(evaluate(invoke, path), 1, message)


def test_three_columns_without_a_header_ask_for_numbers(invoke, tmp_path):
    path = write(tmp_path, "three.csv", "1,2,3\n")
    message = (
        f"{path}: expected 2 columns (x, y), found 3: choose two by number with --x and --y, "
        "or name the x and y columns in a header"
    )
    one_line_error(evaluate(invoke, path), 1, message)
    assert mse(evaluate(invoke, path, "--x", "3", "--y", "1")) == (4.5 * 3 + 47 - 1) ** 2


@pytest.mark.parametrize(
    ("options", "flag", "message"),
    [
        (["--x", "nosuch"], "--x", "no column 'nosuch' in {} (columns: 'hours', 'score')"),
        (["--y", "0"], "--y", "{} has 2 columns: a column number is 1 to 2, not 0"),
        (["--x", "3"], "--x", "{} has 2 columns: a column number is 1 to 2, not 3"),
        (["--delimiter", "|"], "--delimiter", "must be one of ',', ';', 'tab' or 'space', not '|'"),
    ],
)
def test_a_wrong_column_or_delimiter_is_a_usage_error(invoke, tmp_path, options, flag, message):
    path = write(tmp_path, "scores.csv", SCORES)
    result = evaluate(invoke, path, *options)
    one_line_error(result, 2, f"Invalid value for '{flag}': {message.format(path)}")


def test_a_column_name_for_a_file_without_header_is_a_usage_error(invoke, tmp_path):
    path = write(tmp_path, "plain.csv", "1,2\n3,4\n")
    message = f"{path} has no header row: give a column number (1 to 2), not 'hours'"
    one_line_error(evaluate(invoke, path, "--x", "hours"), 2, f"Invalid value for '--x': {message}")


@pytest.mark.parametrize("option", [["--x", "1"], ["--y", "a"], ["--delimiter", ";"], ["--strict"]])
def test_the_reading_options_need_data(invoke, option):
    result = invoke("eval", "-l", "mse", "--w1", "1", "--w2", "0", *option)
    flag = option[0]
    message = f"Invalid value for '{flag}': says how to read --data and cannot be used without it"
    one_line_error(result, 2, message)


def test_pandas_index_column_is_not_taken_for_x(invoke, tmp_path):
    # pandas' DataFrame.to_csv() writes the index first, under an empty name
    path = write(tmp_path, "frame.csv", ",hours,score\n" + "".join(
        f"{i},{row}\n" for i, row in enumerate(SCORES.splitlines()[1:])
    ))  # fmt: skip
    result = evaluate(invoke, path)
    assert mse(result) == pytest.approx(0.55, rel=1e-15)
    assert result.stderr == NOTE.format(path)


# ---------------------------------------------------------------------------------------------
# Delimiters.


@pytest.mark.parametrize(
    ("rows", "delimiter"),
    [
        (["x,y", "1,2"], ","),
        (["x;y", "1,5;2,5"], ";"),  # decimal commas: two cells, not three
        (["1,5;2,5", "3;4"], ";"),
        (["x\ty", "1\t2"], "\t"),
        (["first name\tscore", "a b\t2"], "\t"),  # spaces inside tab-separated cells
        (["x y", "1.5   2.5", " 3 4"], " "),
        (["x, y", "1, 2"], ","),  # spaces after commas: still commas
        (['"a;b",x,y', "1,2,3"], ","),  # a quoted semicolon does not make a semicolon file
        (["5", "6"], ","),  # one column: the reader says what is wrong
    ],
)
def test_the_delimiter_is_detected_from_the_opening_rows(rows, delimiter):
    assert detect_delimiter(rows) == delimiter


@pytest.mark.parametrize(
    ("text", "points"),
    [
        ("x;y\n1,5;2,5\n-0,25;3\n", ([1.5, -0.25], [2.5, 3.0])),
        ("hours;score\n1.5;2\n", ([1.5], [2.0])),  # points are read too
        ("x\ty\n1\t2\n3\t4\n", ([1.0, 3.0], [2.0, 4.0])),
        ("  1   2\n3\t 4  \n", ([1.0, 3.0], [2.0, 4.0])),
        ("# scores\nx , y\n1 , 2\n", ([1.0], [2.0])),
    ],
)
def test_each_delimiter_is_read(text, points):
    x, y, _ = read(text)
    assert (x, y) == points


def test_a_given_delimiter_wins_over_detection():
    assert read("x;y\n1;2,5\n")[:2] == ([1.0], [2.5])
    with pytest.raises(DataError) as error:
        read("x;y\n1;2,5\n", delimiter="\t")
    assert (
        str(error.value)
        == "f.csv: no column is named x or y (columns: 'x;y'); choose them with x and y"
    )


@pytest.mark.parametrize(
    ("text", "reading", "message"),
    [
        ("x;y\n1.234,5;2\n", {}, "f.csv line 2: x is not a number: '1.234,5'"),
        ("x\ty\n1,5\t2\n", {}, "f.csv line 2: x is not a number: '1,5'"),  # only ';' has them
        ("h\ts\n1\tz\n", {}, "f.csv line 2: y (column 's') is not a number: 'z'"),
        ("1 2\n3 4 x\n5\n", {"delimiter": " "}, "f.csv line 3: expected 2 columns, found 1"),
    ],
)
def test_other_bad_fields_stay_errors_naming_file_line_and_column(text, reading, message):
    with pytest.raises(DataError) as error:
        read(text, **reading)
    assert str(error.value) == message


@settings(max_examples=60, deadline=None)
@given(
    points=st.lists(
        st.tuples(*[st.floats(allow_nan=False, allow_infinity=False, width=64)] * 2),
        min_size=1,
        max_size=30,
    ),
    delimiter=st.sampled_from([",", ";", "\t", " "]),
    header=st.sampled_from([None, ("x", "y"), ("hours", "score")]),
)
def test_any_delimiter_round_trips_exactly(points, delimiter, header):
    """Points written at full precision with any of the four delimiters, with or without a
    header, read back to the same floats (with ';' in the European way: decimal commas)."""

    def cell(value: float) -> str:
        return repr(value).replace(".", ",") if delimiter == ";" else repr(value)

    lines = [delimiter.join(header)] if header else []
    lines += [delimiter.join(map(cell, point)) for point in points]
    x, y, told = read("\n".join(lines) + "\n")
    assert list(zip(x, y, strict=True)) == points
    assert told == (["f.csv: no column is named x or y; taking x = hours, y = score, in the "
                     "file's order"] if header == ("hours", "score") else [])  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Missing values.


@pytest.mark.parametrize("marker", sorted(MISSING | {"nan", "NaN", "-nan"}))
def test_every_missing_marker_skips_its_row(marker):
    # a row that opens with '#' is a comment, so '#N/A' is tried in the y column only
    second = f"4,{marker}" if marker.startswith("#") else f"{marker},4"
    x, y, told = read(f"x,y\n1,2\n3,{marker}\n{second}\n5,6\n")
    assert (x, y) == ([1.0, 5.0], [2.0, 6.0])
    assert told == ["f.csv: skipped 2 rows with a missing value (first: line 3)"]


def test_missing_values_are_counted_across_batches_and_lines_kept(tmp_path):
    rows = [f"{i},{2 * i}" for i in range(BATCH_ROWS + 100)]
    rows[5] = "5,nan"  # read by numpy as NaN
    rows[BATCH_ROWS + 10] = "NA,3"  # refused by numpy, found by the slow scan
    rows[BATCH_ROWS + 20] = ","
    text = "x,y\n" + "\n".join(rows) + "\n"
    told: list[str] = []
    data = read_stream(io.BytesIO(text.encode()), "big.csv", chunk=1 << 16, tell=told.append)
    assert len(data) == BATCH_ROWS + 97
    assert told == ["big.csv: skipped 3 rows with a missing value (first: line 7)"]
    assert data.origin["skipped"] == 3
    # point 5 is the file's row 6 (line 8): the skipped row does not shift the lines
    assert data.locate(5) == "big.csv line 8" and data.x[5] == 6.0


def test_strict_refuses_the_first_missing_value(invoke, tmp_path):
    path = write(tmp_path, "scores.csv", "hours,score\n1,52\n2,NA\n3,\n")
    one_line_error(
        evaluate(invoke, path, "--strict"), 1, f"{path} line 3: y (column 'score') is missing"
    )
    result = evaluate(invoke, path)
    assert result.exit_code == 0
    assert result.stderr.splitlines()[-1] == (
        f"Warning: {path}: skipped 2 rows with a missing value (first: line 3)"
    )


def test_strict_names_the_first_missing_cell_in_a_later_batch():
    text = "x,y\n" + "1,2\n" * (BATCH_ROWS + 5) + ",3\n"
    with pytest.raises(DataError) as error:
        read(text, strict=True)
    assert str(error.value) == f"f.csv line {BATCH_ROWS + 7}: x is missing"


def test_a_file_of_only_missing_values_has_no_points():
    with pytest.raises(DataError) as error:
        read("x,y\nNA,1\n2,\n")
    assert str(error.value) == "f.csv: no data points (2 skipped with a missing value)"


def test_a_first_row_with_a_missing_value_is_data_not_a_header():
    assert read("1,NA\n3,4\n")[:2] == ([3.0], [4.0])


def test_infinity_is_not_missing_but_refused():
    with pytest.raises(DataError) as error:
        read("x,y\n1,inf\n")
    assert str(error.value) == "f.csv line 2: y is not a finite number (inf)"


# ---------------------------------------------------------------------------------------------
# JSON in pandas' shapes, written by hand.

SHAPES = {
    # DataFrame.to_json(orient="records")
    "records": '[{"hours":1,"score":52},{"hours":2,"score":55},{"hours":3,"score":null}]',
    # DataFrame.to_json(orient="columns") (pandas' default for a DataFrame)
    "columns": '{"hours":{"0":1,"1":2,"2":3},"score":{"0":52,"1":55,"2":null}}',
    # DataFrame.to_json(orient="split")
    "split": '{"columns":["hours","score"],"index":[0,1,2],"data":[[1,52],[2,55],[3,null]]}',
    # DataFrame.to_json(orient="split", index=False)
    "split without index": '{"columns":["hours","score"],"data":[[1,52],[2,55],[3,null]]}',
    # DataFrame.to_json(orient="table")
    "table": '{"schema":{"fields":[{"name":"index","type":"integer"},{"name":"hours"},'
    '{"name":"score"}],"primaryKey":["index"],"pandas_version":"1.4.0"},"data":'
    '[{"index":0,"hours":1,"score":52},{"index":1,"hours":2,"score":55},'
    '{"index":2,"hours":3,"score":null}]}',
    # DataFrame.to_json(orient="list") is not a pandas orient for frames; dict(df) as lists
    "lists": '{"hours":[1,2,3],"score":[52,55,NaN]}',
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_pandas_shapes_are_read_in_order_with_null_skipped(shape):
    told: list[str] = []
    data = read_stream(io.BytesIO(SHAPES[shape].encode()), "f.json", tell=told.append)
    assert (data.x.tolist(), data.y.tolist()) == ([1.0, 2.0], [52.0, 55.0])
    assert data.origin["columns"] == {"x": "hours", "y": "score"}
    assert (
        told[0]
        == "f.json: no column is named x or y; taking x = hours, y = score, in the file's order"
    )
    assert told[1].startswith("f.json: skipped 1 row with a missing value (first: ")


def test_records_take_other_keys_with_x_and_y(invoke, tmp_path):
    # DataFrame.to_json(orient="records") of a frame with three columns
    rows = [(1, 52), (2, 55), (3, 61), (4, 64), (5, 70)]
    records = [{"student": f"s{i}", "hours": h, "score": s} for i, (h, s) in enumerate(rows)]
    path = write(tmp_path, "scores.json", json.dumps(records))
    one_line_error(
        evaluate(invoke, path),
        1,
        f"{path}: no column is named x or y (columns: 'student', 'hours', 'score'); "
        "choose them with --x and --y",
    )
    assert mse(evaluate(invoke, path, "--x", "hours", "--y", "score")) == pytest.approx(0.55)
    one_line_error(
        evaluate(invoke, path, "--x", "hours", "--y", "student"),
        1,
        f"{path}: item 0: y (column 'student') is not a number: \"s0\"",
    )


def test_values_rows_take_columns_by_number():
    # DataFrame.to_json(orient="values") of three columns
    data = read_points(b"[[0, 1, 52], [1, 2, 55]]", "f.json", Reading(x="2", y="3"))
    assert (data.x.tolist(), data.y.tolist()) == ([1.0, 2.0], [52.0, 55.0])
    with pytest.raises(ParameterError) as error:
        read_points(b"[[0, 1, 52]]", "f.json", Reading(x="hours", y="3"))
    assert (error.value.field, error.value.message) == (
        "x",
        "f.json has no header row: give a column number (1 to 3), not 'hours'",
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"hours":{"0":1,"1":2},"score":{"0":3}}', "f.json: columns 'hours' and 'score' do not have the same rows"),
        ('{"columns":["x","y"],"data":[[1,2],[3]]}', "f.json: data[1] is not a row of 2 values"),
        ('[{"x":1,"y":2},[3,4]]', "f.json: item 1 is not a record like item 0"),
        ('{"x":{"a":1},"y":{"a":true}}', "f.json: row 'a': y is not a number: true"),
    ],
)  # fmt: skip
def test_bad_pandas_shapes_are_one_line(text, message):
    with pytest.raises(DataError) as error:
        read_points(text.encode(), "f.json")
    assert str(error.value) == message


def test_strict_refuses_json_null():
    with pytest.raises(DataError) as error:
        read_points(SHAPES["records"].encode(), "f.json", Reading(strict=True))
    assert str(error.value) == "f.json: item 2: y (column 'score') is missing"


def test_the_lesson_fixture_still_reads_the_same():
    from conftest import FIXTURES

    raw = (FIXTURES / "lesson-regression.csv").read_bytes()
    expected = np.loadtxt(io.StringIO(raw.decode()), delimiter=",", skiprows=1)
    data = read_points(raw, "lesson.csv")
    assert np.array_equal(np.column_stack([data.x, data.y]), expected)
    assert data.origin["columns"] == {"x": "x", "y": "y"}


def test_the_delimiter_names_complete():
    from test_completion import complete

    expected = [",", ";", "tab", "space"]
    assert complete(["eval", "--delimiter"], "") == [("plain", name) for name in expected]
    assert complete(["surface", "--delimiter"], "t") == [("plain", "tab")]
