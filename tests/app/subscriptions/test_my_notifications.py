"""A member's own notifications from the Sales tab, in the real app process (``saleshome app serve``), driven as the
Slack client drives it (the Slack sandbox's ``Interactions``: clicks and submissions signed and posted to the app's
interactivity URL, the app's answers applied as Slack applies them) and with forged requests signed as Slack signs
them (a button's value or a submitted view the client could not have sent).

Issue 20 §2: a member subscribes to "stage changed on my deals" (DM, at once) → it is stored for them; they edit,
pause and delete it; another member never sees it, and a forged action or submission naming it is refused; a
template the sales admins did not allow is not offered and a forged submission with it is refused; fields
field-level security hides from the member are not offered (and refused when forged); French labels.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import requests

from saleshome.app.members import load_member
from saleshome.app.subscriptions import FORM_CALLBACK_ID, LIST_CALLBACK_ID, SubsAction
from saleshome.app.subscriptions.form import Block
from saleshome.pipeline import refresh_org_users, run_org
from saleshome.publish.setup import publisher_from_settings
from saleshome.sandbox.salesforce.access import access_for
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.sandbox.slack.views import view_object
from saleshome.settings.subscriptions import Subscription, set_member_template, subscriptions_of
from saleshome.slack.directory import SlackDirectory
from saleshome.sync.engine import sync_org
from tests.app.home.blockkit import texts
from tests.fixtures.app import (
    SALES_TAB,
    AppServer,
    MemberHome,
    connect,
    login_of,
    post_action,
    signed,
    start_app,
    wait_for,
)
from tests.fixtures.sandboxes import settle
from tests.fixtures.workspace import ALIAS
from tests.sandbox.salesforce.members import register_callback

pytestmark = [pytest.mark.integration]

ALLOWED = "stage_changed"
NOT_ALLOWED = "deal_closed"
OPEN_STAGES = ("Qualification", "Needs Analysis", "Value Proposition", "Proposal/Price Quote", "Negotiation/Review")
REFRESH_DAYS = 2  # past the user map's cache of Slack profiles
HIDDEN = "ExpectedRevenue"  # hidden from reps by field-level security (the sandbox's profiles)


@dataclass
class Members:
    app: AppServer
    home: MemberHome
    slack: SlackSandbox
    rep: str  # a rep (Slack user) who cannot read Opportunity.ExpectedRevenue, connected
    other: str  # another connected member
    rep_sf: str  # the rep's Salesforce user


def _mapped(home: MemberHome) -> list[tuple[str, str]]:
    return [(str(r["slack_user_id"]), str(r["sf_user_id"])) for r in home.control.rows(
        "SELECT slack_user_id, sf_user_id FROM user_map WHERE alias = ? AND status = 'matched' AND sales_home_user "
        "ORDER BY slack_user_id", [ALIAS])]


@pytest.fixture()
def members(member_home: MemberHome, slack_sandbox: SlackSandbox, sf_sandbox: SalesforceSandbox,
            tmp_path: Path) -> Iterator[Members]:
    """The app as the Slack sandbox's request URLs; ``stage_changed`` allowed for members (by the sales admin),
    ``deal_closed`` not; two members connected to ``acme``."""
    assert sf_sandbox.info is not None and sf_sandbox.store is not None
    store = sf_sandbox.store
    assert set_member_template(member_home.control, SlackDirectory.from_settings(member_home.settings),
                               member_home.sales_admin, ALIAS, ALLOWED, True)
    mapped = _mapped(member_home)
    owners = {r["OwnerId"] for r in store.read(
        'SELECT "OwnerId" FROM "Opportunity" WHERE NOT "IsClosed" AND NOT "IsDeleted"').to_pylist()}
    rep = next((u, s) for u, s in mapped if not access_for(store, s).can_read_field("Opportunity", HIDDEN)
               and s in owners)  # a rep with open deals
    other = next((u, s) for u, s in mapped if u != rep[0])
    app = start_app(tmp_path)
    try:
        register_callback(sf_sandbox.info, app.urls["oauth_callback"])
        slack_sandbox.configure_app(event_url=app.urls["events"], interactivity_url=app.urls["interactivity"])
        for n, (user, sf_user) in enumerate((rep, other)):
            page = connect(app, member_home, slack_sandbox, sf_sandbox, user, login_of(sf_sandbox, sf_user),
                           f"Ev0SUBS00000{n}")
            assert page.status_code == 200, page.text
            wait_for(lambda u=user: (v := slack_sandbox.home_view(u)) and v.get("callback_id") == SALES_TAB,
                     "the Sales tab", app=app)
        yield Members(app, member_home, slack_sandbox, rep[0], other[0], rep[1])
    finally:
        slack_sandbox.configure_app(event_url=None, interactivity_url=None)
        app.stop()


# ----------------------------------------------------------------------------------------------- the client's side
def home(m: Members, user: str) -> dict[str, Any]:
    """The member's Home tab as Slack shows it (id, hash, blocks, private_metadata)."""
    api = m.slack.api
    assert api is not None
    with api.lock:
        return view_object(api.world, api.views.views[api.views.home[user]])


