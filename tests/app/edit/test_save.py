"""Saving the edit modal in the real app process (``saleshome app serve``): a member connected through the sandbox's
login page clicks Edit on a message about a deal, the app opens the form, the member submits it through the Slack
sandbox's client (``Interactions.submit``: ``view_submission`` signed as Slack signs it, the 3-second ack, the
``response_action`` applied as Slack applies it) and the app saves as the member, then updates the modal.

Shown here: a save reaches the Salesforce sandbox record (read back from the sandbox's own store) and the modal
says what changed, old → new; a record changed in Salesforce after the form opened → the 412 path (who, when in the
member's time zone and language, a Reload that fills the form with the record as it now is); a validation rule's
message under its field, a page-level rule as the notice; a value the modal refuses (a restricted picklist value,
too long a text) stays in the modal, on its field, and nothing reaches Salesforce; a double submission saves once;
a forged or tampered submission changes nothing; every save is in ``saleshome settings audit --edits``."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from slack_sdk import WebClient

from saleshome.app.edit import CALLBACK_ID, Action, edit_button
from saleshome.i18n import Formatter, Messages
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from saleshome.sandbox.salesforce.validation import SEEDED
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.settings.edit_audit import EditOutcome, read_edits
from tests.app.home.blockkit import texts
from tests.fixtures.app import (
    SALES_TAB,
    AppServer,
    MemberHome,
    connect,
    login_of,
    signed,
    start_app,
    wait_for,
)
from tests.fixtures.cli import Cli
from tests.fixtures.sandboxes import sandbox_session
from tests.fixtures.workspace import ALIAS

pytestmark = [pytest.mark.integration]

EDITABLE = ["Name", "Amount", "StageName", "CloseDate", "Probability", "NextStep", "Region__c"]
RESULT = "edit_record_result"


@dataclass
class Editing:
    """The app serving one connected member of ``acme`` (Slack ``user``, Salesforce ``sf_user``)."""

    app: AppServer
    home: MemberHome
    slack: SlackSandbox
    sf: SalesforceSandbox
    user: str
    sf_user: str

    @property
    def bot(self) -> WebClient:
        assert self.slack.info is not None
        return WebClient(token=self.slack.info.bot_token, base_url=self.slack.info.api_url, timeout=10)

    def row(self, record_id: str) -> dict[str, Any]:
        """The record as the Salesforce sandbox stores it."""
        assert self.sf.store is not None
        return dict(self.sf.store.read('SELECT * FROM "Opportunity" WHERE "Id" = ?', [record_id]).to_pylist()[0])

    def own_open_opportunity(self, skip: int) -> str:
        assert self.sf.store is not None
        rows = self.sf.store.read('SELECT "Id" FROM "Opportunity" WHERE "OwnerId" = ? AND NOT "IsClosed" '
                                  'AND NOT "IsDeleted" ORDER BY "Id"', [self.sf_user]).to_pylist()
        assert len(rows) > skip, "the member owns too few open opportunities"
        return str(rows[skip]["Id"])

    def modal(self) -> dict[str, Any] | None:
        """The member's modal on top of its stack, as Slack holds it (id, hash, the view, the values held)."""
        api = self.slack.api
        assert api is not None
        with api.lock:
            for stored in api.views.views.values():
                if stored.user_id == self.user and stored.type == "modal" and not stored.closed \
                        and not any(v.previous_view_id == stored.id and not v.closed for v in api.views.views.values()):
                    return {"id": stored.id, "hash": stored.hash, **stored.view}
        return None

    def open_form(self, record_id: str) -> dict[str, Any]:
        """Click Edit on a DM about ``record_id`` (as a notification carries it); the form once filled."""
        button = edit_button(Messages("en-US", "app"), ALIAS, "Opportunity", record_id)
        posted = self.bot.chat_postMessage(channel=self.user, text="A deal changed", blocks=[
            {"type": "actions", "block_id": "deal", "elements": [button]}])  # a user id: their DM with the app
        dm = str(posted["channel"])
        before = self.modal()
        clicked = self.slack.interactions.block_action(self.user, action={"action_id": Action.EDIT, "type": "button"},
                                                       block_id="deal", channel=dm, message_ts=posted["ts"])
        assert clicked.ok, clicked
        form = wait_for(lambda: (m := self.modal()) and m != before and m.get("callback_id") == CALLBACK_ID and m,
                        "the edit form", app=self.app)
        assert isinstance(form, dict)
        return form

    def result(self, view_id: str) -> dict[str, Any]:
        """The modal ``view_id`` once it shows the save's outcome (not "Saving…")."""
        found = wait_for(lambda: (m := self.modal()) and m["id"] == view_id and (
            m.get("callback_id") == CALLBACK_ID or "Saving" not in " ".join(texts(m["blocks"]))) and m,
            "the save's outcome", app=self.app)
        assert isinstance(found, dict)
        return found

    def post(self, payload: dict[str, Any]) -> requests.Response:
        """``payload`` posted to the app's interactivity URL, signed as Slack signs it (a raw client)."""
        body = urlencode({"payload": json.dumps(payload)})
        return requests.post(self.app.urls["interactivity"], data=body, timeout=30, headers={
            "Content-Type": "application/x-www-form-urlencoded", **signed(body, self.home.signing_secret)})

    def edits(self, record_id: str) -> list[Any]:
        return read_edits(self.home.control, alias=ALIAS, record_id=record_id)


