"""Import contracts (ARCHITECTURE.md §1, §4): read from the source with ``ast``, nothing imported.

- The sandboxes share no code with the production package: ``saleshome/sandbox/`` imports nothing of
  ``saleshome`` outside itself but the error tree (a bug present in both would be invisible to every
  test), and only the entrances that start them (the CLI's ``sandbox`` commands, the demo) import them.
- No cycle between the modules of ``saleshome`` (imports made inside functions count too: they are
  dependencies all the same).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "saleshome"
SANDBOX = "saleshome.sandbox"
STARTS_SANDBOXES = {"saleshome.cli.sandbox", "saleshome.cli.demo"}
SHARED = {"saleshome", "saleshome.errors"}  # the error tree: how the CLI reports (no client code)


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """The ``saleshome`` modules ``path`` imports (``from x import y`` counts ``x.y`` when that is a module)."""
    module = _module(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}
    return {m for m in found if m == "saleshome" or m.startswith("saleshome.")}


def _graph() -> dict[str, set[str]]:
    """Module → the ``saleshome`` modules it imports; a module's import of one of its own packages (its
    ``__init__``, which re-exports it) is left out: that is how a package presents itself, not a cycle."""
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {_module(p) for p in paths}
    graph = {}
    for p in paths:
        module = _module(p)
        graph[module] = {m for m in _imports(p) if m in modules and m != module and not module.startswith(m + ".")}
    return graph


def test_the_sandboxes_share_no_code_with_the_production_package() -> None:
    graph = _graph()
    leaks = {m: sorted(i for i in imports if not i.startswith(SANDBOX) and i not in SHARED)
             for m, imports in graph.items() if m.startswith(SANDBOX)}
    leaks = {m: i for m, i in leaks.items() if i}
    assert not leaks, leaks
    users = {m for m, imports in graph.items() if not m.startswith(SANDBOX) and any(i.startswith(SANDBOX)
                                                                                 for i in imports)}
    assert users <= STARTS_SANDBOXES, f"the pipeline imports a sandbox: {sorted(users - STARTS_SANDBOXES)}"


def test_no_import_cycle_between_modules() -> None:
    graph = _graph()
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for nxt in sorted(graph.get(module, ())):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert not cycles, "\n".join(" → ".join(c) for c in cycles[:10])
