"""The app's refresher (``saleshome.app.refresh``): the app process built as ``saleshome app serve`` builds it, the
save path's ``record_saved`` calls, the sandboxes behind.

- saved records reach the warehouse and their notification reaches Slack without the caller waiting; records saved
  while a refresh runs are read together in the next one (one run id);
- a sync holding the warehouse defers a refresh (retried later), never loses it; a full queue and a refresh that
  cannot run are logged and counted, with no secret in the log;
- the app's shutdown (its ASGI lifespan) refreshes what was saved just before it.
"""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from saleshome.app.refresh import RecordSaved, Refresher
from saleshome.app.server import SlackApp, asgi_app, build
from saleshome.config import Settings
from saleshome.errors import ValidationError
from saleshome.publish.publisher import METADATA_EVENT
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.settings.context import SettingsContext
from saleshome.settings.notifications.catalog import NotificationSpec
from saleshome.settings.notifications.store import create_notification
from saleshome.sync.engine import sync_org
from saleshome.warehouse.orgdb import OrgWarehouse
from tests.fixtures.app import MemberHome
from tests.fixtures.warehouse_lock import held_by_another_process
from tests.fixtures.workspace import ALIAS, People

pytestmark = pytest.mark.integration

STAGE_MOVES = NotificationSpec.model_validate(
    {"template": "stage_changed", "options": {"direction": "any"}, "recipients": {"channels": ["#sales"]}})


def synced_app(home: MemberHome, people: People) -> tuple[SlackApp, str]:
    """Org ``acme`` fully synced (initial, silent), a stage-change notification to #sales, the app built."""
    assert sync_org(home.control, home.settings, ALIAS).status == "completed"
    ctx = SettingsContext(home.control, home.settings)
    moves = create_notification(ctx, people.sales_admin, ALIAS, "stage-moves", STAGE_MOVES)
    return build(home.settings, base_url="http://127.0.0.1:9", control=home.control), moves.id


def saved(sf_sandbox: SalesforceSandbox, settings: Settings, n: int) -> list[tuple[str, str]]:
    """``n`` open deals moved to another open stage in Salesforce (as members' saves leave them): (Id, stage)."""
    with OrgWarehouse(settings.org_db(ALIAS)) as wh:
        stages = [r[0] for r in wh.conn.execute(
            'SELECT DISTINCT "StageName" FROM sf."Opportunity" WHERE NOT "IsClosed" ORDER BY 1').fetchall()]
        rows = wh.conn.execute('SELECT "Id", "StageName" FROM sf."Opportunity" WHERE NOT "IsClosed" AND NOT '
                               '"IsDeleted" ORDER BY "Id" DESC LIMIT ?', [n]).fetchall()
    assert sf_sandbox.store is not None
    moved = [(str(r[0]), next(s for s in stages if s != r[1])) for r in rows]
    for record, stage in moved:
        sf_sandbox.store.update("Opportunity", record, {"StageName": stage})
    return moved


def stage_log(settings: Settings, records: list[str]) -> dict[str, list[tuple[str, str]]]:
    """Each record's StageName change-log rows: (run id, new value)."""
    with OrgWarehouse(settings.org_db(ALIAS)) as wh:
        rows = wh.conn.execute("SELECT record_id, run_id, new_value FROM change_log WHERE field = 'StageName' AND "
                               "record_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY commit_seq", [records]).fetchall()
    out: dict[str, list[tuple[str, str]]] = {r: [] for r in records}
    for record, run, new in rows:
        out[record].append((run, new))
    return out


def posted(home: MemberHome, slack: SlackSandbox, record: str, notification_id: str) -> int:
    keys = {r["key"] for r in home.control.rows(
        "SELECT key FROM notification_events WHERE record_id = ? AND notification_id = ?", [record, notification_id])}
    return sum(1 for m in slack.messages(event_type=METADATA_EVENT)
               if (m.metadata or {}).get("event_payload", {}).get("key") in keys)


