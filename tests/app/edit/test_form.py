"""The edit modal of an opportunity as members read it through the Salesforce sandbox's UI API, checked by the Slack
sandbox's view validator, in English and French.

The module's org gets what an admin would set up in Setup: a record type ("Enterprise") offering some stages and
regions, a dependent picklist (``Sub_Region__c`` controlled by ``Region__c``), a date-time and a checkbox field, and
the weighted amount (``ExpectedRevenue``) made an ordinary currency field, which reps cannot see (field-level
security) and managers may edit.  A rep (Standard User: ``ForecastCategoryName`` readable, not editable) and a
manager edit the same record.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from saleshome.app.edit import EditField, EditRefused, Kind, decode_ref, derive_key, edit_view, read_submission
from saleshome.app.edit.form import NONE_VALUE, Action, button_value, encode_ref
from saleshome.app.edit.handlers import refilter
from saleshome.app.edit.load import EditForm, ReadOnly, load_form
from saleshome.app.home import Member as TabMember
from saleshome.app.home import Nav, OrgView, home_view, load_screen
from saleshome.app.home.blocks import RecordContent
from saleshome.errors import ValidationError
from saleshome.i18n import Messages
from saleshome.salesforce.ui_api import UiApi
from saleshome.sandbox.salesforce.access import access_for
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from saleshome.sandbox.slack.views import validate_view
from saleshome.settings.model import Layout, ObjectLists, OrgSettings
from tests.app.home.blockkit import texts
from tests.app.home.sessions import SandboxSession
from tests.fixtures.sandboxes import sandbox_control, sandbox_session

pytestmark = [pytest.mark.integration, pytest.mark.sandboxes(seed=83, opportunities=120)]

SALES_HOME = "Slack_Sales_Home_User"
EDITABLE = ["StageName", "Amount", "CloseDate", "Probability", "Description", "NextStep", "ExpectedRevenue",
            "ForecastCategoryName", "AccountId", "Region__c", "Sub_Region__c", "Next_Call__c", "Strategic__c"]
SETTINGS = OrgSettings(layouts={"Opportunity": Layout(fields=["Name", *EDITABLE], editable=EDITABLE)})
ENTERPRISE_STAGES = ["Prospecting", "Negotiation/Review", "Closed Won", "Closed Lost"]
KEY = derive_key("the app's signing secret")


def api(sandbox: SalesforceSandbox, user_id: str) -> UiApi:
    assert sandbox.info is not None
    return SandboxSession("acme", user_id, sandbox.info.instance_url, sandbox.sessions.issue(user_id).token,
                          sandbox_session(sandbox.info.ca_file)).ui_api()


@pytest.fixture(scope="module")
def org(sandbox: SalesforceSandbox) -> dict[str, str]:
    """The admin's setup, and the rep, the manager and the record they edit (owned by the rep)."""
    store = sandbox.store
    assert store is not None
    sandbox_control(sandbox, "schema", {"object": "Opportunity", "add": "Next_Call__c:datetime"})
    sandbox_control(sandbox, "schema", {"object": "Opportunity", "add": "Strategic__c:boolean"})
    sandbox_control(sandbox, "schema", {"object": "Opportunity",
                                        "add": "Sub_Region__c:picklist:restricted,vals=Nordics|DACH|Benelux|Pacific"})
    sandbox_control(sandbox, "schema", {"object": "Opportunity", "retype": "ExpectedRevenue:currency"})
    record_type = sandbox_control(sandbox, "record-types", {
        "object": "Opportunity", "developer_name": "Enterprise", "name": "Enterprise",
        "values": {"StageName": ENTERPRISE_STAGES, "Region__c": ["EMEA", "APAC"]}})
    sandbox_control(sandbox, "picklist-dependencies", {
        "object": "Opportunity", "field": "Sub_Region__c", "controller": "Region__c",
        "valid_for": {"Nordics": ["EMEA"], "DACH": ["EMEA"], "Benelux": ["EMEA"], "Pacific": ["APAC"]}})
    users = store.read('SELECT "Id" FROM "User" WHERE "IsActive" ORDER BY "Id"').to_pylist()
    grants = {u["Id"]: access_for(store, u["Id"]) for u in users}
    rep = next(u for u, a in grants.items() if a.profile == "Standard User" and SALES_HOME in a.permission_sets
               and "Sales_Analytics" not in a.permission_sets
               and store.read(f"SELECT count(*) AS n FROM \"Opportunity\" WHERE \"OwnerId\" = '{u}'").to_pylist()[0]["n"])
    manager = next(u for u, a in grants.items() if a.profile == "Sales Manager" and rep in a.visible_owner_ids)
    record = store.read(f"SELECT \"Id\" FROM \"Opportunity\" WHERE \"OwnerId\" = '{rep}' AND NOT \"IsClosed\" "
                        "ORDER BY \"Id\" LIMIT 1").to_pylist()[0]["Id"]
    store.update("Opportunity", record, {"RecordTypeId": record_type["id"], "StageName": "Prospecting",
                                         "Region__c": "EMEA", "Sub_Region__c": "DACH", "Strategic__c": True,
                                         "Next_Call__c": "2026-12-10T14:30:00.000Z", "Amount": 125000.5,
                                         "Description": "Line one\nLine two", "NextStep": "Call the CFO"})
    accounts = [a["Id"] for a in store.read('SELECT "Id" FROM "Account" ORDER BY "Id"').to_pylist()]
    store.update("Account", accounts[0], {"OwnerId": rep})
    other = next(a for a in accounts[1:] if not access_for(store, rep).can_see_record("Account", a, "edit"))
    return {"rep": rep, "manager": manager, "record": record, "record_type": record_type["id"],
            "rep_account": accounts[0], "other_account": other}


