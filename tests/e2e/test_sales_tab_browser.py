"""The member's Sales tab, end to end in a browser: the Slack sandbox's viewer as the Slack client (headless
Chromium, Playwright), the real app (``saleshome app serve`` in a subprocess, ``tests/fixtures/app.py``) as the
Slack sandbox's request URLs, and the Salesforce sandbox's login and consent pages.

Issue 19, section 6:

- a member connects Salesforce from the Home tab (the link opens the sandbox's login page in a new tab; they log in
  and allow), comes back, sees their lists, pages a list and opens a record;
- a rep sees fewer opportunities than their manager, who sees fewer than the integration user, and never a field
  field-level security hides from them (its label appears on the manager's record page, never on the rep's);
- a member without the "Slack Sales Home User" permission set sees the access screen and nothing to click;
- a forged request (bad signature) and a replayed one (signed 6 minutes ago) change nothing: 401, the Home tab the
  viewer shows is the same view (same hash), nothing is stored, the member stays connected;
- Slack's retry of an event is processed once: the sandbox's own retry after a slow answer (the app process is
  paused past Slack's 3-second window) and the same ``event_id`` re-sent with ``X-Slack-Retry-Num``;
- an ``app_home_opened`` handled after the member's next click (it carries the view they were shown) never
  overwrites the newer screen (``views.publish`` with that ``hash``: ``hash_conflict``);
- an app stopped (SIGTERM) while it works on an event it acknowledged still publishes (Slack never resends it).

What a member may see is asked of Salesforce itself with the member's own token (SOQL ``COUNT()``); the
integration user's count is the whole table.  ``views.publish`` calls are counted with an armed, never-firing
fault of the Slack sandbox (its ``seen`` counter); waits are bounded (:data:`WAIT_MS`), and the app is stopped
(SIGTERM: its listener threads finish) before anything is counted.  One browser for the module; screenshots go
to ``tests/artifacts/``.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Locator, Page, ViewportSize, expect

from saleshome.app.home import Action
from saleshome.app.tokens import TokenCipher
from saleshome.sandbox.salesforce.access import access_for
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from saleshome.sandbox.slack.faults import Fault
from saleshome.sandbox.slack.server import SlackSandbox
from tests.browser import ARTIFACTS, launch
from tests.fixtures.app import (  # the app's fixture and helpers: one way to start and sign for it
    CONNECT_SCREEN,
    NO_ACCESS_SCREEN,
    AppServer,
    MemberHome,
    event_body,
    member_home,
    post_event,
    signed,
    start_app,
    wait_for,
)
from tests.fixtures.sandboxes import sandbox_session
from tests.fixtures.workspace import ALIAS
from tests.sandbox.salesforce.members import logins, register_callback

__all__ = ["member_home"]  # the fixture, imported to be used here

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

WAIT_MS = 20_000
VIEWPORT: ViewportSize = {"width": 1100, "height": 900}
HIDDEN_FROM_REPS = "Expected Revenue"  # Opportunity.ExpectedRevenue: hidden from reps without Sales Analytics


@pytest.fixture(scope="module")  # not session: a live sync_playwright leaves an event loop running
def browser() -> Iterator[Browser]:
    with launch() as launched:
        yield launched


@pytest.fixture()
def app(member_home: MemberHome, slack_sandbox: SlackSandbox, sf_sandbox: SalesforceSandbox,
        tmp_path: Path) -> Iterator[AppServer]:
    """The app process, set as the Slack sandbox's request URLs and as the connected app's callback."""
    assert sf_sandbox.info is not None
    server = start_app(tmp_path)
    try:
        register_callback(sf_sandbox.info, server.urls["oauth_callback"])
        slack_sandbox.configure_app(event_url=server.urls["events"], interactivity_url=server.urls["interactivity"])
        yield server
    finally:
        slack_sandbox.faults.clear()
        sf_sandbox.faults.clear()
        slack_sandbox.configure_app(event_url=None, interactivity_url=None)
        server.stop()


@pytest.fixture()
def context(browser: Browser) -> Iterator[BrowserContext]:
    """One person's browser (their Slack cookie, their Salesforce session); the sandbox's certificate is its own."""
    ctx = browser.new_context(viewport=VIEWPORT, ignore_https_errors=True)
    yield ctx
    ctx.close()


# ----------------------------------------------------------------------------------------------- who is who
def mapped(home: MemberHome, *, sales_home_user: bool = True) -> dict[str, str]:
    """Salesforce user id (15 characters) → Slack user id, for users the user map matched."""
    rows = home.control.rows("SELECT slack_user_id, sf_user_id FROM user_map WHERE alias = ? AND status = 'matched' "
                             "AND sales_home_user = ? ORDER BY slack_user_id", [ALIAS, sales_home_user])
    return {str(r["sf_user_id"])[:15]: str(r["slack_user_id"]) for r in rows}


def members(sf_sandbox: SalesforceSandbox, home: MemberHome) -> list[dict[str, Any]]:
    """The sandbox's logins of Sales Home users who are in Slack, each with ``slack_user_id``."""
    assert sf_sandbox.info is not None
    users = mapped(home)
    return [{**entry, "slack_user_id": users[entry["user_id"][:15]]} for entry in logins(sf_sandbox.info)
            if entry["active"] and entry["user_id"][:15] in users]


