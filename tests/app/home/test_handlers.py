"""The Sales tab's Bolt handlers: signed ``block_actions`` dispatched to a Bolt app as Slack sends them (form-encoded
``payload=``, ``X-Slack-Signature``), acknowledged at once, then Salesforce read as the member and the Home tab
published to the Slack sandbox.

The Sales tab's services read the control store (the admins' settings of org ``acme``) and the member's session
through the one UI API client (``saleshome.salesforce.ui_api.UiApi``, as the app's ``ConnectedSession.ui_api``
gives it); the session is one on the Salesforce sandbox with a token issued to the member (the OAuth connection
itself is the core's, tested there).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from saleshome.app.home import Action, Member, MemberUiApi, OrgView, decode, publish_home, register
from saleshome.app.home.cache import MetadataCache
from saleshome.config import Settings
from saleshome.sandbox.salesforce.access import access_for
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.settings.store import load_org_settings
from saleshome.warehouse.control import ControlDB, control_db
from tests.app.home.blockkit import action_ids, texts
from tests.app.home.sessions import SandboxSession
from tests.fixtures.sandboxes import sandbox_session

pytestmark = [pytest.mark.integration]

ALIAS = "acme"
WAIT = 20.0  # seconds a lazy listener gets to publish (bounded polling)


@dataclass
class Services:
    """:class:`saleshome.app.home.HomeServices` for one member connected to ``acme``."""

    control: ControlDB
    session: SandboxSession
    member_id: str
    reconnects: list[str] = field(default_factory=list)

    def member(self, user_id: str) -> Member:
        return Member(user_id, "fr-FR", "Europe/Paris")

    def orgs(self, user_id: str) -> list[OrgView]:
        return [OrgView(ALIAS, "Acme", self.session.instance_url, load_org_settings(self.control, ALIAS), "USD")]

    def ui_api(self, user_id: str, alias: str) -> MemberUiApi:
        assert (user_id, alias) == (self.member_id, ALIAS)
        return self.session.ui_api()

    def reconnect(self, user_id: str, client: WebClient) -> None:
        self.reconnects.append(user_id)


class CountingReaders(ThreadPoolExecutor):
    """The app's reading threads (a real pool), counting the calls handed to them and the threads they run on."""

    def __init__(self) -> None:
        super().__init__(4, "app-readers")
        self.submitted = 0
        self.threads: set[str] = set()
        self._count = threading.Lock()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        def noted() -> Any:
            with self._count:
                self.threads.add(threading.current_thread().name)
            return fn(*args, **kwargs)

        with self._count:
            self.submitted += 1
        return super().submit(noted)


@dataclass
class Tab:
    bolt: App
    services: Services
    client: WebClient
    slack: SlackSandbox
    session: SandboxSession
    clock: list[float]  # the cache's clock: [seconds]
    cache: MetadataCache  # the app's one cache: its clicks and app_home_opened share it
    readers: CountingReaders  # the app's reading threads, shared likewise

    @property
    def user(self) -> str:
        return self.services.member_id

    def open(self) -> None:
        """The member opens their tab (what the core does on ``app_home_opened``, with the app's cache)."""
        publish_home(self.client, self.services, self.user, decode(None), cache=self.cache, readers=self.readers)

    def home(self) -> dict[str, Any]:
        """The member's Home tab as the Slack sandbox holds it (id, hash, blocks, private_metadata)."""
        assert self.slack.api is not None
        store = self.slack.api.views
        with self.slack.api.lock:
            stored = store.views[store.home[self.user]]
            return {"id": stored.id, "hash": stored.hash, **stored.view}

    def click(self, action: dict[str, Any]) -> float:
        """Send ``action`` from the current Home tab as Slack does; the seconds until Bolt answered."""
        view = self.home()
        payload = {"type": "block_actions", "user": {"id": self.user, "team_id": "T1"},
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
    session = next(s for s in sessions  # a rep who owns opportunities
                   if s.ui_api().list_records("Opportunity", "AllOpportunities", page_size=1).records)
    session.calls.clear()
    client = WebClient(token=slack_sandbox.info.bot_token, base_url=slack_sandbox.info.api_url, timeout=10)
    services = Services(control_db(home), session, people.member)
    bolt = App(client=client, signing_secret=slack_sandbox.info.signing_secret, process_before_response=False,
               request_verification_enabled=True, token_verification_enabled=False)
    now = [0.0]
    cache = MetadataCache(ttl=60, clock=lambda: now[0])
    readers = CountingReaders()
    register(bolt, services, cache, readers)
    yield Tab(bolt, services, client, slack_sandbox, session, now, cache, readers)
    sf_sandbox.faults.clear()
    readers.shutdown()


def test_acting_in_the_tab_acks_at_once_then_publishes_what_the_member_asked_for(
        sales_tab: Tab, sf_sandbox: SalesforceSandbox) -> None:
    sales_tab.open()
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
    assert sales_tab.session.calls.count(info) == 1  # four screens: read when opened, then kept


def test_salesforce_down_then_retry(sales_tab: Tab, sf_sandbox: SalesforceSandbox) -> None:
    sales_tab.open()
    start = sales_tab.home()
    sf_sandbox.faults.add("status", status=503, path="/ui-api/list-records/", times=1)
    sales_tab.click({"action_id": Action.OPEN_LIST, "type": "static_select",
                     "selected_option": {"value": "Opportunity/AllOpportunities"}})
    down = sales_tab.published_after(start["hash"])
    assert "Réessayer" in texts(down["blocks"]) and Action.RETRY in action_ids(down)
    sales_tab.click({"action_id": Action.RETRY, "type": "button", "value": "retry"})
    again = sales_tab.published_after(down["hash"])
    assert Action.OPEN_RECORD in action_ids(again)


def test_an_ended_connection_offers_to_reconnect(sales_tab: Tab, sf_sandbox: SalesforceSandbox) -> None:
    sf_sandbox.sessions.expire_all()
    sales_tab.open()
    view = sales_tab.home()
    button = next(e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]
                  if e["action_id"] == Action.RECONNECT)
    assert button["text"]["text"] == "Se reconnecter"
    sales_tab.click({"action_id": Action.RECONNECT, "type": "button", "value": "reconnect"})
    deadline = time.monotonic() + WAIT
    while not sales_tab.services.reconnects and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sales_tab.services.reconnects == [sales_tab.user]  # the core's connect screen takes over


