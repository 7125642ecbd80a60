"""Shell completion: the committed scripts are Click's own output, and completing stays light."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.shell_completion import BashComplete
from click.testing import CliRunner

from losscli.cli import COMPLETE_VAR, cli, completion_script

COMPLETIONS = Path(__file__).parent.parent / "completions"
SCRIPTS = {"bash": "losscli.bash", "zsh": "_losscli", "fish": "losscli.fish"}
REGENERATE = (
    "regenerate with: losscli completion {shell} > completions/{file} (the script is Click's and"
    " changes between Click versions: commit the one the newest Click, which a fresh install"
    " gets, prints)"
)


def run_losscli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "losscli", *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("shell", sorted(SCRIPTS))
def test_committed_script_is_current(shell: str) -> None:
    committed = (COMPLETIONS / SCRIPTS[shell]).read_text()
    fresh = CliRunner().invoke(cli, ["completion", shell]).output
    assert fresh.rstrip("\n") == completion_script(shell).rstrip("\n") and fresh.endswith("\n")
    assert committed == fresh, REGENERATE.format(shell=shell, file=SCRIPTS[shell])


@pytest.mark.parametrize("shell", sorted(SCRIPTS))
def test_script_is_what_clicks_own_protocol_prints(shell: str) -> None:
    """`_LOSSCLI_COMPLETE=bash_source losscli` is Click's documented way to get the script."""
    result = run_losscli(env={COMPLETE_VAR: f"{shell}_source"})
    assert result.returncode == 0, result.stderr
    assert result.stdout == (COMPLETIONS / SCRIPTS[shell]).read_text()


def test_completion_rejects_an_unknown_shell() -> None:
    result = CliRunner().invoke(cli, ["completion", "tcsh"])
    assert result.exit_code == 2
    assert "'tcsh' is not one of 'bash', 'zsh', 'fish'" in result.output


def complete(args: list[str], incomplete: str) -> list[tuple[str, str]]:
    """(type, value) pairs Click offers for the word being typed after `losscli ARGS`."""
    completer = BashComplete(cli, {}, "losscli", COMPLETE_VAR)
    return [(item.type, item.value) for item in completer.get_completions(args, incomplete)]


def test_loss_names_and_aliases_complete() -> None:
    assert complete(["surface", "--loss"], "h") == [("plain", "huber"), ("plain", "hinge")]
    assert complete(["surface", "-l"], "l") == [
        ("plain", "l2"),  # mse's alias
        ("plain", "l1"),  # mae's alias
        ("plain", "log-cosh"),
        ("plain", "logistic"),
    ]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["surface", "--format"], ["text", "json", "ndjson", "csv", "npz"]),
        (["surface", "--scale"], ["linear", "log", "quantile"]),
        (["render", "-", "--style"], ["map", "plain"]),
        (["data"], ["regression", "classification"]),
        (["completion"], ["bash", "zsh", "fish"]),
        ([], ["completion", "data", "descend", "eval", "landscape", "losses", "render", "surface"]),
        (["surface", "--dataset"], ["lesson", "celsius", "outliers", "imbalanced", "separable"]),
        (["descend", "--optimizer"], ["gd", "momentum", "nesterov", "rmsprop", "adam"]),
    ],
)
def test_choices_complete(args: list[str], expected: list[str]) -> None:
    assert complete(args, "") == [("plain", value) for value in expected]


@pytest.mark.parametrize(
    "args",
    [["surface", "--data"], ["render"], ["surface", "-o"], ["surface", "--save-svg"]],
)
def test_paths_are_left_to_the_shell(args: list[str]) -> None:
    """Click answers 'file' and the shell's own file completion takes over."""
    assert complete(args, "") == [("file", "")]


HEAVY_PROBE = """
import atexit, sys
def report():
    heavy = sorted({m.split('.')[0] for m in sys.modules} & {'numpy', 'rich'})
    print('HEAVY=' + ','.join(heavy), file=sys.stderr)
atexit.register(report)
sys.argv = ['losscli', *sys.argv[1:]]
from losscli.cli import main
main()
"""


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--help"], {}),
        (["surface", "--help"], {}),
        (["completion", "zsh"], {}),
        ([], {COMPLETE_VAR: "bash_complete", "COMP_WORDS": "losscli surface --loss h"}),
        ([], {COMPLETE_VAR: "zsh_complete", "COMP_WORDS": "losscli surface --scale "}),
    ],
)
def test_help_and_completion_import_neither_numpy_nor_rich(
    args: list[str], env: dict[str, str]
) -> None:
    env = {**os.environ, **env, "COMP_CWORD": "3"}
    result = subprocess.run(
        [sys.executable, "-c", HEAVY_PROBE, *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "HEAVY=\n" in result.stderr
    if env.get(COMPLETE_VAR) == "bash_complete":
        assert result.stdout == "plain,huber\nplain,hinge\n"
