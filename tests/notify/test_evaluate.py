"""Notifications end to end against the sandboxes: sync → evaluate → outbox → Slack (and digests).

Real HTTP all the way: simple-salesforce syncs the Salesforce sandbox, slack-sdk looks users up
and posts to the Slack sandbox, which validates Block Kit like Slack (an invalid message would be
dead-lettered with ``invalid_blocks``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bench.notify_reference import evaluate_rows
from saleshome.config import Settings
from saleshome.notify.compile import Plan
from saleshome.notify.digest import run_digests
from saleshome.notify.evaluate import evaluate, evaluate_scheduled
from saleshome.notify.stats import notification_stats, skipped_recipients, stats_artifact_rows
from saleshome.publish.publisher import METADATA_EVENT
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.settings.changes import set_won_stage
from saleshome.settings.context import SettingsContext
from saleshome.settings.members import eligible_users
from saleshome.settings.notifications.catalog import NotificationSpec
from saleshome.settings.notifications.store import create_notification, load_notifications, set_enabled
from saleshome.settings.restrictions import Restrictions
from saleshome.slack.records import EDIT_ACTION, parse_edit_value
from saleshome.sync.engine import sync_org
from saleshome.warehouse.control import ControlDB, control_db
from saleshome.warehouse.orgdb import OrgWarehouse
from tests.fixtures.outbox import drain, publisher
from tests.fixtures.sandboxes import sandbox_control, settle
from tests.fixtures.workspace import ALIAS, People

from .conftest import initial_sync_and_map

pytestmark = pytest.mark.integration


def _specs() -> dict[str, NotificationSpec]:
    return {
        "stage-moves": NotificationSpec.model_validate(
            {"template": "stage_changed", "options": {"direction": "any"}, "recipients": {"owner": True}}),
        "big-amounts": NotificationSpec.model_validate(
            {"template": "threshold_crossed", "options": {"field": "Amount", "value": 20000, "direction": "either"},
             "recipients": {"channels": ["#sales"]}, "title": "Deal size moved past 20k"}),
        "close-date-moved": NotificationSpec.model_validate(
            {"template": "date_moved", "options": {"direction": "any"},
             "recipients": {"owner": True, "manager": True}, "fields": ["Name", "Amount", "CloseDate"]}),
        "wins-digest": NotificationSpec.model_validate(
            {"template": "deal_closed", "options": {"outcome": "any"}, "recipients": {"owner": True},
             "delivery": {"mode": "digest", "frequency": "daily", "hour": 0}}),
        "new-deals": NotificationSpec.model_validate(
            {"template": "new_record", "object": "Opportunity", "recipients": {"channels": ["#sales"]},
             "conditions": [{"field": "Amount", "op": ">=", "value": 1000}], "cooldown_minutes": 60}),
    }


def _outbox(settings: Settings) -> list[dict[str, object]]:
    return ControlDB(settings.control_db).rows("SELECT o.key, o.kind, o.channel, o.text, o.blocks, o.state, e.notification_id, e.record_id "
                         "FROM outbox o LEFT JOIN notification_events e ON e.key = o.key ORDER BY o.seq")


def test_sync_evaluate_publish_and_digest(ready: SettingsContext, people: People, sf_sandbox: SalesforceSandbox,
                                          slack_sandbox: SlackSandbox) -> None:
    settings = ready.settings
    initial_run = initial_sync_and_map(settings)
    saved = {name: create_notification(ready, people.sales_admin, ALIAS, name, spec)
             for name, spec in _specs().items()}
    assert saved["big-amounts"].spec.recipients.channels == [slack_sandbox.channel_id("sales")]

    # The initial sync is silent: nothing comes out of its change log.
    silent = evaluate(control_db(settings), settings, ALIAS, initial_run)
    assert silent.silent and silent.matched == 0 and silent.messages == 0

    sandbox_control(sf_sandbox, "simulate", {"changes": 400, "seed": 5})
    settle(sf_sandbox, settings)
    run = sync_org(control_db(settings), settings, ALIAS)
    assert run.status == "completed"
    summary = evaluate(control_db(settings), settings, ALIAS, run.run_id)
    assert summary.matched > 0 and summary.messages > 0 and summary.digest_items > 0, summary
    assert not summary.warnings, summary.warnings

    # Same matches as the row-by-row reference over the same change log and records.
    plans = [Plan(n.id, n.version, n.spec, n.resolved) for n in load_notifications(ready.control, "default", ALIAS)]
    with OrgWarehouse(settings.org_db(ALIAS)) as wh:
        cur = wh.conn.execute("SELECT * FROM change_log WHERE run_id = ?", [run.run_id])
        names = [d[0] for d in cur.description or []]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        cur = wh.conn.execute('SELECT * FROM sf."Opportunity"')
        names = [d[0] for d in cur.description or []]
        opps = {r[0]: dict(zip(names, r, strict=True)) for r in cur.fetchall()}
        members = eligible_users(wh, settings.sales_home_permission_set)
    expected = evaluate_rows(plans, rows, {"Opportunity": opps}, after=0, upto=2**62, notifying_runs=(),
                             today=datetime.now(UTC).date())
    assert {r.id: r.matched for r in summary.results} == {
        p.id: sum(1 for k in expected if k[0] == p.id) for p in plans}

    # Several changes of one record in a run are one message; DMs only to Sales members.
    outbox = _outbox(settings)
    per_record = [(o["notification_id"], o["record_id"], o["channel"]) for o in outbox if o["kind"] == "notification"]
    assert len(per_record) == len(set(per_record))
    stage = [o for o in outbox if o["notification_id"] == saved["stage-moves"].id]
    assert stage and all(str(o["channel"]).startswith("U") for o in stage)
    owners = {opps[str(o["record_id"])]["OwnerId"] for o in stage}
    assert owners <= members
    blocks = json.loads(str(stage[0]["blocks"]))
    assert blocks[0]["type"] == "header" and "→" in json.dumps(blocks, ensure_ascii=False)
    assert sf_sandbox.info is not None and sf_sandbox.info.instance_url in json.dumps(blocks)
    # an Edit button whose value is the record reference only
    edit = [e for b in blocks for e in b.get("elements") or [] if e.get("action_id") == EDIT_ACTION]
    assert [parse_edit_value(e["value"]) for e in edit] == [(ALIAS, "Opportunity", str(stage[0]["record_id"]))]

    # Evaluating again adds nothing: those changes are behind the watermark.
    again = evaluate(control_db(settings), settings, ALIAS, run.run_id)
    assert again.messages == 0 and again.digest_items == 0

    # Every message passes the Slack sandbox's Block Kit validation and is delivered once.
    pub = publisher(slack_sandbox, ready.control, restrictions=Restrictions())
    drain(pub)
    states = {o["key"]: o["state"] for o in _outbox(settings)}
    assert set(states.values()) == {"sent"}, {k: v for k, v in states.items() if v != "sent"}
    posted = [m for m in slack_sandbox.messages(event_type=METADATA_EVENT) if not m.deleted]
    assert len(posted) >= len(states)
    # each notification's metadata holds its record reference (for the Edit button), nothing of the record
    records = {str(o["key"]): str(o["record_id"]) for o in _outbox(settings) if o["kind"] == "notification"}
    for message in posted:
        payload = (message.metadata or {}).get("event_payload") or {}
        if payload.get("key") in records:
            assert payload == {"key": payload["key"], "alias": ALIAS, "object": "Opportunity",
                               "record_id": records[payload["key"]]}

    # Digests: sent once the recipient's local hour has come, once per period, every item once.
    first = run_digests(control_db(settings), settings, datetime.now(UTC))
    assert first.sent > 0 and first.items == summary.digest_items
    assert run_digests(control_db(settings), settings, datetime.now(UTC)).sent == 0
    drain(pub)
    digests = [o for o in _outbox(settings) if o["kind"] == "digest"]
    assert len(digests) == first.sent and {o["state"] for o in digests} == {"sent"}
    # each group under the notification's title (the template's, "wins-digest" has none) in the recipient's
    # language, never its slug (which digest comes first, an English or a French reader's, is not fixed)
    for digest in digests:
        text = json.dumps(json.loads(str(digest["blocks"])), ensure_ascii=False)
        assert ("*Deal closed* (" in text or "*Affaire conclue* (" in text) and "wins-digest" not in text, text

    # The dashboard.
    stats = {r["notification"]: r for r in notification_stats(ready.control, "default")}
    assert stats["stage-moves"]["matched"] > 0 and stats["stage-moves"]["delivered"] == stats["stage-moves"]["queued"]
    assert stats["wins-digest"]["delivered"] == stats["wins-digest"]["queued"] > 0
    assert stats["stage-moves"]["last_24h"] == stats["stage-moves"]["queued"]

    # A disabled notification is not evaluated.
    set_enabled(ready, people.sales_admin, "stage-moves", False)
    sandbox_control(sf_sandbox, "simulate", {"changes": 100, "seed": 6})
    settle(sf_sandbox, settings)
    later = evaluate(control_db(settings), settings, ALIAS, sync_org(control_db(settings), settings, ALIAS).run_id)
    assert saved["stage-moves"].id not in {r.id for r in later.results}


def test_upcoming_dates_once_per_record_and_date(ready: SettingsContext, people: People) -> None:
    settings = ready.settings
    initial_sync_and_map(settings)
    spec = NotificationSpec.model_validate({"template": "upcoming_date", "options": {"field": "CloseDate", "days": 10},
                                            "recipients": {"channels": ["#sales"]}})
    create_notification(ready, people.sales_admin, ALIAS, "closing-soon", spec)
    with OrgWarehouse(settings.org_db(ALIAS)) as wh:
        row = wh.conn.execute('SELECT min("CloseDate") FROM sf."Opportunity" WHERE NOT "IsClosed"').fetchone()
    assert row is not None
    now = datetime.combine(row[0], datetime.min.time(), UTC) - timedelta(days=2)
    first = evaluate_scheduled(control_db(settings), settings, ALIAS, now=now)
    assert first.matched > 0 and first.messages == first.matched
    assert evaluate_scheduled(control_db(settings), settings, ALIAS, now=now + timedelta(hours=1)).messages == 0


def test_deal_closed_honours_the_custom_won_stage(ready: SettingsContext, people: People,
                                                   sf_sandbox: SalesforceSandbox) -> None:
    """The celebrations' won stage ("Contract Signed", where the sandbox keeps IsWon false) is what "won" means."""
    settings = ready.settings
    initial_sync_and_map(settings)
    set_won_stage(ready, people.sales_admin, ALIAS, "Contract Signed")
    for outcome in ("won", "lost", "any"):
        create_notification(ready, people.sales_admin, ALIAS, f"deals-{outcome}", NotificationSpec.model_validate(
            {"template": "deal_closed", "options": {"outcome": outcome}, "recipients": {"channels": ["#sales"]}}))
    with OrgWarehouse(settings.org_db(ALIAS)) as wh:
        signed, won, lost = (r[0] for r in wh.conn.execute(
            'SELECT "Id" FROM sf."Opportunity" WHERE NOT "IsClosed" AND NOT "IsDeleted" '
            "AND \"StageName\" <> 'Contract Signed' ORDER BY \"Id\" DESC LIMIT 3").fetchall())
    assert sf_sandbox.store is not None
    for opportunity, stage in ((signed, "Contract Signed"), (won, "Closed Won"), (lost, "Closed Lost")):
        sf_sandbox.store.update("Opportunity", opportunity, {"StageName": stage})
    settle(sf_sandbox, settings)
    run = sync_org(control_db(settings), settings, ALIAS)
    assert run.status == "completed"
    with OrgWarehouse(settings.org_db(ALIAS)) as wh:
        row = wh.conn.execute('SELECT "IsWon", "IsClosed" FROM sf."Opportunity" WHERE "Id" = ?', [signed]).fetchone()
    assert row == (False, False)  # Salesforce does not see it as won, nor closed

    summary = evaluate(control_db(settings), settings, ALIAS, run.run_id)
    assert not summary.warnings, summary.warnings
    fired: dict[str, set[str]] = {}
    for r in ControlDB(settings.control_db).rows(
            "SELECT n.name, e.record_id FROM notification_events e JOIN notifications n ON n.id = e.notification_id"):
        if r["record_id"] in (signed, won, lost):
            fired.setdefault(r["name"], set()).add(r["record_id"])
    assert fired == {"deals-won": {signed}, "deals-lost": {lost}, "deals-any": {signed, won, lost}}


