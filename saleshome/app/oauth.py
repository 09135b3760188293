"""The OAuth 2.0 web server flow with PKCE, as Sales Home's Slack app runs it for a member.

Salesforce Help, "OAuth 2.0 Web Server Flow for Web App Integration" and "Proof Key for Code Exchange (PKCE)
Extension": the member's browser goes to ``{login_url}/services/oauth2/authorize`` (``response_type=code``,
``client_id``, ``redirect_uri``, ``state``, ``code_challenge`` = BASE64URL(SHA-256(verifier)),
``code_challenge_method=S256``); after login and consent Salesforce redirects to the app's callback
(:data:`CALLBACK_PATH`) with ``code`` and ``state``; the app POSTs ``grant_type=authorization_code`` with the
``code_verifier`` to ``/services/oauth2/token`` and gets ``access_token``, ``refresh_token``, ``instance_url``
and ``id`` (the identity URL, ``…/id/{orgId}/{userId}``).  Access tokens are renewed with
``grant_type=refresh_token`` ("OAuth 2.0 Refresh Token Flow"); ``/services/oauth2/revoke`` with ``token``
revokes a refresh token and its access tokens ("Revoke OAuth Tokens").

The connected app's client id (and secret, when it has one) are the org's own, from the org's credentials as
``saleshome org add`` recorded them (``credential_ref``: ``env:PREFIX`` or a Prefect Secret block the CLI
resolves): one connected app per org serves the integration user and the members; its callback URL must
include ``{app_url}/salesforce/oauth/callback``.

Invariants: the ``state`` is bound to the Slack user and the org who asked, single use (deleted when taken,
in the same transaction that reads it, so two processes never both take it) and expiring; only its SHA-256
is stored, and the PKCE verifier is stored encrypted.  No token or verifier ever appears in an error or a log.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import requests

from saleshome.errors import ConfigurationError, RetriableError
from saleshome.salesforce.auth import http_session
from saleshome.salesforce.credentials import Credentials, Resolver, resolve
from saleshome.settings.orgs import Org
from saleshome.warehouse.control import ControlDB

from .tokens import TokenCipher

__all__ = [
    "CALLBACK_PATH", "SCOPES", "Grant", "OAuthRefused", "OrgClient", "Pending", "StateRefused", "authorize_url",
    "code_challenge", "org_client", "take_state",
]

CALLBACK_PATH = "/salesforce/oauth/callback"
SCOPES = "api refresh_token"  # REST and UI API calls, and a refresh token (Salesforce Help, "OAuth Tokens and Scopes")
TIMEOUT = 30


class OAuthRefused(ConfigurationError):
    """Salesforce refused a grant or revocation (``error`` is its OAuth error code: ``invalid_grant``, ...)."""

    def __init__(self, message: str, *, error: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.error = error


class StateRefused(ConfigurationError):
    """The callback's ``state`` is unknown, used already or expired (``reason``: ``expired``)."""


@dataclass(frozen=True)
class Grant:
    """What a token request gave (``repr`` hides the tokens)."""

    access_token: str
    refresh_token: str | None
    instance_url: str
    identity_url: str

    def __repr__(self) -> str:
        return f"Grant(instance_url={self.instance_url!r}, identity_url={self.identity_url!r}, tokens='**********')"

    @property
    def org_id(self) -> str:
        return self.identity_url.rstrip("/").split("/")[-2] if self.identity_url.count("/") >= 2 else ""

    @property
    def user_id(self) -> str:
        return self.identity_url.rstrip("/").split("/")[-1]


