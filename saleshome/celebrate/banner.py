"""Celebration banners on members' Slack profiles: the executor of ``banner`` outbox items, and housekeeping.

A banner is the owner's profile status (``users.profile.set`` with the admin user token:
``status_text`` at most 100 characters, ``status_emoji``, ``status_expiration`` = signature + 72
hours).  :func:`apply_banners` drains the ``banner`` items of the outbox (the publisher never
claims them, see ``saleshome.warehouse.outbox.OWN_EXECUTOR_KINDS``):

1. items are claimed (``sending``) in a short transaction before any call;
2. the member's current status is read (``users.profile.get``).  A status Sales Home did not
   write — one the member set themselves — is never overwritten: the banner is skipped (the
   channel message still goes out) and the celebration records why;
3. the banner to show is the member's **latest** win still within its 72 hours, lasting until
   the **latest** expiry of their wins (two overlapping wins: the second replaces the first);
4. what we are about to write is recorded in ``banner_writes`` *before* the call, so a crash
   between the call and the record leaves a status we still recognise as ours; setting the
   same status twice changes nothing, and a status already equal to the wanted one is not
   written again — the executor is exactly-once in effect.

:func:`clear_expired_banners` (hourly) clears banners we wrote that are past their expiry and
still on the profile, for clients that ignore ``status_expiration``; a status the member has
changed since is left alone.  Both are idempotent.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from saleshome.config import Settings
from saleshome.errors import ConfigurationError
from saleshome.publish.publisher import web_client
from saleshome.slack.errors import SlackErrorFamily, error_code, error_family, slack_error
from saleshome.warehouse.control import ControlDB
from saleshome.warehouse.outbox import OutboxItem, Outcome, claim, record
from saleshome.warehouse.outbox_states import OutboxState

from .celebration import BANNER_KIND

OWN_STATUS = "skipped: the member set their own status"
EXPIRED = "skipped: the 72 hours after the signature were over before the banner could be set"
MAX_ATTEMPTS = 8  # a banner that fails this many times is dead-lettered
ADMIN_TOKEN_HINT = "the admin user token needs users.profile:write and users.profile:read"


@dataclass
class BannerStats:
    set: int = 0  # users.profile.set calls made
    unchanged: int = 0  # the wanted status was already there (a rerun, or an older win under a newer one)
    skipped: int = 0  # the member's own status, or too late
    failed: int = 0  # Slack refused for good (dead-lettered with its reason)
    retried: int = 0  # transient failures left for a later run
    reasons: dict[str, int] = field(default_factory=dict)


@dataclass
class HousekeepingStats:
    checked: int = 0  # members with an expired banner of ours not yet cleared
    cleared: int = 0  # statuses cleared (ours, past expiry, still shown)
    gone: int = 0  # already gone (Slack honoured the expiry, or the member changed it)
    kept: int = 0  # a later banner of ours, still valid, is shown: left as it is


def admin_client(settings: Settings, token: str | None = None) -> WebClient:
    """A WebClient with the admin user token (``SALESHOME_SLACK_ADMIN_TOKEN``), retrying 429s."""
    secret = token or (settings.slack_admin_token.get_secret_value() if settings.slack_admin_token else None)
    if not secret:
        raise ConfigurationError(
            "no Slack admin token: celebration banners cannot be set",
            hint="set SALESHOME_SLACK_ADMIN_TOKEN to a user token (xoxp-…) of a workspace owner or admin with "
                 "users.profile:write and users.profile:read",
        )
    client, _ = web_client(secret, base_url=settings.slack_api_url)
    return client


Status = tuple[str, str, int]  # text, emoji, expiration (Unix time; 0 = none)


def _current(client: WebClient, user: str) -> Status:
    profile: dict[str, Any] = client.users_profile_get(user=user)["profile"]
    return (str(profile.get("status_text") or ""), str(profile.get("status_emoji") or ""),
            int(profile.get("status_expiration") or 0))


def _ours(control: ControlDB, user: str, status: Status) -> bool:
    rows = control.rows(
        "SELECT 1 FROM banner_writes WHERE user_id = ? AND status_text = ? AND status_emoji = ? "
        "AND status_expiration = ?", [user, *status],
    )
    return bool(rows)


def _raise_auth_problem(exc: SlackApiError) -> None:
    """Raise the configuration error of an AUTH answer (the admin token: every banner would fail alike)."""
    if error_family(error_code(exc)) is SlackErrorFamily.AUTH:
        raise slack_error(exc, "the admin token", hint=ADMIN_TOKEN_HINT) from None


# ---------------------------------------------------------------------------------------- apply
def apply_banners(
    control: ControlDB, settings: Settings, now: datetime | None = None, *, token: str | None = None,
    client: WebClient | None = None, batch_size: int = 100, backoff: float = 30.0,
) -> BannerStats:
    """Set the queued banners (``banner`` outbox items) on members' profiles; see the module docstring."""
    client = client or admin_client(settings, token)
    stats = BannerStats()
    while True:
        moment = (now or datetime.now(UTC)).astimezone(UTC)
        items = claim(control, limit=batch_size, now=moment, kinds=(BANNER_KIND,))
        if not items:
            break
        outcomes: list[Outcome] = []
        try:
            for item in items:
                outcomes.append(_apply_one(control, client, item, moment, stats, backoff))
        finally:
            done = {o.key for o in outcomes}
            record(control, [*outcomes, *(Outcome(i.key, OutboxState.PENDING) for i in items if i.key not in done)])
        if all(o.retry_at is not None for o in outcomes):
            break  # nothing could progress now: leave it to the next run
    return stats


