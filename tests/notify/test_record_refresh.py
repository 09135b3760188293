"""After a save from Slack: ``saleshome.pipeline.refresh_records`` against the sandboxes.

A record changed in the Salesforce sandbox (as a member's save leaves it) is read into the warehouse by a
targeted read (its row, one change-log row per changed field, the object's cursor unmoved), its stage-change
notification reaches the Slack sandbox once; the scheduled pipeline that runs afterwards (``run_org``, then
the publisher) reads the same version and adds nothing — and still syncs what changed around it: the same
record changed again in Salesforce after the edit, a record changed after the edit, and a record changed
before it, longer ago than the lookback (what a targeted read that moved the cursor would make it skip).
"""

from __future__ import annotations

import time
from datetime import datetime

import pytest

from saleshome.config import Settings
from saleshome.errors import ValidationError
from saleshome.pipeline import refresh_records, run_org
from saleshome.publish.publisher import METADATA_EVENT
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.settings.context import SettingsContext
from saleshome.settings.notifications.catalog import NotificationSpec
from saleshome.settings.notifications.store import create_notification
from saleshome.sync.engine import sync_org
from saleshome.sync.targeted import WarehouseBusy
from saleshome.warehouse.control import control_db
from saleshome.warehouse.orgdb import OrgWarehouse
from tests.fixtures.outbox import drain, publisher
from tests.fixtures.sandboxes import settle
from tests.fixtures.warehouse_lock import held_by_another_process
from tests.fixtures.workspace import ALIAS, People

from .conftest import initial_sync_and_map

pytestmark = pytest.mark.integration

STAGE_MOVES = NotificationSpec.model_validate(
    {"template": "stage_changed", "options": {"direction": "any"}, "recipients": {"channels": ["#sales"]}})


def open_deals(settings: Settings, n: int) -> list[tuple[str, str, str]]:
    """``n`` open opportunities (Id, stage, owner) and, for each, another open stage to move it to."""
    with OrgWarehouse(settings.org_db(ALIAS)) as wh:
        stages = [r[0] for r in wh.conn.execute(
            'SELECT DISTINCT "StageName" FROM sf."Opportunity" WHERE NOT "IsClosed" ORDER BY 1').fetchall()]
        rows = wh.conn.execute('SELECT "Id", "StageName", "OwnerId" FROM sf."Opportunity" WHERE NOT "IsClosed" '
                               'AND NOT "IsDeleted" ORDER BY "Id" LIMIT ?', [n]).fetchall()
    assert len(stages) >= 2 and len(rows) == n
    return [(str(r[0]), next(s for s in stages if s != r[1]), str(r[2])) for r in rows]


def log_rows(settings: Settings, record: str, field: str) -> list[tuple[str, str, str]]:
    """The change-log rows of ``record``'s ``field``: (run id, old value, new value)."""
    with OrgWarehouse(settings.org_db(ALIAS)) as wh:
        return [(str(r[0]), r[1], r[2]) for r in wh.conn.execute(
            "SELECT run_id, old_value, new_value FROM change_log WHERE record_id = ? AND field = ? "
            "ORDER BY commit_seq", [record, field]).fetchall()]


def logged_by(settings: Settings, record: str, run_id: str) -> list[str]:
    """What run ``run_id`` logged of ``record``: its fields (or operations), sorted."""
    with OrgWarehouse(settings.org_db(ALIAS)) as wh:
        return sorted(str(r[0]) for r in wh.conn.execute(
            "SELECT coalesce(field, operation) FROM change_log WHERE record_id = ? AND run_id = ?",
            [record, run_id]).fetchall())


def cursor(settings: Settings) -> datetime | None:
    with OrgWarehouse(settings.org_db(ALIAS)) as wh:
        return wh.cursor_state("Opportunity").cursor


def posted_about(ready: SettingsContext, slack: SlackSandbox, record: str, notification_id: str) -> int:
    """Messages the Slack sandbox holds for ``notification_id`` about ``record`` (by their metadata keys)."""
    keys = {r["key"] for r in ready.control.rows(
        "SELECT key FROM notification_events WHERE record_id = ? AND notification_id = ?", [record, notification_id])}
    return sum(1 for m in slack.messages(event_type=METADATA_EVENT)
               if (m.metadata or {}).get("event_payload", {}).get("key") in keys)


