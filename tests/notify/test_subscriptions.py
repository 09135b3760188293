"""Members' subscriptions end to end against the sandboxes (issue 20 §2): subscribe → a change in Salesforce →
sync → the same evaluation as the admins' notifications → one DM to the member, in their language.

Real HTTP all the way (simple-salesforce syncs the Salesforce sandbox; the access check asks the sandbox's
``UserRecordAccess`` as the integration user; slack-sdk maps users).  Who owns what, who is below whom and who
may read what are read from the seeded org, never hard-coded.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from saleshome.config import Settings
from saleshome.notify.digest import run_digests
from saleshome.notify.evaluate import EvaluationSummary, evaluate
from saleshome.notify.stats import subscription_stats
from saleshome.pipeline import refresh_org_users
from saleshome.salesforce.login import connect
from saleshome.salesforce.record_access import MAX_RECORDS, readable_records
from saleshome.sandbox.salesforce.access import access_for
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from saleshome.settings.context import SettingsContext
from saleshome.settings.notifications.catalog import NotificationSpec
from saleshome.settings.notifications.store import create_notification
from saleshome.settings.orgs import get_org
from saleshome.settings.subscriptions import (
    SubscriptionDraft,
    set_member_template,
    set_paused,
    subscribe,
)
from saleshome.sync.engine import sync_org
from saleshome.warehouse.control import ControlDB, control_db
from saleshome.warehouse.orgdb import OrgWarehouse
from tests.fixtures.sandboxes import settle
from tests.fixtures.workspace import ALIAS, People

from .conftest import initial_sync_and_map

pytestmark = pytest.mark.integration

OPEN_STAGES = ("Qualification", "Needs Analysis", "Value Proposition", "Proposal/Price Quote", "Negotiation/Review")


def _org(ready: SettingsContext, people: People, *templates: str) -> None:
    """Org ``acme`` synced and mapped (with each member's Sales Home permission set), ``templates`` allowed."""
    settings = ready.settings
    initial_sync_and_map(settings)
    assert refresh_org_users(ready.control, settings, ALIAS) is not None
    for template in templates or ("stage_changed",):
        assert set_member_template(ready.control, ready.directory, people.sales_admin, ALIAS, template, True)


def _members(control: ControlDB) -> dict[str, str]:
    """Salesforce user → Slack user, of the members linked in ``acme`` who hold the Sales Home permission set."""
    return {str(r["sf_user_id"]): str(r["slack_user_id"]) for r in control.rows(
        "SELECT sf_user_id, slack_user_id FROM user_map WHERE alias = ? AND status IN ('matched', 'approved') "
        "AND sales_home_user ORDER BY sf_user_id", [ALIAS])}


def _open_deals(settings: Settings) -> dict[str, list[str]]:
    """Owner → their open opportunities (ids, sorted), from the synced copy."""
    with OrgWarehouse(settings.org_db(ALIAS)) as wh:
        rows = wh.conn.execute('SELECT "OwnerId", "Id" FROM sf."Opportunity" WHERE NOT "IsClosed" '
                               'AND NOT "IsDeleted" AND "StageName" IN (SELECT unnest(?::VARCHAR[])) ORDER BY 2',
                               [list(OPEN_STAGES)]).fetchall()
    out: dict[str, list[str]] = {}
    for owner, deal in rows:
        out.setdefault(str(owner), []).append(str(deal))
    return out


def _french(control: ControlDB, sf_user: str, tz: str = "Europe/Paris") -> None:
    with control.transaction() as db:  # what the user-map refresh keeps of Slack's users.info
        db.execute("UPDATE user_map SET locale = 'fr-FR', tz = ? WHERE alias = ? AND sf_user_id = ?",
                   [tz, ALIAS, sf_user])


def _move_stage(sf_sandbox: SalesforceSandbox, *deals: str) -> None:
    assert sf_sandbox.store is not None
    for deal in deals:
        current = sf_sandbox.store.read('SELECT "StageName" FROM "Opportunity" WHERE "Id" = ?', [deal])
        stage = current.column("StageName")[0].as_py()
        sf_sandbox.store.update("Opportunity", deal, {"StageName": next(s for s in OPEN_STAGES if s != stage)})


def _sync_and_evaluate(settings: Settings, sf_sandbox: SalesforceSandbox) -> EvaluationSummary:
    settle(sf_sandbox, settings)
    run = sync_org(control_db(settings), settings, ALIAS)
    assert run.status == "completed", run
    return evaluate(control_db(settings), settings, ALIAS, run.run_id)


def _dms(settings: Settings, slack_user: str) -> list[dict[str, Any]]:
    return ControlDB(settings.control_db).rows(
        "SELECT o.key, o.text, o.blocks, e.notification_id, e.record_id FROM outbox o "
        "JOIN notification_events e ON e.key = o.key WHERE o.channel = ? ORDER BY o.seq", [slack_user])


def _draft(**values: Any) -> SubscriptionDraft:
    return SubscriptionDraft.model_validate({"template": "stage_changed", **values})


def test_stage_changed_on_my_deals_one_dm_at_the_next_sync_in_their_language(
        ready: SettingsContext, people: People, sf_sandbox: SalesforceSandbox) -> None:
    settings = ready.settings
    _org(ready, people)
    deals = _open_deals(settings)
    members = _members(ready.control)
    me = next(m for m in members if len(deals.get(m, [])) >= 2)
    other = next(o for o in deals if o != me)
    _french(ready.control, me)
    sub = subscribe(ready.control, ready, ALIAS, members[me], _draft(scope="mine"))

    _move_stage(sf_sandbox, deals[me][0], deals[other][0])
    summary = _sync_and_evaluate(settings, sf_sandbox)
    assert summary.subscriptions == 1 and not summary.warnings, summary
    dms = _dms(settings, members[me])
    assert [(d["notification_id"], d["record_id"]) for d in dms] == [(sub.id, deals[me][0])]
    text = json.dumps(json.loads(str(dms[0]["blocks"])), ensure_ascii=False)
    assert "Changement d'étape" in text and "Votre abonnement" in text, text
    assert "Stage changed" not in text

    # Exactly once: evaluating again, and the next sync, add nothing.
    again = evaluate(control_db(settings), settings, ALIAS)
    assert again.messages == 0 and again.digest_items == 0
    assert _sync_and_evaluate(settings, sf_sandbox).messages == 0
    assert len(_dms(settings, members[me])) == 1


def test_a_record_the_member_cannot_see_never_produces_a_dm(
        ready: SettingsContext, people: People, sf_sandbox: SalesforceSandbox) -> None:
    """A "matching" subscription whose conditions match deals of others: Opportunity is Private, so only the deals
    the member may read (their own, as the sandbox's UserRecordAccess says) reach them."""
    settings = ready.settings
    _org(ready, people)
    deals = _open_deals(settings)
    members = _members(ready.control)
    me = next(m for m in members if deals.get(m))
    outsider = next(o for o in deals if o != me and o not in members)
    theirs, mine = deals[outsider][0], deals[me][0]
    assert sf_sandbox.store is not None
    # The sandbox's own access rules: the member may read their deal, not the outsider's.
    sharing = access_for(sf_sandbox.store, me)
    assert sharing.can_see_record("Opportunity", mine) and not sharing.can_see_record("Opportunity", theirs)
    sub = subscribe(ready.control, ready, ALIAS, members[me], _draft(
        scope="matching", conditions=[{"field": "Id", "op": "in", "value": [mine, theirs]}]))

    _move_stage(sf_sandbox, mine, theirs)
    summary = _sync_and_evaluate(settings, sf_sandbox)
    result = next(r for r in summary.results if r.id == sub.id)
    assert (result.matched, result.no_access, result.queued) == (2, 1, 1), result
    assert [d["record_id"] for d in _dms(settings, members[me])] == [mine]


def test_team_scope_follows_the_role_hierarchy(ready: SettingsContext, people: People,
                                               sf_sandbox: SalesforceSandbox) -> None:
    settings = ready.settings
    _org(ready, people)
    assert sf_sandbox.store is not None
    parents = {str(r["Id"]): r["ParentRoleId"] for r in
               sf_sandbox.store.read('SELECT "Id", "ParentRoleId" FROM "UserRole"').to_pylist()}
    roles = {str(r["Id"]): r["UserRoleId"] for r in
             sf_sandbox.store.read('SELECT "Id", "UserRoleId" FROM "User"').to_pylist()}

    def below(user: str) -> set[str]:
        found: set[str] = set()
        mine = roles.get(user)
        frontier: set[str] = {str(mine)} if mine is not None else set()
        while frontier:
            frontier = {r for r, p in parents.items() if p in frontier} - found
            found |= frontier
        return {u for u, r in roles.items() if r in found}

    deals = _open_deals(settings)
    members = _members(ready.control)
    # A member with a team owning deals, and deals outside that team (the smallest such team).
    manager = min((m for m in members if any(deals.get(u) for u in below(m))
                   and any(o != m and o not in below(m) for o in deals)), key=lambda m: len(below(m)))
    report = next(u for u in sorted(below(manager)) if deals.get(u))
    outside = next(o for o in deals if o != manager and o not in below(manager))
    subscribe(ready.control, ready, ALIAS, members[manager], _draft(scope="team"))

    _move_stage(sf_sandbox, deals[report][0], deals[outside][0])
    _sync_and_evaluate(settings, sf_sandbox)
    assert [d["record_id"] for d in _dms(settings, members[manager])] == [deals[report][0]]


def test_an_admin_notification_and_a_subscription_on_the_same_change_one_dm(
        ready: SettingsContext, people: People, sf_sandbox: SalesforceSandbox) -> None:
    settings = ready.settings
    _org(ready, people)
    deals = _open_deals(settings)
    members = _members(ready.control)
    me = next(m for m in members if len(deals.get(m, [])) >= 2)
    admin = create_notification(ready, people.sales_admin, ALIAS, "stage-moves", NotificationSpec.model_validate(
        {"template": "stage_changed", "recipients": {"owner": True}}))
    sub = subscribe(ready.control, ready, ALIAS, members[me], _draft(scope="mine"))
    _move_stage(sf_sandbox, deals[me][0])
    summary = _sync_and_evaluate(settings, sf_sandbox)
    dms = _dms(settings, members[me])
    assert [(d["notification_id"], d["record_id"]) for d in dms] == [(admin.id, deals[me][0])]
    assert next(r for r in summary.results if r.id == sub.id).covered == 1
    assert summary.covered == 1


def test_paused_sends_nothing_and_resumed_sends_again(ready: SettingsContext, people: People,
                                                     sf_sandbox: SalesforceSandbox) -> None:
    settings = ready.settings
    _org(ready, people)
    deals = _open_deals(settings)
    members = _members(ready.control)
    me = next(m for m in members if len(deals.get(m, [])) >= 2)
    sub = subscribe(ready.control, ready, ALIAS, members[me], _draft(scope="mine"))
    assert set_paused(ready.control, ALIAS, members[me], sub.id, True).paused
    _move_stage(sf_sandbox, deals[me][0])
    summary = _sync_and_evaluate(settings, sf_sandbox)
    assert summary.subscriptions == 0 and _dms(settings, members[me]) == []
    set_paused(ready.control, ALIAS, members[me], sub.id, False)
    _move_stage(sf_sandbox, deals[me][1])
    _sync_and_evaluate(settings, sf_sandbox)
    assert [d["record_id"] for d in _dms(settings, members[me])] == [deals[me][1]]


def test_digest_delivery_at_the_members_local_hour_and_dashboard_counts(
        ready: SettingsContext, people: People, sf_sandbox: SalesforceSandbox) -> None:
    settings = ready.settings
    _org(ready, people, "stage_changed", "deal_closed")
    deals = _open_deals(settings)
    members = _members(ready.control)
    me = next(m for m in members if len(deals.get(m, [])) >= 2)
    _french(ready.control, me, "Pacific/Auckland")
    subscribe(ready.control, ready, ALIAS, members[me], _draft(scope="mine", delivery="digest", digest_hour=8))
    _move_stage(sf_sandbox, deals[me][0])
    summary = _sync_and_evaluate(settings, sf_sandbox)
    assert summary.messages == 0 and summary.digest_items == 1

    # Not before 08:00 in Auckland; at 08:00 there, one digest in French.
    now = datetime.now(UTC)
    auckland = now.astimezone(__import__("zoneinfo").ZoneInfo("Pacific/Auckland"))
    seven = auckland.replace(hour=7, minute=0) + (timedelta(days=1) if auckland.hour >= 7 else timedelta())
    assert run_digests(ready.control, settings, now=seven.astimezone(UTC)).sent == 0
    sent = run_digests(ready.control, settings, now=(seven + timedelta(hours=1)).astimezone(UTC))
    assert sent.sent == 1 and sent.recipients == [members[me]]
    digest = ready.control.rows("SELECT text, blocks FROM outbox WHERE kind = 'digest' AND channel = ?",
                                [members[me]])
    assert len(digest) == 1 and "Changement d'étape" in json.dumps(json.loads(str(digest[0]["blocks"])),
                                                                    ensure_ascii=False)

    rows = {r["template"]: r for r in subscription_stats(ready.control, settings.workspace, ALIAS)}
    assert rows["stage_changed"]["subscriptions"] == 1 and rows["stage_changed"]["active"] == 1
    assert rows["stage_changed"]["members"] == 1 and rows["stage_changed"]["queued"] == 1
    assert rows["deal_closed"]["allowed"] and rows["deal_closed"]["subscriptions"] == 0


def test_the_access_check_batches_200_ids_a_query_and_agrees_with_the_sandbox(
        home: Settings, sf_sandbox: SalesforceSandbox) -> None:
    assert sf_sandbox.store is not None
    store = sf_sandbox.store
    opportunities = [str(i) for i in store.read('SELECT "Id" FROM "Opportunity" ORDER BY 1').column("Id").to_pylist()]
    accounts = [str(i) for i in store.read('SELECT "Id" FROM "Account" ORDER BY 1 LIMIT 50').column("Id").to_pylist()]
    owner = str(store.read('SELECT "OwnerId" FROM "Opportunity" ORDER BY "Id" LIMIT 1').column("OwnerId")[0].as_py())
    assert len(opportunities) + len(accounts) > MAX_RECORDS  # more than one query
    sharing = access_for(store, owner)
    expected = {i for i in opportunities if sharing.can_see_record("Opportunity", i)} | \
               {i for i in accounts if sharing.can_see_record("Account", i)}
    assert 0 < len(expected) < len(opportunities) + len(accounts)
    client = connect(get_org(control_db(home), home, ALIAS))
    assert readable_records(client, owner, [*opportunities, *accounts]) == expected