def test_a_digest_beyond_block_kit_limits_links_to_the_list_and_passes_slack(
        ready: SettingsContext, people: People, sf_sandbox: SalesforceSandbox, slack_sandbox: SlackSandbox) -> None:
    settings = ready.settings
    saved = create_notification(ready, people.sales_admin, ALIAS, "stage-digest", NotificationSpec.model_validate(
        {"template": "stage_changed", "recipients": {"channels": ["#sales"]},
         "delivery": {"mode": "digest", "frequency": "daily", "hour": 0}}))
    channel = saved.spec.recipients.channels[0]
    assert sf_sandbox.info is not None
    instance = sf_sandbox.info.instance_url.rstrip("/")
    now = datetime.now(UTC)
    with ControlDB(settings.control_db).transaction() as db:
        db.executemany("INSERT INTO digest_items VALUES (?, ?, ?, ?, ?, NULL, NULL, 'daily@00', ?, ?, NULL)", [
            [f"item-{i}", saved.id, saved.name, ALIAS, channel,
             f"• <{instance}/006{i:012d}|Deal &lt;{i}&gt;> — *Stage*: Prospecting → Qualification", now]
            for i in range(60)])
    assert run_digests(control_db(settings), settings, now).sent == 1
    [digest] = [o for o in _outbox(settings) if o["kind"] == "digest"]
    body = json.loads(str(digest["blocks"]))
    more = f"…and 50 more · <{instance}/lightning/o/Opportunity/list|see them in Salesforce>"
    assert any(b.get("text", {}).get("text", "").endswith(more) for b in body), body
    [select] = [e for b in body for e in b.get("elements") or [] if e.get("action_id") == EDIT_ACTION]
    assert select["type"] == "static_select"  # "Edit a record": each record of the digest by its name
    assert [(o["text"]["text"], parse_edit_value(o["value"])) for o in select["options"]] == [
        (f"Deal <{i}>", (ALIAS, "Opportunity", f"006{i:012d}")) for i in sorted(range(60), key=lambda i: f"item-{i}")]

    drain(publisher(slack_sandbox, ready.control, restrictions=Restrictions()))  # the sandbox validates Block Kit
    assert [o["state"] for o in _outbox(settings) if o["kind"] == "digest"] == ["sent"]


