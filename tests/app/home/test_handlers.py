"""The Sales tab's Bolt handlers: signed ``block_actions`` dispatched to a Bolt app as Slack sends them (form-encoded
``payload=``, ``X-Slack-Signature``), acknowledged at once, then Salesforce read as the member and the Home tab
published to the Slack sandbox.

The app's services are the real ones but for the member's session: a session on the Salesforce sandbox with a
token issued to the member (the OAuth connection itself is the core's, tested there).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from saleshome.app.home import Action, SalesHome, decode, register
from saleshome.app.home.session import MetadataCache
from saleshome.app.services import Member, MemberOrg, NotConnectedError, Services
from saleshome.config import Settings
from saleshome.errors import RetriableError
from saleshome.sandbox.salesforce.access import access_for
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.warehouse.control import control_db
from tests.app.home.blockkit import action_ids, texts
from tests.fixtures.sandboxes import sandbox_session

ALIAS = "acme"
WAIT = 20.0  # seconds a lazy listener gets to publish (bounded polling)


@dataclass
class SandboxSession:
    """A member's session on the Salesforce sandbox (the core's ConnectedSession stands here: a token of theirs)."""

    alias: str
    sf_user_id: str
    instance_url: str
    token: str
    http: requests.Session
    api_version: str = "62.0"
    calls: list[str] = field(default_factory=list)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        self.calls.append(path)
        try:
            return self.http.request(method, self.instance_url + path, timeout=30,
                                     headers={"Authorization": f"Bearer {self.token}"}, **kwargs)
        except requests.RequestException as exc:
            raise RetriableError(f"could not reach Salesforce: {type(exc).__name__}") from None

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        response = self.request("GET", path, params=params)
        if response.status_code == 401:
            raise NotConnectedError("Salesforce no longer accepts your connection", alias=self.alias)
        if response.status_code >= 500:
            raise RetriableError(f"Salesforce answered {response.status_code}")
        response.raise_for_status()
        return response.json()


@dataclass
class Tab:
    bolt: App
    tab: SalesHome
    member: Member
    slack: SlackSandbox
    session: SandboxSession

    def home(self) -> dict[str, Any]:
        """The member's Home tab as the Slack sandbox holds it (id, hash, blocks, private_metadata)."""
        assert self.slack.api is not None
        store = self.slack.api.views
        with self.slack.api.lock:
            stored = store.views[store.home[self.member.user_id]]
            return {"id": stored.id, "hash": stored.hash, **stored.view}

    def click(self, action: dict[str, Any]) -> float:
        """Send ``action`` from the current Home tab as Slack does; the seconds until Bolt answered."""
        view = self.home()
        payload = {"type": "block_actions", "user": {"id": self.member.user_id, "team_id": "T1"},
                   "api_app_id": "A1", "team": {"id": "T1"}, "container": {"type": "view", "view_id": view["id"]},
                   "trigger_id": "1.2.3", "view": {**view, "type": "home", "state": {"values": {}}},
                   "actions": [{"block_id": "b", "action_ts": "1.2", **action}]}
        body = urlencode({"payload": json.dumps(payload)})
        assert self.slack.info is not None
        timestamp = str(int(time.time()))
        signature = SignatureVerifier(self.slack.info.signing_secret).generate_signature(timestamp=timestamp, body=body)
        assert signature is not None
        started = time.monotonic()
        response = self.bolt.dispatch(BoltRequest(body=body, headers={
            "content-type": ["application/x-www-form-urlencoded"], "x-slack-request-timestamp": [timestamp],
            "x-slack-signature": [signature]}))
        assert response.status == 200, response.body
        return time.monotonic() - started

    def published_after(self, old_hash: str) -> dict[str, Any]:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            view = self.home()
            if view["hash"] != old_hash:
                return view
            time.sleep(0.05)
        raise AssertionError(f"the Home tab was not published again within {WAIT:g} s")


@pytest.fixture()
def sales_tab(home: Settings, sf_sandbox: SalesforceSandbox, slack_sandbox: SlackSandbox,
              people: Any) -> Iterator[Tab]:
    assert sf_sandbox.info is not None and sf_sandbox.store is not None and slack_sandbox.info is not None
    users = sf_sandbox.store.read('SELECT "Id" FROM "User" WHERE "IsActive" ORDER BY "Id"').to_pylist()
    reps = [u["Id"] for u in users if (a := access_for(sf_sandbox.store, u["Id"])).profile == "Standard User"
            and "Slack_Sales_Home_User" in a.permission_sets]
    sessions = [SandboxSession(ALIAS, rep, sf_sandbox.info.instance_url, sf_sandbox.sessions.issue(rep).token,
                               sandbox_session(sf_sandbox.info.ca_file)) for rep in reps]
    session = next(s for s in sessions if s.get_json(  # a rep who owns opportunities
        "/services/data/v62.0/ui-api/list-records/Opportunity/AllOpportunities", {"pageSize": 1})["records"])
    session.calls.clear()
    rep = session.sf_user_id
    member = Member(people.member, None, "fr-FR", (MemberOrg(ALIAS, "Acme", rep, True, True),))
    client = WebClient(token=slack_sandbox.info.bot_token, base_url=slack_sandbox.info.api_url, timeout=10)
    services = Services(settings=home, control=control_db(home), slack=client,
                        session=lambda user, alias: session, member=lambda user: member,
                        connect_link=lambda m, alias: f"{sf_sandbox.info.instance_url}/services/oauth2/authorize?x=1")
    bolt = App(client=client, signing_secret=slack_sandbox.info.signing_secret, process_before_response=False,
               request_verification_enabled=True, token_verification_enabled=False)
    tab = register(bolt, services)
    assert isinstance(tab, SalesHome)
    yield Tab(bolt, tab, member, slack_sandbox, session)
    sf_sandbox.faults.clear()


