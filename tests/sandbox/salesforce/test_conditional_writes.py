"""Writes to the sandbox org the way Salesforce refuses or accepts them: conditional requests, validation rules
and the exact error bodies, over HTTPS, as a member (a rep logged in through the web server flow) and as the
integration user.

References: REST API Developer Guide, "Conditional Request Headers" (If-Unmodified-Since / If-Modified-Since on
every record, ETag / If-Match / If-None-Match on Account records only, 412 Precondition Failed, 304 Not
Modified) and "Status Codes and Error Responses" (``[{"message", "errorCode", "fields"}]``); Salesforce Help,
"Validation Rules" (FIELD_CUSTOM_VALIDATION_EXCEPTION with the rule's message and error location).

Every test that changes the org's rules puts the seeded rules back; every refused write is shown to have
changed nothing by reading the record again.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from email.utils import format_datetime
from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce

from saleshome.sandbox.salesforce.server import SandboxInfo
from saleshome.sandbox.salesforce.validation import SEEDED
from tests.fixtures.sandboxes import sandbox_session as https_session
from tests.sandbox.salesforce.conftest import client
from tests.sandbox.salesforce.members import logins, member_client, register_callback


def _rules_url(info: SandboxInfo) -> str:
    return f"{info.instance_url}/_sandbox/validation-rules"


def _reset_rules(info: SandboxInfo) -> None:
    session = https_session(info.ca_file)
    assert session.delete(_rules_url(info), timeout=10).status_code == 204
    for spec in SEEDED:
        assert session.post(_rules_url(info), json=spec, timeout=10).status_code == 200


@pytest.fixture(scope="module")
def admin(info: SandboxInfo) -> Salesforce:
    return client(info)


@pytest.fixture(scope="module")
def rep(info: SandboxInfo, admin: Salesforce) -> dict[str, Any]:
    """An active Standard User who owns opportunities."""
    register_callback(info)
    owners = {r["OwnerId"] for r in admin.query_all("SELECT OwnerId FROM Opportunity WHERE IsDeleted = false")["records"]}
    found = [p for p in logins(info) if p["active"] and p["profile"] == "Standard User" and p["user_id"] in owners]
    assert found, "the seeded org has no active Standard User owning opportunities"
    return found[0]


@pytest.fixture(scope="module")
def rep_sf(info: SandboxInfo, rep: dict[str, Any]) -> Salesforce:
    return member_client(info, rep)


@pytest.fixture()
def rules(info: SandboxInfo) -> Iterator[str]:
    """The rules endpoint; the seeded rules are back after the test."""
    yield _rules_url(info)
    _reset_rules(info)


def _call(sf: Salesforce, method: str, path: str, body: dict[str, Any] | None = None, /,
          **headers: str) -> requests.Response:
    """One raw REST call as ``sf``'s user (status, headers and body exactly as sent)."""
    return sf.session.request(
        method, f"{sf.base_url}{path}", json=body, timeout=10,
        headers={"Authorization": f"Bearer {sf.session_id}", "Content-Type": "application/json", **headers},
    )


def _own_opportunity(admin: Salesforce, rep: dict[str, Any], skip: int = 0) -> str:
    rows = admin.query(
        f"SELECT Id FROM Opportunity WHERE OwnerId = '{rep['user_id']}' AND IsClosed = false ORDER BY Id"
    )["records"]
    assert len(rows) > skip, "the rep owns too few open opportunities"
    return str(rows[skip]["Id"])


def _http_date(salesforce_datetime: str) -> str:
    """A record's ``LastModifiedDate`` (``2024-01-31T10:00:00.000+0000``) as an HTTP-date."""
    return format_datetime(datetime.strptime(salesforce_datetime, "%Y-%m-%dT%H:%M:%S.%f%z"), usegmt=True)


def _advance(info: SandboxInfo, seconds: int) -> None:
    response = https_session(info.ca_file).post(
        f"{info.instance_url}/_sandbox/clock", json={"advance_seconds": seconds}, timeout=10
    )
    assert response.status_code == 200