def owners_seen(sf_sandbox: SalesforceSandbox, member: dict[str, Any]) -> frozenset[str]:
    """Whose opportunities the member's role lets them see (the sandbox's role hierarchy): to choose members."""
    assert sf_sandbox.store is not None
    return frozenset(access_for(sf_sandbox.store, member["user_id"]).visible_owner_ids)


def owned_by(sf_sandbox: SalesforceSandbox, owners: frozenset[str]) -> int:
    assert sf_sandbox.store is not None
    return sum(1 for r in sf_sandbox.store.read('SELECT "OwnerId" FROM "Opportunity"').to_pylist()
               if r["OwnerId"] in owners)


def opportunities_as(home: MemberHome, sf_sandbox: SalesforceSandbox, user: str) -> int:
    """How many opportunities Salesforce lets the member see: ``SELECT COUNT()`` with their own (decrypted) token."""
    assert sf_sandbox.info is not None
    row = home.control.rows("SELECT access_token FROM member_connections WHERE slack_user_id = ? AND alias = ?",
                            [user, ALIAS])
    assert row, f"{user} is not connected"
    token = TokenCipher([home.key]).decrypt(str(row[0]["access_token"]))
    answer = sandbox_session(sf_sandbox.info.ca_file).get(
        f"{sf_sandbox.info.instance_url}/services/data/v62.0/query", params={"q": "SELECT COUNT() FROM Opportunity"},
        headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["totalSize"])


def all_opportunities(sf_sandbox: SalesforceSandbox) -> int:
    """What the integration user sees (View All Data): every opportunity."""
    assert sf_sandbox.store is not None
    return len(sf_sandbox.store.read('SELECT "Id" FROM "Opportunity"').to_pylist())


# ----------------------------------------------------------------------------------------------- the client
def sign_in(page: Page, slack: SlackSandbox, user: str) -> None:
    """Choose who you are; the client then opens the app's Sales Home tab (``app_home_opened``).  Returns once the
    tab shows what this app published (the folder's Slack sandbox still holds what an earlier test's app did)."""
    assert slack.info is not None
    earlier = held_home(slack, user)["hash"] if slack.home_view(user) is not None else ""
    page.goto(f"{slack.info.viewer_url}client", wait_until="load", timeout=30_000)
    page.select_option("#who", user)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#me")).to_have_text(slack.world.users[user].profile.real_name)
    expect(page.locator("#home")).not_to_have_attribute("data-version", earlier, timeout=WAIT_MS)
    expect(page.locator("#home .b-header").first).to_be_visible()


def open_sales(page: Page) -> None:
    """Open the app's Sales Home tab (``app_home_opened``)."""
    page.get_by_role("link", name="Sales", exact=True).click()


