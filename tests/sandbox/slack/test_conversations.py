"""Conversations: listing with types and cursor paging, the conversation object, history, join.

Follows the Slack API docs: ``conversations.list``, ``conversations.info``,
``conversations.history``, ``conversations.join``, "The conversation object" (is_channel,
is_group, is_private, is_ext_shared, shared_team_ids, connected_team_ids...), "Pagination"
(``response_metadata.next_cursor``, empty on the last page) and "Retrieving messages".
"""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from saleshome.sandbox.slack.server import SlackSandbox

CONVERSATION_KEYS = {
    "is_channel",
    "is_group",
    "is_im",
    "is_mpim",
    "is_private",
    "is_archived",
    "is_shared",
    "is_ext_shared",
    "is_org_shared",
    "context_team_id",
    "shared_team_ids",
    "connected_team_ids",
    "enterprise_id",
}


def _all_pages(bot: WebClient, **args: Any) -> tuple[list[dict[str, Any]], int]:
    channels: list[dict[str, Any]] = []
    cursor = None
    for pages in range(1, 101):  # bounded: a cursor loop would fail the test, not hang it
        answer = bot.conversations_list(cursor=cursor, **args)
        channels += answer["channels"]
        cursor = answer["response_metadata"]["next_cursor"]
        if not cursor:
            return channels, pages
    raise AssertionError("conversations.list never returned an empty next_cursor")


def test_list_needs_team_id_with_an_org_wide_token(bot: WebClient) -> None:
    with pytest.raises(SlackApiError) as caught:
        bot.conversations_list()
    assert caught.value.response["error"] == "missing_argument"


def test_list_defaults_to_public_channels(bot: WebClient, main_team: str) -> None:
    channels = bot.conversations_list(team_id=main_team)["channels"]
    names = {c["name"] for c in channels}
    assert {"general", "sales", "deals-won", "apac-pipeline", "company-announcements"} <= names
    assert all(not c["is_private"] for c in channels)
    assert all(set(c) >= CONVERSATION_KEYS for c in channels)


def test_list_private_channels_shows_only_those_the_bot_is_in(bot: WebClient, main_team: str) -> None:
    channels, _ = _all_pages(bot, team_id=main_team, types="private_channel")
    assert {c["name"] for c in channels} == {"sales-leadership"}
    legacy = channels[0]
    assert legacy["id"].startswith("G") and legacy["is_group"] is True and legacy["is_channel"] is False
    assert legacy["is_private"] is True


def test_paging_follows_next_cursor_to_an_empty_string(bot: WebClient, main_team: str) -> None:
    everything = bot.conversations_list(team_id=main_team, types="public_channel,private_channel", limit=1000)
    assert everything["response_metadata"]["next_cursor"] == ""
    paged, pages = _all_pages(bot, team_id=main_team, types="public_channel,private_channel", limit=2)
    assert [c["id"] for c in paged] == [c["id"] for c in everything["channels"]]
    assert pages > 3


def test_pages_are_cut_before_filtering(bot: WebClient, main_team: str, sandbox: SlackSandbox) -> None:
    """Like Slack: a page may hold fewer channels than asked for, even none, with a cursor."""
    first = bot.conversations_list(team_id=main_team, types="private_channel", limit=1)
    assert first["channels"] == [] and first["response_metadata"]["next_cursor"]


def test_exclude_archived(bot: WebClient, main_team: str) -> None:
    with_archived, _ = _all_pages(bot, team_id=main_team, limit=100)
    without, _ = _all_pages(bot, team_id=main_team, limit=100, exclude_archived=True)
    assert "q3-2023-push" in {c["name"] for c in with_archived}
    assert "q3-2023-push" not in {c["name"] for c in without}


def test_invalid_cursor_and_types(bot: WebClient, main_team: str) -> None:
    with pytest.raises(SlackApiError) as caught:
        bot.conversations_list(team_id=main_team, cursor="bm9wZQ==")
    assert caught.value.response["error"] == "invalid_cursor"
    with pytest.raises(SlackApiError) as caught:
        bot.conversations_list(team_id=main_team, types="public,private")
    assert caught.value.response["error"] == "invalid_types"