@pytest.fixture()
def editing(member_home: MemberHome, slack_sandbox: SlackSandbox, sf_sandbox: SalesforceSandbox, tmp_path: Path,
            cli: Cli) -> Iterator[Editing]:
    """A member connected to ``acme`` in a running app whose Slack layout lets them edit ``EDITABLE``."""
    assert cli("layouts", "set", ALIAS, "Opportunity", "--fields", ",".join(EDITABLE), "--editable",
               ",".join(EDITABLE), "--as", member_home.sales_admin).code == 0
    user, sf_user = _deal_owner(member_home, sf_sandbox)
    app = start_app(tmp_path)
    try:
        page = connect(app, member_home, slack_sandbox, sf_sandbox, user, login_of(sf_sandbox, sf_user),
                       "Ev0EDIT000001")
        assert page.status_code == 200, page.text
        wait_for(lambda: (v := slack_sandbox.home_view(user)) and v.get("callback_id") == SALES_TAB, "the Sales tab",
                 app=app)
        slack_sandbox.configure_app(interactivity_url=app.urls["interactivity"])
        yield Editing(app, member_home, slack_sandbox, sf_sandbox, user, sf_user)
    finally:
        slack_sandbox.configure_app(interactivity_url=None)
        app.stop()


@pytest.fixture()
def rules(sf_sandbox: SalesforceSandbox) -> Iterator[str]:
    """The org's validation rules endpoint; the seeded rules are back after the test."""
    assert sf_sandbox.info is not None
    url = f"{sf_sandbox.info.instance_url}/_sandbox/validation-rules"
    yield url
    session = sandbox_session(sf_sandbox.info.ca_file)
    assert session.delete(url, timeout=10).status_code == 204
    for spec in SEEDED:
        assert session.post(url, json=spec, timeout=10).status_code == 200


def _deal_owner(home: MemberHome, sf: SalesforceSandbox) -> tuple[str, str]:
    """(Slack user, Salesforce user) of the Sales Home member owning the most open opportunities (at least 8)."""
    assert sf.store is not None
    rows = home.control.rows("SELECT slack_user_id, sf_user_id FROM user_map WHERE alias = ? AND status = 'matched' "
                             "AND sales_home_user ORDER BY slack_user_id", [ALIAS])
    owned = {str(r["OwnerId"]): int(r["n"]) for r in sf.store.read(
        'SELECT "OwnerId", count(*) AS n FROM "Opportunity" WHERE NOT "IsClosed" AND NOT "IsDeleted" '
        'GROUP BY "OwnerId"').to_pylist()}
    best = max(rows, key=lambda r: owned.get(str(r["sf_user_id"]), 0))
    assert owned.get(str(best["sf_user_id"]), 0) >= 8, "no Sales Home member owns 8 open opportunities"
    return str(best["slack_user_id"]), str(best["sf_user_id"])


def _option(view: dict[str, Any], field: str, value: str) -> dict[str, Any]:
    block = next(b for b in view["blocks"] if b.get("block_id") == field)
    return {"selected_option": next(o for o in block["element"]["options"] if o["value"] == value)}


def _advance(sf: SalesforceSandbox, seconds: int) -> None:
    assert sf.info is not None
    answer = sandbox_session(sf.info.ca_file).post(f"{sf.info.instance_url}/_sandbox/clock",
                                                   json={"advance_seconds": seconds}, timeout=10)
    assert answer.status_code == 200, answer.text


def _member_formatter(e: Editing) -> Formatter:
    row = e.home.control.rows("SELECT locale, tz FROM user_map WHERE alias = ? AND slack_user_id = ?", [ALIAS, e.user])
    return Formatter.for_reader(row[0]["locale"] or "en-US", row[0]["tz"])


