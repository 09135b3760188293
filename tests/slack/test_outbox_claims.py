"""Outbox claims held by a publisher (:func:`saleshome.warehouse.outbox.claim`), on SQLite and PostgreSQL: another
live claimer's items are skipped, and so are the later items of its channels; a dead claimer's items (lease
passed, or its process gone from this host) are claimed again; a claimer's own earlier items do not hold it back;
an outcome written after the item was taken over is not written; a publisher's drain renews its claims."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.warehouse.control import ControlDB
from saleshome.warehouse.holders import this_host
from saleshome.warehouse.outbox import Claimer, Outcome, claim, free_claims, record, renew
from saleshome.warehouse.outbox_states import OutboxState
from tests.fixtures.outbox import fresh_database, messages_for, publisher, put
from tests.fixtures.postgres import PostgresServer

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def _fill(control: ControlDB) -> None:
    """Channel C1 items 0-4, then C2 items 0-2 (outbox order)."""
    put(control, messages_for("C1", 5) + messages_for("C2", 3))


def _taken(control: ControlDB, claimer: Claimer, limit: int = 100, now: datetime = NOW) -> list[str]:
    return [i.text for i in claim(control, limit=limit, now=now, claimer=claimer)]


def _gone_pid() -> int:
    """The pid of a process of this host that has ended (and been reaped)."""
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    return int(proc.stdout)


def test_another_live_claimers_items_and_the_rest_of_their_channels_are_skipped(store: ControlDB) -> None:
    _fill(store)
    a, b = Claimer.here(), Claimer.here()
    assert _taken(store, a, limit=2) == ["m 0 for C1", "m 1 for C1"]
    # C1 items 2-4 wait behind A's (in flight): B takes C2 only, and nothing of C1 ever twice
    assert _taken(store, b) == ["m 0 for C2", "m 1 for C2", "m 2 for C2"]
    assert _taken(store, b) == []
    held = store.rows("SELECT claimed_by, count(*) AS n FROM outbox WHERE claimed_by IS NOT NULL "
                      "GROUP BY claimed_by ORDER BY n")
    assert held == [{"claimed_by": a.id, "n": 2}, {"claimed_by": b.id, "n": 3}]


def test_a_claimers_own_earlier_items_do_not_hold_back_the_rest_of_its_channel(store: ControlDB) -> None:
    _fill(store)
    a, b = Claimer.here(), Claimer.here()
    first = claim(store, limit=2, now=NOW, claimer=a)
    assert [i.text for i in claim(store, limit=2, now=NOW, claimer=a, exclude=[i.key for i in first])] == [
        "m 2 for C1", "m 3 for C1"]
    record(store, [Outcome(i.key, OutboxState.SENT, ts="1.1") for i in first], claimer=a)
    # A still holds items 2 and 3: B may not send item 4 before them
    assert _taken(store, b) == ["m 0 for C2", "m 1 for C2", "m 2 for C2"]


def test_once_the_earlier_items_are_settled_another_claimer_goes_on_in_order(store: ControlDB) -> None:
    _fill(store)
    a, b = Claimer.here(), Claimer.here()
    items = claim(store, limit=3, now=NOW, claimer=a)
    record(store, [Outcome(items[0].key, OutboxState.SENT, ts="1.1"),
                   Outcome(items[1].key, OutboxState.PENDING, released=True),
                   Outcome(items[2].key, OutboxState.PENDING, released=True)], claimer=a)
    assert _taken(store, b, limit=3) == ["m 1 for C1", "m 2 for C1", "m 3 for C1"]
    assert store.rows("SELECT count(*) AS n FROM outbox WHERE claimed_by = ?", [a.id]) == [{"n": 0}]


def test_a_claim_whose_lease_passed_is_taken_over_and_checked_in_history(store: ControlDB) -> None:
    _fill(store)
    a, b = Claimer.here(lease=timedelta(seconds=30)), Claimer.here()
    assert len(claim(store, limit=5, now=NOW, claimer=a)) == 5
    assert _taken(store, b, now=NOW + timedelta(seconds=29)) == ["m 0 for C2", "m 1 for C2", "m 2 for C2"]
    renew(store, a, now=NOW + timedelta(seconds=20))  # held until 50 s now
    assert _taken(store, b, now=NOW + timedelta(seconds=45)) == []
    again = claim(store, limit=100, now=NOW + timedelta(seconds=51), claimer=b)
    assert [i.text for i in again] == [f"m {n} for C1" for n in range(5)]
    assert {i.state for i in again} == {OutboxState.SENDING}  # it may have reached Slack: looked up first
    # A's late outcome is not written over B's claim; B's is
    record(store, [Outcome(again[0].key, OutboxState.PENDING, error="late", retry_at=NOW)], claimer=a)
    record(store, [Outcome(again[0].key, OutboxState.SENT, ts="2.2")], claimer=b)
    assert store.rows("SELECT state, last_error, sent_ts, claimed_by FROM outbox WHERE key = ?", [again[0].key]) == [
        {"state": "sent", "last_error": None, "sent_ts": "2.2", "claimed_by": None}]


def test_a_claimer_whose_process_is_gone_from_this_host_is_taken_over_at_once(store: ControlDB) -> None:
    _fill(store)
    pid = _gone_pid()
    dead_here = Claimer(this_host(), pid, "gone")
    elsewhere = Claimer(f"{this_host()}-elsewhere", pid, "far")  # another machine: only its lease tells
    assert len(claim(store, limit=5, now=NOW, claimer=elsewhere)) == 5
    assert len(claim(store, limit=5, now=NOW, claimer=dead_here)) == 3
    b, c = Claimer.here(), Claimer.here()
    assert _taken(store, b) == [f"m {n} for C2" for n in range(3)]
    assert _taken(store, c) == []
    later = NOW + elsewhere.lease + timedelta(seconds=1)  # and B's lease passed as well
    assert _taken(store, c, now=later) == [f"m {n} for C1" for n in range(5)] + [f"m {n} for C2" for n in range(3)]


def test_a_drain_that_stops_frees_what_it_holds_and_never_gets_its_own_items_twice(store: ControlDB) -> None:
    _fill(store)
    a, b = Claimer.here(), Claimer.here()
    assert len(claim(store, limit=5, now=NOW, claimer=a)) == 5
    assert _taken(store, a) == ["m 0 for C2", "m 1 for C2", "m 2 for C2"]
    assert _taken(store, a) == []
    assert free_claims(store, a) == 8
    assert _taken(store, b) == [f"m {n} for C1" for n in range(5)] + [f"m {n} for C2" for n in range(3)]


def test_postgresql_a_claim_not_committed_yet_holds_back_the_rest_of_its_channel(
    postgres_server: PostgresServer,
) -> None:
    """READ COMMITTED: another claimer's claim in progress leaves C1's first item looking ``pending`` and free to
    this statement, which SKIP LOCKED passes over; the later items must be dropped all the same.  (PostgreSQL
    only: SQLite runs one claim at a time, BEGIN IMMEDIATE, so no claim is ever seen half done.)"""
    with fresh_database(postgres_server) as url:
        store = ControlDB(url)
        _fill(store)
        other, b = Claimer("elsewhere", 1, "x"), Claimer.here()
        engine = sa.create_engine(url)
        try:
            with engine.connect() as conn, conn.begin():
                conn.execute(sa.text("UPDATE outbox SET state = 'sending', claimed_by = :who, claimed_until = :until "
                                     "WHERE seq = (SELECT min(seq) FROM outbox)"),
                             {"who": other.id, "until": NOW + other.lease})
                assert _taken(store, b) == ["m 0 for C2", "m 1 for C2", "m 2 for C2"]
            assert _taken(store, Claimer.here()) == []  # committed now: C1 is another live claimer's, C2 is B's
        finally:
            engine.dispose()


def test_a_drain_longer_than_its_lease_keeps_its_claims(store: ControlDB, slack: SlackSandbox) -> None:
    """The publisher renews its claims while it drains: another claimer trying all along never gets one of its
    items, though the drain lasts twice its lease."""
    channel = slack.add_channels(1, prefix="long")[0]
    put(store, messages_for(channel, 15))
    pub = publisher(slack, store, channel_interval=0.4, claim_lease=timedelta(seconds=2))
    drain_thread = threading.Thread(target=pub.publish)
    drain_thread.start()
    deadline = time.monotonic() + 30
    while not store.rows("SELECT count(*) AS n FROM outbox WHERE claimed_by IS NOT NULL")[0]["n"]:
        assert drain_thread.is_alive() and time.monotonic() < deadline, "the publisher claimed nothing"
        time.sleep(0.02)
    other, taken, started = Claimer.here(), [], time.monotonic()
    while drain_thread.is_alive() and time.monotonic() < deadline:
        taken += claim(store, limit=100, now=datetime.now(UTC), claimer=other)
        time.sleep(0.1)
    drain_thread.join(timeout=30)
    assert time.monotonic() - started > 2 * 2  # the drain did outlast its lease
    assert taken == []
    assert [m.text for m in slack.messages(channel)] == [f"m {i} for {channel}" for i in range(15)]
