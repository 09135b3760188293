"""Drain the outbox into Slack: order kept per channel, channels in parallel, within rate limits.

Exactly-once effect without an idempotency key on Slack's side:

1. items are claimed (marked ``sending``) in one short transaction *before* any call, held by this
   publisher under a lease it renews (:class:`~saleshome.warehouse.outbox.Claimer`): another
   publisher running at the same time takes neither an item in flight nor a later item of a channel
   this one holds (per-channel order across publishers), until this one writes its outcomes or dies;
2. each message carries its key in its metadata (``event_type = saleshome_message``), and a message about one
   record its reference too (``alias``, ``object``, ``record_id``: :func:`saleshome.slack.records.record_ref`, from
   its Edit button; never a value of the record);
3. an item found ``sending`` again (a crash, a dropped connection, a timeout) is first
   looked up in its channel's history (``include_all_metadata``); found → ``sent``,
   not found → sent now.

slack-sdk's ConnectionErrorRetryHandler is *not* used for posts (a retried post after a
dropped connection is the duplicate trap); 429s are retried by a RateLimitErrorRetryHandler
honouring ``Retry-After``; everything else transient comes back through step 3.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from saleshome.errors import RetriableError
from saleshome.settings.restrictions import Restrictions, blocked_reason
from saleshome.slack.errors import SlackErrorFamily, SlackRefusedError, error_code, error_family, slack_error
from saleshome.slack.pages import page_items
from saleshome.slack.records import record_ref
from saleshome.warehouse.control import ControlDB
from saleshome.warehouse.outbox import (
    CLAIM_LEASE,
    GAVE_UP,
    OWN_EXECUTOR_KINDS,
    Claimer,
    OutboxItem,
    Outcome,
    claim,
    free_claims,
    queued_by_kind,
    record,
    renew,
)
from saleshome.warehouse.outbox_states import OutboxState

from .schedule import ChannelSchedule

log = logging.getLogger(__name__)

METADATA_EVENT = "saleshome_message"
# What a dead letter says besides the code, where the code alone does not tell an operator what to change.
PERMANENT_ERROR_HINTS = {
    "msg_blocks_too_long": "Slack refuses a message whose blocks carry more than about 12,000 characters of text "
                           "in all; shorten it or split it into several messages",
}


class CountingRateLimitHandler(RateLimitErrorRetryHandler):
    """Honours 429 ``Retry-After`` (``Retry-After-Ms`` when the server gives it) and counts the waits."""

    def __init__(self, max_retry_count: int = 20) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.waits = 0
        self.waited_seconds = 0.0
        self.waiting = 0  # calls sleeping on a Retry-After right now
        self._lock = threading.Lock()

    def prepare_for_next_attempt(
        self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        headers = {k.lower(): v for k, v in (response.headers if response else {}).items()}
        ms = headers.get("retry-after-ms", [None])[0]
        seconds = float(ms) / 1000 if ms else float(headers.get("retry-after", ["1"])[0])
        with self._lock:
            self.waits += 1
            self.waited_seconds += seconds
            self.waiting += 1
        state.next_attempt_requested = True
        try:
            time.sleep(seconds)
        finally:
            with self._lock:
                self.waiting -= 1
        state.increment_current_attempt()


def web_client(token: str, *, base_url: str | None = None, timeout: int = 30) -> tuple[WebClient, CountingRateLimitHandler]:
    """A WebClient for posting: rate-limit retries only (see the module docstring)."""
    handler = CountingRateLimitHandler()
    kwargs: dict[str, Any] = {"token": token, "timeout": timeout, "retry_handlers": [handler]}
    if base_url:
        kwargs["base_url"] = base_url
    return WebClient(**kwargs), handler


@dataclass
class PublishStats:
    sent: int = 0
    reconciled: int = 0  # found already posted after a crash or a lost answer: not sent again
    retried: int = 0  # transient failures left for a later attempt
    dead: int = 0
    blocked: int = 0
    rate_limit_waits: int = 0
    to_send: int = 0  # items the drain found queued when it began (banners excluded: not the publisher's)
    waiting_for_rate_limit: int = 0  # sends sleeping on a Retry-After when the stats were taken (progress only)
    dead_reasons: dict[str, int] = field(default_factory=dict)
    blocked_reasons: dict[str, int] = field(default_factory=dict)


Progress = Callable[[PublishStats], None]


class _Renewal:
    """Renews a claimer's claims every quarter of its lease, from a daemon thread, while the drain runs (the
    main thread may wait on Slack for a batch's conversations; the lease must not pass meanwhile).  A renewal
    that cannot reach the control store is skipped: the next one may pass before the lease does."""

    def __init__(self, control: ControlDB, claimer: Claimer) -> None:
        self.control = control
        self.claimer = claimer
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"claims-{claimer.token}", daemon=True)

    def __enter__(self) -> _Renewal:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=self.control.timeout + 1)

    def _run(self) -> None:
        every = self.claimer.lease.total_seconds() / 4
        while not self._stop.wait(every):
            try:
                renew(self.control, self.claimer, now=datetime.now(UTC))
            except Exception as exc:  # a busy or unreachable store: the lease allows three more tries
                log.warning("outbox claims of %s not renewed (%s)", self.claimer.id, exc)


class Publisher:
    """One drain of the outbox (``publish()`` runs it)."""

    def __init__(
        self, control: ControlDB, client: WebClient, *, restrictions: Restrictions, rate_handler:
        CountingRateLimitHandler | None = None, workers: int = 8, channel_interval: float = 1.0,
        batch_size: int = 500, max_attempts: int = 8, backoff: float = 1.0,
        conversation_ttl: timedelta = timedelta(hours=1), flush_seconds: float = 0.25,
        claim_lease: timedelta = CLAIM_LEASE,
    ) -> None:
        self.control = control
        self.claim_lease = claim_lease
        self.claimer = Claimer.here(claim_lease)  # the current drain's: renewed while it runs, freed at its end
        self.client = client
        self.restrictions = restrictions
        self.rate_handler = rate_handler
        self.workers = workers
        self.channel_interval = channel_interval
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.conversation_ttl = conversation_ttl
        self.flush_seconds = flush_seconds
        self.stats = PublishStats()
        self._conversations: dict[str, dict[str, Any]] = {}
        self._dm: dict[str, str] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ the drain
    def publish(self, *, deadline: float | None = None, on_progress: Progress | None = None) -> PublishStats:
        """Send everything ready until the outbox has nothing ready (or the deadline).

        Workers send while this thread keeps their queues filled from the outbox (claiming more
        when fewer than half a batch is queued) and writes outcomes back every ``flush_seconds``:
        the sends never wait for the database, and a crash leaves few items to look up.
        ``on_progress`` gets the running stats (outcomes written so far, rate-limit waits, sends
        waiting on one now) from this thread, at least every ``flush_seconds`` and at the end.
        """
        self._load_dm_channels()
        self.stats.to_send = sum(n for kind, n in queued_by_kind(self.control, ready_at=datetime.now(UTC)).items() if kind not in OWN_EXECUTOR_KINDS)
        schedule = ChannelSchedule(self.channel_interval)
        self.claimer = Claimer.here(self.claim_lease)
        try:
            self._drain(schedule, deadline, on_progress)
        finally:
            self._free_claims()
        if self.rate_handler is not None:
            self.stats.rate_limit_waits = self.rate_handler.waits
        if schedule.errors:
            raise schedule.errors[0]
        return self.stats

    def _drain(self, schedule: ChannelSchedule, deadline: float | None, on_progress: Progress | None) -> None:
        with _Renewal(self.control, self.claimer), ThreadPoolExecutor(max_workers=self.workers) as pool:
            for _ in range(self.workers):
                pool.submit(self._work, schedule)
            try:
                self._feed(schedule, deadline, on_progress)
            finally:
                schedule.close()
        self._flush(schedule, on_progress)

    def _free_claims(self) -> None:
        """Give up what a drain that stopped on an error still holds (states unchanged: one ``sending`` is looked
        up in history before any send); a store that cannot be reached now lets the lease free them."""
        try:
            free_claims(self.control, self.claimer)
        except Exception as exc:
            log.warning("outbox claims of %s not freed (%s); its lease will", self.claimer.id, exc)

    def _feed(
        self, schedule: ChannelSchedule, deadline: float | None, on_progress: Progress | None
    ) -> None:
        flushed = time.monotonic()
        while not schedule.errors and (deadline is None or time.monotonic() < deadline):
            idle = schedule.idle()
            queued = schedule.queued()
            if queued < max(1, self.batch_size // 2):
                self._flush(schedule, on_progress)  # retries written first: the claim must see who waits
                flushed = time.monotonic()
                items = claim(self.control, limit=self.batch_size - queued, now=datetime.now(UTC),
                              exclude=schedule.held(), claimer=self.claimer)
                if items:
                    self._prefetch_conversations(items)
                    schedule.add(items)
                elif idle:
                    return  # nothing ready, nothing in flight
            if time.monotonic() - flushed >= self.flush_seconds:
                self._flush(schedule, on_progress)
                flushed = time.monotonic()
            schedule.wait(self.flush_seconds / 4)

    def _flush(self, schedule: ChannelSchedule, on_progress: Progress | None) -> None:
        outcomes = schedule.take_outcomes()
        if outcomes:
            record(self.control, outcomes, claimer=self.claimer)
            schedule.written(outcomes)
            self._save_dm_channels()
        if on_progress is not None:
            on_progress(self._progress())

    def _progress(self) -> PublishStats:
        """A copy of the running stats, with the rate-limit handler's figures."""
        with self._lock:
            stats = replace(self.stats, dead_reasons=dict(self.stats.dead_reasons),
                            blocked_reasons=dict(self.stats.blocked_reasons))
        if self.rate_handler is not None:
            stats.rate_limit_waits = self.rate_handler.waits
            stats.waiting_for_rate_limit = self.rate_handler.waiting
        return stats

    def _work(self, schedule: ChannelSchedule) -> None:
        while (item := schedule.next()) is not None:
            try:
                outcome = self._deliver(item)
            except BaseException as exc:  # an auth problem stops the whole drain
                schedule.failed(item, exc)
                return
            schedule.done(item, outcome)

    def _prefetch_conversations(self, items: list[OutboxItem]) -> None:
        """Conversation objects for the batch's channels: cached ones, then one ``conversations.list``
        per workspace (Tier 2, up to 1000 a page) rather than one ``conversations.info`` (Tier 3) each."""
        wanted = {i.channel for i in items if not i.channel.startswith(("U", "W"))} - set(self._conversations)
        if not wanted:
            return
        fresh = datetime.now(UTC) - self.conversation_ttl
        rows = self.control.rows(
            "SELECT channel, info FROM conversation_cache WHERE fetched_at > ? AND channel IN "
            f"({', '.join('?' for _ in wanted)})", [fresh, *wanted],
        )
        with self._lock:
            self._conversations.update({r["channel"]: json.loads(r["info"]) for r in rows})
        missing = wanted - set(self._conversations)
        teams = {i.team_id for i in items if i.channel in missing and i.team_id}
        listed: dict[str, dict[str, Any]] = {}
        for team in teams:
            try:
                for c in page_items(self.client.conversations_list, "channels", team_id=team,
                                    types="public_channel,private_channel", limit=1000, exclude_archived=False):
                    listed[str(c["id"])] = c
            except (SlackApiError, RetriableError):
                pass  # what was listed stays; the others are looked up one by one
        for channel in missing - set(listed):
            info = self._conversation(channel)
            if info:
                listed[channel] = info
        if listed:
            with self._lock:
                self._conversations.update(listed)
            now = datetime.now(UTC)
            with self.control.transaction() as db:
                for channel, info in listed.items():
                    db.upsert("conversation_cache", {"channel": channel, "info": json.dumps(info), "fetched_at": now})

    # ------------------------------------------------------------------ one message
    def _deliver(self, item: OutboxItem) -> Outcome:
        reason = self._blocked(item)
        if reason is not None:
            self._count(OutboxState.BLOCKED, reason)
            return Outcome(item.key, OutboxState.BLOCKED, error=reason)
        if item.state == OutboxState.SENDING:
            try:
                found = self._find_posted(item)
            except Exception as exc:  # could not look: try again later, never send blind
                return self._failed(item, f"history check failed: {type(exc).__name__}", None)
            if found is not None:
                with self._lock:
                    self.stats.reconciled += 1
                return Outcome(item.key, OutboxState.SENT, channel=found[0], ts=found[1])
        try:
            response = self.client.chat_postMessage(
                channel=item.channel, text=item.text, blocks=item.blocks, unfurl_links=False, unfurl_media=False,
                metadata={"event_type": METADATA_EVENT,
                          "event_payload": {"key": item.key, **(record_ref(item.blocks or []) or {})}},
            )
        except SlackApiError as exc:  # Slack answered: the message was not stored
            return self._failed(item, error_code(exc), exc.response.status_code, answered=True)
        except Exception as exc:  # connection dropped, timeout: the message may have been stored, or still be
            # on its way — look for it only once Slack must have finished with it (twice the client timeout).
            return self._failed(item, type(exc).__name__, None, grace=2.0 * float(self.client.timeout))
        channel, ts = str(response["channel"]), str(response["ts"])
        if item.channel.startswith(("U", "W")):
            with self._lock:
                self._dm[item.channel] = channel
        with self._lock:
            self.stats.sent += 1
        return Outcome(item.key, OutboxState.SENT, channel=channel, ts=ts)

    def _failed(
        self, item: OutboxItem, error: str, status: int | None, grace: float = 0.0, answered: bool = False
    ) -> Outcome:
        family = error_family(error, status)
        if family is SlackErrorFamily.AUTH:
            raise SlackRefusedError(f"Slack refused the bot token: {error}", code=error,
                                    hint="check the app's token and scopes")
        if family is SlackErrorFamily.PERMANENT:
            reason = f"{error}: {PERMANENT_ERROR_HINTS[error]}" if error in PERMANENT_ERROR_HINTS else error
            self._count(OutboxState.DEAD, reason)
            return Outcome(item.key, OutboxState.DEAD, error=reason)
        attempt = item.attempts + 1  # this one included
        if attempt >= self.max_attempts:
            reason = f"{GAVE_UP} {attempt} attempts: {error}"
            self._count(OutboxState.DEAD, reason)
            return Outcome(item.key, OutboxState.DEAD, error=reason)
        with self._lock:
            self.stats.retried += 1
        delay = max(grace, self.backoff * (2 ** item.attempts) * (0.5 + random.random()))
        # An answered error stored nothing: plain retry.  No answer: look in the history first.
        return Outcome(item.key, OutboxState.PENDING if answered else OutboxState.SENDING, error=error,
                       retry_at=datetime.now(UTC) + timedelta(seconds=delay))

    def _count(self, state: OutboxState, reason: str) -> None:
        with self._lock:
            if state == OutboxState.DEAD:
                self.stats.dead += 1
                self.stats.dead_reasons[reason] = self.stats.dead_reasons.get(reason, 0) + 1
            else:
                self.stats.blocked += 1
                self.stats.blocked_reasons[reason] = self.stats.blocked_reasons.get(reason, 0) + 1

    # ------------------------------------------------------------------ restrictions
    def _blocked(self, item: OutboxItem) -> str | None:
        if item.channel.startswith(("U", "W")):
            conversation: dict[str, Any] = {"is_im": True}
        else:
            conversation = self._conversation(item.channel) or {}
            if not conversation:
                return None  # unknown channel: Slack answers channel_not_found → dead letter with that reason
        return blocked_reason(self.restrictions, conversation, item.team_id)

    def _conversation(self, channel: str) -> dict[str, Any] | None:
        with self._lock:
            if channel in self._conversations:
                return self._conversations[channel]
        try:
            info = dict(self.client.conversations_info(channel=channel)["channel"])
        except SlackApiError as exc:
            if error_family(error_code(exc)) is SlackErrorFamily.AUTH:
                raise slack_error(exc, "the bot token") from None
            info = {}
        with self._lock:
            self._conversations[channel] = info
        return info

    # ------------------------------------------------------------------ reconciliation
    def _find_posted(self, item: OutboxItem) -> tuple[str, str] | None:
        """(channel, ts) of the message carrying this item's key, if Slack has it."""
        channel = item.channel
        if channel.startswith(("U", "W")):
            found_dm = self._dm.get(channel) or self._find_dm(channel, item.team_id)
            if found_dm is None:
                return None  # no DM with this user exists: nothing can have been posted
            channel = found_dm
        oldest = (item.created_at - timedelta(minutes=5)).timestamp()
        try:
            for message in page_items(self.client.conversations_history, "messages", channel=channel,
                                      oldest=f"{oldest:.6f}", limit=200, include_all_metadata=True):
                payload = (message.get("metadata") or {}).get("event_payload") or {}
                if payload.get("key") == item.key:
                    return channel, str(message["ts"])
        except SlackApiError as exc:
            if error_family(error_code(exc)) is SlackErrorFamily.PERMANENT:
                return None  # the channel is gone or closed to us: the send will dead-letter it
            raise  # cannot look now: retry later, never send blind
        return None

    def _find_dm(self, user: str, team_id: str | None) -> str | None:
        """The bot's DM with ``user``, from ``conversations.list(types=im)`` (a crash may have lost it).

        Raises when Slack cannot tell now (the caller retries later rather than send blind).
        """
        if team_id is None:
            try:
                team_id = str(self.client.users_info(user=user)["user"]["team_id"])
            except SlackApiError as exc:
                if error_code(exc) in ("user_not_found", "users_not_found"):
                    return None  # no such user: nothing can have been posted to them
                raise
        for conversation in page_items(self.client.conversations_list, "channels", types="im", limit=200,
                                       team_id=team_id):
            if conversation.get("user") == user:
                with self._lock:
                    self._dm[user] = str(conversation["id"])
                return str(conversation["id"])
        return None

    def _load_dm_channels(self) -> None:
        rows = self.control.rows("SELECT user_id, channel_id FROM dm_channels")
        self._dm.update({r["user_id"]: r["channel_id"] for r in rows})

    def _save_dm_channels(self) -> None:
        with self._lock:
            pairs = list(self._dm.items())
        if not pairs:
            return
        with self.control.transaction() as db:
            for user, channel in pairs:
                db.upsert("dm_channels", {"team_id": None, "user_id": user, "channel_id": channel})
