"""Crash safety and concurrency, with real processes.

- 20+ sync processes killed with SIGKILL at a random moment (activity applied between some of
  them), then one run to completion: every synced table equals the org exactly and the change
  log holds no duplicate (rows, change log and cursor commit together).
- Two orgs syncing at once in two processes while the status is read: no lock error, no lost write.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time

import pytest

from saleshome.config import Settings
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from saleshome.sync.engine import DEFAULT_OBJECTS
from saleshome.warehouse.control import ControlDB

from .conftest import assert_same_as_org, change_log_duplicates, connect_org, control, settle

KILLS = 20


def _sync_process(settings: Settings, alias: str) -> subprocess.Popen[str]:
    code = (
        "import sys\n"
        "from saleshome.config import load_settings\n"
        "from saleshome.sync.engine import sync_org\n"
        f"settings = load_settings(bulk_threshold={settings.bulk_threshold}, chunk_rows={settings.chunk_rows}, "
        f"reconcile_hours={settings.reconcile_hours})\n"
        "print('syncing', flush=True)\n"  # imports done: from here on a kill lands inside the sync
        f"result = sync_org(settings, {alias!r})\n"
        "print(result.status)\n"
        "sys.exit(0 if result.status == 'completed' else 3)\n"
    )
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ))


def _syncing(proc: subprocess.Popen[str]) -> None:
    """Wait until the child has imported everything and begun its sync."""
    assert proc.stdout is not None
    line = proc.stdout.readline()  # bounded: the child prints it after its imports, or exits (EOF)
    assert line.strip() == "syncing", proc.stderr.read() if proc.stderr else line


def test_sigkill_at_random_moments_loses_and_duplicates_nothing(org: tuple[Settings, SalesforceSandbox]) -> None:
    settings, sandbox = org
    rng = random.Random(20261125)
    probe = _sync_process(settings, "acme")  # the initial sync, then one run timed: kills land within a run
    assert probe.wait(timeout=180) == 0, probe.stderr.read() if probe.stderr else ""
    control(sandbox, "simulate", {"changes": 150, "late_commits": True, "seed": 100})
    settle(sandbox, settings)
    timed = _sync_process(settings, "acme")
    _syncing(timed)
    began = time.monotonic()
    assert timed.wait(timeout=180) == 0, timed.stderr.read() if timed.stderr else ""
    one_run = time.monotonic() - began
    killed = 0
    for i in range(KILLS):
        if i % 3 == 0:
            control(sandbox, "simulate", {"changes": 150, "late_commits": True, "seed": i})
            settle(sandbox, settings)
        if i % 7 == 3:
            control(sandbox, "schema", {"object": "Account", "add": f"Tier{i}__c:string:len=20"})
        proc = _sync_process(settings, "acme")
        _syncing(proc)
        time.sleep(rng.uniform(0.05, max(one_run, 0.5)))
        if proc.poll() is None:
            proc.kill()
            killed += 1
        proc.wait(timeout=60)
    assert killed >= KILLS // 2, f"only {killed} of {KILLS} runs were killed mid-way"
    control(sandbox, "simulate", {"changes": 100, "late_commits": True, "seed": 999})
    settle(sandbox, settings)
    final = _sync_process(settings, "acme")
    _, err = final.communicate(timeout=300)
    assert final.returncode == 0, err
    assert_same_as_org(settings, "acme", sandbox, list(DEFAULT_OBJECTS))
    assert change_log_duplicates(settings, "acme") == 0


def test_two_orgs_sync_in_parallel_while_status_is_read(
    home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with SalesforceSandbox(seed=21, opportunities=1200) as one, SalesforceSandbox(seed=22, opportunities=1200) as two:
        connect_org(home, one, "north", monkeypatch)
        connect_org(home, two, "south", monkeypatch)
        procs = [_sync_process(home, "north"), _sync_process(home, "south")]
        reads = 0
        control_db = ControlDB(home.control_db, lock_timeout=home.lock_timeout_seconds)
        while any(p.poll() is None for p in procs):
            rows = control_db.rows("SELECT alias, object, rows, cursor FROM object_state")
            reads += 1
            assert all(r["alias"] in ("north", "south") for r in rows)
            time.sleep(0.05)
        for p in procs:
            _, err = p.communicate(timeout=60)
            assert p.returncode == 0, err
        assert reads > 3
        assert_same_as_org(home, "north", one, list(DEFAULT_OBJECTS))
        assert_same_as_org(home, "south", two, list(DEFAULT_OBJECTS))
        states = control_db.rows("SELECT alias, count(*) AS n FROM object_state GROUP BY alias ORDER BY alias")
        assert [(s["alias"], s["n"]) for s in states] == [("north", len(DEFAULT_OBJECTS)), ("south", len(DEFAULT_OBJECTS))]
