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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

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

EDITABLE = ["Name", "Amount", "StageName", "CloseDate", "Probability", "NextStep", "Region__c", "Description"]
ACCOUNT_EDITABLE = ["Description"]
CATALOG = ["NextStep:string", "Region__c:picklist:pick=Region,restricted", "Description:textarea"]  # as seeded
RESULT = "edit_record_result"
SAVING = "edit_record_saving"


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
        """The member's newest modal on top of its stack, as Slack holds it (id, hash, the view, the values held)."""
        api = self.slack.api
        assert api is not None
        with api.lock:
            for stored in reversed(list(api.views.views.values())):
                if stored.user_id == self.user and stored.type == "modal" and not stored.closed \
                        and not any(v.previous_view_id == stored.id and not v.closed for v in api.views.views.values()):
                    return {"id": stored.id, "hash": stored.hash, **stored.view}
        return None

    def open_form(self, record_id: str, obj: str = "Opportunity") -> dict[str, Any]:
        """Click Edit on a DM about ``record_id`` (as a notification carries it); the form once filled."""
        button = edit_button(Messages("en-US", "app"), ALIAS, obj, record_id)
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
        found = wait_for(lambda: (m := self.modal()) and m["id"] == view_id and m.get("callback_id") != SAVING and m,
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
    assert cli("layouts", "set", ALIAS, "Account", "--fields", "Name,Description", "--editable",
               ",".join(ACCOUNT_EDITABLE), "--as", member_home.sales_admin).code == 0
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


@pytest.fixture()
def schema(sf_sandbox: SalesforceSandbox) -> Iterator[Callable[[str], None]]:
    """Retype an Opportunity field as an admin does in Setup (while a member's modal is open); the seeded catalog is
    back after the test."""
    store = sf_sandbox.store
    assert store is not None
    yield lambda spec: store.change_schema("Opportunity", retype=spec)
    for spec in CATALOG:
        store.change_schema("Opportunity", retype=spec)


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
    assert outcome.view is not None and outcome.view["callback_id"] == SAVING  # the ack: at once
    assert "Saving your changes to Salesforce…" in texts(outcome.view["blocks"])
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

    answers: list[requests.Response] = []  # the same payload delivered again (a replay): shown, not saved
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
    answers: list[requests.Response] = []  # a double (triple) click: the same view state, each its own trigger id
    threads = [threading.Thread(target=lambda i=i: answers.append(e.post({**payload, "trigger_id": f"{i}.{i}.x"})))
               for i in range(3)]
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


def test_each_salesforce_refusal_shows_on_its_field(editing: Editing, schema: Callable[[str], None]) -> None:
    """The org changes while the modal is open (the modal checked the values against what it read), so Salesforce's
    own refusals come back: each under the field it names, or as the notice when it is about the record."""
    e = editing
    opp = e.own_open_opportunity(skip=8)
    store = e.sf.store
    assert store is not None
    store.update("Opportunity", opp, {"Description": "Keep me", "NextStep": "Go"})
    before = e.row(opp)
    form = e.open_form(opp)
    schema("NextStep:string:len=5")
    schema("Region__c:picklist:vals=Nowhere,restricted")
    region = next(o["value"] for o in next(b for b in form["blocks"] if b.get("block_id") == "Region__c")[
        "element"]["options"] if o["value"] not in ("__none__", before["Region__c"]))

    def refused(view: dict[str, Any], values: dict[str, Any], field: str) -> dict[str, Any]:
        outcome = e.slack.interactions.submit(e.user, view_id=view["id"], values=values)
        assert outcome.ok and not outcome.errors, outcome  # the modal let it through: Salesforce refuses
        shown = e.result(view["id"])
        errors = {b["block_id"]: " ".join(texts(b)) for b in shown["blocks"] if b["block_id"].endswith("__error")}
        assert list(errors) == [f"{field}__error"], errors
        return shown

    shown = refused(form, {"Region__c": {Action.INPUT: _option(form, "Region__c", region)}}, "Region__c")
    assert "bad value for restricted picklist field" in " ".join(texts(shown["blocks"]))
    assert region not in [o["value"] for o in next(b for b in shown["blocks"] if b.get("block_id") == "Region__c")[
        "element"]["options"]]  # the form again offers the values the org has now
    shown = refused(shown, {"NextStep": {Action.INPUT: {"value": "Much too long"}}}, "NextStep")
    assert "data value too large" in " ".join(texts(shown["blocks"]))  # STRING_TOO_LONG
    schema("Description:textarea:req")  # after the form was shown again
    shown = refused(shown, {"NextStep": {Action.INPUT: {"value": "Go"}},
                            "Description": {Action.INPUT: {"value": None}}}, "Description")
    assert "Required fields are missing: [Description]" in " ".join(texts(shown["blocks"]))
    assert e.row(opp) == before
    codes = [x.detail.split(" ")[0] for x in e.edits(opp) if x.detail]
    assert codes == ["INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "STRING_TOO_LONG", "REQUIRED_FIELD_MISSING"]

    store.delete("Opportunity", opp)  # in the Recycle Bin while the form is open
    deleted = e.slack.interactions.submit(e.user, view_id=shown["id"], values={
        "Description": {Action.INPUT: {"value": "Back"}}})
    assert deleted.ok
    gone = e.result(shown["id"])
    assert gone["callback_id"] == RESULT
    assert "This record was deleted in Salesforce: your changes were not saved." in texts(gone["blocks"])


def test_a_record_the_member_may_no_longer_edit_is_refused_as_a_notice(editing: Editing) -> None:
    """The member's own account, given to someone else while the modal is open: accounts are Public Read Only, so
    they still read it, and Salesforce refuses the save (INSUFFICIENT_ACCESS_OR_READONLY, about the record)."""
    e = editing
    store = e.sf.store
    assert store is not None
    owned = store.read('SELECT "Id" FROM "Account" WHERE "OwnerId" = ? AND NOT "IsDeleted" ORDER BY "Id" LIMIT 1',
                       [e.sf_user]).to_pylist()
    assert owned, "the member owns no account"
    account = str(owned[0]["Id"])
    form = e.open_form(account, "Account")
    someone = str(store.read('SELECT "Id" FROM "User" WHERE "IsActive" AND "Id" != ? ORDER BY "Id" LIMIT 1',
                             [e.sf_user]).to_pylist()[0]["Id"])
    store.update("Account", account, {"OwnerId": someone})
    outcome = e.slack.interactions.submit(e.user, view_id=form["id"], values={
        "Description": {Action.INPUT: {"value": "Mine now"}}})
    assert outcome.ok and not outcome.errors, outcome
    shown = e.result(form["id"])
    text = " ".join(texts(shown["blocks"]))
    assert "Salesforce did not save your changes. Your Salesforce access does not allow you to edit this record." \
        in text, text
    assert not [b for b in shown["blocks"] if str(b.get("block_id")).endswith("__error")]
    assert store.read('SELECT "Description" FROM "Account" WHERE "Id" = ?', [account]).to_pylist()[0][
        "Description"] != "Mine now"
    [edit] = read_edits(e.home.control, record_id=account)
    assert edit.outcome is EditOutcome.REFUSED and (edit.detail or "").startswith("INSUFFICIENT_ACCESS_OR_READONLY")


# ------------------------------------------------------------------------------------------- a date-time, typed in Slack
@pytest.fixture()
def next_call(sf_sandbox: SalesforceSandbox, member_home: MemberHome, cli: Cli) -> Iterator[str]:
    """A date-time field ``Next_Call__c`` (as in ``test_form.py``), added before the app starts (it caches object
    info per member); gone after the test, and the layout as ``editing`` sets it."""
    store = sf_sandbox.store
    assert store is not None
    store.change_schema("Opportunity", add="Next_Call__c:datetime")
    try:
        yield "Next_Call__c"
    finally:
        assert cli("layouts", "set", ALIAS, "Opportunity", "--fields", ",".join(EDITABLE), "--editable",
                   ",".join(EDITABLE), "--as", member_home.sales_admin).code == 0
        store.change_schema("Opportunity", remove="Next_Call__c")


@contextmanager
def slack_time_zone(slack: SlackSandbox, user: str, zone: str) -> Iterator[None]:
    """The Slack user's time zone (their profile's ``tz``) is ``zone`` meanwhile."""
    person = slack.world.users[user]
    before, person.tz = person.tz, zone
    try:
        yield
    finally:
        person.tz = before


def _as_shown(form: dict[str, Any], zone: ZoneInfo) -> dict[str, dict[str, Any]]:
    """What the viewer's page sends for ``form`` left as it was shown (the browser's raw values)."""
    raw: dict[str, dict[str, Any]] = {}
    for b in form["blocks"]:
        el = b.get("element") if b["type"] == "input" else None
        if not el:
            continue
        kind = el["type"]
        value: Any = el.get("initial_value", "")
        if kind == "datetimepicker":
            held = el.get("initial_date_time")
            value = datetime.fromtimestamp(held, zone).strftime("%Y-%m-%dT%H:%M") if held is not None else ""
        elif kind == "datepicker":
            value = el.get("initial_date", "")
        elif kind in ("static_select", "radio_buttons"):
            value = (el.get("initial_option") or {}).get("value", "")
        elif kind == "external_select":
            value = el.get("initial_option")
        elif kind in ("checkboxes", "multi_static_select"):
            value = [o["value"] for o in el.get("initial_options") or []]
        raw.setdefault(b["block_id"], {})[el["action_id"]] = value
    return raw


def test_a_date_time_typed_in_the_members_time_zone_reaches_salesforce_as_that_instant(
        next_call: str, editing: Editing, cli: Cli) -> None:
    """Through the viewer as a Slack client (``/client/api``): the datetimepicker shows the record's date-time in the
    member's Slack time zone (Kolkata, UTC+5:30), and the wall-clock time they type there is the instant Salesforce
    stores (UTC)."""
    e = editing
    fields = ",".join([*EDITABLE, next_call])
    assert cli("layouts", "set", ALIAS, "Opportunity", "--fields", fields, "--editable", fields, "--as",
               e.home.sales_admin).code == 0
    with slack_time_zone(e.slack, e.user, "Asia/Kolkata"):
        _edit_next_call(e, next_call)


def _edit_next_call(e: Editing, next_call: str) -> None:
    opp = e.own_open_opportunity(skip=6)
    assert e.sf.store is not None
    e.sf.store.update("Opportunity", opp, {next_call: "2026-12-10T14:30:00.000Z"})
    form = e.open_form(opp)
    element = next(b for b in form["blocks"] if b.get("block_id") == next_call)["element"]
    assert element["type"] == "datetimepicker"
    assert element["initial_date_time"] == int(datetime(2026, 12, 10, 14, 30, tzinfo=UTC).timestamp())

    assert e.slack.info is not None
    viewer = e.slack.info.viewer_url
    cookie = {"Cookie": f"sandbox_slack_user={e.user}"}
    html = requests.get(f"{viewer}client/api/surface", headers=cookie, timeout=10).json()["modal"]["html"]
    assert 'value="2026-12-10T20:00"' in html.split(f'data-block="{next_call}"', 1)[1].split(">", 1)[0]  # +5:30
    kolkata = ZoneInfo("Asia/Kolkata")
    raw = _as_shown(form, kolkata)
    raw[next_call][Action.INPUT] = "2027-01-15T10:00"  # typed by the member, Kolkata time
    answer = requests.post(f"{viewer}client/api/submit", headers=cookie, timeout=30,
                           json={"view_id": form["id"], "values": raw})
    assert answer.status_code == 200 and answer.json()["ok"], answer.text
    shown = e.result(form["id"])
    assert shown["callback_id"] == RESULT, texts(shown["blocks"])
    saved = e.row(opp)[next_call]
    moment = saved if isinstance(saved, datetime) else datetime.fromisoformat(str(saved).replace("Z", "+00:00"))
    assert moment.astimezone(UTC) == datetime(2027, 1, 15, 4, 30, tzinfo=UTC)  # 10:00 in Kolkata
    [edit] = e.edits(opp)
    assert [c.field for c in edit.changes] == [next_call] and edit.outcome is EditOutcome.SAVED