@dataclass(frozen=True)
class OrgClient:
    """One org as the app reaches it for its members (the connected app's client id and secret are secret)."""

    org: Org
    credentials: Credentials

    def __repr__(self) -> str:
        return f"OrgClient(alias={self.org.alias!r}, login_url={self.org.login_url!r})"

    @property
    def alias(self) -> str:
        return self.org.alias

    def session(self) -> requests.Session:
        return http_session(self.org.ca_file)

    def _client(self) -> dict[str, str]:
        form = {"client_id": Credentials.secret(self.credentials.client_id)}
        if self.credentials.client_secret is not None:
            form["client_secret"] = Credentials.secret(self.credentials.client_secret)
        return form

    def _endpoint(self, name: str) -> str:
        return self.org.login_url.rstrip("/") + f"/services/oauth2/{name}"

    def _post(self, session: requests.Session, name: str, form: Mapping[str, str], what: str) -> requests.Response:
        url = self._endpoint(name)
        try:
            response = session.post(url, data=dict(form), timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise RetriableError(f"could not reach {url} to {what} (org {self.alias!r}): {type(exc).__name__}",
                                 hint="Salesforce may be down: try again") from None
        if response.status_code >= 500:
            raise RetriableError(f"Salesforce answered {response.status_code} to {what} (org {self.alias!r})",
                                 hint="try again") from None
        return response

    def _grant(self, session: requests.Session, form: dict[str, str], what: str) -> Grant:
        response = self._post(session, "token", {**form, **self._client()}, what)
        body = _json(response)
        if response.status_code != 200 or "access_token" not in body:
            error = str(body.get("error") or f"HTTP {response.status_code}")
            raise OAuthRefused(f"Salesforce refused to {what} (org {self.alias!r}): {error} "
                               f"({body.get('error_description', '')})", error=error)
        return Grant(access_token=str(body["access_token"]), refresh_token=body.get("refresh_token"),
                     instance_url=str(body.get("instance_url") or self.org.instance_url),
                     identity_url=str(body.get("id") or ""))

    def exchange(self, session: requests.Session, code: str, verifier: str, redirect_uri: str) -> Grant:
        """The ``authorization_code`` grant (with the PKCE verifier)."""
        return self._grant(session, {"grant_type": "authorization_code", "code": code, "code_verifier": verifier,
                                     "redirect_uri": redirect_uri}, "exchange the authorization code")

    def refresh(self, session: requests.Session, refresh_token: str) -> Grant:
        """A new access token from the member's refresh token."""
        return self._grant(session, {"grant_type": "refresh_token", "refresh_token": refresh_token},
                           "refresh a member's session")

    def revoke(self, session: requests.Session, token: str) -> None:
        """Revoke ``token`` (a refresh token: its access tokens with it); an already invalid token is fine."""
        response = self._post(session, "revoke", {"token": token}, "revoke a member's token")
        if response.status_code == 200:
            return
        body = _json(response)
        error = str(body.get("error") or f"HTTP {response.status_code}")
        if error in ("invalid_token", "unsupported_token_type"):  # revoked or expired already: nothing to revoke
            return
        raise OAuthRefused(f"Salesforce refused to revoke a member's token (org {self.alias!r}): {error}", error=error)


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def org_client(control: ControlDB, alias: str, resolvers: Mapping[str, Resolver] | None = None) -> OrgClient:
    """The org ``alias`` and its connected app's client id/secret (from the org's credential reference)."""
    rows = control.rows("SELECT * FROM orgs WHERE alias = ?", [alias])
    if not rows:
        raise ConfigurationError(f"no org called {alias!r} is connected to Sales Home",
                                 hint="a sales admin connects it with `saleshome org add`")
    org = Org.from_row(rows[0])
    credentials = resolve(org.credential_ref, resolvers)
    if credentials.client_id is None:
        raise ConfigurationError(f"the credentials of org {alias!r} have no client id: members cannot connect",
                                 hint=f"give {org.credential_ref} the connected app's client id")
    return OrgClient(org, credentials)


def code_challenge(verifier: str) -> str:
    """PKCE S256: BASE64URL(SHA-256(verifier)) without padding (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _state_hash(state: str) -> str:
    return hashlib.sha256(state.encode("utf-8")).hexdigest()


def authorize_url(control: ControlDB, cipher: TokenCipher, client: OrgClient, *, user_id: str, team_id: str | None,
                  redirect_uri: str, ttl: timedelta, now: datetime | None = None) -> str:
    """A fresh single-use link to Salesforce's authorize page for ``user_id`` and this org (expired states pruned)."""
    now = now or datetime.now(UTC)
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)  # 86 characters of [A-Za-z0-9_-]: RFC 7636 allows 43 to 128
    with control.transaction() as db:
        db.execute("DELETE FROM oauth_states WHERE expires_at < ?", [now])
        db.execute("INSERT INTO oauth_states (state_hash, team_id, slack_user_id, alias, code_verifier, created_at, "
                   "expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                   [_state_hash(state), team_id, user_id, client.alias, cipher.encrypt(verifier), now, now + ttl])
    query = urlencode({"response_type": "code", "client_id": Credentials.secret(client.credentials.client_id),
                       "redirect_uri": redirect_uri, "state": state, "scope": SCOPES,
                       "code_challenge": code_challenge(verifier), "code_challenge_method": "S256"})
    return client.org.login_url.rstrip("/") + "/services/oauth2/authorize?" + query


@dataclass(frozen=True)
class Pending:
    """A taken state: who asked, for which org, and the PKCE verifier (hidden in ``repr``)."""

    user_id: str
    team_id: str | None
    alias: str
    verifier: str

    def __repr__(self) -> str:
        return f"Pending(user_id={self.user_id!r}, alias={self.alias!r})"


def take_state(control: ControlDB, cipher: TokenCipher, state: str, now: datetime | None = None) -> Pending:
    """The pending connection ``state`` names, taken (deleted) so it serves once; :class:`StateRefused` when it
    is unknown, already taken or expired."""
    now = now or datetime.now(UTC)
    key = _state_hash(state)
    with control.transaction() as db:
        rows = db.rows("SELECT * FROM oauth_states WHERE state_hash = ?", [key])
        taken = db.execute("DELETE FROM oauth_states WHERE state_hash = ?", [key]).rowcount if rows else 0
    if not rows or taken != 1:
        raise StateRefused("this connection link is unknown or was used already",
                           hint="open Sales Home in Slack and choose \"Connect Salesforce\" again")
    row = rows[0]
    if row["expires_at"] < now:
        raise StateRefused("this connection link has expired",
                           hint="open Sales Home in Slack and choose \"Connect Salesforce\" again")
    return Pending(user_id=row["slack_user_id"], team_id=row["team_id"], alias=row["alias"],
                   verifier=cipher.decrypt(row["code_verifier"]))