def test_a_saved_record_is_refreshed_and_notified_once_even_after_the_scheduled_sync(
    ready: SettingsContext, people: People, sf_sandbox: SalesforceSandbox, slack_sandbox: SlackSandbox,
) -> None:
    settings = ready.settings
    initial_sync_and_map(settings)
    moves = create_notification(ready, people.sales_admin, ALIAS, "stage-moves", STAGE_MOVES)
    assert sf_sandbox.store is not None
    (edited, stage, owner), (before, before_stage, _), (after, after_stage, _) = open_deals(settings, 3)

    # a change made before the edit, longer ago than the lookback, not synced yet
    sf_sandbox.store.update("Opportunity", before, {"StageName": before_stage})
    sf_sandbox.store.clock.advance(settings.lookback_seconds + 120)
    cursor_before = cursor(settings)

    # a member saves the deal's stage; the app asks for a refresh of that record
    sf_sandbox.store.update("Opportunity", edited, {"StageName": stage}, user_id=owner)
    started = time.perf_counter()
    summary = refresh_records(control_db(settings), settings, ALIAS, "Opportunity", [edited])
    latency = time.perf_counter() - started
    assert summary.read.changed == 1 and summary.read.stats.updated == 1 and not summary.read.missing
    assert summary.notifications is not None and summary.notifications.messages == 1, summary.lines()
    assert summary.published is not None and summary.published.sent >= 1, summary.lines()
    print(f"change → notification in Slack: {latency:.2f}s")  # the informal latency (run with -s)
    assert posted_about(ready, slack_sandbox, edited, moves.id) == 1
    assert cursor(settings) == cursor_before  # the cursor did not move
    logged = log_rows(settings, edited, "StageName")
    assert [(run.split("-")[0], new) for run, _, new in logged] == [("refresh", stage)]
    with OrgWarehouse(settings.org_db(ALIAS)) as wh:
        row = wh.conn.execute('SELECT "StageName", "_sh_run_id" FROM sf."Opportunity" WHERE "Id" = ?',
                              [edited]).fetchone()
    assert row == (stage, summary.read.run_id)
    assert log_rows(settings, before, "StageName") == []  # only the record asked for was read

    # after the edit: the same record changed again in Salesforce (its next step), another deal moved
    sf_sandbox.store.update("Opportunity", edited, {"NextStep": "Call back after the edit"})
    sf_sandbox.store.update("Opportunity", after, {"StageName": after_stage})
    settle(sf_sandbox, settings)

    # the scheduled pipeline: sync, evaluation, then the publisher
    scheduled = run_org(control_db(settings), settings, ALIAS)
    assert scheduled.sync.status == "completed", scheduled.sync
    drain(publisher(slack_sandbox, control_db(settings)))
    assert log_rows(settings, edited, "StageName") == logged  # the same version: nothing logged again
    assert posted_about(ready, slack_sandbox, edited, moves.id) == 1  # … and nothing sent again
    assert [new for _, _, new in log_rows(settings, edited, "NextStep")] == ["Call back after the edit"]
    assert logged_by(settings, edited, scheduled.sync.run_id) == ["NextStep"]  # that change only
    assert [new for _, _, new in log_rows(settings, before, "StageName")] == [before_stage]
    assert [new for _, _, new in log_rows(settings, after, "StageName")] == [after_stage]
    assert posted_about(ready, slack_sandbox, before, moves.id) == 1
    assert posted_about(ready, slack_sandbox, after, moves.id) == 1

    # a second refresh of the same, unchanged record: nothing logged, nothing new to evaluate or send
    again = refresh_records(control_db(settings), settings, ALIAS, "Opportunity", [edited])
    assert again.read.changed == 0 and again.read.stats.unchanged == 1 and again.published is None
    assert again.notifications is not None and again.notifications.changes == 0 and again.notifications.messages == 0


def test_a_refresh_skips_an_unsynced_org_refuses_bad_ids_and_waits_for_a_sync_holding_the_warehouse_bounded(
    ready: SettingsContext, sf_sandbox: SalesforceSandbox,
) -> None:
    settings = ready.settings
    never = refresh_records(control_db(settings), settings, ALIAS, "Opportunity", ["006000000000001AAA"])
    assert never.read.skipped and "scheduled sync" in never.read.skipped and not settings.org_db(ALIAS).exists()
    initial_sync_and_map(settings)
    (edited, stage, _), = open_deals(settings, 1)
    with pytest.raises(ValidationError, match="not a Salesforce id"):
        refresh_records(control_db(settings), settings, ALIAS, "Opportunity", ["006' OR Name != '"])

    assert sf_sandbox.store is not None
    sf_sandbox.store.update("Opportunity", edited, {"StageName": stage})
    with held_by_another_process(settings.org_db(ALIAS)):  # as a sync holds it
        started = time.monotonic()
        with pytest.raises(WarehouseBusy, match="stayed locked") as caught:
            refresh_records(control_db(settings), settings, ALIAS, "Opportunity", [edited], lock_timeout=0.5)
        assert time.monotonic() - started < 10
        assert caught.value.hint and "scheduled sync" in caught.value.hint
    assert log_rows(settings, edited, "StageName") == []  # nothing half-done: the next read logs it once
    done = refresh_records(control_db(settings), settings, ALIAS, "Opportunity", [edited])
    assert done.read.changed == 1 and [n for _, _, n in log_rows(settings, edited, "StageName")] == [stage]


def test_a_scheduled_sync_reading_the_refreshed_version_through_bulk_logs_nothing_of_it(
    ready: SettingsContext, sf_sandbox: SalesforceSandbox,
) -> None:
    """The targeted read stages REST pages (JSON), a large scheduled window Bulk CSV: the same version of the
    record must compare equal, field by field, whichever way it came."""
    settings = ready.settings
    initial_sync_and_map(settings)
    (edited, stage, owner), = open_deals(settings, 1)
    assert sf_sandbox.store is not None
    sf_sandbox.store.update("Opportunity", edited, {"StageName": stage, "Amount": 12345.67, "NextStep": "Ünïcode, \"quoted\""},
                            user_id=owner)
    done = refresh_records(control_db(settings), settings, ALIAS, "Opportunity", [edited], publish=False)
    assert done.read.changed == 1
    settle(sf_sandbox, settings)
    bulk = settings.model_copy(update={"bulk_threshold": 1})
    scheduled = sync_org(control_db(bulk), bulk, ALIAS, objects=["Opportunity"])
    assert scheduled.status == "completed" and scheduled.objects[0].path == "bulk", scheduled
    assert logged_by(settings, edited, scheduled.run_id) == []
    assert [new for _, _, new in log_rows(settings, edited, "StageName")] == [stage]