def form_of(sandbox: SalesforceSandbox, org: dict[str, str], who: str) -> EditForm:
    return load_form(api(sandbox, org[who]), alias="acme", obj="Opportunity", record_id=org["record"],
                     user_id="U0REP", settings=SETTINGS)


def block(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def values_of(element: dict[str, Any]) -> list[str]:
    return [o["value"] for o in element.get("options", [])]


def test_a_reps_modal_offers_the_layouts_editable_fields_they_may_update_with_inputs_by_type(
        sandbox: SalesforceSandbox, org: dict[str, str]) -> None:
    form = form_of(sandbox, org, "rep")
    names = [f.api_name for f in form.fields]
    # ExpectedRevenue: hidden from reps by field-level security; ForecastCategoryName: readable, not editable
    assert names == [n for n in EDITABLE if n not in ("ExpectedRevenue", "ForecastCategoryName")]
    assert form.ref.record_type_id == org["record_type"] and form.ref.last_modified
    view = edit_view(form.ref, form.fields, "en-US", "Europe/Paris", key=KEY, object_label=form.object_label,
                     record_name=form.record_name)
    validate_view(view, "modal")  # as views.open / views.update would: no error
    assert view["callback_id"] == "edit_record"
    assert (view["title"]["text"], view["submit"]["text"], view["close"]["text"]) == (
        "Edit Opportunity", "Save", "Cancel")
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert [b["block_id"] for b in inputs] == names
    assert "ExpectedRevenue" not in str(view) and "Expected Revenue" not in texts(view)
    kinds = {b["block_id"]: b["element"]["type"] for b in inputs}
    assert kinds == {
        "StageName": "static_select", "Amount": "number_input", "CloseDate": "datepicker",
        "Probability": "number_input", "Description": "plain_text_input", "NextStep": "plain_text_input",
        "AccountId": "external_select", "Region__c": "static_select", "Sub_Region__c": "static_select",
        "Next_Call__c": "datetimepicker", "Strategic__c": "checkboxes"}
    stage = block(view, "StageName")
    assert values_of(stage["element"]) == ENTERPRISE_STAGES  # the record type's stages only
    assert stage["element"]["initial_option"]["value"] == "Prospecting" and stage["optional"] is False
    region = block(view, "Region__c")
    assert values_of(region["element"]) == [NONE_VALUE, "EMEA", "APAC"] and region.get("dispatch_action") is True
    assert region["element"]["action_id"] == Action.CONTROLLING
    sub = block(view, "Sub_Region__c")
    assert values_of(sub["element"]) == [NONE_VALUE, "Nordics", "DACH", "Benelux"]  # valid for EMEA only
    assert sub["element"]["initial_option"]["value"] == "DACH"
    amount = block(view, "Amount")["element"]
    assert amount["initial_value"] == "125000.5" and amount["is_decimal_allowed"] is True
    assert block(view, "Probability")["element"]["is_decimal_allowed"] is False
    assert block(view, "Next_Call__c")["element"]["initial_date_time"] == int(
        datetime(2026, 12, 10, 14, 30, tzinfo=UTC).timestamp())
    assert block(view, "Strategic__c")["element"]["initial_options"][0]["value"] == "true"
    description = block(view, "Description")["element"]
    assert description["multiline"] is True and description["initial_value"] == "Line one\nLine two"
    next_step = block(view, "NextStep")["element"]
    assert next_step["max_length"] == 255 and "multiline" not in next_step
    account = block(view, "AccountId")["element"]
    assert account["action_id"] == Action.LOOKUP
    account_name = sandbox.store.read(  # type: ignore[union-attr]
        "SELECT a.\"Name\" AS n FROM \"Account\" a JOIN \"Opportunity\" o ON o.\"AccountId\" = a.\"Id\" "
        f"WHERE o.\"Id\" = '{org['record']}'").to_pylist()[0]["n"]
    assert account["initial_option"]["text"]["text"] == account_name[:75]  # the account's name, not its id
    assert account["initial_option"]["value"].startswith("001")
    assert decode_ref(view["private_metadata"], KEY, user_id="U0REP") == form.ref


def test_a_manager_may_edit_the_field_reps_cannot_see(sandbox: SalesforceSandbox, org: dict[str, str]) -> None:
    names = [f.api_name for f in form_of(sandbox, org, "manager").fields]
    assert "ExpectedRevenue" in names and "ForecastCategoryName" in names


def test_in_french(sandbox: SalesforceSandbox, org: dict[str, str]) -> None:
    form = form_of(sandbox, org, "rep")
    view = edit_view(form.ref, form.fields, "fr-FR", "Europe/Paris", key=KEY, object_label="Opportunité",
                     record_name=form.record_name)
    validate_view(view, "modal")
    assert (view["title"]["text"], view["submit"]["text"], view["close"]["text"]) == (
        "Modifier : Opportunité", "Enregistrer", "Annuler")
    context = block(view, "edit_record_name")["elements"][0]["text"]
    assert "Dernière modification" in context
    submitted = {**view, "state": {"values": {
        "Sub_Region__c": {Action.INPUT: {"type": "static_select", "selected_option": {"value": "Pacific"}}},
        "Amount": {Action.INPUT: {"type": "number_input", "value": "12.345"}},
        "NextStep": {Action.INPUT: {"type": "plain_text_input", "value": "x" * 256}},
        "StageName": {Action.INPUT: {"type": "static_select", "selected_option": None}},
    }}}
    values, problems = read_submission(submitted, form.fields, "fr-FR")
    assert problems == {
        "Sub_Region__c": "Cette valeur n’est pas valide quand Region vaut EMEA.",
        "Amount": "Au plus 2 chiffres après la virgule.",
        "NextStep": "Au plus 255 caractères (256 saisis).",
        "StageName": "Ce champ est obligatoire.",
    }
    assert values == {}


def test_the_submission_holds_only_what_changed_typed_for_salesforce(
        sandbox: SalesforceSandbox, org: dict[str, str]) -> None:
    form = form_of(sandbox, org, "rep")
    view = edit_view(form.ref, form.fields, "en-US", "Europe/Paris", key=KEY)
    unchanged, problems = read_submission({**view, "state": {"values": {}}}, form.fields)
    assert unchanged == {} and problems == {}
    state = {
        "StageName": {Action.INPUT: {"type": "static_select", "selected_option": {"value": "Closed Won"}}},
        "Amount": {Action.INPUT: {"type": "number_input", "value": "125000.50"}},  # the same amount: not a change
        "Probability": {Action.INPUT: {"type": "number_input", "value": "90"}},
        "CloseDate": {Action.INPUT: {"type": "datepicker", "selected_date": "2027-01-15"}},
        "Next_Call__c": {Action.INPUT: {"type": "datetimepicker", "selected_date_time": int(datetime(2027, 1, 15, 9, 0, tzinfo=UTC).timestamp())}},
        "Strategic__c": {Action.INPUT: {"type": "checkboxes", "selected_options": []}},
        "Region__c": {Action.CONTROLLING: {"type": "static_select", "selected_option": {"value": "APAC"}}},
        "Sub_Region__c": {Action.INPUT: {"type": "static_select", "selected_option": {"value": "Pacific"}}},
        "NextStep": {Action.INPUT: {"type": "plain_text_input", "value": None}},
        "Forged__c": {Action.INPUT: {"type": "plain_text_input", "value": "not offered"}},
    }
    values, problems = read_submission({**view, "state": {"values": state}}, form.fields)
    assert problems == {}
    assert values == {"StageName": "Closed Won", "Probability": 90, "CloseDate": "2027-01-15",
                      "Next_Call__c": "2027-01-15T09:00:00.000Z", "Strategic__c": False, "Region__c": "APAC",
                      "Sub_Region__c": "Pacific", "NextStep": None}
    stage = next(f for f in form.fields if f.api_name == "StageName")
    bad, refused = read_submission({**view, "state": {"values": {
        "StageName": {Action.INPUT: {"type": "static_select", "selected_option": {"value": "Qualification"}}}}}},
        [stage])
    assert bad == {} and refused == {"StageName": "This value is not available for this record type."}


def test_changing_the_controlling_value_filters_the_dependent_picklist(
        sandbox: SalesforceSandbox, org: dict[str, str]) -> None:
    member = api(sandbox, org["rep"])
    form = form_of(sandbox, org, "rep")
    view = edit_view(form.ref, form.fields, "en-US", None, key=KEY)
    info = member.object_info("Opportunity")
    picklists = member.picklist_values("Opportunity", record_type_id=org["record_type"])
    again = refilter({**view, "id": "V1", "hash": "h", "state": {}}, "Region__c", "APAC", info, picklists,
                     Messages("en-US", "app"))
    validate_view(again, "modal")
    sub = block(again, "Sub_Region__c")
    assert values_of(sub["element"]) == [NONE_VALUE, "Pacific"] and "initial_option" not in sub["element"]
    assert block(again, "StageName") == block(view, "StageName")  # the rest as it was, pre-filled values included
    assert again["private_metadata"] == view["private_metadata"] and "state" not in again and "id" not in again


def test_a_forged_or_altered_reference_is_refused(sandbox: SalesforceSandbox, org: dict[str, str]) -> None:
    form = form_of(sandbox, org, "rep")
    text = encode_ref(form.ref, KEY)
    assert decode_ref(text, KEY, user_id="U0REP") == form.ref
    other_record = text.replace(org["record"], org["record"][:-4] + "ZZZZ")
    with pytest.raises(EditRefused, match="altered"):
        decode_ref(other_record, KEY)
    with pytest.raises(EditRefused, match="altered"):
        decode_ref(encode_ref(form.ref, derive_key("someone else's secret")), KEY)  # signed with another key
    with pytest.raises(EditRefused, match="another member"):
        decode_ref(text, KEY, user_id="U0SOMEONE")
    for junk in (None, "", "{}", '{"v":1,"ref":"{}","sig":"x"}', "not json"):
        with pytest.raises(EditRefused):
            decode_ref(junk, KEY)
    forged = replace(form.ref, fields=(*form.ref.fields, "OwnerId"))
    assert decode_ref(encode_ref(forged, KEY), KEY).fields[-1] == "OwnerId"  # only the key makes a reference


def test_a_member_who_may_not_edit_gets_no_form(sandbox: SalesforceSandbox, org: dict[str, str]) -> None:
    """A Support User reads accounts (and their own opportunities, if any) without edit rights on either."""
    store = sandbox.store
    assert store is not None
    users = store.read('SELECT "Id" FROM "User" WHERE "IsActive" ORDER BY "Id"').to_pylist()
    reader = next(u["Id"] for u in users if (a := access_for(store, u["Id"])).profile == "Support User"
                  and SALES_HOME in a.permission_sets)
    member = api(sandbox, reader)
    account = member.list_records("Account", "AllAccounts", page_size=1).records[0].id
    with pytest.raises(ReadOnly):
        load_form(member, alias="acme", obj="Account", record_id=account, user_id="U0", settings=SETTINGS)


def test_a_record_the_member_reads_but_may_not_edit_gets_no_form(
        sandbox: SalesforceSandbox, org: dict[str, str]) -> None:
    """Accounts are public read only: a rep reads every account, edits their own (sharing, not object permissions)."""
    rep = api(sandbox, org["rep"])
    assert rep.record(org["other_account"], optional_fields=["Account.Name"]).id == org["other_account"]  # readable
    with pytest.raises(ReadOnly, match="not edit it"):
        load_form(rep, alias="acme", obj="Account", record_id=org["other_account"], user_id="U0", settings=SETTINGS)
    with ThreadPoolExecutor(2) as pool, pytest.raises(ReadOnly, match="not edit it"):
        load_form(rep, alias="acme", obj="Account", record_id=org["other_account"], user_id="U0",
                  settings=SETTINGS, pool=pool)
    assert load_form(rep, alias="acme", obj="Account", record_id=org["rep_account"], user_id="U0",
                     settings=SETTINGS).fields  # their own account


def test_number_and_text_checks_in_english() -> None:
    amount = EditField("Amount", "Amount", Kind.CURRENCY, precision=18, scale=2, current=10)
    probability = EditField("Probability", "Probability", Kind.PERCENT, precision=3, scale=0, current=10)
    view: dict[str, Any] = {"blocks": [], "state": {"values": {
        "Amount": {Action.INPUT: {"value": "abc"}}, "Probability": {Action.INPUT: {"value": "1000"}}}}}
    assert read_submission(view, [amount, probability])[1] == {
        "Amount": "Enter a number.", "Probability": "At most 3 digits before the decimal point."}


def test_the_sales_tab_offers_edit_on_a_record_only_to_who_may_edit_it(
        sandbox: SalesforceSandbox, org: dict[str, str]) -> None:
    store = sandbox.store
    assert store is not None and sandbox.info is not None
    settings = SETTINGS.model_copy(update={"objects": {"Opportunity": ObjectLists(), "Account": ObjectLists()}})
    view = OrgView("acme", "Acme", sandbox.info.instance_url, settings, "USD")
    users = store.read('SELECT "Id" FROM "User" WHERE "IsActive" ORDER BY "Id"').to_pylist()
    support = next(u["Id"] for u in users if (a := access_for(store, u["Id"])).profile == "Support User"
                   and SALES_HOME in a.permission_sets)
    account = api(sandbox, support).list_records("Account", "AllAccounts", page_size=1).records[0].id

    def tab(user: str, obj: str, record: str, locale: str) -> dict[str, Any]:
        member = api(sandbox, user)
        nav = Nav(org="acme", object=obj, list="AllOpportunities" if obj == "Opportunity" else "AllAccounts",
                  record=record)
        screen = load_screen(lambda alias: member, TabMember("U1", locale, "Europe/Paris"), [view], nav)
        assert isinstance(screen.content, RecordContent)
        published = home_view(screen)
        validate_view(published, "home")
        return published

    rep = tab(org["rep"], "Opportunity", org["record"], "fr-FR")
    [buttons] = [b["elements"] for b in rep["blocks"] if b.get("block_id") == "sales_home_record_actions"]
    assert [(e["action_id"], e["text"]["text"]) for e in buttons] == [
        (Action.EDIT, "Modifier"), ("sales_home_back_to_list", "Retour à la liste")]
    assert buttons[0]["value"] == button_value("acme", "Opportunity", org["record"])
    assert Action.EDIT in str(tab(org["rep"], "Account", org["rep_account"], "en-US"))  # a rep's own account
    assert Action.EDIT not in str(tab(org["rep"], "Account", org["other_account"], "en-US"))  # read, not editable
    assert Action.EDIT not in str(tab(support, "Account", account, "en-US"))  # a Support User edits no account


def test_a_text_longer_than_slack_holds_is_left_to_salesforce(sandbox: SalesforceSandbox, org: dict[str, str]) -> None:
    store = sandbox.store
    assert store is not None
    other = next(r.id for r in api(sandbox, org["manager"]).list_records("Opportunity", "AllOpportunities",
                                                                          page_size=200).records if r.id != org["record"])
    store.update("Opportunity", other, {"Description": "word " * 700})  # 3,500 characters
    form = load_form(api(sandbox, org["manager"]), alias="acme", obj="Opportunity", record_id=other, user_id="U0",
                     settings=SETTINGS)
    assert "Description" not in form.ref.fields and "Description" not in [f.api_name for f in form.fields]
    assert "NextStep" in form.ref.fields


def test_picklists_read_beside_the_record_give_the_same_form(sandbox: SalesforceSandbox, org: dict[str, str]) -> None:
    """Accounts have no record type: their picklist values are read at the same time as the record; opportunities
    have one here: after it (the record says which).  Either way the form is the one read step by step."""
    member = api(sandbox, org["rep"])
    with ThreadPoolExecutor(2) as pool:
        for obj, record in (("Account", org["rep_account"]), ("Opportunity", org["record"])):
            together = load_form(member, alias="acme", obj=obj, record_id=record, user_id="U0", settings=SETTINGS,
                                 pool=pool)
            apart = load_form(member, alias="acme", obj=obj, record_id=record, user_id="U0", settings=SETTINGS)
            assert together == apart and any(f.kind is Kind.PICKLIST and f.options for f in together.fields)


def test_record_access_is_asked_only_for_salesforce_ids(sandbox: SalesforceSandbox, org: dict[str, str]) -> None:
    rep = api(sandbox, org["rep"])
    assert rep.editable_records([org["rep_account"], org["other_account"]]) == {org["rep_account"]}
    assert rep.editable_records([]) == set()
    for bad in (["001' OR Id != '"], [f"001{i:015d}" for i in range(201)]):  # not an id; over 200 ids
        with pytest.raises(ValidationError):
            rep.editable_records(bad)
