"""The OAuth 2.0 web server flow with PKCE, followed with requests as a browser would (login form, consent).

Salesforce Help "OAuth 2.0 Web Server Flow for Web App Integration" and "Revoke OAuth Tokens": the code is
single-use and valid 15 minutes (the org's clock, advanced through ``/_sandbox/clock``), the verifier must hash
to the challenge, ``redirect_uri`` must be a registered callback URL and the authorize one, refresh tokens
belong to the member, and revoking a refresh token ends the access tokens issued from it.  This module runs
its own small org (it moves the clock and creates a record).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce, SalesforceError

from saleshome.sandbox.salesforce.server import SalesforceSandbox, SandboxInfo
from tests.fixtures.sandboxes import sandbox_control
from tests.fixtures.sandboxes import sandbox_session as https_session
from tests.sandbox.salesforce.conftest import client
from tests.sandbox.salesforce.members import (
    CALLBACK,
    authorization_code,
    authorize,
    exchange,
    logins,
    pkce_pair,
    redirect_params,
    register_callback,
    submit,
)


@pytest.fixture(scope="module")
def org() -> Iterator[SalesforceSandbox]:
    with SalesforceSandbox(seed=5, opportunities=300) as sb:
        yield sb


@pytest.fixture(scope="module")
def oinfo(org: SalesforceSandbox) -> SandboxInfo:
    assert org.info is not None
    register_callback(org.info)
    return org.info


@pytest.fixture(scope="module")
def people(oinfo: SandboxInfo) -> list[dict[str, Any]]:
    return logins(oinfo)


@pytest.fixture(scope="module")
def member(people: list[dict[str, Any]]) -> dict[str, Any]:
    return next(p for p in people if p["active"] and p["profile"] == "Standard User")


def _as(info: SandboxInfo, token: str) -> Salesforce:
    return Salesforce(instance_url=info.instance_url, session_id=token, session=https_session(info.ca_file),
                      version=info.api_version)


def _identity(info: SandboxInfo, token: str) -> requests.Response:
    return https_session(info.ca_file).get(f"{info.instance_url}/services/oauth2/userinfo",
                                           headers={"Authorization": f"Bearer {token}"}, timeout=10)


def _revoke(info: SandboxInfo, token: str) -> requests.Response:
    return https_session(info.ca_file).post(f"{info.instance_url}/services/oauth2/revoke", data={"token": token},
                                            timeout=10)


def _refresh(info: SandboxInfo, refresh_token: str) -> requests.Response:
    return https_session(info.ca_file).post(info.token_url, data={
        "grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": info.client_id,
        "client_secret": info.client_secret}, timeout=10)


def test_the_full_code_flow_logs_in_as_the_member(oinfo: SandboxInfo, member: dict[str, Any]) -> None:
    verifier, challenge = pkce_pair()
    code = authorization_code(oinfo, member, challenge, state="xyz 42")
    response = exchange(oinfo, code, verifier)
    assert response.status_code == 200, response.text
    token = response.json()
    assert {"access_token", "refresh_token", "id", "instance_url", "scope", "signature", "issued_at",
            "token_type"} <= set(token)
    assert token["id"].endswith(f"/{member['user_id']}") and token["scope"] == "api refresh_token"
    me = _identity(oinfo, token["access_token"]).json()
    assert me["user_id"] == member["user_id"] and me["username"] == member["username"]


def test_pkce_verifier_mismatch_and_missing_verifier_are_refused(oinfo: SandboxInfo, member: dict[str, Any]) -> None:
    _verifier, challenge = pkce_pair()
    wrong, _ = pkce_pair()
    response = exchange(oinfo, authorization_code(oinfo, member, challenge), wrong)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request", "error_description": "invalid code verifier"}
    response = exchange(oinfo, authorization_code(oinfo, member, challenge), None)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_a_code_is_single_use_and_its_replay_revokes_the_tokens(oinfo: SandboxInfo, member: dict[str, Any]) -> None:
    verifier, challenge = pkce_pair()
    code = authorization_code(oinfo, member, challenge)
    first = exchange(oinfo, code, verifier)
    assert first.status_code == 200
    again = exchange(oinfo, code, verifier)
    assert again.status_code == 400
    assert again.json() == {"error": "invalid_grant", "error_description": "invalid authorization code"}
    assert _identity(oinfo, first.json()["access_token"]).status_code == 401
    assert _refresh(oinfo, first.json()["refresh_token"]).json()["error"] == "invalid_grant"


def test_a_code_expires_after_15_minutes_of_org_time(
    org: SalesforceSandbox, oinfo: SandboxInfo, member: dict[str, Any]
) -> None:
    verifier, challenge = pkce_pair()
    fresh = authorization_code(oinfo, member, challenge)
    stale = authorization_code(oinfo, member, challenge)
    sandbox_control(org, "clock", {"advance_seconds": 14 * 60})
    assert exchange(oinfo, fresh, verifier).status_code == 200
    sandbox_control(org, "clock", {"advance_seconds": 61 + 1})
    response = exchange(oinfo, stale, verifier)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant", "error_description": "expired authorization code"}


def test_redirect_uri_must_be_registered_and_match(oinfo: SandboxInfo, member: dict[str, Any]) -> None:
    _, challenge = pkce_pair()
    page = authorize(https_session(oinfo.ca_file), oinfo, challenge, redirect_uri="https://evil.example/cb")
    assert page.status_code == 400 and "redirect_uri_mismatch" in page.text and "Location" not in page.headers
    verifier, challenge = pkce_pair()
    code = authorization_code(oinfo, member, challenge)
    response = exchange(oinfo, code, verifier, redirect_uri=CALLBACK + "/other")
    assert response.status_code == 400 and response.json()["error"] == "redirect_uri_mismatch"
    bad_client = authorize(https_session(oinfo.ca_file), oinfo, challenge, client_id="3MVGnope")
    assert bad_client.status_code == 400 and "invalid_client_id" in bad_client.text


def test_authorize_refusals_redirect_with_the_error(oinfo: SandboxInfo) -> None:
    browser = https_session(oinfo.ca_file)
    params = redirect_params(authorize(browser, oinfo, "", state="s1"))
    assert params == {"error": "invalid_request", "error_description": "missing required code challenge",
                      "state": "s1"}
    _, challenge = pkce_pair()
    params = redirect_params(authorize(browser, oinfo, challenge, response_type="token"))
    assert params["error"] == "unsupported_response_type"


def test_wrong_password_shows_the_form_again_and_deny_is_access_denied(
    oinfo: SandboxInfo, member: dict[str, Any]
) -> None:
    browser = https_session(oinfo.ca_file)
    _, challenge = pkce_pair()
    page = authorize(browser, oinfo, challenge, state="deny-me", prompt="login consent")
    again = submit(browser, oinfo, page.text, username=member["username"], password="not-it")
    assert again.status_code == 200 and "Please check your username and password" in again.text
    consent = submit(browser, oinfo, again.text, username=member["username"], password=member["password"])
    assert "Allow Access?" in consent.text
    params = redirect_params(submit(browser, oinfo, consent.text, action="deny"))
    assert params == {"error": "access_denied", "error_description": "end-user denied authorization",
                      "state": "deny-me"}


def test_a_logged_in_browser_that_allowed_the_app_gets_a_code_at_once_unless_prompted(
    oinfo: SandboxInfo, member: dict[str, Any]
) -> None:
    browser = https_session(oinfo.ca_file)
    verifier, challenge = pkce_pair()
    authorization_code(oinfo, member, challenge, browser=browser)
    code = redirect_params(authorize(browser, oinfo, challenge, state="again"))["code"]
    assert exchange(oinfo, code, verifier).status_code == 200
    assert 'name="password"' in authorize(browser, oinfo, challenge, prompt="login").text
    assert "Allow Access?" in authorize(browser, oinfo, challenge, prompt="consent").text


def test_refresh_issues_a_token_for_the_member_and_revoke_ends_it(oinfo: SandboxInfo, member: dict[str, Any]) -> None:
    verifier, challenge = pkce_pair()
    token = exchange(oinfo, authorization_code(oinfo, member, challenge), verifier).json()
    refreshed = _refresh(oinfo, token["refresh_token"])
    assert refreshed.status_code == 200
    again = refreshed.json()["access_token"]
    assert _identity(oinfo, again).json()["user_id"] == member["user_id"]
    # Revoking an access token ends that one only.
    assert _revoke(oinfo, token["access_token"]).status_code == 200
    assert _identity(oinfo, token["access_token"]).status_code == 401
    assert _identity(oinfo, again).status_code == 200
    # Revoking the refresh token ends every access token issued from it, and the refresh token itself.
    assert _revoke(oinfo, token["refresh_token"]).status_code == 200
    assert _identity(oinfo, again).status_code == 401
    assert _refresh(oinfo, token["refresh_token"]).json() == {
        "error": "invalid_grant", "error_description": "expired access/refresh token"}
    gone = _revoke(oinfo, token["refresh_token"])
    assert gone.status_code == 400 and gone.json()["error"] == "invalid_token"
    assert _revoke(oinfo, "").json()["error"] == "unsupported_token_type"


def test_a_contact_without_an_account_is_private_to_its_owner_and_above(
    oinfo: SandboxInfo, people: list[dict[str, Any]]
) -> None:
    admin = client(oinfo)
    roles = {r["Id"]: r for r in admin.query_all("SELECT Id, Name, ParentRoleId FROM UserRole")["records"]}
    users = {u["Id"]: u for u in admin.query_all("SELECT Id, UserRoleId FROM User")["records"]}
    reps = [p for p in people if p["active"] and p["profile"] == "Standard User"]
    owner = reps[0]
    peer = next(p for p in reps[1:] if users[p["user_id"]]["UserRoleId"] == users[owner["user_id"]]["UserRoleId"])
    manager_role = roles[users[owner["user_id"]]["UserRoleId"]]["ParentRoleId"]
    manager = next(p for p in people if p["active"] and users[p["user_id"]]["UserRoleId"] == manager_role)
    made = admin.Contact.create({"LastName": "Private", "OwnerId": owner["user_id"]})
    try:
        def sees(login: dict[str, Any]) -> bool:
            token = exchange(oinfo, authorization_code(oinfo, login, challenge), verifier).json()["access_token"]
            return bool(_as(oinfo, token).query(f"SELECT Id FROM Contact WHERE Id = '{made['id']}'")["totalSize"])

        verifier, challenge = pkce_pair()
        assert sees(owner) and sees(manager) and not sees(peer)
    finally:
        admin.Contact.delete(made["id"])


def test_members_cannot_log_in_as_the_api_only_integration_user(oinfo: SandboxInfo, people: list[dict[str, Any]]) -> None:
    assert oinfo.username not in {p["username"] for p in people}
    browser = https_session(oinfo.ca_file)
    _, challenge = pkce_pair()
    page = authorize(browser, oinfo, challenge)
    refused = submit(browser, oinfo, page.text, username=oinfo.username, password=oinfo.password)
    assert "Please check your username and password" in refused.text


def test_a_member_token_is_not_the_integration_users(oinfo: SandboxInfo, member: dict[str, Any]) -> None:
    verifier, challenge = pkce_pair()
    token = exchange(oinfo, authorization_code(oinfo, member, challenge), verifier).json()["access_token"]
    with pytest.raises(SalesforceError) as exc:
        _as(oinfo, token).query("SELECT Id FROM Case")
    assert exc.value.content[0]["errorCode"] == "INVALID_TYPE"
    assert client(oinfo).query("SELECT COUNT() FROM Case")["totalSize"] > 0


def test_a_permission_set_assignment_counts_at_the_next_call(oinfo: SandboxInfo, people: list[dict[str, Any]]) -> None:
    admin = client(oinfo)
    rep = next(p for p in people if p["active"] and p["profile"] == "Standard User"
               and "Sales_Analytics" not in p["permission_sets"])
    verifier, challenge = pkce_pair()
    sf = _as(oinfo, exchange(oinfo, authorization_code(oinfo, rep, challenge), verifier).json()["access_token"])
    soql = "SELECT Id, ExpectedRevenue FROM Opportunity"
    with pytest.raises(SalesforceError) as exc:
        sf.query(soql)
    assert exc.value.content[0]["errorCode"] == "INVALID_FIELD"
    analytics = admin.query("SELECT Id FROM PermissionSet WHERE Name = 'Sales_Analytics'")["records"][0]["Id"]
    made = admin.PermissionSetAssignment.create({"PermissionSetId": analytics, "AssigneeId": rep["user_id"]})
    assert sf.query(soql)["totalSize"] == sf.query("SELECT COUNT() FROM Opportunity")["totalSize"]
    admin.PermissionSetAssignment.delete(made["id"])
    with pytest.raises(SalesforceError) as exc:
        sf.query(soql)
    assert exc.value.content[0]["errorCode"] == "INVALID_FIELD"
