"""Crash safety and concurrency, with real processes.

- 3+ initial syncs and 20+ incremental sync processes killed with SIGKILL at a random moment
  inside their sync (a run that ends before its kill is retried, not counted; activity applied
  between some of them); the resumed initial sync is an exact copy; then one run to completion: every synced table equals the org exactly and the change
  log holds no duplicate (rows, change log and cursor commit together).
- Two orgs syncing at once in two processes while the status is read: no lock error, no lost write.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time

import duckdb
import pytest

from saleshome.config import Settings
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from saleshome.sync.engine import DEFAULT_OBJECTS
from saleshome.warehouse.control import ControlDB

from .conftest import assert_same_as_org, change_log_duplicates, connect_org, control, settle

KILLS = 20  # incremental runs killed inside their sync
INITIAL_KILLS = 3  # and kills inside the initial sync, which must resume


def _sync_process(
    settings: Settings, alias: str, *, chunk_rows: int | None = None, report: bool = False
) -> subprocess.Popen[str]:
    """A sync in a child process; ``report``: it prints a line after each committed window."""
    code = (
        "import sys\n"
        "from saleshome.config import load_settings\n"
        "from saleshome.sync.engine import sync_org\n"
        f"settings = load_settings(bulk_threshold={settings.bulk_threshold}, "
        f"chunk_rows={chunk_rows or settings.chunk_rows}, reconcile_hours={settings.reconcile_hours})\n"
        "print('syncing', flush=True)\n"  # imports done: from here on a kill lands inside the sync
        "def report(obj, done, total):\n"
        "    if done:\n"
        "        print('window', obj, done, total, flush=True)\n"
        f"result = sync_org(settings, {alias!r}, progress=report if {report} else None)\n"
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


def _kill_within(proc: subprocess.Popen[str], delay: float, *, started: bool = False) -> bool:
    """SIGKILL ``proc`` ``delay`` seconds into its sync; False when it had already ended (no kill)."""
    if not started:
        _syncing(proc)
    try:
        proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=60)
        return True
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    return False


def _kill_after_windows(proc: subprocess.Popen[str], windows: int, extra: float) -> bool:
    """SIGKILL ``proc`` ``extra`` seconds after its ``windows``-th committed window; False when it ended first."""
    _syncing(proc)
    assert proc.stdout is not None
    seen = 0
    while seen < windows:
        line = proc.stdout.readline()
        if not line:  # it finished first
            break
        seen += line.startswith("window ")
    return _kill_within(proc, extra, started=True)


def _initial_done(settings: Settings, alias: str) -> bool:
    rows = ControlDB(settings.control_db, lock_timeout=settings.lock_timeout_seconds).rows(
        "SELECT last_sync_at FROM orgs WHERE alias = ?", [alias])
    return bool(rows and rows[0]["last_sync_at"] is not None)


def _committed_slices(settings: Settings, alias: str) -> int:
    """Objects whose initial sync has committed slices but is not done."""
    path = settings.org_db(alias)
    if not path.exists():
        return 0
    with duckdb.connect(str(path), read_only=True) as db:
        row = db.execute("SELECT count(*) FROM cursors WHERE cursor IS NOT NULL AND NOT initial_done").fetchone()
    return int(row[0]) if row else 0


def test_sigkill_at_random_moments_loses_and_duplicates_nothing(org: tuple[Settings, SalesforceSandbox]) -> None:
    settings, sandbox = org
    rng = random.Random(20261125)
    # The initial sync, killed a few times (small slices: each rerun resumes from what was committed).
    initial_kills = attempts = partial = 0
    while not _initial_done(settings, "acme"):
        attempts += 1
        assert attempts <= 2 * INITIAL_KILLS, "the initial sync never completed"
        proc = _sync_process(settings, "acme", chunk_rows=300, report=True)
        if initial_kills >= INITIAL_KILLS:  # enough: let it finish
            _syncing(proc)
            _, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, err
        elif _kill_after_windows(proc, rng.randint(1, 3), rng.uniform(0.0, 0.3)):
            initial_kills += 1
            partial += _committed_slices(settings, "acme") > 0
    assert initial_kills >= INITIAL_KILLS, f"only {initial_kills} kills landed inside the initial sync"
    assert partial >= 1, "no kill left committed slices of the initial sync to resume from"
    assert attempts == initial_kills + 1  # each kill landed inside the sync; the rerun after them completed
    assert_same_as_org(settings, "acme", sandbox, list(DEFAULT_OBJECTS))  # the resumed initial sync is exact
    assert change_log_duplicates(settings, "acme") == 0
    # One incremental run timed: every kill below lands at a random moment within such a run.
    control(sandbox, "simulate", {"changes": 150, "late_commits": True, "seed": 100})
    settle(sandbox, settings)
    timed = _sync_process(settings, "acme")
    _syncing(timed)
    began = time.monotonic()
    assert timed.wait(timeout=180) == 0, timed.stderr.read() if timed.stderr else ""
    one_run = time.monotonic() - began
    killed = ended = 0
    while killed < KILLS:
        assert ended <= KILLS, f"{ended} runs ended before their kill ({killed} killed; one run: {one_run:.2f}s)"
        if (killed + ended) % 3 == 0:
            control(sandbox, "simulate", {"changes": 150, "late_commits": True, "seed": killed * 100 + ended})
            settle(sandbox, settings)
        if killed % 7 == 3 and ended == 0:
            control(sandbox, "schema", {"object": "Account", "add": f"Tier{killed}__c:string:len=20"})
        if _kill_within(_sync_process(settings, "acme"), rng.uniform(0.02, 0.9 * one_run)):
            killed += 1
        else:
            ended += 1  # the run finished before its kill: retried, not counted
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