def test_a_dm_for_an_unmapped_member_is_skipped_and_reported(ready: SettingsContext, people: People,
                                                             sf_sandbox: SalesforceSandbox) -> None:
    settings = ready.settings
    initial_sync_and_map(settings)
    with OrgWarehouse(settings.org_db(ALIAS)) as wh:
        members = eligible_users(wh, settings.sales_home_permission_set)
        opportunities = [r[0] for r in wh.conn.execute(
            'SELECT "Id" FROM sf."Opportunity" WHERE NOT "IsClosed" AND NOT "IsDeleted" AND "StageName" <> '
            "'Prospecting' ORDER BY \"Id\" LIMIT 2").fetchall()]
    mapped = {r["sf_user_id"] for r in ready.control.rows(
        "SELECT sf_user_id FROM user_map WHERE alias = ? AND status = 'matched'", [ALIAS])}
    no_slack, with_slack = sorted(members - mapped)[0], sorted(members & mapped)[0]
    create_notification(ready, people.sales_admin, ALIAS, "owner-moves", NotificationSpec.model_validate(
        {"template": "stage_changed", "recipients": {"owner": True},
         "conditions": [{"field": "Name", "op": "contains", "value": "dm-skip-check"}]}))
    assert sf_sandbox.store is not None
    for i, (opportunity, owner) in enumerate(zip(opportunities, (no_slack, with_slack), strict=True)):
        sf_sandbox.store.update("Opportunity", opportunity, {"OwnerId": owner, "StageName": "Prospecting",
                                                             "Name": f"dm-skip-check {i}"})
    settle(sf_sandbox, settings)
    summary = evaluate(control_db(settings), settings, ALIAS, sync_org(control_db(settings), settings, ALIAS).run_id)

    [result] = summary.results
    assert (result.matched, result.unmapped, result.queued) == (2, 1, 1)
    assert summary.unmapped_users == [no_slack]
    [skipped] = skipped_recipients(ready.control, ALIAS)
    assert skipped["notification"] == "owner-moves" and skipped["reason"] == "no Slack user"
    assert skipped["skipped"] == 1 and skipped["last_skipped"] is not None and "user map" in skipped["fix"]
    assert skipped_recipients(ready.control, "another-org") == []
    [stats] = notification_stats(ready.control, "default", ALIAS)
    assert (stats["unmapped"], stats["not_member"], stats["queued"]) == (1, 0, 1)
    assert stats_artifact_rows(ready.control, "default", ALIAS)[0]["unmapped"] == 1