def connect_in_browser(page: Page, context: BrowserContext, login: dict[str, Any]) -> None:
    """Click "Connect Salesforce" (a new tab: the sandbox's login page), log in, allow, see the app's page."""
    home = page.locator("#home")
    link = home.get_by_role("link", name="Connect Salesforce")
    expect(link).to_be_visible(timeout=WAIT_MS)
    with context.expect_page() as opened:
        link.click()
    salesforce = opened.value
    salesforce.get_by_label("Username").fill(login["username"], timeout=WAIT_MS)
    salesforce.get_by_label("Password").fill(login["password"])
    salesforce.get_by_role("button", name="Log In").click()
    done = salesforce.get_by_role("heading", name="Salesforce is connected")
    allow = salesforce.get_by_role("button", name="Allow")
    expect(allow.or_(done)).to_be_visible(timeout=WAIT_MS)
    if allow.is_visible():  # asked once per user: an earlier test of the folder may have allowed already
        allow.click()
    expect(done).to_be_visible(timeout=WAIT_MS)
    salesforce.close()
    page.bring_to_front()
    # back in Slack: the app published the Sales tab after the callback, and the client (still watching since
    # the click) shows it; opening the tab again now would race that event's publish against the clicks below
    expect(list_menus(page).first).to_be_visible(timeout=WAIT_MS)


def list_menus(page: Page) -> Locator:
    """The Sales tab's list menus (one per object the admins chose)."""
    return page.locator(f'#home select[data-action="{Action.OPEN_LIST}"]')


def open_list(page: Page, value: str, label: str) -> None:
    """Choose list ``value`` (``Object/ListViewApiName``) in its object's menu; its name shows as ``label``."""
    list_menus(page).and_(page.locator(f'select:has(option[value="{value}"])')).select_option(value)
    expect(page.locator('#home [data-block-id="sales_home_list"]')).to_have_text(label, timeout=WAIT_MS)


def record_count(page: Page) -> int:
    """Every record of the open list, paging with "Next" (at most 20 pages)."""
    home = page.locator("#home")
    count = 0
    for number in range(20):
        count += home.get_by_role("button", name="Open", exact=True).count()
        following = home.get_by_role("button", name="Next", exact=True)
        if not following.count():
            return count
        following.click()
        expect(home.locator(".b-context").first).to_contain_text(f"Records {(number + 1) * 25 + 1}–",
                                                                 timeout=WAIT_MS)
    raise AssertionError("more than 20 pages")


def home_view_id(slack: SlackSandbox, user: str) -> str:
    """The id of the member's Home tab as Slack holds it."""
    return str(held_home(slack, user)["id"])


def held_home(slack: SlackSandbox, user: str) -> dict[str, Any]:
    """The member's Home tab as Slack holds it and puts it in events: the view, its ``id`` and ``hash``."""
    assert slack.api is not None
    with slack.api.lock:
        stored = slack.api.views.views.get(slack.api.views.home.get(user, ""))
        assert stored is not None, f"{user} has no Home tab"
        return {**stored.view, "id": stored.id, "hash": stored.hash}


def surface(slack: SlackSandbox, context: BrowserContext) -> dict[str, Any]:
    """What the viewer shows the person of ``context`` (their Home tab, with the view's hash)."""
    assert slack.info is not None
    answer = context.request.get(f"{slack.info.viewer_url}client/api/surface")
    assert answer.ok, answer.text()
    return answer.json()  # type: ignore[no-any-return]


def count_publishes(slack: SlackSandbox) -> Fault:
    """A fault on ``views.publish`` that never fires: its ``seen`` counts the calls from now on."""
    return slack.faults.add("error", "views.publish", after=1_000_000)


def shot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))  # the viewport: the client's sidebar and the top of the tab
    assert path.stat().st_size > 10_000
    return path


