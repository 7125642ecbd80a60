"""--save-svg and --save-html: the terminal's view, in colour, written whole or not at all."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from losscli.cli import cli
from losscli.render.colormap import palette

CLEAN_ENV = {"COLUMNS": None, "NO_COLOR": None, "FORCE_COLOR": None, "COLORTERM": "truecolor"}
"""A truecolor terminal where colour is forced: its bands are the pictures' (always truecolor)."""
LESSON_TITLES = ("MSE", "MAE", "Huber (delta=1)", "Hinge")
SVG = "{http://www.w3.org/2000/svg}"
TINY_GRID = '{"title": "tiny", "w1": [0, 1], "w2": [0, 1], "values": [[1, 2], [3, 0]]}'


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, env=CLEAN_ENV)


def svg_text(path: Path) -> str:
    """All text the SVG shows, spaces restored, in document order."""
    root = ET.parse(path).getroot()
    return "".join("".join(node.itertext()) for node in root.iter(f"{SVG}text"))


def test_svg_parses_and_shows_every_panel_title(tmp_path: Path) -> None:
    picture = tmp_path / "lesson.svg"
    result = run("surface", "--width", "200", "--save-svg", str(picture))
    assert result.exit_code == 0, result.output
    shown = svg_text(picture).replace("\xa0", " ")
    for title in LESSON_TITLES:
        assert title in shown
    assert "★" in shown
    assert "min 0.05187 at w1 = 1.6, w2 = 0.4" in shown  # the MSE panel's minimum line


def test_picture_is_in_colour_when_the_terminal_is_not(tmp_path: Path) -> None:
    """CliRunner's stdout is no terminal: the text has no colour, the picture has viridis."""
    picture = tmp_path / "mse.svg"
    result = run("surface", "--loss", "mse", "--save-svg", str(picture))
    assert "\x1b[" not in result.output
    fills = set(re.findall(r'fill="(#[0-9a-f]{6})"', picture.read_text()))
    assert set(palette(8)) <= fills  # every band's colour of the 8-band legend is drawn


def html_text(page: str) -> list[str]:
    """The lines of the <pre> block of Rich's HTML export, tags removed, trailing blanks cut."""
    body = re.search(r"<pre[^>]*>(.*)</pre>", page, re.S)
    assert body is not None
    text = html.unescape(re.sub(r"<[^>]+>", "", body.group(1)))
    return [line.rstrip() for line in text.rstrip("\n").split("\n")]


@pytest.mark.parametrize("style", ["map", "plain"])
def test_html_shows_exactly_the_terminals_text(tmp_path: Path, style: str) -> None:
    page = tmp_path / "view.html"
    args = ["surface", "--style", style, "--width", "120", "--color", "always"]
    result = run(*args, "--save-html", str(page))
    terminal = re.sub(r"\x1b\[[0-9;]*m", "", result.output)
    assert html_text(page.read_text()) == [line.rstrip() for line in terminal.splitlines()]


def test_svg_is_cropped_to_the_drawing(tmp_path: Path) -> None:
    """A one-panel view on a wide terminal gives a narrow picture, not a wide blank one."""
    narrow, wide = tmp_path / "narrow.svg", tmp_path / "wide.svg"
    run("surface", "--loss", "mse", "--width", "60", "--save-svg", str(narrow))
    run("surface", "--loss", "mse", "--width", "200", "--save-svg", str(wide))
    assert narrow.read_text() == wide.read_text()


def test_render_saves_pictures_too(tmp_path: Path) -> None:
    picture = tmp_path / "grid.svg"
    grid = '{"title": "from numpy", "w1": [0, 1], "w2": [0, 1], "values": [[1, 2], [3, 0]]}'
    result = run("render", "-", "--save-svg", str(picture), input=grid)
    assert result.exit_code == 0, result.output
    assert "from numpy" in svg_text(picture).replace("\xa0", " ")


def test_plain_style_pictures_the_figure(tmp_path: Path) -> None:
    picture = tmp_path / "figure.svg"
    result = run("surface", "--style", "plain", "--save-svg", str(picture))
    shown = svg_text(picture).replace("\xa0", " ")
    assert result.output.splitlines()[0] in shown  # "MSE   ...   Hinge", the title line
    assert shown.count("*") == 4


def test_an_unwritable_picture_path_is_refused_before_any_work(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "view.svg"
    result = run("surface", "--loss", "mse", "--save-svg", str(missing))
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        f"Error: Invalid value for '--save-svg': {missing}: the folder {missing.parent} does not exist"
    )
    assert "MSE" not in result.output  # nothing was drawn
    assert list(tmp_path.iterdir()) == []


def test_an_existing_picture_is_replaced_whole(tmp_path: Path) -> None:
    picture = tmp_path / "view.svg"
    picture.write_text("old")
    run("surface", "--loss", "mae", "--save-svg", str(picture))
    assert ET.parse(picture).getroot().tag == f"{SVG}svg"
    assert [p.name for p in tmp_path.iterdir()] == ["view.svg"]  # no temporary file left


