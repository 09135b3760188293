"""The member's record save (``UiApi.update_record``) against the Salesforce sandbox over HTTPS: a save as the
member, conditional on the date their form showed (412 → :class:`UiConflict` naming who changed the record and
when), and Salesforce's refusals typed, each on its field (:class:`UiSaveRefused`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from simple_salesforce import Salesforce

from saleshome.errors import FatalError, ValidationError, is_retriable
from saleshome.salesforce.ui_api import (
    MemberSession,
    SaveError,
    UiAccessDenied,
    UiApi,
    UiConflict,
    UiSaveRefused,
)
from saleshome.salesforce.ui_api_save import http_date, save_refusal
from saleshome.sandbox.salesforce.server import SalesforceSandbox, SandboxInfo
from saleshome.sandbox.salesforce.validation import SEEDED
from tests.fixtures.members import Members, member_token, pick_members
from tests.fixtures.sandboxes import sandbox_session
from tests.sandbox.salesforce.conftest import client
from tests.sandbox.salesforce.members import logins, member_client

pytestmark = pytest.mark.sandboxes(seed=11, opportunities=400)

Connect = Callable[[str], UiApi]


@pytest.fixture(scope="module")
def members(sandbox: SalesforceSandbox) -> Members:
    return pick_members(sandbox)


@pytest.fixture()
def connect(sandbox: SalesforceSandbox, info: SandboxInfo) -> Connect:
    return lambda user_id: UiApi(MemberSession(info.instance_url, member_token(sandbox, user_id), info.ca_file))


@pytest.fixture()
def admin(info: SandboxInfo) -> Salesforce:
    return client(info)


@pytest.fixture()
def rules(info: SandboxInfo) -> Iterator[str]:
    """The validation rules endpoint; the seeded rules are back after the test."""
    url = f"{info.instance_url}/_sandbox/validation-rules"
    yield url
    session = sandbox_session(info.ca_file)
    assert session.delete(url, timeout=10).status_code == 204
    for spec in SEEDED:
        assert session.post(url, json=spec, timeout=10).status_code == 200


def _advance(info: SandboxInfo, seconds: int) -> None:
    answer = sandbox_session(info.ca_file).post(f"{info.instance_url}/_sandbox/clock",
                                                json={"advance_seconds": seconds}, timeout=10)
    assert answer.status_code == 200, answer.text


def _own_open_opportunity(admin: Salesforce, user_id: str, skip: int) -> str:
    rows = admin.query(f"SELECT Id FROM Opportunity WHERE OwnerId = '{user_id}' AND IsClosed = false ORDER BY Id")
    assert len(rows["records"]) > skip, "the rep owns too few open opportunities"
    return str(rows["records"][skip]["Id"])


def _user_name(admin: Salesforce, user_id: str) -> str:
    return str(admin.query(f"SELECT Name FROM User WHERE Id = '{user_id}'")["records"][0]["Name"])


def test_a_save_as_the_member_is_conditional_on_the_date_shown(
        connect: Connect, members: Members, admin: Salesforce) -> None:
    rep = connect(members.rep.user_id)
    opp = _own_open_opportunity(admin, members.rep.user_id, skip=0)
    shown = rep.record(opp, fields=["Opportunity.NextStep"])
    assert shown.last_modified_date is not None
    saved = rep.update_record(opp, {"NextStep": "Call the buyer"}, if_unmodified_since=shown.last_modified_date,
                              api_name="Opportunity")
    assert saved.id == opp and saved.text("NextStep") == "Call the buyer"
    stored = admin.Opportunity.get(opp)
    assert stored["NextStep"] == "Call the buyer" and stored["LastModifiedById"][:15] == members.rep.user_id[:15]
    with pytest.raises(ValidationError):
        rep.update_record(opp, {})


def test_a_record_changed_since_is_a_conflict_naming_who_and_when(
        connect: Connect, members: Members, admin: Salesforce, info: SandboxInfo) -> None:
    rep = connect(members.rep.user_id)
    opp = _own_open_opportunity(admin, members.rep.user_id, skip=1)
    shown = rep.record(opp, fields=["Opportunity.NextStep"])
    _advance(info, 5)
    assert admin.Opportunity.update(opp, {"NextStep": "Someone else's step"}) == 204
    changed = admin.Opportunity.get(opp)
    for api_name in ("Opportunity", None):  # the object known, or read first
        with pytest.raises(UiConflict) as conflict:
            rep.update_record(opp, {"NextStep": "Mine"}, if_unmodified_since=shown.last_modified_date,
                              api_name=api_name)
        last = conflict.value.last_change
        assert isinstance(conflict.value, FatalError) and not is_retriable(conflict.value)
        assert last is not None and last.user_id is not None
        assert last.user_id[:15] == changed["LastModifiedById"][:15]
        assert last.user_name == _user_name(admin, changed["LastModifiedById"])
        assert last.at == datetime.strptime(changed["LastModifiedDate"], "%Y-%m-%dT%H:%M:%S.%f%z")
        assert "reload" in (conflict.value.hint or "")
    assert admin.Opportunity.get(opp)["NextStep"] == "Someone else's step"  # nothing was saved
    current = rep.record(opp, fields=["Opportunity.NextStep"])
    assert rep.update_record(opp, {"NextStep": "Mine"}, if_unmodified_since=current.last_modified_date
                             ).text("NextStep") == "Mine"


def _refused(api: UiApi, record_id: str, values: dict[str, object]) -> UiSaveRefused:
    with pytest.raises(UiSaveRefused) as refused:
        api.update_record(record_id, values)
    assert isinstance(refused.value, ValidationError) and refused.value.record_id == record_id
    return refused.value


def test_salesforce_refusals_are_typed_on_their_field(
        connect: Connect, members: Members, admin: Salesforce, rules: str, info: SandboxInfo) -> None:
    rep = connect(members.rep.user_id)
    opp = _own_open_opportunity(admin, members.rep.user_id, skip=2)
    before = admin.Opportunity.get(opp)
    labels = {f["name"]: f for f in admin.Opportunity.describe()["fields"]}

    seeded = _refused(rep, opp, {"Probability": 120})
    assert seeded.field_errors == {"Probability": (SaveError(
        "FIELD_CUSTOM_VALIDATION_EXCEPTION", "Probability must be between 0 and 100.", "Probability",
        labels["Probability"]["label"]),)}
    assert seeded.page_errors == () and seeded.field_messages() == {
        "Probability": ["Probability must be between 0 and 100."]}

    rule = {"name": "Next_Step_Capital", "object": "Opportunity", "kind": "regex", "field": "NextStep",
            "pattern": "[A-Z].*", "message": "Start the next step with a capital letter."}
    session = sandbox_session(info.ca_file)
    assert session.post(rules, json={**rule, "error_field": "NextStep"}, timeout=10).status_code == 200
    on_field = _refused(rep, opp, {"NextStep": "lowercase"})
    assert on_field.field_messages() == {"NextStep": ["Start the next step with a capital letter."]}
    assert session.post(rules, json=rule, timeout=10).status_code == 200  # no error field: the top of the page
    on_page = _refused(rep, opp, {"NextStep": "lowercase"})
    assert on_page.field_errors == {} and on_page.page_errors == (SaveError(
        "FIELD_CUSTOM_VALIDATION_EXCEPTION", "Start the next step with a capital letter."),)

    assert _refused(rep, opp, {"Name": None}).field_errors["Name"][0].error_code == "REQUIRED_FIELD_MISSING"
    region = _refused(rep, opp, {"Region__c": "Mars"})
    assert region.error_codes == ["INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"]
    assert region.field_messages() == {"Region__c": [
        f"{labels['Region__c']['label']}: bad value for restricted picklist field: Mars"]}
    too_long = _refused(rep, opp, {"Name": "x" * (labels["Name"]["length"] + 1)})
    assert too_long.error_codes == ["STRING_TOO_LONG"] and list(too_long.field_errors) == ["Name"]
    assert admin.Opportunity.get(opp) == before  # every refusal changed nothing

    others = admin.query(f"SELECT Id FROM Account WHERE OwnerId != '{members.rep.user_id}' ORDER BY Id LIMIT 1")
    readonly = _refused(rep, others["records"][0]["Id"], {"Description": "mine now"})
    assert readonly.field_errors == {} and [e.error_code for e in readonly.page_errors] == [
        "INSUFFICIENT_ACCESS_OR_READONLY"]

    login = next(p for p in logins(info) if p["user_id"] == members.rep.user_id)
    rep_sf = member_client(info, login)
    created = rep_sf.Opportunity.create({"Name": "Short-lived", "StageName": "Prospecting", "CloseDate": "2027-02-01"})
    assert rep_sf.Opportunity.delete(created["id"]) == 204
    deleted = _refused(rep, created["id"], {"NextStep": "Revive"})
    assert deleted.page_errors == (SaveError("ENTITY_IS_DELETED", "entity is deleted"),)


def test_a_record_the_member_cannot_see_is_access_denied_not_a_refusal(
        connect: Connect, members: Members, sandbox: SalesforceSandbox) -> None:
    assert sandbox.store is not None
    hidden = sandbox.store.read(
        'SELECT "Id" FROM "Opportunity" WHERE "OwnerId" NOT IN (SELECT unnest(?)) LIMIT 1',
        [list(members.rep.visible_owner_ids)],
    ).column("Id")[0].as_py()
    with pytest.raises(UiAccessDenied):
        connect(members.rep.user_id).update_record(hidden, {"NextStep": "Mine"})


def test_if_unmodified_since_is_an_http_date() -> None:
    assert http_date("2026-12-07T10:00:00.000Z") == "Mon, 07 Dec 2026 10:00:00 GMT"
    assert http_date("2026-12-07T10:00:00.999+0000") == "Mon, 07 Dec 2026 10:00:00 GMT"
    assert http_date(datetime(2026, 12, 7, 11, 0, tzinfo=UTC)) == "Mon, 07 Dec 2026 11:00:00 GMT"
    with pytest.raises(ValidationError):
        http_date("yesterday")
    with pytest.raises(ValidationError):
        http_date(datetime(2026, 12, 7))
    assert save_refusal({"not": "a list"}) is None and save_refusal([]) is None
