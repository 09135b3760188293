"""The Edit button and the edit modal in the real app process (``saleshome app serve``), driven through the Slack
sandbox's interactivity (``Interactions``: signed ``block_actions``/``block_suggestion`` posted to the app's URL,
3-second acks, ``views.open`` with the action's trigger id), each member reading Salesforce with their own connection.

- a rep sees an Edit button on each row and on an open record; clicking it opens a loading modal at once, replaced
  by the form read as them; a lookup's options are searched as them; a ``block_suggestion`` carrying a forged
  ``private_metadata`` gets nothing;
- a Support User (reads accounts, may not edit them) sees no Edit button, and a stale one shows a read-only message;
- changing a controlling picklist in the modal (``dispatch_action``) shows its dependent's values for the new value;
- a notification message carries the record reference in its metadata and an Edit button that opens the form for
  whoever clicks it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import requests

from saleshome.app.edit.form import (
    CALLBACK_ID,
    LOADING_CALLBACK_ID,
    NONE_VALUE,
    RESULT_CALLBACK_ID,
    Action,
    button_value,
)
from saleshome.app.home import Action as TabAction
from saleshome.i18n import messages
from saleshome.notify.render import RenderedRecord, notification_message
from saleshome.publish.publisher import METADATA_EVENT
from saleshome.sandbox.salesforce.access import access_for
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.settings.model import Layout
from saleshome.settings.store import write_layout
from saleshome.warehouse.outbox import OutboxMessage, idempotency_key
from tests.app.home.blockkit import texts
from tests.fixtures.app import SALES_TAB, AppServer, MemberHome, connect, login_of, signed, start_app, wait_for
from tests.fixtures.outbox import drain, publisher, put
from tests.fixtures.sandboxes import sandbox_control, sandbox_session
from tests.fixtures.workspace import ALIAS

pytestmark = [pytest.mark.integration]

EDITABLE = ["StageName", "Amount", "CloseDate", "AccountId", "NextStep"]


def member_of(home: MemberHome, sf_sandbox: SalesforceSandbox, profile: str, *, analytics: bool | None = None
              ) -> tuple[str, str]:
    """(Slack user, Salesforce user) of a mapped Sales Home user with ``profile`` (and Sales Analytics or not)."""
    store = sf_sandbox.store
    assert store is not None
    rows = home.control.rows("SELECT slack_user_id, sf_user_id FROM user_map WHERE alias = ? AND status = 'matched' "
                             "AND sales_home_user ORDER BY slack_user_id", [ALIAS])
    return next((str(r["slack_user_id"]), str(r["sf_user_id"])) for r in rows
                if (a := access_for(store, r["sf_user_id"])).profile == profile
                and (analytics is None or ("Sales_Analytics" in a.permission_sets) == analytics))


def home_of(slack: SlackSandbox, user: str) -> dict[str, Any] | None:
    assert slack.api is not None
    with slack.api.lock:
        stored = slack.api.views.views.get(slack.api.views.home.get(user) or "")
        return None if stored is None else {"id": stored.id, "hash": stored.hash, **stored.view}


def modal_ids(slack: SlackSandbox) -> set[str]:
    assert slack.api is not None
    with slack.api.lock:
        return set(slack.api.views.views)


def modal_of(slack: SlackSandbox, user: str, callback_id: str, before: AbstractSet[str] = frozenset()
             ) -> dict[str, Any] | None:
    """The member's open modal with ``callback_id`` (id, hash, the view as the app sent it), opened since ``before``."""
    assert slack.api is not None
    with slack.api.lock:
        for stored in slack.api.views.views.values():
            if stored.type == "modal" and stored.user_id == user and not stored.closed and stored.id not in before \
                    and stored.view.get("callback_id") == callback_id:
                return {"id": stored.id, "hash": stored.hash, **stored.view}
    return None


def block_with(view: dict[str, Any], action_id: str, value: str | None = None) -> dict[str, Any]:
    for block in view["blocks"]:
        for element in [*(block.get("elements") or []), block.get("accessory") or {}]:
            if element.get("action_id") == action_id and (value is None or element.get("value") == value):
                return dict(block)
    raise AssertionError(f"no {action_id} {value or ''} in {view['blocks']}")


def edit_values(view: dict[str, Any]) -> list[str]:
    return [e["value"] for b in view["blocks"] for e in b.get("elements") or []
            if e.get("action_id") == Action.EDIT and e.get("type") == "button"]


