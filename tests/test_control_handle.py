"""One control-store handle per entry point, passed down (ARCHITECTURE.md §5; read with ``ast``, nothing imported).

Only the entrances open the control store: the CLI's commands (``saleshome/cli/``), the Slack app
(``saleshome/app/``), the package's own API (``saleshome/__init__.py``), the flows, tasks and
deployments.  Each builds its :class:`~saleshome.warehouse.control.ControlDB` once (with
``control_db(settings)``; no entrance function builds two) and hands it to the pipeline, the settings
and the stores, which take a ``control`` parameter and never build one themselves.
``saleshome/warehouse/control.py`` defines the handle and its constructor and is the one other module
allowed to call them.  (A Prefect task is an entry point of its own: it may run in another process.)
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "saleshome"
CONSTRUCTORS = {"ControlDB", "control_db"}  # the class, and the helper every entrance opens it with
ENTRANCES = ("cli", "app", "__init__.py")  # under saleshome/: who may open the store
DEFINES = Path("warehouse") / "control.py"


def constructions(tree: ast.AST) -> list[str]:
    """The calls of ``ControlDB(...)`` / ``control_db(...)`` in ``tree`` (plain or through a module), with their lines."""
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if name in CONSTRUCTORS:
                found.append(f"{node.lineno}: {ast.unparse(func)}(…)")
    return found


def opened_twice(tree: ast.AST) -> list[str]:
    """The functions of ``tree`` that build the handle more than once in their own body (nested functions apart)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            body = ast.Module(body=[n for n in node.body if not isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)],
                              type_ignores=[])
            if len(constructions(body)) > 1:
                found.append(f"{node.lineno}: {node.name}")
    return found


def _entrances() -> list[Path]:
    inside = [p for p in sorted(PACKAGE.rglob("*.py")) if p.relative_to(PACKAGE).parts[0] in ENTRANCES]
    return inside + [p for folder in ("flows", "tasks", "deployments") for p in sorted((ROOT / folder).rglob("*.py"))]


def _below_the_entrances() -> list[Path]:
    return [p for p in sorted(PACKAGE.rglob("*.py"))
            if p.relative_to(PACKAGE).parts[0] not in ENTRANCES and p.relative_to(PACKAGE) != DEFINES]


def test_only_the_entrances_build_the_control_handle() -> None:
    offences = {str(p.relative_to(PACKAGE.parent)): found for p in _below_the_entrances()
                if (found := constructions(ast.parse(p.read_text(), str(p))))}
    assert offences == {}, "the pipeline, settings and stores take a `control: ControlDB` parameter instead"


def test_each_entry_point_opens_the_store_once() -> None:
    """A command, flow or task opens the store once and hands the same handle to every step it runs."""
    offences = {str(p.relative_to(ROOT)): found for p in _entrances()
                if (found := opened_twice(ast.parse(p.read_text(), str(p))))}
    assert offences == {}


def test_the_layers_below_the_entrances_are_checked() -> None:
    """The walk covers the pipeline, the settings and the stores (so an empty answer above means something)."""
    checked = {p.relative_to(PACKAGE).parts[0] for p in _below_the_entrances()}
    assert {"pipeline.py", "sync", "notify", "celebrate", "publish", "operations", "settings", "warehouse"} <= checked
    assert not checked & set(ENTRANCES)


def test_the_check_sees_each_kind_of_construction() -> None:
    source = ("from saleshome.warehouse import control\nfrom saleshome.warehouse.control import ControlDB, control_db\n"
              "a = control_db(settings)\nb = ControlDB(url, timeout=1)\nc = control.control_db(settings)\n"
              "def f(control: ControlDB) -> ControlDB:\n    return control\nsettings.control_db\n")
    assert constructions(ast.parse(source)) == [
        "3: control_db(…)", "4: ControlDB(…)", "5: control.control_db(…)",
    ]
    twice = ("def command(settings):\n    a = control_db(settings)\n    return f(control_db(settings))\n"
             "def once(settings):\n    control = control_db(settings)\n    def step():\n        return control_db(settings)\n"
             "    return control\n")
    assert opened_twice(ast.parse(twice)) == ["1: command"]
