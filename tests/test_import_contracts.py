"""Import contracts (ARCHITECTURE.md §1, §4): read from the source with ``ast``, nothing imported.

- The sandboxes share no code with the production package: ``saleshome/sandbox/`` imports nothing of
  ``saleshome`` outside itself but the error tree (a bug present in both would be invisible to every
  test), and only the entrances that start them (the CLI's ``sandbox`` commands, the demo) import them.
- No cycle between the modules of ``saleshome`` (imports made inside functions count too: they are
  dependencies all the same), nor between its packages.
- Layers one way (:data:`LAYERS`): entrances → the pipeline → what admins edit → the stores → the API
  clients → utilities; a module imports its own layer or the layers below it, never one above.  Every
  package and top module of ``saleshome`` has its layer in the table (a new one must be placed).
- No Prefect import under ``saleshome/``: flows, tasks and deployments wrap the core from outside.
- The Slack app (``saleshome/app/``) is an entrance beside the CLI: nothing imports it but the CLI (and itself).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "saleshome"
SANDBOX = "saleshome.sandbox"
STARTS_SANDBOXES = {"saleshome.cli.sandbox", "saleshome.cli.demo", "saleshome.cli.demo_app", "saleshome.cli.demo_edit"}
SLACK_APP = "saleshome.app"
STARTS_THE_APP = "saleshome.cli"  # its commands (`saleshome app serve`, the demo) start the Slack app
SHARED = {"saleshome", "saleshome.errors"}  # the error tree: how the CLI reports (no client code)
PROJECT = {"saleshome", "flows", "tasks", "deployments", "bench", "tests"}  # the repository's own top-level names
# The layers, top to bottom (ARCHITECTURE.md §1).  An entry is a package of ``saleshome`` (its modules
# with it), a top module, or one of the repository's other top-level folders.
LAYERS: tuple[tuple[str, set[str]], ...] = (
    ("beside: benchmarks and tests", {"bench", "tests"}),
    ("entrances", {"flows", "tasks", "deployments", "saleshome",  # the package's own API (open_warehouse)
                   "saleshome.cli"}),
    ("the Slack app (an entrance the CLI starts)", {"saleshome.app"}),
    ("beside: the sandboxes (only entrances start them)", {"saleshome.sandbox"}),
    ("pipeline", {"saleshome.pipeline", "saleshome.operations", "saleshome.sync", "saleshome.notify",
                  "saleshome.celebrate", "saleshome.publish"}),
    ("what admins edit", {"saleshome.settings"}),
    ("stores", {"saleshome.warehouse"}),
    ("API clients", {"saleshome.salesforce", "saleshome.slack"}),
    ("utilities", {"saleshome.errors", "saleshome.config", "saleshome.i18n", "saleshome.textfiles",
                   "saleshome.private", "saleshome.listing"}),
)


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """The ``saleshome`` modules ``path`` imports (``from x import y`` counts ``x.y`` when that is a module)."""
    return {m for m in _imported_names(path) if m == "saleshome" or m.startswith("saleshome.")}


def _imported_names(path: Path) -> set[str]:
    """Every name ``path`` imports, relative imports made absolute (``from x import y``: ``x`` and ``x.y``)."""
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
    return found


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


def _unit(name: str) -> str:
    """Where a module sits in :data:`LAYERS`: its package of ``saleshome`` (or top module), else its top folder."""
    parts = name.split(".")
    return ".".join(parts[:2]) if parts[0] == "saleshome" else parts[0]


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The cycles a depth-first walk of ``graph`` finds (none when there is none at all)."""
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return cycles


def test_the_sandboxes_share_no_code_with_the_production_package() -> None:
    graph = _graph()
    leaks = {m: sorted(i for i in imports if not i.startswith(SANDBOX) and i not in SHARED)
             for m, imports in graph.items() if m.startswith(SANDBOX)}
    leaks = {m: i for m, i in leaks.items() if i}
    assert not leaks, leaks
    users = {m for m, imports in graph.items() if not m.startswith(SANDBOX) and any(i.startswith(SANDBOX)
                                                                                 for i in imports)}
    assert users <= STARTS_SANDBOXES, f"the pipeline imports a sandbox: {sorted(users - STARTS_SANDBOXES)}"


