"""OAuth 2.0 for the sandbox org: the token endpoint's grants, sessions and their expiry.

Shapes follow "OAuth 2.0 Username-Password Flow", "Client Credentials Flow", "JWT Bearer
Flow", "Refresh Token Flow" and "OAuth 2.0 Web Server Flow for Web App Integration" in Salesforce
Help: a token response carries ``access_token, instance_url, id, token_type, issued_at, signature``;
a refused request is a 400 ``{"error": ..., "error_description": ...}``.  The first four grants log in
as the integration user; ``authorization_code`` (see ``oauth_web.py``) and a member's refresh token
log in as that member.  An access token issued from a refresh token ends when the refresh token is
revoked.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .errors import ApiError

if TYPE_CHECKING:
    from .oauth_web import WebServerFlow

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


class OAuthError(Exception):
    """A refused token request: ``{"error": code, "error_description": description}``."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


@dataclass(frozen=True)
class Credentials:
    """What the sandbox's connected app and integration user accept (fresh random values per start)."""

    client_id: str
    client_secret: str
    username: str
    password: str
    security_token: str
    refresh_token: str
    jwt_private_key_pem: str
    jwt_public_key_pem: str

    @staticmethod
    def generate(username: str) -> Credentials:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()
        return Credentials(
            client_id="3MVG9" + secrets.token_urlsafe(60).replace("-", "A").replace("_", "B")[:80],
            client_secret=secrets.token_hex(32).upper(),
            username=username,
            password=secrets.token_urlsafe(12),
            security_token=secrets.token_urlsafe(18)[:24],
            refresh_token="5Aep861" + secrets.token_urlsafe(60).replace("-", "A").replace("_", "B")[:80],
            jwt_private_key_pem=private,
            jwt_public_key_pem=public,
        )


@dataclass
class Session:
    token: str
    user_id: str
    expires_at: float
    issued_at: float = field(default_factory=time.time)
    refresh_token: str | None = None  # the member refresh token it was issued from (revoked with it)


class SessionRegistry:
    """Issued access tokens and their expiry; an expired or unknown one is ``INVALID_SESSION_ID``."""

    def __init__(self, org_id: str, lifetime_seconds: float) -> None:
        self.org_id = org_id
        self.lifetime_seconds = lifetime_seconds
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def issue(self, user_id: str, refresh_token: str | None = None) -> Session:
        token = f"{self.org_id[:15]}!AQ{secrets.token_urlsafe(72)}"
        session = Session(token=token, user_id=user_id, expires_at=time.time() + self.lifetime_seconds,
                          refresh_token=refresh_token)
        with self._lock:
            self._sessions[token] = session
        return session

    def revoke(self, token: str) -> bool:
        """End one access token; False when it is unknown (or already ended)."""
        with self._lock:
            return self._sessions.pop(token, None) is not None

    def revoke_issued_from(self, refresh_token: str) -> int:
        """End every access token issued from ``refresh_token``; returns how many."""
        with self._lock:
            doomed = [t for t, s in self._sessions.items() if s.refresh_token == refresh_token]
            for token in doomed:
                del self._sessions[token]
        return len(doomed)

    def check(self, authorization: str | None) -> Session:
        scheme, _, token = (authorization or "").partition(" ")
        with self._lock:
            session = self._sessions.get(token.strip()) if scheme.lower() in ("bearer", "oauth") else None
            if session is not None and session.expires_at <= time.time():
                del self._sessions[session.token]
                session = None
        if session is None:
            raise ApiError(401, "INVALID_SESSION_ID", "Session expired or invalid")
        return session

    def expire_all(self) -> None:
        """Forced session expiry (fault injection): every issued token stops working."""
        with self._lock:
            self._sessions.clear()


