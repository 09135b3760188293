"""One dead-letter table: the rows every view shows (status, housekeeping, the Prefect report), from a real outbox."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Console

from saleshome.operations.dead_letters import DEAD_LETTER_COLUMNS, RETRY_HINT, dead_letter_listing, dead_letter_rows
from saleshome.warehouse.control import ControlDB
from saleshome.warehouse.outbox import OutboxMessage, Outcome, claim, dead_letters, enqueue, idempotency_key, record


def test_dead_and_blocked_items_become_the_same_rows_everywhere(control_url: str) -> None:
    control = ControlDB(control_url)
    keys = [idempotency_key("dead-letter", i) for i in range(3)]
    with control.transaction() as db:
        enqueue(db, [OutboxMessage(keys[0], "notification", "C0ARCHIVED", "a"),
                     OutboxMessage(keys[1], "digest", "U0GONE", "b"),
                     OutboxMessage(keys[2], "celebration", "C0SALES", "c")])
    claim(control, limit=3, now=datetime.now(UTC))
    record(control, [Outcome(keys[0], "dead", error="is_archived"), Outcome(keys[1], "blocked", error=None),
                     Outcome(keys[2], "sent", channel="C0SALES", ts="1.0")])

    rows = dead_letter_rows(dead_letters(control))
    assert [tuple(r) for r in rows] == [DEAD_LETTER_COLUMNS] * 2
    assert [(r["key"], r["kind"], r["channel"], r["state"], r["reason"], r["attempts"]) for r in rows] == [
        (keys[1], "digest", "U0GONE", "blocked", "", 1),  # newest first; no reason reads as empty, never None
        (keys[0], "notification", "C0ARCHIVED", "dead", "is_archived", 1),
    ]
    assert all(datetime.fromisoformat(r["queued"]).tzinfo is not None for r in rows)

    console = Console(width=160, record=True)
    console.print(dead_letter_listing(f"2 dead letters; {RETRY_HINT}", dead_letters(control), width=160))
    text = console.export_text()
    assert "2 dead letters; fix the cause, then `saleshome outbox retry KEY`" in text
    assert "is_archived" in text and keys[0] in text and keys[1] in text and keys[2] not in text
    assert "queued" not in text  # a terminal shows the first six columns
