"""Upgrading a home the last DuckDB release left (issue 18 §3): its ``control.duckdb`` moves into the control
store on first use or with ``saleshome migrate`` — every row with equal values, row counts checked, the old file
kept as ``control.duckdb.migrated`` — and the moved home works; a failed move changes nothing.

The old home is made by that release's DDL (tests/fixtures/legacy_home.py); no sandbox is needed.  The moves run on
SQLite (the default) and once into a PostgreSQL store (the `postgres_server` fixture).
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import sqlite3
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import psycopg
import pytest
import yaml

from saleshome.config import Settings, load_settings
from saleshome.errors import ConfigurationError
from saleshome.settings.audit import record_change
from saleshome.warehouse.control import ControlDB, close_all, control_db
from saleshome.warehouse.control_tables import METADATA
from saleshome.warehouse.outbox import OutboxMessage, claim, enqueue
from tests.fixtures.cli import Cli
from tests.fixtures.legacy_home import ALIAS, Rows, as_instants, write_legacy_home
from tests.fixtures.postgres import PostgresServer

# Tables added after the last release with a DuckDB control file (revisions 0003: the Slack app's, 0004:
# approved members, and 0005: edits from Slack): it had none to move.
SINCE_DUCKDB = {"app_events", "oauth_states", "member_connections", "member_notices", "approved_members",
                "edit_claims", "record_edits"}
TABLES = [table.name for table in METADATA.sorted_tables if table.name not in SINCE_DUCKDB]


@pytest.fixture()
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("SALESHOME_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("SALESHOME_DATABASE_URL", raising=False)
    yield load_settings()
    close_all()  # the pooled connections of this home's store


@pytest.fixture()
def legacy(settings: Settings) -> Rows:
    """The home as the last DuckDB release left it; the rows its control.duckdb holds."""
    return write_legacy_home(settings.home)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def stored(control: ControlDB, table: str) -> list[dict[str, object]]:
    return control.rows(f"SELECT * FROM {table}")


def moved_rows(control: ControlDB, table: str, old: list[dict[str, object]]) -> list[dict[str, object]]:
    """``table``'s rows in the store, with the columns the old release had; the columns added since (e.g. the
    outbox's claims) are empty on every moved row."""
    columns = set(old[0])
    rows = stored(control, table)
    assert all(row[k] is None for row in rows for k in set(row) - columns), table
    return [{k: v for k, v in row.items() if k in columns} for row in rows]


def canonical(rows: list[dict[str, object]]) -> list[tuple[tuple[str, object], ...]]:
    """Rows as comparable, order-free values (timestamps as instants in UTC)."""
    return sorted((tuple(sorted((k, as_instants(v)) for k, v in row.items())) for row in rows), key=repr)