def _celebration(control: ControlDB, key: str) -> dict[str, Any] | None:
    rows = control.rows("SELECT * FROM celebrations WHERE banner_key = ?", [key])
    return rows[0] if rows else None


def _mark(control: ControlDB, key: str, state: str, reason: str | None) -> None:
    with control.transaction() as db:
        db.execute("UPDATE celebrations SET banner_state = ?, banner_reason = ? WHERE banner_key = ?",
                   [state, reason, key])


def _wanted(control: ControlDB, user: str, key: str, now: datetime) -> Status | None:
    """The member's latest banner-worthy win (text, emoji) with the latest expiry of them all."""
    with control.reading() as db:
        wins = "FROM celebrations WHERE slack_user_id = ? AND expires_at > ? AND (banner_state = 'set' OR banner_key = ?)"
        until = db.execute(f"SELECT max(expires_at) AS until {wins}", [user, now, key],
                           kinds={"until": "timestamp"}).fetchall()[0][0]
        latest = db.rows(f"SELECT status_text AS text, status_emoji AS emoji {wins} ORDER BY signed_at DESC LIMIT 1",
                         [user, now, key])
    if until is None or not latest:
        return None
    row = {**latest[0], "until": until}
    return str(row["text"]), str(row["emoji"]), int(row["until"].timestamp())


