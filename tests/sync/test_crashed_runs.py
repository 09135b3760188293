"""A sync whose process dies is shown ``crashed``, with when it was last seen, and never ``syncing`` again.

Real sync processes against the Salesforce sandbox:

- one SIGKILLed inside its sync: ``saleshome status`` and ``saleshome org list`` show it crashed and
  last seen at its last heartbeat; the next run records it as crashed and the org is ``ok`` again;
- a live run held up by a slow Salesforce stays ``running`` well past its lease (its heartbeat beats);
- a frozen one (SIGSTOP: its process alive, its heartbeat silent) turns ``crashed`` once its lease has
  passed, and closes normally when it is let go on.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from saleshome.cli import app
from saleshome.config import Settings, load_settings
from saleshome.errors import RetriableError
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from saleshome.sync.engine import DEFAULT_OBJECTS, sync_org
from saleshome.sync.runs import lease
from saleshome.sync.status import read_status
from saleshome.warehouse.control import ControlDB, control_db

from .conftest import assert_same_as_org
from .test_crash_safety import Kill, SyncChild

FAST_BEAT = "0.5"  # SALESHOME_HEARTBEAT_SECONDS of the tests that watch a live run: a lease of 3 s


def _runs(settings: Settings) -> list[dict[str, Any]]:
    return ControlDB(settings.control_db).rows("SELECT * FROM sync_runs ORDER BY started_at")


def _cli(*args: str) -> str:
    shown = CliRunner().invoke(app, list(args))
    assert shown.exit_code == 0, shown.output
    return shown.output


def _flat(text: str) -> str:
    return " ".join(text.split())  # rich wraps long lines


def _acme_row(listing: str) -> str:
    return next(line for line in listing.splitlines() if " acme " in line)


def _with_plan(settings: Settings) -> None:
    """The workspace on a plan that includes Sales Home (what `org list` asks first)."""
    with ControlDB(settings.control_db).transaction() as db:
        db.execute("INSERT INTO workspaces (workspace, plan, sales_elevate, team_ids, updated_at, updated_by) "
                   "VALUES (?, 'enterprise_plus', false, ?, now(), 'U0OWNER')",
                   [settings.workspace, ["T0SALES"]])


@pytest.fixture()
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # rich tables at full width


def test_a_killed_sync_shows_crashed_and_last_seen_then_the_next_run_records_it(
    org: tuple[Settings, SalesforceSandbox], wide: None,
) -> None:
    settings, sandbox = org
    _with_plan(settings)
    with SyncChild(settings, "acme", chunk_rows=300, report=True) as child:
        child.kill_at(Kill(1, mid_object=True))  # right after a committed slice of its initial sync
    [left] = _runs(settings)
    assert left["status"] == "running" and left["pid"] == child.proc.pid  # as the dead process left its row

    [acme] = read_status(control_db(settings), settings)
    assert acme.status == "crashed"
    assert acme.last_run is not None and acme.last_run.status == "crashed"
    assert acme.last_run.last_seen == left["heartbeat_at"]
    status = _flat(_cli("status"))
    assert f"acme ({acme.org_id}, production): crashed" in status
    assert "its last run was last seen" in status and "initial crashed after" in status
    assert "running for" not in status and "syncing" not in status
    listing = _cli("org", "list")
    assert "crashed, last seen" in _acme_row(listing) and "syncing" not in listing

    done = sync_org(control_db(settings), settings, "acme")  # the next run: resumes from what the dead one committed
    assert done.status == "completed"
    assert_same_as_org(settings, "acme", sandbox, list(DEFAULT_OBJECTS))
    assert not [t for t in threading.enumerate() if t.name.startswith("heartbeat-")]  # stopped as the run closed
    runs = {r["run_id"]: r for r in _runs(settings)}
    crashed = runs[left["run_id"]]
    assert crashed["status"] == "crashed"  # recorded, not only shown
    assert crashed["ended_at"] == crashed["heartbeat_at"] == left["heartbeat_at"]
    assert "stopped" in crashed["error"]
    assert runs[done.run_id]["status"] == "completed"
    [acme] = read_status(control_db(settings), settings)
    assert acme.status == "ok" and [r.status for r in acme.recent_runs] == ["completed", "crashed"]
    status = _flat(_cli("status"))
    assert f"acme ({acme.org_id}, production): ok" in status and "initial crashed after" in status
    assert "running for" not in status and "syncing" not in status
    listing = _cli("org", "list")
    assert " ok " in _acme_row(listing) and "crashed" not in listing and "syncing" not in listing


def test_a_live_run_held_up_by_salesforce_stays_running_past_its_lease(
    org: tuple[Settings, SalesforceSandbox], monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings, sandbox = org
    monkeypatch.setenv("SALESHOME_HEARTBEAT_SECONDS", FAST_BEAT)
    held = lease(load_settings())
    slow = sandbox.faults.add("slow", path="/sobjects/User/describe/?$", delay=2.5 * held.total_seconds(),
                              times=1)  # the run's first call: its first object described
    seen: list[tuple[datetime, str, str]] = []  # (when, the run's state, the org's state), while the process lives
    beats: set[datetime] = set()
    with SyncChild(settings, "acme") as child:
        child.start()
        deadline = time.monotonic() + 300
        while child.proc.poll() is None:
            assert time.monotonic() < deadline, "the sync never ended"
            orgs = read_status(control_db(settings), settings)
            if orgs[0].last_run is not None:
                seen.append((datetime.now(UTC), orgs[0].last_run.status, orgs[0].status))
                beats.update(r["heartbeat_at"] for r in _runs(settings))
            time.sleep(0.5)  # as someone watching would: each read holds the control database a moment
        child.finish()
    [run] = _runs(settings)
    assert run["status"] == "completed" and slow.fired == 1
    assert seen and not [s for s in seen if "crashed" in s[1:]], seen
    running_late = [s for s in seen if s[1] == "running" and s[0] - run["started_at"] > 2 * held]
    assert running_late and all(s[2] == "syncing" for s in running_late), seen  # past two leases: alive, shown so
    assert len(beats) >= 4 and max(beats) - run["started_at"] > 2 * held  # refreshed as it worked


def _stop_outside_control_db(proc: subprocess.Popen[str], settings: Settings) -> None:
    """SIGSTOP ``proc`` at a moment it holds no lock on the control database (bounded attempts)."""
    for _ in range(50):
        os.kill(proc.pid, signal.SIGSTOP)
        try:
            with ControlDB(settings.control_db, timeout=0.5).transaction():
                return
        except RetriableError:  # frozen inside a heartbeat: let it finish that one
            os.kill(proc.pid, signal.SIGCONT)
            time.sleep(0.05)
    raise AssertionError("the sync always held the control database")


def test_a_frozen_run_turns_crashed_once_its_lease_passes_and_closes_when_let_go(
    org: tuple[Settings, SalesforceSandbox], monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings, _ = org
    monkeypatch.setenv("SALESHOME_HEARTBEAT_SECONDS", FAST_BEAT)
    held = lease(load_settings())
    with SyncChild(settings, "acme", chunk_rows=300, report=True) as child:
        proc = child.proc
        child.stand_at(1, mid_object=True)  # a window committed; it stands there until let go
        _stop_outside_control_db(proc, settings)
        try:
            stopped = time.monotonic()
            while True:  # alive (the pid exists) but silent: crashed once its last heartbeat is older than the lease
                [acme] = read_status(control_db(settings), settings)
                assert acme.last_run is not None
                if acme.last_run.status == "crashed":
                    break
                assert acme.status == "syncing"
                assert time.monotonic() - stopped < held.total_seconds() + 60, "never shown crashed"
                time.sleep(0.1)
            assert acme.status == "crashed" and acme.last_run.last_seen is not None
            assert datetime.now(UTC) - acme.last_run.last_seen > held
            assert proc.poll() is None  # its process was there all along
        finally:
            os.kill(proc.pid, signal.SIGCONT)
        child.go()
        child.finish()
    [run] = _runs(settings)
    assert run["status"] == "completed" and run["heartbeat_at"] > datetime.now(UTC) - timedelta(minutes=5)
    [acme] = read_status(control_db(settings), settings)
    assert acme.status == "ok"