def test_first_use_moves_every_row_with_equal_values_and_keeps_the_old_file_as_a_backup(
    settings: Settings, legacy: Rows, caplog: pytest.LogCaptureFixture
) -> None:
    assert set(legacy) == set(TABLES)  # a representative row in every control table
    assert all(legacy.values())
    old = settings.home / "control.duckdb"
    before = digest(old)

    control = control_db(settings)
    with caplog.at_level(logging.WARNING, logger="saleshome.warehouse.control"):
        moved = control.migrate()

    assert moved is not None
    assert moved.tables == {table: len(legacy[table]) for table in TABLES}
    assert moved.rows == sum(len(rows) for rows in legacy.values())
    backup = settings.home / "control.duckdb.migrated"
    assert moved.backup == backup
    assert not old.exists() and digest(backup) == before  # kept as it was, under its new name
    assert "control.duckdb.migrated" in caplog.text and f"{moved.rows} rows" in caplog.text

    for name in TABLES:
        assert canonical(moved_rows(control, name, legacy[name])) == canonical(legacy[name]), name
    for table in METADATA.sorted_tables:  # the kinds of value read back as the code expects them
        for row in stored(control, table.name):
            for column in table.columns:
                value = row[column.name]
                if value is None:
                    continue
                if column.type.python_type is datetime:
                    assert isinstance(value, datetime) and value.utcoffset() == timedelta(0), (table.name, column.name)
                elif column.type.python_type is bool:
                    assert type(value) is bool, (table.name, column.name)
    orgs = {r["alias"]: r for r in stored(control, "orgs")}
    assert orgs[ALIAS]["objects"] == ["Account", "Opportunity", "OpportunityHistory"] and orgs["beta"]["objects"] is None
    assert orgs[ALIAS]["is_sandbox"] is False and orgs["beta"]["is_sandbox"] is True
    assert orgs[ALIAS]["created_at"] == datetime(2026, 11, 1, 7, 0, 7, 123456, tzinfo=UTC)  # 09:00:07 at +02:00

    store = settings.home / "control.sqlite"
    for path in (store, store.with_name("control.sqlite-wal"), store.with_name("control.sqlite-shm")):
        assert path.is_file(), path
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_the_moved_outbox_and_audit_keep_their_seq_and_new_rows_come_after(settings: Settings, legacy: Rows) -> None:
    control = control_db(settings)
    outbox_seq = {r["key"]: r["seq"] for r in legacy["outbox"]}
    assert min(outbox_seq.values()) > 1  # the old sequence had gaps: copied as they were, not renumbered
    assert {r["key"]: r["seq"] for r in stored(control, "outbox")} == outbox_seq

    ready = claim(control, limit=10, now=datetime.now(UTC))
    assert [item.key for item in ready] == ["k-alpha", "k-mike"]  # in seq order (pending, ready), not key order
    with control.transaction() as db:
        assert enqueue(db, [OutboxMessage("k-new", "notification", "C0SALES", "fifth")]) == 1
        record_change(db, settings.workspace, "U0ADMIN01", "lists", "orgs.acme.lists", None, {"x": 1})
    new_seq = control.rows("SELECT seq FROM outbox WHERE key = 'k-new'")[0]["seq"]
    assert new_seq > max(outbox_seq.values())
    audit = [r["seq"] for r in control.rows("SELECT seq FROM settings_audit ORDER BY changed_at")]
    assert audit[:2] == [r["seq"] for r in legacy["settings_audit"]] and audit[2] > max(audit[:2])


def test_the_moved_home_works_status_and_settings_export_read_it(cli: Cli, settings: Settings, legacy: Rows) -> None:
    status = cli("status")  # the first command after the upgrade: it moves the old file first

    assert status.code == 0, status.text
    assert (settings.home / "control.duckdb.migrated").is_file() and not (settings.home / "control.duckdb").exists()
    assert "acme (00D000000000001AAA, production): ok - API budget left 95,000 of 100,000" in status.out
    assert "2026-11-06 15:30Z incremental crashed" in status.out  # 17:30 at +02:00, shown in UTC
    assert "beta (00D000000000002AAA, sandbox): failed" in status.out and "invalid_grant" in status.out
    assert "INVALID_FIELD: no such column" in status.out  # the object state of Account
    assert "Outbox: 1 dead, 2 pending, 1 sent" in status.out
    assert "k-echo" in status.out and "is_archived" in status.out  # the dead letter
    assert "bo@acme.example" in status.out and "channels read fr-FR" in status.out

    export = cli("settings", "export")

    assert export.code == 0, export.text
    document = yaml.safe_load(export.out)
    assert document["locale"] == "fr-FR"
    assert document["restrictions"] == {"channel_types": ["public", "direct"], "include_external": False,
                                        "workspaces": ["T0TEAM001"]}
    assert document["celebrations"] == {"enabled": False, "message": "{owner} won {opportunity} ({amount})",
                                        "channels": ["C0SALES", "C0WINS"]}
    acme = document["orgs"][ALIAS]
    assert acme["lists"] == {"Opportunity": {"default_lists": ["MyOpportunities", "ClosingThisMonth"]},
                             "Account": {"default_lists": ["AllAccounts"]}}  # the org's objects in their order
    assert acme["layouts"] == {"Opportunity": {"fields": ["Name", "StageName", "Amount", "CloseDate"],
                                               "editable": ["StageName", "CloseDate"]}}
    assert acme["won_stage"] == "Closed Won"
    assert acme["notifications"]["new-deals"]["recipients"]["users"] == ["U0MEMBER1"]
    assert "beta" in document["orgs"]


