"""What each band looks like on a given output: colours per colour system, glyphs without colour.

`levels` bands are drawn with `levels + 1` looks (the top one holds only the maximum), and
every look must differ from the others and read low → high, dark → light:

* truecolor (and the SVG/HTML pictures): viridis, interpolated, as many as asked.
* 256 colours: entries of xterm's 6×6×6 colour cube along viridis, each lighter than the one
  before (`cube_ramp`); never the 24 greys nor the 16 system colours, which terminals redefine.
  Letting Rich round viridis to 256 colours instead turns some bands grey.
* 16 colours (Rich's "standard" and "windows"): `STANDARD_RAMP`, seven of the system colours
  from blue to bright yellow. Terminals choose their own 16 colours, so the order was checked
  to rise in lightness (CIE L*) in the VGA, Windows XP and 10, xterm, PuTTY and Terminal.app
  palettes (Tango, Solarized and VS Code swap a neighbouring pair); it uses no grey (one is the
  background somewhere) and no red (the colour of the non-finite cells). Left to itself, Rich
  maps all the dark viridis colours to one grey.
* no colour: the shade glyphs, one each (`plain.shades`: the Unicode blocks for up to four
  levels, the nine glyphs of `plain.ASCII_SHADES` for up to eight).

Where an output has fewer looks than bands asked, fewer bands are drawn and `Looks.note` says
so; colours are Rich colour strings, so a console prints them as they are, undowngraded.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from losscli.render.bands import ramp
from losscli.render.plain import ASCII_SHADES

VIRIDIS = (
    "#440154", "#482878", "#3e4a89", "#31688e", "#26828e",
    "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725",
)  # fmt: skip
"""Anchors of matplotlib's viridis colour map, low to high: perceptually even, colour-blind safe."""

STANDARD_RAMP = (
    "blue", "magenta", "green", "cyan", "bright_green", "bright_cyan", "bright_yellow",
)  # fmt: skip
"""The 16-colour terminal's bands, low to high (Rich's names of the ANSI system colours)."""

TERMINALS = {
    "standard": "16-colour",
    "windows": "16-colour",
    "256": "256-colour",
    "truecolor": "truecolor",
}
"""How the note that fewer bands were drawn names each colour system's terminal."""

TRUECOLOR_LEVELS = 64
"""The most bands in truecolor: --levels' own limit; viridis has 65 distinct colours for it."""


SRGB_TO_XYZ = np.array(
    [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]
)
"""Linear sRGB to CIE XYZ (D65), IEC 61966-2-1."""

CUBE_STEPS = (0, 95, 135, 175, 215, 255)
"""The channel values of xterm's colour cube: entry 16 + 36 r + 6 g + b is (STEPS[r], ...)."""


@dataclass(frozen=True)
class Looks:
    """How many bands one view draws, and a note saying why where it is fewer than asked."""

    levels: int
    note: str | None


def looks(asked: int, color_system: str | None) -> Looks:
    """The bands drawn of `asked` where `color_system` is the console's (None: no colour,
    glyphs instead); the colours are `palette(levels, color_system)`, the glyphs
    `plain.shades(levels)`."""
    levels = min(asked, most_levels(color_system))
    if levels == asked:
        return Looks(levels, None)
    if color_system is None:
        return Looks(
            levels, f"(without colour: {levels} bands drawn of {asked} asked, one glyph each)"
        )
    terminal = TERMINALS[color_system]
    return Looks(levels, f"({terminal} terminal: {levels} bands drawn of {asked} asked)")


def most_levels(color_system: str | None) -> int:
    """The most bands that `color_system` (None: glyphs) draws with distinct looks."""
    if color_system in ("standard", "windows"):
        return len(STANDARD_RAMP) - 1
    if color_system == "256":
        return len(cube_ramp()) - 1
    if color_system is None:
        return len(ASCII_SHADES) - 1
    return TRUECOLOR_LEVELS


def palette(levels: int, color_system: str = "truecolor") -> list[str]:
    """`levels + 1` colours, low to high, for a console of `color_system`.

    More levels than the system has looks for (see `most_levels`) repeat colours."""
    if color_system in ("standard", "windows"):
        return ramp(STANDARD_RAMP, levels)
    if color_system == "256":
        return [f"color({index})" for index in ramp(cube_ramp(), levels)]
    rgb = _viridis(np.linspace(0.0, 1.0, levels + 1))
    return ["#{:02x}{:02x}{:02x}".format(*colour) for colour in np.rint(rgb).astype(int)]


@cache
def cube_ramp() -> tuple[int, ...]:
    """Colour-cube entries along viridis, each lighter than the one before: the nearest entry
    (in CIELAB) to each of 1024 points of viridis, none grey, repeats and darker ones dropped."""
    steps = np.array(CUBE_STEPS, float)
    r, g, b = np.meshgrid(range(6), range(6), range(6), indexing="ij")
    index = (16 + 36 * r + 6 * g + b).ravel()
    rgb = np.stack([steps[r.ravel()], steps[g.ravel()], steps[b.ravel()]], axis=1)
    coloured = ~((rgb[:, 0] == rgb[:, 1]) & (rgb[:, 1] == rgb[:, 2]))
    index, lab = index[coloured], lab_of(rgb[coloured])
    targets = lab_of(_viridis(np.linspace(0.0, 1.0, 1024)))
    nearest = np.argmin(((targets[:, None, :] - lab[None, :, :]) ** 2).sum(axis=2), axis=1)
    lightness = lab[nearest, 0]
    before = np.maximum.accumulate(np.concatenate([[-np.inf], lightness[:-1]]))
    return tuple(int(i) for i in index[nearest[lightness > before]])


def lab_of(rgb: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of sRGB colours given as rows of 0–255 channels; L* is lightness, 0–100."""
    c = np.asarray(rgb, float) / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    xyz = linear @ SRGB_TO_XYZ.T
    xyz /= np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    return np.stack(
        [116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], axis=1
    )


def _viridis(where: np.ndarray) -> np.ndarray:
    """sRGB rows (0–255) of viridis at positions 0…1, interpolated between its anchors."""
    anchors = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in VIRIDIS], float)
    at = where * (len(VIRIDIS) - 1)
    return np.stack(
        [np.interp(at, np.arange(len(VIRIDIS)), anchors[:, k]) for k in range(3)], axis=1
    )
