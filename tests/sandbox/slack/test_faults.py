"""Injected faults: server errors, timeouts, dropped connections and "stored then dropped".

Follows the Slack API docs: "Using the Slack Web API" (errors such as ``internal_error`` and
``fatal_error``, which may come after part of the work was done), "Rate limits" (429), and
slack-sdk's retry handlers (``ConnectionErrorRetryHandler`` on by default,
``ServerErrorRetryHandler``): Slack has no idempotency key, so a blind retry after a dropped
answer posts twice — the trap these faults set.
"""

from __future__ import annotations

import time
import urllib.error

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler

from saleshome.sandbox.slack.messages import MessageRecord
from saleshome.sandbox.slack.server import SlackSandbox, SlackSandboxInfo

from .conftest import control, web_client


def _bare(info: SlackSandboxInfo, timeout: float = 10) -> WebClient:
    """A client without retry handlers (slack-sdk's default retries connection errors once)."""
    client = web_client(info, info.bot_token, timeout=timeout)
    client.retry_handlers.clear()
    return client


def _wait_for(sandbox: SlackSandbox, channel: str, text: str, seconds: float = 5.0) -> list[MessageRecord]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = [r for r in sandbox.messages(channel) if r.text == text]
        if found:
            return found
        time.sleep(0.05)
    return []


@pytest.mark.parametrize(("status", "error"), [(500, "internal_error"), (503, "service_unavailable")])
def test_server_errors(sandbox: SlackSandbox, info: SlackSandboxInfo, status: int, error: str) -> None:
    channel = sandbox.channel_id("sales")
    sandbox.inject("error", "chat.postMessage", status=status)
    with pytest.raises(SlackApiError) as caught:
        _bare(info).chat_postMessage(channel=channel, text=f"never stored {status}")
    assert caught.value.response.status_code == status and caught.value.response["error"] == error
    assert not [r for r in sandbox.messages(channel) if r.text == f"never stored {status}"]


def test_server_error_retry_handler_recovers(sandbox: SlackSandbox, info: SlackSandboxInfo) -> None:
    channel = sandbox.channel_id("sales")
    sandbox.inject("error", "chat.postMessage", status=503, times=1)
    client = _bare(info)
    client.retry_handlers.append(ServerErrorRetryHandler(max_retry_count=2))
    assert client.chat_postMessage(channel=channel, text="after one 503")["ok"]
    assert len([r for r in sandbox.messages(channel) if r.text == "after one 503"]) == 1


def test_timeout_the_message_is_stored_although_the_client_gave_up(
    sandbox: SlackSandbox, info: SlackSandboxInfo
) -> None:
    channel = sandbox.channel_id("deals-won")
    sandbox.inject("timeout", "chat.postMessage", delay=1.0)
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        _bare(info, timeout=0.3).chat_postMessage(channel=channel, text="slow one")
    assert len(_wait_for(sandbox, channel, "slow one")) == 1


def test_drop_closes_the_connection_and_does_nothing(sandbox: SlackSandbox, info: SlackSandboxInfo) -> None:
    channel = sandbox.channel_id("sales")
    sandbox.inject("drop", "chat.postMessage")
    with pytest.raises((ConnectionError, urllib.error.URLError)):
        _bare(info).chat_postMessage(channel=channel, text="dropped before")
    assert not [r for r in sandbox.messages(channel) if r.text == "dropped before"]


def test_stored_then_dropped_keeps_the_message(sandbox: SlackSandbox, info: SlackSandboxInfo) -> None:
    channel = sandbox.channel_id("sales")
    sandbox.inject("stored_then_dropped", "chat.postMessage")
    with pytest.raises((ConnectionError, urllib.error.URLError)):
        _bare(info).chat_postMessage(channel=channel, text="stored, answer lost")
    [record] = [r for r in sandbox.messages(channel) if r.text == "stored, answer lost"]
    assert record.answer_dropped is True


def test_stored_then_dropped_with_a_blind_retry_duplicates(sandbox: SlackSandbox, bot: WebClient) -> None:
    """The duplicate trap: slack-sdk's default ConnectionErrorRetryHandler posts again."""
    channel = sandbox.channel_id("sales")
    sandbox.inject("stored_then_dropped", "chat.postMessage", times=1)
    answer = bot.chat_postMessage(channel=channel, text="posted twice")
    assert answer["ok"] is True
    copies = [r for r in sandbox.messages(channel) if r.text == "posted twice"]
    assert len(copies) == 2 and [c.answer_dropped for c in copies] == [True, False]


def test_after_and_times(sandbox: SlackSandbox, info: SlackSandboxInfo) -> None:
    channel = sandbox.channel_id("sales")
    fault = sandbox.inject("error", "chat.*", status=500, after=2, times=1)
    client = _bare(info)
    outcomes = []
    for i in range(4):
        try:
            client.chat_postMessage(channel=channel, text=f"counted {i}")
            outcomes.append("ok")
        except SlackApiError:
            outcomes.append("error")
    assert outcomes == ["ok", "ok", "error", "ok"]
    assert (fault.seen, fault.fired) == (3, 1)


def test_faults_match_the_method(sandbox: SlackSandbox, info: SlackSandboxInfo) -> None:
    sandbox.inject("error", "users.*", status=500, times=0)
    client = _bare(info)
    with pytest.raises(SlackApiError):
        client.users_info(user="USLACKBOT")
    assert client.chat_postMessage(channel=sandbox.channel_id("sales"), text="not a users method")["ok"]


def test_ratelimited_fault(sandbox: SlackSandbox, info: SlackSandboxInfo) -> None:
    sandbox.inject("ratelimited", "conversations.history", retry_after=2)
    with pytest.raises(SlackApiError) as caught:
        _bare(info).conversations_history(channel=sandbox.channel_id("sales"))
    assert caught.value.response.status_code == 429 and caught.value.response.headers["Retry-After"] == "2"


def test_faults_through_the_control_endpoint(sandbox: SlackSandbox, info: SlackSandboxInfo) -> None:
    armed = control(info, "POST", "faults", {"kind": "error", "method": "auth.test", "status": 500, "times": 2})
    assert armed["fault"]["method"] == "auth.test"
    client = _bare(info)
    for _ in range(2):
        with pytest.raises(SlackApiError):
            client.auth_test()
    assert client.auth_test()["ok"]
    assert control(info, "GET", "faults")["faults"][0]["fired"] == 2
    control(info, "DELETE", "faults")
    assert control(info, "GET", "faults")["faults"] == []
    with pytest.raises(urllib.error.HTTPError) as refused:
        control(info, "POST", "faults", {"kind": "explode"})
    assert refused.value.code == 400


def test_invalid_faults() -> None:
    from saleshome.sandbox.slack.faults import FaultPlan

    with pytest.raises(ValueError):
        FaultPlan().add("explode")
    with pytest.raises(ValueError):
        FaultPlan().add("error", status=302)
    with pytest.raises(ValueError):
        FaultPlan().add("drop", colour="red")
