"""Shared test fixtures live in one layer, ``tests/fixtures/`` (registered by ``tests/conftest.py``): a folder's
``conftest.py`` serves only its own tests, so no module imports (or re-registers) another folder's conftest.
Read from the source with ``ast``; nothing imported."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def conftest_imports(path: Path) -> set[Path]:
    """The ``conftest.py`` files ``path`` imports (absolute ``tests.x.conftest`` or relative ``.conftest``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names: list[tuple[str, int]] = []
        if isinstance(node, ast.Import):
            names = [(a.name, 0) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [(node.module or "", node.level)] + [(f"{node.module}.{a.name}" if node.module else a.name,
                                                          node.level) for a in node.names]
        for name, level in names:
            parts = name.split(".")
            if parts[-1] != "conftest":
                continue
            base = path.parents[level - 1] if level else TESTS.parent
            found.add(base.joinpath(*parts[:-1]) / "conftest.py")
    return found


def test_no_module_imports_another_folders_conftest() -> None:
    crossing = {str(p.relative_to(TESTS)): sorted(str(c.relative_to(TESTS)) for c in conftest_imports(p)
                                                  if c.parent != p.parent)
                for p in sorted(TESTS.rglob("*.py"))}
    crossing = {p: c for p, c in crossing.items() if c}
    assert not crossing, f"move what they share to tests/fixtures/: {crossing}"
