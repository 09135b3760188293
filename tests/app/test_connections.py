"""A member's own Salesforce connection, end to end over HTTP: the Home tab's "Connect Salesforce" link, the
Salesforce sandbox's login form and consent page (followed with requests, as a browser would), the app's callback
(authorization code + PKCE verifier), the tokens kept encrypted; refused for a Salesforce user who is not the
member's; single use; refreshed when Salesforce says the session is invalid; revoked at disconnect; keys rotated.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from cryptography.fernet import Fernet

from saleshome.app.connections import Connections
from saleshome.app.oauth import authorize_url
from saleshome.app.tokens import TokenCipher
from saleshome.errors import ConfigurationError
from saleshome.salesforce.ui_api import MemberSessionExpired
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from saleshome.sandbox.slack.server import SlackSandbox
from tests.fixtures.app import (
    CONNECT_SCREEN,
    NO_ACCESS_SCREEN,
    SALES_TAB,
    MemberHome,
    connect,
    connect_url,
    event_body,
    legacy_email_member,
    log_in_and_allow,
    login_of,
    member_with_access,
    open_home,
    post_action,
    post_event,
    start_app,
    wait_for,
)
from tests.fixtures.cli import run_cli
from tests.fixtures.sandboxes import sandbox_session
from tests.fixtures.workspace import ALIAS
from tests.sandbox.salesforce.members import register_callback

pytestmark = [pytest.mark.integration]


def connection(home: MemberHome, user: str) -> dict[str, object] | None:
    rows = home.control.rows("SELECT * FROM member_connections WHERE slack_user_id = ? AND alias = ?", [user, ALIAS])
    return rows[0] if rows else None


def clear_tokens(home: MemberHome, user: str, key: str | None = None) -> tuple[str, str]:
    """(refresh token, access token) of the member's connection, decrypted with ``key`` (default: the app's)."""
    row = connection(home, user)
    assert row is not None
    cipher = TokenCipher([key or home.key])
    return cipher.decrypt(str(row["refresh_token"])), cipher.decrypt(str(row["access_token"]))


def store_bytes(home: MemberHome) -> bytes:
    """Every byte the SQLite control store holds on disk (the database and its journal)."""
    files = sorted(home.settings.home.glob("control.sqlite*"))
    assert files, "the control store is not a SQLite file in the home"
    return b"".join(f.read_bytes() for f in files)


def refresh_grant(sf_sandbox: SalesforceSandbox, refresh_token: str) -> requests.Response:
    """The refresh token grant, as the connected app asks for it (200: the token is valid)."""
    assert sf_sandbox.info is not None
    info = sf_sandbox.info
    return sandbox_session(info.ca_file).post(info.token_url, data={
        "grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": info.client_id,
        "client_secret": info.client_secret}, timeout=30)


def test_a_member_connects_with_their_own_salesforce_user_and_sees_the_sales_tab(
        member_home: MemberHome, slack_sandbox: SlackSandbox, sf_sandbox: SalesforceSandbox, tmp_path: Path) -> None:
    user, sf_user = member_with_access(member_home)
    app = start_app(tmp_path)
    try:
        page = connect(app, member_home, slack_sandbox, sf_sandbox, user, login_of(sf_sandbox, sf_user), "Ev0CONN000001")
        assert page.status_code == 200, page.text
        assert "Salesforce is connected" in page.text
        row = connection(member_home, user)
        assert row is not None and str(row["sf_user_id"])[:15] == sf_user[:15]
        tab = wait_for(lambda: (v := slack_sandbox.home_view(user)) and v.get("callback_id") == SALES_TAB and v,
                       "the Sales tab")
        shown = json.dumps(tab)
        assert "*Opportunities*" in shown and "All Opportunities" in shown  # read as the member: their list views
        assert "sales_home_reconnect" not in shown and "not answering" not in shown
        # the tokens work as the member: the UI API answers with their session
        refresh_token, access_token = clear_tokens(member_home, user)
        connections = Connections(member_home.control, TokenCipher([member_home.key]))
        session = connections.session(user, ALIAS)
        assert session.ui_api().object_info("Opportunity").api_name == "Opportunity"
        # the next screen's session calls over the same kept-alive connection (no TLS handshake per screen)
        assert connections.session(user, ALIAS).ui_api().object_info("Account").api_name == "Account"
        adapter = connections.http(connections.org_client(ALIAS)).get_adapter(session.instance_url)
        assert isinstance(adapter, requests.adapters.HTTPAdapter)
        pools = adapter.poolmanager
        keys = pools.pools.keys()  # urllib3's RecentlyUsedContainer refuses iteration
        assert [pools.pools[key].num_connections for key in keys] == [1]  # one pool, one connection
        # the same callback again (a replayed code and state): refused, nothing changes
        again = requests.get(page.url, timeout=60)
        assert again.status_code == 403 and "expired or was used already" in again.text
        assert clear_tokens(member_home, user) == (refresh_token, access_token)
    finally:
        app.stop()
    # unreadable at rest: neither token in clear anywhere in the store's files, nor in the app's log
    stored = store_bytes(member_home)
    for secret in (refresh_token, access_token):
        assert secret.encode() not in stored
        assert secret not in app.output()
    code = parse_qs(urlsplit(page.url).query)["code"][0]
    assert code not in app.output()


def test_a_salesforce_user_who_is_not_the_members_is_refused_with_the_reason(
        member_home: MemberHome, slack_sandbox: SlackSandbox, sf_sandbox: SalesforceSandbox, tmp_path: Path) -> None:
    user, sf_user = member_with_access(member_home)
    other = member_home.control.rows(
        "SELECT sf_user_id FROM user_map WHERE alias = ? AND sales_home_user AND sf_user_id <> ? "
        "AND (slack_user_id IS NULL OR slack_user_id <> ?) ORDER BY sf_user_id", [ALIAS, sf_user, user])
    assert other, "the seed has a single Sales Home user"
    app = start_app(tmp_path)
    try:
        page = connect(app, member_home, slack_sandbox, sf_sandbox, user, login_of(sf_sandbox, other[0]["sf_user_id"]),
                       "Ev0REFUSED001")
        assert page.status_code == 403, page.text
        assert "is not the one linked to your Slack account" in page.text
        # the Home tab says why too, with a fresh link
        view = wait_for(lambda: (v := slack_sandbox.home_view(user)) and v.get("callback_id") == CONNECT_SCREEN
                        and "not the one linked" in str(v["blocks"]) and v, "the refusal on the Home tab")
        assert any((b.get("accessory") or {}).get("url") for b in view["blocks"])
    finally:
        app.stop()
    assert connection(member_home, user) is None
    notices = member_home.control.rows("SELECT reason FROM member_notices WHERE slack_user_id = ?", [user])
    assert [n["reason"] for n in notices] == ["not_mapped"]


def test_a_mapping_a_sales_admin_approved_lets_a_member_whose_emails_differ_connect(
        member_home: MemberHome, slack_sandbox: SlackSandbox, sf_sandbox: SalesforceSandbox, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    sf_user, user = legacy_email_member(member_home, slack_sandbox)  # Salesforce email on another domain than Slack's
    login = login_of(sf_sandbox, sf_user)
    assert sf_sandbox.info is not None
    app = start_app(tmp_path)
    try:
        register_callback(sf_sandbox.info, app.urls["oauth_callback"])
        # before the approval: no access (nothing maps them), and a link made for them is refused with the reason
        open_home(app, member_home, user, "Ev0APPR000001")
        wait_for(lambda: (slack_sandbox.home_view(user) or {}).get("callback_id") == NO_ACCESS_SCREEN,
                 "the access screen", app=app)
        cipher = TokenCipher([member_home.key])
        link = authorize_url(member_home.control, cipher, Connections(member_home.control, cipher).org_client(ALIAS),
                             user_id=user, team_id=None, redirect_uri=app.urls["oauth_callback"],
                             ttl=timedelta(minutes=5))
        refused = requests.get(log_in_and_allow(sf_sandbox, link, login), timeout=60)
        assert refused.status_code == 403 and "is not the one linked to your Slack account" in refused.text
        assert connection(member_home, user) is None
        assert [n["reason"] for n in member_home.control.rows(
            "SELECT reason FROM member_notices WHERE slack_user_id = ?", [user])] == ["not_mapped"]
        # a sales admin approves the mapping: the member connects as that Salesforce user
        code, out, err = run_cli(monkeypatch, capsys, "org", "approve-member", ALIAS, "--salesforce-user", sf_user,
                                 "--slack-user", user, "--as", member_home.sales_admin)
        assert code == 0, out + err
        page = connect(app, member_home, slack_sandbox, sf_sandbox, user, login, "Ev0APPR000002")
        assert page.status_code == 200 and "Salesforce is connected" in page.text, page.text
        row = connection(member_home, user)
        assert row is not None and row["sf_user_id"] == sf_user
        wait_for(lambda: (slack_sandbox.home_view(user) or {}).get("callback_id") == SALES_TAB, "the Sales tab",
                 app=app)
    finally:
        app.stop()
    # revoked: the app no longer acts as that Salesforce user for them
    code, out, err = run_cli(monkeypatch, capsys, "org", "revoke-member", ALIAS, "--salesforce-user", sf_user,
                             "--as", member_home.sales_admin)
    assert code == 0, out + err
    assert connection(member_home, user) is None


def test_disconnect_revokes_the_refresh_token_in_salesforce(
        member_home: MemberHome, slack_sandbox: SlackSandbox, sf_sandbox: SalesforceSandbox, tmp_path: Path) -> None:
    user, sf_user = member_with_access(member_home)
    app = start_app(tmp_path)
    try:
        page = connect(app, member_home, slack_sandbox, sf_sandbox, user, login_of(sf_sandbox, sf_user), "Ev0DISC000001")
        assert page.status_code == 200, page.text
        tab = wait_for(lambda: (v := slack_sandbox.home_view(user)) and v.get("callback_id") == SALES_TAB and v,
                       "the Sales tab")
        button = next(e for b in tab["blocks"] for e in [b.get("accessory") or {}, *b.get("elements", [])]
                      if str(e.get("action_id", "")).startswith("disconnect_salesforce"))  # the tab's Disconnect
        refresh_token, _ = clear_tokens(member_home, user)
        assert refresh_grant(sf_sandbox, refresh_token).status_code == 200  # valid while connected
        response = post_action(app, user, button["action_id"], button["value"], member_home.signing_secret)
        assert response.status_code == 200 and response.elapsed.total_seconds() < 3
        wait_for(lambda: connection(member_home, user) is None, "the connection forgotten")
        wait_for(lambda: (slack_sandbox.home_view(user) or {}).get("callback_id") == CONNECT_SCREEN,
                 "the Connect screen again")
    finally:
        app.stop()
    refused = refresh_grant(sf_sandbox, refresh_token)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant", refused.text


def test_an_invalid_session_is_refreshed_with_the_refresh_token(
        member_home: MemberHome, slack_sandbox: SlackSandbox, sf_sandbox: SalesforceSandbox, tmp_path: Path) -> None:
    user, sf_user = member_with_access(member_home)
    app = start_app(tmp_path)
    try:
        assert connect(app, member_home, slack_sandbox, sf_sandbox, user, login_of(sf_sandbox, sf_user),
                       "Ev0REFR000001").status_code == 200
    finally:
        app.stop()
    assert sf_sandbox.info is not None
    refresh_token, access_token = clear_tokens(member_home, user)
    revoked = sandbox_session(sf_sandbox.info.ca_file).post(
        f"{sf_sandbox.info.instance_url}/services/oauth2/revoke", data={"token": access_token}, timeout=30)
    assert revoked.status_code == 200, revoked.text  # the access token alone: Salesforce now says INVALID_SESSION_ID
    session = Connections(member_home.control, TokenCipher([member_home.key])).session(user, ALIAS)
    assert session.ui_api().object_info("Account").api_name == "Account"  # as the Sales tab reads
    new_refresh, new_access = clear_tokens(member_home, user)
    assert new_access != access_token and new_refresh == refresh_token
    # a refresh token Salesforce refuses ends the connection: the member is asked to connect again
    sandbox_session(sf_sandbox.info.ca_file).post(f"{sf_sandbox.info.instance_url}/services/oauth2/revoke",
                                                 data={"token": refresh_token}, timeout=30)
    with pytest.raises(MemberSessionExpired):  # the Sales tab shows "Reconnect" in place
        session.ui_api().object_info("Account")
    assert connection(member_home, user) is None
    assert [r["reason"] for r in member_home.control.rows(
        "SELECT reason FROM member_notices WHERE slack_user_id = ?", [user])] == ["expired"]


def test_keys_rotate_without_losing_a_connection(
        member_home: MemberHome, slack_sandbox: SlackSandbox, sf_sandbox: SalesforceSandbox, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    user, sf_user = member_with_access(member_home)
    app = start_app(tmp_path)
    try:
        assert connect(app, member_home, slack_sandbox, sf_sandbox, user, login_of(sf_sandbox, sf_user),
                       "Ev0ROT0000001").status_code == 200
    finally:
        app.stop()
    tokens = clear_tokens(member_home, user)
    old, new = member_home.key, Fernet.generate_key().decode()
    with pytest.raises(ConfigurationError, match="cannot be decrypted"):
        clear_tokens(member_home, user, key=new)  # written with the old key
    monkeypatch.setenv("SALESHOME_SECRET_KEY", f"{new},{old}")  # the new key in front
    code, out, err = run_cli(monkeypatch, capsys, "app", "rotate-keys")
    assert code == 0, err
    assert "Re-encrypted 1 stored secret(s)" in out
    assert clear_tokens(member_home, user, key=new) == tokens  # the new key alone reads them now
    with pytest.raises(ConfigurationError, match="cannot be decrypted"):
        clear_tokens(member_home, user, key=old)
    monkeypatch.setenv("SALESHOME_SECRET_KEY", new)  # the old key removed: the app still reads as the member
    session = Connections(member_home.control, TokenCipher([new])).session(user, ALIAS)
    assert session.ui_api().object_info("Account").api_name == "Account"
    for secret in tokens:
        assert secret not in out + err


def test_an_expired_link_is_refused_and_nothing_is_kept(
        member_home: MemberHome, slack_sandbox: SlackSandbox, sf_sandbox: SalesforceSandbox, tmp_path: Path) -> None:
    user, sf_user = member_with_access(member_home)
    assert sf_sandbox.info is not None
    app = start_app(tmp_path, {"SALESHOME_OAUTH_STATE_SECONDS": "1"})
    try:
        register_callback(sf_sandbox.info, app.urls["oauth_callback"])
        before = slack_sandbox.home_view(user)
        assert post_event(app, event_body(user, "Ev0EXPIRED001"), member_home.signing_secret).status_code == 200
        view = wait_for(lambda: (v := slack_sandbox.home_view(user)) and v != before and v, "the Connect screen")
        callback = log_in_and_allow(sf_sandbox, connect_url(view), login_of(sf_sandbox, sf_user))
        expires = member_home.control.rows("SELECT expires_at FROM oauth_states WHERE slack_user_id = ?", [user])
        wait_for(lambda: datetime.now(UTC) > expires[0]["expires_at"], "the link's expiry")
        page = requests.get(callback, timeout=60)
        assert page.status_code == 403 and "expired or was used already" in page.text
    finally:
        app.stop()
    assert connection(member_home, user) is None


def test_a_member_who_denies_access_is_told_so_and_nothing_is_kept(
        member_home: MemberHome, slack_sandbox: SlackSandbox, sf_sandbox: SalesforceSandbox, tmp_path: Path) -> None:
    user, sf_user = member_with_access(member_home)
    assert sf_sandbox.info is not None
    app = start_app(tmp_path)
    try:
        register_callback(sf_sandbox.info, app.urls["oauth_callback"])
        before = slack_sandbox.home_view(user)
        assert post_event(app, event_body(user, "Ev0DENIED0001"), member_home.signing_secret).status_code == 200
        view = wait_for(lambda: (v := slack_sandbox.home_view(user)) and v != before and v, "the Connect screen")
        # prompt=consent: Salesforce asks again even when this user allowed the app before (an earlier test)
        callback = log_in_and_allow(sf_sandbox, connect_url(view) + "&prompt=consent", login_of(sf_sandbox, sf_user),
                                    action="deny")
        assert "error=access_denied" in callback
        page = requests.get(callback, timeout=60)
        assert page.status_code == 403 and "did not allow the connection" in page.text
    finally:
        app.stop()
    assert connection(member_home, user) is None
    assert [r["reason"] for r in member_home.control.rows(
        "SELECT reason FROM member_notices WHERE slack_user_id = ?", [user])] == ["denied"]
    used = hashlib.sha256(parse_qs(urlsplit(callback).query)["state"][0].encode()).hexdigest()
    assert member_home.control.rows("SELECT * FROM oauth_states WHERE state_hash = ?", [used]) == []  # used up