# ------------------------------------------------------------------------------------------- a save
def test_a_save_reaches_salesforce_as_the_member_and_the_modal_says_what_changed(editing: Editing, cli: Cli) -> None:
    e = editing
    opp = e.own_open_opportunity(skip=0)
    before = e.row(opp)
    form = e.open_form(opp)
    stage = "Negotiation/Review" if before["StageName"] != "Negotiation/Review" else "Qualification"
    outcome = e.slack.interactions.submit(e.user, view_id=form["id"], values={
        "StageName": {Action.INPUT: _option(form, "StageName", stage)},
        "Amount": {Action.INPUT: {"value": "123456"}},
    })
    assert outcome.ok and not outcome.errors, outcome
    assert outcome.view is not None and "Saving" in " ".join(texts(outcome.view["blocks"]))  # the ack: at once
    shown = e.result(form["id"])
    assert shown["callback_id"] == RESULT
    after = e.row(opp)
    assert (after["StageName"], after["Amount"]) == (stage, 123456)
    assert after["LastModifiedById"][:15] == e.sf_user[:15]  # saved as the member, not the integration user
    text = " ".join(texts(shown["blocks"]))
    money = _member_formatter(e)
    assert f"Stage: {before['StageName']} → {stage}" in text, text
    old_amount = money.money(before["Amount"], "USD") if before["Amount"] is not None else "(empty)"
    assert f"Amount: {old_amount} → {money.money(123456, 'USD')}" in text, text
    assert opp not in text and before["Name"] in text  # the record's name, not its id

    [edit] = e.edits(opp)
    assert edit.outcome is EditOutcome.SAVED and edit.record_name == before["Name"]
    assert (edit.slack_user_id, edit.sf_user_id[:15]) == (e.user, e.sf_user[:15]) and edit.sf_user_name
    assert [(c.field, c.label) for c in edit.changes] == [("Amount", "Amount"), ("StageName", "Stage")]
    listed = cli("settings", "audit", "--edits")
    assert listed.code == 0, listed.err
    assert "Edits from Slack" in listed.out and before["Name"] in listed.out and e.user in listed.out
    assert edit.sf_user_name in listed.out and f"Stage: {before['StageName']} → {stage}" in listed.out
    assert "saved" in listed.out


# ------------------------------------------------------------------------------------------- 412
def test_a_record_changed_after_the_form_opened_is_the_412_path(editing: Editing) -> None:
    e = editing
    opp = e.own_open_opportunity(skip=1)
    with e.home.control.transaction() as db:  # the member reads French, in Paris time
        db.execute("UPDATE user_map SET locale = 'fr-FR', tz = 'Europe/Paris' WHERE alias = ? AND slack_user_id = ?",
                   [ALIAS, e.user])
    form = e.open_form(opp)
    _advance(e.sf, 5)
    store = e.sf.store
    assert store is not None
    someone = str(store.read('SELECT "Id" FROM "User" WHERE "IsActive" AND "Id" != ? ORDER BY "Id" LIMIT 1',
                             [e.sf_user]).to_pylist()[0]["Id"])
    store.update("Opportunity", opp, {"NextStep": "Their step"}, user_id=someone)
    changed = e.row(opp)
    name = str(store.read('SELECT "Name" FROM "User" WHERE "Id" = ?', [someone]).to_pylist()[0]["Name"])

    outcome = e.slack.interactions.submit(e.user, view_id=form["id"], values={
        "NextStep": {Action.INPUT: {"value": "My step"}}})
    assert outcome.ok, outcome
    shown = e.result(form["id"])
    text = " ".join(texts(shown["blocks"]))
    when = Formatter.for_reader("fr-FR", "Europe/Paris").datetime(changed["LastModifiedDate"].replace(tzinfo=UTC))
    assert f"{name} a modifié cet enregistrement dans Salesforce le {when}" in text, text
    assert "Vos modifications n’ont pas été enregistrées" in text
    assert e.row(opp)["NextStep"] == "Their step"  # nothing saved
    [edit] = e.edits(opp)
    assert edit.outcome is EditOutcome.CONFLICT and edit.detail is not None and name in edit.detail

    reload = e.slack.interactions.block_action(e.user, action={"action_id": Action.EDIT, "type": "button"},
                                               block_id="edit_reload", view_id=form["id"])
    assert reload.ok, reload
    again = wait_for(lambda: (m := e.modal()) and m.get("callback_id") == CALLBACK_ID and m, "the form reloaded",
                     app=e.app)
    step = next(b for b in again["blocks"] if b.get("block_id") == "NextStep")
    assert step["element"]["initial_value"] == "Their step"  # the record as it now is
    saved = e.slack.interactions.submit(e.user, view_id=again["id"], values={
        "NextStep": {Action.INPUT: {"value": "My step"}}})
    assert saved.ok
    e.result(again["id"])
    assert e.row(opp)["NextStep"] == "My step"


