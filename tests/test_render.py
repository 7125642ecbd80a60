"""Renderers without the CLI: bands, the lesson's plain figure, the colour map."""

from __future__ import annotations

import io

import numpy as np
import pytest
from conftest import FIXTURES
from rich.console import Console

from losscli.catalogue import get_loss
from losscli.data.dataset import Dataset
from losscli.data.files import read_points
from losscli.data.synthetic import synthetic_classification, synthetic_regression
from losscli.engine import Axis, sweep
from losscli.render.bands import classify, ramp
from losscli.render.colormap import palette, render_maps
from losscli.render.plain import render_plain

GRID = (Axis("w1", -2, 4, 21), Axis("w2", -2, 4, 21))


def lesson_surfaces(regression: Dataset, classification: Dataset):
    pairs = [
        ("mse", regression),
        ("mae", regression),
        ("huber", regression),
        ("hinge", classification),
    ]
    return [sweep(get_loss(n), get_loss(n).resolve_params({}), d, *GRID) for n, d in pairs]


def test_plain_style_reproduces_the_lessons_figure_from_its_csv_files():
    regression = read_points((FIXTURES / "lesson-regression.csv").read_bytes(), "r")
    classification = read_points((FIXTURES / "lesson-classification.csv").read_bytes(), "c")
    figure = render_plain(lesson_surfaces(regression, classification), origin="upper")
    assert figure == (FIXTURES / "lesson-figure.txt").read_text(encoding="utf-8")


def test_lower_origin_puts_w2_low_at_the_bottom():
    surfaces = lesson_surfaces(synthetic_regression(), synthetic_classification())
    upper = render_plain(surfaces, origin="upper").splitlines()
    lower = render_plain(surfaces, origin="lower").splitlines()
    assert lower[0] == upper[0] and lower[1:] == upper[:0:-1]


def test_linear_bands_follow_the_lessons_arithmetic():
    values = np.array([[0.0, 1.0, 2.0], [3.0, 3.999, 4.0]])
    # int((v − 0) / 4 · 4): 0, 1, 2, 3, 3, and 4 only for the maximum
    assert classify(values, 4).index.tolist() == [[0, 1, 2], [3, 3, 4]]
    assert classify(values, 4).edges.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_constant_surface_is_band_zero_everywhere():
    assert classify(np.full((2, 2), 7.0), 4).index.tolist() == [[0, 0], [0, 0]]


def test_log_bands_resolve_values_near_the_minimum():
    values = np.array([0.0, 0.01, 0.1, 1.0])
    # two decades below the range, 2 levels: t = log1p(99·v) / log(100), edges (10^k − 1) / 99
    bands = classify(values, 2, "log")
    assert bands.index.tolist() == [0, 0, 1, 2]  # t(0.01) = 0.149, t(0.1) = 0.519
    np.testing.assert_allclose(bands.edges, [0.0, 9 / 99, 1.0], rtol=1e-12)


def test_quantile_bands_hold_equal_shares_of_cells():
    values = np.arange(100.0) ** 3  # heavily skewed
    counts = np.bincount(classify(values, 4, "quantile").index, minlength=5)
    assert counts.tolist() == [25, 25, 25, 24, 1]  # the top band is the maximum alone


def test_non_finite_cells_get_their_own_band():
    assert classify(np.array([1.0, np.inf, 2.0]), 2).index.tolist() == [0, -1, 2]


def test_ramps_spread_glyphs_from_light_to_dark():
    assert ramp(" ░▒▓█", 4) == [" ", "░", "▒", "▓", "█"]
    assert ramp(" ░▒▓█", 2) == [" ", "▒", "█"]
    assert len(palette(8)) == 9 and palette(8)[0] == "#440154" and palette(8)[-1] == "#fde725"


def test_plain_lines_carry_no_trailing_spaces_and_fixed_panel_widths():
    surfaces = lesson_surfaces(synthetic_regression(), synthetic_classification())
    lines = render_plain(surfaces).splitlines()
    assert all(line == line.rstrip() for line in lines)
    assert all(line[21:24] == "   " for line in lines[1:])  # the gap after the first panel


def test_ascii_plain_figure_when_unicode_is_unavailable():
    surfaces = lesson_surfaces(synthetic_regression(), synthetic_classification())
    text = render_plain(surfaces, unicode=False)
    assert text.isascii() and text.count("*") == 4


def draw(surfaces, *, color: bool, unicode: bool = True, width: int = 100) -> str:
    console = Console(file=io.StringIO(), width=width, color_system="truecolor" if color else None)
    console.print(
        render_maps(
            surfaces, levels=4, scale="linear", origin="lower", color=color, unicode=unicode
        )
    )
    return console.file.getvalue()


def test_map_shows_titles_ticks_minimum_and_legend():
    surfaces = lesson_surfaces(synthetic_regression(), synthetic_classification())
    text = draw(surfaces, color=False)
    for title in ("MSE", "MAE", "Huber (delta=1)", "Hinge"):
        assert title in text
    assert text.count("★") == 4
    assert "min 0.05187 at w1 = 1.6, w2 = 0.4" in text  # the sweep's minimum, 4 digits
    assert "min 0.1127 at w1 = 4, w2 = 1" in text
    assert "blank 0.0519–5.19" in text  # band 0's range: its blank swatch is named


def test_map_panels_fit_two_abreast_in_100_columns():
    surfaces = lesson_surfaces(synthetic_regression(), synthetic_classification())
    lines = draw(surfaces, color=False, width=100).splitlines()
    assert max(len(line.rstrip()) for line in lines) <= 100
    assert "MSE" in lines[0] and "MAE" in lines[0]


def test_map_colour_mode_paints_backgrounds_and_ascii_mode_stays_ascii():
    surfaces = lesson_surfaces(synthetic_regression(), synthetic_classification())[:1]
    maps = render_maps(surfaces, levels=4, scale="linear", origin="lower", color=True, unicode=True)
    console = Console(file=io.StringIO(), width=100, color_system="truecolor")
    backgrounds = {
        segment.style.bgcolor.triplet.hex
        for segment in console.render(maps)
        if segment.style and segment.style.bgcolor
    }
    assert backgrounds == set(palette(4))  # every band's colour is painted, and only those
    assert draw(surfaces, color=False, unicode=False).isascii()


@pytest.mark.parametrize("origin", ["lower", "upper"])
def test_star_sits_on_the_minimum_row_for_either_origin(origin):
    surface = lesson_surfaces(synthetic_regression(), synthetic_classification())[0]
    console = Console(file=io.StringIO(), width=60, color_system=None)
    console.print(
        render_maps([surface], levels=4, scale="linear", origin=origin, color=False, unicode=True)
    )
    rows = [line for line in console.file.getvalue().splitlines() if "┤" in line or "│" in line]
    star_row = next(i for i, line in enumerate(rows) if "★" in line)
    assert star_row == (8 if origin == "upper" else 20 - 8)