# ------------------------------------------------------------------------------------------- conditional PATCH
def test_if_unmodified_since_refuses_a_stale_patch_with_412_and_changes_nothing(
    info: SandboxInfo, admin: Salesforce, rep: dict[str, Any], rep_sf: Salesforce
) -> None:
    opp = _own_opportunity(admin, rep)
    shown = rep_sf.Opportunity.get(opp)  # what the member's modal shows
    _advance(info, 5)
    assert admin.Opportunity.update(opp, {"NextStep": "Changed by someone else"}) == 204
    changed = admin.Opportunity.get(opp)

    stale = _call(rep_sf, "PATCH", f"sobjects/Opportunity/{opp}", {"NextStep": "Mine"},
                  **{"If-Unmodified-Since": _http_date(shown["LastModifiedDate"])})
    assert stale.status_code == 412
    body = stale.json()
    assert [e["errorCode"] for e in body] == ["PRECONDITION_FAILED"] and set(body[0]) == {"errorCode", "message"}
    assert admin.Opportunity.get(opp) == changed  # nothing changed, not even LastModifiedDate

    fresh = _call(rep_sf, "PATCH", f"sobjects/Opportunity/{opp}", {"NextStep": "Mine"},
                  **{"If-Unmodified-Since": _http_date(changed["LastModifiedDate"])})
    assert fresh.status_code == 204, fresh.text
    after = admin.Opportunity.get(opp)
    assert after["NextStep"] == "Mine" and after["LastModifiedById"] == rep["user_id"]


def test_an_invalid_if_unmodified_since_is_a_bad_request(admin: Salesforce, rep: dict[str, Any]) -> None:
    opp = _own_opportunity(admin, rep)
    before = admin.Opportunity.get(opp)
    answer = _call(admin, "PATCH", f"sobjects/Opportunity/{opp}", {"NextStep": "x"},
                   **{"If-Unmodified-Since": "yesterday"})
    assert answer.status_code == 400 and answer.json()[0]["errorCode"] == "INVALID_HEADER"
    assert admin.Opportunity.get(opp) == before


def test_if_modified_since_on_a_get_answers_304_until_the_record_changes(
    info: SandboxInfo, admin: Salesforce, rep: dict[str, Any]
) -> None:
    opp = _own_opportunity(admin, rep, skip=1)
    record = admin.Opportunity.get(opp)
    since = {"If-Modified-Since": _http_date(record["LastModifiedDate"])}
    unchanged = _call(admin, "GET", f"sobjects/Opportunity/{opp}", **since)
    assert unchanged.status_code == 304 and unchanged.content == b""
    _advance(info, 5)
    assert admin.Opportunity.update(opp, {"NextStep": "Moved"}) == 204
    changed = _call(admin, "GET", f"sobjects/Opportunity/{opp}", **since)
    assert changed.status_code == 200 and changed.json()["NextStep"] == "Moved"


def test_account_etags_guard_patches_with_if_match(admin: Salesforce) -> None:
    account = admin.query("SELECT Id FROM Account ORDER BY Id LIMIT 1")["records"][0]["Id"]
    first = _call(admin, "GET", f"sobjects/Account/{account}")
    tag = first.headers["ETag"]
    assert tag.startswith('"') and tag.endswith('--gzip"')
    assert _call(admin, "GET", f"sobjects/Account/{account}", **{"If-None-Match": tag}).status_code == 304

    wrong = _call(admin, "PATCH", f"sobjects/Account/{account}", {"Description": "wrong tag"},
                  **{"If-Match": '"not-the-tag--gzip"'})
    assert wrong.status_code == 412 and wrong.json()[0]["errorCode"] == "PRECONDITION_FAILED"
    assert _call(admin, "GET", f"sobjects/Account/{account}").json() == first.json()

    right = _call(admin, "PATCH", f"sobjects/Account/{account}", {"Description": "right tag"}, **{"If-Match": tag})
    assert right.status_code == 204, right.text
    assert right.headers["ETag"] != tag
    assert admin.Account.get(account)["Description"] == "right tag"
    again = _call(admin, "PATCH", f"sobjects/Account/{account}", {"Description": "stale tag"}, **{"If-Match": tag})
    assert again.status_code == 412
    assert admin.Account.get(account)["Description"] == "right tag"


def test_etags_are_for_accounts_only(admin: Salesforce, rep: dict[str, Any]) -> None:
    opp = _own_opportunity(admin, rep)
    answer = _call(admin, "GET", f"sobjects/Opportunity/{opp}")
    assert answer.status_code == 200 and "ETag" not in answer.headers
    ignored = _call(admin, "PATCH", f"sobjects/Opportunity/{opp}", {"NextStep": "no tags here"},
                    **{"If-Match": '"whatever--gzip"'})
    assert ignored.status_code == 204


# ------------------------------------------------------------------------------------------- errors, exactly
def _refused(sf: Salesforce, admin: Salesforce, obj: str, record_id: str, values: dict[str, Any]) -> tuple[int, Any]:
    """PATCH ``values``; the status and body; asserts the record did not change."""
    before = _call(admin, "GET", f"sobjects/{obj}/{record_id}").json()
    answer = _call(sf, "PATCH", f"sobjects/{obj}/{record_id}", values)
    assert _call(admin, "GET", f"sobjects/{obj}/{record_id}").json() == before
    return answer.status_code, answer.json()


