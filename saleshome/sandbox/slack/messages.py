"""Every message of the sandbox, and the message log tests read.

:class:`MessageStore` holds the live messages (what ``conversations.history`` serves);
:class:`MessageRecord` is the immutable snapshot tests get from ``SlackSandbox.messages()`` and
``GET /_sandbox/messages``: where, when, what (text, blocks, metadata), and what happened to it
afterwards (updated, deleted, whether the poster ever got the answer).
"""

from __future__ import annotations

import copy
import threading
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from .ids import format_ts

Source = Literal["api", "seed"]


@dataclass
class StoredMessage:
    channel: str
    team_id: str
    ts_us: int
    user: str
    text: str
    blocks: list[Any] | None
    metadata: dict[str, Any] | None
    posted_at: float
    source: Source = "api"
    bot_id: str | None = None
    app_id: str | None = None
    thread_ts_us: int | None = None
    reply_broadcast: bool = False
    unfurl_links: bool | None = None
    unfurl_media: bool | None = None
    method: str = "chat.postMessage"
    edited_at: float | None = None
    edited_ts_us: int | None = None
    edit_count: int = 0
    deleted_at: float | None = None
    answer_dropped: bool = False
    replies: list[int] = field(default_factory=list)

    @property
    def ts(self) -> str:
        return format_ts(self.ts_us)

    @property
    def thread_ts(self) -> str | None:
        return format_ts(self.thread_ts_us) if self.thread_ts_us is not None else None

    @property
    def is_reply(self) -> bool:
        return self.thread_ts_us is not None and self.thread_ts_us != self.ts_us


@dataclass(frozen=True)
class MessageRecord:
    """One message as the log shows it (a copy: changing it changes nothing in the sandbox)."""

    channel: str
    team_id: str
    ts: str
    user: str
    text: str
    blocks: list[Any] | None
    metadata: dict[str, Any] | None
    posted_at: float  # sandbox clock, epoch seconds
    thread_ts: str | None
    unfurl_links: bool | None
    unfurl_media: bool | None
    updated: bool
    updated_at: float | None
    deleted: bool
    deleted_at: float | None
    answer_dropped: bool  # stored, but the connection was dropped before the answer (fault injection)
    source: Source  # "api" (posted through the Web API) or "seed" (the world's initial history)

    @property
    def event_type(self) -> str | None:
        return self.metadata.get("event_type") if self.metadata else None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class MessageStore:
    """The messages of every conversation, with unique, increasing timestamps (thread-safe)."""

    def __init__(self) -> None:
        self._by_channel: dict[str, dict[int, StoredMessage]] = {}
        self._order: list[StoredMessage] = []
        self._last_ts_us = 0
        self._lock = threading.RLock()

    def next_ts(self, now: float) -> int:
        """A timestamp for a new message: ``now`` in microseconds, strictly after every earlier one."""
        with self._lock:
            self._last_ts_us = max(int(now * 1_000_000), self._last_ts_us + 1)
            return self._last_ts_us

    def add(self, message: StoredMessage) -> StoredMessage:
        with self._lock:
            self._by_channel.setdefault(message.channel, {})[message.ts_us] = message
            self._order.append(message)
            self._last_ts_us = max(self._last_ts_us, message.ts_us)
            if message.is_reply and message.thread_ts_us is not None:
                parent = self.get(message.channel, message.thread_ts_us)
                if parent is not None:
                    parent.replies.append(message.ts_us)
            return message

    def get(self, channel: str, ts_us: int) -> StoredMessage | None:
        with self._lock:
            return self._by_channel.get(channel, {}).get(ts_us)

    def live(self, channel: str) -> list[StoredMessage]:
        """The channel's messages that are not deleted, newest first."""
        with self._lock:
            found = [m for m in self._by_channel.get(channel, {}).values() if m.deleted_at is None]
        return sorted(found, key=lambda m: m.ts_us, reverse=True)

    def all_of(self, channel: str) -> list[StoredMessage]:
        """Every message of the channel, deleted ones included, oldest first."""
        with self._lock:
            return sorted(self._by_channel.get(channel, {}).values(), key=lambda m: m.ts_us)

    def count(self, channel: str) -> int:
        with self._lock:
            return sum(1 for m in self._by_channel.get(channel, {}).values() if m.deleted_at is None)

    def clear(self, *, source: Source | None = "api") -> int:
        """Forget the messages of ``source`` (every message when None); returns how many."""
        with self._lock:
            keep = [m for m in self._order if source is not None and m.source != source]
            removed = len(self._order) - len(keep)
            self._order = keep
            self._by_channel = {}
            for m in keep:
                self._by_channel.setdefault(m.channel, {})[m.ts_us] = m
                m.replies = [r for r in m.replies if any(k.ts_us == r for k in keep)]
            return removed

    def records(
        self,
        channel: str | None = None,
        *,
        include_deleted: bool = True,
        include_seeded: bool = False,
        event_type: str | None = None,
    ) -> list[MessageRecord]:
        """Snapshots of the log, oldest first."""
        with self._lock:
            chosen = [
                m
                for m in self._order
                if (channel is None or m.channel == channel)
                and (include_deleted or m.deleted_at is None)
                and (include_seeded or m.source != "seed")
                and (event_type is None or (m.metadata or {}).get("event_type") == event_type)
            ]
            return [_record(m) for m in sorted(chosen, key=lambda m: m.ts_us)]


def _record(m: StoredMessage) -> MessageRecord:
    return MessageRecord(
        channel=m.channel,
        team_id=m.team_id,
        ts=m.ts,
        user=m.user,
        text=m.text,
        blocks=copy.deepcopy(m.blocks),
        metadata=copy.deepcopy(m.metadata),
        posted_at=m.posted_at,
        thread_ts=m.thread_ts if m.is_reply else None,
        unfurl_links=m.unfurl_links,
        unfurl_media=m.unfurl_media,
        updated=m.edit_count > 0,
        updated_at=m.edited_at,
        deleted=m.deleted_at is not None,
        deleted_at=m.deleted_at,
        answer_dropped=m.answer_dropped,
        source=m.source,
    )