def test_metadata_is_kept_a_minute_across_opens_and_clicks_records_never(sales_tab: Tab) -> None:
    info, views = "/ui-api/object-info/Opportunity", "/ui-api/list-info/Opportunity"
    calls = sales_tab.session.calls

    def count(path: str) -> int:
        return sum(1 for c in calls if c.endswith(path))

    def list_reads() -> tuple[int, int]:  # (the open list's info, its pages of records)
        nav = decode(sales_tab.home()["private_metadata"])
        return (count(f"/ui-api/list-info/{nav.object}/{nav.list}"), count(f"/ui-api/list-records/{nav.object}/{nav.list}"))

    sales_tab.open()
    start = sales_tab.home()
    assert (count(info), count(views)) == (1, 1) and list_reads() == (1, 1)
    sales_tab.click({"action_id": Action.RETRY, "type": "button", "value": "retry"})
    first = sales_tab.published_after(start["hash"])
    sales_tab.open()  # opening the tab again within the minute: the metadata is kept, the records read again
    second = sales_tab.published_after(first["hash"])
    assert (count(info), count(views)) == (1, 1) and list_reads() == (1, 3)
    sales_tab.clock[0] = 60.0
    sales_tab.click({"action_id": Action.RETRY, "type": "button", "value": "retry"})
    sales_tab.published_after(second["hash"])
    assert (count(info), count(views)) == (2, 2) and list_reads() == (2, 4)  # a minute later: read again


def test_screens_read_on_the_apps_threads_not_threads_of_their_own(sales_tab: Tab) -> None:
    sales_tab.open()
    start = sales_tab.home()
    opened = sales_tab.readers.submitted
    assert opened >= 2  # each object's info and list views, the list's info: asked at once, on the app's threads
    sales_tab.click({"action_id": Action.RETRY, "type": "button", "value": "retry"})
    sales_tab.published_after(start["hash"])
    assert sales_tab.readers.submitted >= 2 * opened  # a click's screen too
    assert sales_tab.readers.threads and all(name.startswith("app-readers") for name in sales_tab.readers.threads)


def test_a_forged_click_changes_nothing(sales_tab: Tab) -> None:
    sales_tab.open()
    before = sales_tab.home()
    body = urlencode({"payload": json.dumps({"type": "block_actions", "user": {"id": sales_tab.user},
                                             "actions": [{"action_id": Action.RETRY}], "view": before})})
    response = sales_tab.bolt.dispatch(BoltRequest(body=body, headers={
        "content-type": ["application/x-www-form-urlencoded"], "x-slack-request-timestamp": [str(int(time.time()))],
        "x-slack-signature": ["v0=" + "0" * 64]}))
    assert response.status == 401
    time.sleep(0.5)
    assert sales_tab.home()["hash"] == before["hash"]
