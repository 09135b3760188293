"""Members' Salesforce connections: made at the OAuth callback, used as the member's session, revoked at
disconnect; their tokens encrypted in the control store (``member_connections``).

A connection is kept only for the Salesforce user mapped to the Slack user who asked (``user_map``: status
``matched`` — the same verified email — or ``approved``), in the org the link was for, when that user holds the
Sales Home permission set (as last synced).  Otherwise the tokens Salesforce just issued are revoked, nothing is
kept but the reason (``member_notices``, shown on the member's Home tab and on the callback page).

A member's session (:class:`ConnectedSession`) is read through the one UI API client
(:meth:`ConnectedSession.ui_api`: :class:`saleshome.salesforce.ui_api.UiApi`) with their access token, over the
org's one HTTP session of the process (:meth:`Connections.http`: its pooled keep-alive connections serve every
member's calls, each carrying its member's token, so a screen does not pay a TLS handshake per call); when
Salesforce answers 401 (the session expired or was invalidated: ``INVALID_SESSION_ID``), the client calls the
session's refresh hook once — a new access token from the refresh token — and makes the call once more.  A
refused refresh token (revoked in Salesforce, expired by policy) ends the connection: its row is deleted, the
notice says so, and the client raises :class:`~saleshome.salesforce.ui_api.MemberSessionExpired` so the
screen offers to connect again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import requests

from saleshome.errors import RetriableError
from saleshome.salesforce.credentials import Resolver
from saleshome.salesforce.ui_api import MemberSession, MemberSessionExpired, UiApi
from saleshome.settings.orgs import same_org_id
from saleshome.warehouse.control import ControlDB
from saleshome.warehouse.control_tables import LINKED

from .oauth import Grant, OAuthRefused, OrgClient, StateRefused, org_client, take_state
from .services import NotConnectedError
from .tokens import TokenCipher

__all__ = ["ConnectedSession", "Connections", "Notice", "Refusal", "Refused"]

log = logging.getLogger(__name__)
READ_TIMEOUT = 30.0  # seconds a member's UI API call may take (after Slack's ack: the lazy listener waits)


class Refusal(StrEnum):
    """Why a connection was not kept (``member_notices.reason``)."""

    LINK = "link"  # the link was unknown, used or expired
    DENIED = "denied"  # the member did not allow access (or Salesforce refused the code)
    OTHER_ORG = "other_org"  # they logged in to another org than the link's
    NOT_MAPPED = "not_mapped"  # the Salesforce user is not the one mapped to their Slack user
    NO_ACCESS = "no_access"  # no Sales Home permission set in that org
    EXPIRED = "expired"  # Salesforce no longer accepts the connection (refresh token refused)


class Refused(Exception):
    """A connection attempt refused: ``reason`` and, when known, who and which org."""

    def __init__(self, reason: Refusal, *, user_id: str | None = None, alias: str | None = None,
                 detail: str = "") -> None:
        super().__init__(f"connection refused: {reason.value}" + (f" ({detail})" if detail else ""))
        self.reason = reason
        self.user_id = user_id
        self.alias = alias


@dataclass(frozen=True)
class Notice:
    alias: str
    reason: Refusal
    noted_at: datetime


@dataclass(frozen=True)
class Connected:
    user_id: str
    team_id: str | None
    alias: str
    sf_user_id: str


class Connections:
    """The members' connections of one app process (the keys, the control store, the org secrets' resolvers)."""

    def __init__(self, control: ControlDB, cipher: TokenCipher, resolvers: Mapping[str, Resolver] | None = None) -> None:
        self.control = control
        self.cipher = cipher
        self.resolvers = resolvers
        self._pools: dict[tuple[str, str, str | None], requests.Session] = {}
        self._pools_lock = threading.Lock()

    def org_client(self, alias: str) -> OrgClient:
        return org_client(self.control, alias, self.resolvers)

    def http(self, client: OrgClient) -> requests.Session:
        """The process's HTTP session to ``client``'s org (one per org, login URL and CA file): its connection
        pool is shared by every member's calls; it holds no token (each request sends its member's)."""
        key = (client.alias, client.org.login_url, client.org.ca_file)
        with self._pools_lock:
            session = self._pools.get(key)
            if session is None:
                session = self._pools[key] = client.session()
            return session

    # --- the callback -------------------------------------------------------------------------------------
    def complete(self, state: str, code: str | None, error: str | None, redirect_uri: str) -> Connected:
        """The callback: take the state, exchange the code, check the Salesforce user, keep the tokens encrypted.
        Raises :class:`Refused` (the reason noted for the member when they are known)."""
        try:
            pending = take_state(self.control, self.cipher, state)
        except StateRefused as exc:
            raise Refused(Refusal.LINK, detail=exc.message) from None
        who = {"user_id": pending.user_id, "alias": pending.alias}
        try:
            if error or not code:
                raise Refused(Refusal.DENIED, **who, detail=error or "no code")
            client = self.org_client(pending.alias)
            session = client.session()
            try:
                grant = client.exchange(session, code, pending.verifier, redirect_uri)
            except OAuthRefused as exc:
                raise Refused(Refusal.DENIED, **who, detail=exc.error) from None
            try:
                connected = self._keep(pending.user_id, pending.team_id, client, grant)
            except Refused:
                self._revoke_quietly(client, session, grant)
                raise
        except Refused as refused:
            self.note(pending.user_id, pending.alias, refused.reason)
            raise
        return connected

    def _keep(self, user_id: str, team_id: str | None, client: OrgClient, grant: Grant) -> Connected:
        who = {"user_id": user_id, "alias": client.alias}
        if not grant.identity_url or not same_org_id(grant.org_id, client.org.org_id):
            raise Refused(Refusal.OTHER_ORG, **who)
        if not grant.refresh_token:
            raise Refused(Refusal.DENIED, **who, detail="no refresh token: the connected app lacks the "
                                                        "refresh_token scope")
        mapped = self.control.rows(
            "SELECT sf_user_id, sales_home_user FROM user_map WHERE alias = ? AND slack_user_id = ? "
            f"AND {LINKED}", [client.alias, user_id])
        row = next((r for r in mapped if r["sf_user_id"][:15] == grant.user_id[:15]), None)
        if row is None:
            raise Refused(Refusal.NOT_MAPPED, **who)
        if not row["sales_home_user"]:
            raise Refused(Refusal.NO_ACCESS, **who)
        now = datetime.now(UTC)
        with self.control.transaction() as db:
            db.execute("DELETE FROM member_notices WHERE slack_user_id = ? AND alias = ?", [user_id, client.alias])
            db.upsert("member_connections", {
                "slack_user_id": user_id, "alias": client.alias, "team_id": team_id, "sf_user_id": row["sf_user_id"],
                "instance_url": grant.instance_url, "identity_url": grant.identity_url,
                "refresh_token": self.cipher.encrypt(str(grant.refresh_token)),
                "access_token": self.cipher.encrypt(grant.access_token), "connected_at": now, "refreshed_at": now,
            })
        log.info("member %s connected Salesforce in org %s", user_id, client.alias)
        return Connected(user_id, team_id, client.alias, row["sf_user_id"])

    def _revoke_quietly(self, client: OrgClient, session: requests.Session, grant: Grant) -> None:
        """Tokens issued for a refused connection are revoked (best effort: they are never stored anyway)."""
        try:
            client.revoke(session, grant.refresh_token or grant.access_token)
        except (OAuthRefused, RetriableError) as exc:
            log.warning("could not revoke the tokens of a refused connection (org %s): %s", client.alias, exc.message)

    # --- notices ------------------------------------------------------------------------------------------
    def note(self, user_id: str, alias: str, reason: Refusal) -> None:
        with self.control.transaction() as db:
            db.upsert("member_notices", {"slack_user_id": user_id, "alias": alias, "reason": reason.value,
                                         "noted_at": datetime.now(UTC)})

    def notices(self, user_id: str) -> list[Notice]:
        return [Notice(r["alias"], Refusal(r["reason"]), r["noted_at"]) for r in self.control.rows(
            "SELECT alias, reason, noted_at FROM member_notices WHERE slack_user_id = ? ORDER BY alias", [user_id])]

    # --- disconnect ---------------------------------------------------------------------------------------
    def disconnect(self, user_id: str, alias: str) -> bool:
        """Revoke the member's refresh token in Salesforce, then forget the connection; False when there was none.
        When Salesforce cannot be reached, nothing changes (the error says to try again)."""
        rows = self.control.rows("SELECT refresh_token FROM member_connections WHERE slack_user_id = ? AND alias = ?",
                                 [user_id, alias])
        if not rows:
            return False
        client = self.org_client(alias)
        client.revoke(client.session(), self.cipher.decrypt(rows[0]["refresh_token"]))
        with self.control.transaction() as db:
            db.execute("DELETE FROM member_connections WHERE slack_user_id = ? AND alias = ?", [user_id, alias])
            db.execute("DELETE FROM member_notices WHERE slack_user_id = ? AND alias = ?", [user_id, alias])
        log.info("member %s disconnected Salesforce in org %s", user_id, alias)
        return True

    # --- sessions -----------------------------------------------------------------------------------------
    def session(self, user_id: str, alias: str) -> ConnectedSession:
        rows = self.control.rows("SELECT c.*, o.api_version FROM member_connections c JOIN orgs o ON o.alias = c.alias "
                                 "WHERE c.slack_user_id = ? AND c.alias = ?", [user_id, alias])
        if not rows:
            raise NotConnectedError(f"you have not connected Salesforce in org {alias!r}", alias=alias)
        row = rows[0]
        return ConnectedSession(self, user_id=user_id, alias=alias, sf_user_id=row["sf_user_id"],
                                instance_url=row["instance_url"], api_version=row["api_version"])

    def _access_token(self, user_id: str, alias: str) -> str | None:
        rows = self.control.rows("SELECT access_token FROM member_connections WHERE slack_user_id = ? AND alias = ?",
                                 [user_id, alias])
        if not rows:
            raise NotConnectedError(f"you have not connected Salesforce in org {alias!r}", alias=alias)
        stored = rows[0]["access_token"]
        return self.cipher.decrypt(stored) if stored else None

    def refresh(self, user_id: str, alias: str, client: OrgClient, session: requests.Session) -> str:
        """A new access token for the member (kept encrypted); the connection ends when the refresh is refused."""
        rows = self.control.rows("SELECT refresh_token FROM member_connections WHERE slack_user_id = ? AND alias = ?",
                                 [user_id, alias])
        if not rows:
            raise NotConnectedError(f"you have not connected Salesforce in org {alias!r}", alias=alias)
        try:
            grant = client.refresh(session, self.cipher.decrypt(rows[0]["refresh_token"]))
        except OAuthRefused:
            with self.control.transaction() as db:
                db.execute("DELETE FROM member_connections WHERE slack_user_id = ? AND alias = ?", [user_id, alias])
            self.note(user_id, alias, Refusal.EXPIRED)
            raise NotConnectedError(f"Salesforce no longer accepts your connection to org {alias!r}",
                                    alias=alias) from None
        changes: dict[str, Any] = {"access_token": self.cipher.encrypt(grant.access_token),
                                   "refreshed_at": datetime.now(UTC), "instance_url": grant.instance_url}
        if grant.refresh_token:  # refresh token rotation: the new one replaces the old
            changes["refresh_token"] = self.cipher.encrypt(grant.refresh_token)
        sets = ", ".join(f"{k} = ?" for k in changes)
        with self.control.transaction() as db:
            db.execute(f"UPDATE member_connections SET {sets} WHERE slack_user_id = ? AND alias = ?",
                       [*changes.values(), user_id, alias])
        return grant.access_token

    # --- key rotation -------------------------------------------------------------------------------------
    def rotate_keys(self) -> int:
        """Re-encrypt every stored token and PKCE verifier with the newest key; the rows rewritten."""
        changed = 0
        with self.control.transaction() as db:
            for row in db.rows("SELECT slack_user_id, alias, refresh_token, access_token FROM member_connections"):
                db.execute("UPDATE member_connections SET refresh_token = ?, access_token = ? "
                           "WHERE slack_user_id = ? AND alias = ?",
                           [self.cipher.rotate(row["refresh_token"]),
                            self.cipher.rotate(row["access_token"]) if row["access_token"] else None,
                            row["slack_user_id"], row["alias"]])
                changed += 1
            for row in db.rows("SELECT state_hash, code_verifier FROM oauth_states"):
                db.execute("UPDATE oauth_states SET code_verifier = ? WHERE state_hash = ?",
                           [self.cipher.rotate(row["code_verifier"]), row["state_hash"]])
                changed += 1
        return changed


class ConnectedSession:
    """Salesforce as one member (see :class:`~.services.MemberSession`); the token is never in ``repr``."""

    def __init__(self, connections: Connections, *, user_id: str, alias: str, sf_user_id: str, instance_url: str,
                 api_version: str) -> None:
        self._connections = connections
        self.user_id = user_id
        self.alias = alias
        self.sf_user_id = sf_user_id
        self.instance_url = instance_url
        self.api_version = api_version
        self._client: OrgClient | None = None
        self._http: requests.Session | None = None
        self._token: str | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ConnectedSession(alias={self.alias!r}, sf_user_id={self.sf_user_id!r})"

    def _setup(self) -> tuple[OrgClient, requests.Session]:
        if self._client is None or self._http is None:
            self._client = self._connections.org_client(self.alias)
            self._http = self._connections.http(self._client)
        return self._client, self._http

    def _refresh(self, stale: str | None) -> str:
        with self._lock:
            if self._token is not None and self._token != stale:
                return self._token  # another thread refreshed meanwhile
            client, http = self._setup()
            self._token = self._connections.refresh(self.user_id, self.alias, client, http)
            return self._token

    def _current(self) -> str:
        if self._token is None:
            self._token = self._connections._access_token(self.user_id, self.alias)
        return self._token if self._token is not None else self._refresh(None)

    def ui_api(self) -> UiApi:
        """The User Interface API as this member (:class:`~saleshome.salesforce.ui_api.UiApi`) with their access
        token; the client asks :meth:`_refreshed` for a new one once when Salesforce answers 401."""
        _, http = self._setup()
        member = MemberSession(self.instance_url, self._current(), api_version=self.api_version, timeout=READ_TIMEOUT,
                               user_id=self.sf_user_id)
        return UiApi(member, http=http, refresh=self._refreshed)

    def _refreshed(self, stale: str) -> str:
        """The client's refresh hook: a new access token, or :class:`MemberSessionExpired` when Salesforce refused
        the refresh token (the connection has then ended: :meth:`Connections.refresh`)."""
        try:
            return self._refresh(stale)
        except NotConnectedError as exc:
            raise MemberSessionExpired(exc.message, hint=exc.hint) from None
