"""The detection query on a hand-made org database (no sandbox): triggers, signature, windows, fallbacks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from saleshome.celebrate.detect import detect_wins
from saleshome.warehouse.watermarks import ChangeRange, Step

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
            applied_at TIMESTAMPTZ,
            -- here run rN committed at position N (see `run`)
            commit_seq BIGINT GENERATED ALWAYS AS (CAST(substr(run_id, 2) AS BIGINT)) VIRTUAL);
    """)
    conn.execute("INSERT INTO sf.\"User\" VALUES (?, 'Ana Silva', true), (?, 'Out Sider', true)", [OWNER, OUTSIDER])
    conn.execute("INSERT INTO sf.\"PermissionSetAssignment\" VALUES ('0Pa1', ?, 'Slack_Sales_Home_User')", [OWNER])
    yield conn
    conn.close()


def run(name: str) -> ChangeRange:
    """The changes of run ``rN`` alone: commit position N."""
    position = int(name[1:])
    return ChangeRange(Step.CELEBRATIONS, "test", position - 1, position, name)


def _opportunity(
    db: duckdb.DuckDBPyConnection, oid: str, stage: str, won: bool, modstamp: datetime, owner: str = OWNER
) -> None:
    db.execute(
        "INSERT INTO sf.\"Opportunity\" VALUES (?, ?, ?, ?, false, 1000, DATE '2025-06-30', ?, ?)",
        [oid, f"Deal {oid}", stage, won, owner, modstamp],
    )


def _history(db: duckdb.DuckDBPyConnection, oid: str, rows: list[tuple[str, datetime]], run: str | None = None) -> None:
    for i, (stage, at) in enumerate(rows):
        hid = f"008{oid}{i}"
        db.execute('INSERT INTO sf."OpportunityHistory" VALUES (?, ?, ?, ?, false)', [hid, oid, stage, at])
        if run is not None:
            db.execute(
                "INSERT INTO change_log VALUES (?, 'OpportunityHistory', ?, ?, 'insert', NULL, NULL, NULL, false, ?)",
                [run, hid, at, at],
            )


def _change(
    db: duckdb.DuckDBPyConnection,
    run: str,
    oid: str,
    field: str,
    old: str,
    new: str,
    at: datetime,
    initial: bool = False,
) -> None:
    db.execute(
        "INSERT INTO change_log VALUES (?, 'Opportunity', ?, ?, 'update', ?, ?, ?, ?, ?)",
        [run, oid, at, field, old, new, initial, at],
    )


def test_is_won_transition_signed_at_the_history_row(db: duckdb.DuckDBPyConnection) -> None:
    _opportunity(db, "006A", "Closed Won", True, T0 + timedelta(hours=1))  # edited an hour after the win
    _history(
        db,
        "006A",
        [("Prospecting", T0 - timedelta(days=9)), ("Closed Won", T0), ("Closed Won", T0 + timedelta(hours=1))],
    )
    _change(db, "r1", "006A", "IsWon", "false", "true", T0 + timedelta(hours=1))
    _opportunity(db, "006B", "Closed Won", True, T0, owner=OUTSIDER)
    _change(db, "r1", "006B", "IsWon", "false", "true", T0)
    _opportunity(db, "006C", "Closed Won", True, T0)
    _change(db, "r1", "006C", "IsWon", "false", "true", T0, initial=True)  # an initial sync: silent
    rows = {r["opportunity_id"]: r for r in detect_wins(db, run("r1"), won_stage=None, now=T0 + timedelta(hours=2))}
    assert set(rows) == {"006A", "006B"}
    assert rows["006A"]["signed_at"] == T0 and rows["006A"]["from_history"] and rows["006A"]["is_member"]
    assert rows["006A"]["owner_name"] == "Ana Silva" and rows["006A"]["currency"] == "USD"
    assert not rows["006B"]["is_member"] and not rows["006B"]["from_history"]  # no history: SystemModstamp


def test_a_custom_stage_and_the_window(db: duckdb.DuckDBPyConnection) -> None:
    _opportunity(db, "006A", "Contract Signed", False, T0)
    _history(db, "006A", [("Negotiation/Review", T0 - timedelta(days=1)), ("Contract Signed", T0)], run="r1")
    _change(db, "r1", "006A", "StageName", "Negotiation/Review", "Contract Signed", T0)
    assert detect_wins(db, run("r1"), won_stage=None, now=T0) == []  # IsWon is still false
    [row] = detect_wins(db, run("r1"), won_stage="Contract Signed", now=T0 + timedelta(hours=72) - timedelta(seconds=1))
    assert row["in_window"] and row["signed_at"] == T0
    [row] = detect_wins(db, run("r1"), won_stage="Contract Signed", now=T0 + timedelta(hours=72))
    assert not row["in_window"]


