"""The layers of issue 20: ``calc`` prices through ``rates.interface`` and loads no ORM and nothing of the service."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def modules(package: str) -> list[str]:
    """Every module of ``package`` by its dotted name (a package by its own name)."""
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


# One process imports each module alone: a module imported first by another cannot hide what it loads itself.
PROBE = """
import json, sys, importlib
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in ("sqlalchemy", "service"))))
"""


@pytest.mark.parametrize("module", modules("calc"))
def test_calc_loads_no_orm_and_no_service(module: str) -> None:
    done = subprocess.run([sys.executable, "-c", PROBE, module], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [], f"{module} loads what pricing does not need"


def imports(module: str, known: set[str]) -> set[str]:
    """The modules of ``known`` that ``module`` imports, anywhere in it: an import inside a function is an edge
    as much as one at the top (hiding a circle in a function does not remove it). Imports for type checking
    only are left out: they run in no process."""
    path = ROOT / Path(*module.split("."))
    # as Python finds it: a package with an __init__, else the module (rates/notices/ holds data beside notices.py)
    path = path / "__init__.py" if (path / "__init__.py").exists() else path.with_suffix(".py")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    checking = {
        id(node)
        for guard in ast.walk(tree)
        if isinstance(guard, ast.If) and "TYPE_CHECKING" in ast.unparse(guard.test)
        for inner in guard.body
        for node in ast.walk(inner)
    }
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    own = module.split(".")
    enclosing = {".".join(own[:i]) for i in range(1, len(own))}  # imported before the module itself
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in checking:
            continue
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                above = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*above, base] if base else above)
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        for name in names:
            parts = name.split(".")
            # importing a.b.c runs a and a.b first: each package on the way is imported too, but a package the
            # module is in was imported before it (running a.b's own ``__init__`` again is no circle)
            ways = {".".join(parts[:i]) for i in range(1, len(parts))} - enclosing
            found |= (ways | {name}) & known
    return found - {module}


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One circle of the graph, as the modules along it, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        state[node] = 2
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)) is not None:
            return found
    return None


def test_calc_and_rates_import_no_circle() -> None:
    known = set(modules("calc")) | set(modules("rates"))
    graph = {module: imports(module, known) for module in known}
    assert cycle(graph) is None, " -> ".join(cycle(graph) or [])


def test_calc_imports_nothing_of_the_service() -> None:
    known = {m for m in modules("service")}
    for module in modules("calc"):
        assert not imports(module, known | {"service"}), module


def test_the_graph_sees_a_circle() -> None:
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None