# ----------------------------------------------------------------------------------------------- scenarios
def test_a_member_connects_in_the_browser_sees_their_lists_pages_one_and_opens_a_record(
        browser: Browser, context: BrowserContext, app: AppServer, member_home: MemberHome,
        slack_sandbox: SlackSandbox, sf_sandbox: SalesforceSandbox) -> None:
    total = all_opportunities(sf_sandbox)
    candidates = [m for m in members(sf_sandbox, member_home) if m["profile"] == "Sales Manager"
                  and 25 < owned_by(sf_sandbox, owners_seen(sf_sandbox, m)) < total]
    assert candidates, "the seed has no sales manager in Slack with Sales Home who sees more than a page"
    member = candidates[0]
    user = member["slack_user_id"]
    page = context.new_page()
    sign_in(page, slack_sandbox, user)
    home = page.locator("#home")
    expect(home).to_contain_text("Connect your Salesforce account", timeout=WAIT_MS)
    assert (slack_sandbox.home_view(user) or {}).get("callback_id") == CONNECT_SCREEN

    connect_in_browser(page, context, member)  # back in Slack: the Sales tab, read as the member
    offered = list_menus(page).locator("option").evaluate_all("os => os.map(o => o.value)")
    assert {"Account/AllAccounts", "Opportunity/AllOpportunities"} <= set(offered)
    expect(home).not_to_contain_text("Connect your Salesforce account")

    seen = opportunities_as(member_home, sf_sandbox, user)
    assert 25 < seen < total, (seen, total)  # more than a page; not everything
    open_list(page, "Opportunity/AllOpportunities", "All Opportunities")
    context_line = home.locator(".b-context").first
    expect(context_line).to_contain_text("Records 1–25")
    opens = home.get_by_role("button", name="Open", exact=True)
    expect(opens).to_have_count(25)
    first_page = opens.evaluate_all("bs => bs.map(b => b.dataset.value)")
    shot(page, "sales-tab-list.png")

    home.get_by_role("button", name="Next", exact=True).click()
    expect(context_line).to_contain_text("Records 26–", timeout=WAIT_MS)
    second_page = opens.evaluate_all("bs => bs.map(b => b.dataset.value)")
    assert second_page and not set(second_page) & set(first_page)
    expect(home.get_by_role("button", name="Previous", exact=True)).to_be_visible()

    rows = home.locator(".b-section").filter(has=page.get_by_role("button", name="Open", exact=True))
    name = rows.first.locator(".b-text strong").first.inner_text()
    opens.first.click()
    view_in_salesforce = home.get_by_role("link", name="View in Salesforce")
    expect(view_in_salesforce).to_be_visible(timeout=WAIT_MS)
    assert sf_sandbox.info is not None
    expect(view_in_salesforce).to_have_attribute("href", f"{sf_sandbox.info.instance_url}/{second_page[0]}",
                                                 ignore_case=True)
    expect(home.locator("h3.b-header")).to_have_text(["Sales", name])
    expect(home).to_contain_text("Opportunity Information")
    expect(home).to_contain_text(HIDDEN_FROM_REPS)  # a manager reads the weighted amount
    shot(page, "sales-tab-record.png")
    home.get_by_role("button", name="Back to the list").click()
    expect(context_line).to_contain_text("Records 26–", timeout=WAIT_MS)


