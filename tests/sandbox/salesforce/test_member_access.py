"""Per-user access: a member's token sees only what their profile, permission sets, the org-wide defaults and the
role hierarchy let them see (Salesforce Security Guide; "Salesforce Record Access: Under the Hood").

Every expectation is computed from the integration user's view of the org (View All Data), never hard-coded:
a rep sees the opportunities they own, a manager those of everyone below their role, accounts are Public Read
Only, a contact follows its account, field-level security hides ``ExpectedRevenue`` from reps without the
Sales Analytics permission set (INVALID_FIELD when named in SOQL, absent from describe and records), and an
object the profile cannot read is INVALID_TYPE.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from simple_salesforce import Salesforce, SalesforceError

from saleshome.sandbox.people import sales_team, team_size
from saleshome.sandbox.salesforce.server import SalesforceSandbox, SandboxInfo
from tests.fixtures.sandboxes import sandbox_session as https_session
from tests.sandbox.salesforce.conftest import client
from tests.sandbox.salesforce.members import logins, member_client, register_callback


@pytest.fixture(scope="module")
def admin(info: SandboxInfo) -> Salesforce:
    """The integration user (View All Data): the reference view of the org."""
    return client(info)


@pytest.fixture(scope="module")
def people(info: SandboxInfo) -> list[dict[str, Any]]:
    register_callback(info)
    return logins(info)


@pytest.fixture(scope="module")
def owners(admin: Salesforce) -> dict[str, set[str]]:
    """Opportunity ids by owner id."""
    out: dict[str, set[str]] = {}
    for r in admin.query_all("SELECT Id, OwnerId FROM Opportunity")["records"]:
        out.setdefault(r["OwnerId"], set()).add(r["Id"])
    return out


def _below(admin: Salesforce, role_id: str) -> set[str]:
    """Users whose role is strictly below ``role_id`` (computed from UserRole.ParentRoleId)."""
    roles = admin.query_all("SELECT Id, ParentRoleId FROM UserRole")["records"]
    below: set[str] = set()
    frontier = {role_id}
    while frontier:
        frontier = {r["Id"] for r in roles if r["ParentRoleId"] in frontier} - below
        below |= frontier
    users = admin.query_all("SELECT Id, UserRoleId FROM User")["records"]
    return {u["Id"] for u in users if u["UserRoleId"] in below}


def _pick(people: list[dict[str, Any]], owners: dict[str, set[str]], profile: str, *, analytics: bool) -> dict[str, Any]:
    for p in people:
        if (p["active"] and p["profile"] == profile and ("Sales_Analytics" in p["permission_sets"]) == analytics
                and owners.get(p["user_id"])):
            return p
    raise AssertionError(f"the seeded org has no active {profile} owning opportunities (analytics={analytics})")


@pytest.fixture(scope="module")
def rep(people: list[dict[str, Any]], owners: dict[str, set[str]]) -> dict[str, Any]:
    return _pick(people, owners, "Standard User", analytics=False)


@pytest.fixture(scope="module")
def manager(people: list[dict[str, Any]]) -> dict[str, Any]:
    found = [p for p in people if p["active"] and (p["role"] or "").startswith("Sales Manager ")]
    assert found, "the seeded org has no active sales manager"
    return found[0]


@pytest.fixture(scope="module")
def rep_sf(info: SandboxInfo, rep: dict[str, Any]) -> Iterator[Salesforce]:
    yield member_client(info, rep)


@pytest.fixture(scope="module")
def manager_sf(info: SandboxInfo, manager: dict[str, Any]) -> Iterator[Salesforce]:
    yield member_client(info, manager)


def _ids(sf: Salesforce, soql: str) -> set[str]:
    return {r["Id"] for r in sf.query_all(soql)["records"]}


def _error(exc: pytest.ExceptionInfo[SalesforceError]) -> dict[str, Any]:
    content = exc.value.content
    assert isinstance(content, list) and content, content
    return content[0]  # type: ignore[no-any-return]


def test_a_rep_sees_only_the_opportunities_they_own(rep_sf: Salesforce, rep: dict[str, Any],
                                                    owners: dict[str, set[str]], admin: Salesforce) -> None:
    seen = _ids(rep_sf, "SELECT Id FROM Opportunity")
    assert seen == owners[rep["user_id"]]
    assert len(seen) < admin.query("SELECT COUNT() FROM Opportunity")["totalSize"]
    # COUNT(), queryAll and a filter agree with the rows.
    assert rep_sf.query("SELECT COUNT() FROM Opportunity")["totalSize"] == len(seen)
    assert rep_sf.query_all("SELECT Id FROM Opportunity WHERE IsClosed = false")["totalSize"] == len(
        _ids(admin, f"SELECT Id FROM Opportunity WHERE IsClosed = false AND OwnerId = '{rep['user_id']}'"))


def test_a_manager_sees_their_reports_records(manager_sf: Salesforce, manager: dict[str, Any], admin: Salesforce,
                                              owners: dict[str, set[str]], people: list[dict[str, Any]]) -> None:
    me = admin.query(f"SELECT UserRoleId FROM User WHERE Id = '{manager['user_id']}'")["records"][0]
    visible_owners = _below(admin, me["UserRoleId"]) | {manager["user_id"]}
    expected = set().union(*(owners.get(o, set()) for o in visible_owners))
    seen = _ids(manager_sf, "SELECT Id FROM Opportunity")
    assert seen == expected
    reports = [o for o in visible_owners if o != manager["user_id"] and owners.get(o)]
    assert reports, "the manager's team owns no opportunity: the seed lost its hierarchy"
    # Peers in the same role see nothing of each other: another manager's reports are not visible.
    others = set(owners) - visible_owners
    assert not seen & set().union(*(owners[o] for o in others))


def test_the_integration_user_sees_everything(info: SandboxInfo, admin: Salesforce) -> None:
    stored = https_session(info.ca_file).get(f"{info.instance_url}/_sandbox/info", timeout=30).json()["records"]
    for obj in ("Opportunity", "Lead", "Case", "Contact"):  # queryAll: the Recycle Bin too, as the table holds
        assert admin.query(f"SELECT COUNT() FROM {obj}", include_deleted=True)["totalSize"] == stored[obj]
    fields = {f["name"] for f in admin.Opportunity.describe()["fields"]}
    assert {"ExpectedRevenue", "ForecastCategoryName"} <= fields


def test_public_read_only_accounts_and_contacts_controlled_by_their_account(
    rep_sf: Salesforce, rep: dict[str, Any], admin: Salesforce
) -> None:
    assert _ids(rep_sf, "SELECT Id FROM Account") == _ids(admin, "SELECT Id FROM Account")
    linked = _ids(admin, "SELECT Id FROM Contact WHERE AccountId != null")
    private_own = _ids(admin, f"SELECT Id FROM Contact WHERE AccountId = null AND OwnerId = '{rep['user_id']}'")
    seen = _ids(rep_sf, "SELECT Id FROM Contact")
    assert seen == linked | private_own  # a contact without an account is private (see test_oauth_web.py)


def test_private_leads_are_the_owners(rep_sf: Salesforce, rep: dict[str, Any], admin: Salesforce) -> None:
    assert _ids(rep_sf, "SELECT Id FROM Lead") == _ids(admin, f"SELECT Id FROM Lead WHERE OwnerId = '{rep['user_id']}'")


def test_a_hidden_field_is_invalid_field_and_absent_from_describe_and_records(
    rep_sf: Salesforce, manager_sf: Salesforce, rep: dict[str, Any], owners: dict[str, set[str]]
) -> None:
    with pytest.raises(SalesforceError) as exc:
        rep_sf.query("SELECT Id, ExpectedRevenue FROM Opportunity")
    error = _error(exc)
    assert error["errorCode"] == "INVALID_FIELD"
    assert "No such column 'ExpectedRevenue' on entity 'Opportunity'" in error["message"]
    with pytest.raises(SalesforceError) as exc:  # also through a relationship
        rep_sf.query("SELECT Id, Account.AnnualRevenue FROM Opportunity")
    assert _error(exc)["errorCode"] == "INVALID_FIELD"
    assert manager_sf.query("SELECT Id, ExpectedRevenue FROM Opportunity LIMIT 1")["totalSize"] == 1

    rep_fields = {f["name"]: f for f in rep_sf.Opportunity.describe()["fields"]}
    assert "ExpectedRevenue" not in rep_fields and "Amount" in rep_fields
    assert rep_fields["ForecastCategoryName"]["updateable"] is False  # read-only for reps
    manager_fields = {f["name"]: f for f in manager_sf.Opportunity.describe()["fields"]}
    assert "ExpectedRevenue" in manager_fields and manager_fields["ForecastCategoryName"]["updateable"] is True

    own = sorted(owners[rep["user_id"]])[0]
    record = rep_sf.Opportunity.get(own)
    assert record["Id"] == own and "Amount" in record and "ExpectedRevenue" not in record
    with pytest.raises(SalesforceError) as exc:
        rep_sf.restful(f"sobjects/Opportunity/{own}", params={"fields": "Name,ExpectedRevenue"})
    assert _error(exc)["errorCode"] == "INVALID_FIELD"


def test_an_unreadable_object_is_invalid_type(rep_sf: Salesforce, admin: Salesforce) -> None:
    with pytest.raises(SalesforceError) as exc:
        rep_sf.query("SELECT Id FROM Case")
    error = _error(exc)
    assert error["errorCode"] == "INVALID_TYPE"
    assert "sObject type 'Case' is not supported" in error["message"]
    assert "Case" not in {o["name"] for o in rep_sf.describe()["sobjects"]}
    assert "Case" in {o["name"] for o in admin.describe()["sobjects"]}


def test_an_invisible_record_is_not_found_and_cannot_be_changed(
    rep_sf: Salesforce, rep: dict[str, Any], owners: dict[str, set[str]]
) -> None:
    other = sorted(i for o, ids in owners.items() if o != rep["user_id"] for i in ids)[0]
    with pytest.raises(SalesforceError) as exc:
        rep_sf.Opportunity.get(other)
    assert exc.value.status == 404 and _error(exc)["errorCode"] == "NOT_FOUND"
    with pytest.raises(SalesforceError) as exc:
        rep_sf.Opportunity.update(other, {"NextStep": "Call"})
    assert _error(exc)["errorCode"] == "INSUFFICIENT_ACCESS_OR_READONLY"
    own = sorted(owners[rep["user_id"]])[0]
    with pytest.raises(SalesforceError) as exc:
        rep_sf.Opportunity.update(own, {"ForecastCategoryName": "Omitted"})
    assert _error(exc)["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"


def test_list_view_results_hold_only_visible_records(
    rep_sf: Salesforce, rep: dict[str, Any], owners: dict[str, set[str]], admin: Salesforce
) -> None:
    views = rep_sf.restful("sobjects/Opportunity/listviews")["listviews"]
    every = next(v for v in views if v["developerName"] == "AllOpportunities")
    results = rep_sf.restful(f"sobjects/Opportunity/listviews/{every['id']}/results", params={"limit": 2000})
    assert results["size"] == len(owners[rep["user_id"]])
    as_admin = admin.restful(f"sobjects/Opportunity/listviews/{every['id']}/results", params={"limit": 1})
    assert as_admin["size"] == admin.query("SELECT COUNT() FROM Opportunity")["totalSize"]
    with pytest.raises(SalesforceError) as exc:
        rep_sf.restful("sobjects/Case/listviews")
    assert exc.value.status == 404


def test_some_slack_matched_member_lacks_the_sales_home_permission_set(
    people: list[dict[str, Any]], sandbox: SalesforceSandbox
) -> None:
    team = sales_team(sandbox.seed, team_size(sandbox.opportunities))
    in_slack_same_email = {p.email for p in team if p.in_slack and p.email == p.salesforce_email}
    without = [p for p in people if p["active"] and not p["sales_home_user"] and p["profile"] == "Standard User"
               and p["email"] in in_slack_same_email]
    assert without, "every Slack-matched rep holds Slack Sales Home User: the access screen has no member to show"
    with_it = [p for p in people if p["sales_home_user"]]
    assert with_it and all("Slack_Sales_Home_User" in p["permission_sets"] for p in with_it)
