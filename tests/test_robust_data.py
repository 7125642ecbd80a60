"""Hostile input to the data reader: any bytes give valid points or one clear line, never a crash."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from losscli.data.files import read_points
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
