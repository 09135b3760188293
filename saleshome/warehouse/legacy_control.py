"""Moving a home's old control file (``control.duckdb``, before the SQLite/PostgreSQL store) into the store.

Every control table is copied as it is, row counts are checked table by table, and the old file is
renamed ``control.duckdb.migrated`` (kept as a backup, never read again).  The copy happens in the
transaction that creates the store, so a failure leaves the old file in place and no half-filled store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import duckdb

from saleshome.errors import ConfigurationError

from .control_tables import METADATA


class _Rows(Protocol):
    def fetchall(self) -> list[tuple[Any, ...]]: ...


class Store(Protocol):
    """What the copy needs of a control-store transaction (:class:`saleshome.warehouse.control.Tx`)."""

    @property
    def dialect(self) -> str: ...

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> _Rows: ...

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> int: ...

__all__ = ["LEGACY_NAME", "Moved", "Store", "backup_path", "copy_legacy"]

LEGACY_NAME = "control.duckdb"


@dataclass
class Moved:
    """What a migration copied: rows per table, and where the old file went."""

    source: Path
    tables: dict[str, int] = field(default_factory=dict)
    backup: Path | None = None

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


def backup_path(legacy: Path) -> Path:
    return legacy.with_name(legacy.name + ".migrated")


def copy_legacy(tx: Store, legacy: Path) -> Moved:
    """Copy every control table of ``legacy`` into the store of ``tx`` (inside its transaction)."""
    moved = Moved(legacy)
    try:
        old = duckdb.connect(str(legacy), read_only=True)
    except duckdb.Error as exc:
        raise ConfigurationError(f"cannot read the old control file {legacy}: {exc}",
                                 hint="another process may hold it; stop it and run `saleshome migrate`") from None
    try:
        present = {r[0] for r in old.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'")
                   .fetchall()}
        for table in METADATA.sorted_tables:
            if table.name not in present:
                continue
            old_columns = [r[0] for r in old.execute(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND schema_name = 'main'",
                [table.name]).fetchall()]
            names = [c.name for c in table.columns if c.name in old_columns]
            rows = old.execute(f"SELECT {', '.join(_quoted(n) for n in names)} FROM {table.name}").fetchall()
            tx.executemany(f"INSERT INTO {table.name} ({', '.join(_quoted(n) for n in names)}) "
                           f"VALUES ({', '.join('?' for _ in names)})", rows)
            copied = tx.execute(f"SELECT count(*) FROM {table.name}").fetchall()[0][0]
            if copied != len(rows):
                raise ConfigurationError(f"moving {table.name} from {legacy.name}: {len(rows)} rows read, "
                                         f"{copied} in the store; nothing was changed")
            moved.tables[table.name] = len(rows)
        if "outbox" in present and tx.dialect == "postgresql":  # the next seq continues after the copied ones
            tx.execute("SELECT setval(pg_get_serial_sequence('outbox', 'seq'), "
                       "coalesce((SELECT max(seq) FROM outbox), 0) + 1, false)")
        if "settings_audit" in present and tx.dialect == "postgresql":
            tx.execute("SELECT setval(pg_get_serial_sequence('settings_audit', 'seq'), "
                       "coalesce((SELECT max(seq) FROM settings_audit), 0) + 1, false)")
    finally:
        old.close()
    return moved


def _quoted(name: str) -> str:
    return f'"{name}"'
