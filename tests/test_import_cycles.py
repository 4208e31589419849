"""No import circle among the project's modules (calc/, rates/, service/), read from the source with ``ast``.

Every import counts, those inside functions too (a function-level import only postpones a circle), except
those under ``if TYPE_CHECKING:``. ``from pkg import name`` imports the submodule ``pkg.name`` when there is
one, else ``pkg`` itself; importing a module also imports the ``__init__`` of each package above it, except
the packages above the importing module itself (Python has loaded those before it runs a line of it).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("calc", "rates", "service")


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement, at any depth, but none under ``if TYPE_CHECKING:``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        if isinstance(node, ast.If) and _type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def ancestors(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def graph() -> dict[str, dict[str, int]]:
    """module -> {imported project module: line of the first such import}."""
    known = modules()
    edges: dict[str, dict[str, int]] = {name: {} for name in known}
    for name, path in known.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        loaded_first = set(ancestors(name))
        for node in imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([base] if base else [])])
                for alias in node.names:
                    targets.append(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
            for target in targets:
                while target and target not in known:  # ``import a.b.c`` where c is a name: a.b
                    target = target.rpartition(".")[0]
                for imported in [*ancestors(target), target]:
                    if imported in known and imported != name and imported not in loaded_first:
                        edges[name].setdefault(imported, node.lineno)
    return edges


def circles(edges: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found)


def describe(component: list[str], edges: dict[str, dict[str, int]]) -> str:
    inside = set(component)
    lines = [" <-> ".join(component)]
    for name in component:
        for target, line in sorted(edges[name].items()):
            if target in inside:
                lines.append(f"    {name} -> {target} (line {line})")
    return "\n".join(lines)


def test_the_graph_is_read() -> None:
    edges = graph()
    assert "calc.quote" in edges["service.outlets.job"]
    assert "service.outlets.roster" in edges["service.outlets.views"]


def test_a_circle_is_found() -> None:
    edges = {"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}, "e": {}}
    assert circles(edges) == [["a", "b", "c"]]


def test_no_import_circle() -> None:
    edges = graph()
    found = circles(edges)
    assert not found, f"{len(found)} import circle(s):\n" + "\n".join(describe(c, edges) for c in found)
