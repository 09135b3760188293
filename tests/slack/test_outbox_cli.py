"""`saleshome outbox list | retry` and the publishing part of `saleshome status`; `retry` refuses, and
re-queues nothing, on a home whose Slack plan is not declared."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from saleshome.cli import app
from saleshome.config import load_settings
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.warehouse.control import ControlDB
from saleshome.warehouse.outbox import OutboxMessage, Outcome, claim, enqueue, idempotency_key, record
from tests.fixtures.cli import run_cli
from tests.fixtures.slack_workspace import make_ready, slack_environment


def _dead_letters(control: ControlDB, prefix: str, n: int) -> list[str]:
    from datetime import UTC, datetime

    keys = [idempotency_key(prefix, i) for i in range(n)]
    with control.transaction() as db:
        enqueue(db, [OutboxMessage(k, "notification", "C0ARCHIVED", "x") for k in keys])
    claim(control, limit=10, now=datetime.now(UTC))
    record(control, [Outcome(k, "dead", error="is_archived") for k in keys])
    return keys


def test_dead_letters_are_listed_and_requeued(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slack: SlackSandbox, control_url: str
) -> None:
    monkeypatch.setenv("SALESHOME_HOME", str(tmp_path))
    for name, value in slack_environment(slack).items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    make_ready(settings, slack)  # the primary owner declares Enterprise+: Sales Home is available
    control = ControlDB(settings.control_db)
    keys = _dead_letters(control, "cli", 3)
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


def _main(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    """The console script's entry point (errors printed as message and hint): (exit code, stdout + stderr)."""
    code, out, err = run_cli(monkeypatch, capsys, *args)
    return code, out + err


def test_retry_refuses_before_any_plan_is_declared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], control_url: str
) -> None:
    monkeypatch.setenv("SALESHOME_HOME", str(tmp_path))
    control = ControlDB(load_settings().control_db)
    keys = _dead_letters(control, "no-plan", 2)
    for args in (["outbox", "retry", keys[0]], ["outbox", "retry", "--all-dead"]):
        code, output = _main(capsys, monkeypatch, *args)
        assert code == 1, output
        assert "no Slack plan is set" in output and "set-plan" in output and "re-queued" not in output
    assert {r["state"] for r in control.rows("SELECT state FROM outbox")} == {"dead"}  # nothing changed
    code, output = _main(capsys, monkeypatch, "outbox", "list", "--state", "dead")  # still shows what it holds
    assert code == 0 and output.count("is_archived") == 2 and "no Slack plan is set" in output
