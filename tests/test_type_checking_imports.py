"""A name imported only for the type checker (under ``if TYPE_CHECKING:``) is never used at run time.

Neither ruff nor mypy sees such a use: the name is defined for both, and with ``from __future__
import annotations`` every annotation is a string.  At run time it is a ``NameError`` on the line
that uses it (the demo once failed so).  Read with ``ast``: a use is a load of the name outside an
annotation; a module that also imports the name at run time (in any scope) is left alone.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("saleshome", "flows", "tasks", "deployments", "bench")


def _is_type_checking(test: ast.expr) -> bool:
    return isinstance(test, ast.Name | ast.Attribute) and ast.unparse(test).endswith("TYPE_CHECKING")


def _imported(nodes: list[ast.stmt]) -> set[str]:
    return {(a.asname or a.name).split(".")[0] for node in nodes for child in ast.walk(node)
            if isinstance(child, ast.Import | ast.ImportFrom) for a in child.names}


def _annotations(tree: ast.Module) -> set[int]:
    """The ids of every node inside an annotation (arguments, returns, annotated assignments)."""
    roots: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.arg) and node.annotation is not None:
            roots.append(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns is not None:
            roots.append(node.returns)
        elif isinstance(node, ast.AnnAssign):
            roots.append(node.annotation)
    return {id(child) for root in roots for child in ast.walk(root)}


def runtime_uses_of_type_only_names(source: str) -> list[tuple[str, int]]:
    """``(name, line)`` of each run-time use of a name only the type checker imports."""
    tree = ast.parse(source)
    guarded = [n for n in ast.walk(tree) if isinstance(n, ast.If) and _is_type_checking(n.test)]
    type_only = _imported([s for block in guarded for s in block.body])
    guarded_ids = {id(child) for block in guarded for s in block.body for child in ast.walk(s)}
    runtime = {(a.asname or a.name).split(".")[0] for node in ast.walk(tree)
               if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in guarded_ids for a in node.names}
    suspects = type_only - runtime
    in_annotation = _annotations(tree)
    return sorted((node.id, node.lineno) for node in ast.walk(tree)
                  if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in suspects
                  and id(node) not in in_annotation)


def test_the_checker_finds_a_type_only_name_used_at_run_time() -> None:
    source = (
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from saleshome.warehouse.control import ControlDB, control_db\n"
        "def stats(settings: Settings) -> ControlDB:\n"
        "    control: ControlDB = control_db(settings)\n"
        "    return control\n"
        "def local(settings):\n"
        "    from saleshome.config import load_settings\n"
        "    return load_settings()\n"
    )
    assert runtime_uses_of_type_only_names(source) == [("control_db", 6)]
    fixed = source.replace("def stats(", "from saleshome.warehouse.control import control_db\ndef stats(")
    assert runtime_uses_of_type_only_names(fixed) == []


def test_no_module_uses_a_type_only_name_at_run_time() -> None:
    found = {str(path.relative_to(ROOT)): uses for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
             if (uses := runtime_uses_of_type_only_names(path.read_text()))}
    assert found == {}