def test_seeded_probability_rule_is_a_custom_validation_exception(
    admin: Salesforce, rep: dict[str, Any], rep_sf: Salesforce
) -> None:
    opp = _own_opportunity(admin, rep)
    for sf in (rep_sf, admin):
        assert _refused(sf, admin, "Opportunity", opp, {"Probability": 150}) == (400, [{
            "message": "Probability must be between 0 and 100.", "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
            "fields": ["Probability"],
        }])
    assert _call(rep_sf, "PATCH", f"sobjects/Opportunity/{opp}", {"Probability": 40}).status_code == 204


def test_rules_configured_through_the_endpoint_apply_to_every_user(
    rules: str, info: SandboxInfo, admin: Salesforce, rep: dict[str, Any], rep_sf: Salesforce
) -> None:
    control = https_session(info.ca_file)
    seeded = {r["name"]: r for r in control.get(rules, timeout=10).json()["rules"]}
    assert seeded["Probability_Within_Range"]["active"] is True
    assert seeded["Amount_Required_From_Proposal"]["active"] is False

    amount_rule = {**SEEDED[1], "active": True}
    assert control.post(rules, json=amount_rule, timeout=10).json()["active"] is True
    next_step_rule = {"name": "Next_Step_Format", "object": "Opportunity", "kind": "regex", "field": "NextStep",
                      "pattern": r"[A-Z].*", "message": "Next step starts with a capital letter."}
    assert control.post(rules, json=next_step_rule, timeout=10).status_code == 200

    opp = _own_opportunity(admin, rep)
    status, body = _refused(rep_sf, admin, "Opportunity", opp, {"StageName": "Proposal/Price Quote", "Amount": None})
    assert (status, body) == (400, [{
        "message": "Amount is required from the Proposal/Price Quote stage onwards.",
        "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "fields": ["Amount"],
    }])
    assert _refused(admin, admin, "Opportunity", opp, {"NextStep": "call them"}) == (400, [{
        "message": "Next step starts with a capital letter.", "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
        "fields": [],
    }])
    created = _call(admin, "POST", "sobjects/Opportunity",
                    {"Name": "No amount", "StageName": "Negotiation/Review", "CloseDate": "2027-03-01"})
    assert created.status_code == 400 and created.json()[0]["errorCode"] == "FIELD_CUSTOM_VALIDATION_EXCEPTION"

    assert control.delete(rules, params={"name": "Next_Step_Format"}, timeout=10).status_code == 204
    assert control.delete(rules, params={"name": "Next_Step_Format"}, timeout=10).status_code == 404
    assert _call(admin, "PATCH", f"sobjects/Opportunity/{opp}", {"NextStep": "call them"}).status_code == 204


def test_a_rule_that_does_not_fit_the_org_is_refused(rules: str, info: SandboxInfo) -> None:
    control = https_session(info.ca_file)
    before = control.get(rules, timeout=10).json()
    for bad in (
        {"name": "x", "object": "Nope", "kind": "range", "field": "Amount", "min": 0, "message": "m"},
        {"name": "x", "object": "Opportunity", "kind": "range", "field": "Name", "min": 0, "message": "m"},
        {"name": "x", "object": "Opportunity", "kind": "regex", "field": "NextStep", "pattern": "(", "message": "m"},
        {"name": "x", "object": "Opportunity", "kind": "formula", "field": "Amount", "message": "m"},
    ):
        answer = control.post(rules, json=bad, timeout=10)
        assert answer.status_code == 400 and answer.json()[0]["errorCode"] == "INVALID_ARGUMENT", bad
    assert control.get(rules, timeout=10).json() == before


def test_required_restricted_and_length_errors_name_their_field(
    admin: Salesforce, rep: dict[str, Any], rep_sf: Salesforce
) -> None:
    opp = _own_opportunity(admin, rep)
    fields = {f["name"]: f for f in admin.Opportunity.describe()["fields"]}
    assert fields["Region__c"]["restrictedPicklist"] is True
    too_long = "x" * (fields["Name"]["length"] + 1)
    for sf in (rep_sf, admin):
        assert _refused(sf, admin, "Opportunity", opp, {"Name": None}) == (400, [{
            "message": "Required fields are missing: [Name]", "errorCode": "REQUIRED_FIELD_MISSING",
            "fields": ["Name"],
        }])
        assert _refused(sf, admin, "Opportunity", opp, {"Region__c": "Mars"}) == (400, [{
            "message": f"{fields['Region__c']['label']}: bad value for restricted picklist field: Mars",
            "errorCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "fields": ["Region__c"],
        }])
        assert _refused(sf, admin, "Opportunity", opp, {"Name": too_long}) == (400, [{
            "message": f"{fields['Name']['label']}: data value too large: {too_long[:40]} "
                       f"(max length={fields['Name']['length']})",
            "errorCode": "STRING_TOO_LONG", "fields": ["Name"],
        }])
    region = fields["Region__c"]["picklistValues"][0]["value"]
    assert _call(rep_sf, "PATCH", f"sobjects/Opportunity/{opp}", {"Region__c": region}).status_code == 204


