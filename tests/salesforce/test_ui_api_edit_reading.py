"""What the edit modal reads through the member's UI API client, against the Salesforce sandbox over HTTPS:
record types (a record's type, an object's types), picklist values per record type, dependent picklists
(the values valid for a controlling value) and lookup suggestions searched as the member.

The org is configured as an admin would (record types, a dependent picklist, a checkbox-controlled one)
through the sandbox's control endpoints, once for the module.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from saleshome.errors import ValidationError
from saleshome.salesforce.ui_api import MemberSession, UiAccessDenied, UiApi, UiRequestRefused
from saleshome.salesforce.ui_api_types import (
    MASTER_RECORD_TYPE_ID,
    LookupHit,
    controller_of,
    picklist_choices,
    record_type_infos,
    record_type_of,
)
from saleshome.sandbox.salesforce.server import SalesforceSandbox, SandboxInfo
from tests.fixtures.members import Members, member_token, pick_members
from tests.fixtures.sandboxes import sandbox_control

pytestmark = pytest.mark.sandboxes(seed=29, opportunities=300)

Connect = Callable[[str], UiApi]


@pytest.fixture(scope="module")
def members(sandbox: SalesforceSandbox) -> Members:
    return pick_members(sandbox)


@pytest.fixture(scope="module")
def org(sandbox: SalesforceSandbox) -> dict[str, str]:
    """The org's record types (developer name -> id) after the admin's configuration."""
    enterprise = sandbox_control(sandbox, "record-types", {
        "object": "Opportunity", "developer_name": "Enterprise", "default": True,
        "values": {"Region__c": ["AMER", "EMEA"], "StageName": ["Prospecting", "Closed Won", "Closed Lost"]}})
    smb = sandbox_control(sandbox, "record-types", {"object": "Opportunity", "developer_name": "SMB",
                                                    "name": "Small business", "values": {"Region__c": ["APAC"]}})
    sandbox_control(sandbox, "schema", {"object": "Opportunity",
                                        "add": "Sub_Region__c:picklist:restricted,vals=Nordics|DACH|ANZ|Brazil"})
    sandbox_control(sandbox, "picklist-dependencies", {
        "object": "Opportunity", "field": "Sub_Region__c", "controller": "Region__c",
        "valid_for": {"Nordics": ["EMEA"], "DACH": ["EMEA"], "ANZ": ["APAC"], "Brazil": ["LATAM", "AMER"]}})
    sandbox_control(sandbox, "schema", {"object": "Opportunity", "add": "Strategic__c:boolean"})
    sandbox_control(sandbox, "schema", {"object": "Opportunity", "add": "Review__c:picklist:vals=Legal|Finance"})
    sandbox_control(sandbox, "picklist-dependencies", {
        "object": "Opportunity", "field": "Review__c", "controller": "Strategic__c",
        "valid_for": {"Legal": ["true"], "Finance": ["true", "false"]}})
    return {"Enterprise": enterprise["id"], "SMB": smb["id"]}


@pytest.fixture()
def connect(sandbox: SalesforceSandbox, info: SandboxInfo) -> Connect:
    return lambda user_id: UiApi(MemberSession(info.instance_url, member_token(sandbox, user_id), info.ca_file))


def _rep_deals(sandbox: SalesforceSandbox, members: Members) -> list[str]:
    assert sandbox.store is not None
    rows = sandbox.store.read('SELECT "Id" FROM "Opportunity" WHERE "OwnerId" = ? AND NOT "IsDeleted" ORDER BY "Id"',
                              [members.rep.user_id]).column("Id").to_pylist()
    assert len(rows) >= 2
    return [str(r) for r in rows]


def test_record_types_of_an_object_and_of_a_record(
    connect: Connect, members: Members, org: dict[str, str], sandbox: SalesforceSandbox,
) -> None:
    api = connect(members.rep.user_id)
    info = api.object_info("Opportunity")
    types = record_type_infos(info.raw)
    assert set(types) == {org["Enterprise"], org["SMB"], MASTER_RECORD_TYPE_ID}
    assert info.default_record_type_id == org["Enterprise"] and types[org["Enterprise"]].default
    assert (types[org["SMB"]].name, types[org["SMB"]].master) == ("Small business", False)
    assert types[MASTER_RECORD_TYPE_ID].master
    old, moved = _rep_deals(sandbox, members)[:2]
    assert sandbox.store is not None
    sandbox.store.update("Opportunity", moved, {"RecordTypeId": org["SMB"], "Region__c": "APAC"})
    record = api.record(moved, optional_fields=["Opportunity.Name"])
    found = record_type_of(record)
    assert record.record_type_id == org["SMB"] and found is not None and found.name == "Small business"
    kept = api.record(old, optional_fields=["Opportunity.Name"])
    kept_type = record_type_of(kept)  # a record from before the record types: the master type
    assert kept.record_type_id == MASTER_RECORD_TYPE_ID and kept_type is not None and kept_type.master
    assert api.record_view(moved).record.record_type_id == org["SMB"]


def test_picklist_values_per_record_type_and_by_controlling_value(
    connect: Connect, members: Members, org: dict[str, str],
) -> None:
    api = connect(members.rep.user_id)
    smb = api.picklist_values("Opportunity", record_type_id=org["SMB"])
    assert [v.value for v in smb["Region__c"].values] == ["APAC"]
    assert [v.value for v in api.picklist_values("Opportunity")["Region__c"].values] == ["AMER", "EMEA", "APAC", "LATAM"]
    stages = api.field_picklist_values("Opportunity", "StageName", record_type_id=org["Enterprise"])
    assert [v.value for v in stages.values] == ["Prospecting", "Closed Won", "Closed Lost"]
    assert not stages.dependent and stages.valid_for("anything") == stages.values

    sub = api.field_picklist_values("Opportunity", "Sub_Region__c")
    assert sub.dependent and sub.controller_values == {"AMER": 0, "EMEA": 1, "APAC": 2, "LATAM": 3}
    assert [v.value for v in sub.valid_for("EMEA")] == ["Nordics", "DACH"]
    assert [v.value for v in sub.valid_for("LATAM")] == ["Brazil"]
    assert sub.valid_for(None) == () and sub.valid_for("Mars") == ()
    per_type = api.field_picklist_values("Opportunity", "Sub_Region__c", record_type_id=org["SMB"])
    assert per_type.controller_values == {"APAC": 0} and [v.value for v in per_type.valid_for("APAC")] == ["ANZ"]
    assert per_type.valid_for("EMEA") == ()  # not a value of this record type's controller

    review = api.picklist_values("Opportunity")["Review__c"]
    assert [v.value for v in review.valid_for(True)] == ["Legal", "Finance"]
    assert [v.value for v in review.valid_for(False)] == ["Finance"]
    info = api.object_info("Opportunity")
    assert controller_of(info, "Sub_Region__c") == "Region__c" and controller_of(info, "Review__c") == "Strategic__c"
    assert controller_of(info, "Region__c") is None
    every = api.picklist_values("Opportunity")
    assert [v.value for v in picklist_choices(every, info, "Sub_Region__c", {"Region__c": "EMEA"})] == ["Nordics", "DACH"]
    assert picklist_choices(every, info, "Sub_Region__c", {"Region__c": None}) == ()
    assert [v.value for v in picklist_choices(every, info, "Review__c", {"Strategic__c": False})] == ["Finance"]
    assert [v.value for v in picklist_choices(smb, info, "Region__c", {})] == ["APAC"]
    assert picklist_choices(every, info, "NoSuchField__c", {}) == ()


def test_lookup_suggests_what_the_member_can_see(connect: Connect, members: Members, sandbox: SalesforceSandbox) -> None:
    assert sandbox.store is not None
    rep = connect(members.rep.user_id)
    names = {str(r["Id"]): str(r["Name"]) for r in sandbox.store.read(
        'SELECT "Id", "Name" FROM "Opportunity" WHERE NOT "IsDeleted"').to_pylist()}
    mine = [i for i in names if members.rep.can_see_record("Opportunity", i)]
    prefix = next(p for p in sorted({names[i][:3] for i in mine})
                  if any(n.startswith(p) and not members.rep.can_see_record("Opportunity", i) for i, n in names.items()))
    hits = rep.lookup("Lead", "ConvertedOpportunityId", prefix, search_type="TypeAhead", page_size=2000)
    assert hits and all(isinstance(h, LookupHit) and h.api_name == "Opportunity" for h in hits)
    assert {h.id for h in hits} == {i for i in mine if names[i].lower().startswith(prefix.lower())}
    assert all(h.name == names[h.id] for h in hits)
    assert rep.lookup("Lead", "ConvertedOpportunityId", prefix, target="Opportunity", search_type="TypeAhead",
                      page_size=2000) == hits
    # the prefix also starts records the rep cannot see (chosen so): they are not suggested; their manager's are
    above = connect(members.manager.user_id).lookup("Lead", "ConvertedOpportunityId", prefix,
                                                    search_type="TypeAhead", page_size=2000)
    assert {h.id for h in hits} <= {h.id for h in above}
    page = rep.lookup("Opportunity", "AccountId", page_size=3)  # no text: the member's recent records
    assert len(page) == 3 and all(h.id.startswith("001") and h.api_name == "Account" for h in page)
    second = rep.lookup("Opportunity", "AccountId", page_size=3, page=2)
    assert not {h.id for h in page} & {h.id for h in second}


def test_lookup_refusals_are_named(connect: Connect, members: Members) -> None:
    rep = connect(members.rep.user_id)
    with pytest.raises(UiRequestRefused) as short:
        rep.lookup("Lead", "ConvertedOpportunityId", "ab", search_type="TypeAhead")
    assert short.value.error_code == "ILLEGAL_QUERY_PARAMETER_VALUE"
    with pytest.raises(UiRequestRefused) as not_lookup:
        rep.lookup("Lead", "Company", "abc")
    assert not_lookup.value.error_code == "INVALID_FIELD"
    with pytest.raises(ValidationError):
        rep.lookup("Lead", "ConvertedOpportunityId", "abc", search_type="Everything")
    with pytest.raises(UiAccessDenied):
        connect(members.no_cases.user_id).lookup("Case", "AccountId", "ab")
