"""Moving a home's old control file (``control.duckdb``, before the SQLite/PostgreSQL store) into the store.

Every control table is copied as it is, row counts are checked table by table, and the old file is
renamed ``control.duckdb.migrated`` (kept as a backup, never read again; its ``.wal`` with it).  The copy
happens in the transaction that creates the store (first use, :class:`~.control.ControlDB`), or, for
``saleshome migrate`` on a store that exists but holds no row yet, in one transaction of its own: a failure
leaves the old file in place and no half-filled store.  A store that already holds rows is never merged
into (:func:`move_legacy` refuses, naming both).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import duckdb
from sqlalchemy.exc import DataError, IntegrityError

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


class Control(Protocol):
    """What :func:`move_legacy` needs of the store (:class:`saleshome.warehouse.control.ControlDB`)."""

    @property
    def legacy(self) -> Path | None: ...

    @property
    def where(self) -> str: ...

    def migrate(self) -> Moved | None: ...

    def transaction(self) -> AbstractContextManager[Store]: ...


__all__ = ["LEGACY_NAME", "Control", "Moved", "Store", "backup_path", "copy_legacy", "keep_as_backup", "move_legacy"]

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
    """Where the old file goes: ``control.duckdb.migrated``, or ``.migrated-2``, ... when that is taken (an
    earlier backup is never overwritten)."""
    candidate = legacy.with_name(legacy.name + ".migrated")
    n = 1
    while candidate.exists():
        n += 1
        candidate = legacy.with_name(f"{legacy.name}.migrated-{n}")
    return candidate


def keep_as_backup(legacy: Path) -> Path:
    """Rename ``legacy`` (and its ``.wal``) to :func:`backup_path`; returns the new path of the file."""
    backup = backup_path(legacy)
    wal = legacy.with_name(legacy.name + ".wal")
    legacy.rename(backup)
    if wal.exists():
        wal.rename(backup.with_name(backup.name + ".wal"))
    return backup


def move_legacy(control: Control) -> Moved:
    """``saleshome migrate``: move the old control file of ``control``'s home into the store now.

    A store that does not exist yet is created with the rows (as on first use); one that exists but holds no row
    receives them in one transaction; one that holds rows is refused (nothing is merged, nothing changes).
    """
    legacy = control.legacy
    if legacy is None or not legacy.is_file():
        raise ConfigurationError(f"nothing to move: there is no {LEGACY_NAME} "
                                 + (f"in {legacy.parent}" if legacy is not None else "for this store"))
    moved = control.migrate()  # creates the store and moves the file when the store did not exist
    if moved is not None:
        return moved
    with control.transaction() as tx:
        held = _rows_held(tx)
        if held:
            raise ConfigurationError(
                f"the control store {control.where} already holds rows ({held}); {legacy} was not moved into it, "
                "and nothing was changed",
                hint=f"Sales Home already runs on that store: keep {legacy.name} aside as a backup (or move it "
                     "away), or point SALESHOME_HOME / SALESHOME_DATABASE_URL at an empty store and run "
                     "`saleshome migrate` again")
        moved = copy_legacy(tx, legacy)
    moved.backup = keep_as_backup(legacy)
    return moved


def _rows_held(tx: Store) -> str:
    """The tables of the store that hold rows, with their counts (empty: none)."""
    counts = {table.name: int(tx.execute(f"SELECT count(*) FROM {table.name}").fetchall()[0][0])
              for table in METADATA.sorted_tables}
    return ", ".join(f"{n} in {name}" for name, n in counts.items() if n)


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
            try:
                tx.executemany(f"INSERT INTO {table.name} ({', '.join(_quoted(n) for n in names)}) "
                               f"VALUES ({', '.join('?' for _ in names)})", rows)
            except (IntegrityError, DataError) as exc:  # a row the store's constraints refuse: the whole move stops
                raise ConfigurationError(
                    f"moving {table.name} from {legacy}: the store refused a row ({exc.orig}); nothing was changed",
                    hint=f"correct that row of {table.name} in {legacy.name} (duckdb CLI or Python), then run "
                         "`saleshome migrate`") from None
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