@pytest.fixture()
def app(member_home: MemberHome, slack_sandbox: SlackSandbox, tmp_path: Path) -> Iterator[AppServer]:
    with member_home.control.transaction() as db:
        write_layout(db, ALIAS, "Opportunity", Layout(fields=["Name", *EDITABLE], editable=EDITABLE))
    server = start_app(tmp_path)
    slack_sandbox.configure_app(interactivity_url=server.urls["interactivity"])
    try:
        yield server
    finally:
        slack_sandbox.configure_app(interactivity_url=None)
        server.stop()


def open_tab(app: AppServer, home: MemberHome, slack: SlackSandbox, sf_sandbox: SalesforceSandbox, user: str,
             sf_user: str, event: str) -> dict[str, Any]:
    page = connect(app, home, slack, sf_sandbox, user, login_of(sf_sandbox, sf_user), event)
    assert page.status_code == 200, page.text
    tab = wait_for(lambda: (v := home_of(slack, user)) and v.get("callback_id") == SALES_TAB and v,
                   "the Sales tab", app=app)
    assert isinstance(tab, dict)
    return tab


def test_a_rep_edits_from_a_list_row_and_searches_a_lookup_as_themselves(
        app: AppServer, member_home: MemberHome, slack_sandbox: SlackSandbox, sf_sandbox: SalesforceSandbox) -> None:
    user, sf_user = member_of(member_home, sf_sandbox, "Standard User")
    tab = open_tab(app, member_home, slack_sandbox, sf_sandbox, user, sf_user, "Ev0EDIT000001")
    interactions = slack_sandbox.interactions
    picker = next(b for b in tab["blocks"] if b.get("accessory", {}).get("action_id") == TabAction.OPEN_LIST
                  and "Opportunity/AllOpportunities" in json.dumps(b))
    outcome = interactions.block_action(user, view_id=tab["id"], block_id=picker["block_id"], action={
        "action_id": TabAction.OPEN_LIST, "selected_option": {"value": "Opportunity/AllOpportunities"}})
    assert outcome.ok, outcome.error
    listed = wait_for(lambda: (v := home_of(slack_sandbox, user)) and v["hash"] != tab["hash"] and "Opportunity/"
                      in v["private_metadata"] + json.dumps(v["blocks"]) and edit_values(v) and v, "the list", app=app)
    rows = [b["accessory"]["value"] for b in listed["blocks"]
            if b.get("accessory", {}).get("action_id") == TabAction.OPEN_RECORD]
    assert rows and edit_values(listed) == [button_value(ALIAS, "Opportunity", r) for r in rows]  # one per row

    record = rows[0]
    row = block_with(listed, Action.EDIT, button_value(ALIAS, "Opportunity", record))
    before = modal_ids(slack_sandbox)
    started = time.monotonic()
    clicked = interactions.block_action(user, view_id=listed["id"], block_id=row["block_id"], action={
        "action_id": Action.EDIT})
    assert clicked.ok and time.monotonic() - started < 3, clicked.error  # acknowledged within Slack's 3 s
    form = wait_for(lambda: modal_of(slack_sandbox, user, CALLBACK_ID, before), "the edit form", app=app)
    assert modal_of(slack_sandbox, user, LOADING_CALLBACK_ID, before) is None  # the loading modal became the form
    inputs = [b["block_id"] for b in form["blocks"] if b["type"] == "input"]
    assert inputs == EDITABLE
    assert form["submit"]["text"] == "Save" and "private_metadata" in form

    store = sf_sandbox.store
    assert store is not None
    visible = set(access_for(store, sf_user).visible_owner_ids)
    accounts = store.read('SELECT "Id", "Name", "OwnerId" FROM "Account"').to_pylist()
    mine = next(a for a in accounts if a["OwnerId"] in visible)
    typed = mine["Name"].split()[0][:4]
    options = interactions.suggestions(user, view_id=form["id"], block_id="AccountId", action_id=Action.LOOKUP,
                                       value=typed)
    assert mine["Id"] in {o["value"] for o in options}, options  # searched: the member's account is offered
    by_id = {a["Id"]: a for a in accounts}
    assert all(o["text"]["text"].startswith(by_id[o["value"]]["Name"][:40]) for o in options)  # named, by id
    assert all(any(w.lower().startswith(typed.lower()) for w in o["text"]["text"].split()) for o in options)

    # a block_suggestion whose private_metadata the app did not sign gets nothing
    forged = {**form, "private_metadata": form["private_metadata"].replace('"sig":"', '"sig":"x')}
    payload = {"type": "block_suggestion", "user": {"id": user, "team_id": "T0"}, "team": {"id": "T0"},
               "api_app_id": "A0SALESHOME", "action_id": Action.LOOKUP, "block_id": "AccountId", "value": "a",
               "container": {"type": "view", "view_id": form["id"]}, "view": forged}
    body = urlencode({"payload": json.dumps(payload)})
    answer = requests.post(app.urls["interactivity"], data=body, timeout=30, headers={
        "Content-Type": "application/x-www-form-urlencoded", **signed(body, member_home.signing_secret)})
    assert answer.status_code == 200 and json.loads(answer.text or "{}").get("options") == []