@pytest.mark.parametrize("option", ["--save-svg", "--save-html"])
def test_pictures_need_the_text_view(tmp_path: Path, option: str) -> None:
    result = run("surface", "--format", "json", option, str(tmp_path / "x"))
    assert result.exit_code == 2
    assert f"Invalid value for '{option}': pictures the view, so it needs --format text" in (
        result.output
    )
    assert list(tmp_path.iterdir()) == []


def test_descend_saves_the_map_with_its_paths_and_table(tmp_path: Path) -> None:
    picture = tmp_path / "walk.svg"
    args = ("--loss", "mae", "--optimizer", "gd", "--optimizer", "adam", "--steps", "50")
    result = run("descend", *args, "--save-svg", str(picture))
    assert result.exit_code == 0, result.output
    shown = svg_text(picture).replace("\xa0", " ")
    assert shown.startswith("losscli descendMAE")  # the window's title, then the panel's
    assert "g→ gd path" in shown and "a→ adam path" in shown  # the legend of both runs
    assert result.output.splitlines()[-1] in shown  # down to the table's last note


@pytest.mark.parametrize(
    ("flag", "name", "message"),
    [
        (
            "--save-svg",
            "x.png",
            "x.png is not an .svg file (--save-svg writes SVG; for PNG convert it, "
            "e.g. rsvg-convert x.svg -o x.png)",
        ),
        (
            "--save-svg",
            "slides.HTML",
            "slides.HTML is not an .svg file (--save-svg writes SVG; for HTML use --save-html)",
        ),
        (
            "--save-html",
            "x.svg",
            "x.svg is not an .html or .htm file (--save-html writes HTML; for SVG use --save-svg)",
        ),
        ("--save-html", "x.pdf", "x.pdf is not an .html or .htm file (--save-html writes HTML)"),
    ],
)
def test_a_picture_path_naming_another_format_is_a_usage_error(
    tmp_path: Path, flag: str, name: str, message: str
) -> None:
    result = run("surface", "--loss", "mse", flag, str(tmp_path / name))
    assert result.exit_code == 2
    folder = str(tmp_path) + "/"
    assert result.stderr.splitlines()[-1].replace(folder, "") == (
        f"Error: Invalid value for '{flag}': {message}"
    )
    assert list(tmp_path.iterdir()) == []  # nothing written, not even the terminal's view
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("flag", "name"), [("--save-svg", "A.SVG"), ("--save-html", "p.HTM"), ("--save-svg", "slide")]
)
def test_a_picture_path_in_any_case_or_without_a_suffix_is_written(
    tmp_path: Path, flag: str, name: str
) -> None:
    result = run("render", "-", flag, str(tmp_path / name), input=TINY_GRID)
    assert result.exit_code == 0, result.output
    assert (tmp_path / name).read_text().lstrip().startswith(("<svg", "<!DOCTYPE html>"))


def test_svg_loads_nothing_from_the_network(tmp_path: Path) -> None:
    """Slides are shown offline: no web font (Rich's template fetches Fira Code from a CDN),
    no link; the one address is the SVG namespace, a name that nothing fetches."""
    picture, page = tmp_path / "lesson.svg", tmp_path / "lesson.html"
    run("surface", "--save-svg", str(picture), "--save-html", str(page))
    assert "http" not in page.read_text()  # Rich's page names local fonts only
    text = picture.read_text()
    assert re.findall(r"https?://[^\s\"')]*", text) == ["http://www.w3.org/2000/svg"]
    assert "@font-face" not in text and "@import" not in text and "Fira" not in text
    assert '"DejaVu Sans Mono", Menlo, Consolas' in text  # fonts the machine has, by name


def test_svg_text_keeps_its_spaces_and_sits_in_its_cells(tmp_path: Path) -> None:
    """librsvg and Inkscape strip the no-break spaces that begin a span unless white space is
    preserved (they drew `min 0.05187at`); each span starts at its own column (x = column ×
    cell width), so the lines rebuilt from the positions are the terminal's."""
    picture = tmp_path / "mse.svg"
    result = run(
        "surface", "--loss", "mse", "--width", "60", "--color", "always", "--save-svg", str(picture)
    )
    root = ET.parse(picture).getroot()
    assert root.get("{http://www.w3.org/XML/1998/namespace}space") == "preserve"
    assert "white-space: pre;" in picture.read_text()
    cell = 20 * 0.6  # Rich's 20 px characters times the fonts' width over height
    rows: dict[float, dict[int, str]] = {}
    for node in root.iter(f"{SVG}text"):
        if "clip-path" not in node.attrib:
            continue  # the window's title
        column = float(node.get("x", "nan")) / cell
        assert column == round(column)
        text = (node.text or "").replace("\xa0", " ")
        assert float(node.get("textLength", "nan")) == pytest.approx(len(text) * cell)
        rows.setdefault(float(node.get("y", "nan")), {})[round(column)] = text
    lines = []
    for spans in (rows[y] for y in sorted(rows)):
        line = ""
        for column, text in sorted(spans.items()):
            line = line.ljust(column) + text
        lines.append(line.rstrip())
    terminal = [line.rstrip() for line in re.sub(r"\x1b\[[0-9;]*m", "", result.output).splitlines()]
    assert lines == [line for line in terminal if line]
    assert "min 0.05187 at w1 = 1.6, w2 = 0.4 (grid)" in lines
