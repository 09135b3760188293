"""`saleshome status`: one screen with the orgs, their objects and lag, last sync runs, API budget, the outbox
backlog and dead letters (the control database written directly: no sandbox, no Salesforce)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from saleshome.cli import app
from saleshome.cli.status import STATUS_DEAD_LETTERS
from saleshome.config import Settings, load_settings
from saleshome.sync.runs import this_host
from saleshome.sync.status import RECENT_RUNS, read_status
from saleshome.warehouse.control import ControlDB, control_db
from saleshome.warehouse.outbox import OutboxMessage, Outcome, claim, enqueue, idempotency_key, record


@pytest.fixture()
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, control_url: str) -> Settings:
    monkeypatch.setenv("SALESHOME_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "160")
    return load_settings()


def add_org(control: ControlDB, workspace: str, alias: str, now: datetime, status: str = "ok") -> None:
    with control.transaction() as db:
        db.execute(
            "INSERT INTO orgs (alias, workspace, org_id, org_name, instance_url, login_url, auth_method, credential_ref, "
            "api_version, is_sandbox, created_at, status, last_sync_at) "
            "VALUES (?, ?, ?, ?, 'https://x.my.salesforce.com', 'https://login.salesforce.com', 'client_credentials', "
            "?, '62.0', false, ?, ?, ?)",
            [alias, workspace, f"00D{alias.upper():0>12}", alias.title(), f"env:SALESHOME_SF_{alias.upper()}",
             now - timedelta(days=3), status, now - timedelta(minutes=4)],
        )


def add_run(control: ControlDB, now: datetime, alias: str, run_id: str, kind: str, status: str, started: timedelta,
            took: timedelta | None, api_calls: int | None = None, error: str | None = None) -> None:
    start = now - started
    beating = status == "running"  # a live run: its heartbeat is fresh and its process (this one) alive
    with control.transaction() as db:
        db.execute("INSERT INTO sync_runs (run_id, alias, kind, notify, started_at, ended_at, status, api_calls, error, "
                   "heartbeat_at, pid, host) VALUES (?, ?, ?, false, ?, ?, ?, ?, ?, ?, ?, ?)",
                   [run_id, alias, kind, start, None if took is None else start + took, status, api_calls, error,
                    now if beating else None, os.getpid() if beating else None, this_host() if beating else None])


def test_status_shows_each_orgs_last_runs_objects_budget_and_dead_letters_on_one_screen(settings: Settings) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    control = ControlDB(settings.control_db)
    add_org(control, settings.workspace, "acme", now)
    add_org(control, settings.workspace, "beta", now, status="paused_for_quota")
    add_org(control, "another-workspace", "gamma", now)  # not ours: never shown
    add_run(control, now, "acme", "r0", "initial", "completed", timedelta(days=2), timedelta(minutes=3, seconds=5), 420)
    add_run(control, now, "acme", "r1", "incremental", "failed", timedelta(minutes=30), timedelta(seconds=7), 3,
            error="login refused")
    add_run(control, now, "acme", "r2", "incremental", "completed", timedelta(minutes=20), timedelta(seconds=14), 35)
    add_run(control, now, "acme", "r3", "backfill", "running", timedelta(minutes=2), None)
    add_run(control, now, "beta", "b1", "incremental", "paused_for_quota", timedelta(minutes=10), timedelta(seconds=3), 2,
            error="under the 10% reserve")
    with control.transaction() as db:
        db.execute("INSERT INTO object_state VALUES ('acme', 'Opportunity', 5000, ?, 'r2', ?, 'bulk', NULL)",
                   [now - timedelta(minutes=21), now - timedelta(minutes=20)])
        db.execute("INSERT INTO object_state VALUES ('acme', 'Account', 800, ?, 'r2', ?, 'rest', NULL)",
                   [now - timedelta(minutes=21), now - timedelta(minutes=20)])
        db.execute("INSERT INTO api_budget VALUES ('acme', 5000, 100000, ?), ('beta', 95000, 100000, ?)", [now, now])
        keys = [idempotency_key("status", i) for i in range(STATUS_DEAD_LETTERS + 3)]
        enqueue(db, [OutboxMessage(k, "notification", "C0ARCHIVED", "x") for k in keys]
                + [OutboxMessage(idempotency_key("waiting"), "notification", "C0SALES", "y")])
        db.execute("INSERT INTO notifications VALUES ('n1', ?, 'acme', 'big-deals', 'new_record', 'Opportunity', 1, "
                   "true, '{}', 'U1', ?, 'U1', ?)", [settings.workspace, now, now])
        db.execute("INSERT INTO notification_evaluations VALUES ('n1', 'acme', 'r2', ?, 5, 0, 2, 1, 2)", [now])
    claim(control, limit=len(keys), now=now)
    record(control, [Outcome(k, "dead", error="is_archived") for k in keys])

    # the data: the last RECENT_RUNS runs per org, newest first
    orgs = {o.alias: o for o in read_status(control_db(settings), settings)}
    assert set(orgs) == {"acme", "beta"}
    assert [r.run_id for r in orgs["acme"].recent_runs] == ["r3", "r2", "r1"][:RECENT_RUNS]
    assert orgs["acme"].last_run is not None and orgs["acme"].last_run.run_id == "r3"
    assert [r.run_id for r in orgs["beta"].recent_runs] == ["b1"]

    shown = CliRunner().invoke(app, ["status"])
    assert shown.exit_code == 0, shown.output
    out = shown.output
    lines = out.splitlines()
    runs = next(line for line in lines if line.startswith("last runs:") and "backfill" in line)
    assert "backfill running for 2m" in runs
    assert "incremental completed in 14s, 35 calls" in runs and "incremental failed in 7s, 3 calls" in runs
    assert "initial" not in runs  # older than the last three
    assert any(line.startswith("last runs:") and "incremental paused for quota in 3s" in line for line in lines)
    assert "API budget left 95,000 of 100,000 (95.0%)" in out and "API budget left 5,000 of 100,000" in out
    opportunity = next(line for line in lines if "│ Opportunity " in line)
    assert "5,000" in opportunity and "21m" in opportunity and "Bulk" in opportunity  # rows, lag, path
    assert "Outbox: 8 dead, 1 pending" in out
    assert f"8 dead letters and blocked messages, newest {STATUS_DEAD_LETTERS} shown" in out
    assert out.count("is_archived") == STATUS_DEAD_LETTERS
    assert "gamma" not in out
    assert "Direct messages skipped in the last 7 days: big-deals (acme): 2 no Slack user" in out
    assert "big-deals (acme): 1 not a Sales member" in out
    assert len(lines) < 60, out  # one screen


def test_status_lists_unmatched_and_deactivated_users_apart(settings: Settings) -> None:
    now = datetime.now(UTC)
    control = ControlDB(settings.control_db)
    add_org(control, settings.workspace, "acme", now)
    rows = [
        ("005A", "ana@acme.test", "U0ANA", "matched"),
        ("005B", "bo@acme.test", None, "deactivated"),
        ("005C", "cy@acme.test", None, "unmatched"),
        ("005D", "di@acme.test", None, "unmatched"),
        ("005E", "ed@acme.test", None, "inactive"),
    ]
    with control.transaction() as db:
        for sf_id, email, slack_id, status in rows:
            db.execute("INSERT INTO user_map (alias, sf_user_id, email, slack_user_id, status, refreshed_at) "
                       "VALUES ('acme', ?, ?, ?, ?, ?)", [sf_id, email, slack_id, status, now])
        db.execute("UPDATE user_map SET locale = 'fr-FR' WHERE sf_user_id = '005A'")
    shown = CliRunner().invoke(app, ["status"])
    assert shown.exit_code == 0, shown.output
    out = " ".join(shown.output.split())  # rich wraps long lines
    assert ("4 Salesforce users have no Slack match (1 deactivated in Slack, 2 no Slack account with that email, "
            "1 inactive in Salesforce)") in out
    assert "bo@acme.test (deactivated in Slack)" in out
    assert "cy@acme.test (no Slack account with that email)" in out and "di@acme.test (no Slack account" in out
    assert "ed@acme.test (inactive in Salesforce)" in out
    assert "ana@acme.test" not in out
    assert "Languages: channels read en-US; members' Slack languages (their DMs): 1 fr-FR" in out


def test_runs_whose_process_died_show_crashed_with_when_they_were_last_seen(settings: Settings) -> None:
    """Rows as dead processes leave them: one beating until its process (on this host) vanished, one written
    before runs had heartbeats (stuck "running" since): both crashed, last seen at their last heartbeat (or
    start), and their orgs crashed rather than syncing; a live run beside them stays running."""
    now = datetime.now(UTC).replace(microsecond=0)
    control = ControlDB(settings.control_db)
    for alias in ("acme", "beta", "live"):
        add_org(control, settings.workspace, alias, now, status="syncing")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait(timeout=60)  # its pid is gone now
    with control.transaction() as db:
        db.execute("INSERT INTO sync_runs (run_id, alias, kind, notify, started_at, status, heartbeat_at, pid, host) "
                   "VALUES ('a1', 'acme', 'incremental', false, ?, 'running', ?, ?, ?)",
                   [now - timedelta(minutes=5), now - timedelta(seconds=20), gone.pid, this_host()])
        db.execute("INSERT INTO sync_runs (run_id, alias, kind, notify, started_at, status) "
                   "VALUES ('b1', 'beta', 'initial', false, ?, 'running')", [now - timedelta(hours=2)])
    add_run(control, now, "live", "l1", "full", "running", timedelta(minutes=3), None)

    orgs = {o.alias: o for o in read_status(control_db(settings), settings)}
    assert {alias: o.status for alias, o in orgs.items()} == {"acme": "crashed", "beta": "crashed", "live": "syncing"}
    acme, beta = orgs["acme"].last_run, orgs["beta"].last_run
    assert acme is not None and acme.status == "crashed" and acme.last_seen == now - timedelta(seconds=20)
    assert beta is not None and beta.status == "crashed" and beta.last_seen == now - timedelta(hours=2)
    out = " ".join(CliRunner().invoke(app, ["status"]).output.split())
    assert f"acme ({orgs['acme'].org_id}, production): crashed - its last run was last seen" in out
    assert "incremental crashed after 4m 40s, last seen" in out
    assert "initial crashed after 0s, last seen 2h" in out
    assert "full running for 3m" in out and "syncing" in out
