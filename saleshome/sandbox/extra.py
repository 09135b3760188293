"""The sandboxes' own dependencies: the optional extra ``saleshome[sandbox]``.

The pipeline never imports the sandboxes, so what only they use (a SOQL parser, a private CA, the
generated org's arrays and its Arrow tables, the JWT bearer flow's key pair) is not a dependency of ``saleshome`` but of
its ``sandbox`` extra (``pyproject.toml``), which ``make setup`` installs. Whatever starts a sandbox
(``saleshome sandbox ...``, ``saleshome demo``) calls :func:`require_sandbox_extra` first, so an
install without the extra gets one clear error naming it rather than an import traceback.

Invariant: ``MODULES`` are the top-level modules ``saleshome/sandbox/`` imports that nothing else of
the package imports, and their distributions are exactly the extra's (``tests/test_sandbox_extra.py``).
"""

from __future__ import annotations

import importlib

from saleshome.errors import ConfigurationError

EXTRA = "sandbox"
INSTALL_HINT = "pip install 'saleshome[sandbox]'"
MODULES = ("lark", "numpy", "pyarrow", "trustme")


def missing_modules() -> list[str]:
    """The modules of the extra that cannot be imported here."""
    missing = []
    for name in MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    return missing


def require_sandbox_extra() -> None:
    """Raise ``ConfigurationError`` (naming the extra to install) when a module of the extra is missing."""
    missing = missing_modules()
    if missing:
        raise ConfigurationError(
            f"the sandboxes need the optional dependencies of saleshome[{EXTRA}], and {', '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} not installed",
            hint=f"{INSTALL_HINT} (from a checkout: make setup)",
        )
