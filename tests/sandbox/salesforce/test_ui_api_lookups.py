"""The UI API lookups resource of the sandbox org over HTTPS: suggestions for a lookup field, searched as the member.

References: User Interface API Developer Guide, "Get Lookup Field Suggestions" (``ui_api_resources_lookup_get.htm``)
and "... for a Specified Object" (``ui_api_resources_lookup_object_get.htm``): ``searchType`` Recent (default),
Search (``q`` of at least 2 characters) or TypeAhead (``q`` required, at least 3, names starting with it);
``page`` from 1, ``pageSize`` default 25; ``{count, lookupResults: {target: Record Collection}}``.

The oracle for "only records the member can see" is the member's own SOQL over the REST API (the same sharing,
reached through another path): the suggestions are exactly the records that query finds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from saleshome.sandbox.salesforce.server import SalesforceSandbox, SandboxInfo
from tests.fixtures.members import Members, member_token, pick_members
from tests.fixtures.sandboxes import sandbox_session
from tests.sandbox.salesforce.conftest import password_login

Get = Callable[..., requests.Response]
MAX_PAGES = 200  # a loop guard when following nextPageToken


@pytest.fixture(scope="module")
def members(sandbox: SalesforceSandbox) -> Members:
    return pick_members(sandbox)


def _getter(info: SandboxInfo, token: str) -> Get:
    session = sandbox_session(info.ca_file)

    def get(path: str, **params: Any) -> requests.Response:
        return session.get(f"{info.instance_url}/services/data/v{info.api_version}{path}", params=params,
                           headers={"Authorization": f"Bearer {token}"}, timeout=60)

    return get


@pytest.fixture(scope="module")
def admin(info: SandboxInfo) -> Get:
    return _getter(info, password_login(info)["access_token"])


@pytest.fixture(scope="module")
def as_member(sandbox: SalesforceSandbox, info: SandboxInfo) -> Callable[[str], Get]:
    return lambda user_id: _getter(info, member_token(sandbox, user_id))


def _ok(response: requests.Response) -> Any:
    assert response.status_code == 200, response.text[:500]
    return response.json()


def _error(response: requests.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text[:500]
    assert response.json()[0]["errorCode"] == code, response.json()


def _query_all(get: Get, soql: str) -> list[dict[str, Any]]:
    """Every row of a SOQL query, following ``nextRecordsUrl``."""
    body = _ok(get("/query", q=soql))
    rows = list(body["records"])
    for _ in range(MAX_PAGES):
        if body.get("done", True):
            return rows
        body = _ok(get("/query/" + body["nextRecordsUrl"].rsplit("/", 1)[1]))
        rows += body["records"]
    raise AssertionError(f"{soql} did not end after {MAX_PAGES} pages")


def _soql_ids(get: Get, soql: str) -> set[str]:
    return {r["Id"] for r in _query_all(get, soql)}


def _all_suggestions(get: Get, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every page of a lookup target's suggestions, following the page tokens."""
    records: list[dict[str, Any]] = []
    page = 1
    for _ in range(MAX_PAGES):
        body = _ok(get(path, page=page, **params))
        collection = body if "records" in body else next(iter(body["lookupResults"].values()))
        records += collection["records"]
        if collection["nextPageToken"] is None:
            return records
        page = int(collection["nextPageToken"])
    raise AssertionError(f"{path} did not end after {MAX_PAGES} pages")


@pytest.fixture(scope="module")
def prefix(admin: Get, as_member: Callable[[str], Get], members: Members) -> str:
    """Three letters that start the names of opportunities the rep can see and of some they cannot."""
    rep = as_member(members.rep.user_id)
    everyone = {r["Id"]: r["Name"] for r in _query_all(admin, "SELECT Id, Name FROM Opportunity")}
    visible = _soql_ids(rep, "SELECT Id FROM Opportunity")
    assert visible and len(visible) < len(everyone)
    shown = {everyone[i][:3].lower() for i in visible if len(everyone[i]) >= 3}
    hidden = {name[:3].lower() for i, name in everyone.items() if i not in visible and len(name) >= 3}
    both = sorted(p for p in shown & hidden if p.isalnum())
    assert both, "no name prefix is shared by visible and hidden opportunities"
    return both[0]