def test_a_failure_mid_copy_leaves_the_old_file_in_place_and_no_half_filled_store(
    cli: Cli, settings: Settings, legacy: Rows
) -> None:
    old = settings.home / "control.duckdb"
    with duckdb.connect(str(old)) as conn:  # the old audit log had no key on seq: a repeated one cannot move
        conn.execute("INSERT INTO settings_audit VALUES (?, 'default', now(), 'U0X', 'lists', 'x', NULL, NULL)",
                     [legacy["settings_audit"][0]["seq"]])
    assert TABLES.index("orgs") < TABLES.index("settings_audit")  # orgs and others are copied before it fails
    before = digest(old)

    with pytest.raises(ConfigurationError, match="settings_audit") as refused:
        control_db(settings).migrate()

    assert "nothing was changed" in refused.value.message
    assert old.is_file() and digest(old) == before
    assert not list(settings.home.glob("control.duckdb.migrated*"))
    with sqlite3.connect(settings.home / "control.sqlite") as store:  # the store's schema rolled back with the rows
        assert store.execute("SELECT name FROM sqlite_master").fetchall() == []

    failed = cli("migrate")

    assert failed.code == 1 and "settings_audit" in failed.err and "Traceback" not in failed.text
    assert old.is_file() and digest(old) == before

    with duckdb.connect(str(old)) as conn:  # the operator removes the repeated entry; the move goes through
        conn.execute("DELETE FROM settings_audit WHERE actor = 'U0X'")
    moved = cli("migrate")

    assert moved.code == 0, moved.text
    assert not old.exists() and (settings.home / "control.duckdb.migrated").is_file()
    assert len(control_db(settings).rows("SELECT * FROM orgs")) == len(legacy["orgs"])


def test_saleshome_migrate_prints_the_rows_moved_per_table_and_the_backup(
    cli: Cli, settings: Settings, legacy: Rows
) -> None:
    result = cli("migrate")

    assert result.code == 0, result.text
    total = sum(len(rows) for rows in legacy.values())
    assert f"{total} rows in {len(TABLES)} tables, row counts checked" in result.out
    lines = {line.split("│")[1].strip(): line.split("│")[2].strip() for line in result.out.splitlines()
             if line.count("│") == 3}
    assert lines == {**{t: str(len(legacy[t])) for t in TABLES}, "total": str(total)}
    assert "Moved from control.duckdb" in result.out
    assert "kept as control.duckdb.migrated" in result.out
    assert not (settings.home / "control.duckdb").exists()

    again = cli("migrate")

    assert again.code == 0, again.text
    assert "Nothing to move" in again.out and "control.duckdb.migrated" in again.out
    assert len(control_db(settings).rows("SELECT * FROM outbox")) == len(legacy["outbox"])  # not moved twice