def test_second_workspace_has_its_channels_and_the_org_shared_one(bot: WebClient, emea_team: str) -> None:
    names = {c["name"] for c in _all_pages(bot, team_id=emea_team, types="public_channel,private_channel")[0]}
    assert {"general", "emea-pipeline", "emea-leadership", "emea-random", "company-announcements"} <= names
    assert "sales" not in names


def test_slack_connect_and_org_shared_channels(
    bot: WebClient, sandbox: SlackSandbox, main_team: str, emea_team: str
) -> None:
    ext_name = next(c.name for c in sandbox.world.conversations.values() if c.is_ext_shared)
    ext = bot.conversations_info(channel=sandbox.channel_id(ext_name))["channel"]
    assert ext["is_ext_shared"] is True and ext["is_shared"] is True and ext["is_org_shared"] is False
    assert main_team in ext["connected_team_ids"] and len(ext["connected_team_ids"]) == 2
    partner = next(t for t in ext["shared_team_ids"] if t != main_team)
    assert partner.startswith("T") and partner not in (main_team, emea_team)
    shared = bot.conversations_info(channel=sandbox.channel_id("company-announcements"))["channel"]
    assert shared["is_org_shared"] is True and shared["is_ext_shared"] is False
    assert set(shared["shared_team_ids"]) == {main_team, emea_team}


def test_info_of_a_public_channel(bot: WebClient, sandbox: SlackSandbox, info: Any) -> None:
    channel = bot.conversations_info(channel=sandbox.channel_id("sales"), include_num_members=True)["channel"]
    assert channel["name"] == "sales" and channel["is_channel"] is True and channel["is_member"] is True
    assert channel["enterprise_id"] == info.enterprise_id and channel["num_members"] > 5
    apac = bot.conversations_info(channel=sandbox.channel_id("apac-pipeline"))["channel"]
    assert apac["is_member"] is False and "num_members" not in apac


def test_archived_channel(bot: WebClient, sandbox: SlackSandbox) -> None:
    channel = bot.conversations_info(channel=sandbox.channel_id("q3-2023-push"))["channel"]
    assert channel["is_archived"] is True


def test_private_channel_the_bot_is_not_in_is_invisible(bot: WebClient, sandbox: SlackSandbox) -> None:
    hidden = sandbox.channel_id("sales-ops")
    for call in (
        lambda: bot.conversations_info(channel=hidden),
        lambda: bot.conversations_history(channel=hidden),
        lambda: bot.chat_postMessage(channel=hidden, text="hello"),
    ):
        with pytest.raises(SlackApiError) as caught:
            call()
        assert caught.value.response["error"] == "channel_not_found"


def test_unknown_channel(bot: WebClient) -> None:
    with pytest.raises(SlackApiError) as caught:
        bot.conversations_info(channel="C0DOESNOTEXIST")
    assert caught.value.response["error"] == "channel_not_found"


def test_history_of_a_public_channel_the_bot_is_not_in(bot: WebClient, admin: WebClient, sandbox: SlackSandbox) -> None:
    with pytest.raises(SlackApiError) as caught:
        bot.conversations_history(channel=sandbox.channel_id("emea-random"))
    assert caught.value.response["error"] == "not_in_channel"


def test_history_pages_and_windows(bot: WebClient, sandbox: SlackSandbox) -> None:
    channel = sandbox.channel_id("latam-pipeline")
    posted = [bot.chat_postMessage(channel=channel, text=f"update {i}")["ts"] for i in range(5)]
    newest_first = list(reversed(posted))
    page = bot.conversations_history(channel=channel, limit=2, oldest=posted[0], inclusive=True)
    assert [m["ts"] for m in page["messages"]] == newest_first[:2] and page["has_more"] is True
    seen = [m["ts"] for m in page["messages"]]
    cursor = page["response_metadata"]["next_cursor"]
    for _ in range(10):
        if not cursor:
            break
        page = bot.conversations_history(channel=channel, limit=2, oldest=posted[0], inclusive=True, cursor=cursor)
        seen += [m["ts"] for m in page["messages"]]
        cursor = page["response_metadata"]["next_cursor"]
    assert seen == newest_first and page["has_more"] is False and cursor == ""
    exclusive = bot.conversations_history(channel=channel, oldest=posted[0], latest=posted[4])
    assert [m["ts"] for m in exclusive["messages"]] == newest_first[1:4]
    inclusive = bot.conversations_history(channel=channel, oldest=posted[1], latest=posted[3], inclusive=True)
    assert [m["ts"] for m in inclusive["messages"]] == newest_first[1:4]


