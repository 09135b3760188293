"""The detection query on a hand-made org database (no sandbox): triggers, signature, windows, fallbacks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from saleshome.celebrate.detect import detect_wins

T0 = datetime(2025, 6, 30, 12, tzinfo=UTC)
OWNER, OUTSIDER = "005A", "005B"


@pytest.fixture()
def db() -> Iterator[duckdb.DuckDBPyConnection]:
    conn = duckdb.connect()
    conn.execute("""
        CREATE SCHEMA sf;
        CREATE TABLE sf."User" ("Id" VARCHAR, "Name" VARCHAR, "IsActive" BOOLEAN);
        CREATE TABLE sf."PermissionSetAssignment" ("Id" VARCHAR, "AssigneeId" VARCHAR, "PermissionSet.Name" VARCHAR);
        CREATE TABLE sf."Opportunity" ("Id" VARCHAR, "Name" VARCHAR, "StageName" VARCHAR, "IsWon" BOOLEAN,
            "IsDeleted" BOOLEAN, "Amount" DOUBLE, "CloseDate" DATE, "OwnerId" VARCHAR, "SystemModstamp" TIMESTAMPTZ);
        CREATE TABLE sf."OpportunityHistory" ("Id" VARCHAR, "OpportunityId" VARCHAR, "StageName" VARCHAR,
            "CreatedDate" TIMESTAMPTZ, "IsDeleted" BOOLEAN);
        CREATE TABLE change_log (run_id VARCHAR, object VARCHAR, record_id VARCHAR, system_modstamp TIMESTAMPTZ,
            operation VARCHAR, field VARCHAR, old_value VARCHAR, new_value VARCHAR, initial BOOLEAN,
            applied_at TIMESTAMPTZ);
    """)
    conn.execute("INSERT INTO sf.\"User\" VALUES (?, 'Ana Silva', true), (?, 'Out Sider', true)", [OWNER, OUTSIDER])
    conn.execute("INSERT INTO sf.\"PermissionSetAssignment\" VALUES ('0Pa1', ?, 'Slack_Sales_Home_User')", [OWNER])
    yield conn
    conn.close()


def _opportunity(db: duckdb.DuckDBPyConnection, oid: str, stage: str, won: bool, modstamp: datetime,
                 owner: str = OWNER) -> None:
    db.execute("INSERT INTO sf.\"Opportunity\" VALUES (?, ?, ?, ?, false, 1000, DATE '2025-06-30', ?, ?)",
               [oid, f"Deal {oid}", stage, won, owner, modstamp])


def _history(db: duckdb.DuckDBPyConnection, oid: str, rows: list[tuple[str, datetime]], run: str | None = None) -> None:
    for i, (stage, at) in enumerate(rows):
        hid = f"008{oid}{i}"
        db.execute("INSERT INTO sf.\"OpportunityHistory\" VALUES (?, ?, ?, ?, false)", [hid, oid, stage, at])
        if run is not None:
            db.execute("INSERT INTO change_log VALUES (?, 'OpportunityHistory', ?, ?, 'insert', NULL, NULL, NULL, "
                       "false, ?)", [run, hid, at, at])


def _change(db: duckdb.DuckDBPyConnection, run: str, oid: str, field: str, old: str, new: str, at: datetime,
            initial: bool = False) -> None:
    db.execute("INSERT INTO change_log VALUES (?, 'Opportunity', ?, ?, 'update', ?, ?, ?, ?, ?)",
               [run, oid, at, field, old, new, initial, at])


def test_is_won_transition_signed_at_the_history_row(db: duckdb.DuckDBPyConnection) -> None:
    _opportunity(db, "006A", "Closed Won", True, T0 + timedelta(hours=1))  # edited an hour after the win
    _history(db, "006A", [("Prospecting", T0 - timedelta(days=9)), ("Closed Won", T0),
                          ("Closed Won", T0 + timedelta(hours=1))])
    _change(db, "r1", "006A", "IsWon", "false", "true", T0 + timedelta(hours=1))
    _opportunity(db, "006B", "Closed Won", True, T0, owner=OUTSIDER)
    _change(db, "r1", "006B", "IsWon", "false", "true", T0)
    _opportunity(db, "006C", "Closed Won", True, T0)
    _change(db, "r1", "006C", "IsWon", "false", "true", T0, initial=True)  # an initial sync: silent
    rows = {r["opportunity_id"]: r for r in detect_wins(db, "r1", won_stage=None, now=T0 + timedelta(hours=2))}
    assert set(rows) == {"006A", "006B"}
    assert rows["006A"]["signed_at"] == T0 and rows["006A"]["from_history"] and rows["006A"]["is_member"]
    assert rows["006A"]["owner_name"] == "Ana Silva" and rows["006A"]["currency"] == "USD"
    assert not rows["006B"]["is_member"] and not rows["006B"]["from_history"]  # no history: SystemModstamp


def test_a_custom_stage_and_the_window(db: duckdb.DuckDBPyConnection) -> None:
    _opportunity(db, "006A", "Contract Signed", False, T0)
    _history(db, "006A", [("Negotiation/Review", T0 - timedelta(days=1)), ("Contract Signed", T0)], run="r1")
    _change(db, "r1", "006A", "StageName", "Negotiation/Review", "Contract Signed", T0)
    assert detect_wins(db, "r1", won_stage=None, now=T0) == []  # IsWon is still false
    [row] = detect_wins(db, "r1", won_stage="Contract Signed", now=T0 + timedelta(hours=72) - timedelta(seconds=1))
    assert row["in_window"] and row["signed_at"] == T0
    [row] = detect_wins(db, "r1", won_stage="Contract Signed", now=T0 + timedelta(hours=72))
    assert not row["in_window"]


def test_rewon_between_two_syncs_is_found_through_the_history(db: duckdb.DuckDBPyConnection) -> None:
    # Won (celebrated earlier), re-opened and won again before the next sync: the opportunity looks unchanged.
    _opportunity(db, "006A", "Closed Won", True, T0)
    _history(db, "006A", [("Prospecting", T0 - timedelta(days=10)), ("Closed Won", T0 - timedelta(days=4))])
    db.execute("INSERT INTO sf.\"OpportunityHistory\" VALUES ('008x1', '006A', 'Negotiation/Review', ?, false), "
               "('008x2', '006A', 'Closed Won', ?, false)", [T0 - timedelta(hours=1), T0])
    db.execute("INSERT INTO change_log VALUES ('r2', 'OpportunityHistory', '008x1', ?, 'insert', NULL, NULL, NULL, "
               "false, ?), ('r2', 'OpportunityHistory', '008x2', ?, 'insert', NULL, NULL, NULL, false, ?)",
               [T0, T0, T0, T0])
    [row] = detect_wins(db, "r2", won_stage=None, now=T0)
    assert row["signed_at"] == T0 and row["previous_win_at"] == T0 - timedelta(days=4)
    assert not row["rewon_too_soon"]
    # An amount edit of a won deal adds a history row in the won stage: not a win.
    db.execute("INSERT INTO sf.\"OpportunityHistory\" VALUES ('008x3', '006A', 'Closed Won', ?, false)",
               [T0 + timedelta(hours=1)])
    db.execute("INSERT INTO change_log VALUES ('r3', 'OpportunityHistory', '008x3', ?, 'insert', NULL, NULL, NULL, "
               "false, ?)", [T0, T0])
    assert detect_wins(db, "r3", won_stage=None, now=T0) == []
