"""Shared test helpers: the lesson's fixtures and a CliRunner shortcut."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from losscli.catalogue import get_loss
from losscli.cli import cli
from losscli.engine import Axis, Job, choose_method

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def invoke():
    """Run losscli in-process; returns Click's Result (stdout and stderr kept apart)."""

    def run(
        *args: str, input: str | bytes | None = None, env: dict[str, str] | None = None
    ) -> Result:
        return CliRunner().invoke(cli, list(args), input=input, env=env, catch_exceptions=False)

    return run


def method_for(name: str, points: int, steps: int, method: str = "auto", **params: float) -> str:
    """The sweep method the engine takes for loss `name` on a square grid over [-2, 4]²."""
    loss = get_loss(name)
    axis = Axis("w", -2, 4, steps)
    return choose_method(Job(loss, loss.resolve_params(params), points, axis, axis), method).name


def usage_error(result, option: str, message: str) -> None:
    """A usage error as Click reports it: exit status 2, the last line naming the option."""
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == f"Error: Invalid value for '{option}': {message}"
    assert "Traceback" not in result.output