def test_rewon_between_two_syncs_is_found_through_the_history(db: duckdb.DuckDBPyConnection) -> None:
    # Won (celebrated earlier), re-opened and won again before the next sync: the opportunity looks unchanged.
    _opportunity(db, "006A", "Closed Won", True, T0)
    _history(db, "006A", [("Prospecting", T0 - timedelta(days=10)), ("Closed Won", T0 - timedelta(days=4))])
    db.execute(
        "INSERT INTO sf.\"OpportunityHistory\" VALUES ('008x1', '006A', 'Negotiation/Review', ?, false), "
        "('008x2', '006A', 'Closed Won', ?, false)",
        [T0 - timedelta(hours=1), T0],
    )
    db.execute(
        "INSERT INTO change_log VALUES ('r2', 'OpportunityHistory', '008x1', ?, 'insert', NULL, NULL, NULL, "
        "false, ?), ('r2', 'OpportunityHistory', '008x2', ?, 'insert', NULL, NULL, NULL, false, ?)",
        [T0, T0, T0, T0],
    )
    [row] = detect_wins(db, run("r2"), won_stage=None, now=T0)
    assert row["signed_at"] == T0 and row["previous_win_at"] == T0 - timedelta(days=4)
    assert not row["rewon_too_soon"]
    # An amount edit of a won deal adds a history row in the won stage: not a win.
    db.execute(
        "INSERT INTO sf.\"OpportunityHistory\" VALUES ('008x3', '006A', 'Closed Won', ?, false)",
        [T0 + timedelta(hours=1)],
    )
    db.execute(
        "INSERT INTO change_log VALUES ('r3', 'OpportunityHistory', '008x3', ?, 'insert', NULL, NULL, NULL, false, ?)",
        [T0, T0],
    )
    assert detect_wins(db, run("r3"), won_stage=None, now=T0) == []


def _insert(db: duckdb.DuckDBPyConnection, run: str, oid: str, at: datetime, initial: bool = False) -> None:
    """The change-log row of a record new to us (the sync logs inserts with no field)."""
    db.execute(
        "INSERT INTO change_log VALUES (?, 'Opportunity', ?, ?, 'insert', NULL, NULL, NULL, ?, ?)",
        [run, oid, at, initial, at],
    )


def test_an_opportunity_new_to_us_counts_once_when_it_is_already_won(db: duckdb.DuckDBPyConnection) -> None:
    # Created already won: one history row, in the won stage from the start.
    _opportunity(db, "006A", "Closed Won", True, T0)
    _history(db, "006A", [("Closed Won", T0)], run="r1")
    _insert(db, "r1", "006A", T0)
    # Created and won between two syncs, then edited: the insert and both history rows are in the run.
    _opportunity(db, "006B", "Closed Won", True, T0 + timedelta(hours=2))
    _history(db, "006B", [("Prospecting", T0 - timedelta(hours=3)), ("Closed Won", T0 + timedelta(hours=1))], run="r1")
    _insert(db, "r1", "006B", T0 + timedelta(hours=2))
    # Created won, its history not synced (yet): the insert alone, signed at the change's modstamp.
    _opportunity(db, "006F", "Closed Won", True, T0 + timedelta(hours=1))
    _insert(db, "r1", "006F", T0 + timedelta(minutes=10))
    # New and not won (an open deal with its history, and one without any): nothing.
    _opportunity(db, "006C", "Prospecting", False, T0)
    _history(db, "006C", [("Prospecting", T0)], run="r1")
    _insert(db, "r1", "006C", T0)
    _opportunity(db, "006D", "Negotiation/Review", False, T0)
    _insert(db, "r1", "006D", T0)
    # New and won, but logged by an initial sync: silent.
    _opportunity(db, "006E", "Closed Won", True, T0)
    _insert(db, "r1", "006E", T0, initial=True)
    rows = detect_wins(db, run("r1"), won_stage=None, now=T0 + timedelta(hours=3))
    assert [r["opportunity_id"] for r in rows] == ["006A", "006F", "006B"]  # one row each, by signature
    by_id = {r["opportunity_id"]: r for r in rows}
    assert by_id["006A"]["signed_at"] == T0 and by_id["006A"]["from_history"]
    assert by_id["006B"]["signed_at"] == T0 + timedelta(hours=1)  # the history row, not the later edit
    assert by_id["006F"]["signed_at"] == T0 + timedelta(minutes=10) and not by_id["006F"]["from_history"]
    assert all(r["in_window"] and not r["rewon_too_soon"] and r["is_member"] for r in rows)
    assert all(r["previous_win_at"] is None for r in rows)
    # The next run re-reads nothing of it: no new win.
    assert detect_wins(db, run("r2"), won_stage=None, now=T0 + timedelta(hours=3)) == []


