"""The OAuth 2.0 web server flow with PKCE: authorize, the login page, consent, codes, refresh tokens, revoke.

Follows Salesforce Help "OAuth 2.0 Web Server Flow for Web App Integration" (help.salesforce.com,
``remoteaccess_oauth_web_server_flow.htm``; REST API Developer Guide "Understanding the Web Server OAuth
Authentication Flow") and "Revoke OAuth Tokens" (``remoteaccess_revoke_token.htm``; Mobile SDK guide
"Revoking OAuth Tokens"):

1. ``GET /services/oauth2/authorize?response_type=code&client_id=…&redirect_uri=…&state=…&scope=…
   &code_challenge=…&code_challenge_method=S256[&prompt=login|consent]`` — a client id that is not the
   connected app's, or a ``redirect_uri`` that is not one of its callback URLs, is an error *page*
   (Salesforce cannot redirect to an unregistered URL); any other refusal redirects to ``redirect_uri``
   with ``error``, ``error_description`` and ``state``.  The sandbox's connected app requires PKCE
   ("Require Proof Key for Code Exchange"): a request without ``code_challenge`` is ``invalid_request``.
2. The login page (an HTML form, username and password; wrong credentials or an inactive user → the
   form again with Salesforce's message).  A successful login sets a session cookie (``sid``): a later
   authorize skips the form unless ``prompt=login``.
3. The consent page ("Allow" / "Deny"): Deny → ``error=access_denied``; Allow → a redirect to
   ``redirect_uri?code=…&state=…``.  A user who already allowed the app is not asked again unless
   ``prompt=consent``.
4. ``POST /services/oauth2/token`` ``grant_type=authorization_code&code=…&redirect_uri=…&client_id=…
   [&client_secret=…]&code_verifier=…``: the code is single-use and valid 15 minutes on the org's clock
   (``expired authorization code``); ``redirect_uri`` must be the authorize one (``redirect_uri_mismatch``);
   BASE64URL(SHA-256(code_verifier)) must equal the challenge (a wrong verifier is ``invalid_request``,
   a missing one ``invalid_grant``, as the guide says).  A code presented twice is refused and the
   tokens issued from it are revoked (RFC 6749 §4.1.2).  The answer carries ``access_token``,
   ``refresh_token`` (when the scope has ``refresh_token``/``offline_access``/``full``), ``signature``,
   ``scope``, ``instance_url``, ``id``, ``token_type`` and ``issued_at``.
5. Refresh tokens belong to one user and one app: ``grant_type=refresh_token`` issues an access token
   for that user.  ``POST /services/oauth2/revoke`` ``token=…`` (access or refresh token; also ``GET
   ?token=``): 200 with an empty body; revoking a refresh token ends every access token issued from it.
   An unknown or already revoked token is 400 ``invalid_token``; a request without a token is 400
   ``unsupported_token_type``.

Sandbox passwords: every seeded user (not the API-only integration user) logs in with a password
derived from a random per-start secret; ``GET /_sandbox/logins`` lists them (see ``control.py``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from .api import Request, Response
from .auth import OAuthError, SessionRegistry
from .store import OrgStore

CODE_LIFETIME = timedelta(minutes=15)
TRANSACTION_LIFETIME = timedelta(hours=1)
DEFAULT_SCOPE = "api refresh_token"
REFRESH_SCOPES = frozenset({"refresh_token", "offline_access", "full"})
KNOWN_SCOPES = frozenset({"api", "web", "full", "id", "profile", "email", "address", "phone", "openid",
                          "refresh_token", "offline_access", "chatter_api", "visualforce", "custom_permissions"})
LOGIN_FAILED = (
    "Please check your username and password. If you still can't log in, contact your Salesforce administrator."
)
APP_NAME = "Sales Home"


def pkce_challenge(verifier: str) -> str:
    """BASE64URL(SHA-256(verifier)) without padding (RFC 7636 §4.2, S256)."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


@dataclass
class _Transaction:
    """One authorize request waiting for login and consent."""

    id: str
    client_id: str
    redirect_uri: str
    state: str | None
    scope: str
    challenge: str
    prompt: frozenset[str]
    created: datetime
    user_id: str | None = None


@dataclass
class AuthorizationCode:
    code: str
    user_id: str
    client_id: str
    redirect_uri: str
    challenge: str
    scope: str
    issued: datetime
    used: bool = False
    issued_tokens: list[str] = field(default_factory=list)  # revoked if the code is replayed