def test_only_the_cli_imports_the_slack_app() -> None:
    graph = _graph()
    for path in sorted(PACKAGE.rglob("*.py")):  # the repository's other folders (flows, tasks, ...) too
        graph[_module(path)] |= {n for n in _imported_names(path) if n.split(".")[0] in PROJECT - {"saleshome"}}
    users = sorted(m for m, imports in graph.items()
                   if not m.startswith(SLACK_APP) and not m.startswith(STARTS_THE_APP)
                   and any(i == SLACK_APP or i.startswith(SLACK_APP + ".") for i in imports))
    assert not users, f"only the CLI starts the Slack app, yet these import it: {users}"
    outside = sorted(str(p.relative_to(PACKAGE.parent)) for folder in ("flows", "tasks", "deployments")
                     for p in (PACKAGE.parent / folder).rglob("*.py")
                     if any(n == SLACK_APP or n.startswith(SLACK_APP + ".") for n in _imported_names(p)))
    assert not outside, f"Prefect's entrances import the Slack app (it is Prefect-free, beside them): {outside}"


def test_the_slack_app_opens_no_org_warehouse() -> None:
    """The app's own modules read and write the control store only: none imports an org warehouse (or DuckDB).  The
    one time the process opens a warehouse is the refresh after a save, through the pipeline
    (``saleshome.pipeline.refresh_records``): one short merge, waiting (bounded) for a sync that holds the file."""
    warehouse = ("saleshome.warehouse.orgdb", "saleshome.warehouse.connections", "saleshome.warehouse.catalog",
                 "saleshome.warehouse.frames", "saleshome.warehouse.holders", "saleshome.warehouse.migrations")
    found = sorted(f"{_module(p)} imports {n}" for p in sorted((PACKAGE / "app").rglob("*.py"))
                   for n in _imported_names(p) if n.startswith(warehouse) or n.split(".")[0] == "duckdb")
    assert not found, found


def test_no_import_cycle_between_modules() -> None:
    cycles = _cycles(_graph())
    assert not cycles, "\n".join(" → ".join(c) for c in cycles[:10])


def test_no_import_cycle_between_packages() -> None:
    packages: dict[str, set[str]] = {}
    for module, imports in _graph().items():
        packages.setdefault(_unit(module), set()).update(_unit(i) for i in imports if _unit(i) != _unit(module))
    cycles = _cycles(packages)
    assert not cycles, "\n".join(" → ".join(c) for c in cycles[:10])


def test_layers_run_one_way() -> None:
    rank = {unit: len(LAYERS) - i for i, (_, units) in enumerate(LAYERS) for unit in units}
    layer = {unit: name for name, units in LAYERS for unit in units}
    graph = _graph()
    for path in sorted(PACKAGE.rglob("*.py")):  # the repository's other folders (flows, tasks, ...) too
        graph[_module(path)] |= {n for n in _imported_names(path) if n.split(".")[0] in PROJECT - {"saleshome"}}
    units = {_unit(m) for m in graph} | {_unit(i) for imports in graph.values() for i in imports}
    unplaced = sorted(units - rank.keys())
    assert not unplaced, f"place these in LAYERS (tests/test_import_contracts.py): {unplaced}"
    upward = sorted(f"{m} ({layer[_unit(m)]}) imports {i} ({layer[_unit(i)]})"
                    for m, imports in graph.items() for i in imports if rank[_unit(i)] > rank[_unit(m)])
    assert not upward, "a lower layer imports a higher one:\n" + "\n".join(upward)


def test_no_prefect_import_in_the_core() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                if any(n.split(".")[0] == "prefect" for n in names) and not getattr(node, "level", 0):
                    found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert not found, f"Prefect imported under saleshome/ (flows/ and tasks/ wrap the core): {found}"
