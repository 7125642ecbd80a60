"""Labelled data: iris as shipped, the seeded sets made by formula, and CSVs with a class column."""

from __future__ import annotations

import numpy as np
import pytest

from losscli.data.class_csv import read_labelled, read_labelled_file
from losscli.data.class_sets import CLASS_SETS, blobs, class_set, iris, moons, spirals
from losscli.errors import DataError, ParameterError


def test_iris_has_fishers_150_rows():
    data = iris()
    assert data.features.shape == (150, 4) and data.features.dtype == np.float64
    assert data.classes == ("setosa", "versicolor", "virginica")
    assert np.bincount(data.labels).tolist() == [50, 50, 50]
    assert data.feature_names == ("sepal_length", "sepal_width", "petal_length", "petal_width")
    # Column sums of R's `iris` (Fisher's values): 876.5, 458.6, 563.7, 179.9; so the means
    # 5.8433, 3.0573 (UCI's uncorrected iris.data: 3.054), 3.758, 1.1993.
    assert np.round(data.features.sum(axis=0), 6).tolist() == [876.5, 458.6, 563.7, 179.9]
    assert np.round(data.features.mean(axis=0), 3).tolist() == [5.843, 3.057, 3.758, 1.199]
    # The species' means as R's aggregate(. ~ Species, iris, mean) prints them.
    means = [np.round(data.features[data.labels == k].mean(axis=0), 3).tolist() for k in range(3)]
    assert means == [
        [5.006, 3.428, 1.462, 0.246],
        [5.936, 2.770, 4.260, 1.326],
        [6.588, 2.974, 5.552, 2.026],
    ]
    # The two rows UCI's iris.names corrects (iris.data has 4.9,3.1,1.5,0.1 at both).
    assert data.features[34].tolist() == [4.9, 3.1, 1.5, 0.2]
    assert data.features[37].tolist() == [4.9, 3.6, 1.4, 0.1]
    assert data.locate(37) == "iris row 38"


def test_class_set_names_every_set_and_its_defaults():
    assert CLASS_SETS == ("blobs", "moons", "spirals", "iris")
    sizes = {name: (len(class_set(name)), len(class_set(name).classes)) for name in CLASS_SETS}
    assert sizes == {"blobs": (300, 3), "moons": (200, 2), "spirals": (300, 3), "iris": (150, 3)}
    made = class_set("spirals", points=7, classes=3, seed=5, noise=0.2)
    assert np.array_equal(made.features, spirals(points=7, classes=3, seed=5, noise=0.2).features)
    assert (
        class_set("blobs", points=9, classes=3, seed=2).origin
        == blobs(points=9, classes=3, seed=2).origin
        == {"name": "blobs", "points": 9, "classes": 3, "seed": 2}
    )


@pytest.mark.parametrize("name", ["blobs", "moons", "spirals"])
def test_sets_by_formula_are_reproducible_and_balanced(name):
    classes = 2 if name == "moons" else 4
    first = class_set(name, points=101, classes=classes, seed=3)
    again = class_set(name, points=101, classes=classes, seed=3)
    other = class_set(name, points=101, classes=classes, seed=4)
    assert first.features.tobytes() == again.features.tobytes()
    assert not np.array_equal(first.features, other.features)
    assert first.labels.dtype == np.int64 and first.features.shape == (101, 2)
    counts = np.bincount(first.labels, minlength=classes)
    assert counts.max() - counts.min() <= 1
    assert first.origin["name"] == name and first.origin["seed"] == 3


def test_moons_without_noise_lie_on_their_half_circles():
    data = moons(points=40, seed=0, noise=0.0)
    x, y = data.features.T
    upper, lower = data.labels == 0, data.labels == 1
    # class 0 on the unit circle's upper half; class 1 on the circle of radius 1 about (1, 0.5)
    assert np.allclose(x[upper] ** 2 + y[upper] ** 2, 1.0)
    assert np.all(y[upper] >= -1e-15)
    assert np.allclose((x[lower] - 1.0) ** 2 + (y[lower] - 0.5) ** 2, 1.0)
    assert np.all(y[lower] <= 0.5 + 1e-15)
    # t runs over [0, π] in each class: both ends of both moons are there
    assert np.allclose(sorted(x[upper])[::19], [-1.0, 1.0])


def test_spirals_without_noise_wind_one_turn_each():
    data = spirals(points=300, classes=3, seed=0, noise=0.0)
    radius = np.hypot(*data.features.T)
    angle = np.arctan2(data.features[:, 1], data.features[:, 0])
    expected = 2 * np.pi * (data.labels / 3 + radius)
    assert np.allclose(np.cos(angle), np.cos(expected)) and np.allclose(
        np.sin(angle), np.sin(expected)
    )
    assert radius.max() == pytest.approx(1.0) and radius.min() == pytest.approx(1 / 100)