@dataclass(frozen=True)
class CodeGrant:
    """A redeemed authorization code: whom to log in, with which scope and refresh token."""

    code: str
    user_id: str
    scope: str
    refresh_token: str | None


@dataclass
class RefreshToken:
    token: str
    user_id: str
    client_id: str
    scope: str


class WebServerFlow:
    """Authorize (login, consent), authorization codes, per-user refresh tokens and revocation.

    Thread-safe; the org's clock times codes; ``callback_urls`` are the connected app's callback URLs.
    """

    def __init__(self, store: OrgStore, sessions: SessionRegistry, client_id: str,
                 callback_urls: tuple[str, ...] = ()) -> None:
        self.store = store
        self.sessions = sessions
        self.client_id = client_id
        self.callback_urls: tuple[str, ...] = tuple(callback_urls)
        self._secret = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._transactions: dict[str, _Transaction] = {}
        self._codes: dict[str, AuthorizationCode] = {}
        self._refresh: dict[str, RefreshToken] = {}
        self._browser_sessions: dict[str, str] = {}  # sid cookie -> user id
        self._approved: set[tuple[str, str]] = set()  # (user id, client id)

    # ------------------------------------------------------------------ users and passwords
    def password(self, user_id: str) -> str:
        """The sandbox password of a seeded user (stable while the sandbox runs)."""
        digest = hmac.new(self._secret, user_id.encode(), hashlib.sha256).digest()
        return "Sbx-" + base64.urlsafe_b64encode(digest[:12]).decode()

    def login_users(self) -> list[dict[str, Any]]:
        """Every user who can log in on the login page (not the API-only integration user)."""
        integration = self.store.integration_user
        rows = self.store.read(
            'SELECT "Id", "Username", "Name", "Email", "IsActive" FROM "User" ORDER BY "Id"'
        ).to_pylist()
        return [r for r in rows if integration is None or r["Id"] != integration[0]]

    def _check_login(self, username: str, password: str) -> str | None:
        for row in self.login_users():
            if row["Username"] == username and row["IsActive"] and hmac.compare_digest(password, self.password(row["Id"])):
                return str(row["Id"])
        return None

    def set_callback_urls(self, urls: list[str]) -> None:
        for url in urls:
            parts = urlsplit(url)
            if parts.scheme not in ("https", "http") or not parts.netloc or parts.fragment:
                raise ValueError(f"not a callback URL: {url!r} (absolute http(s) URL without a fragment)")
        self.callback_urls = tuple(urls)

    # ------------------------------------------------------------------ authorize
    def handle(self, req: Request) -> Response | None:
        """Answer ``/services/oauth2/authorize`` and ``/services/oauth2/revoke``; None for any other path."""
        path = req.path.rstrip("/")
        if path == "/services/oauth2/authorize":
            if req.method == "GET":
                return self._authorize(req)
            if req.method == "POST":
                return self._authorize_post(req)
        if path == "/services/oauth2/revoke" and req.method in ("GET", "POST"):
            form = _form(req) if req.method == "POST" else dict(req.query)
            return self._revoke(form.get("token", ""))
        return None

    def _authorize(self, req: Request) -> Response:
        q = req.query
        if q.get("client_id") != self.client_id:
            return _error_page("invalid_client_id", "client identifier invalid")
        redirect_uri = q.get("redirect_uri", "")
        if redirect_uri not in self.callback_urls:
            return _error_page("redirect_uri_mismatch", "redirect_uri must match configuration")
        state = q.get("state")
        if q.get("response_type") != "code":
            return _redirect_error(redirect_uri, state, "unsupported_response_type", "response type not supported")
        scope = q.get("scope") or DEFAULT_SCOPE
        unknown = [s for s in scope.split() if s not in KNOWN_SCOPES]
        if unknown:
            return _redirect_error(redirect_uri, state, "invalid_scope", "the requested scope is not allowed")
        challenge = q.get("code_challenge", "")
        if not challenge:
            return _redirect_error(redirect_uri, state, "invalid_request", "missing required code challenge")
        if q.get("code_challenge_method", "S256") != "S256" or len(challenge) != 43:
            return _redirect_error(redirect_uri, state, "invalid_request", "invalid code challenge")
        now = self.store.clock.now()
        txn = _Transaction(secrets.token_urlsafe(24), self.client_id, redirect_uri, state, " ".join(scope.split()),
                           challenge, frozenset(q.get("prompt", "").split()), now)
        with self._lock:
            sid_user = self._browser_sessions.get(_cookie(req, "sid") or "")
            self._expire(now)
            self._transactions[txn.id] = txn
        if sid_user is not None and "login" not in txn.prompt:
            txn.user_id = sid_user
            return self._after_login(txn)
        return _login_page(txn.id, None)

    def _authorize_post(self, req: Request) -> Response:
        form = _form(req)
        with self._lock:
            txn = self._transactions.get(form.get("txn", ""))
        if txn is None:
            return _error_page("invalid_request", "this login request has expired: start again from the app")
        action = form.get("action")
        if action == "login":
            user_id = self._check_login(form.get("username", ""), form.get("password", ""))
            if user_id is None:
                return _login_page(txn.id, LOGIN_FAILED, status=200)
            txn.user_id = user_id
            sid = secrets.token_urlsafe(32)
            with self._lock:
                self._browser_sessions[sid] = user_id
            response = self._after_login(txn)
            response.headers["Set-Cookie"] = f"sid={sid}; Path=/; Secure; HttpOnly; SameSite=Lax"
            return response
        if txn.user_id is None:
            return _login_page(txn.id, None)
        if action == "deny":
            self._forget(txn)
            return _redirect_error(txn.redirect_uri, txn.state, "access_denied", "end-user denied authorization")
        if action == "allow":
            with self._lock:
                self._approved.add((txn.user_id, txn.client_id))
            return self._grant(txn)
        return _consent_page(txn)

    def _after_login(self, txn: _Transaction) -> Response:
        assert txn.user_id is not None
        with self._lock:
            approved = (txn.user_id, txn.client_id) in self._approved
        if approved and "consent" not in txn.prompt:
            return self._grant(txn)
        return _consent_page(txn)

    def _grant(self, txn: _Transaction) -> Response:
        assert txn.user_id is not None
        code = "aPrx" + secrets.token_urlsafe(48)
        with self._lock:
            self._codes[code] = AuthorizationCode(code, txn.user_id, txn.client_id, txn.redirect_uri, txn.challenge,
                                                  txn.scope, self.store.clock.now())
            self._transactions.pop(txn.id, None)
        return _redirect(txn.redirect_uri, {"code": code, **({"state": txn.state} if txn.state is not None else {})})

    def _forget(self, txn: _Transaction) -> None:
        with self._lock:
            self._transactions.pop(txn.id, None)

    def _expire(self, now: datetime) -> None:
        for key in [k for k, t in self._transactions.items() if now - t.created > TRANSACTION_LIFETIME]:
            del self._transactions[key]
        for key in [k for k, c in self._codes.items() if now - c.issued > 4 * CODE_LIFETIME]:
            del self._codes[key]

    # ------------------------------------------------------------------ token grants
    def redeem_code(self, form: dict[str, str]) -> CodeGrant:
        """Check an ``authorization_code`` grant (see the module docstring); spends the code."""
        with self._lock:
            code = self._codes.get(form.get("code", ""))
            if code is None or code.client_id != form.get("client_id"):
                raise OAuthError("invalid_grant", "invalid authorization code")
            replayed = code.used
            code.used = True  # single use: any presentation spends it
        if replayed:
            self._revoke_issued(code)
            raise OAuthError("invalid_grant", "invalid authorization code")
        if self.store.clock.now() - code.issued > CODE_LIFETIME:
            raise OAuthError("invalid_grant", "expired authorization code")
        if form.get("redirect_uri") != code.redirect_uri:
            raise OAuthError("redirect_uri_mismatch", "redirect_uri must match configuration")
        verifier = form.get("code_verifier")
        if not verifier:
            raise OAuthError("invalid_grant", "invalid code verifier")
        if not hmac.compare_digest(pkce_challenge(verifier), code.challenge):
            raise OAuthError("invalid_request", "invalid code verifier")
        refresh = None
        if REFRESH_SCOPES & set(code.scope.split()):
            refresh = self._new_refresh(code.user_id, code.client_id, code.scope)
            code.issued_tokens.append(refresh)
        return CodeGrant(code.code, code.user_id, code.scope, refresh)

    def issued(self, grant: CodeGrant, access_token: str) -> None:
        """Remember the access token issued for ``grant`` (revoked if its code is replayed)."""
        with self._lock:
            code = self._codes.get(grant.code)
            if code is not None:
                code.issued_tokens.append(access_token)

    def _revoke_issued(self, code: AuthorizationCode) -> None:
        for token in code.issued_tokens:
            with self._lock:
                refresh = self._refresh.pop(token, None)
            if refresh is not None:
                self.sessions.revoke_issued_from(token)
            else:
                self.sessions.revoke(token)

    def _new_refresh(self, user_id: str, client_id: str, scope: str) -> str:
        token = "5Aep861" + secrets.token_urlsafe(60).replace("-", "A").replace("_", "B")[:80]
        with self._lock:
            self._refresh[token] = RefreshToken(token, user_id, client_id, scope)
        return token

    def refresh(self, token: str) -> RefreshToken | None:
        with self._lock:
            return self._refresh.get(token)

    # ------------------------------------------------------------------ revoke
    def _revoke(self, token: str) -> Response:
        if not token:
            return Response.of(400, {"error": "unsupported_token_type", "error_description": "this token type is not supported"})
        with self._lock:
            refresh = self._refresh.pop(token, None)
        if refresh is not None:
            self.sessions.revoke_issued_from(token)
            return Response(200, content_type="text/plain")
        if self.sessions.revoke(token):
            return Response(200, content_type="text/plain")
        return Response.of(400, {"error": "invalid_token", "error_description": "invalid token"})


