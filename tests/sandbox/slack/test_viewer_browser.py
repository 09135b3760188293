"""The viewer in a real browser: headless Chromium (Debian's ``chromium``) driven by Playwright.

A message with Block Kit (header, section fields, context, divider, button) is posted with
slack-sdk, the viewer's channel page is opened and what Slack would show is checked visible,
then a screenshot is saved under ``tests/artifacts/``.  Follows the Slack API docs "Block Kit"
and "Formatting text for app surfaces".

The browser comes from ``tests/browser.py`` (Debian's ``chromium``, installed by the fixture when
missing).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, expect
from slack_sdk import WebClient

from saleshome.sandbox.slack.server import SlackSandbox, SlackSandboxInfo
from tests.browser import ARTIFACTS, launch


@pytest.fixture(scope="module")  # not session: a live sync_playwright leaves an event loop running
def browser() -> Iterator[Browser]:
    with launch() as launched:
        yield launched


def test_block_kit_message_renders_in_chromium(
    browser: Browser, bot: WebClient, sandbox: SlackSandbox, info: SlackSandboxInfo
) -> None:
    channel = sandbox.channel_id("deals-won")
    owner = sandbox.world.users[sandbox.world.primary_owner_id]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Deal won: Northwind Renewal :trophy:"}},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "*Northwind &amp; Sons* signed a <https://example.com/opp/42|3-year renewal>.",
            },
            "fields": [
                {"type": "mrkdwn", "text": "*Amount*\n$240,000"},
                {"type": "mrkdwn", "text": "*Stage*\nClosed Won"},
                {"type": "mrkdwn", "text": "*Close date*\n2024-06-28"},
                {"type": "mrkdwn", "text": "*Owner*\n_Ana Silva_"},
            ],
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"Shared by <@{owner.id}> · Sales Home"}]},
        {"type": "divider"},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Open in Salesforce"},
                    "url": "https://example.my.salesforce.com/006000000000042",
                    "style": "primary",
                },
                {"type": "button", "text": {"type": "plain_text", "text": "Congratulate"}, "value": "congrats"},
            ],
        },
    ]
    ts = bot.chat_postMessage(channel=channel, text="Deal won: Northwind Renewal", blocks=blocks)["ts"]
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    try:
        page.goto(f"{info.viewer_url}channels/{channel}", wait_until="load", timeout=30_000)
        message = page.locator(f"#m{ts.replace('.', '')}")
        expect(message.locator(".b-header")).to_have_text("Deal won: Northwind Renewal 🏆")
        expect(message.get_by_text("Northwind & Sons")).to_be_visible()
        expect(message.get_by_role("link", name="3-year renewal")).to_have_attribute(
            "href", "https://example.com/opp/42"
        )
        for text in ("$240,000", "Closed Won", "2024-06-28", "Ana Silva"):
            expect(message.locator(".b-fields").get_by_text(text)).to_be_visible()
        expect(message.locator(".b-context")).to_contain_text(f"@{owner.profile.display_name}")
        expect(message.get_by_role("link", name="Open in Salesforce")).to_be_visible()
        expect(message.get_by_text("Congratulate")).to_be_visible()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / "slack-viewer-deal-won.png"
        message.scroll_into_view_if_needed()
        page.screenshot(path=str(shot), full_page=True)
    finally:
        page.close()
    assert shot.exists() and shot.stat().st_size > 10_000


def test_profile_page_in_chromium(
    browser: Browser, admin: WebClient, sandbox: SlackSandbox, info: SlackSandboxInfo
) -> None:
    target = sandbox.world.tokens[info.member_token].user_id
    until = int(sandbox.clock.now()) + 3 * 86400
    admin.users_profile_set(
        user=target,
        profile={"status_text": "Closed Won: Northwind", "status_emoji": ":trophy:", "status_expiration": until},
    )
    page = browser.new_page()
    try:
        page.goto(f"{info.viewer_url}users/{target}", wait_until="load", timeout=30_000)
        expect(page.locator("#status .status-text")).to_have_text("Closed Won: Northwind")
        expect(page.locator("#status .status-expiry")).to_contain_text("until")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / "slack-viewer-profile.png"
        page.screenshot(path=str(shot))
    finally:
        page.close()
    assert shot.stat().st_size > 5_000