def test_a_rep_sees_fewer_records_than_their_manager_and_never_a_hidden_field(
        browser: Browser, app: AppServer, member_home: MemberHome, slack_sandbox: SlackSandbox,
        sf_sandbox: SalesforceSandbox) -> None:
    people = members(sf_sandbox, member_home)
    total = all_opportunities(sf_sandbox)
    pairs = sorted((((owned_by(sf_sandbox, owners_seen(sf_sandbox, mgr)), rep["user_id"], mgr["user_id"]), rep, mgr)
                   for rep in people for mgr in people
                   if rep["profile"] == "Standard User" and "Sales_Analytics" not in rep["permission_sets"]
                   and mgr["profile"] == "Sales Manager" and owned_by(sf_sandbox, owners_seen(sf_sandbox, rep))
                   and owners_seen(sf_sandbox, rep) < owners_seen(sf_sandbox, mgr)), key=lambda pair: pair[0])
    assert pairs, "the seed lacks a rep without Sales Analytics and their manager, in Slack with Sales Home"
    _, rep, manager = pairs[0]  # the smallest team: the fewest pages to count
    counted: dict[str, int] = {}
    opened: dict[str, str] = {}
    for who, member in (("rep", rep), ("manager", manager)):
        ctx = browser.new_context(viewport=VIEWPORT, ignore_https_errors=True)
        try:
            page = ctx.new_page()
            user = member["slack_user_id"]
            sign_in(page, slack_sandbox, user)
            connect_in_browser(page, ctx, member)
            home = page.locator("#home")
            open_list(page, "Opportunity/AllOpportunities", "All Opportunities")
            counted[who] = record_count(page)
            assert counted[who] == opportunities_as(member_home, sf_sandbox, user)  # as Salesforce says for them
            home.get_by_role("button", name="Open", exact=True).first.click()
            expect(home.get_by_role("link", name="View in Salesforce")).to_be_visible(timeout=WAIT_MS)
            expect(home).to_contain_text("Opportunity Information")
            opened[who] = home.inner_text()
            page.screenshot(path=str(ARTIFACTS / f"sales-tab-{who}.png"), full_page=True)
        finally:
            ctx.close()
    assert 0 < counted["rep"] < counted["manager"] < total, (counted, total)
    assert HIDDEN_FROM_REPS not in opened["rep"]
    assert HIDDEN_FROM_REPS in opened["manager"]


def test_a_member_without_the_permission_set_sees_the_access_screen_and_nothing_else(
        context: BrowserContext, app: AppServer, member_home: MemberHome, slack_sandbox: SlackSandbox) -> None:
    without = sorted(mapped(member_home, sales_home_user=False).values())
    assert without, "the seed maps no Salesforce user without Sales Home to Slack"
    page = context.new_page()
    sign_in(page, slack_sandbox, without[0])
    home = page.locator("#home")
    expect(home).to_contain_text("You do not have access to Sales Home.", timeout=WAIT_MS)
    expect(home).to_contain_text("“Slack Sales Home User” permission set")
    expect(home).to_contain_text("Ask a sales admin")
    for role in ("button", "link", "combobox", "textbox", "checkbox"):
        expect(home.get_by_role(role)).to_have_count(0)  # type: ignore[arg-type]
    expect(home.locator("select")).to_have_count(0)
    assert (slack_sandbox.home_view(without[0]) or {}).get("callback_id") == NO_ACCESS_SCREEN
    assert member_home.control.rows("SELECT * FROM oauth_states WHERE slack_user_id = ?", [without[0]]) == []
    page.screenshot(path=str(ARTIFACTS / "sales-tab-no-access.png"), full_page=True)


def stored(home: MemberHome, user: str) -> dict[str, Any]:
    """What the app keeps about ``user``: events taken, links minted, the connection."""
    return {
        "events": home.control.rows("SELECT event_id FROM app_events ORDER BY event_id"),
        "links": home.control.rows("SELECT state_hash FROM oauth_states WHERE slack_user_id = ? ORDER BY state_hash",
                                   [user]),
        "connection": home.control.rows("SELECT sf_user_id, access_token FROM member_connections "
                                        "WHERE slack_user_id = ?", [user]),
    }


