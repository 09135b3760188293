"""Fixtures: one Slack sandbox per test session, and slack-sdk WebClients on its three tokens.

The shared sandbox runs without rate limits (``test_ratelimit.py`` starts its own sandboxes
with a time scale); faults are disarmed after every test.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient

from saleshome.sandbox.slack.ratelimit import RateLimits
from saleshome.sandbox.slack.server import SlackSandbox, SlackSandboxInfo

SEED = 7


def control(info: SlackSandboxInfo, verb: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """Call a ``/_sandbox/`` control endpoint and return its JSON."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"{info.control_url}{path}", data=data, method=verb, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def web_client(info: SlackSandboxInfo, token: str | None, **options: Any) -> WebClient:
    return WebClient(token=token, base_url=info.api_url, timeout=options.pop("timeout", 10), **options)


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SlackSandbox]:
    with SlackSandbox(seed=SEED, rate_limits=RateLimits(enabled=False)) as sb:
        yield sb


@pytest.fixture(scope="session")
def info(sandbox: SlackSandbox) -> SlackSandboxInfo:
    assert sandbox.info is not None
    return sandbox.info


@pytest.fixture(autouse=True)
def _disarm_faults(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "sandbox" in request.fixturenames:
        request.getfixturevalue("sandbox").faults.clear()


@pytest.fixture()
def bot(info: SlackSandboxInfo) -> WebClient:
    return web_client(info, info.bot_token)


@pytest.fixture()
def admin(info: SlackSandboxInfo) -> WebClient:
    return web_client(info, info.admin_token)


@pytest.fixture()
def member(info: SlackSandboxInfo) -> WebClient:
    return web_client(info, info.member_token)


@pytest.fixture(scope="session")
def main_team(info: SlackSandboxInfo) -> str:
    return info.teams[0]["id"]


@pytest.fixture(scope="session")
def emea_team(info: SlackSandboxInfo) -> str:
    return info.teams[1]["id"]