# ------------------------------------------------------------------------------------------- refusals
def test_validation_rules_show_under_their_field_or_on_top(editing: Editing, rules: str) -> None:
    e = editing
    assert e.sf.info is not None
    opp = e.own_open_opportunity(skip=2)
    before = e.row(opp)
    message = "Start the next step with a capital letter."
    rule = {"name": "Next_Step_Capital", "object": "Opportunity", "kind": "regex", "field": "NextStep",
            "pattern": "[A-Z].*", "message": message, "error_field": "NextStep"}
    control = sandbox_session(e.sf.info.ca_file)
    assert control.post(rules, json=rule, timeout=10).status_code == 200

    form = e.open_form(opp)
    outcome = e.slack.interactions.submit(e.user, view_id=form["id"], values={
        "NextStep": {Action.INPUT: {"value": "call them"}}, "Probability": {Action.INPUT: {"value": "40"}}})
    assert outcome.ok, outcome
    shown = e.result(form["id"])
    assert shown["callback_id"] == CALLBACK_ID  # the form again
    blocks = {b.get("block_id"): b for b in shown["blocks"]}
    assert message in " ".join(texts(blocks["NextStep__error"]))  # under its field, as the org wrote it
    assert blocks["NextStep"]["element"]["initial_value"] == "call them"  # what the member entered stays
    assert "Salesforce did not save your changes." in " ".join(texts(blocks["edit_notice"]))
    assert e.row(opp) == before

    seeded = e.slack.interactions.submit(e.user, view_id=shown["id"], values={
        "NextStep": {Action.INPUT: {"value": "Call them"}}, "Probability": {Action.INPUT: {"value": "120"}}})
    assert seeded.ok and not seeded.errors, seeded  # within the input's bounds: Salesforce's rule refuses it
    again = e.result(shown["id"])
    errors = {b["block_id"]: " ".join(texts(b)) for b in again["blocks"] if b["block_id"].endswith("__error")}
    assert errors == {"Probability__error": ":x: Probability must be between 0 and 100."}, errors

    assert control.post(rules, json={**rule, "error_field": None}, timeout=10).status_code == 200
    top = e.slack.interactions.submit(e.user, view_id=again["id"], values={
        "NextStep": {Action.INPUT: {"value": "call them"}}, "Probability": {Action.INPUT: {"value": "40"}}})
    assert top.ok
    page = e.result(again["id"])
    notice = " ".join(texts(next(b for b in page["blocks"] if b["block_id"] == "edit_notice")))
    assert message in notice and not [b for b in page["blocks"] if b["block_id"].endswith("__error")]
    assert e.row(opp) == before
    assert [x.outcome for x in e.edits(opp)] == [EditOutcome.REFUSED] * 3
    assert "FIELD_CUSTOM_VALIDATION_EXCEPTION NextStep" in (e.edits(opp)[0].detail or "")


def test_values_the_modal_refuses_stay_on_their_field_and_reach_no_one(editing: Editing) -> None:
    e = editing
    opp = e.own_open_opportunity(skip=3)
    form = e.open_form(opp)
    name_block = next(b for b in form["blocks"] if b.get("block_id") == "Name")
    limit = name_block["element"]["max_length"]
    region = next(b for b in form["blocks"] if b.get("block_id") == "Region__c")
    assert "Mars" not in [o["value"] for o in region["element"]["options"]]

    outcome = e.slack.interactions.submit(e.user, view_id=form["id"], values={
        "StageName": {Action.INPUT: _option(form, "StageName", "Closed Lost")}})
    payload = outcome.payload
    assert payload is not None
    # a client sending what the modal never offered: a value outside the restricted picklist, too long a name
    forged_state = json.loads(json.dumps(payload))
    forged_state["view"]["hash"] = "another-state"
    forged_state["view"]["state"]["values"]["Region__c"][Action.INPUT] = {
        "type": "static_select", "selected_option": {"text": {"type": "plain_text", "text": "Mars"}, "value": "Mars"}}
    forged_state["view"]["state"]["values"]["Name"][Action.INPUT] = {"type": "plain_text_input",
                                                                     "value": "x" * (limit + 1)}
    answer = e.post(forged_state)
    assert answer.status_code == 200
    body = answer.json()
    assert body["response_action"] == "errors" and set(body["errors"]) == {"Region__c", "Name"}, body
    assert "not available" in body["errors"]["Region__c"] and str(limit) in body["errors"]["Name"]
    e.result(form["id"])  # the first, valid submission's outcome
    assert [x.outcome for x in e.edits(opp)] == [EditOutcome.SAVED]  # the refused one reached no one
    assert e.row(opp)["Region__c"] != "Mars" and e.row(opp)["StageName"] == "Closed Lost"