def modal(m: Members, user: str) -> dict[str, Any] | None:
    """The modal on top of the member's stack, None when none is open."""
    api = m.slack.api
    assert api is not None
    with api.lock:
        open_ = [v for v in api.views.views.values() if v.type == "modal" and v.user_id == user and not v.closed]
        return view_object(api.world, open_[-1]) if open_ else None


def click(m: Members, user: str, view: dict[str, Any], action_id: str, value: str | None = None,
          **state: Any) -> None:
    """The member uses element ``action_id`` of ``view`` (the button whose value is ``value``, or a select with
    ``state``, e.g. ``selected_option``)."""
    block_id = next(b["block_id"] for b in view["blocks"] for e in _elements(b)
                    if e.get("action_id") == action_id and (value is None or e.get("value") == value))
    outcome = m.slack.interactions.block_action(user, action={"action_id": action_id, **state}, block_id=block_id,
                                                view_id=view["id"])
    assert outcome.ok, outcome


def _elements(block: dict[str, Any]) -> list[dict[str, Any]]:
    return [*(block.get("elements") or []), *[block[k] for k in ("accessory", "element") if k in block]]


def options(view: dict[str, Any], block_id: str) -> list[str]:
    element = next(b["element"] for b in view["blocks"] if b.get("block_id") == block_id)
    return [o["value"] for o in element["options"]]


def option(view: dict[str, Any], block_id: str, value: str) -> dict[str, Any]:
    element = next(b["element"] for b in view["blocks"] if b.get("block_id") == block_id)
    return next(o for o in element["options"] if o["value"] == value)


def listing(m: Members, user: str, after: str | None = None) -> dict[str, Any]:
    """The "My notifications" screen, once published (after the view of hash ``after``)."""
    found = wait_for(lambda: (v := home(m, user))["callback_id"] == LIST_CALLBACK_ID and v["hash"] != after and v,
                     "the My notifications screen", app=m.app)
    assert isinstance(found, dict)
    return found


def open_listing(m: Members, user: str) -> dict[str, Any]:
    tab = home(m, user)
    click(m, user, tab, SubsAction.OPEN.value)
    return listing(m, user, tab["hash"])


def form(m: Members, user: str, *, having: str, after: str | None = None) -> dict[str, Any]:
    """The open notification modal once it holds block ``having`` (after the view of hash ``after``)."""
    found = wait_for(lambda: (v := modal(m, user)) is not None and v["callback_id"] == FORM_CALLBACK_ID
                     and v["hash"] != after and any(b.get("block_id") == having for b in v["blocks"]) and v,
                     f"the notification form with {having}", app=m.app)
    assert isinstance(found, dict)
    return found


