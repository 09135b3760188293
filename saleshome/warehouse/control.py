"""The control database: orgs, sync state, outbox and settings — opened for short transactions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from saleshome.config import Settings

from .connections import transaction
from .migrations import CONTROL_MIGRATIONS


def apply_migrations(conn: duckdb.DuckDBPyConnection, migrations: tuple[tuple[str, str], ...]) -> None:
    """Apply the migrations ``conn`` has not seen yet, recording each (inside the caller's transaction)."""
    conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (id VARCHAR PRIMARY KEY, applied_at TIMESTAMPTZ)")
    done = {row[0] for row in conn.execute("SELECT id FROM schema_migrations").fetchall()}
    for migration_id, ddl in migrations:
        if migration_id in done:
            continue
        conn.execute(ddl)
        conn.execute("INSERT INTO schema_migrations VALUES (?, now())", [migration_id])


class ControlDB:
    """``control.duckdb``: every use is a short transaction, so processes take turns."""

    def __init__(self, path: Path, *, lock_timeout: float = 60) -> None:
        self.path = path
        self.lock_timeout = lock_timeout
        self._migrated = False

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with transaction(self.path, timeout=self.lock_timeout) as conn:
            if not self._migrated:
                apply_migrations(conn, CONTROL_MIGRATIONS)
                self._migrated = True
            yield conn

    def rows(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """Rows of a query as dicts (its own short transaction)."""
        with self.transaction() as conn:
            cur = conn.execute(sql, params or [])
            names = [d[0] for d in cur.description or []]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def control_db(settings: Settings) -> ControlDB:
    """The control database of ``settings``' home, as every entry point opens it (its lock timeout included)."""
    return ControlDB(settings.control_db, lock_timeout=settings.lock_timeout_seconds)
