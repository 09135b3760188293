"""The outbox: every Slack message, keyed by a deterministic idempotency key, in the control database.

States and kinds: :mod:`saleshome.warehouse.outbox_states` (``pending`` → ``sending`` → ``sent`` |
``dead`` | ``blocked``).
:func:`enqueue` takes the caller's open transaction, so messages are written atomically with
the evaluation that produced them; a key already present is ignored (at most once).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from saleshome.errors import ValidationError
from saleshome.warehouse.control import ControlDB, Tx
from saleshome.warehouse.outbox_states import OutboxKind, OutboxState


def idempotency_key(*parts: object) -> str:
    """A short deterministic key from what identifies a message (never personal data in clear)."""
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class OutboxMessage:
    key: str
    kind: str  # an OutboxKind
    channel: str
    text: str
    blocks: list[dict[str, Any]] | None = None
    alias: str | None = None
    team_id: str | None = None


@dataclass(frozen=True)
class OutboxItem:
    key: str
    seq: int
    kind: OutboxKind
    channel: str
    text: str
    blocks: list[dict[str, Any]] | None
    team_id: str | None
    state: OutboxState
    attempts: int
    created_at: datetime

    @staticmethod
    def from_row(row: dict[str, Any]) -> OutboxItem:
        blocks = row["blocks"]
        return OutboxItem(
            key=row["key"], seq=int(row["seq"]), kind=OutboxKind(row["kind"]), channel=row["channel"],
            text=row["text"], blocks=json.loads(blocks) if isinstance(blocks, str) else blocks, team_id=row["team_id"],
            state=OutboxState(row["state"]), attempts=int(row["attempts"]), created_at=row["created_at"],
        )


def enqueue(db: Tx, messages: Sequence[OutboxMessage]) -> int:
    """Add messages inside the caller's transaction; returns how many were new."""
    if not messages:
        return 0
    empty = [m.key for m in messages if not m.text]
    if empty:
        raise ValidationError(f"outbox message {empty[0]} has no plain-text fallback")
    first = list({m.key: m for m in reversed(messages)}.values())[::-1]  # a repeated key: its first message
    before = db.execute("SELECT count(*) FROM outbox").fetchall()[0][0]
    # In the given order (seq, hence each channel's publication order, follows it); a known key is ignored.
    db.executemany(
        "INSERT INTO outbox (key, kind, alias, team_id, channel, text, blocks, created_at, state) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, now(), 'pending') ON CONFLICT (key) DO NOTHING",
        [(m.key, m.kind, m.alias, m.team_id, m.channel, m.text,
          json.dumps(m.blocks) if m.blocks is not None else None) for m in first])
    after = db.execute("SELECT count(*) FROM outbox").fetchall()[0][0]
    return int(after) - int(before)


GAVE_UP = "gave up after"  # how a dead letter's reason starts when retries ran out (see the publisher)

# Kinds drained by their own executor, never posted by the publisher (``banner``: a profile status,
# set by ``saleshome.celebrate.banner``; its channel is ``profile:U…``).
OWN_EXECUTOR_KINDS: tuple[OutboxKind, ...] = (OutboxKind.BANNER,)


def claim(
    control: ControlDB, *, limit: int, now: datetime, exclude: Sequence[str] = (), kinds: Sequence[str] | None = None,
) -> list[OutboxItem]:
    """Mark up to ``limit`` ready items ``sending`` (one transaction) and return them in order.

    A claim is not an attempt: ``attempts`` counts written outcomes (:func:`record`), so runs that
    crashed or were killed before trying an item do not bring it closer to the dead letters.

    ``exclude``: keys this publisher already holds (claimed, outcome not written yet).
    ``kinds``: only items of these kinds; by default every kind except :data:`OWN_EXECUTOR_KINDS`.
    """
    wanted = list(OWN_EXECUTOR_KINDS) if kinds is None else list(kinds)
    held = list(exclude)
    ready = (
        "SELECT o.seq FROM outbox o "
        "WHERE o.state IN ('pending', 'sending') AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= ?) "
        f"AND o.kind {'NOT IN' if kinds is None else 'IN'} ({_marks(wanted)}) "
        + (f"AND o.key NOT IN ({_marks(held)}) " if held else "")
        # not behind an earlier item of its channel that must wait (per-channel order)
        + "AND NOT EXISTS (SELECT 1 FROM outbox w WHERE w.channel = o.channel AND w.seq < o.seq "
        "  AND w.state IN ('pending', 'sending') AND w.next_attempt_at > ?) "
        "ORDER BY o.seq LIMIT ?"
    )
    with control.transaction() as db:
        if db.dialect == "postgresql":
            ready += " FOR UPDATE OF o SKIP LOCKED"  # another publisher's claim in progress: not waited for
        rows = db.rows(f"UPDATE outbox SET state = 'sending' WHERE seq IN ({ready}) RETURNING *",
                       [now, *wanted, *held, now, limit])
    return sorted((OutboxItem.from_row(r) for r in rows), key=lambda item: item.seq)


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" for _ in values) or "NULL"


