"""Conventions: -h/--help and --version, everything documented in --help and in the README."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from losscli import __version__
from losscli.catalogue import CATALOGUE
from losscli.cli import cli

ROOT = Path(__file__).parent.parent
COMMANDS = sorted(cli.commands)


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.output == f"losscli, version {__version__}\n"


@pytest.mark.parametrize("command", [[], *([name] for name in COMMANDS)])
@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_short_and_long_help_everywhere(command: list[str], flag: str) -> None:
    result = CliRunner().invoke(cli, [*command, flag], prog_name="losscli")
    assert result.exit_code == 0
    assert result.output.startswith(f"Usage: losscli {' '.join(command)}".rstrip())


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_option_and_argument_is_documented(name: str) -> None:
    command = cli.commands[name]
    assert command.help and command.short_help != "", name
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"{name} {param.opts[0]} has no help"
        else:  # an argument is explained in the command's text, by its name (FILE of FILE|-)
            word = (param.metavar or (param.name or "").upper()).split("|")[0]
            assert word in command.help, f"{name}'s help does not explain {word}"


def test_readme_names_every_command_and_every_loss() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [f"losscli {name}" for name in COMMANDS if f"losscli {name}" not in readme]
    missing += [
        f"loss {name}" for name in CATALOGUE if not re.search(rf"\b{re.escape(name)}\b", readme)
    ]
    assert not missing, f"README.md does not mention: {', '.join(missing)}"


def test_gallery_pictures_are_svg_made_by_the_gallery_script() -> None:
    script = (ROOT / "docs" / "make_gallery.sh").read_text()
    pictures = sorted((ROOT / "docs" / "gallery").glob("*.svg"))
    assert pictures
    for picture in pictures:
        assert ET.parse(picture).getroot().tag == "{http://www.w3.org/2000/svg}svg"
        assert f"docs/gallery/{picture.name}" in script, f"{picture.name} is not regenerated"