def choose(m: Members, user: str, view: dict[str, Any], block_id: str, value: str, *, then: str) -> dict[str, Any]:
    """The member picks ``value`` in a select (or radio buttons) that reshapes the modal; the modal after."""
    click(m, user, view, block_id, selected_option=option(view, block_id, value))
    return form(m, user, having=then, after=view["hash"])


def stage_changed_form(m: Members, user: str) -> dict[str, Any]:
    """From the listing: New notification, "Stage changed" chosen: the form with its options."""
    click(m, user, open_listing(m, user), SubsAction.NEW.value)
    start = form(m, user, having=Block.TEMPLATE)
    return choose(m, user, start, Block.TEMPLATE, ALLOWED, then=Block.SCOPE)


def own(m: Members, user: str) -> list[Subscription]:
    return subscriptions_of(m.home.control, ALIAS, user)


def forged_submission(m: Members, user: str, view: dict[str, Any], values: dict[str, Any],
                      metadata: str | None = None) -> requests.Response:
    """A ``view_submission`` signed as Slack signs it, with ``values`` the client would never send."""
    body_view = {**view, "state": {"values": values}}
    if metadata is not None:
        body_view["private_metadata"] = metadata
    payload = {"type": "view_submission", "user": {"id": user, "team_id": "T0"}, "team": {"id": "T0"},
               "api_app_id": "A0SALESHOME", "trigger_id": "1.2.3", "view": body_view}
    body = urlencode({"payload": json.dumps(payload)})
    return requests.post(m.app.urls["interactivity"], data=body, timeout=30, headers={
        "Content-Type": "application/x-www-form-urlencoded", **signed(body, m.home.signing_secret)})


def selected(value: str) -> dict[str, Any]:
    return {"type": "static_select", "selected_option": {"value": value, "text": {"type": "plain_text",
                                                                                   "text": value}}}


# ----------------------------------------------------------------------------------------------- the tests
def test_a_member_subscribes_edits_pauses_and_deletes_their_own_notification(members: Members) -> None:
    m, rep = members, members.rep
    view = stage_changed_form(m, rep)
    assert options(view, Block.TEMPLATE) == [ALLOWED]  # only what the sales admins allow
    before = home(m, rep)["hash"]
    outcome = m.slack.interactions.submit(rep, view_id=view["id"], values={})  # mine, a DM at once: the defaults
    assert outcome.ok and outcome.closed and not outcome.errors, outcome
    saved = own(m, rep)
    assert [(s.template, s.object, s.scope, s.delivery, s.paused) for s in saved] == [
        (ALLOWED, "Opportunity", "mine", "immediate", False)]
    sid = f"{ALIAS}:{saved[0].id}"
    shown = listing(m, rep, before)
    words = " ".join(texts(shown["blocks"]))
    assert "Stage changed" in words and "Records I own" in words and "A direct message, at once" in words

    # edit: into the daily digest at 8
    click(m, rep, shown, SubsAction.EDIT.value, sid)
    editing = form(m, rep, having=Block.DELIVERY)
    assert option(editing, Block.TEMPLATE, ALLOWED) == next(
        b["element"]["initial_option"] for b in editing["blocks"] if b.get("block_id") == Block.TEMPLATE)
    digest = choose(m, rep, editing, Block.DELIVERY, "digest", then=Block.HOUR)
    outcome = m.slack.interactions.submit(rep, view_id=digest["id"], values={
        Block.HOUR: {Block.HOUR: {"selected_option": option(digest, Block.HOUR, "8")}}})
    assert outcome.ok and outcome.closed, outcome
    edited = own(m, rep)
    assert [(s.id, s.delivery, s.digest_hour, s.version) for s in edited] == [(saved[0].id, "digest", 8, 2)]
    shown = listing(m, rep, shown["hash"])
    assert any(re.search(r"In my daily digest at (08:00|8:00\sAM)", t) for t in texts(shown["blocks"]))

    click(m, rep, shown, SubsAction.PAUSE.value, sid)
    shown = listing(m, rep, shown["hash"])
    assert own(m, rep)[0].paused and any("Paused" in t for t in texts(shown["blocks"]))
    assert "Resume" in texts(shown["blocks"]) and "Pause" not in texts(shown["blocks"])
    click(m, rep, shown, SubsAction.RESUME.value, sid)
    shown = listing(m, rep, shown["hash"])
    assert not own(m, rep)[0].paused

    click(m, rep, shown, SubsAction.DELETE.value, sid)
    shown = listing(m, rep, shown["hash"])
    assert own(m, rep) == []
    assert any("You have no notifications yet" in t for t in texts(shown["blocks"]))

    click(m, rep, shown, SubsAction.BACK.value)  # back to the Sales tab
    tab = wait_for(lambda: (v := home(m, rep))["callback_id"] == SALES_TAB and v, "the Sales tab", app=m.app)
    assert SubsAction.OPEN.value in [e.get("action_id") for b in tab["blocks"] for e in _elements(b)]


