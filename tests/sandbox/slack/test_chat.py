"""Posting, updating and deleting messages, and their validation, through slack-sdk.

Follows the Slack API docs: ``chat.postMessage`` (channel ids, names and user ids; text,
blocks, metadata, unfurl flags, thread_ts; errors ``no_text``, ``msg_too_long``,
``invalid_blocks``, ``msg_blocks_too_long``, ``channel_not_found``, ``is_archived``,
``not_in_channel``), ``chat.update``,
``chat.delete``, ``chat.getPermalink``, "Block Kit" (blocks reference and limits) and
"Message metadata".
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from saleshome.sandbox.slack.server import SlackSandbox, SlackSandboxInfo

# Some tests leave `text` out on purpose; slack-sdk warns about it client-side.
pytestmark = pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing:UserWarning")

WON_BLOCKS: list[dict[str, Any]] = [
    {"type": "header", "text": {"type": "plain_text", "text": "Deal won: Acme"}},
    {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "*Acme* signed :tada:"},
        "fields": [{"type": "mrkdwn", "text": "*Amount*\n$120,000"}, {"type": "mrkdwn", "text": "*Owner*\nAna"}],
    },
    {"type": "divider"},
    {
        "type": "actions",
        "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": "Open"}, "url": "https://example.com/o/1"}
        ],
    },
]


def _fail(call: Any) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as caught:
        call()
    return dict(caught.value.response.data)  # type: ignore[arg-type]


def test_post_to_a_channel(bot: WebClient, sandbox: SlackSandbox) -> None:
    channel = sandbox.channel_id("deals-won")
    answer = bot.chat_postMessage(
        channel=channel, text="Acme won", blocks=WON_BLOCKS, unfurl_links=False, unfurl_media=False
    )
    assert answer["channel"] == channel and answer["ts"].count(".") == 1
    message = answer["message"]
    assert message["bot_id"] == sandbox.world.bot_id and message["user"] == sandbox.world.bot_user_id
    assert [b["type"] for b in message["blocks"]] == ["header", "section", "divider", "actions"]
    assert all(b["block_id"] for b in message["blocks"])
    record = sandbox.messages(channel)[-1]
    assert record.ts == answer["ts"] and record.blocks == WON_BLOCKS
    assert record.unfurl_links is False and record.unfurl_media is False


def test_post_by_channel_name(bot: WebClient, sandbox: SlackSandbox) -> None:
    assert bot.chat_postMessage(channel="#sales", text="by name")["channel"] == sandbox.channel_id("sales")


def test_timestamps_are_unique_and_increasing(bot: WebClient, sandbox: SlackSandbox) -> None:
    channel = sandbox.channel_id("sales")
    stamps = [bot.chat_postMessage(channel=channel, text=f"n{i}")["ts"] for i in range(5)]
    assert stamps == sorted(stamps, key=float) and len(set(stamps)) == 5


def test_post_to_a_user_opens_a_direct_message(bot: WebClient, sandbox: SlackSandbox) -> None:
    user = sandbox.world.tokens[sandbox.info.member_token].user_id  # type: ignore[union-attr]
    first = bot.chat_postMessage(channel=user, text="hello")
    second = bot.chat_postMessage(channel=user, text="again")
    assert first["channel"].startswith("D") and second["channel"] == first["channel"]
    assert bot.chat_postMessage(channel=first["channel"], text="by DM id")["channel"] == first["channel"]
    assert [r.text for r in sandbox.messages(first["channel"])][-3:] == ["hello", "again", "by DM id"]


def test_post_to_people_who_cannot_receive(bot: WebClient, sandbox: SlackSandbox) -> None:
    world = sandbox.world
    assert _fail(lambda: bot.chat_postMessage(channel=world.deactivated_user_id, text="x"))["error"] == "user_disabled"
    assert _fail(lambda: bot.chat_postMessage(channel=world.bot_user_id, text="x"))["error"] == "cannot_dm_bot"
    assert _fail(lambda: bot.chat_postMessage(channel="U0NOBODY00", text="x"))["error"] == "channel_not_found"


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("q3-2023-push", "is_archived"),
        ("apac-pipeline", "not_in_channel"),
        ("sales-ops", "channel_not_found"),
    ],
)
def test_channels_that_refuse_the_bot(bot: WebClient, sandbox: SlackSandbox, name: str, error: str) -> None:
    assert _fail(lambda: bot.chat_postMessage(channel=sandbox.channel_id(name), text="x"))["error"] == error


def test_missing_channel(bot: WebClient) -> None:
    assert _fail(lambda: bot.api_call("chat.postMessage", json={"text": "x"}))["error"] == "channel_not_found"


def test_no_text(bot: WebClient, sandbox: SlackSandbox) -> None:
    assert _fail(lambda: bot.chat_postMessage(channel=sandbox.channel_id("sales")))["error"] == "no_text"
    assert _fail(lambda: bot.chat_postMessage(channel=sandbox.channel_id("sales"), text=""))["error"] == "no_text"


def test_text_length(bot: WebClient, sandbox: SlackSandbox) -> None:
    channel = sandbox.channel_id("sales")
    assert bot.chat_postMessage(channel=channel, text="x" * 40_000)["ok"] is True
    assert _fail(lambda: bot.chat_postMessage(channel=channel, text="x" * 40_001))["error"] == "msg_too_long"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


@pytest.mark.parametrize(
    ("blocks", "pointer"),
    [
        ([_section("x")] * 51, "/blocks"),
        ([_section("")], "/blocks/0/text/text"),
        ([_section("x" * 3001)], "/blocks/0/text/text"),
        ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}], "/blocks/0/fields"),
        ([{"type": "section", "fields": [{"type": "plain_text", "text": "f" * 2001}]}], "/blocks/0/fields/0/text"),
        ([{"type": "section"}], "/blocks/0"),
        ([{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}], "/blocks/0/text/text"),
        ([{"type": "header", "text": {"type": "mrkdwn", "text": "*h*"}}], "/blocks/0/text/type"),
        ([{**_section("x"), "block_id": "b" * 256}], "/blocks/0/block_id"),
        ([{**_section("x"), "block_id": "same"}, {**_section("y"), "block_id": "same"}], "/blocks/1/block_id"),
        ([{"type": "carousel"}], "/blocks/0/type"),
        ([{"type": "actions", "elements": []}], "/blocks/0/elements"),
        (
            [{"type": "actions", "elements": [{"type": "button", "text": {"type": "mrkdwn", "text": "Go"}}]}],
            "/blocks/0/elements/0/text/type",
        ),
        (
            [
                {
                    "type": "actions",
                    "elements": [
                        {"type": "button", "text": {"type": "plain_text", "text": "Go"}, "url": "javascript:alert(1)"}
                    ],
                }
            ],
            "/blocks/0/elements/0/url",
        ),
        ([{"type": "image", "image_url": "https://example.com/a.png"}], "/blocks/0/alt_text"),
        ([{"type": "context", "elements": []}], "/blocks/0/elements"),
        # elements are checked in messages as in views (views.py): select options, overflow options
        ([{"type": "actions", "elements": [{"type": "static_select"}]}], "/blocks/0/elements/0"),
        (
            [
                {
                    **_section("x"),
                    "accessory": {"type": "overflow", "options": [{"text": {"type": "plain_text", "text": "o"}}]},
                }
            ],
            "/blocks/0/accessory/options/0",
        ),
    ],
)
def test_invalid_blocks(bot: WebClient, sandbox: SlackSandbox, blocks: list[dict[str, Any]], pointer: str) -> None:
    answer = _fail(lambda: bot.chat_postMessage(channel=sandbox.channel_id("sales"), text="t", blocks=blocks))
    assert answer["error"] == "invalid_blocks"
    assert any(f"[json-pointer:{pointer}]" in problem for problem in answer["errors"])
    assert all(m.startswith("[ERROR] ") for m in answer["response_metadata"]["messages"])


def test_fifty_blocks_and_ten_fields_are_fine(bot: WebClient, sandbox: SlackSandbox) -> None:
    channel = sandbox.channel_id("sales")
    assert bot.chat_postMessage(channel=channel, text="t", blocks=[_section("x")] * 50)["ok"]
    # Ten fields, one of the longest: ten of 2,000 would pass each block's limits but not the message's total.
    fields = [{"type": "mrkdwn", "text": "f" * 2000}] + [{"type": "mrkdwn", "text": "f" * 100}] * 9
    assert bot.chat_postMessage(channel=channel, text="t", blocks=[{"type": "section", "fields": fields}])["ok"]
    header = {"type": "header", "text": {"type": "plain_text", "text": "h" * 150}}
    assert bot.chat_postMessage(channel=channel, text="t", blocks=[header, _section("y" * 3000)])["ok"]


def test_blocks_without_text_get_a_fallback(bot: WebClient, sandbox: SlackSandbox) -> None:
    answer = bot.chat_postMessage(channel=sandbox.channel_id("sales"), blocks=[_section("only blocks")])
    assert answer["message"]["text"] == "only blocks"


BLOCKS_TEXT_TOTAL = 12_000  # Slack's limit on the text of all of a message's blocks (docs/slack-sandbox.md)


def _blocks_with_text_total(total: int) -> list[dict[str, Any]]:
    """Valid blocks (every one within its own limit) whose text objects hold ``total`` characters in all:
    a header, sections, fields, a context element and a button label all count."""
    fixed = 150 + 3 * 3000 + 2 * 1000 + 800  # header, three sections, two fields, a context element
    button = total - fixed
    assert 1 <= button <= 75, "the button label takes up the difference"
    return [
        {"type": "header", "text": {"type": "plain_text", "text": "h" * 150}},
        *[_section(c * 3000) for c in "abc"],
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 1000}, {"type": "plain_text", "text": "g" * 1000}]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "c" * 800}]},
        {"type": "divider"},
        {"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "b" * button},
                                          "url": "https://example.com/" + "u" * 500, "value": "v" * 500}]},
    ]


def test_blocks_up_to_the_total_text_limit_post(bot: WebClient, sandbox: SlackSandbox) -> None:
    channel = sandbox.channel_id("sales")
    blocks = _blocks_with_text_total(BLOCKS_TEXT_TOTAL)  # URLs and values are not text: they do not count
    answer = bot.chat_postMessage(channel=channel, text="fallback " * 1000, blocks=blocks)
    assert answer["ok"] is True
    assert sandbox.messages(channel)[-1].blocks == blocks


def test_blocks_over_the_total_text_limit_are_refused_and_not_stored(bot: WebClient, sandbox: SlackSandbox) -> None:
    channel = sandbox.channel_id("sales")
    before = len(sandbox.messages(channel))
    blocks = _blocks_with_text_total(BLOCKS_TEXT_TOTAL + 1)
    answer = _fail(lambda: bot.chat_postMessage(channel=channel, text="t", blocks=blocks))
    assert answer == {"ok": False, "error": "msg_blocks_too_long"}  # as Slack answers: no errors, no messages
    rich = [{"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": [
        {"type": "text", "text": "r" * 6001}, {"type": "link", "url": "https://example.com", "text": "l" * 6000}]}]}]
    assert _fail(lambda: bot.chat_postMessage(channel=channel, text="t", blocks=rich))["error"] == "msg_blocks_too_long"
    assert len(sandbox.messages(channel)) == before


def test_an_update_over_the_total_text_limit_changes_nothing(bot: WebClient, sandbox: SlackSandbox) -> None:
    channel = sandbox.channel_id("sales")
    ts = bot.chat_postMessage(channel=channel, text="first", blocks=[_section("first")])["ts"]
    too_long = _blocks_with_text_total(BLOCKS_TEXT_TOTAL + 1)
    answer = _fail(lambda: bot.chat_update(channel=channel, ts=ts, text="second", blocks=too_long))
    assert answer == {"ok": False, "error": "msg_blocks_too_long"}
    record = next(r for r in sandbox.messages(channel) if r.ts == ts)
    assert (record.text, record.blocks, record.updated) == ("first", [_section("first")], False)
    fits = _blocks_with_text_total(BLOCKS_TEXT_TOTAL)
    assert bot.chat_update(channel=channel, ts=ts, text="second", blocks=fits)["ok"] is True


def _form_post(info: SlackSandboxInfo, method: str, args: dict[str, str]) -> dict[str, Any]:
    """A form-encoded call, as other clients send JSON arguments (a JSON string in a form field)."""
    from urllib.parse import urlencode

    request = urllib.request.Request(
        f"{info.api_url}{method}",
        data=urlencode(args).encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {info.bot_token}",
            "Content-Type": "application/x-www-form-urlencoded",  # no charset: Slack calls it superfluous
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        body: dict[str, Any] = json.loads(response.read())
        return body


def test_form_encoded_blocks_and_metadata(info: SlackSandboxInfo, sandbox: SlackSandbox) -> None:
    channel = sandbox.channel_id("sales")
    ok = _form_post(
        info,
        "chat.postMessage",
        {
            "channel": channel,
            "text": "form",
            "blocks": json.dumps([_section("form blocks")]),
            "metadata": json.dumps({"event_type": "e", "event_payload": {"k": 1}}),
        },
    )
    assert ok["ok"] is True and "warning" not in ok
    assert sandbox.messages(channel)[-1].metadata == {"event_type": "e", "event_payload": {"k": 1}}
    bad = _form_post(info, "chat.postMessage", {"channel": channel, "text": "t", "blocks": "[{nope"})
    assert bad["error"] == "invalid_blocks_format"
    bad = _form_post(info, "chat.postMessage", {"channel": channel, "text": "t", "metadata": "{nope"})
    assert bad["error"] == "invalid_metadata_format"


@pytest.mark.parametrize(
    "metadata",
    [
        {"event_payload": {"k": 1}},
        {"event_type": "", "event_payload": {}},
        {"event_type": "x", "event_payload": "not an object"},
    ],
)
def test_invalid_metadata_schema(bot: WebClient, sandbox: SlackSandbox, metadata: dict[str, Any]) -> None:
    answer = _fail(lambda: bot.chat_postMessage(channel=sandbox.channel_id("sales"), text="t", metadata=metadata))
    assert answer["error"] == "invalid_metadata_schema"


def test_metadata_must_be_an_object(bot: WebClient, sandbox: SlackSandbox) -> None:
    answer = _fail(
        lambda: bot.api_call(
            "chat.postMessage", json={"channel": sandbox.channel_id("sales"), "text": "t", "metadata": ["a"]}
        )
    )
    assert answer["error"] == "invalid_metadata_format"


def test_thread_replies(bot: WebClient, sandbox: SlackSandbox) -> None:
    channel = sandbox.channel_id("sales")
    parent = bot.chat_postMessage(channel=channel, text="parent")["ts"]
    reply = bot.chat_postMessage(channel=channel, text="reply", thread_ts=parent)["ts"]
    nested = bot.chat_postMessage(channel=channel, text="reply to reply", thread_ts=reply)
    assert nested["message"]["thread_ts"] == parent
    assert sandbox.messages(channel)[-1].thread_ts == parent


def test_update_a_message(bot: WebClient, sandbox: SlackSandbox) -> None:
    channel = sandbox.channel_id("sales")
    ts = bot.chat_postMessage(channel=channel, text="first", metadata={"event_type": "e", "event_payload": {}})["ts"]
    answer = bot.chat_update(channel=channel, ts=ts, text="second", blocks=[_section("second")])
    assert answer["ts"] == ts and answer["text"] == "second" and answer["message"]["edited"]["user"]
    record = next(r for r in sandbox.messages(channel) if r.ts == ts)
    assert record.updated and record.text == "second" and record.metadata == {"event_type": "e", "event_payload": {}}
    assert _fail(lambda: bot.chat_update(channel=channel, ts=ts))["error"] == "no_text"
    assert _fail(lambda: bot.chat_update(channel=channel, ts="1.000001", text="x"))["error"] == "message_not_found"
    too_long = _fail(lambda: bot.chat_update(channel=channel, ts=ts, text="x" * 40_001))
    assert too_long["error"] == "msg_too_long"


def test_cannot_touch_someone_elses_message(bot: WebClient, sandbox: SlackSandbox) -> None:
    channel = sandbox.channel_id("general")
    human = next(r for r in sandbox.messages(channel, include_seeded=True) if r.source == "seed")
    assert _fail(lambda: bot.chat_update(channel=channel, ts=human.ts, text="x"))["error"] == "cant_update_message"
    assert _fail(lambda: bot.chat_delete(channel=channel, ts=human.ts))["error"] == "cant_delete_message"


def test_delete_a_message(bot: WebClient, sandbox: SlackSandbox) -> None:
    channel = sandbox.channel_id("sales")
    ts = bot.chat_postMessage(channel=channel, text="to delete")["ts"]
    assert bot.chat_delete(channel=channel, ts=ts)["ts"] == ts
    history = bot.conversations_history(channel=channel, oldest=ts, inclusive=True)["messages"]
    assert ts not in [m["ts"] for m in history]
    record = next(r for r in sandbox.messages(channel) if r.ts == ts)
    assert record.deleted and record.deleted_at is not None
    assert ts not in [r.ts for r in sandbox.messages(channel, include_deleted=False)]
    assert _fail(lambda: bot.chat_delete(channel=channel, ts=ts))["error"] == "message_not_found"


def test_permalink_leads_to_the_message_in_the_viewer(
    bot: WebClient, sandbox: SlackSandbox, info: SlackSandboxInfo
) -> None:
    channel = sandbox.channel_id("sales")
    ts = bot.chat_postMessage(channel=channel, text="link me")["ts"]
    link = bot.chat_getPermalink(channel=channel, message_ts=ts)["permalink"]
    assert link == f"{info.viewer_url}archives/{channel}/p{ts.replace('.', '')}"
    with urllib.request.urlopen(link, timeout=10) as response:
        assert response.url.endswith(f"/channels/{channel}#m{ts.replace('.', '')}")
        assert b"link me" in response.read()
    assert _fail(lambda: bot.chat_getPermalink(channel=channel, message_ts="1.1"))["error"] == "message_not_found"
