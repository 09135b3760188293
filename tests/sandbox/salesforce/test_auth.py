"""The OAuth 2.0 token endpoint: the four grants and their errors.

Follows Salesforce Help: "OAuth 2.0 Username-Password Flow", "OAuth 2.0 Client Credentials
Flow", "OAuth 2.0 JWT Bearer Flow", "OAuth 2.0 Refresh Token Flow" (response keys
``access_token, instance_url, id, token_type, issued_at, signature``; errors
``{"error": "invalid_grant", "error_description": "authentication failure"}``).
"""

from __future__ import annotations

import time
from pathlib import Path

import jwt
import pytest
from simple_salesforce import Salesforce

from saleshome.sandbox.salesforce.server import SandboxInfo
from tests.fixtures.sandboxes import sandbox_session as https_session


def _token(info: SandboxInfo, **form: str) -> tuple[int, dict[str, str]]:
    response = https_session(info.ca_file).post(info.token_url, data=form, timeout=10)
    return response.status_code, response.json()


def _assertion(info: SandboxInfo, **overrides: object) -> str:
    claims = {"iss": info.client_id, "sub": info.username, "aud": info.instance_url, "exp": int(time.time()) + 180}
    claims.update(overrides)
    return jwt.encode(claims, Path(info.jwt_key_file).read_text(), algorithm="RS256")


def _grants(info: SandboxInfo) -> dict[str, dict[str, str]]:
    return {
        "password": {"grant_type": "password", "client_id": info.client_id, "client_secret": info.client_secret,
                     "username": info.username, "password": info.password + info.security_token},
        "client_credentials": {"grant_type": "client_credentials", "client_id": info.client_id,
                               "client_secret": info.client_secret},
        "refresh_token": {"grant_type": "refresh_token", "client_id": info.client_id,
                          "client_secret": info.client_secret, "refresh_token": info.refresh_token},
        "jwt": {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": _assertion(info)},
    }


@pytest.mark.parametrize("grant", ["password", "client_credentials", "refresh_token", "jwt"])
def test_each_grant_gives_a_working_session(info: SandboxInfo, grant: str) -> None:
    status, body = _token(info, **_grants(info)[grant])
    assert status == 200, body
    assert {"access_token", "instance_url", "id", "token_type", "issued_at", "signature"} <= set(body)
    assert body["token_type"] == "Bearer" and body["instance_url"] == info.instance_url
    assert body["id"].endswith(f"/id/{info.org_id}/" + body["id"].rsplit("/", 1)[1])
    sf = Salesforce(instance_url=body["instance_url"], session_id=body["access_token"],
                    session=https_session(info.ca_file), version=info.api_version)
    identity = sf.session.get(body["id"], headers=sf.headers, timeout=10).json()
    assert identity["organization_id"] == info.org_id and identity["username"] == info.username
    assert sf.query("SELECT Id FROM Organization")["records"][0]["Id"] == info.org_id


@pytest.mark.parametrize(
    ("grant", "change", "error", "description"),
    [
        ("password", {"password": "wrong"}, "invalid_grant", "authentication failure"),
        ("password", {"client_id": "nope"}, "invalid_client_id", "client identifier invalid"),
        ("client_credentials", {"client_secret": "nope"}, "invalid_client", "invalid client credentials"),
        ("refresh_token", {"refresh_token": "nope"}, "invalid_grant", "expired access/refresh token"),
        ("password", {"grant_type": "authorization_magic"}, "unsupported_grant_type", "grant type not supported"),
    ],
)
def test_refused_grants(info: SandboxInfo, grant: str, change: dict[str, str], error: str, description: str) -> None:
    status, body = _token(info, **{**_grants(info)[grant], **change})
    assert status == 400
    assert body == {"error": error, "error_description": description}


def test_jwt_with_wrong_key_or_expired(info: SandboxInfo, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    forged = jwt.encode({"iss": info.client_id, "sub": info.username, "aud": info.instance_url,
                         "exp": int(time.time()) + 60}, other, algorithm="RS256")
    grant = "urn:ietf:params:oauth:grant-type:jwt-bearer"
    assert _token(info, grant_type=grant, assertion=forged)[1]["error"] == "invalid_grant"
    expired = _assertion(info, exp=int(time.time()) - 600)
    assert _token(info, grant_type=grant, assertion=expired)[1]["error"] == "invalid_grant"