def test_another_member_never_sees_nor_changes_it(members: Members) -> None:
    m, rep, other = members, members.rep, members.other
    view = stage_changed_form(m, rep)
    assert m.slack.interactions.submit(rep, view_id=view["id"], values={}).closed
    mine = own(m, rep)
    assert len(mine) == 1
    sid = f"{ALIAS}:{mine[0].id}"

    theirs = open_listing(m, other)
    assert not any(sid == e.get("value") for b in theirs["blocks"] for e in _elements(b))
    assert any("You have no notifications yet" in t for t in texts(theirs["blocks"]))

    for action in (SubsAction.DELETE, SubsAction.PAUSE):  # forged: a button with the rep's subscription
        before = home(m, other)["hash"]
        response = post_action(m.app, other, action.value, sid, m.home.signing_secret)
        assert response.status_code == 200
        refused = listing(m, other, before)
        assert any("is not yours" in t for t in texts(refused["blocks"]))
    before = home(m, other)["hash"]
    assert post_action(m.app, other, SubsAction.EDIT.value, sid, m.home.signing_secret).status_code == 200
    refused = listing(m, other, before)
    assert modal(m, other) is None and any("is not yours" in t for t in texts(refused["blocks"]))
    assert [(s.id, s.paused, s.version) for s in own(m, rep)] == [(mine[0].id, False, 1)]

    # a forged submission editing the rep's subscription, from the other member's own modal
    click(m, other, theirs, SubsAction.NEW.value)
    start = form(m, other, having=Block.TEMPLATE)
    their_form = choose(m, other, start, Block.TEMPLATE, ALLOWED, then=Block.SCOPE)
    metadata = json.loads(their_form["private_metadata"])
    response = forged_submission(m, other, their_form, {
        Block.TEMPLATE: {Block.TEMPLATE: selected(ALLOWED)},
        Block.DELIVERY: {Block.DELIVERY: selected("digest")}, Block.HOUR: {Block.HOUR: selected("5")}},
        json.dumps({**metadata, "editing": mine[0].id, "delivery": "digest"}))
    assert response.status_code == 200 and response.json()["response_action"] == "errors", response.text
    assert [(s.delivery, s.version) for s in own(m, rep)] == [("immediate", 1)]
    assert own(m, other) == []


def test_a_template_the_admins_did_not_allow_is_neither_offered_nor_saved(members: Members) -> None:
    m, rep = members, members.rep
    view = stage_changed_form(m, rep)
    assert NOT_ALLOWED not in options(view, Block.TEMPLATE)
    metadata = json.loads(view["private_metadata"])
    response = forged_submission(m, rep, view, {Block.TEMPLATE: {Block.TEMPLATE: selected(NOT_ALLOWED)}},
                                 json.dumps({**metadata, "template": NOT_ALLOWED}))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["response_action"] == "errors" and set(answer["errors"]) == {Block.TEMPLATE}, answer
    assert own(m, rep) == []
    elsewhere = forged_submission(m, rep, view, {}, json.dumps({**metadata, "org": "not-an-org-of-theirs"}))
    assert elsewhere.json()["response_action"] == "errors" and own(m, rep) == []


