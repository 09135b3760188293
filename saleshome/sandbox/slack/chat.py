"""``chat.postMessage``, ``chat.update``, ``chat.delete`` and ``chat.getPermalink``.

Blocks are checked before anything is stored or changed: each block within its limits
(``invalid_blocks``), then all of them within Slack's total of text (``msg_blocks_too_long``).
"""

from __future__ import annotations

from typing import Any

from .blocks import MAX_BLOCKS_TEXT_TOTAL, blocks_text_length, fallback_text, validate_blocks
from .calls import Call, RateLimited, SlackError
from .conversations import replies_of
from .ids import format_ts, parse_ts
from .messages import StoredMessage
from .objects import message_json
from .world import Conversation

MAX_TEXT = 40_000


def _target(call: Call) -> Conversation:
    """The conversation a message goes to: a channel id (or ``#name``), a DM id, or a user id (opens the DM)."""
    value = call.params.text("channel")
    if value is None:
        raise SlackError("channel_not_found")
    if value[:1] in ("U", "W") and value not in call.world.conversations:
        user = call.world.users.get(value)
        if user is None:
            raise SlackError("channel_not_found")
        if user.deleted:
            raise SlackError("user_disabled")
        if user.is_bot:
            raise SlackError("cannot_dm_bot")
        return call.world.open_im(call.user.id, user.id, call.now())
    conv = call.conversation(allow_names=True)
    if conv.kind == "im" and conv.im_user and call.world.users[conv.im_user].deleted:
        raise SlackError("user_disabled")
    return conv


def _blocks(call: Call) -> list[Any] | None:
    if not call.params.has("blocks"):
        return None
    try:
        blocks = call.params.parsed("blocks")
    except ValueError:
        raise SlackError("invalid_blocks_format") from None
    if not isinstance(blocks, list):
        raise SlackError("invalid_blocks_format")
    if not blocks:
        return None
    problems = validate_blocks(blocks)
    if problems:
        raise SlackError(
            "invalid_blocks",
            errors=problems,
            response_metadata={"messages": [f"[ERROR] {p}" for p in problems]},
        )
    if blocks_text_length(blocks) > MAX_BLOCKS_TEXT_TOTAL:
        raise SlackError("msg_blocks_too_long")
    return blocks


def _metadata(call: Call) -> dict[str, Any] | None:
    if not call.params.has("metadata"):
        return None
    try:
        metadata = call.params.parsed("metadata")
    except ValueError:
        raise SlackError("invalid_metadata_format") from None
    if not isinstance(metadata, dict):
        raise SlackError("invalid_metadata_format")
    event_type, payload = metadata.get("event_type"), metadata.get("event_payload")
    if not isinstance(event_type, str) or not event_type or not isinstance(payload, dict):
        raise SlackError(
            "invalid_metadata_schema",
            response_metadata={
                "messages": ["[ERROR] metadata needs a non-empty string event_type and an object event_payload"],
            },
        )
    return {"event_type": event_type, "event_payload": payload}


def _content(call: Call, *, required: bool) -> tuple[str | None, list[Any] | None]:
    text = call.params.text("text")
    blocks = _blocks(call)
    if required and text is None and blocks is None and not call.params.has("attachments"):
        raise SlackError("no_text")
    if text is not None and len(text) > MAX_TEXT:
        raise SlackError("msg_too_long")
    return text, blocks


def _thread_parent(call: Call, conv: Conversation) -> int | None:
    """The parent of the thread ``thread_ts`` names (a reply's ts means its parent's thread).

    An unknown ``thread_ts`` posts a top-level message, as Slack does.
    """
    text = call.params.text("thread_ts")
    if text is None:
        return None
    ts = parse_ts(text)
    parent = call.messages.get(conv.id, ts) if ts is not None else None
    if parent is None or parent.deleted_at is not None:
        return None
    return parent.thread_ts_us if parent.is_reply else parent.ts_us


def chat_post_message(call: Call) -> dict[str, Any]:
    conv = _target(call)
    if conv.is_archived:
        raise SlackError("is_archived")
    if call.user.id not in conv.members and not (conv.kind == "public" and "chat:write.public" in call.token.scopes):
        raise SlackError("not_in_channel")
    wait = call.limiter.acquire_post(call.token.value, conv.context_team_id, conv.id)
    if wait > 0:
        raise RateLimited(wait)
    text, blocks = _content(call, required=True)
    metadata = _metadata(call)
    thread = _thread_parent(call, conv)
    now = call.now()
    bot = call.user
    message = StoredMessage(
        channel=conv.id,
        team_id=conv.context_team_id,
        ts_us=call.messages.next_ts(now),
        user=bot.id,
        text=text if text is not None else fallback_text(blocks or []),
        blocks=blocks,
        metadata=metadata,
        posted_at=now,
        bot_id=bot.bot_id,
        app_id=bot.app_id,
        thread_ts_us=thread,
        reply_broadcast=thread is not None and call.params.flag("reply_broadcast"),
        unfurl_links=call.params.optional_flag("unfurl_links"),
        unfurl_media=call.params.optional_flag("unfurl_media"),
    )
    call.messages.add(message)
    call.created.append(message)
    return {"channel": conv.id, "ts": message.ts, "message": message_json(message, call.world, [], with_metadata=True)}


def _own_message(call: Call, conv: Conversation, param: str, not_owned: str) -> StoredMessage:
    ts = parse_ts(call.params.text(param) or "")
    message = call.messages.get(conv.id, ts) if ts is not None else None
    if message is None or message.deleted_at is not None:
        raise SlackError("message_not_found")
    if message.user != call.user.id:
        raise SlackError(not_owned)
    return message


def chat_update(call: Call) -> dict[str, Any]:
    conv = call.conversation()
    message = _own_message(call, conv, "ts", "cant_update_message")
    if conv.is_archived:
        raise SlackError("is_archived")
    text, blocks = _content(call, required=False)
    if text is None and not call.params.has("blocks") and not call.params.has("attachments"):
        raise SlackError("no_text")
    metadata = _metadata(call)
    if call.params.has("blocks"):
        message.blocks = blocks
    if text is not None:
        message.text = text
    elif blocks is not None:
        message.text = fallback_text(blocks)
    if metadata is not None:
        message.metadata = metadata
    now = call.now()
    message.edited_at, message.edited_ts_us, message.edit_count = now, int(now * 1_000_000), message.edit_count + 1
    shown = message_json(message, call.world, replies_of(call, message), with_metadata=True)
    return {"channel": conv.id, "ts": message.ts, "text": message.text, "message": shown}


def chat_delete(call: Call) -> dict[str, Any]:
    conv = call.conversation()
    message = _own_message(call, conv, "ts", "cant_delete_message")
    message.deleted_at = call.now()
    return {"channel": conv.id, "ts": message.ts}


def chat_get_permalink(call: Call) -> dict[str, Any]:
    """Permalinks point into the sandbox's viewer (``/archives/C…/p…``, Slack's path shape)."""
    conv = call.conversation()
    ts = parse_ts(call.params.text("message_ts") or "")
    message = call.messages.get(conv.id, ts) if ts is not None else None
    if message is None or message.deleted_at is not None:
        raise SlackError("message_not_found")
    link = f"{call.viewer_url}archives/{conv.id}/p{message.ts.replace('.', '')}"
    if message.is_reply and message.thread_ts_us is not None:
        link += f"?thread_ts={format_ts(message.thread_ts_us)}&cid={conv.id}"
    return {"channel": conv.id, "permalink": link}
