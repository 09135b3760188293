"""``conversations.list``, ``conversations.info``, ``conversations.history`` and ``conversations.join``."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from .calls import HISTORY_SCOPES, READ_SCOPES, Call, SlackError
from .ids import decode_cursor, encode_cursor, parse_ts
from .messages import StoredMessage
from .objects import conversation_json, message_json
from .world import Conversation

TYPE_KINDS: Mapping[str, str] = MappingProxyType(
    {"public_channel": "public", "private_channel": "private", "im": "im", "mpim": "mpim"}
)
MAX_LIST_LIMIT = 1000
MAX_HISTORY_LIMIT = 999


def _page_start(call: Call, ids: list[str], kind: str) -> int:
    cursor = call.params.text("cursor")
    if cursor is None:
        return 0
    value = decode_cursor(cursor, kind)
    if value is None or value not in ids:
        raise SlackError("invalid_cursor")
    return ids.index(value)


def conversations_list(call: Call) -> dict[str, Any]:
    """Pages are cut before the ``types`` and ``exclude_archived`` filters, as Slack does: a page
    may hold fewer channels than ``limit`` (even none) while ``next_cursor`` is not empty."""
    names = [t.strip() for t in (call.params.text("types") or "public_channel").split(",") if t.strip()]
    if not names or any(n not in TYPE_KINDS for n in names):
        raise SlackError("invalid_types")
    missing = [READ_SCOPES[TYPE_KINDS[n]] for n in names if READ_SCOPES[TYPE_KINDS[n]] not in call.token.scopes]
    if missing:
        raise call.missing_scope(*dict.fromkeys(missing))
    team_id = call.team_param(required=True)
    assert team_id is not None
    limit = call.params.number("limit", 100, error="invalid_limit")
    limit = MAX_LIST_LIMIT if limit > MAX_LIST_LIMIT else (100 if limit < 1 else limit)
    exclude_archived = call.params.flag("exclude_archived")
    wanted = {TYPE_KINDS[n] for n in names}
    visible = [c for c in call.world.conversations_of_team(team_id) if call.can_see(c)]
    start = _page_start(call, [c.id for c in visible], "team")
    page = visible[start : start + limit]
    rest = visible[start + limit :]
    channels = [
        conversation_json(c, call.world, call.user.id, include_num_members=True)
        for c in page
        if c.kind in wanted and not (exclude_archived and c.is_archived)
    ]
    return {
        "channels": channels,
        "response_metadata": {"next_cursor": encode_cursor("team", rest[0].id) if rest else ""},
    }


def conversations_info(call: Call) -> dict[str, Any]:
    conv = call.conversation()
    call.require_scope(READ_SCOPES[conv.kind])
    include_num = call.params.flag("include_num_members")
    return {"channel": conversation_json(conv, call.world, call.user.id, include_num_members=include_num)}


def _ts_param(call: Call, name: str, default: int, error: str) -> int:
    text = call.params.text(name)
    if text is None:
        return default
    value = parse_ts(text)
    if value is None:
        raise SlackError(error)
    return value


def top_level(messages: list[StoredMessage]) -> list[StoredMessage]:
    """What a channel's history shows: messages that are not thread replies (unless broadcast)."""
    return [m for m in messages if not m.is_reply or m.reply_broadcast]


def replies_of(call: Call, m: StoredMessage) -> list[StoredMessage]:
    found = [call.messages.get(m.channel, ts) for ts in m.replies]
    return [r for r in found if r is not None and r.deleted_at is None]


def conversations_history(call: Call) -> dict[str, Any]:
    conv = call.conversation()
    call.require_scope(HISTORY_SCOPES[conv.kind])
    if call.is_bot and call.token.user_id not in conv.members:
        raise SlackError("not_in_channel")
    latest = _ts_param(call, "latest", int((call.now() + 1) * 1_000_000), "invalid_ts_latest")
    oldest = _ts_param(call, "oldest", 0, "invalid_ts_oldest")
    inclusive = call.params.flag("inclusive")
    limit = call.params.number("limit", 100, error="invalid_limit")
    limit = MAX_HISTORY_LIMIT if limit > MAX_HISTORY_LIMIT else (100 if limit < 1 else limit)
    with_metadata = call.params.flag("include_all_metadata")

    def in_window(ts: int) -> bool:
        if inclusive:
            return oldest <= ts <= latest
        return oldest < ts < latest

    chosen = [m for m in top_level(call.messages.live(conv.id)) if in_window(m.ts_us)]
    cursor = call.params.text("cursor")
    if cursor is not None:
        value = decode_cursor(cursor, "next_ts")
        if value is None or not value.isdigit():
            raise SlackError("invalid_cursor")
        chosen = [m for m in chosen if m.ts_us <= int(value)]
    page, rest = chosen[:limit], chosen[limit:]
    return {
        "messages": [message_json(m, call.world, replies_of(call, m), with_metadata=with_metadata) for m in page],
        "has_more": bool(rest),
        "pin_count": 0,
        "channel_actions_ts": None,
        "channel_actions_count": 0,
        "response_metadata": {"next_cursor": encode_cursor("next_ts", str(rest[0].ts_us)) if rest else ""},
    }


def conversations_join(call: Call) -> dict[str, Any]:
    """Public channels only; a private channel or a DM is ``method_not_supported_for_channel_type``."""
    call.require_scope("channels:join" if call.is_bot else "channels:write")
    channel_id = call.params.text("channel")
    conv: Conversation | None = call.world.conversations.get(channel_id) if channel_id else None
    if conv is not None and conv.kind != "public":
        raise SlackError("method_not_supported_for_channel_type")
    conv = call.conversation()
    if conv.is_archived:
        raise SlackError("is_archived")
    if call.user.id in conv.members:
        call.warnings.append("already_in_channel")
    else:
        conv.members.add(call.user.id)
        conv.updated = int(call.now() * 1000)
    return {"channel": conversation_json(conv, call.world, call.user.id, include_num_members=False)}
