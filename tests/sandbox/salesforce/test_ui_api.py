"""The sandbox's User Interface API over HTTPS: shapes of the UI API guide, paging, sorting, errors, and
every answer made as the session's user (hidden fields absent, invisible records never returned)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce

from saleshome.sandbox.salesforce.server import SalesforceSandbox, SandboxInfo
from tests.fixtures.members import HIDDEN_FROM_REPS, Members, member_token, pick_members
from tests.fixtures.sandboxes import sandbox_session

from .conftest import password_login

UI = "/services/data/v62.0/ui-api"
Get = Callable[..., requests.Response]


@pytest.fixture(scope="module")
def members(sandbox: SalesforceSandbox) -> Members:
    return pick_members(sandbox)


def _getter(info: SandboxInfo, token: str | None) -> Get:
    session = sandbox_session(info.ca_file)
    headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(path: str, **params: Any) -> requests.Response:
        return session.get(f"{info.instance_url}{UI}{path}", params=params, headers=headers, timeout=60)

    return get


@pytest.fixture()
def admin(info: SandboxInfo) -> Get:
    """The integration user (View All Data)."""
    return _getter(info, password_login(info)["access_token"])


@pytest.fixture()
def as_member(sandbox: SalesforceSandbox, info: SandboxInfo) -> Callable[[str], Get]:
    return lambda user_id: _getter(info, member_token(sandbox, user_id))


def _ok(response: requests.Response) -> Any:
    assert response.status_code == 200, response.text[:500]
    return response.json()


def _error(response: requests.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text[:500]
    body = response.json()
    assert isinstance(body, list) and body[0]["errorCode"] == code, body
    return str(body[0]["message"])


def _ids(page: dict[str, Any]) -> list[str]:
    return [r["id"] for r in page["records"]]


# ----------------------------------------------------------------------------------- list views
def test_list_views_of_an_object_page_with_tokens(admin: Get, sf: Salesforce) -> None:
    first = _ok(admin("/list-info/Opportunity", pageSize=2))
    assert first["objectApiName"] == "Opportunity" and first["pageSize"] == 2 and first["count"] == 2
    assert first["currentPageToken"] == "0" and first["previousPageToken"] is None and first["nextPageToken"] == "2"
    assert set(first["lists"][0]) == {"apiName", "id", "label", "url"}
    names, page = [], first
    for _ in range(10):
        names += [v["apiName"] for v in page["lists"]]
        if page["nextPageToken"] is None:
            break
        page = _ok(admin("/list-info/Opportunity", pageSize=2, pageToken=page["nextPageToken"]))
    rest = {v["developerName"] for v in sf.restful("sobjects/Opportunity/listviews")["listviews"]}
    assert sorted(names) == sorted(rest) and len(names) == len(set(names))
    assert _ok(admin("/list-info/Opportunity"))["pageSize"] == 20  # the resource's default
    won = _ok(admin("/list-info/Opportunity", q="won*"))["lists"]
    assert [v["apiName"] for v in won] == ["Won"]


def test_list_info_by_name_and_by_id(admin: Get) -> None:
    info = _ok(admin("/list-info/Opportunity/Won"))
    ref = info["listReference"]
    assert ref["listViewApiName"] == "Won" and ref["objectApiName"] == "Opportunity" and ref["type"] == "listView"
    assert ref["id"].startswith("00B") and len(ref["id"]) == 18
    assert [c["fieldApiName"] for c in info["displayColumns"]] == [
        "Name", "Account.Name", "Amount", "CloseDate", "StageName", "Owner.Alias"]
    assert info["displayColumns"][1] == {"fieldApiName": "Account.Name", "label": "Account Name",
                                         "lookupId": "Account.Id", "sortable": True}
    assert info["orderedByInfo"] == [{"fieldApiName": "CloseDate", "isAscending": False, "label": "Close Date"}]
    assert info["filteredByInfo"][0]["fieldApiName"] == "IsWon"
    assert _ok(admin(f"/list-info/{ref['id']}")) == info
    assert _ok(admin(f"/list-info/{ref['id'][:15]}"))["listReference"] == ref


def test_list_records_page_as_the_view_orders_them(admin: Get, sf: Salesforce) -> None:
    default = _ok(admin("/list-records/Opportunity/Won"))
    assert default["pageSize"] == 50 and default["count"] == 50 and default["sortBy"] == "-CloseDate"
    expected = [r["Id"] for r in sf.query_all(
        "SELECT Id FROM Opportunity WHERE IsWon = true ORDER BY CloseDate DESC NULLS LAST, Id")["records"]]
    assert len(expected) > 120
    seen: list[str] = []
    page = _ok(admin("/list-records/Opportunity/Won", pageSize=60))
    assert page["previousPageToken"] is None
    for _ in range(len(expected) // 60 + 2):
        seen += _ids(page)
        assert page["count"] == len(page["records"])
        if page["nextPageToken"] is None:
            break
        assert page["nextPageUrl"].endswith(f"pageToken={page['nextPageToken']}")
        token = page["nextPageToken"]
        page = _ok(admin("/list-records/Opportunity/Won", pageSize=60, pageToken=token))
        assert page["currentPageToken"] == token and page["previousPageToken"] == str(int(token) - 60)
    assert seen == expected
    view_id = default["listReference"]["id"]
    assert _ids(_ok(admin(f"/list-records/{view_id}", pageSize=7))) == expected[:7]


def test_list_records_sort_by_a_field_either_way(admin: Get) -> None:
    down = _ok(admin("/list-records/Opportunity/AllOpportunities", sortBy="-Amount", pageSize=200))
    amounts = [r["fields"]["Amount"]["value"] for r in down["records"]]
    present = [a for a in amounts if a is not None]
    assert down["sortBy"] == "-Amount" and present == sorted(present, reverse=True) and len(present) > 100
    up = _ok(admin("/list-records/Opportunity/AllOpportunities", sortBy="Opportunity.CloseDate", pageSize=200))
    dates = [r["fields"]["CloseDate"]["value"] for r in up["records"]]
    assert up["sortBy"] == "CloseDate" and dates == sorted(dates)
    _error(admin("/list-records/Opportunity/AllOpportunities", sortBy="Description"), 400, "INVALID_FIELD")
    _error(admin("/list-records/Opportunity/AllOpportunities", sortBy="Nope__c"), 400, "INVALID_FIELD")


def test_list_record_fields_are_value_and_display_value(admin: Get, sf: Salesforce) -> None:
    page = _ok(admin("/list-records/Opportunity/AllOpportunities", pageSize=5, sortBy="-Amount"))
    record = page["records"][0]
    assert {"apiName", "childRelationships", "eTag", "fields", "id", "lastModifiedById", "lastModifiedDate",
            "recordTypeId", "recordTypeInfo", "systemModstamp", "weakEtag"} <= set(record)
    assert record["apiName"] == "Opportunity" and record["recordTypeId"] == "012000000000000AAA"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record["lastModifiedDate"])
    assert isinstance(record["weakEtag"], int) and record["weakEtag"] > 0
    rest = sf.query(f"SELECT Amount, CloseDate, CurrencyIsoCode, Account.Name, Owner.Alias FROM Opportunity "
                    f"WHERE Id = '{record['id']}'")["records"][0]
    fields = record["fields"]
    assert fields["Amount"]["value"] == rest["Amount"]
    symbol = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "AUD": "A$"}[rest["CurrencyIsoCode"]]
    assert fields["Amount"]["displayValue"] == f"{symbol}{rest['Amount']:,.2f}"  # the integration user is en_US
    year, month, day = (int(p) for p in rest["CloseDate"].split("-"))
    assert fields["CloseDate"] == {"displayValue": f"{month}/{day}/{year}", "value": rest["CloseDate"]}
    assert fields["StageName"]["displayValue"] == fields["StageName"]["value"]  # a picklist's label
    assert fields["Name"]["displayValue"] is None  # plain text: nothing to format
    account = fields["Account"]
    assert account["displayValue"] == rest["Account"]["Name"]
    assert account["value"]["apiName"] == "Account" and account["value"]["fields"]["Name"]["value"] == rest["Account"]["Name"]
    assert fields["AccountId"]["value"] == account["value"]["id"]
    assert fields["Owner"]["value"]["fields"]["Alias"]["value"] == rest["Owner"]["Alias"]


def test_fields_and_optional_fields(admin: Get) -> None:
    path = "/list-records/Opportunity/AllOpportunities"
    page = _ok(admin(path, pageSize=3, fields="Opportunity.NextStep", optionalFields="Opportunity.Nope__c,Account.Phone"))
    fields = page["records"][0]["fields"]
    assert "NextStep" in fields and "Nope__c" not in fields and "Phone" in fields["Account"]["value"]["fields"]
    assert page["fields"] == ["Opportunity.NextStep"]
    _error(admin(path, fields="Opportunity.Nope__c"), 400, "INVALID_FIELD")


# ----------------------------------------------------------------------------------- records, layouts
def _some_opportunity(admin: Get) -> str:
    return str(_ok(admin("/list-records/Opportunity/OpenPipeline", pageSize=1))["records"][0]["id"])


def test_record_by_fields_and_by_layout(admin: Get) -> None:
    record_id = _some_opportunity(admin)
    by_fields = _ok(admin(f"/records/{record_id}", fields="Opportunity.Name,Opportunity.Account.Owner.Name"))
    assert set(by_fields["fields"]) == {"Name", "AccountId", "Account", "Id"}
    owner = by_fields["fields"]["Account"]["value"]["fields"]["Owner"]
    assert owner["displayValue"] == owner["value"]["fields"]["Name"]["value"]
    layout = _ok(admin("/layout/Opportunity", layoutType="Full", mode="View"))
    assert layout["layoutType"] == "Full" and layout["mode"] == "View" and layout["objectApiName"] == "Opportunity"
    on_layout = {c["apiName"] for s in layout["sections"] for row in s["layoutRows"] for item in row["layoutItems"]
                 for c in item["layoutComponents"]}
    assert {"Name", "StageName", "Amount", "CloseDate", HIDDEN_FROM_REPS} <= on_layout
    by_layout = _ok(admin(f"/records/{record_id}", layoutTypes="Full", modes="View"))
    assert on_layout <= set(by_layout["fields"])
    _error(admin(f"/records/{record_id}"), 400, "ILLEGAL_QUERY_PARAMETER_VALUE")
    _error(admin(f"/records/{record_id}", layoutTypes="Huge"), 400, "ILLEGAL_QUERY_PARAMETER_VALUE")


def test_record_ui_gives_record_layout_and_object_info(admin: Get) -> None:
    record_id = _some_opportunity(admin)
    body = _ok(admin(f"/record-ui/{record_id}"))
    assert set(body) == {"layoutUserStates", "layouts", "objectInfos", "records"}
    layout = body["layouts"]["Opportunity"]["012000000000000AAA"]["Full"]["View"]
    assert layout["sections"][0]["heading"] == "Opportunity Information"
    assert body["records"][record_id]["id"] == record_id
    assert body["objectInfos"]["Opportunity"]["apiName"] == "Opportunity"


def test_object_info_shape(admin: Get) -> None:
    info = _ok(admin("/object-info/Opportunity"))
    assert info["apiName"] == "Opportunity" and info["keyPrefix"] == "006" and info["nameFields"] == ["Name"]
    assert info["defaultRecordTypeId"] == "012000000000000AAA"
    assert info["recordTypeInfos"]["012000000000000AAA"]["master"] is True
    assert re.fullmatch(r"[0-9A-F]{6}", info["themeInfo"]["color"]) and info["themeInfo"]["iconUrl"].startswith("https://")
    amount = info["fields"]["Amount"]
    assert (amount["dataType"], amount["scale"], amount["updateable"]) == ("Currency", 2, True)
    account = info["fields"]["AccountId"]
    assert account["dataType"] == "Reference" and account["relationshipName"] == "Account"
    assert account["referenceToInfos"] == [{"apiName": "Account", "nameFields": ["Name"]}]
    assert info["fields"]["IsWon"]["updateable"] is False and info["fields"]["CloseDate"]["required"] is True
    assert _ok(admin("/object-info/Contact"))["nameFields"] == ["FirstName", "LastName", "Name"]


def test_picklist_values_by_record_type(admin: Get, sf: Salesforce) -> None:
    every = _ok(admin("/object-info/Opportunity/picklist-values/012000000000000AAA"))["picklistFieldValues"]
    assert {"StageName", "Type", "LeadSource", "Region__c"} <= set(every)
    stage = _ok(admin("/object-info/Opportunity/picklist-values/012000000000000AAA/StageName"))
    assert stage == every["StageName"]
    stages = [r["ApiName"] for r in sf.query("SELECT ApiName FROM OpportunityStage ORDER BY SortOrder")["records"]]
    assert [v["value"] for v in stage["values"]] == stages
    won = next(v for v in stage["values"] if v["value"] == "Closed Won")
    assert won["attributes"]["won"] is True and won["attributes"]["closed"] is True
    _error(admin("/object-info/Opportunity/picklist-values/0128d0000000001AAA"), 404, "NOT_FOUND")
    _error(admin("/object-info/Opportunity/picklist-values/012000000000000AAA/Amount"), 404, "NOT_FOUND")


# ----------------------------------------------------------------------------------- errors
def test_errors_as_the_ui_api_returns_them(admin: Get, info: SandboxInfo, sf: Salesforce) -> None:
    assert "not supported in UI API" in _error(admin("/object-info/OpportunityHistory"), 400, "INVALID_TYPE")
    _error(admin("/object-info/NoSuchThing"), 400, "INVALID_TYPE")
    _error(admin("/list-info/Opportunity/NoSuchView"), 404, "NOT_FOUND")
    _error(admin("/list-records/Opportunity/NoSuchView"), 404, "NOT_FOUND")
    _error(admin("/list-records/00B8d0000000zzzAAA"), 404, "NOT_FOUND")
    _error(admin("/records/0068d0000000zzzAAA", fields="Opportunity.Name"), 404, "NOT_FOUND")
    _error(admin("/list-records/Opportunity/Won", pageSize=2001), 400, "ILLEGAL_QUERY_PARAMETER_VALUE")
    _error(admin("/list-records/Opportunity/Won", pageToken=2001), 400, "ILLEGAL_QUERY_PARAMETER_VALUE")
    _error(admin("/list-records/Opportunity/Won", pageSize="ten"), 400, "ILLEGAL_QUERY_PARAMETER_VALUE")
    _error(_getter(info, None)("/object-info/Opportunity"), 401, "INVALID_SESSION_ID")
    doomed = sf.Opportunity.create({"Name": "UI API doomed", "StageName": "Prospecting", "CloseDate": "2030-01-01"})
    sf.Opportunity.delete(doomed["id"])
    _error(admin(f"/records/{doomed['id']}", fields="Opportunity.Name"), 404, "ENTITY_IS_DELETED")


# ----------------------------------------------------------------------------------- as a member
def test_a_rep_sees_only_records_they_may_see(admin: Get, as_member: Callable[[str], Get], members: Members) -> None:
    rep, manager = as_member(members.rep.user_id), as_member(members.manager.user_id)

    def owners(get: Get) -> list[str]:
        found, token = [], "0"
        for _ in range(3):  # 3,000 opportunities: two pages of 2,000 at most
            page = _ok(get("/list-records/Opportunity/AllOpportunities", pageSize=2000, pageToken=token))
            found += [r["fields"]["OwnerId"]["value"] for r in page["records"]]
            if page["nextPageToken"] is None:
                return found
            token = page["nextPageToken"]
        raise AssertionError("the list did not end")

    everyone, theirs, team = owners(admin), owners(rep), owners(manager)
    assert theirs and set(theirs) <= set(members.rep.visible_owner_ids)
    assert set(team) <= set(members.manager.visible_owner_ids)
    assert len(theirs) < len(team) < len(everyone)
    hidden = _ok(admin("/list-records/Opportunity/AllOpportunities", pageSize=500))["records"]
    invisible = next(r["id"] for r in hidden if r["fields"]["OwnerId"]["value"] not in members.rep.visible_owner_ids)
    assert "access" in _error(rep(f"/records/{invisible}", layoutTypes="Full"), 403, "INSUFFICIENT_ACCESS")
    _error(rep(f"/record-ui/{invisible}"), 403, "INSUFFICIENT_ACCESS")
    assert _ok(manager(f"/records/{theirs_first(rep)}", fields="Opportunity.Name"))["fields"]["Name"]["value"]


def theirs_first(get: Get) -> str:
    return str(_ok(get("/list-records/Opportunity/MyOpportunities", pageSize=1))["records"][0]["id"])


def test_a_field_hidden_from_a_member_is_absent_everywhere(
    admin: Get, as_member: Callable[[str], Get], members: Members,
) -> None:
    rep = as_member(members.rep.user_id)
    record_id = theirs_first(rep)
    assert HIDDEN_FROM_REPS in _ok(admin("/object-info/Opportunity"))["fields"]
    assert HIDDEN_FROM_REPS not in _ok(rep("/object-info/Opportunity"))["fields"]
    layout = _ok(rep("/layout/Opportunity"))
    assert HIDDEN_FROM_REPS not in str(layout) and "StageName" in str(layout)
    assert HIDDEN_FROM_REPS in _ok(admin(f"/records/{record_id}", layoutTypes="Full"))["fields"]
    assert HIDDEN_FROM_REPS not in _ok(rep(f"/records/{record_id}", layoutTypes="Full"))["fields"]
    ui = _ok(rep(f"/record-ui/{record_id}"))
    assert HIDDEN_FROM_REPS not in str(ui) and "StageName" in ui["records"][record_id]["fields"]
    page = _ok(rep("/list-records/Opportunity/MyOpportunities", optionalFields=f"Opportunity.{HIDDEN_FROM_REPS}"))
    assert page["records"] and all(HIDDEN_FROM_REPS not in r["fields"] for r in page["records"])
    _error(rep("/list-records/Opportunity/MyOpportunities", fields=f"Opportunity.{HIDDEN_FROM_REPS}"), 400,
           "INVALID_FIELD")
    _error(rep(f"/records/{record_id}", fields=f"Opportunity.{HIDDEN_FROM_REPS}"), 400, "INVALID_FIELD")
    _error(rep("/list-records/Opportunity/MyOpportunities", sortBy=HIDDEN_FROM_REPS), 400, "INVALID_FIELD")


def test_updateable_follows_field_level_security(as_member: Callable[[str], Get], members: Members) -> None:
    rep = _ok(as_member(members.rep.user_id)("/object-info/Opportunity"))["fields"]
    manager = _ok(as_member(members.manager.user_id)("/object-info/Opportunity"))["fields"]
    assert rep["ForecastCategoryName"]["updateable"] is False and manager["ForecastCategoryName"]["updateable"] is True
    assert rep["StageName"]["updateable"] is True
    layout = _ok(as_member(members.rep.user_id)("/layout/Opportunity"))
    items = {i["layoutComponents"][0]["apiName"]: i for s in layout["sections"] for row in s["layoutRows"]
             for i in row["layoutItems"]}
    assert items["ForecastCategoryName"]["editableForUpdate"] is False and items["StageName"]["editableForUpdate"]


def test_an_object_a_member_cannot_read(as_member: Callable[[str], Get], members: Members) -> None:
    member = as_member(members.no_cases.user_id)
    _error(member("/object-info/Case"), 403, "INSUFFICIENT_ACCESS")
    _error(member("/list-info/Case"), 403, "INSUFFICIENT_ACCESS")
    _error(member("/list-records/Case/AllOpenCases"), 403, "INSUFFICIENT_ACCESS")
    _error(member("/object-info/Case/picklist-values/012000000000000AAA"), 403, "INSUFFICIENT_ACCESS")
    assert _ok(member("/list-records/Opportunity/MyOpportunities", pageSize=1))["pageSize"] == 1


def test_a_members_display_values_follow_their_locale(
    sandbox: SalesforceSandbox, as_member: Callable[[str], Get], members: Members,
) -> None:
    assert sandbox.store is not None
    row = sandbox.store.get_row("User", members.manager.user_id) or {}
    page = _ok(as_member(members.manager.user_id)("/list-records/Opportunity/AllOpportunities", pageSize=1))
    close = page["records"][0]["fields"]["CloseDate"]
    year, month, day = (int(p) for p in close["value"].split("-"))
    expected = {"en_US": f"{month}/{day}/{year}", "de_DE": f"{day:02d}.{month:02d}.{year}",
                "ja_JP": f"{year}/{month:02d}/{day:02d}"}.get(row["LocaleSidKey"], f"{day:02d}/{month:02d}/{year}")
    assert close["displayValue"] == expected
