"""The outbox: every Slack message, keyed by a deterministic idempotency key, in the control database.

States and kinds: :mod:`saleshome.warehouse.outbox_states` (``pending`` → ``sending`` → ``sent`` |
``dead`` | ``blocked``).
:func:`enqueue` takes the caller's open transaction, so messages are written atomically with
the evaluation that produced them; a key already present is ignored (at most once).

Several publishers drain it at once (processes on one or several machines): :func:`claim` gives each
item to one :class:`Claimer` at a time (``claimed_by``, under a lease it renews: ``claimed_until``),
and never an item whose channel has an earlier unsettled item held by another, so each channel's
items go out in order whoever sends them.  :func:`record` writes outcomes and frees the items.
A dead claimer's items are claimable again: its lease passed, or it ran on this host and its
process is gone (:mod:`.holders`).  SQLite claims in one ``UPDATE … RETURNING`` under
``BEGIN IMMEDIATE``; PostgreSQL locks candidates ``FOR UPDATE SKIP LOCKED`` then keeps per channel
the prefix that is its own (the one place the backends differ).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from saleshome.errors import ValidationError
from saleshome.warehouse.control import ControlDB, Tx
from saleshome.warehouse.holders import process_alive, this_host
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


CLAIM_LEASE = timedelta(minutes=2)
"""How long a claim holds without renewal.  A publisher renews its claims every quarter of it from a thread of
its own (:func:`renew`), so only a holder that stopped (killed, frozen, its machine lost) lets it pass; on the
holder's host a dead process frees its items at once (:meth:`Claimer.dead_here`).  It must exceed the longest the
renewing thread can be held up (the control store's lock timeout, 60 s by default): two minutes."""


@dataclass(frozen=True)
class Claimer:
    """One publisher (or banner executor) that holds outbox items: its process and a token of its own, so two
    publishers in one process are two claimers.  Stored in ``outbox.claimed_by`` as ``host:pid:token``."""

    host: str
    pid: int
    token: str
    lease: timedelta = CLAIM_LEASE

    @staticmethod
    def here(lease: timedelta = CLAIM_LEASE) -> Claimer:
        """A new claimer for this process."""
        return Claimer(this_host(), os.getpid(), secrets.token_hex(6), lease)

    @property
    def id(self) -> str:
        return f"{self.host}:{self.pid}:{self.token}"

    @staticmethod
    def dead_here(claimed_by: str) -> bool:
        """Whether the claimer named ``claimed_by`` ran on this host and its process is gone."""
        host, pid, _token = [*claimed_by.rsplit(":", 2), "", ""][:3]
        return host == this_host() and pid.isdigit() and not process_alive(int(pid))


def claim(
    control: ControlDB, *, limit: int, now: datetime, exclude: Sequence[str] = (), kinds: Sequence[str] | None = None,
    claimer: Claimer | None = None,
) -> list[OutboxItem]:
    """Mark up to ``limit`` ready items ``sending``, held by ``claimer`` until its lease passes (one transaction),
    and return them in order.

    Claimable: ``pending`` or ``sending``, due, held by no live claimer (this one included: it never gets an
    item twice; dead: its lease passed, or its process is gone from this host), and every earlier unsettled
    item of its channel is this claimer's (held already, or claimed by this same call) — so two publishers
    never send one channel's items out of order, nor one item twice.  An item found ``sending`` may have reached Slack: the caller looks in the channel's history
    before sending it (see :mod:`saleshome.publish.publisher`).

    A claim is not an attempt: ``attempts`` counts written outcomes (:func:`record`), so runs that
    crashed or were killed before trying an item do not bring it closer to the dead letters.

    ``exclude``: keys not to claim (a publisher's held items, whatever their claim says).
    ``kinds``: only items of these kinds; by default every kind except :data:`OWN_EXECUTOR_KINDS`
    (kinds never share a channel: a banner's is ``profile:U…``).
    ``claimer``: who holds them; by default a new one for this call (its items are freed by :func:`record`).
    """
    holder = claimer or Claimer.here()
    until = now + holder.lease
    with control.transaction() as tx:
        dead = [r["claimed_by"] for r in tx.rows(
            "SELECT DISTINCT claimed_by FROM outbox WHERE claimed_by IS NOT NULL AND claimed_until > ? "
            "AND state IN ('pending', 'sending')", [now]) if Claimer.dead_here(r["claimed_by"])]
        ready, params = _ready(tx, holder, now=now, dead=dead, exclude=exclude, kinds=kinds)
        if tx.dialect == "postgresql":
            locked = tx.rows(f"SELECT o.seq, o.channel {ready} ORDER BY o.seq LIMIT ? FOR UPDATE OF o SKIP LOCKED",
                             [*params, limit])
            seqs = _own_prefixes(tx, holder, locked)
            rows = tx.rows(f"UPDATE outbox SET state = 'sending', claimed_by = ?, claimed_until = ? "
                           f"WHERE seq IN ({_marks(seqs)}) RETURNING *", [holder.id, until, *seqs]) if seqs else []
        else:  # one writer at a time (BEGIN IMMEDIATE): what the statement reads stays so until it commits
            rows = tx.rows(f"UPDATE outbox SET state = 'sending', claimed_by = ?, claimed_until = ? "
                           f"WHERE seq IN (SELECT o.seq {ready} ORDER BY o.seq LIMIT ?) RETURNING *",
                           [holder.id, until, *params, limit])
    return sorted((OutboxItem.from_row(r) for r in rows), key=lambda item: item.seq)


def _ready(
    tx: Tx, holder: Claimer, *, now: datetime, dead: list[str], exclude: Sequence[str], kinds: Sequence[str] | None,
) -> tuple[str, list[Any]]:
    """``FROM outbox o WHERE …``: the claimable items (see :func:`claim`), and its parameters.  On PostgreSQL
    another claimer's claim not committed when this statement began is not seen: :func:`_own_prefixes` catches it."""
    def unheld(alias: str) -> str:  # held by no live claimer
        return (f"({alias}.claimed_by IS NULL OR {alias}.claimed_until <= ? "
                f"OR {alias}.claimed_by IN ({tx.elements()}))")
    sql = (
        "FROM outbox o "
        "WHERE o.state IN ('pending', 'sending') AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= ?) "
        f"AND o.kind {'NOT IN' if kinds is None else 'IN'} ({tx.elements()}) AND o.key NOT IN ({tx.elements()}) "
        f"AND {unheld('o')} "
        # per-channel order: no earlier unsettled item of its channel that must wait or that another live claimer holds
        "AND NOT EXISTS (SELECT 1 FROM outbox w WHERE w.channel = o.channel AND w.seq < o.seq "
        f"  AND w.state IN ('pending', 'sending') AND (w.next_attempt_at > ? OR NOT ({unheld('w')} OR w.claimed_by = ?)))"
    )
    wanted = list(OWN_EXECUTOR_KINDS) if kinds is None else list(kinds)
    return sql, [now, wanted, list(exclude), now, dead, now, now, dead, holder.id]


def _own_prefixes(tx: Tx, holder: Claimer, locked: list[dict[str, Any]]) -> list[int]:
    """Of the items this statement locked (PostgreSQL), those whose every earlier unsettled item of their channel
    is locked by it too or held by ``holder`` already: per channel, a prefix.

    READ COMMITTED reads this in a new snapshot: an earlier item another claimer claimed meanwhile shows its
    claim (not ours: the later items are dropped); one it is claiming right now still looks ``pending``, but it
    is not among ours either (SKIP LOCKED passed it over): dropped all the same.
    """
    if not locked:
        return []
    ours = {int(r["seq"]) for r in locked}
    channels = sorted({str(r["channel"]) for r in locked})
    unsettled = tx.rows(
        f"SELECT seq, channel, claimed_by FROM outbox WHERE state IN ('pending', 'sending') AND seq <= ? "
        f"AND channel IN ({tx.elements()}) ORDER BY seq", [max(ours), channels])
    blocked: set[str] = set()
    kept: list[int] = []
    for row in unsettled:
        seq, channel = int(row["seq"]), str(row["channel"])
        if channel in blocked:
            continue
        if seq in ours:
            kept.append(seq)
        elif row["claimed_by"] != holder.id:
            blocked.add(channel)
    return kept


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" for _ in values) or "NULL"


def free_claims(control: ControlDB, claimer: Claimer) -> int:
    """Give up every claim of ``claimer`` (a drain that stops early), leaving the items' states as they are
    (one ``sending`` is still looked up in its channel's history before any send); returns how many."""
    with control.transaction() as tx:
        return tx.execute("UPDATE outbox SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = ?",
                          [claimer.id]).rowcount


def renew(control: ControlDB, claimer: Claimer, *, now: datetime) -> int:
    """Extend ``claimer``'s claims to ``now`` + its lease; returns how many items it holds."""
    with control.transaction() as tx:
        return tx.execute("UPDATE outbox SET claimed_until = ? WHERE claimed_by = ? AND state IN ('pending', 'sending')",
                          [now + claimer.lease, claimer.id]).rowcount


@dataclass(frozen=True)
class Outcome:
    key: str
    state: str  # an OutboxState: sent, dead, blocked, sending (transient failure: retry later, after a history check)
    error: str | None = None
    channel: str | None = None
    ts: str | None = None
    retry_at: datetime | None = None
    released: bool = False  # claimed but never tried (its channel had to wait): not counted as an attempt


def record(control: ControlDB, outcomes: Sequence[Outcome], *, claimer: Claimer | None = None) -> None:
    """Write what happened to claimed items and free them (one transaction).

    ``claimer``: only items it still holds are written — one whose lease passed and that another claimer took
    over is that one's now (it looks in the channel's history before sending, so nothing goes twice).
    """
    if not outcomes:
        return
    fence = " AND claimed_by = ?" if claimer is not None else ""
    with control.transaction() as db:
        db.executemany(
            "UPDATE outbox SET state = ?, last_error = ?, sent_channel = coalesce(?, sent_channel), "
            "sent_ts = coalesce(?, sent_ts), sent_at = CASE WHEN ? = 'sent' THEN now() ELSE sent_at END, "
            "next_attempt_at = ?, attempts = attempts + ?, claimed_by = NULL, claimed_until = NULL "
            f"WHERE key = ?{fence}",
            [(o.state, o.error, o.channel, o.ts, o.state, o.retry_at, 0 if o.released else 1, o.key,
              *([claimer.id] if claimer is not None else [])) for o in outcomes])


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
