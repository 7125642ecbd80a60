"""The documentation's examples are real: every `$ losscli ...` shown with its output is run
and must print exactly that output.

In README.md and docs/*.md, a fenced block whose first line starts with `$ ` holds commands,
each followed by its output up to the next command (a command ending in a backslash or inside
quotes goes on to the next line). A document's examples run in order, with bash, in one
temporary folder, as a reader would type them (the documents run side by side): pipes,
redirections and other programs (printf, python, jq) included, `losscli` being this
checkout's. A line `...` in an output stands for any number of lines. The environment has
no colour and, unless the command sets it, COLUMNS=100. A command that calls a program this
machine lacks (jq, say) is not run, and neither are the ones after it in its document.

After a change that alters output, rewrite the examples from real runs with
`python tests/test_examples.py --update` and read the diff.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```[a-z]*\n(.*?)^```\n", re.M | re.S)
ELLIPSIS = "..."
ENVIRONMENT = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}


@dataclass(frozen=True)
class Example:
    document: Path
    command: str
    output: list[str]
    start: int
    """Offset in the document of the first output line (for --update)."""
    end: int


def examples(document: Path) -> list[Example]:
    """The examples of one document, in order."""
    text = document.read_text()
    found: list[Example] = []
    for block in FENCE.finditer(text):
        body = block.group(1)
        if not body.startswith("$ "):
            continue
        position = block.start(1)
        current: tuple[str, int] | None = None
        collected: list[str] = []
        continued = False
        for line in [*body.splitlines(keepends=True), "$ \n"]:
            if continued and current is not None:
                current = (current[0] + "\n" + line.rstrip("\n"), position + len(line))
                continued = incomplete(current[0])
            elif line.startswith("$ "):
                if current is not None:
                    while collected and not collected[-1].strip():
                        collected.pop()
                    command, start = current
                    end = start + sum(len(x) for x in collected)
                    output = [x.rstrip() for x in collected]
                    found.append(Example(document, command, output, start, end))
                current = (line[2:].rstrip("\n"), position + len(line))
                collected = []
                continued = incomplete(current[0])
            else:
                collected.append(line)
            position += len(line)
    return found


def incomplete(command: str) -> bool:
    """Whether a command goes on to the next line: a final backslash, or a quote left open."""
    if command.endswith("\\"):
        return True
    try:
        shlex.split(command)
    except ValueError:
        return True
    return False


def runnable(command: str) -> bool:
    """Whether every program the command calls is on this machine (losscli always is)."""
    lexer = shlex.shlex(command.replace("\\\n", " "), posix=True, punctuation_chars=True)
    programs, expecting = [], True
    for token in lexer:
        if token in ("|", "||", "&&", ";", "&"):
            expecting = True
        elif expecting and not re.fullmatch(r"\w+=.*", token):
            programs.append(token)
            expecting = False
    return all(p == "losscli" or shutil.which(p) for p in programs)


def shims(folder: Path) -> Path:
    """The folder's launchers of this checkout's losscli and of the Python running the tests.

    Made before any example runs side by side: a launcher still open for writing in one
    thread while another forks would be inherited by that child until it execs, and running
    the launcher then fails with "Text file busy" (ETXTBSY)."""
    shim = folder / ".bin"
    if not shim.exists():
        shim.mkdir()
        for name, call in (("losscli", "-m losscli "), ("python", "")):
            launcher = shim / name
            launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" {call}"$@"\n')
            launcher.chmod(0o755)
    return shim


def run(command: str, folder: Path) -> list[str]:
    """The command's standard output and error as a reader's terminal would show them."""
    shim = shims(folder)
    env = {**os.environ, **ENVIRONMENT, "PYTHONPATH": str(ROOT)}
    env["PATH"] = f"{shim}{os.pathsep}{env.get('PATH', '')}"
    env.pop("FORCE_COLOR", None)
    done = subprocess.run(
        ["bash", "-c", command],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = (done.stdout + done.stderr).splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    return [line.rstrip() for line in lines]


Results = list[tuple["Example", list[str]]]


def ran(document: Path, folder: Path) -> Results:
    """Each example with what it printed, up to the first that cannot run here."""
    results = []
    for example in examples(document):
        if not runnable(example.command):
            break
        results.append((example, run(example.command, folder)))
    return results


def matches(expected: list[str], actual: list[str]) -> bool:
    """Equal line for line, where a `...` line in `expected` stands for any lines."""
    if ELLIPSIS not in expected:
        return expected == actual
    cut = expected.index(ELLIPSIS)
    head, tail = expected[:cut], expected[cut + 1 :]
    if actual[:cut] != head or len(actual) < len(head) + len(tail):
        return False
    return matches(tail, actual[len(actual) - len(tail) :]) if tail else True


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[Path, Future[Results]]]:
    """Every document's examples, run as soon as the first is asked for: the documents side by
    side (each in its own folder, its examples in order), so the cores share the work."""
    folders = {document: tmp_path_factory.mktemp(document.stem) for document in DOCUMENTS}
    for folder in folders.values():
        shims(folder)  # all written and closed before the first fork (see `shims`)
    with ThreadPoolExecutor(max_workers=len(DOCUMENTS)) as pool:
        yield {document: pool.submit(ran, document, folders[document]) for document in DOCUMENTS}


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_documented_output_is_what_losscli_prints(
    document: Path, printed: dict[Path, Future[Results]]
) -> None:
    wrong = [
        example.command
        for example, actual in printed[document].result()
        if not matches(example.output, actual)
    ]
    assert not wrong, f"{document.name}: output differs for: {wrong}"


def update(document: Path, folder: Path) -> None:
    """Rewrite each checked example's output from a real run, keeping `...` elisions' heads.

    The examples run in order (a later one may read a file an earlier one wrote); the text is
    then rewritten from the end, so that earlier offsets stay valid.
    """
    text = document.read_text()
    for example, actual in reversed(ran(document, folder)):
        if matches(example.output, actual):
            continue
        if ELLIPSIS in example.output:
            cut = example.output.index(ELLIPSIS)
            tail = len(example.output) - cut - 1
            actual = [*actual[:cut], ELLIPSIS, *(actual[len(actual) - tail :] if tail else [])]
        replacement = "".join(line + "\n" for line in actual)
        text = text[: example.start] + replacement + text[example.end :]
        print(f"{document.name}: updated {example.command}")
    document.write_text(text)


if __name__ == "__main__":
    import tempfile

    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python tests/test_examples.py --update")
    for path in DOCUMENTS:
        with tempfile.TemporaryDirectory() as scratch:
            update(path, Path(scratch))