def test_typeahead_suggests_only_records_the_member_can_see(
    admin: Get, as_member: Callable[[str], Get], members: Members, prefix: str,
) -> None:
    rep, manager = as_member(members.rep.user_id), as_member(members.manager.user_id)
    path = "/ui-api/lookups/Lead/ConvertedOpportunityId"
    found = _all_suggestions(rep, path, searchType="TypeAhead", q=prefix, pageSize=10)
    ids = [r["id"] for r in found]
    assert len(ids) == len(set(ids))
    assert set(ids) == _soql_ids(rep, f"SELECT Id FROM Opportunity WHERE Name LIKE '{prefix}%'")
    assert all(r["fields"]["Name"]["value"].lower().startswith(prefix) for r in found)
    everyone = {r["id"] for r in _all_suggestions(admin, path, searchType="TypeAhead", q=prefix, pageSize=50)}
    assert everyone == _soql_ids(admin, f"SELECT Id FROM Opportunity WHERE Name LIKE '{prefix}%'")
    assert set(ids) < everyone  # the integration user sees records the rep does not
    above = {r["id"] for r in _all_suggestions(manager, path, searchType="TypeAhead", q=prefix, pageSize=50)}
    assert set(ids) <= above <= everyone  # the rep's manager sees the rep's records (role hierarchy)
    names = [r["fields"]["Name"]["value"].lower() for r in found]
    assert names == sorted(names)


def test_search_matches_any_word_and_pages_neither_skip_nor_repeat(
    as_member: Callable[[str], Get], members: Members, prefix: str,
) -> None:
    rep = as_member(members.rep.user_id)
    q = prefix[:2]
    found = _all_suggestions(rep, "/ui-api/lookups/Lead/ConvertedOpportunityId", searchType="Search", q=q, pageSize=3)
    ids = [r["id"] for r in found]
    assert len(ids) == len(set(ids)) and len(ids) > 3
    # the searchable fields: the name and the secondary field (an opportunity's stage)
    expected = _soql_ids(rep, f"SELECT Id FROM Opportunity WHERE Name LIKE '{q}%' OR Name LIKE '% {q}%' "
                              f"OR StageName LIKE '{q}%' OR StageName LIKE '% {q}%'")
    assert set(ids) == expected
    first = _ok(rep("/ui-api/lookups/Lead/ConvertedOpportunityId/Opportunity", searchType="Search", q=q, pageSize=3))
    assert (first["count"], first["currentPageToken"], first["nextPageToken"], first["previousPageToken"]) == \
        (3, "1", "2", None)
    assert "searchType=Search" in first["nextPageUrl"] and "page=2" in first["nextPageUrl"]
    assert [r["id"] for r in first["records"]] == ids[:3]


def test_suggestion_shapes_with_and_without_a_target(as_member: Callable[[str], Get], members: Members) -> None:
    rep = as_member(members.rep.user_id)
    every = _ok(rep("/ui-api/lookups/Opportunity/AccountId", pageSize=5))  # Recent: the default search type
    assert list(every["lookupResults"]) == ["Account"] and every["count"] == 5
    one = _ok(rep("/ui-api/lookups/Opportunity/AccountId/Account", pageSize=5))
    assert one == every["lookupResults"]["Account"] | {"currentPageUrl": one["currentPageUrl"],
                                                       "nextPageUrl": one["nextPageUrl"]}
    record = one["records"][0]
    assert record["apiName"] == "Account" and record["id"].startswith("001")
    assert set(record["fields"]) == {"Id", "Name", "DisambiguationField"}
    assert record["fields"]["Id"]["value"] == record["id"]


def test_lookup_errors(as_member: Callable[[str], Get], members: Members) -> None:
    rep = as_member(members.rep.user_id)
    path = "/ui-api/lookups/Lead/ConvertedOpportunityId"
    _error(rep(path, searchType="TypeAhead", q="ab"), 400, "ILLEGAL_QUERY_PARAMETER_VALUE")
    _error(rep(path, searchType="TypeAhead"), 400, "ILLEGAL_QUERY_PARAMETER_VALUE")
    _error(rep(path, searchType="TypeAhead", q="abc?"), 400, "ILLEGAL_QUERY_PARAMETER_VALUE")
    _error(rep(path, searchType="Search", q="a"), 400, "ILLEGAL_QUERY_PARAMETER_VALUE")
    _error(rep(path, searchType="Everything", q="abc"), 400, "ILLEGAL_QUERY_PARAMETER_VALUE")
    _error(rep(path, pageSize=0), 400, "ILLEGAL_QUERY_PARAMETER_VALUE")
    _error(rep(path, page="x"), 400, "ILLEGAL_QUERY_PARAMETER_VALUE")
    _error(rep(f"{path}/Account"), 400, "ILLEGAL_QUERY_PARAMETER_VALUE")  # not a target of the field
    _error(rep("/ui-api/lookups/Lead/Company"), 400, "INVALID_FIELD")  # not a lookup
    _error(rep("/ui-api/lookups/Lead/NoSuchField__c"), 400, "INVALID_FIELD")
    _error(rep("/ui-api/lookups/OpportunityHistory/OpportunityId"), 400, "INVALID_TYPE")
    no_cases = as_member(members.no_cases.user_id)
    _error(no_cases("/ui-api/lookups/Case/AccountId"), 403, "INSUFFICIENT_ACCESS")
    quoted = _ok(rep(path, searchType="Search", q="x' OR 'a'='a"))  # bound, never spliced into SQL
    assert quoted["count"] == 0
