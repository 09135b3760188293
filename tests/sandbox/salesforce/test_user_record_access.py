"""``UserRecordAccess`` in the sandbox's SOQL (Object Reference, "UserRecordAccess"): one user's access to up to
200 records, asked by the integration user, answers what that user's own queries see.

Expectations come from the members' own queries (their token, the sharing rules of access.py) and the integration
user's view, never hard-coded: a rep has read access to exactly the opportunities their own SOQL returns, a
manager to those of their team; the documented restrictions (one UserId, RecordId = or IN with at most 200 ids,
ORDER BY on selected fields only) are refused with MALFORMED_QUERY; records the running user cannot read are left
out.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from simple_salesforce import Salesforce, SalesforceError

from saleshome.sandbox.salesforce.server import SandboxInfo
from tests.sandbox.salesforce.conftest import client
from tests.sandbox.salesforce.members import logins, member_client, register_callback


@pytest.fixture(scope="module")
def admin(info: SandboxInfo) -> Salesforce:
    return client(info)


@pytest.fixture(scope="module")
def people(info: SandboxInfo) -> list[dict[str, Any]]:
    register_callback(info)
    return logins(info)


@pytest.fixture(scope="module")
def opportunities(admin: Salesforce) -> dict[str, str]:
    """Opportunity id → owner id (the integration user's view: every record)."""
    return {r["Id"]: r["OwnerId"] for r in admin.query_all("SELECT Id, OwnerId FROM Opportunity")["records"]}


@pytest.fixture(scope="module")
def rep(people: list[dict[str, Any]], opportunities: dict[str, str]) -> dict[str, Any]:
    owners = set(opportunities.values())
    return next(p for p in people if p["active"] and p["profile"] == "Standard User" and p["user_id"] in owners)


@pytest.fixture(scope="module")
def rep_sf(info: SandboxInfo, rep: dict[str, Any]) -> Iterator[Salesforce]:
    yield member_client(info, rep)


def _access(sf: Salesforce, user_id: str, ids: list[str], fields: str = "RecordId, HasReadAccess") -> list[dict[str, Any]]:
    quoted = ", ".join(f"'{i}'" for i in ids)
    return sf.query(f"SELECT {fields} FROM UserRecordAccess WHERE UserId = '{user_id}' "
                    f"AND RecordId IN ({quoted})")["records"]  # type: ignore[no-any-return]


def _readable(sf: Salesforce, user_id: str, ids: list[str]) -> set[str]:
    out: set[str] = set()
    for start in range(0, len(ids), 200):
        out |= {r["RecordId"] for r in _access(sf, user_id, ids[start:start + 200]) if r["HasReadAccess"]}
    return out


def _error(exc: pytest.ExceptionInfo[SalesforceError]) -> dict[str, Any]:
    content = exc.value.content
    assert isinstance(content, list) and content, content
    return content[0]  # type: ignore[no-any-return]


def test_a_reps_access_is_what_their_own_queries_see(admin: Salesforce, rep: dict[str, Any], rep_sf: Salesforce,
                                                     opportunities: dict[str, str]) -> None:
    seen = {r["Id"] for r in rep_sf.query_all("SELECT Id FROM Opportunity")["records"]}
    assert seen and len(seen) < len(opportunities)
    ids = sorted(opportunities)
    assert _readable(admin, rep["user_id"], ids) == seen
    # every record is answered (the integration user reads them all), read or not
    answered = _access(admin, rep["user_id"], ids[:200], "RecordId, HasReadAccess, HasEditAccess, MaxAccessLevel")
    assert len(answered) == 200
    for r in answered:
        assert r["MaxAccessLevel"] == ("None" if r["RecordId"] not in seen else r["MaxAccessLevel"])
        assert r["HasEditAccess"] <= r["HasReadAccess"]
        assert r["attributes"]["type"] == "UserRecordAccess"


def test_a_managers_access_covers_their_team(admin: Salesforce, people: list[dict[str, Any]], info: SandboxInfo,
                                             opportunities: dict[str, str]) -> None:
    manager = next(p for p in people if p["active"] and (p["role"] or "").startswith("Sales Manager "))
    seen = {r["Id"] for r in member_client(info, manager).query_all("SELECT Id FROM Opportunity")["records"]}
    assert {opportunities[i] for i in seen} - {manager["user_id"]}, "the manager sees none of their team's deals"
    assert _readable(admin, manager["user_id"], sorted(opportunities)) == seen


def test_the_documented_restrictions(admin: Salesforce, rep: dict[str, Any], opportunities: dict[str, str]) -> None:
    ids = sorted(opportunities)
    assert len(ids) > 200
    with pytest.raises(SalesforceError) as too_many:
        _access(admin, rep["user_id"], ids[:201])
    assert _error(too_many)["errorCode"] == "MALFORMED_QUERY" and "200" in _error(too_many)["message"]
    with pytest.raises(SalesforceError) as no_user:
        admin.query(f"SELECT RecordId, HasReadAccess FROM UserRecordAccess WHERE RecordId = '{ids[0]}'")
    assert _error(no_user)["errorCode"] == "MALFORMED_QUERY"
    with pytest.raises(SalesforceError) as no_records:
        admin.query(f"SELECT RecordId FROM UserRecordAccess WHERE UserId = '{rep['user_id']}'")
    assert _error(no_records)["errorCode"] == "MALFORMED_QUERY"
    with pytest.raises(SalesforceError) as unselected:
        admin.query(f"SELECT RecordId FROM UserRecordAccess WHERE UserId = '{rep['user_id']}' "
                    f"AND RecordId = '{ids[0]}' ORDER BY HasReadAccess")
    assert _error(unselected)["errorCode"] == "MALFORMED_QUERY"
    with pytest.raises(SalesforceError) as unknown:
        admin.query(f"SELECT RecordId, Amount FROM UserRecordAccess WHERE UserId = '{rep['user_id']}' "
                    f"AND RecordId = '{ids[0]}'")
    assert _error(unknown)["errorCode"] == "INVALID_FIELD"
    one = admin.query(f"SELECT RecordId, HasReadAccess FROM UserRecordAccess WHERE UserId = '{rep['user_id']}' "
                      f"AND RecordId = '{ids[0]}'")["records"]
    assert [r["RecordId"] for r in one] == [ids[0]]


def test_records_the_running_user_cannot_read_are_left_out(admin: Salesforce, rep: dict[str, Any],
                                                           rep_sf: Salesforce, people: list[dict[str, Any]],
                                                           opportunities: dict[str, str]) -> None:
    seen = {r["Id"] for r in rep_sf.query_all("SELECT Id FROM Opportunity")["records"]}
    other = next(o for o in opportunities.values() if o != rep["user_id"])
    ids = sorted(opportunities)[:200]
    answered = {r["RecordId"] for r in _access(rep_sf, other, ids)}
    assert answered == set(ids) & seen