def test_acting_in_the_tab_acks_at_once_then_publishes_what_the_member_asked_for(
        sales_tab: Tab, sf_sandbox: SalesforceSandbox) -> None:
    sales_tab.tab.publish(sales_tab.member)
    start = sales_tab.home()
    assert texts(start["blocks"])[0] == "Ventes"
    assert decode(start["private_metadata"]).org == ALIAS

    # Salesforce answers the list's records slowly: Slack still gets its answer at once
    sf_sandbox.faults.add("slow", path="/ui-api/list-records/", delay=2.0, times=1)
    waited = sales_tab.click({"action_id": Action.OPEN_LIST, "type": "static_select",
                              "selected_option": {"value": "Opportunity/AllOpportunities",
                                                  "text": {"type": "plain_text", "text": "All Opportunities"}}})
    assert waited < 1.5  # acknowledged before Salesforce answered (2 s)
    listed = sales_tab.published_after(start["hash"])
    rows = [b for b in listed["blocks"] if b.get("accessory", {}).get("action_id") == Action.OPEN_RECORD]
    assert 0 < len(rows) <= 25
    assert decode(listed["private_metadata"]).list == "AllOpportunities"
    assert all("/ui-api/" in call for call in sales_tab.session.calls)  # read as the member, through the UI API

    record_id = rows[0]["accessory"]["value"]
    sales_tab.click({"action_id": Action.OPEN_RECORD, "type": "button", "value": record_id})
    opened = sales_tab.published_after(listed["hash"])
    assert "Voir dans Salesforce" in texts(opened["blocks"]) and decode(opened["private_metadata"]).record == record_id
    assert Action.BACK_TO_LIST in action_ids(opened)

    sales_tab.click({"action_id": Action.BACK_TO_LIST, "type": "button", "value": "back"})
    back = sales_tab.published_after(opened["hash"])
    assert [b["accessory"]["value"] for b in back["blocks"]
            if b.get("accessory", {}).get("action_id") == Action.OPEN_RECORD] == [r["accessory"]["value"] for r in rows]
    info = "/services/data/v62.0/ui-api/object-info/Opportunity"
    assert sales_tab.session.calls.count(info) == 1  # four screens, the object's info read once
    sales_tab.tab.publish(sales_tab.member)  # the member opens the tab again: read afresh
    assert sales_tab.session.calls.count(info) == 2


def test_salesforce_down_then_retry(sales_tab: Tab, sf_sandbox: SalesforceSandbox) -> None:
    sales_tab.tab.publish(sales_tab.member)
    start = sales_tab.home()
    sf_sandbox.faults.add("status", status=503, path="/ui-api/list-records/", times=1)
    sales_tab.click({"action_id": Action.OPEN_LIST, "type": "static_select",
                     "selected_option": {"value": "Opportunity/AllOpportunities"}})
    down = sales_tab.published_after(start["hash"])
    assert "Réessayer" in texts(down["blocks"]) and Action.RETRY in action_ids(down)
    sales_tab.click({"action_id": Action.RETRY, "type": "button", "value": "retry"})
    again = sales_tab.published_after(down["hash"])
    assert Action.OPEN_RECORD in action_ids(again)


def test_an_ended_connection_offers_a_fresh_connect_link(sales_tab: Tab, sf_sandbox: SalesforceSandbox) -> None:
    sf_sandbox.sessions.expire_all()
    sales_tab.tab.publish(sales_tab.member)
    view = sales_tab.home()
    button = next(e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]
                  if e["action_id"] == Action.RECONNECT)
    assert button["url"].startswith(f"{sf_sandbox.info.instance_url}/services/oauth2/authorize")  # type: ignore[union-attr]
    assert button["text"]["text"] == "Se reconnecter"


def test_object_infos_and_list_views_are_kept_a_minute_per_member(sales_tab: Tab) -> None:
    now = [0.0]
    sales_tab.tab.cache = MetadataCache(ttl=60, clock=lambda: now[0])
    info, views = "/ui-api/object-info/Opportunity", "/ui-api/list-info/Opportunity"
    calls = sales_tab.session.calls

    def count(path: str) -> int:
        return sum(1 for c in calls if c.endswith(path))

    sales_tab.tab.publish(sales_tab.member)
    start = sales_tab.home()
    sales_tab.click({"action_id": Action.RETRY, "type": "button", "value": "retry"})
    again = sales_tab.published_after(start["hash"])
    assert (count(info), count(views)) == (1, 1)  # the second screen asked Salesforce nothing about them
    now[0] = 60.0
    sales_tab.click({"action_id": Action.RETRY, "type": "button", "value": "retry"})
    sales_tab.published_after(again["hash"])
    assert (count(info), count(views)) == (2, 2)  # a minute later: read again


def test_a_forged_click_changes_nothing(sales_tab: Tab) -> None:
    sales_tab.tab.publish(sales_tab.member)
    before = sales_tab.home()
    body = urlencode({"payload": json.dumps({"type": "block_actions", "user": {"id": sales_tab.member.user_id},
                                             "actions": [{"action_id": Action.RETRY}], "view": before})})
    response = sales_tab.bolt.dispatch(BoltRequest(body=body, headers={
        "content-type": ["application/x-www-form-urlencoded"], "x-slack-request-timestamp": [str(int(time.time()))],
        "x-slack-signature": ["v0=" + "0" * 64]}))
    assert response.status == 401
    time.sleep(0.5)
    assert sales_tab.home()["hash"] == before["hash"]
