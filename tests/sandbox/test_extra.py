"""The sandboxes' own dependencies are the optional extra ``saleshome[sandbox]``.

- What only ``saleshome/sandbox/`` imports (read from the source with ``ast``) is exactly the extra of
  ``pyproject.toml``, and none of it is a dependency of the package itself.
- Without the extra, ``saleshome sandbox salesforce|slack`` and ``saleshome demo`` stop with one clear
  error naming the extra to install, not a traceback: each runs the console script in a subprocess in which
  one module of the extra cannot be imported (``sys.modules[name] = None``, what Python does for a module
  that is not there).
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from saleshome.sandbox.extra import MODULES

ROOT = Path(__file__).resolve().parents[2]
SANDBOX = ROOT / "saleshome" / "sandbox"
PRODUCTION = [ROOT / "saleshome", ROOT / "flows", ROOT / "tasks", ROOT / "deployments"]
FIRST_PARTY = {"saleshome", "flows", "tasks", "deployments", "bench"}
INSTALL = "pip install 'saleshome[sandbox]'"
# The console script, as installed (whichever module defines it), with ``name`` made unimportable first.
WITHOUT = ("import sys; sys.modules[{name!r}] = None; sys.argv[0] = 'saleshome'; "
           "from importlib.metadata import entry_points; "
           "(script,) = entry_points(group='console_scripts', name='saleshome'); script.load()()")


def third_party_imports(files: list[Path]) -> set[str]:
    """The top-level third-party modules ``files`` import (inside functions too)."""
    found: set[str] = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                found.add(node.module.split(".")[0])
    return found - FIRST_PARTY - set(sys.stdlib_module_names)


def requirement_names(requirements: list[str]) -> set[str]:
    return {re.split(r"[\[<>=!~;\s]", r, maxsplit=1)[0].lower().replace("_", "-") for r in requirements}


def test_the_extra_holds_exactly_what_only_the_sandboxes_import() -> None:
    files = [p for folder in PRODUCTION for p in sorted(folder.rglob("*.py"))]
    sandbox = third_party_imports([p for p in files if p.is_relative_to(SANDBOX)])
    elsewhere = third_party_imports([p for p in files if not p.is_relative_to(SANDBOX)])
    assert sandbox - elsewhere == set(MODULES)

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extra = requirement_names(project["optional-dependencies"]["sandbox"])
    distributions = packages_distributions()
    assert {d.lower() for m in MODULES for d in distributions[m]} == extra
    assert not extra & requirement_names(project["dependencies"]), "a module of the extra is a core dependency"


@pytest.mark.parametrize(("command", "missing"), [
    (["sandbox", "salesforce"], "lark"),  # the SOQL parser
    (["sandbox", "slack"], "numpy"),  # the generated organisation
    (["demo"], "trustme"),  # the sandboxes' private CA
])
def test_a_sandbox_command_without_the_extra_names_the_extra_to_install(
    command: list[str], missing: str, tmp_path: Path,
) -> None:
    ran = subprocess.run([sys.executable, "-c", WITHOUT.format(name=missing), *command], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert ran.returncode == 1, ran.stderr
    assert "Traceback" not in ran.stderr, ran.stderr
    assert INSTALL in ran.stderr and missing in ran.stderr, ran.stderr
    assert ran.stdout == ""  # nothing started: no sandbox credentials printed
    assert list(tmp_path.iterdir()) == []  # the demo created (and removed) nothing
