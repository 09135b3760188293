"""`saleshome outbox list | retry` and the publishing part of `saleshome status`."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from saleshome.cli import app
from saleshome.config import load_settings
from saleshome.slack.outbox import OutboxMessage, Outcome, claim, enqueue, idempotency_key, record
from saleshome.warehouse.control import ControlDB


def test_dead_letters_are_listed_and_requeued(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import UTC, datetime

    monkeypatch.setenv("SALESHOME_HOME", str(tmp_path))
    control = ControlDB(load_settings().control_db)
    keys = [idempotency_key("cli", i) for i in range(3)]
    with control.transaction() as db:
        enqueue(db, [OutboxMessage(k, "notification", "C0ARCHIVED", "x") for k in keys])
    claim(control, limit=10, now=datetime.now(UTC))
    record(control, [Outcome(k, "dead", error="is_archived") for k in keys])
    runner = CliRunner()
    listed = runner.invoke(app, ["outbox", "list", "--state", "dead"])
    assert listed.exit_code == 0 and listed.output.count("is_archived") == 3
    status = runner.invoke(app, ["status"])
    assert status.exit_code == 0
    one = runner.invoke(app, ["outbox", "retry", keys[0]])
    assert one.exit_code == 0 and "re-queued 1" in one.output
    rest = runner.invoke(app, ["outbox", "retry", "--all-dead"])
    assert rest.exit_code == 0 and "re-queued 2" in rest.output
    missing = runner.invoke(app, ["outbox", "retry", "nope"])
    assert missing.exit_code != 0
    assert {r["state"] for r in control.rows("SELECT state FROM outbox")} == {"pending"}
