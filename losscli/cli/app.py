"""The `losscli` group: its commands, shell completion, and the console script's `main`.

Only Click is imported at start-up (with the catalogue and the optimizers' names, which need
no numpy); numpy and Rich load inside the commands that use them, so `losscli --help` and
shell completion stay fast.
"""

from __future__ import annotations

import io
import os
import signal
import sys

import click

from losscli import __version__
from losscli.catalogue import CATALOGUE, PLUGINS, all_params, withdraw
from losscli.cli.data import data_command
from losscli.cli.descend import descend_command
from losscli.cli.evaluate import eval_command
from losscli.cli.landscape import landscape_command
from losscli.cli.loss_options import LossParamOption
from losscli.cli.losses import losses_command
from losscli.cli.render import render_command
from losscli.cli.repeats import OnceCommand
from losscli.cli.surface import surface_command


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="losscli")
def cli() -> None:
    """See a loss function's surface over (w1, w2) of the line model p = w1·x + w2.

    \b
      losscli surface                      the lesson's four panels: MSE, MAE, Huber, hinge
      losscli surface --loss huber --delta 1
      losscli data regression > points.csv
      losscli surface --data points.csv --loss mae --format json
    """


for command in (
    surface_command,
    descend_command,
    data_command,
    losses_command,
    eval_command,
    render_command,
    landscape_command,
):
    cli.add_command(command)


def withdraw_shadowing_plugins() -> None:
    """A plugin parameter whose option is one of losscli's own (a `--scale`, say) would shadow
    it: its loss leaves the catalogue, and its options leave every command. Runs once every
    command is defined."""
    own = {
        opt
        for command in cli.commands.values()
        for param in command.params
        if not isinstance(param, LossParamOption)
        for opt in param.opts
    }
    for name in sorted(PLUGINS):
        clashes = [p.option for p in CATALOGUE[name].params if p.option in own]
        if clashes:
            withdraw(name, f"its parameter {clashes[0]} would shadow losscli's own option")
    kept = all_params()
    for command in cli.commands.values():
        command.params = [
            p for p in command.params if not isinstance(p, LossParamOption) or p.name in kept
        ]


withdraw_shadowing_plugins()


COMPLETE_VAR = "_LOSSCLI_COMPLETE"
"""The environment variable Click's completion protocol talks through."""
SHELLS = ("bash", "zsh", "fish")


@cli.command("completion", cls=OnceCommand)
@click.argument("shell", type=click.Choice(SHELLS))
def completion_command(shell: str) -> None:
    """Print the tab-completion script for SHELL: bash, zsh or fish.

    It completes commands, options, loss names, choices and file paths. Install it with:

    \b
      bash:  echo 'eval "$(losscli completion bash)"' >> ~/.bashrc
      zsh:   echo 'eval "$(losscli completion zsh)"' >> ~/.zshrc
      fish:  losscli completion fish > ~/.config/fish/completions/losscli.fish
    """
    script = completion_script(shell)
    click.echo(script, nl=not script.endswith("\n"))  # as Click's own protocol prints it


def completion_script(shell: str) -> str:
    """The script Click generates from this app: what `_LOSSCLI_COMPLETE=bash_source` prints."""
    from click.shell_completion import get_completion_class

    complete = get_completion_class(shell)
    if complete is None:  # pragma: no cover - Click ships all three
        raise click.BadParameter(f"no completion for {shell}")
    return complete(cli, {}, "losscli", COMPLETE_VAR).source()


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived: the work unwinds (temporary files are removed, the second
    process is ended), then losscli dies by the same signal, as the sender expects."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _terminate(signum: int, frame: object) -> None:
    raise Terminated(signum)


def _buffer_standard_output() -> None:
    """Under PYTHONUNBUFFERED standard output writes straight to its descriptor, where a short
    write (a disk filling up) loses the rest silently; a buffered writer retries it and says
    when it fails."""
    stream = sys.stdout
    if isinstance(stream, io.TextIOWrapper) and isinstance(stream.buffer, io.FileIO):
        sys.stdout = io.TextIOWrapper(
            io.BufferedWriter(stream.buffer),
            encoding=stream.encoding,
            errors=stream.errors,
            line_buffering=stream.line_buffering,
            write_through=True,
        )


def main() -> None:
    """The console script: Unix conventions for pipes and signals around the Click group.

    A reader that closes the pipe early (`losscli data --n 1000000 | head -1`) ends losscli
    quietly by SIGPIPE, as it ends `cat` or `yes`; Ctrl-C prints "interrupted" on stderr and
    exits with status 130, the shell's code for SIGINT; SIGTERM and SIGHUP end it by that
    signal once nothing half-done is left behind.
    """
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    _buffer_standard_output()
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _terminate)
    try:
        status = cli.main(prog_name="losscli", standalone_mode=False)
        if sys.stdout is not None:
            sys.stdout.flush()  # a full disk is told here, not lost at exit
    except OSError as error:  # the core reports files by name: this is standard output
        sys.stderr.write(f"Error: cannot write to standard output ({error.strerror})\n")
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # what is still buffered goes nowhere
        sys.exit(1)
    except Terminated as ended:
        signal.signal(ended.signum, signal.SIG_DFL)
        os.kill(os.getpid(), ended.signum)
        sys.exit(128 + ended.signum)  # where the signal does not end the process at once
    except click.exceptions.Abort:  # Click's name for KeyboardInterrupt and EOF at a prompt
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    sys.exit(status if isinstance(status, int) else 0)
