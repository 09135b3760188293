"""The tests' control stores (tests/fixtures/control.py): under ``--control-backend=postgresql`` every home a test
makes keeps its state in a fresh database of the session's server, copied from a migrated template and dropped
after the test; by default each home keeps its own ``control.sqlite``."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from saleshome.config import load_settings
from saleshome.warehouse.control import ControlDB, close_all
from saleshome.warehouse.control_tables import HEAD
from tests.fixtures.control import ControlDatabases, ControlStores


def users(url: str) -> list[str]:
    """The users a store has a DM channel for (a small table: a row says which store it was written to)."""
    return [r["user_id"] for r in ControlDB(url).rows("SELECT user_id FROM dm_channels ORDER BY user_id")]


def add_user(url: str, user: str) -> None:
    with ControlDB(url).transaction() as db:
        db.upsert("dm_channels", {"user_id": user, "channel_id": "D" + user})


def revision(url: str) -> str:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return str(conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one())
    finally:
        engine.dispose()


def test_fresh_stores_are_migrated_separate_and_dropped_on_exit(control_databases: ControlDatabases) -> None:
    with control_databases.fresh() as first, control_databases.fresh() as second:
        assert first != second and first.startswith("postgresql+psycopg://")
        assert revision(first) == revision(second) == HEAD
        add_user(first, "U1")
        assert (users(first), users(second)) == (["U1"], [])
    close_all()
    with pytest.raises(OperationalError, match="does not exist"):
        revision(first)


def test_a_copy_holds_what_the_store_held_and_changes_apart(control_databases: ControlDatabases) -> None:
    with control_databases.fresh() as original:
        add_user(original, "U1")
        with control_databases.copy(original) as copied:
            add_user(copied, "U2")
            assert (users(original), users(copied)) == (["U1"], ["U1", "U2"])


def test_homes_use_the_sessions_backend(control_stores: ControlStores, control_url: str, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SALESHOME_HOME", str(tmp_path / "home"))
    settings = load_settings()
    if control_stores.backend == "postgresql":
        assert settings.control_db == control_url and control_url.startswith("postgresql+psycopg://")
        assert users(settings.control_db) == []  # a database of its own, nothing from another test
    else:
        assert settings.control_db == f"sqlite:///{tmp_path / 'home' / 'control.sqlite'}"
        assert control_url == f"sqlite:///{tmp_path / 'control.sqlite'}"
    add_user(settings.control_db, "U1")
    assert users(settings.control_db) == ["U1"]