@pytest.mark.parametrize(
    ("call", "field", "message"),
    [
        (
            lambda: class_set("circles"),
            "dataset",
            "unknown labelled set 'circles'; known: blobs, moons, spirals, iris",
        ),
        (lambda: class_set("moons", classes=3), "classes", "moons has 2 classes, not 3"),
        (lambda: class_set("iris", points=10), "points", "iris has 150 points, not 10"),
        (
            lambda: class_set("iris", noise=0.1),
            "noise",
            "iris is measured, not made: it takes no noise",
        ),
        (lambda: class_set("blobs", classes=1), "classes", "must be at least 2, got 1"),
        (
            lambda: class_set("spirals", points=2, classes=3),
            "points",
            "must be at least the number of classes (3), got 2",
        ),
        (lambda: class_set("blobs", noise=-1.0), "noise", "must be a finite number ≥ 0, got -1"),
    ],
)
def test_class_set_refuses_what_cannot_be_made(call, field, message):
    with pytest.raises(ParameterError) as caught:
        call()
    assert (caught.value.field, caught.value.message) == (field, message)


def test_a_class_csv_numbers_classes_in_sorted_order():
    raw = b"# flowers\nsepal;petal;Species\n1,5;2;b\n\n3;4;a\n5;6;b\n"
    data = read_labelled(raw, "f.csv")
    assert data.features.tolist() == [[1.5, 2.0], [3.0, 4.0], [5.0, 6.0]]
    assert data.labels.tolist() == [1, 0, 1] and data.classes == ("a", "b")
    assert data.feature_names == ("sepal", "petal")
    assert data.locate(1) == "f.csv line 5"
    assert data.origin == {
        "kind": "file",
        "source": "f.csv",
        "points": 3,
        "classes": 2,
        "features": ["sepal", "petal"],
        "class_column": "Species",
    }


def test_integer_classes_sort_as_numbers_and_columns_are_chosen():
    raw = b"a,b,c,kind\n1,2,3,10\n4,5,6,9\n7,8,9,-1\n"
    data = read_labelled(raw, "f.csv", features=["c", "1"], class_column="KIND")
    assert data.classes == ("-1", "9", "10")
    assert data.labels.tolist() == [2, 1, 0]
    assert data.features.tolist() == [[3.0, 1.0], [6.0, 4.0], [9.0, 7.0]]
    headless = read_labelled(b"1,0\n2,1\n", "g.csv", class_column="2")
    assert headless.feature_names == ("column 1",) and headless.labels.tolist() == [0, 1]


def test_a_class_csv_from_a_file(tmp_path):
    path = tmp_path / "points.csv"
    path.write_bytes(b"x,label\n1,cat\n2,dog\n")
    assert read_labelled_file(str(path), None).classes == ("cat", "dog")
    missing = str(tmp_path / "nope.csv")
    with pytest.raises(DataError) as caught:
        read_labelled_file(missing, None)
    assert str(caught.value) == f"{missing}: no such file"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            b"x,class\n1,a\n2,a\n",
            "f.csv: column 'class' holds one class only ('a'); a classifier needs two or more",
        ),
        (b"x,class\n1,a\n2,\n", "f.csv line 3: the class ('class') is missing"),
        (b"x,class\n1,a\nNA,b\n", "f.csv line 3: feature 'x' is missing"),
        (b"x,class\n1,a\nabc,b\n", "f.csv line 3: feature 'x' is not a number: 'abc'"),
        (b"x,class\n1,a\ninf,b\n", "f.csv line 3: feature 'x' is not a finite number: 'inf'"),
        (b"x,y,class\n1,2,a\n3\n", "f.csv line 3: expected 3 columns, found 1"),
        (
            b"x,y\n1,a\n",
            "f.csv has no column named class, label, species or target: choose the class column with class_column",
        ),
        (b"1,0\n2,1\n", "f.csv has no header: choose the class column with class_column"),
        (b"", "f.csv: no data rows"),
        (b"x,class\n", "f.csv: no data rows under the header"),
    ],
)
def test_a_bad_class_csv_is_one_line_naming_file_and_row(raw, message):
    with pytest.raises(DataError) as caught:
        read_labelled(raw, "f.csv")
    assert str(caught.value) == message


def test_a_class_column_asked_for_must_be_there():
    with pytest.raises(ParameterError) as caught:
        read_labelled(b"x,class\n1,a\n2,b\n", "f.csv", class_column="kind")
    assert str(caught.value) == "class_column: no column 'kind' in f.csv (columns: 'x', 'class')"
    with pytest.raises(ParameterError, match=r"^features: no column 'z'"):
        read_labelled(b"x,class\n1,a\n2,b\n", "f.csv", features=["z"])
