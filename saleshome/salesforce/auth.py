"""OAuth 2.0 token requests for the integration user (the four flows), with errors that hold no secret."""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt
import requests

from saleshome.errors import ConfigurationError, RetriableError

from .credentials import AuthMethod, Credentials

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@dataclass(frozen=True)
class Token:
    access_token: str
    instance_url: str
    identity_url: str

    def __repr__(self) -> str:
        return f"Token(instance_url={self.instance_url!r}, access_token='**********')"


def http_session(ca_file: str | None) -> requests.Session:
    """A requests session; with a private CA (the sandbox) it trusts that CA only.

    ``trust_env`` is turned off then, because ``REQUESTS_CA_BUNDLE`` would otherwise override
    ``verify`` (requests issue #3829); real orgs keep the environment (proxies).
    """
    session = requests.Session()
    if ca_file:
        session.trust_env = False
        session.verify = ca_file
    return session


def request_token(
    session: requests.Session, login_url: str, method: AuthMethod, creds: Credentials, *, alias: str
) -> Token:
    """Log in and return an access token; refused credentials are a ConfigurationError."""
    s = Credentials.secret
    form: dict[str, str]
    if method is AuthMethod.CLIENT_CREDENTIALS:
        form = {"grant_type": "client_credentials", "client_id": s(creds.client_id),
                "client_secret": s(creds.client_secret)}
    elif method is AuthMethod.PASSWORD:
        form = {"grant_type": "password", "client_id": s(creds.client_id), "client_secret": s(creds.client_secret),
                "username": creds.username or "", "password": s(creds.password) + s(creds.security_token)}
    elif method is AuthMethod.REFRESH_TOKEN:
        form = {"grant_type": "refresh_token", "client_id": s(creds.client_id), "refresh_token": s(creds.refresh_token)}
        if creds.client_secret is not None:
            form["client_secret"] = s(creds.client_secret)
    else:
        claims = {"iss": s(creds.client_id), "sub": creds.username, "aud": login_url, "exp": int(time.time()) + 180}
        try:
            assertion = jwt.encode(claims, s(creds.private_key), algorithm="RS256")
        except (ValueError, TypeError, jwt.PyJWTError):
            raise ConfigurationError(
                f"the private key for org {alias!r} is not a usable RSA key", hint="give the PEM of the connected app's key"
            ) from None
        form = {"grant_type": JWT_GRANT, "assertion": assertion}
    url = login_url.rstrip("/") + "/services/oauth2/token"
    try:
        response = session.post(url, data=form, timeout=30)
    except requests.RequestException as exc:
        raise RetriableError(f"could not reach {url} to log in to org {alias!r}: {type(exc).__name__}") from None
    if response.status_code >= 500:
        raise RetriableError(f"Salesforce login for org {alias!r} answered {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code != 200 or "access_token" not in body:
        error = body.get("error", f"HTTP {response.status_code}")
        description = body.get("error_description", "")
        raise ConfigurationError(
            f"Salesforce refused the {method.value} login of org {alias!r}: {error} ({description})",
            hint="check the connected app and the integration user's credentials",
        )
    return Token(access_token=body["access_token"], instance_url=body["instance_url"], identity_url=body.get("id", ""))
