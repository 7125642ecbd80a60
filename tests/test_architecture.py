"""The shape of the package: who may import whom, where each thing is documented, how large a
module or a function grows, and that the tests and the installed wheel see what users see."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from losscli import defaults, engine
from losscli.cli import cli
from losscli.cli.surface import FORMATS
from losscli.render.export import WRITERS
from losscli.render.paths import STOP_NOTES

ROOT = Path(__file__).parent.parent
PACKAGE = ROOT / "losscli"
CORE = (
    "catalogue",
    "data",
    "engine",
    "descent",
    "models",
    "slices",
    "defaults",
    "errors",
    "limits",
    "line",
    "lazy",
    "sums",
)
"""The numeric core: it knows nothing of Click or Rich."""
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60
LONG_REASON = "# long:"
"""A comment starting so, on the line above a function, says why it is longer."""


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imported(path: Path) -> Iterator[str]:
    """Every module of losscli the file imports, anywhere in it (functions and type-checking
    blocks included): `from a.b import c` names a.b.c where that is a module, else a.b."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                child = f"{node.module}.{alias.name}"
                yield child if child in MODULES else node.module


def imports_of(name: str) -> set[str]:
    return {other for other in imported(MODULES[name]) if other in MODULES and other != name}


def test_the_package_imports_no_cycle() -> None:
    graph = {name: imports_of(name) for name in MODULES}
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            cycle = [*path[path.index(name) :], name]
            pytest.fail("import cycle: " + " → ".join(cycle))
        if name in done:
            return
        for other in sorted(graph[name]):
            visit(other, [*path, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])


def core_modules() -> list[str]:
    return [
        name
        for name in MODULES
        if name.split(".")[1:2] and name.split(".")[1] in CORE  # losscli.X...
    ]


@pytest.mark.parametrize("name", core_modules())
def test_the_core_imports_neither_click_nor_rich(name: str) -> None:
    outside = {module.split(".")[0] for module in imported(MODULES[name])}
    assert not outside & {"click", "rich"}, f"{name} imports {outside & {'click', 'rich'}}"


def test_the_defaults_and_the_command_line_load_without_numpy() -> None:
    probe = (
        "import sys, losscli.defaults, losscli.descent.optimizers, losscli.cli; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'numpy', 'rich'}))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.stdout == "[]\n", result.stderr


def design_section() -> str:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("## Design")
    end = readme.index("\n## ", start + 1)
    return readme[start:end]


def test_the_readme_design_section_names_every_module_and_package() -> None:
    section = design_section()
    wanted = [
        str(path.relative_to(ROOT)) if path.name != "__init__.py" else f"{path.parent.name}/"
        for path in MODULES.values()
        if path != PACKAGE / "__init__.py"
    ]
    missing = [entry for entry in wanted if entry not in section]
    assert not missing, f"README.md's design section does not name: {', '.join(missing)}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_is_longer_than_the_limit(name: str) -> None:
    lines = len(MODULES[name].read_text().splitlines())
    assert lines <= MAX_MODULE_LINES, f"{name} has {lines} lines"


def long_functions(path: Path) -> Iterator[str]:
    """Functions whose statements, docstring aside, run over the limit with no reason given."""
    source = path.read_text().splitlines()
    for node in ast.walk(ast.parse("\n".join(source))):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:] or body
        length = body[-1].end_lineno - body[0].lineno + 1  # type: ignore[operator]
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        reason = source[first - 2].strip().startswith(LONG_REASON)
        if length > MAX_FUNCTION_LINES and not reason:
            yield f"{node.name} ({length} lines)"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_function_is_longer_than_the_limit_without_a_reason(name: str) -> None:
    assert not list(long_functions(MODULES[name]))


def parameter_errors(path: Path) -> Iterator[ast.Call]:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "ParameterError":
            yield node


def constant_text(node: ast.expr) -> str:
    """The literal parts of a string or f-string expression."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(constant_text(part) for part in node.values)
    return ""


@pytest.mark.parametrize("name", [name for name in MODULES if not name.startswith("losscli.cli")])
def test_the_core_names_parameters_never_flags(name: str) -> None:
    for call in parameter_errors(MODULES[name]):
        field = call.args[0]
        if isinstance(field, ast.Constant):  # a field computed (f"{axis}_range") is checked below
            assert re.fullmatch(r"[a-z][a-z0-9_]*", field.value), f"{name}: field {field.value!r}"
        assert not constant_text(field).startswith("-"), f"{name}: a field is a flag"
        message = "".join(constant_text(arg) for arg in call.args[1:])
        assert "--" not in message, f"{name}: a message names a flag: {message!r}"


def test_tests_use_public_names_only() -> None:
    """No test reaches into a losscli module's private names."""
    found = []
    for path in sorted((ROOT / "tests").glob("*.py")):
        tree = ast.parse(path.read_text())
        ours = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("losscli"):
                for alias in node.names:
                    ours.add(alias.asname or alias.name)
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        found.append(f"{path.name}: imports {node.module}.{alias.name}")
            elif isinstance(node, ast.Import):
                ours.update(a.asname or a.name for a in node.names if a.name.startswith("losscli"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and isinstance(node.value, ast.Name)
                and node.value.id in ours
            ):
                found.append(f"{path.name} line {node.lineno}: {node.value.id}.{node.attr}")
    assert not found, "\n".join(found)


def test_every_list_of_names_is_read_from_its_registry() -> None:
    assert tuple(engine.METHODS) == defaults.METHOD_NAMES
    assert ("text", *WRITERS) == FORMATS
    assert tuple(STOP_NOTES) == defaults.STOP_REASONS
    engine_doc = (ROOT / "docs" / "engine.md").read_text()
    for method in engine.METHODS.values():
        assert f"`{method.name}`" in engine_doc and method.summary in engine_doc, method.name


def test_the_built_wheel_holds_every_module_and_draws_the_lesson(tmp_path: Path) -> None:
    """The package as pip installs it, not the source tree the other tests import."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(PACKAGE, source / "losscli", ignore=shutil.ignore_patterns("__pycache__"))
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path)]
    subprocess.run([*build, str(source)], check=True, capture_output=True, timeout=300)
    [wheel] = tmp_path.glob("losscli-*.whl")
    installed = tmp_path / "installed"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(installed)
        listed = {name for name in archive.namelist() if name.endswith(".py")}
    assert listed == {str(path.relative_to(ROOT)) for path in MODULES.values()}
    [entry_points] = installed.glob("losscli-*.dist-info/entry_points.txt")
    [target] = re.findall(r"^losscli = (\S+)$", entry_points.read_text(), re.MULTILINE)
    module, function = target.split(":")
    script = f"import sys; from {module} import {function}; sys.argv[0] = 'losscli'; {function}()"
    result = subprocess.run(
        [sys.executable, "-c", script, "surface", "--color", "never", "--width", "100"],
        capture_output=True,
        text=True,
        cwd=tmp_path,  # not the checkout: only the wheel's files are on the path
        env={"PYTHONPATH": str(installed), "PATH": "/usr/bin:/bin", "COLUMNS": "100"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    expected = CliRunner().invoke(cli, ["surface", "--color", "never", "--width", "100"])
    assert result.stdout == expected.output
    where = [sys.executable, "-c", "import losscli; print(losscli.__file__)"]
    location = subprocess.run(
        where, capture_output=True, text=True, cwd=tmp_path, env={"PYTHONPATH": str(installed)}
    )
    assert location.stdout.startswith(str(installed))
