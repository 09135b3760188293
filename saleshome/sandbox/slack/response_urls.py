"""``response_url``: how an app answers an interaction with a message ("Modifying messages",
https://docs.slack.dev/messaging/modifying-messages, "Updating messages using response_url"; Handling
user interaction, "Message responses").

A ``block_actions`` payload from a message carries a ``response_url`` (here
``{viewer_url}_sandbox/response-urls/<token>``).  The app POSTs JSON to it: ``delete_original: true``
deletes the message; ``replace_original: true`` replaces its ``text``/``blocks`` (blocks checked as
``chat.update`` checks them); else ``response_type: "in_channel"`` posts a new message from the app in
the channel (``thread_ts`` to reply in a thread), and the default ``ephemeral`` shows a message to the
user only (kept in :attr:`ResponseUrls.ephemeral`; the message log holds what everyone sees).  A URL
works :data:`MAX_USES` times within :data:`LIFETIME` seconds of the sandbox clock ("up to 5 times
within 30 minutes"); after that → HTTP 404 ``used_url`` / ``expired_url``.  Answers are ``ok`` in
plain text, as Slack's webhooks answer.  Changes happen under the API's lock; nothing here does I/O.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .blocks import MAX_BLOCKS_TEXT_TOTAL, blocks_text_length, fallback_text, validate_blocks
from .ids import parse_ts
from .messages import StoredMessage

if TYPE_CHECKING:
    from .api import SlackApi

MAX_USES = 5
LIFETIME = 30 * 60.0
PATH = "_sandbox/response-urls/"


@dataclass
class ResponseUrl:
    token: str
    channel: str
    ts_us: int
    user_id: str
    issued_at: float
    uses: int = 0


@dataclass
class ResponseUrls:
    """Every response_url handed out, and the ephemeral messages sent through them."""

    urls: dict[str, ResponseUrl] = field(default_factory=dict)
    ephemeral: list[dict[str, Any]] = field(default_factory=list)

    def issue(self, viewer_url: str, channel: str, ts_us: int, user_id: str, now: float) -> str:
        token = secrets.token_urlsafe(18)
        self.urls[token] = ResponseUrl(token, channel, ts_us, user_id, now)
        return f"{viewer_url}{PATH}{token}"


class ResponseUrlError(Exception):
    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status, self.error = status, error


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