def test_saleshome_migrate_moves_into_an_empty_store_and_refuses_one_that_holds_rows(
    cli: Cli, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    control_db(settings).migrate()  # a store made before the old file came back: it exists, holds no row
    rows = write_legacy_home(settings.home)
    close_all()  # a new process: its first use finds both, moves nothing and says so
    with caplog.at_level(logging.WARNING, logger="saleshome.warehouse.control"):
        assert control_db(settings).migrate() is None
    assert "control.duckdb is still in the home" in caplog.text and "saleshome migrate" in caplog.text
    assert (settings.home / "control.duckdb").is_file()

    into_empty = cli("migrate")

    assert into_empty.code == 0, into_empty.text
    assert len(control_db(settings).rows("SELECT * FROM orgs")) == len(rows["orgs"])
    assert (settings.home / "control.duckdb.migrated").is_file()

    write_legacy_home(settings.home)  # another old file, into a store that now holds rows
    old = settings.home / "control.duckdb"
    before = digest(old)

    refused = cli("migrate")

    assert refused.code == 1
    assert "already holds rows" in refused.err and f"{len(rows['orgs'])} in orgs" in refused.err
    assert "nothing was changed" in refused.err
    assert old.is_file() and digest(old) == before
    assert not (settings.home / "control.duckdb.migrated-2").exists()
    assert len(control_db(settings).rows("SELECT * FROM orgs")) == len(rows["orgs"])  # nothing merged


def test_saleshome_migrate_with_nothing_to_move_says_so_and_creates_nothing(cli: Cli, settings: Settings) -> None:
    result = cli("migrate")

    assert result.code == 0, result.text
    assert "Nothing to move" in result.out and "does not exist yet" in result.out
    assert not settings.home.exists()


def test_the_old_files_write_ahead_log_moves_with_it(settings: Settings, legacy: Rows) -> None:
    old = settings.home / "control.duckdb"
    with duckdb.connect(str(old)) as conn:  # a process stopped before its checkpoint: the last rows only in the .wal
        conn.execute("PRAGMA disable_checkpoint_on_shutdown")
        conn.execute("SET checkpoint_threshold = '1GB'")
        conn.execute("INSERT INTO dm_channels VALUES ('T0TEAM001', 'U0LATE', 'D0LATE')")
    assert old.with_name("control.duckdb.wal").is_file()

    moved = control_db(settings).migrate()

    assert moved is not None and moved.tables["dm_channels"] == len(legacy["dm_channels"]) + 1
    assert (settings.home / "control.duckdb.migrated.wal").is_file()
    assert not old.with_name("control.duckdb.wal").exists()
    channels = control_db(settings).rows("SELECT channel_id FROM dm_channels WHERE user_id = 'U0LATE'")
    assert channels == [{"channel_id": "D0LATE"}]
    assert json.loads(control_db(settings).rows("SELECT info FROM conversation_cache")[0]["info"])["id"] == "C0SALES"


def test_the_move_into_a_postgresql_store_keeps_every_row_and_the_sequences_continue(
    postgres_server: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = f"upgrade_{secrets.token_hex(4)}"  # a database of its own: the move needs an empty store
    with psycopg.connect(host=postgres_server.host, port=postgres_server.port, user=postgres_server.user,
                         password=postgres_server.password, dbname=postgres_server.database, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {database}")
    monkeypatch.setenv("SALESHOME_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SALESHOME_DATABASE_URL", postgres_server.url.rsplit("/", 1)[0] + f"/{database}")
    settings = load_settings()
    legacy = write_legacy_home(settings.home)
    try:
        control = control_db(settings)
        moved = control.migrate()

        assert moved is not None and moved.tables == {table: len(legacy[table]) for table in TABLES}
        assert (settings.home / "control.duckdb.migrated").is_file() and not (settings.home / "control.duckdb").exists()
        for name in TABLES:
            assert canonical(moved_rows(control, name, legacy[name])) == canonical(legacy[name]), name
        with control.transaction() as db:  # the serial sequences continue after the copied seq values
            enqueue(db, [OutboxMessage("k-new", "notification", "C0SALES", "fifth")])
            record_change(db, settings.workspace, "U0ADMIN01", "lists", "orgs.acme.lists", None, {"x": 1})
        assert control.rows("SELECT seq FROM outbox WHERE key = 'k-new'")[0]["seq"] > max(
            r["seq"] for r in legacy["outbox"])
        assert control.rows("SELECT max(seq) AS m FROM settings_audit")[0]["m"] > max(
            r["seq"] for r in legacy["settings_audit"])
    finally:
        close_all()