def test_fields_hidden_by_field_level_security_are_not_offered(members: Members,
                                                                sf_sandbox: SalesforceSandbox) -> None:
    m, rep = members, members.rep
    view = stage_changed_form(m, rep)
    matching = choose(m, rep, view, Block.SCOPE, "matching", then=Block.condition(0, "field"))
    offered = options(matching, Block.condition(0, "field"))
    assert "Amount" in offered and "StageName" in offered
    assert HIDDEN not in offered  # the rep's object info has no such field
    labels = [o["text"]["text"] for b in matching["blocks"] if b.get("block_id") == Block.condition(0, "field")
              for o in b["element"]["options"]]
    assert "Expected Revenue" not in labels and "Amount" in labels

    response = forged_submission(m, rep, matching, {
        Block.condition(0, "field"): {Block.condition(0, "field"): selected(HIDDEN)},
        Block.condition(0, "op"): {Block.condition(0, "op"): selected(">")},
        Block.condition(0, "value"): {Block.condition(0, "value"): {"type": "plain_text_input", "value": "1000"}}})
    answer = response.json()
    assert answer["response_action"] == "errors" and Block.condition(0, "field") in answer["errors"], answer
    assert own(m, rep) == []

    # a condition the member may set, with a value of the wrong kind: the error on that input, nothing saved
    wrong = m.slack.interactions.submit(rep, view_id=matching["id"], values={
        Block.condition(0, "field"): {Block.condition(0, "field"): {
            "selected_option": option(matching, Block.condition(0, "field"), "Amount")}},
        Block.condition(0, "op"): {Block.condition(0, "op"): {
            "selected_option": option(matching, Block.condition(0, "op"), ">=")}},
        Block.condition(0, "value"): {Block.condition(0, "value"): {"value": "lots"}}})
    assert wrong.ok and not wrong.closed and set(wrong.errors) == {Block.condition(0, "value")}, wrong
    assert own(m, rep) == []
    # what only Salesforce knows (a stage that is not one of the picklist's values): the settings API's problem,
    # shown on the input it concerns
    no_stage = m.slack.interactions.submit(rep, view_id=matching["id"], values={
        Block.condition(0, "field"): {Block.condition(0, "field"): {
            "selected_option": option(matching, Block.condition(0, "field"), "StageName")}},
        Block.condition(0, "op"): {Block.condition(0, "op"): {
            "selected_option": option(matching, Block.condition(0, "op"), "=")}},
        Block.condition(0, "value"): {Block.condition(0, "value"): {"value": "Nowhere"}}})
    assert no_stage.ok and not no_stage.closed, no_stage
    assert set(no_stage.errors) == {Block.condition(0, "value")} and "Nowhere" in no_stage.errors[
        Block.condition(0, "value")], no_stage.errors
    assert own(m, rep) == []
    before = home(m, rep)["hash"]
    right = m.slack.interactions.submit(rep, view_id=matching["id"], values={
        Block.condition(0, "field"): {Block.condition(0, "field"): {
            "selected_option": option(matching, Block.condition(0, "field"), "Amount")}},
        Block.condition(0, "op"): {Block.condition(0, "op"): {
            "selected_option": option(matching, Block.condition(0, "op"), ">=")}},
        Block.condition(0, "value"): {Block.condition(0, "value"): {"value": "50000"}}})
    assert right.ok and right.closed, right
    saved = own(m, rep)
    assert [(s.scope, [(c.field, c.op, c.value) for c in s.conditions]) for s in saved] == [
        ("matching", [("Amount", ">=", 50000.0)])]
    shown = listing(m, rep, before)
    assert any("Amount is at least 50,000" in t for t in texts(shown["blocks"])), texts(shown["blocks"])