def test_no_edit_button_without_edit_access_and_a_stale_one_says_why_in_french(
        app: AppServer, member_home: MemberHome, slack_sandbox: SlackSandbox, sf_sandbox: SalesforceSandbox) -> None:
    """Accounts' Slack layout lets members edit only the annual revenue, which field-level security hides from reps
    without Sales Analytics: such a rep may edit no account from Slack."""
    user, sf_user = member_of(member_home, sf_sandbox, "Standard User", analytics=False)
    with member_home.control.transaction() as db:
        write_layout(db, ALIAS, "Account", Layout(fields=["Name", "Type", "AnnualRevenue"], editable=["AnnualRevenue"]))
        db.execute("UPDATE user_map SET locale = 'fr-FR' WHERE slack_user_id = ?", [user])
    tab = open_tab(app, member_home, slack_sandbox, sf_sandbox, user, sf_user, "Ev0EDIT000011")
    assert "Account" in tab["private_metadata"]  # the tab opens on the accounts
    rows = [b["accessory"]["value"] for b in tab["blocks"]
            if b.get("accessory", {}).get("action_id") == TabAction.OPEN_RECORD]
    assert rows and edit_values(tab) == []  # accounts they read and may not edit from Slack: no Edit button
    # a stale Edit button (a message about the account): the app reads it as them and says they cannot edit it
    channel = slack_sandbox.channel_id("sales")
    message = post_notification(member_home, slack_sandbox, channel, "Account", rows[0], "stale")
    before = modal_ids(slack_sandbox)
    clicked = slack_sandbox.interactions.block_action(user, channel=channel, message_ts=message["ts"],
                                                      block_id="saleshome_edit", action={"action_id": Action.EDIT})
    assert clicked.ok, clicked.error
    shown = wait_for(lambda: modal_of(slack_sandbox, user, RESULT_CALLBACK_ID, before), "the read-only message",
                     app=app)
    assert texts(shown["blocks"]) == ["Vous ne pouvez pas modifier cet enregistrement depuis Slack : vos accès "
                                      "Salesforce ne le permettent pas."]
    assert modal_of(slack_sandbox, user, CALLBACK_ID, before) is None  # no form


def post_notification(home: MemberHome, slack: SlackSandbox, channel: str, obj: str, record_id: str,
                      key: str) -> dict[str, Any]:
    """A notification about ``record_id`` rendered and published as the pipeline does; the message as Slack holds it."""
    rendered = RenderedRecord(title="Deal moved", record_name="A deal", url=f"https://acme.example/{record_id}",
                              changes=[], fields=[], context="acme", edit=(ALIAS, obj, record_id))
    text, blocks = notification_message(rendered, messages("en-US", "notify"))
    sent = OutboxMessage(idempotency_key("edit-test", key, time.time()), "notification", channel, text, blocks,
                         alias=ALIAS)
    put(home.control, [sent])
    drain(publisher(slack, home.control))
    found = [m for m in slack.messages(channel, event_type=METADATA_EVENT)
             if (m.metadata or {}).get("event_payload", {}).get("key") == sent.key]
    assert len(found) == 1
    return {"ts": found[0].ts, "metadata": found[0].metadata, "blocks": found[0].blocks}