def test_forged_and_replayed_requests_change_nothing(
        context: BrowserContext, app: AppServer, member_home: MemberHome, slack_sandbox: SlackSandbox,
        sf_sandbox: SalesforceSandbox) -> None:
    people = members(sf_sandbox, member_home)
    member = next(m for m in people if m["profile"] == "Standard User")
    user = member["slack_user_id"]
    page = context.new_page()
    sign_in(page, slack_sandbox, user)
    connect_in_browser(page, context, member)
    home = page.locator("#home")
    wait_for(lambda: surface(slack_sandbox, context).get("home"), "the Home tab in the viewer")
    before_view, before_stored = surface(slack_sandbox, context), stored(member_home, user)
    shown = home.get_attribute("data-version"), home.inner_html()
    publishes = count_publishes(slack_sandbox)
    secret = member_home.signing_secret

    opened = event_body(user, "Ev0FORGED0001")
    forged = post_event(app, opened, "0" * 32)  # signed with another secret
    replayed = post_event(app, event_body(user, "Ev0REPLAY0001"), secret, timestamp=int(time.time()) - 6 * 60)
    tampered_headers = {"Content-Type": "application/json", **signed(opened, secret)}
    tampered = requests.post(app.urls["events"], data=opened.replace("home", "messages"), headers=tampered_headers,
                             timeout=30)  # a body changed after signing
    view, view_id = slack_sandbox.home_view(user) or {}, home_view_id(slack_sandbox, user)
    actions: list[dict[str, Any]] = [  # what would change the tab, or end the connection
        {"action_id": Action.OPEN_LIST, "type": "static_select", "block_id": "b",
         "selected_option": {"value": "Opportunity/AllOpportunities"}},
        {"action_id": f"disconnect_salesforce:{ALIAS}", "type": "button", "block_id": "b", "value": ALIAS},
    ]
    answers = [forged, replayed, tampered]
    for action in actions:
        payload = {"type": "block_actions", "user": {"id": user, "team_id": "T0"}, "team": {"id": "T0"},
                   "api_app_id": "A0SALESHOME", "trigger_id": "1.2.3",
                   "container": {"type": "view", "view_id": view_id},
                   "view": {**view, "id": view_id, "state": {"values": {}}},
                   "actions": [{**action, "action_ts": f"{time.time():.6f}"}]}
        body = urlencode({"payload": json.dumps(payload)})
        for headers in (signed(body, "f" * 32), signed(body, secret, timestamp=int(time.time()) - 6 * 60)):
            answers.append(requests.post(app.urls["interactivity"], data=body, timeout=30, headers={
                "Content-Type": "application/x-www-form-urlencoded", **headers}))
    assert [a.status_code for a in answers] == [401] * len(answers), [a.text for a in answers]

    app.stop()  # every piece of work the app accepted has finished
    assert publishes.seen == 0
    assert surface(slack_sandbox, context)["home"] == before_view["home"]  # the same view, the same hash
    assert stored(member_home, user) == before_stored
    slack_sandbox.configure_app(event_url=None)  # the app is gone: reopening the tab shows what Slack holds
    page.reload()
    expect(home.locator(".b-header").first).to_have_text("Sales")
    assert (home.get_attribute("data-version"), home.inner_html()) == shown
    assert "Ev0FORGED0001" not in app.output() and "Ev0REPLAY0001" not in app.output()


def test_slacks_retry_of_an_event_is_not_processed_twice(
        context: BrowserContext, app: AppServer, member_home: MemberHome, slack_sandbox: SlackSandbox,
        sf_sandbox: SalesforceSandbox) -> None:
    user = members(sf_sandbox, member_home)[0]["slack_user_id"]
    page = context.new_page()
    sign_in(page, slack_sandbox, user)
    home = page.locator("#home")
    expect(home.get_by_role("link", name="Connect Salesforce")).to_be_visible(timeout=WAIT_MS)
    known = {a.event_id for a in slack_sandbox.deliveries()}
    links = len(member_home.control.rows("SELECT * FROM oauth_states WHERE slack_user_id = ?", [user]))
    publishes = count_publishes(slack_sandbox)

    # the app is slow: paused past Slack's 3 seconds, Slack retries the same event; then it answers both
    os.kill(app.process.pid, signal.SIGSTOP)
    try:
        open_sales(page)
        retried = wait_for(lambda: [a for a in slack_sandbox.deliveries() if a.event_id not in known
                                    and a.type == "app_home_opened" and a.reason == "http_timeout"],
                           "the first delivery timed out")
    finally:
        os.kill(app.process.pid, signal.SIGCONT)
    event_id = retried[0].event_id
    expect(home.get_by_role("link", name="Connect Salesforce")).to_be_visible(timeout=WAIT_MS)
    attempts = wait_for(lambda: (got := slack_sandbox.deliveries(event_id)) and got[-1].status == 200 and got,
                        "a delivery answered", app=app)
    assert attempts[0].reason == "http_timeout" and len(attempts) >= 2
    shown = surface(slack_sandbox, context)["home"]

    # the same event_id again, as Slack re-sends it
    for retry in (1, 2, 3):
        again = post_event(app, event_body(user, event_id), member_home.signing_secret, retry=retry)
        assert again.status_code == 200, again.text

    app.stop()  # every piece of work the app accepted has finished
    assert publishes.seen == 1  # one views.publish for the event, whatever the deliveries
    assert member_home.control.rows("SELECT event_id FROM app_events WHERE event_id = ?", [event_id]) == [
        {"event_id": event_id}]
    # the Connect screen mints one single-use link each time it is built: one more, not two
    assert len(member_home.control.rows("SELECT * FROM oauth_states WHERE slack_user_id = ?", [user])) == links + 1
    assert surface(slack_sandbox, context)["home"] == shown