def test_saved_records_are_refreshed_in_the_background_coalesced_and_notified_once(
    member_home: MemberHome, people: People, sf_sandbox: SalesforceSandbox, slack_sandbox: SlackSandbox,
) -> None:
    app, moves = synced_app(member_home, people)
    refresher: RecordSaved = app.refresher  # what the save path is given
    (first, first_stage), (second, second_stage), (third, third_stage) = saved(sf_sandbox, member_home.settings, 3)
    with held_by_another_process(member_home.settings.org_db(ALIAS)):  # a sync holds the warehouse
        started = time.perf_counter()
        refresher.record_saved(ALIAS, "Opportunity", first)
        assert time.perf_counter() - started < 0.5  # queued, not run: the caller never waits
        deadline = time.monotonic() + 30
        while app.refresher.pending() and time.monotonic() < deadline:  # the worker took it (and waits for the lock)
            time.sleep(0.01)
        refresher.record_saved(ALIAS, "Opportunity", second)
        refresher.record_saved(ALIAS, "Opportunity", third)
        refresher.record_saved(ALIAS, "Opportunity", third)  # saved twice: read once
        assert app.refresher.pending() == 2
    assert app.refresher.wait_idle(120), app.refresher.stats()
    stats = app.refresher.stats()
    assert (stats.refreshed, stats.changed, stats.failed, stats.dropped) == (3, 3, 0, 0), stats
    log = stage_log(member_home.settings, [first, second, third])
    assert [new for _, new in log[first]] == [first_stage]
    assert [new for _, new in log[second]] == [second_stage] and [new for _, new in log[third]] == [third_stage]
    assert log[second][0][0] == log[third][0][0] != log[first][0][0]  # the two saved meanwhile: one read
    for record in (first, second, third):
        assert posted(member_home, slack_sandbox, record, moves) == 1
    app.refresher.close()


def test_a_refresh_deferred_by_a_held_warehouse_is_retried_and_failures_are_logged_and_counted(
    member_home: MemberHome, people: People, sf_sandbox: SalesforceSandbox, caplog: pytest.LogCaptureFixture,
) -> None:
    app, _ = synced_app(member_home, people)
    app.refresher.close()
    settings = member_home.settings
    (record, stage), = saved(sf_sandbox, settings, 1)
    refresher = Refresher(member_home.control, settings, lock_timeout=0.3, retries=5, retry_seconds=0.3,
                          max_pending=1)
    caplog.set_level(logging.INFO, logger="saleshome.app.refresh")
    with held_by_another_process(settings.org_db(ALIAS)):
        refresher.record_saved(ALIAS, "Opportunity", record)
        deadline = time.monotonic() + 30
        while refresher.stats().retried == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert refresher.stats().retried == 1
        refresher.record_saved(ALIAS, "Opportunity", "006000000000001AAA")  # the queue (1) is full: left to the sync
        assert refresher.stats().dropped == 1
    assert refresher.wait_idle(60)
    assert [new for _, new in stage_log(settings, [record])[record]] == [stage]
    assert refresher.stats().refreshed == 1 and refresher.stats().failed == 0

    refresher.record_saved("no-such-org", "Opportunity", record)  # cannot run: logged, counted, not raised
    assert refresher.wait_idle(60)
    stats = refresher.stats()
    assert stats.failed == 1 and stats.last_error is not None and "no-such-org" in stats.last_error
    text = caplog.text
    assert "deferred" in text and "stayed locked" in text and "not refreshed now" in text
    assert "failed" in text and "scheduled sync reads them" in text
    assert sf_sandbox.info is not None and sf_sandbox.info.client_secret not in text
    with pytest.raises(ValidationError, match="not a Salesforce id"):
        refresher.record_saved(ALIAS, "Opportunity", "x' OR Id != '")
    refresher.close()


def test_the_apps_shutdown_refreshes_what_was_just_saved(
    member_home: MemberHome, people: People, sf_sandbox: SalesforceSandbox,
) -> None:
    app, _ = synced_app(member_home, people)
    (record, stage), = saved(sf_sandbox, member_home.settings, 1)
    served = asgi_app(app)

    async def serve_then_stop() -> None:  # the ASGI lifespan: started, then shut down as uvicorn does on SIGTERM
        async with served.router.lifespan_context(served):
            app.refresher.record_saved(ALIAS, "Opportunity", record)

    asyncio.run(serve_then_stop())
    assert app.refresher.pending() == 0 and app.refresher.stats().refreshed == 1
    assert [new for _, new in stage_log(member_home.settings, [record])[record]] == [stage]
    app.refresher.record_saved(ALIAS, "Opportunity", record)  # after close: not queued, counted
    assert app.refresher.stats().dropped == 1
