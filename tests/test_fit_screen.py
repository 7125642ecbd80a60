"""A view that fits the screen: width and height on a terminal, tables that wrap, animation."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios

import pytest
from click.testing import CliRunner, Result
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table

from losscli.cli import cli
from losscli.render.layout import FittingTable

CLEAN_ENV = {"COLUMNS": None, "LINES": None, "NO_COLOR": None, "FORCE_COLOR": None}
TITLES = ("MSE", "MAE", "Huber (delta=1)", "Hinge")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def run(*args: str, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env={**CLEAN_ENV, **(env or {})})


def shown(output: str) -> list[str]:
    """The lines as a terminal shows them: colour codes and trailing blanks dropped."""
    return [ANSI.sub("", line).rstrip() for line in output.splitlines()]


def assert_fits(lines: list[str], width: int, height: int) -> None:
    """At most `height` − 1 lines (the last is the prompt's), none wider than `width`, and
    every default panel's title (in a narrow column, on two lines)."""
    assert len(lines) <= height - 1
    assert max(cell_len(line) for line in lines) <= width
    words = " ".join(" ".join(panel) for panel in panels(lines))
    for title in TITLES:
        assert title in words, title


def panels(lines: list[str]) -> list[list[str]]:
    """Each panel as its own lines: rows of panels are a blank line apart, and panels are cut
    where their titles start; a panel shorter than its neighbours loses the blank lines below
    it."""
    found, row = [], []
    for line in [*lines, ""]:
        if line:
            row.append(line)
            continue
        starts = [m.start() for m in re.finditer(r"\S+( \(\S+\))?", row[0])]
        for a, b in zip(starts, [*starts[1:], None], strict=True):
            panel = [line[a:b].rstrip() for line in row]
            while panel and not panel[-1]:
                panel.pop()
            found.append(panel)
        row = []
    return found


def titles_on(line: str) -> list[str]:
    return [title for title in TITLES if title in line]


# ---------------------------------------------------------------------------------------------
# The default view fits the width and the height.


@pytest.mark.parametrize("color", ["never", "always"])
@pytest.mark.parametrize(("width", "height"), [(80, 24), (120, 40), (200, 50), (60, 20)])
def test_the_default_view_fits_width_and_height(width: int, height: int, color: str) -> None:
    result = run("surface", "--width", str(width), "--height", str(height), "--color", color)
    assert result.exit_code == 0
    assert_fits(shown(result.output), width, height)
    map_rows = [line for line in shown(result.output) if "┤" in line or "│" in line]
    assert sum(line.count("★") for line in map_rows) == 4  # each panel's minimum on its map


@pytest.mark.parametrize(
    ("width", "height", "rows"),
    [
        (80, 24, [TITLES]),  # four across, cells one character wide
        (120, 40, [TITLES]),  # four across: 11 cells a side, where 2 × 2 would draw 9
        (200, 50, [TITLES]),  # four across, full size
    ],
)
def test_panels_are_arranged_to_fit(width: int, height: int, rows: list[tuple[str, ...]]) -> None:
    lines = shown(run("surface", "--width", str(width), "--height", str(height)).output)
    assert [titles_on(line) for line in lines if titles_on(line)] == [list(row) for row in rows]


def test_at_200_columns_the_four_panels_are_full_size() -> None:
    lines = shown(run("surface", "--width", "200", "--height", "50").output)
    assert lines.pop() == "★ grid's minimum   ◆ the loss's true minimum"  # the view's key
    piped = shown(run("surface", "--loss", "mse").output)
    assert panels(lines)[0] == piped  # the MSE panel as a pipe draws it: 21 × 21, full legend


def test_at_80_by_24_cells_are_one_character_and_keep_the_pictures_shape() -> None:
    lines = shown(run("surface", "--width", "80", "--height", "24").output)
    rule = next(line for line in lines if "└" in line)
    map_width = len(rule.split()[0]) - 1  # the rule, less its corner: one character a cell
    map_rows = sum(1 for line in lines if re.match(r"\s*(\S+ )?[┤│]", line))
    assert map_width == 12  # 80 columns hold four panels of 12 cells across
    assert map_rows == 6  # half as many rows: a square window still looks square


def test_the_thinned_view_keeps_the_minimum_and_true_grid_values() -> None:
    document = json.loads(run("surface", "--format", "json").output)
    lines = shown(run("surface", "--width", "80", "--height", "24").output)
    assert lines.pop() == "★ grid's minimum   ◆ the loss's true minimum"  # the view's key
    for surface, panel in zip(document["surfaces"], panels(lines), strict=True):
        minimum, text = surface["minimum"], " ".join(" ".join(panel).split())
        # The compact minimum lines: `★ 0.05187` over `1.6, 0.4`.
        assert f"★ {minimum['value']:.4g} {minimum['w1']:.4g}, {minimum['w2']:.4g}" in text
        assert text.count("★") == 2  # on the map, and in the minimum line
        tick = re.compile(r"\s*(\S+) ┤")
        ticks = {k: m.group(1) for k, line in enumerate(panel) if (m := tick.match(line))}
        assert ticks and set(ticks.values()) <= {f"{w2:.3g}" for w2 in surface["w2"]}
        star = next(k for k, line in enumerate(panel) if "★" in line)
        assert ticks.get(star, f"{minimum['w2']:.3g}") == f"{minimum['w2']:.3g}"  # its row


def test_the_compact_legend_shows_every_band_between_the_ends() -> None:
    lines = shown(run("surface", "--width", "120", "--height", "22").output)
    legends = [line for line in lines if "[" in line]
    # The linear scale's five bands (blank, ░, ▒, ▓, █) between the lowest and highest value.
    assert legends[0].split("  ")[0].split() == ["0.0519", "[", "░▒▓█]", "20.6"]
    drawn = {ch for line in lines if "┤" in line or "│" in line for ch in line if ch in "░▒▓█"}
    assert drawn <= set(legends[0])


def test_the_compact_legend_names_every_edge_on_a_log_scale() -> None:
    lines = shown(
        run("surface", "-l", "mse", "--scale", "log", "--width", "60", "--height", "11").output
    )
    legend = " ".join(line for line in lines if "[" in line)
    edges = re.findall(r"(\S+) \[(.)\]", legend)
    assert [glyph for _, glyph in edges] == [" ", "░", "▒", "▓", "█"]  # each band's swatch
    # Log bands: low + span · (101^(k/4) − 1) / 100 (losscli.render.bands), low 0.05187, high 20.6.
    assert [edge for edge, _ in edges] == ["0.0519", "0.501", "1.92", "6.41", "20.6"]


def test_lines_and_columns_are_the_terminals_size() -> None:
    result = run("surface", env={"COLUMNS": "80", "LINES": "24"})
    assert_fits(shown(result.output), 80, 24)
    overridden = run("surface", "--height", "50", "--width", "200", env={"LINES": "24"})
    assert len(shown(overridden.output)) > 24


def test_a_pipe_keeps_the_full_layout_unless_a_height_is_given() -> None:
    piped = shown(run("surface").output)
    # Four full panels one under another, as before, with their true minima (hinge's on two
    # lines) and hinge's edge note.
    assert len(piped) == 121
    assert len(shown(run("surface", "--height", "40").output)) <= 39


@pytest.mark.parametrize(("width", "per_row"), [(197, 3), (198, 4)])
def test_in_a_pipe_four_panels_need_198_columns(width: int, per_row: int) -> None:
    first = shown(run("surface", "--width", str(width)).output)[0]
    assert titles_on(first) == list(TITLES[:per_row])  # 4 × 48 + 3 gaps of 2 (201 before)


def test_height_has_a_floor() -> None:
    result = run("surface", "--height", "5")
    assert result.exit_code == 2
    assert "Invalid value for '--height': 5 is not in the range x>=10." in result.output


def on_a_terminal(args: list[str], width: int, height: int, **env: str) -> str:
    """losscli's standard output on a pseudo-terminal `width` × `height`, no size in the
    environment: the size is the terminal's own."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))
    base = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "FORCE_COLOR")}
    process = subprocess.Popen(
        [sys.executable, "-m", "losscli", *args],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=subprocess.PIPE,
        env={**base, "TERM": "xterm-256color", **env},
    )
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the terminal's other end has closed
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    _, errors = process.communicate(timeout=60)
    assert process.returncode == 0, errors
    return seen.decode().replace("\r\n", "\n")


@pytest.mark.parametrize("env", [{"NO_COLOR": "1"}, {"COLORTERM": "truecolor"}])
def test_on_an_80_by_24_terminal_all_four_panels_show_at_once(env: dict[str, str]) -> None:
    assert_fits(shown(on_a_terminal(["surface"], 80, 24, **env)), 80, 24)


# ---------------------------------------------------------------------------------------------
# descend: the map makes room for the table, the table wraps, the animation fits.


def test_descend_fits_the_height_with_its_table() -> None:
    lines = shown(run("descend", "--width", "80", "--height", "24").output)
    assert len(lines) <= 23
    assert max(cell_len(line) for line in lines) <= 80
    assert any(line.startswith("g gd") for line in lines)  # the table's row is there


def test_the_results_table_wraps_rather_than_cutting_numbers() -> None:
    document = json.loads(run("descend", "--format", "json").output)
    end = document["runs"][0]["trajectory"][-1]
    text = run("descend", "--width", "60").output
    assert "…" not in text  # today's table printed `1.54, 0.…  conver…`
    words = text.split()
    assert f"{end['w1']:.3g}," in words and f"{end['w2']:.3g}" in words  # 1.54, 0.485
    assert f"{end['loss']:.4g}" in words and "converged" in words
    assert max(cell_len(line) for line in text.splitlines()) <= 60


def drawn(table: Table, width: int) -> list[str]:
    console = Console(width=width, color_system=None)
    with console.capture() as captured:
        console.print(FittingTable(table))
    return [line.rstrip() for line in captured.get().splitlines()]


def test_a_narrow_table_wraps_between_words() -> None:
    table = Table("name", "value", box=None, pad_edge=False)
    table.add_row("a b", "0.123456789 12")
    assert drawn(table, 20) == ["name  value", "a b   0.123456789 12"]  # as it is
    assert drawn(table, 17) == ["name  value", "a b   0.123456789", "      12"]


def test_a_table_too_wide_to_wrap_lists_each_row() -> None:
    table = Table("x", "y", "z", box=None, pad_edge=False)
    table.add_row("1.2345678", "2.3456789", "3.4567891")
    table.add_row("4", "5", "6")
    assert drawn(table, 31) == [
        "x          y          z",
        "1.2345678  2.3456789  3.4567891",
        "4          5          6",
    ]
    assert drawn(table, 30) == [
        "x  1.2345678",
        "y  2.3456789",
        "z  3.4567891",
        "",
        "x  4",
        "y  5",
        "z  6",
    ]


def test_the_catalogue_wraps_at_any_width() -> None:
    for columns in ("40", "60", "80"):
        text = run("losses", env={"COLUMNS": columns}).output
        assert "…" not in text
        assert max(cell_len(line) for line in text.splitlines()) <= int(columns)
        assert "squared-hinge" in text


def test_every_frame_of_the_animation_fits_80_by_24() -> None:
    args = ["descend", "--animate", "--fps", "1000", "--color", "always"]
    result = run(*args, "--width", "80", "--height", "24", env={"LINES": "24"})
    assert result.exit_code == 0
    # Rich's live display erases the previous frame line by line before drawing the next.
    erased = [
        block.count("\x1b[1A") + 1 for block in re.findall(r"(?:\x1b\[2K\x1b\[1A)+", result.output)
    ]
    assert erased and max(erased) <= 23
    assert "step 0 of" in result.output and "..." not in shown(result.output)
