"""The viewer as a Slack client, in headless Chromium (Playwright), against a real Bolt app (``bolt_app.py``).

A person chooses who they are, opens the app's **Sales** Home tab (``app_home_opened`` → the app's
``views.publish``, shown once it arrives), uses its blocks (button → ``views.open`` with the trigger,
link button, select, overflow → ``block_actions``), fills a modal with inputs of every kind (external
select suggestions from ``block_suggestion``), submits (``view_submission`` with Slack's
``view.state.values`` shapes, as the app recorded them), sees ``response_action: errors`` under the
field and Slack's text when the app is too slow, closes a modal (``view_closed``); another person sees
their own Home tab.  Follows the Slack docs "Handling user interaction", the payload references and
"Modals"; one browser for the module.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from saleshome.sandbox.slack.interactivity import TROUBLE
from saleshome.sandbox.slack.ratelimit import RateLimits
from saleshome.sandbox.slack.server import SlackSandbox, SlackSandboxInfo
from tests.browser import ARTIFACTS, launch

from .bolt_app import BoltApp

WAIT_MS = 15_000


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SlackSandbox]:
    """This module's own Slack: in the session's, other tests leave the member's modals open (a modal covers
    the page, as in Slack) and would receive this module's app's events."""
    with SlackSandbox(seed=7, rate_limits=RateLimits(enabled=False)) as sb:
        yield sb


@pytest.fixture(scope="module")
def info(sandbox: SlackSandbox) -> SlackSandboxInfo:
    assert sandbox.info is not None
    return sandbox.info


@pytest.fixture(scope="module")  # not session: a live sync_playwright leaves an event loop running
def browser() -> Iterator[Browser]:
    with launch() as launched:
        yield launched


@pytest.fixture(scope="module")
def bolt(sandbox: SlackSandbox, info: SlackSandboxInfo) -> Iterator[BoltApp]:
    app = BoltApp(info.api_url, info.bot_token, info.signing_secret)
    with app.running():
        sandbox.configure_app(event_url=app.url, interactivity_url=app.url)
        try:
            yield app
        finally:
            sandbox.configure_app(event_url=None, interactivity_url=None)


def _received(bolt: BoltApp, kind: str, count: int) -> None:
    """Wait (bounded) until the app has recorded ``count`` requests of ``kind``."""
    deadline = time.monotonic() + WAIT_MS / 1000
    while len(bolt.got(kind)) < count:
        assert time.monotonic() < deadline, f"the app received {len(bolt.got(kind))} {kind}, expected {count}"
        time.sleep(0.05)


def _people(sandbox: SlackSandbox, info: SlackSandboxInfo) -> tuple[str, str]:
    member = sandbox.world.tokens[info.member_token].user_id
    admin = sandbox.world.tokens[info.admin_token].user_id
    return member, admin


@pytest.fixture()
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport={"width": 1200, "height": 900})
    yield ctx
    ctx.close()


def _sign_in(page: Page, info: SlackSandboxInfo, user_id: str) -> None:
    page.goto(f"{info.viewer_url}client", wait_until="load", timeout=30_000)
    expect(page.get_by_role("heading", name="Who are you?")).to_be_visible()
    page.select_option("#who", user_id)
    page.get_by_role("button", name="Sign in").click()


def _open_home(page: Page, sandbox: SlackSandbox, user_id: str) -> None:
    page.get_by_role("link", name="Sales", exact=True).click()
    name = sandbox.world.users[user_id].profile.real_name
    expect(page.locator("#home h3.b-header")).to_have_text(f"Sales for {name}", timeout=WAIT_MS)


def test_a_member_uses_the_home_tab_and_a_modal(
    browser: Browser, context: BrowserContext, bolt: BoltApp, sandbox: SlackSandbox, info: SlackSandboxInfo
) -> None:
    member, _ = _people(sandbox, info)
    sandbox.world.users[member].tz = "Europe/Paris"  # the module's own Slack: date-times shown in Paris time
    page = context.new_page()
    _sign_in(page, info, member)
    expect(page.locator("#me")).to_have_text(sandbox.world.users[member].profile.real_name)
    _open_home(page, sandbox, member)
    assert [e["user"] for e in bolt.got("app_home_opened")][-1] == member
    assert context.cookies()[0]["name"] == "sandbox_slack_user"

    home = page.locator("#home")
    intro = home.locator('[data-block-id="intro"]')
    expect(intro.locator(".b-text strong")).to_have_text("pipeline")
    expect(intro).to_contain_text("<b>today</b> & tomorrow")  # mrkdwn entities decoded, HTML shown as text
    expect(intro.locator(".b-fields")).to_contain_text("$42,000")
    expect(home.locator(".b-context")).to_have_text("Updated just now")
    expect(home.locator("hr.b-divider")).to_have_count(1)
    expect(home.get_by_text("pipeline chart")).to_be_visible()
    link = home.get_by_role("link", name="Open Salesforce")
    expect(link).to_have_attribute("href", "https://example.com/salesforce")
    expect(link).to_have_attribute("target", "_blank")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "slack-client-home.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000

    # a select in an actions block, an overflow menu in a section accessory, a link button
    home.locator('[data-action="stage_filter"]').select_option("negotiation")
    _received(bolt, "stage_filter", 1)
    action = bolt.got("stage_filter")[0]["actions"][0]
    assert action["type"] == "static_select" and action["block_id"] == "home_actions"
    assert action["selected_option"] == {"text": {"type": "plain_text", "text": "Negotiation"}, "value": "negotiation"}
    intro.locator('[data-action="more"]').select_option("help")
    _received(bolt, "more", 1)
    assert bolt.got("more")[0]["actions"][0]["selected_option"]["value"] == "help"
    with context.expect_page() as opened:
        link.click()
    opened.value.close()
    _received(bolt, "open_sf", 1)
    assert bolt.got("open_sf")[0]["actions"][0]["url"] == "https://example.com/salesforce"

    # the button opens a modal; an errors answer shows under its field
    home.get_by_role("button", name="New deal").click()
    modal = page.get_by_role("dialog", name="New deal")
    expect(modal).to_be_visible(timeout=WAIT_MS)
    assert bolt.got("new_deal")[0]["actions"][0]["value"] == "nd"
    modal.get_by_label("Deal name").fill("Taken")
    modal.get_by_label("Notes").fill("line one\nline two")
    modal.get_by_label("Amount").fill("1250.50")
    modal.get_by_label("Close date").fill("2026-03-31")
    next_call = modal.get_by_label("Next call")  # initial_date_time 1628633820: 2021-08-10 22:17 UTC
    expect(next_call).to_have_value("2021-08-11T00:17")  # in the member's Slack time zone, Paris (summer)
    next_call.fill("2026-01-15T10:00")
    modal.get_by_label("Stage").select_option("closed_won")
    modal.get_by_label("Account").press_sequentially("north", delay=30)
    suggestions = modal.locator(".b-suggestions").get_by_role("option")
    expect(suggestions).to_have_text(["Northwind Traders", "Northwind Health"], timeout=WAIT_MS)
    assert bolt.got("block_suggestion")[-1]["value"] in ("no", "nor", "nort", "north")
    suggestions.filter(has_text="Northwind Health").click()
    modal.get_by_label("Strategic").check()
    owner = sandbox.world.users[member]
    modal.get_by_label("Owner").select_option(owner.id)
    modal.get_by_role("button", name="Save").click()
    expect(modal.locator('[data-error-for="name_block"]')).to_have_text(
        "A deal named Taken already exists", timeout=WAIT_MS
    )
    values = bolt.got("view_submission")[-1]["view"]["state"]["values"]
    assert values["name_block"]["name"] == {"type": "plain_text_input", "value": "Taken"}
    assert values["notes_block"]["notes"] == {"type": "plain_text_input", "value": "line one\nline two"}
    assert values["amount_block"]["amount"] == {"type": "number_input", "value": "1250.50"}
    assert values["close_block"]["close_date"] == {"type": "datepicker", "selected_date": "2026-03-31"}
    assert values["call_block"]["next_call"] == {  # 10:00 in Paris in winter is 09:00 UTC
        "type": "datetimepicker", "selected_date_time": int(datetime(2026, 1, 15, 9, 0, tzinfo=UTC).timestamp())}
    assert values["stage_block"]["stage"] == {
        "type": "static_select",
        "selected_option": {"text": {"type": "plain_text", "text": "Closed Won"}, "value": "closed_won"},
    }
    assert values["account_block"]["account"]["selected_option"]["value"] == "acc-1"
    assert values["flags_block"]["flags"]["selected_options"] == [
        {"text": {"type": "plain_text", "text": "Strategic"}, "value": "strategic"}
    ]
    assert values["owner_block"]["owner"] == {"type": "users_select", "selected_user": owner.id}

    # the client's own checks: nothing is sent
    sent = len(bolt.got("view_submission"))
    modal.get_by_label("Deal name").fill("ab")
    modal.get_by_role("button", name="Save").click()
    expect(modal.locator('[data-error-for="name_block"]')).to_have_text("Please enter at least 3 characters.")
    assert len(bolt.got("view_submission")) == sent

    # too slow: Slack's text, the modal stays
    modal.get_by_label("Deal name").fill("Slow")
    modal.get_by_role("button", name="Save").click()
    expect(modal.locator(".modal-error")).to_have_text(TROUBLE, timeout=WAIT_MS)
    expect(modal).to_be_visible()

    # a good submission closes the modal; the app republishes the Home tab
    modal.get_by_label("Deal name").fill("Northwind renewal")
    modal.get_by_role("button", name="Save").click()
    expect(modal).to_be_hidden(timeout=WAIT_MS)
    expect(home.locator('[data-block-id="saved"]')).to_have_text("Saved: Northwind renewal", timeout=WAIT_MS)

    # closing a modal that asked notify_on_close sends view_closed
    home.get_by_role("button", name="New deal").click()
    expect(modal).to_be_visible(timeout=WAIT_MS)
    modal.get_by_role("button", name="Cancel").click()
    expect(modal).to_be_hidden(timeout=WAIT_MS)
    _received(bolt, "view_closed", 1)
    assert bolt.got("view_closed")[0]["view"]["callback_id"] == "deal"


def test_another_person_sees_their_own_home_tab(
    browser: Browser, context: BrowserContext, bolt: BoltApp, sandbox: SlackSandbox, info: SlackSandboxInfo
) -> None:
    member, admin = _people(sandbox, info)
    page = context.new_page()
    _sign_in(page, info, admin)
    _open_home(page, sandbox, admin)
    expect(page.locator("#home")).not_to_contain_text(sandbox.world.users[member].profile.real_name)
    expect(page.locator('#home [data-block-id="saved"]')).to_have_count(0)  # the member's save is theirs only
    assert re.search(r"/client/apps/sales$", page.url)


def test_a_button_in_a_message_sends_block_actions_and_the_update_shows(
    browser: Browser, context: BrowserContext, bolt: BoltApp, sandbox: SlackSandbox, info: SlackSandboxInfo
) -> None:
    member, _ = _people(sandbox, info)
    channel = sandbox.channel_id("deals-won")
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "Discount for *Northwind*?"}},
        {"type": "actions", "block_id": "decide", "elements": [
            {"type": "button", "action_id": "approve", "text": {"type": "plain_text", "text": "Approve"},
             "value": "opp-42", "style": "primary"}]},
    ]
    ts = bolt.client.chat_postMessage(channel=channel, text="Discount?", blocks=blocks)["ts"]
    page = context.new_page()
    _sign_in(page, info, member)
    page.get_by_role("link", name="# deals-won").click()
    message = page.locator(f'article.msg[data-ts="{ts}"]')
    message.get_by_role("button", name="Approve").click()
    expect(message).to_contain_text(f"Approved by @{sandbox.world.users[member].profile.display_name}", timeout=WAIT_MS)
    got = bolt.got("approve")[-1]
    assert got["container"] == {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": False}
    assert got["actions"][0]["value"] == "opp-42" and got["actions"][0]["block_id"] == "decide"
    assert got["user"]["id"] == member
