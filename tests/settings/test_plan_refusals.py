"""A plan without Sales Home: every Sales Home command refuses with the message naming the plans that give
access, and changes nothing; `status` and `outbox list` still show, with the plan problem first.

Run in-process through `saleshome.cli.main` against the sandboxes, after a downgrade from Enterprise+ to Pro
(an org connected, the example settings applied, a dead letter waiting).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from saleshome.notify.evaluate import SKIPPED_NO_SALES_HOME, evaluate, evaluate_scheduled
from saleshome.publish.setup import publisher_from_settings
from saleshome.settings.apply import import_yaml
from saleshome.settings.context import SettingsContext
from saleshome.settings.workspace import Plan, SalesHomeUnavailableError, set_plan
from saleshome.warehouse.control import control_db
from saleshome.warehouse.outbox import OutboxMessage, Outcome, claim, enqueue, idempotency_key, record
from tests.fixtures.cli import run_cli
from tests.fixtures.workspace import ALIAS, People

from .conftest import control_tables, dump_tables
from .test_import_export import example_for

pytestmark = pytest.mark.integration

REFUSAL = "Sales Home is not available on the Pro plan"


run = run_cli


def commands(people: People, settings_file: Path, dead_key: str) -> list[tuple[str, ...]]:
    return [
        ("sync",), ("sync", "--org", ALIAS), ("sync", "--org", ALIAS, "--no-notifications"),
        ("outbox", "publish"), ("outbox", "retry", dead_key), ("outbox", "retry", "--all-dead"),
        ("digest",), ("digest", "--now", "2026-01-05T09:00:00+00:00"), ("housekeeping",),
        ("org", "list"), ("org", "remove", ALIAS, "--yes"),
        ("org", "add", "beta", "--login-url", "https://login.salesforce.com", "--auth", "client-credentials"),
        ("roles", "list"), ("roles", "grant", people.member, "--as", people.primary_owner),
        ("roles", "revoke", people.sales_admin, "--as", people.primary_owner),
        ("lists", "list"), ("lists", "show", ALIAS, "Opportunity"), ("lists", "views", ALIAS, "Opportunity"),
        ("lists", "add", ALIAS, "PermissionSet"), ("lists", "remove", ALIAS, "Lead"),
        ("lists", "add-default", ALIAS, "Account", "AllAccounts"), ("lists", "remove-default", ALIAS, "Lead", "TodaysLeads"),
        ("layouts", "show", ALIAS, "Opportunity"), ("layouts", "set", ALIAS, "Opportunity", "--fields", "Name,Amount"),
        ("layouts", "reset", ALIAS, "Opportunity"),
        ("restrictions", "show"), ("restrictions", "set", "--external"),
        ("celebrations", "show"), ("celebrations", "set", "--off"), ("celebrations", "won-stage", ALIAS, "any"),
        ("settings", "show"), ("settings", "export"), ("settings", "audit"),
        ("settings", "import", str(settings_file)), ("settings", "import", str(settings_file), "--dry-run"),
        ("notifications", "list"), ("notifications", "show", "big-deals"), ("notifications", "stats"),
        ("notifications", "create", "new-one", "--org", ALIAS, "--template", "deal_closed"),
        ("notifications", "edit", "big-deals", "--title", "Big"), ("notifications", "delete", "big-deals", "--yes"),
        ("notifications", "enable", "big-deals"), ("notifications", "disable", "big-deals"),
    ]


def test_every_sales_home_command_refuses_on_a_plan_without_it_and_changes_nothing(
    ready: SettingsContext, people: People, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = ready.settings
    import_yaml(ready, people.sales_admin, example_for())
    dead_key = idempotency_key("plan", 1)
    with ready.control.transaction() as db:
        enqueue(db, [OutboxMessage(dead_key, "notification", "C0ARCHIVED", "x")])
    claim(ready.control, limit=10, now=datetime.now(UTC))
    record(ready.control, [Outcome(dead_key, "dead", error="is_archived")])
    set_plan(ready.control, ready.directory, ready.workspace, actor=people.primary_owner, plan=Plan.PRO,
             teams=[ready.directory.teams()[0].id])
    settings_file = tmp_path / "sales-home.yaml"
    settings_file.write_text(example_for().replace("enabled: true", "enabled: false", 1), encoding="utf-8")
    monkeypatch.setenv("SALESHOME_ACTOR", people.sales_admin)
    tables = control_tables(ready.control)
    assert {"outbox", "sync_runs", "object_state", "settings_audit", "notifications"} <= set(tables)
    before = dump_tables(ready.control, tables)
    home_files = sorted(p.name for p in settings.home.iterdir())

    for args in commands(people, settings_file, dead_key):
        code, out, err = run(monkeypatch, capsys, *args)
        assert code == 1, (args, out, err)
        assert REFUSAL in err, (args, out, err)
        assert "Sales Elevate" in err and "Business+" in err and "Enterprise+" in err, (args, err)
    assert dump_tables(ready.control, tables) == before, "a refused command changes nothing"
    assert not settings.org_db(ALIAS).exists(), "a refused sync opens no org database"
    assert sorted(p.name for p in settings.home.iterdir()) == home_files

    # a data engineer still sees the state: status and the outbox list show, the plan problem first
    code, out, err = run(monkeypatch, capsys, "status")
    assert code == 0 and out.index("Sales Home is not running") < out.index(ALIAS) and REFUSAL in out
    assert "is_archived" in out and "sync, notifications, celebrations and publishing refuse" in out
    code, out, err = run(monkeypatch, capsys, "outbox", "list")
    assert code == 0 and dead_key in out and REFUSAL in err

    # the core steps refuse or skip too: nothing is published, nothing is evaluated
    with pytest.raises(SalesHomeUnavailableError, match=REFUSAL):
        publisher_from_settings(control_db(settings), settings)
    assert evaluate(control_db(settings), settings, ALIAS, "r-any").skipped == SKIPPED_NO_SALES_HOME
    assert evaluate_scheduled(control_db(settings), settings, ALIAS).skipped == SKIPPED_NO_SALES_HOME
    assert dump_tables(ready.control, tables) == before
    assert not settings.org_db(ALIAS).exists()


def test_before_any_plan_status_says_who_declares_it_and_sync_refuses(
    home: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(monkeypatch, capsys, "status")
    assert code == 0 and "no Slack plan is set" in out and "set-plan" in out
    code, _, err = run(monkeypatch, capsys, "sync")
    assert code == 1 and "no Slack plan is set" in err
