"""Bands you can tell apart on every terminal: N bands are N + 1 distinct looks, low → high.

Each colour system Rich knows draws a grid whose row holds every band once (band k in column
k) and the test reads back, from the ANSI codes, the colour
each cell is painted: as many colours as bands, each lighter than the one before. Where a
system has fewer colours than bands asked, fewer are drawn and a line says so.
"""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pytest
from click.testing import CliRunner, Result
from rich.console import Console

from losscli.cli import cli
from losscli.render.colormap import render_maps
from losscli.render.grids import GridView
from losscli.render.palettes import cube_ramp, looks, most_levels, palette
from losscli.render.pictures import print_view
from losscli.render.plain import shades

COLOR_SYSTEMS = ("standard", "windows", "256", "truecolor")  # Rich's, as Console names them
SGR = re.compile(r"\x1b\[([0-9;]*)m")
TERMINALS = {  # the environment that makes Rich pick each colour system on a terminal
    "standard": {"TERM": "xterm", "COLORTERM": None},
    "256": {"TERM": "xterm-256color", "COLORTERM": None},
    "truecolor": {"TERM": "xterm-256color", "COLORTERM": "truecolor"},
}
VGA_16 = [  # Rich's reference for "standard": VGA's colours (Wikipedia, "ANSI escape code")
    (0, 0, 0), (170, 0, 0), (0, 170, 0), (170, 85, 0), (0, 0, 170), (170, 0, 170),
    (0, 170, 170), (170, 170, 170), (85, 85, 85), (255, 85, 85), (85, 255, 85),
    (255, 255, 85), (85, 85, 255), (255, 85, 255), (85, 255, 255), (255, 255, 255),
]  # fmt: skip
WINDOWS_16 = [  # Rich's reference for "windows": Windows 10's console (the same table)
    (12, 12, 12), (197, 15, 31), (19, 161, 14), (193, 156, 0), (0, 55, 218), (136, 23, 152),
    (58, 150, 221), (204, 204, 204), (118, 118, 118), (231, 72, 86), (22, 198, 12),
    (249, 241, 165), (59, 120, 255), (180, 0, 158), (97, 214, 214), (242, 242, 242),
]  # fmt: skip
XTERM_16 = [  # xterm's own defaults (its XTerm-col.ad), the 16 colours of TERM=xterm
    (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205),
    (0, 205, 205), (229, 229, 229), (127, 127, 127), (255, 0, 0), (0, 255, 0),
    (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
]  # fmt: skip


def cube(index: int) -> tuple[int, int, int]:
    """xterm's 256-colour cube: entry 16 + 36 r + 6 g + b has channels (0, 95, 135, ...)[r, g, b]."""
    steps = (0, 95, 135, 175, 215, 255)
    r, g, b = (index - 16) // 36, (index - 16) // 6 % 6, (index - 16) % 6
    return (steps[r], steps[g], steps[b])


def every_band(levels: int) -> str:
    """A grid whose two rows hold each band once, in column k band k: the values 0, then
    k + ½ (the middle of band k, clear of rounding at its edges), then the maximum."""
    row = [0.0, *(k + 0.5 for k in range(1, levels)), float(levels)]
    w1 = list(range(levels + 1))
    return json.dumps({"title": "bands", "w1": w1, "w2": [0, 1], "values": [row, row]})


def render(levels: int, env: dict[str, str | None], *options: str) -> Result:
    args = ["render", "-", "--levels", str(levels), "--width", "200", *options]
    environment = {"COLUMNS": None, "NO_COLOR": None, "FORCE_COLOR": None, **env}
    return CliRunner().invoke(cli, args, input=every_band(levels), env=environment)


def backgrounds(line: str) -> list[str]:
    """The background each character of a line is printed on (its SGR parameters, '' none)."""
    painted, background = [], ""
    for piece in re.split(r"(\x1b\[[0-9;]*m)", line):
        code = SGR.fullmatch(piece)
        if code is None:
            painted += [background] * len(piece)
            continue
        params = code.group(1).split(";")
        i = 0
        while i < len(params):
            p = params[i]
            if p in ("", "0"):
                background = ""
            elif p in ("48",):  # 48;5;n or 48;2;r;g;b
                size = 3 if params[i + 1] == "5" else 5
                background = ";".join(params[i : i + size])
                i += size - 1
            elif p in ("38",):
                i += 2 if params[i + 1] == "5" else 4
            elif 40 <= int(p) <= 47 or 100 <= int(p) <= 107:
                background = p
            i += 1
    return painted


def map_cells(output: str) -> list[str]:
    """The backgrounds of the top map row's cells (the row without the star), left to right."""
    row = next(line for line in output.splitlines() if "┤" in SGR.sub("", line))
    painted = backgrounds(row)
    start = SGR.sub("", row).index("┤") + 1
    cells = painted[start:]
    return [cells[k] for k in range(0, len(cells), 2) if cells[k] and cells[k] == cells[k + 1]]


def rgb_of(code: str, system: str) -> tuple[int, int, int]:
    """The colour a background code stands for in the reference palette of the system."""
    params = [int(p) for p in code.split(";")]
    if params[0] == 48 and params[1] == 2:
        return (params[2], params[3], params[4])
    if params[0] == 48:
        assert 16 <= params[2] <= 231  # the cube: the system colours vary by terminal
        return cube(params[2])
    number = params[0] - 40 if params[0] < 100 else params[0] - 100 + 8
    return (WINDOWS_16 if system == "windows" else VGA_16)[number]


def luminance(rgb: tuple[int, int, int]) -> float:
    """Relative luminance (WCAG 2 / ITU-R BT.709), which rises with lightness L*."""
    c = np.array(rgb) / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(linear @ [0.2126, 0.7152, 0.0722])


def assert_distinct_and_rising(cells: list[str], levels: int, system: str) -> None:
    assert len(cells) == levels + 1  # one cell per band, all painted
    assert len(set(cells)) == levels + 1, cells  # every band its own colour
    light = [luminance(rgb_of(code, system)) for code in cells]
    assert light == sorted(light) and len(set(light)) == len(light), (cells, light)


@pytest.mark.parametrize("system", ["standard", "256", "truecolor"])
def test_every_band_count_draws_as_many_colours_rising_in_lightness(system: str) -> None:
    for levels in range(1, most_levels(system) + 1):
        result = render(levels, TERMINALS[system], "--color", "always")
        assert result.exit_code == 0, result.output
        assert_distinct_and_rising(map_cells(result.output), levels, system)
        assert "bands drawn of" not in result.output


@pytest.mark.parametrize(
    ("system", "note"),
    [
        ("standard", "(16-colour terminal: 6 bands drawn of 8 asked)"),
        ("256", "(256-colour terminal: 8 bands drawn of 9 asked)"),
    ],
)
def test_more_bands_than_colours_draws_fewer_and_says_so(system: str, note: str) -> None:
    asked = int(note.split(" of ")[1].split()[0])
    result = render(asked, TERMINALS[system], "--color", "always")
    assert SGR.sub("", result.output).splitlines()[-1] == note
    drawn = most_levels(system)
    cells = map_cells(result.output)
    assert len(set(cells)) == drawn + 1  # all the colours there are, each still one band
    light = [luminance(rgb_of(code, system)) for code in dict.fromkeys(cells)]
    assert light == sorted(light)


def test_the_16_colour_bands_rise_in_xterms_own_colours_too() -> None:
    """TERM=xterm shows xterm's palette, not Rich's reference: the order holds in both."""
    codes = map_cells(render(6, TERMINALS["standard"], "--color", "always").output)
    numbers = [int(c) - 40 if int(c) < 100 else int(c) - 92 for c in codes]
    light = [luminance(XTERM_16[n]) for n in numbers]
    assert light == sorted(light) and len(set(numbers)) == 7


def test_the_windows_console_draws_distinct_rising_bands() -> None:
    """Rich's legacy Windows colours, rendered by a real Console of that system."""
    for levels in range(1, most_levels("windows") + 1):
        spec = json.loads(every_band(levels))
        row = np.array(spec["values"][0])
        w1 = np.array(spec["w1"], float)
        grid = GridView("bands", "bands", w1, np.array([0.0, 1.0]), np.stack([row, row]))
        buffer = io.StringIO()
        console = Console(
            file=buffer,
            color_system="windows",
            force_terminal=True,
            width=200,
            legacy_windows=False,
        )
        print_view(
            lambda look, grid=grid, levels=levels: render_maps(
                [grid],
                levels=levels,
                scale="linear",
                origin="lower",
                color=look.color,
                unicode=look.unicode,
                color_system=look.color_system,
            ),
            console,
        )
        assert_distinct_and_rising(map_cells(buffer.getvalue()), levels, "windows")


def test_the_256_colour_bands_are_cube_colours_never_greys() -> None:
    for index in cube_ramp():
        red, green, blue = cube(index)
        assert 16 <= index <= 231 and not red == green == blue
    assert palette(8, "256")[0] == "color(53)"  # (95, 0, 95): viridis's dark purple end
    assert palette(8, "256")[-1] == "color(220)"  # (255, 215, 0): viridis's yellow end


def test_every_system_has_distinct_colours_for_every_band_count() -> None:
    for system in COLOR_SYSTEMS:
        for levels in range(1, most_levels(system) + 1):
            colours = palette(levels, system)
            assert len(colours) == len(set(colours)) == levels + 1, (system, levels)


def test_looks_caps_the_bands_and_notes_it() -> None:
    assert looks(8, "truecolor").note is None and looks(64, "truecolor").levels == 64
    assert looks(8, "windows").levels == 6
    capped = looks(12, None)
    assert (capped.levels, capped.note) == (
        8,
        "(without colour: 8 bands drawn of 12 asked, one glyph each)",
    )


@pytest.mark.parametrize("unicode", [True, False])
def test_without_colour_every_band_has_its_own_glyph(unicode: bool) -> None:
    for levels in range(1, 9):
        glyphs = shades(levels, unicode)
        assert len(set(glyphs)) == levels + 1 and glyphs[0] == " "
    assert shades(4) == [" ", "░", "▒", "▓", "█"]  # the lesson's ramp, unchanged


def test_the_map_without_colour_draws_each_band_in_its_own_glyph() -> None:
    for levels in range(1, 9):
        result = render(levels, {}, "--color", "never")
        text = result.output
        row = next(line for line in text.splitlines() if "┤" in line)
        cells = row[row.index("┤") + 1 :].ljust(2 * (levels + 1))
        looks_seen = [cells[k : k + 2] for k in range(0, 2 * (levels + 1), 2)]
        assert len(set(looks_seen)) == levels + 1, looks_seen
        assert "blank 0–" in text  # the blank swatch is named in the legend
        assert "bands drawn of" not in text


def test_more_bands_than_glyphs_draws_eight_and_says_so() -> None:
    result = render(12, {}, "--color", "never")
    assert result.output.splitlines()[-1] == (
        "(without colour: 8 bands drawn of 12 asked, one glyph each)"
    )
    plain = render(12, {}, "--color", "never", "--style", "plain")
    figure = plain.output.splitlines()
    assert len(set(figure[1].replace("*", ""))) == 9  # the top row: nine bands, nine glyphs
    assert figure[-1] == "(without colour: 8 bands drawn of 12 asked, one glyph each)"


def test_descent_paths_on_16_colours_differ_from_each_other_and_from_the_bands() -> None:
    """Rich turns the truecolor run colours red and orange into one bright red on 16 colours
    (and cyan into a band's): the 16-colour runs use colours of their own."""
    env = {"COLUMNS": None, "NO_COLOR": None, "FORCE_COLOR": None, **TERMINALS["standard"]}
    optimizers = ("gd", "momentum", "nesterov", "rmsprop", "adam")
    args = ["descend", "-l", "mse", "--color", "always", "--width", "200", "--steps", "5"]
    for name in optimizers:
        args += ["--optimizer", name]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    # Each table row opens with the run's letter drawn bold, black on its colour: 1;30;BG.
    runs = re.findall(r"\x1b\[1;30;(\d+)m([a-z])\x1b\[0m (\w+)", result.output)
    backgrounds = {name: code for code, _, name in runs}
    assert sorted(backgrounds) == sorted(optimizers)
    assert len(set(backgrounds.values())) == len(optimizers)
    bands = set(re.findall(r"\x1b\[(\d+)m  \x1b\[0m", result.output))  # the map's cells
    assert bands and not bands & set(backgrounds.values())
    assert "41" not in backgrounds.values()  # red: the non-finite cells' colour
