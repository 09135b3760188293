"""The Sales tab in the real app process (``saleshome app serve``): a member connects Salesforce through the
sandbox's login page, the app publishes their Sales tab, and their clicks — signed ``block_actions`` posted to
the app's interactivity URL as Slack posts them, from the view Slack holds — open a list, page it and open a
record, each read with the member's own connection (their OAuth tokens, kept encrypted by the app)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import requests

from saleshome.app.home import Action, decode
from saleshome.sandbox.salesforce.access import access_for
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from saleshome.sandbox.slack.server import SlackSandbox
from tests.app.home.blockkit import action_ids, texts
from tests.fixtures.app import (
    SALES_TAB,
    AppServer,
    MemberHome,
    connect,
    login_of,
    member_with_access,
    open_home,
    signed,
    start_app,
    wait_for,
)
from tests.fixtures.workspace import ALIAS

pytestmark = [pytest.mark.integration]


def home_of(slack: SlackSandbox, user: str) -> dict[str, Any] | None:
    """The member's Home tab as Slack holds it: id, hash and the view the app sent."""
    assert slack.api is not None
    with slack.api.lock:
        view_id = slack.api.views.home.get(user)
        stored = slack.api.views.views.get(view_id or "")
        return None if stored is None else {"id": stored.id, "hash": stored.hash, **stored.view}


def click(app: AppServer, home: MemberHome, slack: SlackSandbox, user: str, action: dict[str, Any]) -> str:
    """Post ``action`` from the member's current Home tab; the hash of the view it was taken from."""
    view = home_of(slack, user)
    assert view is not None
    payload = {"type": "block_actions", "user": {"id": user, "team_id": "T0"}, "team": {"id": "T0"},
               "api_app_id": "A0SALESHOME", "trigger_id": "1.2.3", "container": {"type": "view", "view_id": view["id"]},
               "view": {**view, "state": {"values": {}}},
               "actions": [{"block_id": "b", "action_ts": f"{time.time():.6f}", **action}]}
    body = urlencode({"payload": json.dumps(payload)})
    response = requests.post(app.urls["interactivity"], data=body, timeout=30,
                             headers={"Content-Type": "application/x-www-form-urlencoded", **signed(body, home.signing_secret)})
    assert response.status_code == 200, response.text
    return str(view["hash"])


def next_view(app: AppServer, slack: SlackSandbox, user: str, old_hash: str) -> dict[str, Any]:
    view = wait_for(lambda: (v := home_of(slack, user)) is not None and v["hash"] != old_hash and v,
                    "the Sales tab published again", app=app)
    assert isinstance(view, dict)
    return view


def rows(view: dict[str, Any]) -> list[str]:
    return [b["accessory"]["value"] for b in view["blocks"]
            if b.get("accessory", {}).get("action_id") == Action.OPEN_RECORD]


def test_a_connected_member_opens_a_list_pages_it_and_opens_a_record(
        member_home: MemberHome, slack_sandbox: SlackSandbox, sf_sandbox: SalesforceSandbox, tmp_path: Path) -> None:
    store = sf_sandbox.store
    assert store is not None
    mapped = member_home.control.rows(
        "SELECT slack_user_id, sf_user_id FROM user_map WHERE alias = ? AND status = 'matched' AND sales_home_user "
        "ORDER BY slack_user_id", [ALIAS])
    opportunity_owners = [r["OwnerId"] for r in store.read('SELECT "OwnerId" FROM "Opportunity"').to_pylist()]

    def seen_by(sf_user_id: str) -> int:
        visible = set(access_for(store, sf_user_id).visible_owner_ids)
        return sum(1 for owner in opportunity_owners if owner in visible)

    # a member whose Salesforce access shows more than one page of opportunities, but not all of them
    user, sf_user = next((r["slack_user_id"], r["sf_user_id"]) for r in mapped
                         if 25 < seen_by(r["sf_user_id"]) < len(opportunity_owners))
    visible_owners = set(access_for(store, sf_user).visible_owner_ids)
    app = start_app(tmp_path)
    try:
        page = connect(app, member_home, slack_sandbox, sf_sandbox, user, login_of(sf_sandbox, sf_user), "Ev0TAB0000001")
        assert page.status_code == 200, page.text
        tab = wait_for(lambda: (v := home_of(slack_sandbox, user)) and v.get("callback_id") == SALES_TAB and v,
                       "the Sales tab", app=app)
        assert Action.OPEN_LIST in action_ids(tab)
        opened_on = decode(tab["private_metadata"])  # no default list set: the first object's first list view
        assert (opened_on.object, opened_on.list) == ("Account", "AllAccounts") and rows(tab)

        listed = next_view(app, slack_sandbox, user, click(app, member_home, slack_sandbox, user, {
            "action_id": Action.OPEN_LIST, "type": "static_select",
            "selected_option": {"value": "Opportunity/AllOpportunities"}}))
        first = rows(listed)
        assert len(first) == 25
        owner_of = {r["Id"]: r["OwnerId"] for r in store.read(
            'SELECT "Id", "OwnerId" FROM "Opportunity"').to_pylist()}
        assert all(owner_of[i] in visible_owners for i in first)  # read with the member's access

        second = next_view(app, slack_sandbox, user, click(app, member_home, slack_sandbox, user, {
            "action_id": Action.NEXT_PAGE, "type": "button", "value": "next"}))
        assert decode(second["private_metadata"]).page == 2 and rows(second) and not set(rows(second)) & set(first)
        assert any(t.startswith("Records 26–") for t in texts(second["blocks"]))

        opened = next_view(app, slack_sandbox, user, click(app, member_home, slack_sandbox, user, {
            "action_id": Action.OPEN_RECORD, "type": "button", "value": rows(second)[0]}))
        assert "View in Salesforce" in texts(opened["blocks"])
        assert decode(opened["private_metadata"]).record == rows(second)[0]
    finally:
        app.stop()


def test_opening_the_tab_again_reads_the_records_only(
        member_home: MemberHome, slack_sandbox: SlackSandbox, sf_sandbox: SalesforceSandbox, tmp_path: Path) -> None:
    """The app's metadata cache (object infos, list views, list infos) serves ``app_home_opened`` too: within its
    minute, opening the tab again costs one Salesforce call, the page of records, read afresh."""
    user, sf_user = member_with_access(member_home)
    app = start_app(tmp_path)
    try:
        page = connect(app, member_home, slack_sandbox, sf_sandbox, user, login_of(sf_sandbox, sf_user), "Ev0TAB0000011")
        assert page.status_code == 200, page.text
        tab = wait_for(lambda: (v := home_of(slack_sandbox, user)) and v.get("callback_id") == SALES_TAB and v,
                       "the Sales tab", app=app)
        spent = sf_sandbox.budget.used
        open_home(app, member_home, user, "Ev0TAB0000012")
        again = next_view(app, slack_sandbox, user, str(tab["hash"]))
        assert sf_sandbox.budget.used - spent == 1  # GET ui-api/list-records/...: nothing else asked again
        assert decode(again["private_metadata"]) == decode(tab["private_metadata"]) and rows(again) == rows(tab)
    finally:
        app.stop()