def _apply_one(
    control: ControlDB, client: WebClient, item: OutboxItem, now: datetime, stats: BannerStats, backoff: float,
) -> Outcome:
    celebration = _celebration(control, item.key)
    if celebration is None or not celebration["slack_user_id"]:
        stats.failed += 1
        return Outcome(item.key, OutboxState.DEAD, error="no celebration for this banner")
    user = str(celebration["slack_user_id"])
    channel = item.channel
    wanted = _wanted(control, user, item.key, now)
    if celebration["expires_at"] <= now or wanted is None:
        return _skip(control, item, EXPIRED, stats)
    try:
        current = _current(client, user)
        free = not current[0] and not current[1]
        if not free and current != wanted and not _ours(control, user, current):
            return _skip(control, item, OWN_STATUS, stats)
        if current == wanted:
            stats.unchanged += 1
        else:
            with control.transaction() as db:  # remembered before the call: a crash cannot make it "theirs"
                db.execute("INSERT INTO banner_writes VALUES (?, ?, ?, ?, ?, NULL) ON CONFLICT DO NOTHING",
                           [user, *wanted, now])
            client.users_profile_set(user=user, profile={
                "status_text": wanted[0], "status_emoji": wanted[1], "status_expiration": wanted[2]})
            stats.set += 1
    except SlackApiError as exc:
        _raise_auth_problem(exc)
        error = error_code(exc)
        if error_family(error) is SlackErrorFamily.PERMANENT or item.attempts + 1 >= MAX_ATTEMPTS:
            stats.failed += 1
            stats.reasons[error] = stats.reasons.get(error, 0) + 1
            _mark(control, item.key, "failed", error)
            return Outcome(item.key, OutboxState.DEAD, error=error)
        return _retry(item, error, stats, backoff)
    except Exception as exc:  # connection dropped, timeout: setting a status again is harmless
        if item.attempts + 1 >= MAX_ATTEMPTS:
            stats.failed += 1
            _mark(control, item.key, "failed", type(exc).__name__)
            return Outcome(item.key, OutboxState.DEAD, error=f"gave up after {MAX_ATTEMPTS} attempts: {type(exc).__name__}")
        return _retry(item, type(exc).__name__, stats, backoff)
    _mark(control, item.key, "set", None)
    return Outcome(item.key, OutboxState.SENT, channel=channel)


def _skip(control: ControlDB, item: OutboxItem, reason: str, stats: BannerStats) -> Outcome:
    stats.skipped += 1
    stats.reasons[reason] = stats.reasons.get(reason, 0) + 1
    _mark(control, item.key, "skipped", reason)
    return Outcome(item.key, OutboxState.BLOCKED, error=reason)


def _retry(item: OutboxItem, error: str, stats: BannerStats, backoff: float) -> Outcome:
    stats.retried += 1
    delay = backoff * (2 ** item.attempts) * (0.5 + random.random())
    return Outcome(item.key, OutboxState.PENDING, error=error, retry_at=datetime.now(UTC) + timedelta(seconds=delay))


# ---------------------------------------------------------------------------------------- housekeeping
def clear_expired_banners(
    control: ControlDB, settings: Settings, now: datetime | None = None, *, token: str | None = None,
    client: WebClient | None = None,
) -> HousekeepingStats:
    """Clear the banners we set that are past their expiry and still shown (idempotent; run hourly)."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    epoch = int(moment.timestamp())
    users = [r["user_id"] for r in control.rows(
        "SELECT DISTINCT user_id FROM banner_writes WHERE cleared_at IS NULL AND status_expiration <= ? "
        "ORDER BY user_id", [epoch])]
    stats = HousekeepingStats()
    if not users:
        return stats
    client = client or admin_client(settings, token)
    for user in users:
        stats.checked += 1
        try:
            current = _current(client, user)
            ours = bool(current[0] or current[1]) and _ours(control, user, current)
            if ours and 0 < current[2] <= epoch:
                client.users_profile_set(user=user, profile={"status_text": "", "status_emoji": "",
                                                             "status_expiration": 0})
                stats.cleared += 1
            elif ours:
                stats.kept += 1
            else:
                stats.gone += 1
        except SlackApiError as exc:
            _raise_auth_problem(exc)
            if error_family(error_code(exc)) is not SlackErrorFamily.PERMANENT:
                continue  # try again at the next run
            stats.gone += 1  # the member is gone or out of reach: nothing of ours to clear
        _cleared(control, [user], epoch, moment)
    return stats


def _cleared(control: ControlDB, users: Sequence[str], epoch: int, moment: datetime) -> None:
    with control.transaction() as db:
        for user in users:
            db.execute("UPDATE banner_writes SET cleared_at = ? WHERE user_id = ? AND cleared_at IS NULL "
                       "AND status_expiration <= ?", [moment, user, epoch])
