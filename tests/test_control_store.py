"""The control store (saleshome.warehouse.control): schema and values on the session's backend (``control_url``:
SQLite, or PostgreSQL under ``--control-backend=postgresql``), locking and files on SQLite."""

from __future__ import annotations

import os
import stat
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from saleshome.errors import RetriableError
from saleshome.warehouse.control import ControlDB, to_pyformat
from saleshome.warehouse.control_schema import head_revision
from saleshome.warehouse.control_tables import HEAD, METADATA, column_kinds


def test_the_revisions_build_exactly_the_schema_the_code_declares(control_url: str) -> None:
    control = ControlDB(control_url)
    with control.transaction() as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]
        assert compare_metadata(MigrationContext.configure(db.conn), METADATA) == []
    assert head_revision() == HEAD


def test_a_column_name_holds_one_kind_of_value_across_tables() -> None:
    seen: dict[str, set[str]] = {}
    for table in METADATA.sorted_tables:
        for column in table.columns:
            kind = column_kinds().get(column.name)
            seen.setdefault(column.name, set()).add(f"{table.name}:{kind}")
    kinds = column_kinds()
    for name, where in seen.items():
        assert {w.split(":")[1] for w in where} == {kinds[name]}, (name, where)
    assert kinds["created_at"] == "timestamp" and kinds["enabled"] == "bool" and kinds["objects"] == "list"
    assert kinds["alias"] == "plain"


def test_values_come_back_as_python_values_and_timestamps_compare_as_time(control_url: str) -> None:
    control = ControlDB(control_url)
    paris = timezone(timedelta(hours=1))
    early = datetime(2026, 3, 1, 10, 0, tzinfo=paris)  # 09:00 UTC
    later = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    with control.transaction() as db:
        for alias, at, objects in (("early", early, ["Account", "Opportunity"]), ("later", later, None)):
            db.execute("INSERT INTO orgs VALUES (?, 'w', '00D', NULL, 'https://i', 'https://l', 'jwt', 'env:X', NULL, "
                       "'62.0', ?, ?, ?, 'new', NULL, NULL)", [alias, alias == "early", objects, at])
    rows = control.rows("SELECT alias, is_sandbox, objects, created_at FROM orgs ORDER BY created_at")
    assert [r["alias"] for r in rows] == ["early", "later"]  # 09:00 UTC before 09:30 UTC, whatever the offset
    assert rows[0]["is_sandbox"] is True and rows[1]["is_sandbox"] is False
    assert rows[0]["objects"] == ["Account", "Opportunity"] and rows[1]["objects"] is None
    assert rows[0]["created_at"] == early and rows[0]["created_at"].tzinfo == UTC
    assert control.rows("SELECT alias FROM orgs WHERE created_at > ?", [datetime(2026, 3, 1, 9, 15, tzinfo=UTC)]) \
        == [{"alias": "later"}]
    last = control.rows("SELECT max(created_at) AS last FROM orgs", kinds={"last": "timestamp"})
    assert last == [{"last": later}]
    naive = datetime(2026, 3, 2, 8, 0)  # taken as UTC
    with control.transaction() as db:
        db.execute("UPDATE orgs SET last_sync_at = ? WHERE alias = 'later'", [naive])
    assert control.rows("SELECT last_sync_at FROM orgs WHERE alias = 'later'")[0]["last_sync_at"] == \
        naive.replace(tzinfo=UTC)


def test_upsert_and_list_parameters(control_url: str) -> None:
    control = ControlDB(control_url)
    now = datetime.now(UTC)
    with control.transaction() as db:
        db.upsert("api_budget", {"alias": "a", "used": 1, "max": 10, "observed_at": now})
        db.upsert("api_budget", {"alias": "a", "used": 2, "max": 10, "observed_at": now})
        db.upsert("api_budget", {"alias": "b", "used": 5, "max": 10, "observed_at": now})
        picked = db.execute(f"SELECT alias, used FROM api_budget WHERE alias IN ({db.elements()}) ORDER BY alias",
                            [["a", "zz", "it's"]]).fetchall()
    assert picked == [("a", 2)]


def test_question_marks_in_quoted_text_are_not_placeholders_and_every_percent_is_doubled() -> None:
    assert to_pyformat("SELECT '?', \"a?\" FROM t WHERE x = ? AND y LIKE 'a%' AND z = ?") == \
        "SELECT '?', \"a?\" FROM t WHERE x = %s AND y LIKE 'a%%' AND z = %s"
    assert to_pyformat("SELECT 100 % 7, 'it''s ?' WHERE a = ?") == "SELECT 100 %% 7, 'it''s ?' WHERE a = %s"


def test_a_writer_waits_for_another_and_readers_never_wait(tmp_path: Path) -> None:
    path = tmp_path / "control.sqlite"
    ControlDB(path).migrate()
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with ControlDB(path).transaction() as db:
            db.execute("INSERT INTO dm_channels VALUES (NULL, 'U1', 'D1')")
            holding.set()
            release.wait(30)

    writer = threading.Thread(target=hold)
    writer.start()
    try:
        assert holding.wait(30)
        assert ControlDB(path).rows("SELECT count(*) AS n FROM dm_channels") == [{"n": 0}]  # not its uncommitted row
        with pytest.raises(RetriableError, match="stayed locked by another writer"), \
                ControlDB(path, timeout=0.2).transaction() as db:
            db.execute("INSERT INTO dm_channels VALUES (NULL, 'U2', 'D2')")
    finally:
        release.set()
        writer.join(30)
    assert ControlDB(path).rows("SELECT user_id FROM dm_channels") == [{"user_id": "U1"}]  # nothing of the refused one


def test_the_store_and_its_journal_files_are_private_whatever_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        home = tmp_path / "home"
        control = ControlDB(home / "control.sqlite")
        with control.transaction() as db:
            db.execute("INSERT INTO dm_channels VALUES (NULL, 'U1', 'D1')")
        with control.reading() as db:
            db.execute("SELECT 1").fetchall()
            files = sorted(p.name for p in home.iterdir())
            modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in home.iterdir()}
    finally:
        os.umask(previous)
    assert files == ["control.sqlite", "control.sqlite-shm", "control.sqlite-wal"]
    assert set(modes.values()) == {0o600}, modes
    assert stat.S_IMODE(home.stat().st_mode) == 0o700


def test_only_sqlite_and_postgresql_are_control_stores() -> None:
    from saleshome.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="SQLite or PostgreSQL, not 'mysql'"):
        ControlDB("mysql://u:secret@127.0.0.1/db")
    assert "secret" not in repr(ControlDB("postgresql+psycopg://u:secret@127.0.0.1/db"))