class TokenEndpoint:
    """``POST /services/oauth2/token`` for the four grants the pipeline supports."""

    def __init__(self, creds: Credentials, sessions: SessionRegistry, user_id: str, login_url: str,
                 web: WebServerFlow | None = None) -> None:
        self.creds = creds
        self.sessions = sessions
        self.user_id = user_id
        self.login_url = login_url
        self.web = web

    def handle(self, form: dict[str, str], instance_url: str) -> dict[str, Any]:
        grant = form.get("grant_type", "")
        if grant == "authorization_code" and self.web is not None:
            self._check_client(form, secret_required=False)
            grant_info = self.web.redeem_code(form)
            session = self.sessions.issue(grant_info.user_id, grant_info.refresh_token)
            self.web.issued(grant_info, session.token)
            body = self._body(session, instance_url)
            body["scope"] = grant_info.scope
            if grant_info.refresh_token:
                body["refresh_token"] = grant_info.refresh_token
            return body
        if grant == "refresh_token" and self.web is not None and form.get("refresh_token") != self.creds.refresh_token:
            self._check_client(form, secret_required=False)
            member = self.web.refresh(form.get("refresh_token", ""))
            if member is None or member.client_id != form.get("client_id"):
                raise OAuthError("invalid_grant", "expired access/refresh token")
            session = self.sessions.issue(member.user_id, member.token)
            return {**self._body(session, instance_url), "scope": member.scope}
        if grant == "password":
            self._check_client(form)
            if form.get("username") != self.creds.username or form.get("password") != (
                self.creds.password + self.creds.security_token
            ):
                raise OAuthError("invalid_grant", "authentication failure")
        elif grant == "client_credentials":
            self._check_client(form)
        elif grant == "refresh_token":
            self._check_client(form, secret_required=False)
            if form.get("refresh_token") != self.creds.refresh_token:
                raise OAuthError("invalid_grant", "expired access/refresh token")
        elif grant == JWT_GRANT:
            self._check_assertion(form.get("assertion", ""))
        elif not grant:
            raise OAuthError("unsupported_grant_type", "grant type not supported")
        else:
            raise OAuthError("unsupported_grant_type", "grant type not supported")
        session = self.sessions.issue(self.user_id)
        body = self._body(session, instance_url)
        if grant != "password":
            body["scope"] = "api refresh_token" if grant == "refresh_token" else "api"
        return body

    def _body(self, session: Session, instance_url: str) -> dict[str, Any]:
        issued_at = str(int(session.issued_at * 1000))
        identity = f"{instance_url}/id/{self.sessions.org_id}/{session.user_id}"
        signature = base64.b64encode(
            hmac.new(self.creds.client_secret.encode(), (identity + issued_at).encode(), hashlib.sha256).digest()
        ).decode()
        return {
            "access_token": session.token,
            "instance_url": instance_url,
            "id": identity,
            "token_type": "Bearer",
            "issued_at": issued_at,
            "signature": signature,
        }

    def _check_client(self, form: dict[str, str], *, secret_required: bool = True) -> None:
        if form.get("client_id") != self.creds.client_id:
            raise OAuthError("invalid_client_id", "client identifier invalid")
        secret = form.get("client_secret")
        if (secret_required or secret is not None) and secret != self.creds.client_secret:
            raise OAuthError("invalid_client", "invalid client credentials")

    def _check_assertion(self, assertion: str) -> None:
        try:
            claims = jwt.decode(
                assertion,
                self.creds.jwt_public_key_pem,
                algorithms=["RS256"],
                audience=[self.login_url, "https://login.salesforce.com", "https://test.salesforce.com"],
                options={"require": ["iss", "sub", "aud", "exp"]},
            )
        except jwt.ExpiredSignatureError:
            raise OAuthError("invalid_grant", "expired authorization code") from None
        except jwt.InvalidAudienceError:
            raise OAuthError("invalid_grant", "audience is invalid") from None
        except jwt.PyJWTError:
            raise OAuthError("invalid_grant", "invalid assertion") from None
        if claims.get("iss") != self.creds.client_id:
            raise OAuthError("invalid_client_id", "client identifier invalid")
        if claims.get("sub") != self.creds.username:
            raise OAuthError("invalid_grant", "user hasn't approved this consumer")
