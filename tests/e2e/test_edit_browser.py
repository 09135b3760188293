"""Editing a deal from Slack, end to end in a browser: the Slack sandbox's viewer as the Slack client (headless
Chromium, Playwright), the real app (``saleshome app serve``, ``tests/fixtures/app.py``) as the Slack sandbox's
request URLs, the Salesforce sandbox as the org.

Issue 20, section 3:

- a member edits Stage and Amount of a deal from a notification message in #sales (its Edit button, the modal, the
  stage select and the amount input, Submit): the Salesforce sandbox record changes, and #sales receives the
  stage-change notification of that edit exactly once, still once after the next scheduled pipeline run;
- the record changes in Salesforce after the modal opened: submitting says who changed it and when, and Reload
  fills the modal with the record as it now is;
- a validation rule (``/_sandbox/validation-rules``) refuses the save: its message shows under its field;
- a field hidden by field-level security never appears in the modal (it does for a member who may edit it);
- a member without edit access sees no Edit button in the Sales tab, and a ``view_submission`` signed as Slack signs
  it, as that member, with another member's form is refused and changes nothing in Salesforce.

Outcomes are read back from the sandboxes themselves: the Salesforce sandbox's store, and ``conversations.history``
of the Slack sandbox (with the messages' metadata).  Waits are bounded (:data:`WAIT_MS`, ``wait_for``); one browser
for the module; screenshots go to ``tests/artifacts/``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from saleshome.app.edit import Action
from saleshome.i18n import Formatter
from saleshome.pipeline import run_org
from saleshome.publish.publisher import METADATA_EVENT
from saleshome.sandbox.salesforce.access import access_for
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.settings.context import SettingsContext
from saleshome.settings.model import Layout
from saleshome.settings.notifications.catalog import NotificationSpec
from saleshome.settings.notifications.store import create_notification
from saleshome.settings.store import write_layout
from saleshome.sync.engine import sync_org
from tests.app.edit import test_save
from tests.app.edit.test_edit_in_app import post_notification
from tests.app.edit.test_save import Editing
from tests.browser import ARTIFACTS, launch
from tests.e2e.test_sales_tab_browser import VIEWPORT, WAIT_MS
from tests.fixtures.app import SALES_TAB, connect, login_of, wait_for
from tests.fixtures.outbox import drain, publisher
from tests.fixtures.sandboxes import sandbox_session, settle
from tests.fixtures.workspace import ALIAS

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

editing = test_save.editing  # a connected deal owner, the app serving (the save tests' fixture)
rules = test_save.rules  # the org's validation rules endpoint, the seeded rules back after the test

STAGE_MOVES = NotificationSpec.model_validate(
    {"template": "stage_changed", "options": {"direction": "any"}, "recipients": {"channels": ["#sales"]}})


@pytest.fixture(scope="module")  # not session: a live sync_playwright leaves an event loop running
def browser() -> Iterator[Browser]:
    with launch() as launched:
        yield launched


@pytest.fixture()
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport=VIEWPORT, ignore_https_errors=True)
    yield ctx
    ctx.close()


# ----------------------------------------------------------------------------------------------- the client
def sign_in(page: Page, slack: SlackSandbox, user: str) -> None:
    """Choose who you are in the client (it opens the app's Home tab: ``app_home_opened``)."""
    assert slack.info is not None
    page.goto(f"{slack.info.viewer_url}client", wait_until="load", timeout=30_000)
    page.select_option("#who", user)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#me")).to_have_text(slack.world.users[user].profile.real_name)


def connected(e: Editing, user: str, sf_user: str, event_id: str) -> None:
    """``user`` connects Salesforce as ``sf_user`` (the sandbox's login page, over HTTP); their Sales tab is out."""
    answer = connect(e.app, e.home, e.slack, e.sf, user, login_of(e.sf, sf_user), event_id)
    assert answer.status_code == 200, answer.text
    wait_for(lambda: (v := e.slack.home_view(user)) and v.get("callback_id") == SALES_TAB, "the Sales tab",
             app=e.app)


def open_channel(page: Page, slack: SlackSandbox, channel: str) -> Locator:
    """The channel's page in the client; its messages."""
    assert slack.info is not None
    page.goto(f"{slack.info.viewer_url}client/channels/{channel}", wait_until="load", timeout=30_000)
    left_open = page.locator("#modal-root .modal")
    if left_open.count():  # a modal an earlier test left open (Slack keeps a modal until it is closed): close it
        left_open.locator(".modal-close").click()
        expect(left_open).to_have_count(0, timeout=WAIT_MS)
    return page.locator("#channel")


def click_edit(page: Page, message_ts: str) -> Locator:
    """Click Edit on the message ``message_ts`` of the open channel; the modal once it shows the form."""
    message = page.locator(f'#channel article.msg[data-ts="{message_ts}"]')
    message.get_by_role("button", name="Edit", exact=True).click()
    modal = page.locator("#modal-root .modal")
    expect(modal.locator(".modal-submit")).to_be_visible(timeout=WAIT_MS)  # the loading modal has no Submit
    return modal


def field(modal: Locator, name: str) -> Locator:
    """The input of the form's field ``name`` (its API name is the input block's id)."""
    return modal.locator(f'.b-input[data-block-id="{name}"] [data-kind]').first


def under(modal: Locator, name: str) -> Locator:
    """What the modal shows right under the field ``name``."""
    return modal.locator(f'.b-input[data-block-id="{name}"] + *')


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


# ----------------------------------------------------------------------------------------------- Slack, read back
def history(e: Editing, channel: str) -> list[dict[str, Any]]:
    """``conversations.history`` of ``channel`` as the app's bot reads it, with the messages' metadata."""
    answer = e.bot.conversations_history(channel=channel, include_all_metadata=True, limit=200)
    return list(answer["messages"])


def notified(e: Editing, channel: str, record: str, notification_id: str) -> list[dict[str, Any]]:
    """The messages of ``channel`` that are this notification's about ``record``."""
    keys = {r["key"] for r in e.home.control.rows(
        "SELECT key FROM notification_events WHERE record_id = ? AND notification_id = ?", [record, notification_id])}
    return sorted((m for m in history(e, channel) if (m.get("metadata") or {}).get("event_type") == METADATA_EVENT
                   and m["metadata"]["event_payload"].get("key") in keys), key=lambda m: float(m["ts"]))


def scheduled_run(e: Editing) -> None:
    """The normal pipeline for the org (sync, evaluation), then the publisher: what the schedule does."""
    settle(e.sf, e.home.settings)
    result = run_org(e.home.control, e.home.settings, ALIAS)
    assert result.sync.status == "completed", result.sync
    drain(publisher(e.slack, e.home.control))


def someone_else(e: Editing) -> tuple[str, str]:
    """(id, name) of an active Salesforce user other than the member."""
    assert e.sf.store is not None
    row = e.sf.store.read('SELECT "Id", "Name" FROM "User" WHERE "IsActive" AND "Id" != ? ORDER BY "Id" LIMIT 1',
                          [e.sf_user]).to_pylist()[0]
    return str(row["Id"]), str(row["Name"])


def advance(e: Editing, seconds: int) -> None:
    assert e.sf.info is not None
    answer = sandbox_session(e.sf.info.ca_file).post(f"{e.sf.info.instance_url}/_sandbox/clock",
                                                     json={"advance_seconds": seconds}, timeout=10)
    assert answer.status_code == 200, answer.text


def other_stage(current: str) -> str:
    return "Negotiation/Review" if current != "Negotiation/Review" else "Qualification"


# ----------------------------------------------------------------------------------------------- scenarios
def test_a_member_edits_stage_and_amount_from_a_notification_and_the_channel_hears_of_it_once(
        editing: Editing, context: BrowserContext) -> None:
    e = editing
    settings = e.home.settings
    assert sync_org(e.home.control, settings, ALIAS).status == "completed"  # the org loaded (initial: silent)
    moves = create_notification(SettingsContext(e.home.control, settings), e.home.sales_admin, ALIAS, "stage-moves",
                                STAGE_MOVES)
    channel = e.slack.channel_id("sales")
    opp = e.own_open_opportunity(skip=0)
    assert e.sf.store is not None
    other, _name = someone_else(e)
    first = other_stage(e.row(opp)["StageName"])
    e.sf.store.update("Opportunity", opp, {"StageName": first}, user_id=other)  # someone moves the deal
    scheduled_run(e)
    [message] = notified(e, channel, opp, moves.id)  # the notification the member clicks Edit on

    page = context.new_page()
    sign_in(page, e.slack, e.user)
    open_channel(page, e.slack, channel)
    expect(page.locator(f'#channel article.msg[data-ts="{message["ts"]}"]')).to_contain_text("Stage changed")
    modal = click_edit(page, message["ts"])
    stage, amount = other_stage(first), 98765
    expect(field(modal, "StageName")).to_have_value(first)  # the current values, pre-filled
    field(modal, "StageName").select_option(stage)
    field(modal, "Amount").fill(str(amount))
    shot(page, "edit-modal.png")
    modal.locator(".modal-submit").click()
    expect(modal).to_contain_text(f"Stage: {first} → {stage}", timeout=WAIT_MS)
    shot(page, "edit-saved.png")

    after = e.row(opp)
    assert (after["StageName"], after["Amount"]) == (stage, amount)
    assert after["LastModifiedById"][:15] == e.sf_user[:15]  # saved as the member
    # the edit's own stage change reaches #sales (the app's targeted read), once
    wait_for(lambda: len(notified(e, channel, opp, moves.id)) == 2, "the edit's notification in #sales",
             seconds=15, app=e.app)
    e.app.stop()  # every piece of work the app accepted has finished
    scheduled_run(e)  # the next scheduled sync sees the same change: nothing sent again
    sent = notified(e, channel, opp, moves.id)
    assert len(sent) == 2, sent
    assert sent[0]["ts"] == message["ts"] and stage in json.dumps(sent[-1]["blocks"])


def test_a_record_changed_after_the_modal_opened_says_who_and_when_and_reloads(
        editing: Editing, context: BrowserContext) -> None:
    e = editing
    opp = e.own_open_opportunity(skip=1)
    channel = e.slack.channel_id("sales")
    message = post_notification(e.home, e.slack, channel, "Opportunity", opp, "conflict")
    page = context.new_page()
    sign_in(page, e.slack, e.user)
    open_channel(page, e.slack, channel)
    modal = click_edit(page, message["ts"])

    advance(e, 5)
    assert e.sf.store is not None
    other, name = someone_else(e)
    e.sf.store.update("Opportunity", opp, {"NextStep": "Their step"}, user_id=other)
    changed = e.row(opp)
    row = e.home.control.rows("SELECT locale, tz FROM user_map WHERE alias = ? AND slack_user_id = ?", [ALIAS, e.user])
    when = Formatter.for_reader(row[0]["locale"] or "en-US", row[0]["tz"]).datetime(
        changed["LastModifiedDate"].replace(tzinfo=UTC))

    field(modal, "NextStep").fill("My step")
    modal.locator(".modal-submit").click()
    expect(modal).to_contain_text(f"{name} changed this record in Salesforce on {when}, after you opened it.",
                                  timeout=WAIT_MS)
    shot(page, "edit-conflict.png")
    assert e.row(opp)["NextStep"] == "Their step"  # nothing saved

    modal.get_by_role("button", name="Reload", exact=True).click()
    expect(field(modal, "NextStep")).to_have_value("Their step", timeout=WAIT_MS)  # the record as it now is
    expect(modal.locator(".modal-submit")).to_be_visible()


def test_a_validation_rule_shows_its_message_under_its_field(
        editing: Editing, rules: str, context: BrowserContext) -> None:
    e = editing
    assert e.sf.info is not None
    opp = e.own_open_opportunity(skip=2)
    before = e.row(opp)
    text = "Start the next step with a capital letter."
    rule = {"name": "Next_Step_Capital", "object": "Opportunity", "kind": "regex", "field": "NextStep",
            "pattern": "[A-Z].*", "message": text, "error_field": "NextStep"}
    assert sandbox_session(e.sf.info.ca_file).post(rules, json=rule, timeout=10).status_code == 200
    channel = e.slack.channel_id("sales")
    message = post_notification(e.home, e.slack, channel, "Opportunity", opp, "validation")
    page = context.new_page()
    sign_in(page, e.slack, e.user)
    open_channel(page, e.slack, channel)
    modal = click_edit(page, message["ts"])

    field(modal, "NextStep").fill("call them")
    modal.locator(".modal-submit").click()
    expect(under(modal, "NextStep")).to_contain_text(text, timeout=WAIT_MS)  # on its field, as the org wrote it
    expect(field(modal, "NextStep")).to_have_value("call them")  # what the member typed stays
    shot(page, "edit-validation.png")
    assert e.row(opp) == before


def test_a_field_hidden_by_field_level_security_never_appears_in_the_modal(
        editing: Editing, context: BrowserContext) -> None:
    """Accounts' Slack layout lets members edit the description and the annual revenue; field-level security hides
    the annual revenue from reps without Sales Analytics.  The same message's Edit: a rep's modal has no annual
    revenue, a member who may edit it has it."""
    e = editing
    store = e.sf.store
    assert store is not None
    with e.home.control.transaction() as db:
        write_layout(db, ALIAS, "Account", Layout(fields=["Name", "Description", "AnnualRevenue"],
                                                  editable=["Description", "AnnualRevenue"]))
    mapped = e.home.control.rows("SELECT slack_user_id, sf_user_id FROM user_map WHERE alias = ? AND status = "
                                 "'matched' AND sales_home_user ORDER BY slack_user_id", [ALIAS])
    accounts = [str(r["Id"]) for r in store.read('SELECT "Id" FROM "Account" WHERE NOT "IsDeleted" ORDER BY "Id"')
                .to_pylist()]

    def editors(account: str, sees: bool) -> list[tuple[str, str]]:
        found = []
        for r in mapped:
            access = access_for(store, r["sf_user_id"])
            if access.can_see_record("Account", account, "edit") \
                    and ("AnnualRevenue" in access.editable_fields("Account")) == sees:
                found.append((str(r["slack_user_id"]), str(r["sf_user_id"])))
        return found

    account, rep, sees = next((a, blind[0], seeing[0]) for a in accounts
                              if (blind := editors(a, False)) and (seeing := editors(a, True)))
    channel = e.slack.channel_id("sales")
    message = post_notification(e.home, e.slack, channel, "Account", account, "fls")
    shown: dict[str, str] = {}
    for who, (user, sf_user) in {"rep": rep, "sees": sees}.items():
        if user != e.user:
            connected(e, user, sf_user, f"Ev0FLS{who:0>7}")
        ctx = context.browser.new_context(viewport=VIEWPORT, ignore_https_errors=True) if context.browser else context
        try:
            page = ctx.new_page()
            sign_in(page, e.slack, user)
            open_channel(page, e.slack, channel)
            modal = click_edit(page, message["ts"])
            expect(field(modal, "Description")).to_be_visible()
            shown[who] = modal.inner_text()
            shot(page, f"edit-fls-{who}.png")
        finally:
            ctx.close()
    assert "Annual Revenue" not in shown["rep"], shown["rep"]
    assert "Annual Revenue" in shown["sees"], shown["sees"]


def test_a_member_without_edit_access_sees_no_edit_button_and_a_forged_submission_is_refused(
        editing: Editing, context: BrowserContext) -> None:
    """Accounts' Slack layout lets members edit only the annual revenue, which field-level security hides from reps
    without Sales Analytics: such a rep's accounts list (the tab opens on it) and account page have Open buttons and
    no Edit button.  The deal owner's form, submitted as the rep (signed as Slack signs it), is refused."""
    e = editing
    store = e.sf.store
    assert store is not None
    with e.home.control.transaction() as db:
        write_layout(db, ALIAS, "Account", Layout(fields=["Name", "Type", "AnnualRevenue"], editable=["AnnualRevenue"]))
    mapped = e.home.control.rows("SELECT slack_user_id, sf_user_id FROM user_map WHERE alias = ? AND status = "
                                 "'matched' AND sales_home_user ORDER BY slack_user_id", [ALIAS])
    user, sf_user = next((str(r["slack_user_id"]), str(r["sf_user_id"])) for r in mapped
                         if str(r["slack_user_id"]) != e.user and (a := access_for(store, r["sf_user_id"])).can_read(
                             "Account") and "AnnualRevenue" not in a.editable_fields("Account"))
    connected(e, user, sf_user, "Ev0NOEDIT0001")
    page = context.new_page()
    sign_in(page, e.slack, user)
    home = page.locator("#home")
    expect(home.get_by_role("button", name="Open", exact=True).first).to_be_visible(timeout=WAIT_MS)
    expect(home.get_by_role("button", name="Edit", exact=True)).to_have_count(0)
    home.get_by_role("button", name="Open", exact=True).first.click()
    expect(home.get_by_role("link", name="View in Salesforce")).to_be_visible(timeout=WAIT_MS)
    expect(home.get_by_role("button", name="Edit", exact=True)).to_have_count(0)
    shot(page, "edit-no-button.png")

    # the deal owner's form, sent as the member without edit access
    opp = e.own_open_opportunity(skip=3)
    form = e.open_form(opp)
    payload = e.slack.interactions.submit(e.user, view_id=form["id"], values={}).payload
    assert payload is not None
    payload["view"]["state"]["values"]["NextStep"][Action.INPUT] = {"type": "plain_text_input", "value": "Forged"}
    before, used = e.row(opp), e.sf.budget.used
    forged = {**payload, "user": {**payload["user"], "id": user}, "view": {**payload["view"], "hash": "forged"}}
    refused = e.post(forged)
    assert refused.status_code == 200, refused.text
    assert refused.json()["response_action"] == "update"
    assert "could not verify this form" in json.dumps(refused.json()["view"]["blocks"])
    e.app.stop()  # every piece of work the app accepted has finished
    assert e.sf.budget.used == used and e.row(opp) == before
    assert e.edits(opp) == []
