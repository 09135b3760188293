"""Log in to the Salesforce sandbox as a member, the way a browser would: the OAuth 2.0 web server flow with
PKCE, following the login form and the consent page with ``requests`` (no browser needed).

Reused by the access and OAuth tests (and by the UI API tests): ``member_token(info, login)`` returns the token
response of a member, ``member_client`` a simple-salesforce client logged in as them.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from simple_salesforce import Salesforce

from saleshome.sandbox.salesforce.server import SandboxInfo
from tests.fixtures.sandboxes import sandbox_session as https_session

# Never contacted: the tests read the redirect's Location header instead of following it.
CALLBACK = "https://127.0.0.1:9/oauth/callback"


def register_callback(info: SandboxInfo, *urls: str) -> None:
    response = https_session(info.ca_file).post(
        f"{info.instance_url}/_sandbox/connected-app", json={"callback_urls": list(urls or (CALLBACK,))}, timeout=10,
    )
    assert response.status_code == 200, response.text


def logins(info: SandboxInfo) -> list[dict[str, Any]]:
    response = https_session(info.ca_file).get(f"{info.instance_url}/_sandbox/logins", timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["logins"]  # type: ignore[no-any-return]


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def hidden_inputs(page: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page))


def authorize(
    browser: requests.Session, info: SandboxInfo, challenge: str, *, state: str = "st-1",
    redirect_uri: str = CALLBACK, **extra: str,
) -> requests.Response:
    params = {"response_type": "code", "client_id": info.client_id, "redirect_uri": redirect_uri, "state": state,
              "code_challenge": challenge, "code_challenge_method": "S256", "scope": "api refresh_token", **extra}
    return browser.get(f"{info.instance_url}/services/oauth2/authorize", params=params, allow_redirects=False,
                       timeout=10)


def submit(browser: requests.Session, info: SandboxInfo, page: str, **fields: str) -> requests.Response:
    """Post one of the authorize pages' forms (login: username/password; consent: action=allow|deny)."""
    data = {**hidden_inputs(page), **fields}
    return browser.post(f"{info.instance_url}/services/oauth2/authorize", data=data, allow_redirects=False,
                        timeout=10)


def redirect_params(response: requests.Response) -> dict[str, str]:
    assert response.status_code == 302, (response.status_code, response.text[:500])
    location = response.headers["Location"]
    assert location.startswith(CALLBACK.split("?")[0]), location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def authorization_code(info: SandboxInfo, login: dict[str, Any], challenge: str, *, state: str = "st-1",
                       browser: requests.Session | None = None) -> str:
    """Log in and allow (a member who allowed the app before is not asked again): the ``code`` the callback
    receives."""
    browser = browser or https_session(info.ca_file)
    page = authorize(browser, info, challenge, state=state, prompt="login")
    assert page.status_code == 200 and 'name="password"' in page.text, page.text[:500]
    consent = submit(browser, info, page.text, username=login["username"], password=login["password"])
    if consent.status_code != 302:
        assert consent.status_code == 200 and "Allow Access?" in consent.text, consent.text[:500]
        consent = submit(browser, info, consent.text, action="allow")
    params = redirect_params(consent)
    assert params["state"] == state
    return params["code"]


def exchange(info: SandboxInfo, code: str, verifier: str | None, **overrides: str) -> requests.Response:
    form = {"grant_type": "authorization_code", "code": code, "client_id": info.client_id,
            "client_secret": info.client_secret, "redirect_uri": CALLBACK}
    if verifier is not None:
        form["code_verifier"] = verifier
    form.update(overrides)
    return https_session(info.ca_file).post(info.token_url, data=form, timeout=10)


def member_token(info: SandboxInfo, login: dict[str, Any]) -> dict[str, Any]:
    """The token response of the full web server flow with PKCE, logged in as ``login``."""
    verifier, challenge = pkce_pair()
    response = exchange(info, authorization_code(info, login, challenge), verifier)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def member_client(info: SandboxInfo, login: dict[str, Any]) -> Salesforce:
    token = member_token(info, login)
    return Salesforce(instance_url=token["instance_url"], session_id=token["access_token"],
                      session=https_session(info.ca_file), version=info.api_version)
