"""What an app POSTs to a ``response_url`` (see ``response_urls.py`` for the rules), applied to the sandbox."""

from __future__ import annotations

import json
from typing import Any

from .api import SlackApi
from .blocks import MAX_BLOCKS_TEXT_TOTAL, blocks_text_length, fallback_text, validate_blocks
from .ids import parse_ts
from .messages import StoredMessage
from .response_urls import LIFETIME, MAX_USES, ResponseUrlError


def _content(body: dict[str, Any]) -> tuple[str | None, list[Any] | None]:
    text = body.get("text")
    blocks = body.get("blocks")
    if text is not None and not isinstance(text, str):
        raise ResponseUrlError(400, "invalid_payload")
    if blocks is not None:
        if not isinstance(blocks, list) or validate_blocks(blocks):
            raise ResponseUrlError(400, "invalid_blocks")
        if blocks_text_length(blocks) > MAX_BLOCKS_TEXT_TOTAL:
            raise ResponseUrlError(400, "msg_blocks_too_long")
    if text is None and not blocks:
        raise ResponseUrlError(400, "no_text")
    return text, blocks or None


def _thread(api: SlackApi, channel: str, thread_ts: object) -> int | None:
    """The thread a reply goes to (an unknown ``thread_ts``: top level, as ``chat.postMessage`` does)."""
    ts = parse_ts(thread_ts) if isinstance(thread_ts, str) else None
    parent = api.messages.get(channel, ts) if ts is not None else None
    if parent is None or parent.deleted_at is not None:
        return None
    return parent.thread_ts_us if parent.is_reply else parent.ts_us


def respond(api: SlackApi, token: str, raw: bytes) -> str:
    """Apply what the app POSTed to response_url ``token``; return what happened, or raise ResponseUrlError."""
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        raise ResponseUrlError(400, "invalid_payload") from None
    if not isinstance(body, dict):
        raise ResponseUrlError(400, "invalid_payload")
    with api.lock:
        now = api.clock.now()
        url = api.response_urls.urls.get(token)
        if url is None:
            raise ResponseUrlError(404, "invalid_url")
        if now - url.issued_at > LIFETIME:
            raise ResponseUrlError(404, "expired_url")
        if url.uses >= MAX_USES:
            raise ResponseUrlError(404, "used_url")
        original = api.messages.get(url.channel, url.ts_us)
        if body.get("delete_original") is True:
            if original is None or original.deleted_at is not None:
                raise ResponseUrlError(404, "message_not_found")
            url.uses += 1
            original.deleted_at = now
            return "deleted"
        text, blocks = _content(body)
        url.uses += 1
        if body.get("replace_original") is True:
            if original is None or original.deleted_at is not None:
                raise ResponseUrlError(404, "message_not_found")
            original.blocks = blocks
            original.text = text if text is not None else fallback_text(blocks or [])
            original.edited_at, original.edited_ts_us = now, int(now * 1_000_000)
            original.edit_count += 1
            return "replaced"
        if body.get("response_type") == "in_channel":
            conv = api.world.conversations[url.channel]
            bot = api.world.bot
            api.messages.add(
                StoredMessage(
                    channel=conv.id,
                    team_id=conv.context_team_id,
                    ts_us=api.messages.next_ts(now),
                    user=bot.id,
                    text=text if text is not None else fallback_text(blocks or []),
                    blocks=blocks,
                    metadata=None,
                    posted_at=now,
                    bot_id=bot.bot_id,
                    app_id=bot.app_id,
                    thread_ts_us=_thread(api, url.channel, body.get("thread_ts")),
                    method="response_url",
                )
            )
            return "posted"
        api.response_urls.ephemeral.append(
            {"channel": url.channel, "user": url.user_id, "text": text, "blocks": blocks, "at": now}
        )
        return "ephemeral"