@dataclass(frozen=True)
class Outcome:
    key: str
    state: str  # an OutboxState: sent, dead, blocked, sending (transient failure: retry later, after a history check)
    error: str | None = None
    channel: str | None = None
    ts: str | None = None
    retry_at: datetime | None = None
    released: bool = False  # claimed but never tried (its channel had to wait): not counted as an attempt


def record(control: ControlDB, outcomes: Sequence[Outcome]) -> None:
    """Write what happened to claimed items (one transaction)."""
    if not outcomes:
        return
    with control.transaction() as db:
        db.executemany(
            "UPDATE outbox SET state = ?, last_error = ?, sent_channel = coalesce(?, sent_channel), "
            "sent_ts = coalesce(?, sent_ts), sent_at = CASE WHEN ? = 'sent' THEN now() ELSE sent_at END, "
            "next_attempt_at = ?, attempts = attempts + ? WHERE key = ?",
            [(o.state, o.error, o.channel, o.ts, o.state, o.retry_at, 0 if o.released else 1, o.key)
             for o in outcomes])


def requeue(control: ControlDB, *, key: str | None = None, all_dead: bool = False) -> int:
    """Put a dead-lettered item (or every one) back in the queue; returns how many.

    An item that gave up after repeated failures may have reached Slack on an attempt whose
    answer was lost: it goes back ``sending``, so its channel's history is checked before any
    new post (never twice).  One Slack refused outright goes back ``pending``.
    """
    if (key is None) == (not all_dead):
        raise ValidationError("give either a key or --all-dead")
    with control.transaction() as db:
        where, params = ("state = 'dead'", []) if all_dead else ("key = ? AND state IN ('dead', 'blocked')", [key])
        count = db.execute(f"SELECT count(*) FROM outbox WHERE {where}", params).fetchone()
        db.execute(
            f"UPDATE outbox SET state = CASE WHEN last_error LIKE '{GAVE_UP}%' THEN 'sending' ELSE 'pending' END, "
            f"attempts = 0, next_attempt_at = NULL, last_error = NULL WHERE {where}", params,
        )
    n = int(count[0]) if count else 0
    if key is not None and n == 0:
        raise ValidationError(f"no dead or blocked outbox item with key {key!r}",
                              hint="list them with `saleshome status` or `saleshome outbox list --state dead`")
    return n


def counts(control: ControlDB) -> dict[str, int]:
    rows = control.rows("SELECT state, count(*) AS n FROM outbox GROUP BY state")
    return {r["state"]: int(r["n"]) for r in rows}


def dead_letters(control: ControlDB, limit: int = 50) -> list[dict[str, Any]]:
    return control.rows(
        "SELECT key, kind, channel, state, last_error, attempts, created_at FROM outbox "
        "WHERE state IN ('dead', 'blocked') ORDER BY seq DESC LIMIT ?", [limit],
    )


def queued_by_kind(control: ControlDB, *, ready_at: datetime | None = None) -> dict[str, int]:
    """Items still to deliver (``pending`` or ``sending``), per kind; ``ready_at``: only those due by then."""
    rows = control.rows(
        "SELECT kind, count(*) AS n FROM outbox WHERE state IN ('pending', 'sending') "
        + ("AND (next_attempt_at IS NULL OR next_attempt_at <= ?) " if ready_at else "") + "GROUP BY kind",
        [ready_at] if ready_at else [])
    return {r["kind"]: int(r["n"]) for r in rows}