def test_history_holds_human_messages_too(bot: WebClient, sandbox: SlackSandbox) -> None:
    messages = bot.conversations_history(channel=sandbox.channel_id("general"))["messages"]
    humans = [m for m in messages if "bot_id" not in m]
    assert humans and all(m["user"].startswith("U") for m in humans)


def test_metadata_is_returned_only_when_asked(bot: WebClient, sandbox: SlackSandbox) -> None:
    channel = sandbox.channel_id("deals-won")
    metadata = {"event_type": "deal_won", "event_payload": {"outbox_key": "k-1", "amount": 1200}}
    ts = bot.chat_postMessage(channel=channel, text="won", metadata=metadata)["ts"]
    plain = bot.conversations_history(channel=channel, oldest=ts, inclusive=True)["messages"][0]
    assert "metadata" not in plain
    full = bot.conversations_history(channel=channel, oldest=ts, inclusive=True, include_all_metadata=True)
    assert full["messages"][0]["metadata"] == metadata


def test_invalid_history_arguments(bot: WebClient, sandbox: SlackSandbox) -> None:
    channel = sandbox.channel_id("sales")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"oldest": "yesterday"}, "invalid_ts_oldest"),
        ({"latest": "x"}, "invalid_ts_latest"),
        ({"cursor": "garbage"}, "invalid_cursor"),
    ]
    for args, error in cases:
        with pytest.raises(SlackApiError) as caught:
            bot.conversations_history(channel=channel, **args)
        assert caught.value.response["error"] == error


def test_thread_replies_stay_out_of_the_history(bot: WebClient, sandbox: SlackSandbox) -> None:
    channel = sandbox.channel_id("amer-pipeline")
    parent = bot.chat_postMessage(channel=channel, text="thread parent")["ts"]
    reply = bot.chat_postMessage(channel=channel, text="a reply", thread_ts=parent)
    assert reply["message"]["thread_ts"] == parent
    history = bot.conversations_history(channel=channel, oldest=parent, inclusive=True)["messages"]
    assert [m["ts"] for m in history] == [parent]
    assert history[0]["reply_count"] == 1 and history[0]["thread_ts"] == parent


def test_join_a_public_channel(sandbox: SlackSandbox, info: Any) -> None:
    with SlackSandbox(seed=11) as fresh:
        assert fresh.info is not None
        client = WebClient(token=fresh.info.bot_token, base_url=fresh.info.api_url)
        channel = fresh.channel_id("apac-pipeline")
        with pytest.raises(SlackApiError):
            client.chat_postMessage(channel=channel, text="before joining")
        joined = client.conversations_join(channel=channel)
        assert joined["channel"]["is_member"] is True
        warnings: list[str] = (joined.get("response_metadata") or {}).get("warnings") or []  # none: no key at all
        assert "already_in_channel" not in warnings
        assert client.chat_postMessage(channel=channel, text="after joining")["ok"] is True
        again = client.conversations_join(channel=channel)
        assert "already_in_channel" in again["response_metadata"]["warnings"]


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("sales-ops", "method_not_supported_for_channel_type"),
        ("sales-leadership", "method_not_supported_for_channel_type"),
        ("q3-2023-push", "is_archived"),
    ],
)
def test_join_refusals(bot: WebClient, sandbox: SlackSandbox, name: str, error: str) -> None:
    with pytest.raises(SlackApiError) as caught:
        bot.conversations_join(channel=sandbox.channel_id(name))
    assert caught.value.response["error"] == error


def test_direct_messages_appear_once_opened(bot: WebClient, sandbox: SlackSandbox, main_team: str) -> None:
    member = next(
        u for u in sandbox.world.users.values() if u.person is not None and not u.deleted and main_team == u.team_id
    )
    dm = bot.chat_postMessage(channel=member.id, text="hello in private")["channel"]
    ims, _ = _all_pages(bot, team_id=main_team, types="im")
    assert dm in {c["id"] for c in ims}
    shown = bot.conversations_info(channel=dm)["channel"]
    assert shown["is_im"] is True and shown["user"] == member.id and shown["is_private"] is True
