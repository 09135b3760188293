"""Record types and dependent picklists of the sandbox org, over HTTPS as a member and as the integration user.

References: REST API Developer Guide, "sObject Describe" (``recordTypeInfos``, ``dependentPicklist``,
``controllerName``, ``validFor`` as a base64 bitmap), "Status Codes and Error Responses"; User Interface API
Developer Guide, "Object Info" (``recordTypeInfos``, ``defaultRecordTypeId``, ``dependentFields``, a field's
``controllerName``), "Picklist Values" (``controllerValues``, ``values[].validFor``), "Record"
(``recordTypeId``, ``recordTypeInfo``); Salesforce Help, "Record Types", "Define Dependent Picklists".  A
restricted picklist refuses a value outside its record type's values or not valid for its controlling value
with INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST; an unrestricted one takes any value through the API.

This module runs its own org (it adds record types and fields, which no other module expects); the tests
run in order, each building on the configuration the previous ones made.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from saleshome.sandbox.salesforce.server import SalesforceSandbox, SandboxInfo
from tests.fixtures.members import Members, member_token, pick_members
from tests.fixtures.sandboxes import sandbox_session
from tests.sandbox.salesforce.conftest import password_login

MASTER = "012000000000000AAA"
REGIONS = ["AMER", "EMEA", "APAC", "LATAM"]  # Region__c's values, in order (the controller's indexes)
Call = Callable[..., requests.Response]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SalesforceSandbox]:
    with SalesforceSandbox(seed=23, opportunities=300) as sb:
        yield sb


@pytest.fixture(scope="module")
def info(sandbox: SalesforceSandbox) -> SandboxInfo:
    assert sandbox.info is not None
    return sandbox.info


@pytest.fixture(scope="module")
def members(sandbox: SalesforceSandbox) -> Members:
    return pick_members(sandbox)


def _caller(info: SandboxInfo, token: str | None) -> Call:
    session = sandbox_session(info.ca_file)
    headers = {"Authorization": f"Bearer {token}"} if token else {}

    def call(method: str, path: str, body: Any = None, **params: Any) -> requests.Response:
        base = "" if path.startswith("/_sandbox") else f"/services/data/v{info.api_version}"
        return session.request(method, f"{info.instance_url}{base}{path}", json=body, params=params,
                               headers=headers, timeout=60)

    return call


@pytest.fixture(scope="module")
def admin(info: SandboxInfo) -> Call:
    return _caller(info, password_login(info)["access_token"])


@pytest.fixture(scope="module")
def rep(sandbox: SalesforceSandbox, info: SandboxInfo, members: Members) -> Call:
    return _caller(info, member_token(sandbox, members.rep.user_id))


def _ok(response: requests.Response) -> Any:
    assert response.status_code in (200, 201, 204), response.text[:500]
    return response.json() if response.status_code != 204 else None


def _refused(response: requests.Response, code: str, field: str | None) -> None:
    assert response.status_code == 400, response.text[:500]
    body = response.json()
    assert body[0]["errorCode"] == code, body
    if "output" in body[0]:  # UI API: Error with Output
        assert list(body[0]["output"]["fieldErrors"]) == ([field] if field else []), body
    else:  # REST API
        assert body[0]["fields"] == ([field] if field else []), body


def _rep_opportunities(admin: Call, members: Members, count: int) -> list[str]:
    soql = f"SELECT Id FROM Opportunity WHERE OwnerId = '{members.rep.user_id}' AND IsClosed = false ORDER BY Id"
    ids = [r["Id"] for r in _ok(admin("GET", "/query", q=soql))["records"]]
    assert len(ids) >= count, "the rep owns too few open opportunities"
    return ids[:count]


def _record(call: Call, record_id: str, *fields: str) -> dict[str, Any]:
    names = ",".join(f"Opportunity.{f}" for f in fields or ("Name",))
    return _ok(call("GET", f"/ui-api/records/{record_id}", optionalFields=names))  # type: ignore[no-any-return]


def _patch(call: Call, record_id: str, **fields: Any) -> requests.Response:
    return call("PATCH", f"/ui-api/records/{record_id}", {"fields": fields})


def _rest_patch(call: Call, record_id: str, **fields: Any) -> requests.Response:
    return call("PATCH", f"/sobjects/Opportunity/{record_id}", fields)


def _record_type_ids(admin: Call) -> dict[str, str]:
    return {t["developer_name"]: t["id"] for t in _ok(admin("GET", "/_sandbox/record-types"))["record_types"]}


# ----------------------------------------------------------------------------------- record types
def test_the_seeded_org_has_only_the_master_record_type(admin: Call, rep: Call, members: Members) -> None:
    info = _ok(rep("GET", "/ui-api/object-info/Opportunity"))
    assert list(info["recordTypeInfos"]) == [MASTER] and info["defaultRecordTypeId"] == MASTER
    assert "RecordTypeId" not in info["fields"] and info["dependentFields"] == {}
    record = _record(rep, _rep_opportunities(admin, members, 1)[0])
    assert (record["recordTypeId"], record["recordTypeInfo"]) == (MASTER, None)
    described = _ok(admin("GET", "/sobjects/Opportunity/describe"))
    assert described["recordTypeInfos"] == [] and "RecordTypeId" not in {f["name"] for f in described["fields"]}
    assert _ok(admin("GET", "/_sandbox/record-types")) == {"record_types": []}


def test_record_types_offer_their_own_picklist_values(admin: Call, rep: Call, members: Members) -> None:
    enterprise = _ok(admin("POST", "/_sandbox/record-types", {
        "object": "Opportunity", "developer_name": "Enterprise", "name": "Enterprise Deal", "default": True,
        "values": {"StageName": ["Prospecting", "Negotiation/Review", "Closed Won", "Closed Lost"],
                   "Region__c": ["EMEA", "AMER"]}}))
    smb = _ok(admin("POST", "/_sandbox/record-types", {
        "object": "Opportunity", "developer_name": "SMB", "values": {"Region__c": ["APAC"]}}))
    assert enterprise["id"].startswith("012") and enterprise["id"] != MASTER and smb["id"] != enterprise["id"]
    assert _record_type_ids(admin) == {"Enterprise": enterprise["id"], "SMB": smb["id"]}

    info = _ok(rep("GET", "/ui-api/object-info/Opportunity"))
    assert info["defaultRecordTypeId"] == enterprise["id"]
    assert {k: (v["name"], v["master"], v["defaultRecordTypeMapping"]) for k, v in info["recordTypeInfos"].items()} \
        == {enterprise["id"]: ("Enterprise Deal", False, True), smb["id"]: ("SMB", False, False),
            MASTER: ("Master", True, False)}
    assert "RecordTypeId" in info["fields"]

    def values(record_type: str, field: str) -> list[str]:
        body = _ok(rep("GET", f"/ui-api/object-info/Opportunity/picklist-values/{record_type}/{field}"))
        assert body["url"].endswith(f"/picklist-values/{record_type}/{field}")
        return [v["value"] for v in body["values"]]

    assert values(enterprise["id"], "Region__c") == ["AMER", "EMEA"]  # the field's order, not the config's
    assert values(smb["id"], "Region__c") == ["APAC"]
    assert values(MASTER, "Region__c") == REGIONS
    assert values(enterprise["id"], "StageName") == ["Prospecting", "Negotiation/Review", "Closed Won", "Closed Lost"]
    assert len(values(smb["id"], "StageName")) == 11  # a picklist the record type does not name: every value
    every = _ok(rep("GET", f"/ui-api/object-info/Opportunity/picklist-values/{smb['id'][:15]}"))
    assert [v["value"] for v in every["picklistFieldValues"]["Region__c"]["values"]] == ["APAC"]
    missing = rep("GET", "/ui-api/object-info/Opportunity/picklist-values/012000000000999AAA/Region__c")
    assert missing.status_code == 404 and missing.json()[0]["errorCode"] == "NOT_FOUND"

    described = _ok(admin("GET", "/sobjects/Opportunity/describe"))
    assert [(t["developerName"], t["master"], t["defaultRecordTypeMapping"]) for t in described["recordTypeInfos"]] \
        == [("Enterprise", False, True), ("SMB", False, False), ("Master", True, False)]


def test_records_carry_their_record_type(admin: Call, rep: Call, members: Members) -> None:
    ids = _record_type_ids(admin)
    existing = _rep_opportunities(admin, members, 1)[0]
    record = _record(rep, existing)
    assert record["recordTypeId"] == MASTER and record["recordTypeInfo"]["master"] is True  # kept the master type
    moved = _ok(_patch(rep, existing, RecordTypeId=ids["SMB"], Region__c="APAC"))  # SMB offers APAC alone
    assert moved["recordTypeId"] == ids["SMB"] and moved["recordTypeInfo"]["name"] == "SMB"
    assert _record(rep, existing)["fields"]["Name"]["value"]
    ui = _ok(rep("GET", f"/ui-api/record-ui/{existing}"))
    assert list(ui["layouts"]["Opportunity"]) == [ids["SMB"]]
    assert ui["layouts"]["Opportunity"][ids["SMB"]]["Full"]["View"]["recordTypeId"] == ids["SMB"]

    created = _ok(admin("POST", "/sobjects/Opportunity", {"Name": "Record type default", "StageName": "Prospecting",
                                                          "CloseDate": "2027-01-31"}))
    row = _ok(admin("GET", f"/sobjects/Opportunity/{created['id']}"))
    assert row["RecordTypeId"] == ids["Enterprise"]  # a new record gets the default record type
    soql = f"SELECT Id, Name, SobjectType FROM RecordType WHERE Id = '{ids['SMB']}'"
    assert [(r["Name"], r["SobjectType"]) for r in _ok(admin("GET", "/query", q=soql))["records"]] == [("SMB", "Opportunity")]


def test_a_restricted_value_outside_the_record_type_is_refused(admin: Call, rep: Call, members: Members) -> None:
    ids = _record_type_ids(admin)
    smb_deal = _rep_opportunities(admin, members, 1)[0]  # moved to SMB by the previous test
    assert _record(rep, smb_deal)["recordTypeId"] == ids["SMB"]
    before = _record(rep, smb_deal, "Region__c")["fields"]["Region__c"]["value"]
    _refused(_patch(rep, smb_deal, Region__c="EMEA"), "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "Region__c")
    _refused(_rest_patch(rep, smb_deal, Region__c="EMEA"), "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "Region__c")
    _refused(_rest_patch(admin, smb_deal, Region__c="EMEA"), "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "Region__c")
    assert _record(rep, smb_deal, "Region__c")["fields"]["Region__c"]["value"] == before  # nothing changed
    assert _ok(_patch(rep, smb_deal, Region__c="APAC"))["fields"]["Region__c"]["value"] == "APAC"
    # moving the record to a type whose values exclude its restricted value is refused as well
    _refused(_patch(rep, smb_deal, RecordTypeId=ids["Enterprise"]), "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
             "Region__c")
    # StageName is not restricted: the API takes a stage outside the record type's sales process
    assert _rest_patch(rep, smb_deal, StageName="Needs Analysis").status_code == 204
    enterprise_deal = _rep_opportunities(admin, members, 2)[1]
    _ok(_patch(rep, enterprise_deal, RecordTypeId=ids["Enterprise"], Region__c="EMEA", StageName="Prospecting"))
    assert _rest_patch(rep, enterprise_deal, StageName="Needs Analysis").status_code == 204
    # ... until an admin makes it restricted
    _ok(admin("POST", "/_sandbox/schema", {"object": "Opportunity", "retype": "StageName:picklist:req,pick=Stage,restricted"}))
    _refused(_patch(rep, enterprise_deal, StageName="Value Proposition"), "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
             "StageName")
    assert _ok(_patch(rep, enterprise_deal, StageName="Negotiation/Review"))["fields"]["StageName"]["value"] \
        == "Negotiation/Review"


def test_a_record_type_of_another_object_is_refused(admin: Call, rep: Call, members: Members) -> None:
    account_type = _ok(admin("POST", "/_sandbox/record-types", {"object": "Account", "developer_name": "Partner"}))
    deal = _rep_opportunities(admin, members, 3)[2]
    response = _rest_patch(rep, deal, RecordTypeId=account_type["id"])
    _refused(response, "INVALID_CROSS_REFERENCE_KEY", "RecordTypeId")
    assert "Record Type ID: this ID value isn't valid for the user" in response.json()[0]["message"]
    bad = admin("POST", "/_sandbox/record-types", {"object": "Opportunity", "developer_name": "X",
                                                   "values": {"Region__c": ["Mars"]}})
    assert bad.status_code == 400 and "Mars" in bad.json()[0]["message"]


# ----------------------------------------------------------------------------------- dependent picklists
def test_a_dependent_picklist_is_described_with_its_controller(admin: Call, rep: Call) -> None:
    _ok(admin("POST", "/_sandbox/schema", {"object": "Opportunity",
                                       "add": "Sub_Region__c:picklist:restricted,vals=Nordics|DACH|ANZ|Japan|Brazil"}))
    _ok(admin("POST", "/_sandbox/picklist-dependencies", {
        "object": "Opportunity", "field": "Sub_Region__c", "controller": "Region__c",
        "valid_for": {"Nordics": ["EMEA"], "DACH": ["EMEA"], "ANZ": ["APAC"], "Japan": ["APAC"],
                      "Brazil": ["LATAM", "AMER"]}}))
    described = {f["name"]: f for f in _ok(admin("GET", "/sobjects/Opportunity/describe"))["fields"]}
    sub = described["Sub_Region__c"]
    assert (sub["dependentPicklist"], sub["controllerName"], sub["restrictedPicklist"]) == (True, "Region__c", True)
    # bit i (most significant first) for Region__c's value i: EMEA is 1 -> 0b01000000; AMER+LATAM -> 0b10010000
    assert {v["value"]: v["validFor"] for v in sub["picklistValues"]} == {
        "Nordics": "QA==", "DACH": "QA==", "ANZ": "IA==", "Japan": "IA==", "Brazil": "kA=="}
    assert described["Region__c"]["dependentPicklist"] is False

    info = _ok(rep("GET", "/ui-api/object-info/Opportunity"))
    assert info["fields"]["Sub_Region__c"]["controllerName"] == "Region__c"
    assert info["fields"]["Sub_Region__c"]["controllingFields"] == ["Region__c"]
    assert info["dependentFields"] == {"Region__c": {"Sub_Region__c": {}}}
    values = _ok(rep("GET", f"/ui-api/object-info/Opportunity/picklist-values/{MASTER}/Sub_Region__c"))
    assert values["controllerValues"] == {r: i for i, r in enumerate(REGIONS)}
    assert {v["value"]: v["validFor"] for v in values["values"]} == {
        "Nordics": [1], "DACH": [1], "ANZ": [2], "Japan": [2], "Brazil": [0, 3]}
    # for a record type, the controller's values are that record type's (SMB: APAC alone)
    smb = _record_type_ids(admin)["SMB"]
    per_type = _ok(rep("GET", f"/ui-api/object-info/Opportunity/picklist-values/{smb}/Sub_Region__c"))
    assert per_type["controllerValues"] == {"APAC": 0}
    assert {v["value"]: v["validFor"] for v in per_type["values"]}["ANZ"] == [0]
    assert {v["value"]: v["validFor"] for v in per_type["values"]}["Nordics"] == []


def test_a_dependent_value_invalid_for_its_controlling_value_is_refused(admin: Call, rep: Call,
                                                                          members: Members) -> None:
    deal = _rep_opportunities(admin, members, 4)[3]  # master record type
    _ok(_patch(rep, deal, Region__c="EMEA"))
    _refused(_patch(rep, deal, Sub_Region__c="Japan"), "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "Sub_Region__c")
    _refused(_rest_patch(rep, deal, Sub_Region__c="Japan"), "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "Sub_Region__c")
    assert _ok(_patch(rep, deal, Sub_Region__c="Nordics"))["fields"]["Sub_Region__c"]["value"] == "Nordics"
    # changing the controller alone leaves the dependent value invalid: refused, on the dependent field
    _refused(_patch(rep, deal, Region__c="APAC"), "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "Sub_Region__c")
    assert _record(rep, deal, "Region__c")["fields"]["Region__c"]["value"] == "EMEA"
    both = _ok(_patch(rep, deal, Region__c="APAC", Sub_Region__c="Japan"))
    assert (both["fields"]["Region__c"]["value"], both["fields"]["Sub_Region__c"]["value"]) == ("APAC", "Japan")
    assert _ok(_patch(rep, deal, Region__c="AMER", Sub_Region__c=None))["fields"]["Sub_Region__c"]["value"] is None


def test_a_checkbox_can_control_a_picklist(admin: Call, rep: Call, members: Members) -> None:
    _ok(admin("POST", "/_sandbox/schema", {"object": "Opportunity", "add": "Strategic__c:boolean"}))
    _ok(admin("POST", "/_sandbox/schema", {"object": "Opportunity",
                                       "add": "Legal_Review__c:picklist:restricted,vals=Contract|Privacy|Export"}))
    _ok(admin("POST", "/_sandbox/picklist-dependencies", {
        "object": "Opportunity", "field": "Legal_Review__c", "controller": "Strategic__c",
        "valid_for": {"Contract": ["true"], "Privacy": ["true"], "Export": ["true", "false"]}}))
    values = _ok(rep("GET", f"/ui-api/object-info/Opportunity/picklist-values/{MASTER}/Legal_Review__c"))
    assert values["controllerValues"] == {"false": 0, "true": 1}
    assert {v["value"]: v["validFor"] for v in values["values"]} == {"Contract": [1], "Privacy": [1], "Export": [0, 1]}
    described = {f["name"]: f for f in _ok(admin("GET", "/sobjects/Opportunity/describe"))["fields"]}
    assert {v["value"]: v["validFor"] for v in described["Legal_Review__c"]["picklistValues"]} == {
        "Contract": "QA==", "Privacy": "QA==", "Export": "wA=="}
    deal = _rep_opportunities(admin, members, 5)[4]
    _refused(_patch(rep, deal, Legal_Review__c="Contract"), "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
             "Legal_Review__c")
    _ok(_patch(rep, deal, Strategic__c=False, Legal_Review__c="Export"))
    _refused(_patch(rep, deal, Legal_Review__c="Privacy"), "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
             "Legal_Review__c")
    assert _ok(_patch(rep, deal, Strategic__c=True, Legal_Review__c="Privacy"))["fields"]["Legal_Review__c"]["value"] \
        == "Privacy"
    bad = admin("POST", "/_sandbox/picklist-dependencies", {"object": "Opportunity", "field": "Legal_Review__c",
                                                            "controller": "Strategic__c", "valid_for": {"Contract": ["yes"]}})
    assert bad.status_code == 400 and "yes" in bad.json()[0]["message"]
    assert admin("DELETE", "/_sandbox/picklist-dependencies", object="Opportunity", field="Legal_Review__c",
                 ).status_code == 204
    assert _ok(_patch(rep, deal, Strategic__c=False))["fields"]["Strategic__c"]["value"] is False  # no longer checked
