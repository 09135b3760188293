"""Fixtures: one seeded sandbox org per test session, and simple-salesforce clients logged in to it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.bulk2 import SFBulk2Type

from saleshome.sandbox.salesforce.server import SalesforceSandbox, SandboxInfo
from tests.fixtures.sandboxes import sandbox_session as https_session

OPPORTUNITIES = 3000


def password_login(info: SandboxInfo) -> dict[str, str]:
    """OAuth 2.0 username-password flow (Salesforce Help: "OAuth 2.0 Username-Password Flow")."""
    response = https_session(info.ca_file).post(
        info.token_url,
        data={
            "grant_type": "password",
            "client_id": info.client_id,
            "client_secret": info.client_secret,
            "username": info.username,
            "password": info.password + info.security_token,
        },
        timeout=10,
    )
    response.raise_for_status()
    return response.json()  # type: ignore[no-any-return]


def client(info: SandboxInfo) -> Salesforce:
    token = password_login(info)
    return Salesforce(
        instance_url=token["instance_url"], session_id=token["access_token"], session=https_session(info.ca_file),
        version=info.api_version,
    )


def bulk2(sf: Salesforce, obj: str) -> SFBulk2Type:
    """simple-salesforce's Bulk 2.0 handle of one object (its attribute typing is a union)."""
    return cast(SFBulk2Type, getattr(sf.bulk2, obj))


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SalesforceSandbox]:
    with SalesforceSandbox(seed=7, opportunities=OPPORTUNITIES) as sb:
        yield sb


@pytest.fixture(scope="session")
def info(sandbox: SalesforceSandbox) -> SandboxInfo:
    assert sandbox.info is not None
    return sandbox.info


@pytest.fixture()
def sf(sandbox: SalesforceSandbox, info: SandboxInfo) -> Iterator[Salesforce]:
    """A fresh logged-in client; faults and the API budget are reset after each test."""
    yield client(info)
    sandbox.faults.clear()
    sandbox.budget.set(used=0, daily_max=100_000)