def test_a_notification_carries_the_record_reference_and_an_edit_button_that_opens_the_form(
        app: AppServer, member_home: MemberHome, slack_sandbox: SlackSandbox, sf_sandbox: SalesforceSandbox) -> None:
    user, sf_user = member_of(member_home, sf_sandbox, "Standard User")
    open_tab(app, member_home, slack_sandbox, sf_sandbox, user, sf_user, "Ev0EDIT000021")
    store = sf_sandbox.store
    assert store is not None
    record = store.read(f"SELECT \"Id\" FROM \"Opportunity\" WHERE \"OwnerId\" = '{sf_user}' LIMIT 1").to_pylist()[0]["Id"]
    channel = slack_sandbox.channel_id("sales")
    message = post_notification(member_home, slack_sandbox, channel, "Opportunity", record, "notified")
    before = modal_ids(slack_sandbox)
    payload = message["metadata"]["event_payload"]
    assert message["metadata"]["event_type"] == METADATA_EVENT
    assert {k: payload[k] for k in ("alias", "object", "record_id")} == {
        "alias": ALIAS, "object": "Opportunity", "record_id": record}  # the reference, nothing of the record
    assert set(payload) == {"key", "alias", "object", "record_id"}
    clicked = slack_sandbox.interactions.block_action(user, channel=channel, message_ts=message["ts"],
                                                      block_id="saleshome_edit", action={"action_id": Action.EDIT})
    assert clicked.ok, clicked.error
    form = wait_for(lambda: modal_of(slack_sandbox, user, CALLBACK_ID, before), "the edit form", app=app)
    assert [b["block_id"] for b in form["blocks"] if b["type"] == "input"] == EDITABLE


@pytest.fixture()
def lead_source_by_region(sf_sandbox: SalesforceSandbox) -> Iterator[None]:
    """For this test only: Opportunity.LeadSource depends on Region__c (removed after, the folder's org unchanged)."""
    sandbox_control(sf_sandbox, "picklist-dependencies", {
        "object": "Opportunity", "field": "LeadSource", "controller": "Region__c",
        "valid_for": {"Web": ["AMER", "EMEA", "APAC", "LATAM"], "Trade Show": ["EMEA"], "Partner Referral": ["APAC"]}})
    try:
        yield
    finally:
        assert sf_sandbox.info is not None
        gone = sandbox_session(sf_sandbox.info.ca_file).delete(
            f"{sf_sandbox.info.instance_url}/_sandbox/picklist-dependencies",
            params={"object": "Opportunity", "field": "LeadSource"}, timeout=60)
        assert gone.status_code == 204, gone.text


def test_changing_a_controlling_picklist_in_the_modal_filters_its_dependent(
        app: AppServer, member_home: MemberHome, slack_sandbox: SlackSandbox, sf_sandbox: SalesforceSandbox,
        lead_source_by_region: None) -> None:
    editable = ["StageName", "Region__c", "LeadSource"]
    with member_home.control.transaction() as db:
        write_layout(db, ALIAS, "Opportunity", Layout(fields=["Name", *editable], editable=editable))
    user, sf_user = member_of(member_home, sf_sandbox, "Standard User")
    open_tab(app, member_home, slack_sandbox, sf_sandbox, user, sf_user, "Ev0EDIT000031")
    store = sf_sandbox.store
    assert store is not None
    record = store.read(f"SELECT \"Id\" FROM \"Opportunity\" WHERE \"OwnerId\" = '{sf_user}' LIMIT 1").to_pylist()[0]["Id"]
    store.update("Opportunity", record, {"Region__c": "EMEA", "LeadSource": "Trade Show"})
    channel = slack_sandbox.channel_id("sales")
    message = post_notification(member_home, slack_sandbox, channel, "Opportunity", record, "dependent")
    before = modal_ids(slack_sandbox)
    assert slack_sandbox.interactions.block_action(user, channel=channel, message_ts=message["ts"],
                                                   block_id="saleshome_edit", action={"action_id": Action.EDIT}).ok
    form = wait_for(lambda: modal_of(slack_sandbox, user, CALLBACK_ID, before), "the edit form", app=app)

    def options(view: dict[str, Any], block_id: str) -> list[str]:
        element = next(b for b in view["blocks"] if b.get("block_id") == block_id)["element"]
        return [o["value"] for o in element["options"] if o["value"] != NONE_VALUE]

    region = next(b for b in form["blocks"] if b.get("block_id") == "Region__c")
    assert region["dispatch_action"] is True and options(form, "LeadSource") == ["Web", "Trade Show"]
    changed = slack_sandbox.interactions.block_action(user, view_id=form["id"], block_id="Region__c", action={
        "action_id": Action.CONTROLLING, "selected_option": {"value": "APAC"}})
    assert changed.ok, changed.error
    again = wait_for(lambda: (v := modal_of(slack_sandbox, user, CALLBACK_ID, before)) and v["hash"] != form["hash"]
                     and v, "the modal again", app=app)
    assert options(again, "LeadSource") == ["Web", "Partner Referral"]  # the values valid for APAC
    assert again["private_metadata"] == form["private_metadata"]  # the same reference (LastModifiedDate as shown)
    assert next(b for b in again["blocks"] if b.get("block_id") == "Region__c") == region  # pre-filled as before
