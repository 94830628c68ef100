"""The package layout as a test: every import of fastwsgi's own modules points
down the layers, and no chain of imports closes a circle (uvloop's and
CPython's source-code tests are the model).

The rule table (RULES) is written once, here; README's "Package layout" and
the packages' docstrings say the same in words.  Every import counts: at the
top of a module, inside a function (a lazy import), or under TYPE_CHECKING
(for the direction; not for circles, since it never runs).  Cython sources
(.pyx/.pxd) are read for their ``import``/``cimport`` lines.
"""

from __future__ import annotations

import ast
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import ROOT

PACKAGE = ROOT / "fastwsgi"

# The layers, each with what it may import besides itself.  A unit is a
# package of fastwsgi (fastwsgi.config) or one of its top-level modules
# (fastwsgi.cli); "fastwsgi" is the package's own __init__ (fastwsgi.run).
BASE = {"config", "system", "logs", "errors", "loader", "_version"}
RULES: dict[str, set[str]] = {
    "__main__": {"cli"},
    "cli": {"supervisor", "control", "arbiter", "workers", "engine"} | BASE,
    "fastwsgi": {"workers", "engine"} | BASE,
    "control": {"supervisor", "arbiter", "workers", "engine"} | BASE,
    "supervisor": {"arbiter", "workers", "engine"} | BASE,
    "arbiter": {"workers", "engine"} | BASE,
    "workers": {"engine"} | BASE,
    "engine": BASE,
    # Below every role: the base units, and their own order.
    "logs": {"config", "errors", "_version"},
    "loader": {"errors"},
    "system": {"errors"},
    "config": {"errors", "_version"},
    "errors": set(),
    "_version": set(),
}
# fastwsgi._core (the compiled extension) and fastwsgi.includes are the engine's.
ALIASES = {"_core": "engine", "includes": "engine"}

_CYTHON_IMPORT = re.compile(
    r"^\s*(?:from\s+(?P<from>[\w.]+)\s+c?import\b|c?import\s+(?P<names>[\w., ]+))", re.MULTILINE)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def unit_of(module: str) -> str:
    """'fastwsgi.config.model' -> 'config'; 'fastwsgi' -> 'fastwsgi'."""
    parts = module.split(".")
    if len(parts) == 1:
        return "fastwsgi"
    return ALIASES.get(parts[1], parts[1])


def sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*") if p.suffix in (".py", ".pyx", ".pxd"))


def is_module(name: str) -> bool:
    """Whether fastwsgi's ``name`` is a module or package (not a name inside one)."""
    path = ROOT.joinpath(*name.split("."))
    return path.is_dir() or any(path.with_suffix(s).exists() for s in (".py", ".pyx", ".pxd"))


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[:len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """ids of the import nodes under ``if TYPE_CHECKING:``."""
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                ids.update(id(n) for n in ast.walk(child))
    return ids


def imports(path: Path) -> Iterator[tuple[str, int, bool]]:
    """(fastwsgi module imported, line, runs at import or call time) for one file."""
    module = module_name(path)
    text = path.read_text()
    if path.suffix != ".py":
        for match in _CYTHON_IMPORT.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            names = [match["from"]] if match["from"] else [
                n.split(" as ")[0].strip() for n in match["names"].split(",")]
            for name in names:
                if name.startswith("fastwsgi"):
                    yield name, line, True
        return
    tree = ast.parse(text, str(path))
    typing_only = _type_checking_nodes(tree)
    for node in ast.walk(tree):
        runs = id(node) not in typing_only
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("fastwsgi"):
                    yield alias.name, node.lineno, runs
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, path, node)
            if not target.startswith("fastwsgi"):
                continue
            # "from fastwsgi.config import validators" imports the module
            # fastwsgi.config.validators; "from fastwsgi.config import Config"
            # imports the package.
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                yield (sub if is_module(sub) else target), node.lineno, runs


def graph() -> dict[str, list[tuple[str, int, bool, Path]]]:
    edges: dict[str, list[tuple[str, int, bool, Path]]] = {}
    for path in sources():
        edges.setdefault(module_name(path), [])
        for target, line, runs in imports(path):
            edges[module_name(path)].append((target, line, runs, path))
    return edges


def test_every_unit_has_a_rule() -> None:
    units = {unit_of(name) for name in graph()}
    assert units <= set(RULES), f"add these to RULES (and README's layout): {units - set(RULES)}"


def test_imports_point_down() -> None:
    wrong = []
    for module, edges in graph().items():
        here = unit_of(module)
        for target, line, _, path in edges:
            there = unit_of(target)
            if there != here and there not in RULES.get(here, set()):
                wrong.append(f"{path.relative_to(ROOT)}:{line}: {here} imports {target}")
    assert not wrong, "imports against the layering (tests/unit/test_layout.py RULES):\n" + \
        "\n".join(wrong)


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One circle of imports, as a list of modules, else None (depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_closes_a_circle() -> None:
    # A package's __init__ importing its own modules is not a circle: Python
    # runs it first whichever submodule is imported, so the edges that count
    # are the modules' own (module -> module).
    edges = {module: {target for target, _, runs, _ in found if runs and target != module}
             for module, found in graph().items()}
    cycle = find_cycle(edges)
    assert cycle is None, "import circle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize(("edges", "expected"), [
    ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
    ({"a": {"a"}}, ["a", "a"]),
])
def test_the_circle_finder_finds_circles(edges: dict[str, set[str]],
                                         expected: list[str] | None) -> None:
    assert find_cycle(edges) == expected


def test_the_checker_sees_lazy_and_typing_only_imports() -> None:
    # The rule test above can only fail if imports() sees every kind of import.
    source = PACKAGE / "workers" / "base.py"
    found = {(target, runs) for target, _, runs in imports(source)}
    assert ("fastwsgi.loader", True) in found  # imported inside a function
    assert ("fastwsgi.workers.native", False) in found  # under TYPE_CHECKING
    assert unit_of("fastwsgi._core") == "engine"
    assert unit_of("fastwsgi") == "fastwsgi"


def test_no_module_over_700_lines() -> None:
    long = [f"{p.relative_to(ROOT)}: {n}" for p in sources()
            for n in [len(p.read_text().splitlines())] if n > 700]
    assert not long, "split these by concept: " + ", ".join(long)


# The top level the brief names (setup.py, pyproject.toml, fastwsgi/, csrc/,
# tests/, bench/) plus the user's and CI's files: a stray file committed by
# accident (a script's output written to a path named "--help") fails here.
TOP_LEVEL = {".ci", ".gitignore", "Makefile", "README.md", "bench", "csrc", "docs", "examples",
             "fastwsgi", "pyproject.toml", "scripts", "setup.py", "tests"}


def test_the_top_level_holds_only_the_projects_entries() -> None:
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files"], capture_output=True, text=True, check=False,
                            timeout=30)
    if listed.returncode != 0:
        pytest.skip(f"not a git checkout: {listed.stderr.strip()}")
    tracked = {path.split("/", 1)[0] for path in listed.stdout.splitlines()}
    assert tracked <= TOP_LEVEL, f"unexpected top-level entries: {sorted(tracked - TOP_LEVEL)}"
