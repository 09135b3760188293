"""A sync never imports pandas: DuckDB's Python client imports it the first time it binds a parameter, about half
a second a process, so the org warehouse writes its values into its statements (``saleshome.warehouse.literals``).
pandas is for the analysts' door (``saleshome.open_warehouse``, ``tests/sync/test_frames.py``).

Each sync runs in a fresh interpreter that reports, after the sync, whether pandas was imported: the initial sync
(Bulk and REST objects), then an incremental one after changes in the org (merges, change log, cursors, the Id
reconciliation, which this home runs at every sync)."""

from __future__ import annotations

import os
import subprocess
import sys

from saleshome.config import Settings
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from tests.fixtures.sandboxes import sandbox_control as control
from tests.fixtures.sandboxes import settle

CHILD = """
import sys
from saleshome.config import load_settings
from saleshome.sync.engine import sync_org
from saleshome.warehouse.control import control_db

settings = load_settings(bulk_threshold=int(sys.argv[2]), chunk_rows=int(sys.argv[3]),
                         reconcile_hours=float(sys.argv[4]))
result = sync_org(control_db(settings), settings, sys.argv[1])
print(result.status, result.kind, "pandas" in sys.modules)
"""


def sync_in_child(settings: Settings, alias: str) -> tuple[str, str, bool]:
    """A sync of ``alias`` in a fresh interpreter: its status, its kind, and whether pandas was imported."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, alias, str(settings.bulk_threshold), str(settings.chunk_rows),
         str(settings.reconcile_hours)],
        env=dict(os.environ), capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    status, kind, imported = done.stdout.split()[-3:]
    return status, kind, imported == "True"


def test_a_sync_does_not_import_pandas(org: tuple[Settings, SalesforceSandbox]) -> None:
    settings, sandbox = org
    assert sync_in_child(settings, "acme") == ("completed", "initial", False)
    report = control(sandbox, "simulate", {"changes": 120, "seed": 7})
    assert sum(report["counts"].values()) == 120
    settle(sandbox, settings)
    assert sync_in_child(settings, "acme") == ("completed", "incremental", False)
