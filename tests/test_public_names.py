"""Public names (read with ``ast``, nothing imported): each package lists them in ``__all__``, and no
module uses another module's private names.

A name starting with ``_`` is its module's own business: another module that needs it gets a
public name (or the code moves).  Checked over the package, the flows, tasks, deployments,
benchmarks and tests: ``from x import _name`` (absolute or relative) and ``x._name`` where ``x`` is
a module of the project imported by name.  A package's private modules (``bench/_sync_common.py``)
stay usable by their package: the rule is about names, not module files.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("saleshome", "flows", "tasks", "deployments", "bench", "tests")
PROJECT = set(FOLDERS)


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_uses(tree: ast.AST) -> list[str]:
    """``from x import _y`` and ``module._y`` uses in ``tree`` (with their line numbers)."""
    found: list[str] = []
    modules: set[str] = set()  # names bound to project modules by ``import x.y [as z]``
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").split(".")[0] in PROJECT):
            found += [f"{node.lineno}: from {'.' * node.level}{node.module or ''} import {a.name}"
                      for a in node.names if _private(a.name)]
        elif isinstance(node, ast.Import):
            modules |= {(a.asname or a.name).split(".")[0] for a in node.names if a.name.split(".")[0] in PROJECT}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            base = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id in modules:
                found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


def test_no_module_uses_another_modules_private_names() -> None:
    offences = {str(p.relative_to(ROOT)): uses for folder in FOLDERS for p in sorted((ROOT / folder).rglob("*.py"))
                if (uses := private_uses(ast.parse(p.read_text(), str(p))))}
    assert offences == {}


def test_the_check_sees_each_kind_of_use() -> None:
    """The rule catches what it is for (so an empty answer above means something)."""
    source = ("from saleshome.notify.compile import _values, Plan\nfrom .cli import _actor\n"
              "import saleshome.sync.engine\nsaleshome.sync.engine._private(1)\nfrom os import _exit\n"
              "from saleshome.sync import engine\nengine.__name__\n")
    assert private_uses(ast.parse(source)) == [
        "1: from saleshome.notify.compile import _values", "2: from .cli import _actor",
        "4: saleshome.sync.engine._private",
    ]


def _bound(tree: ast.Module) -> set[str]:
    """Names an ``__init__`` binds (imports, also under ``TYPE_CHECKING``; defs, classes, assignments)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def _declared(tree: ast.Module) -> list[str] | None:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return [ast.literal_eval(e) for e in node.value.elts] if isinstance(node.value, ast.List) else None
    return None


def test_every_package_declares_its_public_names_and_each_exists() -> None:
    """Each package of ``saleshome`` lists its public names in ``__all__`` (its API re-exported from its
    modules, or, for a package of modules imported one by one, the modules): each is a module of the
    package or a name its ``__init__`` binds."""
    problems: dict[str, str] = {}
    for init in sorted((ROOT / "saleshome").rglob("__init__.py")):
        package = init.parent
        tree = ast.parse(init.read_text(), str(init))
        declared = _declared(tree)
        where = str(init.relative_to(ROOT))
        if declared is None:
            problems[where] = "no __all__ list"
            continue
        modules = {p.stem for p in package.glob("*.py")} | {p.name for p in package.iterdir()
                                                              if (p / "__init__.py").is_file()}
        missing = sorted(set(declared) - modules - _bound(tree))
        if missing:
            problems[where] = f"__all__ names nothing called {', '.join(missing)}"
        private = [n for n in declared if _private(n)]
        if private:
            problems[where] = f"__all__ lists private names {', '.join(private)}"
    assert problems == {}