def test_a_late_app_home_opened_never_overwrites_the_screen_the_member_moved_to(
        context: BrowserContext, app: AppServer, member_home: MemberHome, slack_sandbox: SlackSandbox,
        sf_sandbox: SalesforceSandbox) -> None:
    """Slack puts the Home tab the member was shown in ``app_home_opened`` (``view``, with its ``hash``); the app
    publishes with that hash, so an opening handled after the member's next click (a slow or retried delivery)
    gets ``hash_conflict`` and the newer screen stays (``views.publish``: "hash ... to protect against possible
    race conditions")."""
    member = next(m for m in members(sf_sandbox, member_home) if m["profile"] == "Standard User")
    user = member["slack_user_id"]
    page = context.new_page()
    sign_in(page, slack_sandbox, user)
    connect_in_browser(page, context, member)
    opened_on = held_home(slack_sandbox, user)  # the tab as the member opened it (the first object's first list)
    open_list(page, "Opportunity/AllOpportunities", "All Opportunities")
    moved_to = surface(slack_sandbox, context)["home"]
    assert moved_to["version"] != opened_on["hash"]
    publishes = count_publishes(slack_sandbox)

    late = json.loads(event_body(user, "Ev0LATE000001"))
    late["event"]["view"] = opened_on  # the opening Slack sent before the click, handled after it
    body = json.dumps(late)
    assert post_event(app, body, member_home.signing_secret).status_code == 200

    app.stop()  # every piece of work the app accepted has finished
    assert publishes.seen == 1, (publishes.seen, app.output())  # it did try, with the hash of the view it was sent
    assert surface(slack_sandbox, context)["home"] == moved_to
    slack_sandbox.configure_app(event_url=None)  # the app is gone: reopening the tab shows what Slack holds
    page.reload()
    expect(page.locator('#home [data-block-id="sales_home_list"]')).to_have_text("All Opportunities")


def test_an_acknowledged_opening_is_published_even_when_the_app_is_stopped_meanwhile(
        context: BrowserContext, app: AppServer, member_home: MemberHome, slack_sandbox: SlackSandbox,
        sf_sandbox: SalesforceSandbox) -> None:
    """Slack never resends an event it got a 200 for: an app stopped (SIGTERM: a deploy) while it reads Salesforce
    for an opening it acknowledged finishes that work and publishes before it ends."""
    member = next(m for m in members(sf_sandbox, member_home) if m["profile"] == "Standard User")
    user = member["slack_user_id"]
    page = context.new_page()
    sign_in(page, slack_sandbox, user)
    connect_in_browser(page, context, member)
    before = surface(slack_sandbox, context)["home"]
    publishes = count_publishes(slack_sandbox)
    slow = sf_sandbox.faults.add("slow", path="/ui-api/list-records/", delay=2.0)

    assert post_event(app, event_body(user, "Ev0STOPPED001"), member_home.signing_secret).status_code == 200
    wait_for(lambda: slow.fired, "the app reading the list as the member", app=app)
    app.stop()
    assert publishes.seen == 1, app.output()
    after = surface(slack_sandbox, context)["home"]
    assert after["version"] != before["version"] and "Records 1–" in after["html"]
