"""Hostile input to the data reader: any bytes give valid points or one clear line, never a crash."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from losscli.data.files import read_points, read_stream
from losscli.errors import DataError

FUZZ = settings(max_examples=300, deadline=1000, suppress_health_check=[HealthCheck.too_slow])


def check(raw: bytes) -> None:
    """The reader's contract, for any input at all."""
    try:
        data = read_points(raw, "fuzz.csv")
    except DataError as error:
        message = str(error)
        assert message.startswith("fuzz.csv") and "\n" not in message and len(message) < 300
        return
    assert data.x.dtype == data.y.dtype == np.float64
    assert data.x.shape == data.y.shape and data.x.size >= 1
    assert np.isfinite(data.x).all() and np.isfinite(data.y).all()


cells = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**30), 10**30).map(str),
    st.sampled_from(["", " ", "x", "y", '"1"', "1e400", "-", "nan", "# c", "\ufeff", "1,5", '"']),
    st.text(max_size=6),
)
csv_text = st.lists(st.lists(cells, max_size=4).map(",".join), max_size=8).flatmap(
    lambda rows: st.sampled_from(["\n", "\r\n", "\r"]).map(lambda end: end.join(rows))
)
json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=4),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(["x", "y", "z"]), inner, max_size=3)
    ),
    max_leaves=20,
)


@FUZZ
@given(st.binary(max_size=200))
def test_arbitrary_bytes(raw):
    check(raw)


@FUZZ
@given(csv_text)
def test_csv_like_text(text):
    check(text.encode("utf-8"))


@FUZZ
@given(json_values)
def test_json_of_any_shape(value):
    check(json.dumps(value).encode("utf-8"))


@FUZZ
@given(
    st.lists(st.tuples(st.floats(-1e300, 1e300), st.floats(-1e300, 1e300)), min_size=1, max_size=30)
)
def test_valid_points_always_read_back_exactly(pairs):
    text = "x,y\n" + "".join(f"{x!r},{y!r}\n" for x, y in pairs)
    data = read_points(text.encode(), "ok.csv")
    assert list(zip(data.x.tolist(), data.y.tolist(), strict=True)) == pairs


def test_deep_json_nesting_is_refused_quickly():
    for depth in (500, 10_000, 200_000):
        check(("[" * depth + "]" * depth).encode())
        check(('{"x": ' * depth + "1" + "}" * depth).encode())


def outcome(raw: bytes, chunk: int) -> object:
    """What reading `raw` in pieces of `chunk` bytes gives: the points, or the error's text."""
    try:
        data = read_stream(io.BytesIO(raw), "fuzz.csv", chunk=chunk)
    except DataError as error:
        return str(error)
    return data.x.tolist(), data.y.tolist(), [data.locate(i) for i in range(len(data))]


@FUZZ
@given(csv_text.map(lambda text: "\ufeff" * (len(text) % 2) + text + "é"), st.integers(1, 9))
def test_pieces_of_any_size_read_the_same(text, chunk):
    """A CRLF or a two-byte character cut between two pieces, a BOM: the same points, the same
    lines named, the same errors as one piece."""
    raw = text.encode("utf-8")
    assert outcome(raw, chunk) == outcome(raw, len(raw) + 1)


class Endless(io.RawIOBase):
    """`yes 1,2`: the same line forever."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        line = b"1,2\n" * (len(buffer) // 4)
        buffer[: len(line)] = line
        return len(line)


def test_endless_input_stops_at_the_limit(monkeypatch):
    monkeypatch.setenv("LOSSCLI_MAX_INPUT", str(10**6))
    with pytest.raises(DataError) as stopped:
        read_stream(io.BufferedReader(Endless()), "<stdin>")
    assert str(stopped.value) == (
        "<stdin>: more than 977 KiB of input, the limit (set LOSSCLI_MAX_INPUT, in bytes, to "
        "change it)"
    )


def test_a_stream_of_zero_bytes_is_refused_at_once():
    zeros = io.BufferedReader(io.BytesIO(b"\0" * (1 << 24)))
    with pytest.raises(DataError, match=r"^z: looks like a binary file, not CSV or JSON$"):
        read_stream(zeros, "z")
    assert zeros.tell() <= 1 << 22  # one piece was read, not the sixteen MiB


def test_json_gets_a_smaller_share_of_the_limit(monkeypatch):
    monkeypatch.setenv("LOSSCLI_MAX_INPUT", "4000")
    points = json.dumps([[i, i] for i in range(100)]).encode()  # 1,080 bytes, over 4000 / 8
    with pytest.raises(DataError, match=r"more than 500 B of input"):
        read_points(points, "p.json")


def test_a_limit_that_is_not_a_number_is_said(monkeypatch):
    monkeypatch.setenv("LOSSCLI_MAX_INPUT", "lots")
    with pytest.raises(DataError, match=r"^LOSSCLI_MAX_INPUT must be a whole number of bytes"):
        read_points(b"x,y\n1,2\n", "p.csv")