def test_an_opportunity_new_to_us_in_a_custom_won_stage(db: duckdb.DuckDBPyConnection) -> None:
    _opportunity(db, "006A", "Contract Signed", False, T0)
    _history(db, "006A", [("Contract Signed", T0)], run="r1")
    _insert(db, "r1", "006A", T0)
    assert detect_wins(db, run("r1"), won_stage=None, now=T0) == []  # IsWon is false
    [row] = detect_wins(db, run("r1"), won_stage="Contract Signed", now=T0)
    assert row["opportunity_id"] == "006A" and row["signed_at"] == T0


def test_without_opportunity_history_the_changes_modstamp_is_the_signature(db: duckdb.DuckDBPyConnection) -> None:
    db.execute('DROP TABLE sf."OpportunityHistory"')  # not synced in this org
    # Won at T0 (the change's SystemModstamp), edited an hour later (the opportunity's SystemModstamp now).
    _opportunity(db, "006A", "Closed Won", True, T0 + timedelta(hours=1))
    _change(db, "r1", "006A", "IsWon", "false", "true", T0)
    # Created already won, also edited later.
    _opportunity(db, "006B", "Closed Won", True, T0 + timedelta(hours=2))
    _insert(db, "r1", "006B", T0 + timedelta(minutes=30))
    # Created open: nothing; an edit that is not the won transition: nothing.
    _opportunity(db, "006C", "Prospecting", False, T0)
    _insert(db, "r1", "006C", T0)
    _opportunity(db, "006D", "Closed Won", True, T0)
    _change(db, "r1", "006D", "Amount", "10", "20", T0)
    rows = {r["opportunity_id"]: r for r in detect_wins(db, run("r1"), won_stage=None, now=T0 + timedelta(hours=2))}
    assert set(rows) == {"006A", "006B"}
    assert rows["006A"]["signed_at"] == T0 and rows["006B"]["signed_at"] == T0 + timedelta(minutes=30)
    assert not any(r["from_history"] for r in rows.values())
    assert all(r["previous_win_at"] is None and not r["rewon_too_soon"] for r in rows.values())
    # The window runs from the change's modstamp too: 72 h after T0, 006A is over, 006B is not.
    late = {
        r["opportunity_id"]: r["in_window"] for r in detect_wins(db, run("r1"), won_stage=None, now=T0 + timedelta(hours=72))
    }
    assert late == {"006A": False, "006B": True}


def test_the_rewin_gap_runs_from_the_previous_entry_even_one_not_celebrated(db: duckdb.DuckDBPyConnection) -> None:
    # Won 4 days ago (celebrated), re-opened and won again 2 days ago (too soon: not celebrated),
    # re-opened and won again now: 4 days after the last celebration, but 2 days after the previous entry.
    _opportunity(db, "006A", "Closed Won", True, T0)
    _history(
        db,
        "006A",
        [
            ("Prospecting", T0 - timedelta(days=10)),
            ("Closed Won", T0 - timedelta(days=4)),
            ("Negotiation/Review", T0 - timedelta(days=3)),
            ("Closed Won", T0 - timedelta(days=2)),
            ("Negotiation/Review", T0 - timedelta(hours=1)),
        ],
    )
    db.execute("INSERT INTO sf.\"OpportunityHistory\" VALUES ('008y', '006A', 'Closed Won', ?, false)", [T0])
    db.execute(
        "INSERT INTO change_log VALUES ('r1', 'OpportunityHistory', '008y', ?, 'insert', NULL, NULL, NULL, false, ?)",
        [T0, T0],
    )
    _change(db, "r1", "006A", "IsWon", "false", "true", T0)
    [row] = detect_wins(db, run("r1"), won_stage=None, now=T0)
    assert row["previous_win_at"] == T0 - timedelta(days=2) and row["rewon_too_soon"]
    # Just over three days after that entry, the next win counts.
    db.execute(
        "INSERT INTO sf.\"OpportunityHistory\" VALUES ('008z1', '006A', 'Negotiation/Review', ?, false), "
        "('008z2', '006A', 'Closed Won', ?, false)",
        [T0 + timedelta(hours=1), T0 + timedelta(days=3, seconds=1)],
    )
    db.execute(
        "INSERT INTO change_log VALUES ('r2', 'OpportunityHistory', '008z2', ?, 'insert', NULL, NULL, NULL, false, ?)",
        [T0, T0],
    )
    db.execute('UPDATE sf."Opportunity" SET "SystemModstamp" = ?', [T0 + timedelta(days=3, seconds=1)])
    [row] = detect_wins(db, run("r2"), won_stage=None, now=T0 + timedelta(days=3, seconds=2))
    assert row["previous_win_at"] == T0 and not row["rewon_too_soon"]