# ------------------------------------------------------------------------------------------- once, and only ours
def test_a_double_submission_saves_once(editing: Editing) -> None:
    e = editing
    opp = e.own_open_opportunity(skip=4)
    form = e.open_form(opp)
    outcome = e.slack.interactions.submit(e.user, view_id=form["id"], values={
        "NextStep": {Action.INPUT: {"value": "Once"}}})
    assert outcome.ok and outcome.payload is not None
    first = e.result(form["id"])
    assert "Once" in " ".join(texts(first["blocks"]))
    used = e.sf.budget.used
    saved_at = e.row(opp)["SystemModstamp"]

    answers: list[requests.Response] = []
    threads = [threading.Thread(target=lambda: answers.append(e.post(outcome.payload or {}))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [a.status_code for a in answers] == [200, 200]
    for answer in answers:  # the same state again: the outcome shown again, nothing saved
        assert answer.json()["response_action"] == "update"
        assert "Once" in " ".join(texts(answer.json()["view"]["blocks"]))
    e.app.stop()  # every listener thread finished
    assert e.sf.budget.used == used  # not one more call to Salesforce
    assert e.row(opp)["SystemModstamp"] == saved_at and e.row(opp)["NextStep"] == "Once"
    assert [x.outcome for x in e.edits(opp)] == [EditOutcome.SAVED]


def test_two_submissions_at_once_save_once(editing: Editing) -> None:
    e = editing
    opp = e.own_open_opportunity(skip=5)
    form = e.open_form(opp)
    payload = e.slack.interactions.submit(e.user, view_id=form["id"], values={}).payload  # nothing changed: closes
    assert payload is not None
    payload["view"]["state"]["values"]["NextStep"][Action.INPUT] = {"type": "plain_text_input", "value": "Twice?"}
    answers: list[requests.Response] = []
    threads = [threading.Thread(target=lambda: answers.append(e.post(payload))) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(a.status_code for a in answers) == [200, 200, 200]
    e.app.stop()
    assert e.row(opp)["NextStep"] == "Twice?"
    assert [x.outcome for x in e.edits(opp)] == [EditOutcome.SAVED]  # one PATCH: a second one would be a 412


def test_forged_and_tampered_submissions_change_nothing(editing: Editing) -> None:
    e = editing
    opp = e.own_open_opportunity(skip=6)
    form = e.open_form(opp)
    payload = e.slack.interactions.submit(e.user, view_id=form["id"], values={}).payload
    assert payload is not None
    payload["view"]["state"]["values"]["NextStep"][Action.INPUT] = {"type": "plain_text_input", "value": "Forged"}
    before, used = e.row(opp), e.sf.budget.used
    other = e.home.control.rows("SELECT slack_user_id FROM user_map WHERE alias = ? AND status = 'matched' AND "
                                "slack_user_id != ? ORDER BY slack_user_id LIMIT 1", [ALIAS, e.user])[0]["slack_user_id"]
    meta = json.loads(payload["view"]["private_metadata"])
    ref = json.loads(meta["ref"])
    variants = {
        "another member": {**payload, "user": {**payload["user"], "id": other}},
        "another record": {**payload, "view": {**payload["view"], "hash": "h2", "private_metadata": json.dumps(
            {**meta, "ref": json.dumps({**ref, "r": e.own_open_opportunity(skip=7)}, separators=(",", ":"))})}},
        "no signature": {**payload, "view": {**payload["view"], "hash": "h3", "private_metadata": json.dumps(
            {**meta, "sig": ""})}},
        "no reference": {**payload, "view": {**payload["view"], "hash": "h4", "private_metadata": ""}},
    }
    for what, forged in variants.items():
        answer = e.post(forged)
        assert answer.status_code == 200, what
        body = answer.json()
        assert body["response_action"] == "update", what
        assert "could not verify this form" in " ".join(texts(body["view"]["blocks"])), what
    e.app.stop()
    assert e.sf.budget.used == used and e.row(opp) == before
    assert e.row(e.own_open_opportunity(skip=7))["NextStep"] != "Forged"
    assert e.edits(opp) == []
