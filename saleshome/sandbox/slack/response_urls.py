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
This module holds the URLs (plain data); ``response_url_posts.py`` applies what the app POSTs to one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

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
