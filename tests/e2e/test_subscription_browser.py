"""A member's own notification, end to end in a browser: the Slack sandbox's viewer as the Slack client (headless
Chromium, Playwright), the real app (``saleshome app serve``), the Salesforce sandbox, the normal pipeline.

Issue 20, section 3: a member who reads Slack in French subscribes to "stage changed on my deals" from the Sales tab
(Mes notifications → Nouvelle notification; the template chosen in the modal reshapes it, ``dispatch_action``; the
defaults: records they own, a DM at once) and, after the next scheduled sync, gets one DM, in French, about their
deal, and none about someone else's.  The sales admin allowed the template for members
(``saleshome notifications member-templates allow``).

The DM is read back with ``conversations.history`` of the app's DM with the member, with
the messages' metadata; which notification and record it told comes from the control store's event of that key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, expect
from slack_sdk import WebClient

from saleshome.app.subscriptions.form import Block
from saleshome.pipeline import run_org
from saleshome.publish.publisher import METADATA_EVENT
from saleshome.publish.setup import publisher_from_settings
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from saleshome.settings.subscriptions import subscriptions_of
from saleshome.sync.engine import sync_org
from tests.app.subscriptions import test_my_notifications
from tests.app.subscriptions.test_my_notifications import ALLOWED, OPEN_STAGES, Members, french
from tests.browser import ARTIFACTS, launch
from tests.e2e.test_edit_browser import sign_in
from tests.e2e.test_sales_tab_browser import VIEWPORT, WAIT_MS
from tests.fixtures.cli import Cli
from tests.fixtures.sandboxes import settle
from tests.fixtures.workspace import ALIAS

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

members = test_my_notifications.members  # the app serving, two members connected, the template allowed


@pytest.fixture(scope="module")  # not session: a live sync_playwright leaves an event loop running
def browser() -> Iterator[Browser]:
    with launch() as launched:
        yield launched


@pytest.fixture()
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport=VIEWPORT, ignore_https_errors=True)
    yield ctx
    ctx.close()


def test_a_member_subscribes_in_the_sales_tab_and_gets_a_dm_in_french_at_the_next_sync(
        members: Members, context: BrowserContext, sf_sandbox: SalesforceSandbox, cli: Cli) -> None:
    m, rep = members, members.rep
    store, settings, control = sf_sandbox.store, m.home.settings, m.home.control
    assert store is not None and m.slack.info is not None
    for verb in ("forbid", "allow"):  # the sales admin's say, through the CLI (the fixture had allowed it)
        said = cli("notifications", "member-templates", verb, ALLOWED, "--org", ALIAS, "--as", m.home.sales_admin)
        assert said.code == 0, said.out + said.err
    assert sync_org(control, settings, ALIAS).status == "completed"  # the org's first sync: silent
    french(m, rep)

    page = context.new_page()
    sign_in(page, m.slack, rep)
    home = page.locator("#home")
    home.get_by_role("button", name="Mes notifications", exact=True).click(timeout=WAIT_MS)
    home.get_by_role("button", name="Nouvelle notification", exact=True).click(timeout=WAIT_MS)
    modal = page.locator("#modal-root .modal")
    expect(modal.locator("#modal-title")).to_have_text("Nouvelle notification", timeout=WAIT_MS)
    template = modal.locator(f'[data-block="{Block.TEMPLATE}"]')
    expect(template).to_be_visible(timeout=WAIT_MS)
    template.select_option(ALLOWED)  # dispatch_action: the modal grows the template's choices
    scope = modal.locator(f'[data-block="{Block.SCOPE}"]')
    expect(scope).to_be_visible(timeout=WAIT_MS)
    expect(scope.get_by_label("Les enregistrements dont je suis propriétaire")).to_be_checked()
    expect(modal.locator(f'[data-block="{Block.DELIVERY}"]').get_by_label("Un message direct, tout de suite")) \
        .to_be_checked()
    page.screenshot(path=str(ARTIFACTS / "subscription-modal-fr.png"))
    modal.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(modal).to_have_count(0, timeout=WAIT_MS)  # saved: the modal closes
    expect(home).to_contain_text("Un message direct, tout de suite", timeout=WAIT_MS)
    [sub] = subscriptions_of(control, ALIAS, rep)
    assert (sub.template, sub.object, sub.scope, sub.delivery, sub.paused) == (
        ALLOWED, "Opportunity", "mine", "immediate", False)

    # the next scheduled sync: a stage moves on the member's deal and on someone else's
    deals = store.read('SELECT "Id", "OwnerId", "StageName" FROM "Opportunity" WHERE NOT "IsClosed" '
                       'AND NOT "IsDeleted" ORDER BY "Id"').to_pylist()
    mine = next(d for d in deals if d["OwnerId"] == m.rep_sf and d["StageName"] in OPEN_STAGES)
    theirs = next(d for d in deals if d["OwnerId"] != m.rep_sf and d["StageName"] in OPEN_STAGES)
    for deal in (mine, theirs):
        store.update("Opportunity", deal["Id"], {"StageName": next(s for s in OPEN_STAGES if s != deal["StageName"])})
    settle(sf_sandbox, settings)
    assert run_org(control, settings, ALIAS).sync.status == "completed"
    publisher_from_settings(control, settings).publish()

    assert m.slack.info is not None
    bot = WebClient(token=m.slack.info.bot_token, base_url=m.slack.info.api_url, timeout=10)  # the app's bot
    dms = [c.id for c in m.slack.world.conversations.values() if c.im_user == rep]  # the app's DM with the member
    sent = [msg for dm in dms
            for msg in bot.conversations_history(channel=dm, include_all_metadata=True, limit=100)["messages"]
            if (msg.get("metadata") or {}).get("event_type") == METADATA_EVENT]
    assert len(sent) == 1, [msg.get("text") for msg in sent]
    text = json.dumps(sent[0].get("blocks"), ensure_ascii=False) + sent[0]["text"]
    assert "Changement d'étape" in text and "Stage changed" not in text, text
    key = sent[0]["metadata"]["event_payload"]["key"]  # the message's idempotency key: which event it told
    assert [(r["notification_id"], r["record_id"]) for r in control.rows(
        "SELECT notification_id, record_id FROM notification_events WHERE key = ?", [key])] == [(sub.id, mine["Id"])]
