"""The Slack app's control-store tables on both backends (SQLite; PostgreSQL on the session's server): an event
taken once, a connection link single-use and expiring, a member read back, notices, keys rotated — the same SQL
everywhere (revision 0003)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from saleshome.app.connections import Connections, Refusal
from saleshome.app.events import KEEP, first_delivery
from saleshome.app.members import load_member
from saleshome.app.oauth import OrgClient, StateRefused, authorize_url, take_state
from saleshome.app.tokens import TokenCipher
from saleshome.salesforce.credentials import AuthMethod, Credentials
from saleshome.settings.orgs import Org
from saleshome.warehouse.control import ControlDB
from tests.fixtures.control import ControlDatabases


@pytest.fixture(params=["sqlite", "postgresql"])
def control(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ControlDB]:
    if request.param == "sqlite":
        yield ControlDB(tmp_path / "control.sqlite")
        return
    databases: ControlDatabases = request.getfixturevalue("control_databases")
    with databases.fresh() as url:
        yield ControlDB(url)


def org_client(login_url: str = "https://login.example.com") -> OrgClient:
    org = Org(alias="acme", org_id="00D000000000001AAA", org_name="Acme", instance_url="https://acme.example.com",
              login_url=login_url, auth_method=AuthMethod.CLIENT_CREDENTIALS, credential_ref="env:X", ca_file=None,
              api_version="62.0", is_sandbox=True, objects=None, status="ok", last_sync_at=None, last_error=None)
    return OrgClient(org, Credentials(client_id="3MVGclient"))


def test_an_event_is_taken_once_and_old_ones_are_pruned(control: ControlDB) -> None:
    now = datetime.now(UTC)
    assert first_delivery(control, "Ev1", team_id="T1", event_type="app_home_opened", now=now - KEEP * 2)
    assert first_delivery(control, "Ev2", team_id="T1", event_type="app_home_opened", now=now)
    assert not first_delivery(control, "Ev2", team_id="T1", event_type="app_home_opened", now=now)
    assert [r["event_id"] for r in control.rows("SELECT event_id FROM app_events")] == ["Ev2"]  # Ev1 pruned


def test_a_link_serves_once_before_it_expires(control: ControlDB) -> None:
    cipher = TokenCipher([Fernet.generate_key().decode()])
    now = datetime.now(UTC)
    url = authorize_url(control, cipher, org_client(), user_id="U1", team_id="T1", redirect_uri="http://app/cb",
                        ttl=timedelta(minutes=10), now=now)
    state = url.split("state=")[1].split("&")[0]
    pending = take_state(control, cipher, state, now=now + timedelta(minutes=9))
    assert (pending.user_id, pending.alias) == ("U1", "acme") and len(pending.verifier) >= 43
    with pytest.raises(StateRefused, match="used already"):
        take_state(control, cipher, state, now=now)
    late = authorize_url(control, cipher, org_client(), user_id="U1", team_id="T1", redirect_uri="http://app/cb",
                         ttl=timedelta(minutes=10), now=now)
    with pytest.raises(StateRefused, match="expired"):
        take_state(control, cipher, late.split("state=")[1].split("&")[0], now=now + timedelta(minutes=11))
    stored = control.rows("SELECT code_verifier FROM oauth_states")
    assert all(pending.verifier not in r["code_verifier"] for r in stored)


def test_a_member_reads_back_with_access_connections_and_locale(control: ControlDB) -> None:
    now = datetime.now(UTC)
    with control.transaction() as db:
        for alias, sf_user, status, access in (("acme", "005A", "matched", True), ("beta", "005B", "approved", False),
                                               ("gamma", "005C", "unmatched", True)):
            db.execute("INSERT INTO user_map (alias, sf_user_id, email, slack_user_id, team_id, tz, status, "
                       "refreshed_at, locale, sales_home_user) VALUES (?, ?, 'a@x.io', 'U1', 'T1', 'Europe/Paris', "
                       "?, ?, 'fr-FR', ?)", [alias, sf_user, status, now, access])
    member = load_member(control, "U1")
    assert [(o.alias, o.sales_home_user, o.connected) for o in member.orgs] == [("acme", True, False),
                                                                                ("beta", False, False)]
    assert (member.locale, member.tz, member.team_id, member.has_access) == ("fr-FR", "Europe/Paris", "T1", True)
    assert load_member(control, "U2").orgs == () and not load_member(control, "U2").has_access


def test_notices_and_key_rotation(control: ControlDB) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    connections = Connections(control, TokenCipher([old]))
    connections.note("U1", "acme", Refusal.NOT_MAPPED)
    connections.note("U1", "acme", Refusal.DENIED)  # the latest reason replaces the earlier one
    assert [(n.alias, n.reason) for n in connections.notices("U1")] == [("acme", Refusal.DENIED)]
    with control.transaction() as db:
        db.upsert("member_connections", {
            "slack_user_id": "U1", "alias": "acme", "team_id": "T1", "sf_user_id": "005A",
            "instance_url": "https://acme.example.com", "identity_url": "https://login.example.com/id/00D/005A",
            "refresh_token": connections.cipher.encrypt("refresh-1"), "access_token": None,
            "connected_at": datetime.now(UTC), "refreshed_at": None})
    rotated = Connections(control, TokenCipher([new, old]))
    assert rotated.rotate_keys() == 1
    row = control.rows("SELECT refresh_token, access_token FROM member_connections")[0]
    assert TokenCipher([new]).decrypt(row["refresh_token"]) == "refresh-1" and row["access_token"] is None