# ---------------------------------------------------------------------------------------------- pages
def _form(req: Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(req.body.decode(errors="replace"), keep_blank_values=True).items()}


def _cookie(req: Request, name: str) -> str | None:
    for part in req.headers.get("cookie", "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def _redirect(url: str, params: dict[str, str]) -> Response:
    glue = "&" if urlsplit(url).query else "?"
    return Response(302, content_type="text/plain", headers={"Location": url + glue + urlencode(params)})


def _redirect_error(url: str, state: str | None, error: str, description: str) -> Response:
    params = {"error": error, "error_description": description}
    if state is not None:
        params["state"] = state
    return _redirect(url, params)


def _page(title: str, body: str, status: int = 200) -> Response:
    text = (
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;background:#f3f3f3}main{max-width:24rem;margin:4rem auto;"
        "background:#fff;padding:2rem;border-radius:.5rem}label,input,button{display:block;width:100%;"
        "margin:.4rem 0}.error{color:#c23934}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )
    return Response(status, text.encode(), content_type="text/html;charset=UTF-8",
                    headers={"Cache-Control": "no-store"})


def _login_page(txn: str, error: str | None, status: int = 200) -> Response:
    message = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    return _page("Login | Salesforce", (
        "<h1>Log in to Salesforce (sandbox)</h1>" + message +
        '<form method="post" action="/services/oauth2/authorize">'
        f'<input type="hidden" name="txn" value="{html.escape(txn)}">'
        '<input type="hidden" name="action" value="login">'
        '<label for="username">Username</label><input id="username" name="username" autocomplete="username">'
        '<label for="password">Password</label>'
        '<input id="password" name="password" type="password" autocomplete="current-password">'
        '<button type="submit" id="Login">Log In</button></form>'
    ), status)


def _consent_page(txn: _Transaction) -> Response:
    scopes = "".join(f"<li>{html.escape(s)}</li>" for s in txn.scope.split())
    hidden = f'<input type="hidden" name="txn" value="{html.escape(txn.id)}">'
    return _page("Allow Access?", (
        f"<h1>Allow Access?</h1><p>{html.escape(APP_NAME)} is asking to:</p><ul>{scopes}</ul>"
        f'<form method="post" action="/services/oauth2/authorize">{hidden}'
        '<button type="submit" name="action" value="allow" id="oaapprove">Allow</button></form>'
        f'<form method="post" action="/services/oauth2/authorize">{hidden}'
        '<button type="submit" name="action" value="deny" id="oadeny">Deny</button></form>'
    ))


def _error_page(error: str, description: str) -> Response:
    return _page("OAuth Error", (
        "<h1>OAuth Error</h1><p>We can't authorize you because of an OAuth error. "
        "For more information, contact your Salesforce administrator.</p>"
        f'<p id="error">error={html.escape(error)}</p><p id="error_description">{html.escape(description)}</p>'
    ), 400)