def french(m: Members, user: str) -> None:
    """``user`` switches Slack to French; the next user-map refresh (once its cached profiles are stale) reads it."""
    m.slack.set_locale(user, "fr-FR")
    later = datetime.now(UTC) + timedelta(days=REFRESH_DAYS)
    assert refresh_org_users(m.home.control, m.home.settings, ALIAS, now=later) is not None
    assert load_member(m.home.control, user).locale == "fr-FR"


def test_a_french_speaking_member_reads_it_in_french(members: Members) -> None:
    m, rep = members, members.rep
    french(m, rep)
    view = stage_changed_form(m, rep)
    assert view["title"]["text"] == "Nouvelle notification"
    assert option(view, Block.TEMPLATE, ALLOWED)["text"]["text"] == "Changement d'étape"
    assert [o["text"]["text"] for b in view["blocks"] if b.get("block_id") == Block.SCOPE
            for o in b["element"]["options"]] == [
        "Les enregistrements dont je suis propriétaire", "Les enregistrements de mon équipe",
        "Les enregistrements qui remplissent des conditions"]
    before = home(m, rep)["hash"]
    assert m.slack.interactions.submit(rep, view_id=view["id"], values={}).closed
    shown = listing(m, rep, before)
    words = texts(shown["blocks"])
    assert words[0] == "Mes notifications"
    assert {"Suspendre", "Modifier", "Supprimer", "Nouvelle notification", "Retour aux ventes"} <= set(words)
    assert any("Un message direct, tout de suite" in t for t in words)


def test_the_member_gets_the_dm_at_the_next_sync_in_their_language(members: Members,
                                                                   sf_sandbox: SalesforceSandbox) -> None:
    """"Stage changed on my deals", set up in the Sales tab: a stage moved in Salesforce reaches the member as one
    DM in French after the next sync (the pipeline's evaluation, then the publisher), and a deal of someone else
    does not."""
    m, rep = members, members.rep
    store, settings, control = sf_sandbox.store, m.home.settings, m.home.control
    assert store is not None and m.slack.info is not None
    first = sync_org(control, settings, ALIAS)  # the org's first sync: silent, the starting point
    assert first.status == "completed", first
    french(m, rep)
    view = stage_changed_form(m, rep)
    assert m.slack.interactions.submit(rep, view_id=view["id"], values={}).closed
    (sub,) = own(m, rep)

    deals = store.read('SELECT "Id", "OwnerId", "StageName" FROM "Opportunity" WHERE NOT "IsClosed" '
                       'AND NOT "IsDeleted" ORDER BY "Id"').to_pylist()
    mine = next(d for d in deals if d["OwnerId"] == m.rep_sf and d["StageName"] in OPEN_STAGES)
    theirs = next(d for d in deals if d["OwnerId"] != m.rep_sf and d["StageName"] in OPEN_STAGES)
    for deal in (mine, theirs):
        store.update("Opportunity", deal["Id"], {"StageName": next(s for s in OPEN_STAGES if s != deal["StageName"])})
    settle(sf_sandbox, settings)
    run_org(control, settings, ALIAS)
    publisher_from_settings(control, settings).publish()

    dms = [c.id for c in m.slack.world.conversations.values() if c.im_user == rep]  # the bot's DM with the rep
    sent = [r for dm in dms for r in m.slack.messages(dm) if r.source == "api"]
    assert len(sent) == 1, [r.text for r in sent]
    text = json.dumps(sent[0].blocks, ensure_ascii=False) + sent[0].text
    assert "Changement d'étape" in text and "Stage changed" not in text, text
    assert sent[0].metadata is not None
    key = sent[0].metadata["event_payload"]["key"]  # the message's idempotency key: which event it told
    assert [(r["notification_id"], r["record_id"]) for r in control.rows(
        "SELECT notification_id, record_id FROM notification_events WHERE key = ?", [key])] == [(sub.id, mine["Id"])]