def test_a_record_the_member_may_not_edit_is_insufficient_access(
    admin: Salesforce, rep: dict[str, Any], rep_sf: Salesforce
) -> None:
    other = admin.query(
        f"SELECT Id FROM Account WHERE OwnerId != '{rep['user_id']}' ORDER BY Id LIMIT 1"
    )["records"][0]["Id"]  # accounts are Public Read Only: readable, not editable
    assert rep_sf.Account.get(other)["Id"] == other
    assert _refused(rep_sf, admin, "Account", other, {"Description": "mine now"}) == (400, [{
        "message": "insufficient access rights on object id", "errorCode": "INSUFFICIENT_ACCESS_OR_READONLY",
        "fields": [],
    }])


def test_a_patch_on_a_deleted_record_is_entity_is_deleted(admin: Salesforce, rep_sf: Salesforce) -> None:
    created = rep_sf.Opportunity.create({"Name": "Short-lived", "StageName": "Prospecting", "CloseDate": "2027-02-01"})
    assert rep_sf.Opportunity.delete(created["id"]) == 204
    for sf in (rep_sf, admin):
        answer = _call(sf, "PATCH", f"sobjects/Opportunity/{created['id']}", {"NextStep": "Revive"})
        assert (answer.status_code, answer.json()) == (404, [{
            "message": "entity is deleted", "errorCode": "ENTITY_IS_DELETED", "fields": [],
        }])


def test_the_simulator_writes_through_the_seeded_rules(info: SandboxInfo) -> None:
    answer = https_session(info.ca_file).post(
        f"{info.instance_url}/_sandbox/simulate", json={"changes": 300, "seed": 11}, timeout=120
    )
    assert answer.status_code == 200, answer.text


# ------------------------------------------------------------------------------------------- the UI API's PATCH
def test_ui_api_record_patch_is_conditional_and_reports_record_errors(
    info: SandboxInfo, admin: Salesforce, rep: dict[str, Any], rep_sf: Salesforce
) -> None:
    opp = _own_opportunity(admin, rep, skip=2)
    label = next(f["label"] for f in admin.Opportunity.describe()["fields"] if f["name"] == "Probability")
    shown = rep_sf.Opportunity.get(opp)
    _advance(info, 5)
    assert admin.Opportunity.update(opp, {"NextStep": "Someone else's step"}) == 204
    changed = admin.Opportunity.get(opp)

    stale = _call(rep_sf, "PATCH", f"ui-api/records/{opp}", {"fields": {"NextStep": "Mine"}},
                  **{"If-Unmodified-Since": _http_date(shown["LastModifiedDate"])})
    assert stale.status_code == 412
    [error] = stale.json()
    assert error["errorCode"] == "PRECONDITION_FAILED" and error["enhancedErrorType"] == "RecordError"
    assert error["output"]["fieldErrors"] == {} and [e["errorCode"] for e in error["output"]["errors"]] == [
        "PRECONDITION_FAILED"]
    assert admin.Opportunity.get(opp) == changed

    refused = _call(rep_sf, "PATCH", f"ui-api/records/{opp}", {"fields": {"Probability": 120}},
                    **{"If-Modified-Since": _http_date(changed["LastModifiedDate"])})
    assert refused.status_code == 400
    assert refused.json() == [{
        "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "message": "Probability must be between 0 and 100.",
        "enhancedErrorType": "RecordError", "output": {"errors": [], "fieldErrors": {"Probability": [{
            "constituentField": None, "duplicateRecordError": None, "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
            "field": "Probability", "fieldLabel": label, "message": "Probability must be between 0 and 100.",
        }]}},
    }]
    assert admin.Opportunity.get(opp) == changed

    saved = _call(rep_sf, "PATCH", f"ui-api/records/{opp}", {"fields": {"NextStep": "Mine"}},
                  **{"If-Unmodified-Since": _http_date(changed["LastModifiedDate"])})
    assert saved.status_code == 200, saved.text
    record = saved.json()
    assert record["id"] == opp and record["fields"]["NextStep"]["value"] == "Mine"
    assert admin.Opportunity.get(opp)["LastModifiedById"] == rep["user_id"]
