"""The message log (``SlackSandbox.messages()`` and ``GET /_sandbox/messages``) and the other
control endpoints (info, users, channels, clock).

The log mirrors what Slack's ``conversations.history`` and "Message metadata" docs describe
(channel, ts, user, text, blocks, metadata), plus what only a sandbox can know: when a message
was posted, updated or deleted, and whether its poster ever got the answer.
"""

from __future__ import annotations

import urllib.error

import pytest
from slack_sdk import WebClient

from saleshome.sandbox.slack.server import SlackSandbox, SlackSandboxInfo

from .conftest import control


def test_records_hold_what_was_posted(bot: WebClient, sandbox: SlackSandbox) -> None:
    channel = sandbox.channel_id("emea-pipeline")
    before = sandbox.clock.now()
    metadata = {"event_type": "notification", "event_payload": {"key": "n-42"}}
    ts = bot.chat_postMessage(channel=channel, text="hello EMEA", metadata=metadata, unfurl_links=True)["ts"]
    [record] = [r for r in sandbox.messages(channel) if r.ts == ts]
    assert record.channel == channel and record.team_id == sandbox.info.teams[1]["id"]  # type: ignore[union-attr]
    assert record.user == sandbox.world.bot_user_id and record.text == "hello EMEA"
    assert record.metadata == metadata and record.event_type == "notification"
    assert before <= record.posted_at <= sandbox.clock.now()
    assert (record.updated, record.deleted, record.answer_dropped, record.source) == (False, False, False, "api")
    assert record.unfurl_links is True and record.unfurl_media is None


def test_records_are_copies(bot: WebClient, sandbox: SlackSandbox) -> None:
    channel = sandbox.channel_id("sales")
    bot.chat_postMessage(channel=channel, text="copy", metadata={"event_type": "e", "event_payload": {"a": 1}})
    record = sandbox.messages(channel)[-1]
    assert record.metadata is not None
    record.metadata["event_payload"]["a"] = 2
    assert sandbox.messages(channel)[-1].metadata == {"event_type": "e", "event_payload": {"a": 1}}


def test_filters(bot: WebClient, sandbox: SlackSandbox) -> None:
    channel = sandbox.channel_id("deals-won")
    bot.chat_postMessage(channel=channel, text="typed", metadata={"event_type": "celebration", "event_payload": {}})
    assert all(r.event_type == "celebration" for r in sandbox.messages(event_type="celebration"))
    assert sandbox.messages(event_type="celebration")
    seeded = sandbox.messages(sandbox.channel_id("general"), include_seeded=True)
    assert seeded and all(r.source == "seed" for r in seeded if r.user != sandbox.world.bot_user_id)
    assert not [r for r in sandbox.messages() if r.source == "seed"]


def test_http_log(bot: WebClient, sandbox: SlackSandbox, info: SlackSandboxInfo) -> None:
    channel = sandbox.channel_id("amer-pipeline")
    ts = bot.chat_postMessage(channel=channel, text="over http")["ts"]
    bot.chat_delete(channel=channel, ts=ts)
    listed = control(info, "GET", f"messages?channel={channel}")["messages"]
    mine = [m for m in listed if m["ts"] == ts]
    assert mine and mine[0]["deleted"] is True and mine[0]["text"] == "over http"
    live = control(info, "GET", f"messages?channel={channel}&include_deleted=0")["messages"]
    assert ts not in [m["ts"] for m in live]


def test_clearing_the_log(info: SlackSandboxInfo) -> None:
    with SlackSandbox(seed=4) as fresh:
        assert fresh.info is not None
        client = WebClient(token=fresh.info.bot_token, base_url=fresh.info.api_url)
        client.chat_postMessage(channel=fresh.channel_id("sales"), text="gone soon")
        assert control(fresh.info, "DELETE", "messages")["removed"] == 1
        assert fresh.messages() == [] and fresh.messages(include_seeded=True)


def test_info_endpoint(info: SlackSandboxInfo, sandbox: SlackSandbox) -> None:
    summary = control(info, "GET", "info")
    assert summary["enterprise"]["id"] == info.enterprise_id
    assert {t["id"] for t in summary["teams"] if not t["external"]} == {t["id"] for t in info.teams}
    names = {c["name"] for c in summary["channels"]}
    assert {"sales", "deals-won", "emea-pipeline"} <= names
    assert summary["rate_limits"]["posts_per_second_per_channel"] == 1.0


def test_users_endpoint_maps_salesforce_emails(info: SlackSandboxInfo) -> None:
    users = control(info, "GET", "users")["users"]
    people = [u for u in users if u["person_index"] is not None]
    assert people and all(u["salesforce_email"] for u in people)
    assert any(u["deleted"] for u in users) and any(u["is_primary_owner"] for u in users)


def test_channels_endpoint_and_add_channels(
    bot: WebClient, info: SlackSandboxInfo, sandbox: SlackSandbox, emea_team: str
) -> None:
    made = control(info, "POST", "channels", {"count": 3, "team_id": emea_team, "prefix": "bench"})["channels"]
    assert len(made) == 3
    assert bot.conversations_info(channel=made[0])["channel"]["name"] == "bench-0001"
    more = sandbox.add_channels(2, team_id=emea_team, prefix="bench")
    assert [bot.conversations_info(channel=c)["channel"]["name"] for c in more] == ["bench-0004", "bench-0005"]
    assert bot.chat_postMessage(channel=more[0], text="load")["ok"]
    with pytest.raises(urllib.error.HTTPError) as refused:
        control(info, "POST", "channels", {"count": 1, "team_id": "T0NOPE"})
    assert refused.value.code == 400


def test_clock_endpoint(info: SlackSandboxInfo) -> None:
    with SlackSandbox(seed=4) as fresh:
        assert fresh.info is not None
        before = fresh.clock.now()
        after = control(fresh.info, "POST", "clock", {"advance_seconds": 3600})["now"]
        assert after - before >= 3600
        with pytest.raises(urllib.error.HTTPError):
            control(fresh.info, "POST", "clock", {"advance_seconds": -1})


def test_unknown_control_endpoint(info: SlackSandboxInfo) -> None:
    with pytest.raises(urllib.error.HTTPError) as caught:
        control(info, "GET", "nothing")
    assert caught.value.code == 404


def test_lookup_helpers(sandbox: SlackSandbox) -> None:
    with pytest.raises(KeyError):
        sandbox.channel_id("no-such-channel")
    with pytest.raises(KeyError):
        sandbox.user_id("nobody@example.com")
    owner = sandbox.world.users[sandbox.world.primary_owner_id]
    assert sandbox.user_id(owner.profile.email or "") == owner.id
