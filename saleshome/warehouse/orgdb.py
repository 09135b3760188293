"""One org's DuckDB file: a table per object in schema ``sf``, the change log, the cursors.

Rows, change log and cursor of a window are written in one transaction
(:meth:`OrgWarehouse.apply_window`): a crash at any point leaves either the whole window
or none of it.  All work is set-based SQL — no per-row Python.

Deleted records: a soft-deleted record (Recycle Bin) stays in its table with
``IsDeleted = true`` exactly as ``queryAll`` returns it; the change log has a ``delete``
row (``undelete`` when it comes back).  A hard-deleted (purged) record, found by the Id
reconciliation, is removed from its table; the change log has a ``delete`` row with
``new_value = 'purged'``.  Objects without ``IsDeleted`` (PermissionSetAssignment, User,
PermissionSet, ...) have no Recycle Bin: their rows are never soft-deleted here, and a
deleted record leaves only through the Id reconciliation (logged the same way).

Change log: one ``insert``/``delete``/``undelete`` row per record event, and one ``update``
row per changed field with its old and new value as text (cast back in SQL as needed).
SystemModstamp, LastModifiedDate and LastModifiedById change with every edit: they are not
logged as fields (``system_modstamp`` is on every row).

Commit positions: every row a transaction logs carries the transaction's ``commit_seq``, taken
from a sequence while holding the file's commit lock, which is held until COMMIT
(:meth:`OrgWarehouse._commit_changes`).  Loaders of one process commit side by side on
connections of their own, and only one process writes a file, so positions increase in commit
order: a reader that sees position *p* committed sees every position below it.  Evaluation
keeps a watermark over these positions (``saleshome.warehouse.watermarks``).
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from saleshome.salesforce.schema import Column, ObjectSchema, safe_name

from .catalog import table_columns
from .connections import open_duckdb
from .literals import inline
from .migrations import ORG_MIGRATIONS, apply_migrations

RETRY_MEMORY_LIMIT = "4GB"  # a window that ran out of the sync's small limit is applied once more with this

# Carried by every change log row (system_modstamp) or by its operation: no field rows of their own.
_NOT_LOGGED_AS_FIELDS = ("Id", "IsDeleted", "SystemModstamp", "LastModifiedDate", "LastModifiedById")
_AUDIT_COLUMNS = ('"_sh_run_id" VARCHAR', '"_sh_synced_at" TIMESTAMPTZ')


def q(name: str) -> str:
    """A quoted SQL identifier from a validated Salesforce name."""
    return '"' + safe_name(name) + '"'


def _described(c: Column) -> list[Any]:
    """A column's description as the ``columns`` table keeps it (label, reference_to, name_field, picklist)."""
    picklist = json.dumps([{"value": v, "label": label} for v, label in c.picklist]) if c.picklist else None
    return [c.label, list(c.reference_to) if c.reference_to else None, c.name_field, picklist]


def _cast(column: Column, source: str) -> str:
    """SQL turning the text ``source`` (CSV or JSON value) into the column's DuckDB type."""
    text = f"NULLIF({source}, '')"
    if column.duck_type == "VARCHAR":
        return text
    if column.duck_type == "VARCHAR[]":
        return f"string_split({text}, ';')"
    return f"CAST({text} AS {column.duck_type})"


@dataclass(frozen=True)
class MergeStats:
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    undeleted: int = 0
    unchanged: int = 0

    def __add__(self, other: MergeStats) -> MergeStats:
        return MergeStats(*(a + b for a, b in zip(self.as_tuple(), other.as_tuple(), strict=True)))

    def as_tuple(self) -> tuple[int, int, int, int, int]:
        return (self.inserted, self.updated, self.deleted, self.undeleted, self.unchanged)


@dataclass(frozen=True)
class CursorState:
    cursor: datetime | None
    initial_done: bool
    last_reconciled_at: datetime | None


class OrgWarehouse:
    """Held open by the one process syncing this org (DuckDB allows one writer per file)."""

    def __init__(
        self, path: Path, *, lock_timeout: float = 60, memory_limit: str | None = None, checkpoint_wal: str | None = None,
    ) -> None:
        self.path = path
        self.conn: duckdb.DuckDBPyConnection = open_duckdb(path, timeout=lock_timeout)
        self.memory_limit = memory_limit
        self.conn.execute("SET preserve_insertion_order = false")  # lets DuckDB stream large inserts
        if checkpoint_wal:
            # Checkpoint when the write-ahead log outgrows ``checkpoint_wal``, not at every close: a
            # checkpoint rewrites every row group a window touched, and small windows touch them all.
            # Each opening replays the log (cheap: it holds the changes, not the tables).
            self.conn.execute("PRAGMA disable_checkpoint_on_shutdown")
            self.conn.execute(f"SET checkpoint_threshold = '{checkpoint_wal}'")
        if memory_limit:
            self.conn.execute(f"SET memory_limit = '{memory_limit}'")
        self.conn.execute("BEGIN TRANSACTION")
        apply_migrations(self.conn, ORG_MIGRATIONS)
        self.conn.execute("COMMIT")
        self._commit_lock = threading.Lock()  # shared by every cursor(): positions follow commit order

    def cursor(self) -> OrgWarehouse:
        """A handle on this open database for another thread: its own connection, temp tables and
        transactions (DuckDB lets connections of one process write different rows at once)."""
        handle = object.__new__(OrgWarehouse)
        handle.path, handle.memory_limit, handle.conn = self.path, self.memory_limit, self.conn.cursor()
        handle._commit_lock = self._commit_lock
        return handle

    @contextlib.contextmanager
    def _commit_changes(self) -> Iterator[int]:
        """Inside an open transaction: the position its change-log rows carry, then COMMIT.

        The commit lock is held from taking the position to the end of COMMIT (see the module
        docstring); callers log their changes inside the block and do the heavy work before it.
        """
        with self._commit_lock:
            row = self.conn.execute("SELECT nextval('change_position')").fetchone()
            assert row is not None
            yield int(row[0])
            self.conn.execute("COMMIT")

    def identity(self) -> str:
        """This file's identity (a watermark holds only for the file whose positions it counts)."""
        row = self.conn.execute("SELECT id FROM warehouse_identity").fetchone()
        assert row is not None, "warehouse_identity is written by the migration"
        return str(row[0])

    def last_position(self, after: int = 0) -> tuple[int, str | None]:
        """The highest committed change-log position and the run that logged it; ``(after, None)`` when none is
        above ``after`` (the scan skips the row groups at or below it)."""
        row = self.conn.execute(inline("SELECT max(commit_seq), arg_max(run_id, commit_seq) FROM change_log "
                                "WHERE commit_seq > ?", [after])).fetchone()
        return (int(row[0]), row[1]) if row and row[0] is not None else (after, None)

    def _rollback(self) -> None:
        """Roll back, unless DuckDB already did (a failed COMMIT ends the transaction itself)."""
        with contextlib.suppress(duckdb.TransactionException):
            self.conn.execute("ROLLBACK")

    def close(self, *, checkpoint: bool = False) -> None:
        """Close; ``checkpoint``: fold the write-ahead log into the file first (after big loads)."""
        if checkpoint:
            self.conn.execute("CHECKPOINT")
        self.conn.close()

    def __enter__(self) -> OrgWarehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ runs and cursors
    def record_run(self, run_id: str, kind: str, notify: bool, started_at: datetime) -> None:
        self.conn.execute(inline("INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?)", [run_id, kind, notify, started_at]))

    def cursor_state(self, obj: str) -> CursorState:
        row = self.conn.execute(
            inline("SELECT cursor, initial_done, last_reconciled_at FROM cursors WHERE object = ?", [obj])
        ).fetchone()
        return CursorState(row[0], bool(row[1]), row[2]) if row else CursorState(None, False, None)

    def row_count(self, obj: str) -> int:
        row = self.conn.execute(f"SELECT count(*) FROM sf.{q(obj)}").fetchone()
        return int(row[0]) if row else 0

    # ------------------------------------------------------------------ schema
    def current_columns(self, obj: str) -> dict[str, tuple[str, str, datetime | None]]:
        rows = self.conn.execute(
            inline("SELECT name, sf_type, duck_type, removed_at FROM columns WHERE object = ?", [obj])
        ).fetchall()
        return {r[0]: (r[1], r[2], r[3]) for r in rows}

    def ensure_table(self, schema: ObjectSchema, now: datetime) -> list[str]:
        """Create or evolve ``sf.<Object>`` to the described columns; returns what changed.

        New fields are added; fields gone from describe keep their column and data and are
        marked removed; a changed type keeps the old column (renamed ``<name>__was_<type>``)
        and fills the new one with ``TRY_CAST`` — no data is lost.  DuckDB cannot alter and
        update a table in one transaction, so each step is idempotent and the column
        metadata is written last: a crash midway is finished by the next run.
        """
        table = f"sf.{q(schema.name)}"
        known = self.current_columns(schema.name)
        changes: list[str] = []
        if not known:
            cols = ", ".join(f"{q(c.name)} {c.duck_type}" for c in schema.columns)
            self.conn.execute(f"CREATE TABLE IF NOT EXISTS {table} ({cols}, {', '.join(_AUDIT_COLUMNS)})")
            for c in schema.columns:
                self._remember(schema.name, c, now)
            changes.append(f"created {table} with {len(schema.columns)} columns")
        wanted = {c.name: c for c in schema.columns}
        for c in schema.columns if known else ():
            old = known.get(c.name)
            if old is None:
                if c.name not in table_columns(self.conn, schema.name):
                    self.conn.execute(f"ALTER TABLE {table} ADD COLUMN {q(c.name)} {c.duck_type}")
                self._remember(schema.name, c, now)
                changes.append(f"added {c.name} {c.duck_type}")
            elif old[1] != c.duck_type:
                kept = f"{c.name}__was_{re.sub(r'[^A-Za-z0-9]+', '_', old[1]).strip('_').lower()}"
                if kept not in table_columns(self.conn, schema.name):
                    self.conn.execute(f"ALTER TABLE {table} RENAME COLUMN {q(c.name)} TO {q(kept)}")
                if c.name not in table_columns(self.conn, schema.name):
                    self.conn.execute(f"ALTER TABLE {table} ADD COLUMN {q(c.name)} {c.duck_type}")
                self.conn.execute(
                    f"UPDATE {table} SET {q(c.name)} = TRY_CAST({q(kept)} AS {c.duck_type}) WHERE {q(c.name)} IS NULL"
                )
                self.conn.execute("BEGIN TRANSACTION")
                self.conn.execute(inline("DELETE FROM columns WHERE object = ? AND name = ?", [schema.name, kept]))
                self.conn.execute(inline("UPDATE columns SET name = ?, removed_at = ? WHERE object = ? AND name = ?",
                                  [kept, now, schema.name, c.name]))
                self._remember(schema.name, c, now)
                self.conn.execute("COMMIT")
                changes.append(f"changed {c.name} from {old[1]} to {c.duck_type} (old values kept in {kept})")
            elif old[2] is not None:
                self.conn.execute(inline("UPDATE columns SET removed_at = NULL WHERE object = ? AND name = ?",
                                  [schema.name, c.name]))
                changes.append(f"{c.name} is back")
        for name, (_, _, removed_at) in known.items():
            if name not in wanted and removed_at is None:
                self.conn.execute(inline("UPDATE columns SET removed_at = ? WHERE object = ? AND name = ?",
                                  [now, schema.name, name]))
                changes.append(f"{name} left the org's describe (kept, marked removed)")
        self._describe_columns(schema)
        field_row = self.conn.execute(inline("SELECT cursor_field FROM cursors WHERE object = ?", [schema.name])).fetchone()
        if field_row is None or field_row[0] != schema.cursor_field:  # an upsert costs more than this read
            self.conn.execute(
                inline("INSERT INTO cursors (object, cursor_field, updated_at) VALUES (?, ?, ?) ON CONFLICT (object) "
                "DO UPDATE SET cursor_field = excluded.cursor_field",
                [schema.name, schema.cursor_field, now]),
            )
        return changes

    def _remember(self, obj: str, c: Column, now: datetime) -> None:
        self.conn.execute(
            inline("INSERT OR REPLACE INTO columns (object, name, sf_type, duck_type, added_at, removed_at, label, "
            "reference_to, name_field, picklist) VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, ?)",
            [obj, c.name, c.sf_type, c.duck_type, now, *_described(c)]),
        )

    def _describe_columns(self, schema: ObjectSchema) -> None:
        """Keep what messages show of each column (label, lookup targets, name field, picklist labels) as
        describe says it now: one statement, only for the columns whose description changed."""
        stored = {r[0]: tuple(r[1:]) for r in self.conn.execute(
            inline("SELECT name, label, reference_to, name_field, CAST(picklist AS VARCHAR) FROM columns WHERE object = ?",
            [schema.name])).fetchall()}
        changed = [[c.name, *_described(c)] for c in schema.columns
                   if c.name in stored and stored[c.name] != tuple(_described(c))]
        if not changed:
            return
        self.conn.execute(
            inline("UPDATE columns SET label = d.label, reference_to = d.reference_to, name_field = d.name_field, "
            "picklist = d.picklist FROM (SELECT unnest(?::VARCHAR[]) AS name, unnest(?::VARCHAR[]) AS label, "
            "unnest(?::VARCHAR[][]) AS reference_to, unnest(?::BOOLEAN[]) AS name_field, "
            "unnest(?::VARCHAR[])::JSON AS picklist) d WHERE columns.object = ? AND columns.name = d.name",
            [*([r[i] for r in changed] for i in range(5)), schema.name]))

    # ------------------------------------------------------------------ staging
    def stage_csv(self, schema: ObjectSchema, files: Sequence[Path]) -> None:
        """Stage Bulk CSV result files as typed rows (DuckDB reads them; no Python per row)."""
        names = ", ".join(f"'{f!s}'" for f in files if "'" not in str(f))
        columns = "{" + ", ".join(f"'{c.name}': 'VARCHAR'" for c in schema.columns) + "}"
        select = ", ".join(f"{_cast(c, q(c.name))} AS {q(c.name)}" for c in schema.columns)
        self.conn.execute("DROP TABLE IF EXISTS stage")
        self.conn.execute(
            f"CREATE TEMP TABLE stage AS SELECT {select} FROM read_csv([{names}], header = true, quote = '\"', "
            f"escape = '\"', columns = {columns}, auto_detect = false, strict_mode = false)"
        )

    def stage_pages(self, schema: ObjectSchema, files: Sequence[Path]) -> None:
        """Stage REST query pages (small windows): JSON arrays of records DuckDB reads and casts like CSV.

        A field is read as text (numbers keep their JSON spelling); a parent's field
        (``PermissionSet.Name``) is extracted from the parent's JSON object.
        """
        columns: dict[str, str] = {}
        select = []
        for c in schema.columns:
            parent, _, rest = c.name.partition(".")
            columns[parent] = "JSON" if rest else "VARCHAR"
            source = f"src.{q(parent)}->>'$.{safe_name(rest)}'" if rest else f"src.{q(parent)}"
            select.append(f"{_cast(c, source)} AS {q(c.name)}")
        spec = "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in columns.items()) + "}"
        self.conn.execute("DROP TABLE IF EXISTS stage")
        self.conn.execute(
            inline(f"CREATE TEMP TABLE stage AS SELECT {', '.join(select)} FROM read_json(?, format = 'array', "
            f"columns = {spec}) AS src", [[str(f) for f in files]]),
        )

    # ------------------------------------------------------------------ the window transaction
    def apply_window(
        self, schema: ObjectSchema, *, run_id: str, new_cursor: datetime | None, initial: bool, now: datetime,
        reaches_signpost: bool,
    ) -> MergeStats:
        """Merge ``stage`` into ``sf.<Object>``, log every change, move the cursor — one transaction.

        The sync runs under a small DuckDB memory limit; a window that needs more (a big table's
        checkpoint) is rolled back and applied once more with the limit lifted, then it is restored.
        """
        try:
            return self._apply_window(schema, run_id=run_id, new_cursor=new_cursor, initial=initial, now=now,
                                      reaches_signpost=reaches_signpost)
        except duckdb.OutOfMemoryException:
            if not self.memory_limit:
                raise
            self.conn.execute(f"SET memory_limit = '{RETRY_MEMORY_LIMIT}'")
            try:
                return self._apply_window(schema, run_id=run_id, new_cursor=new_cursor, initial=initial, now=now,
                                          reaches_signpost=reaches_signpost)
            finally:
                self.conn.execute(f"SET memory_limit = '{self.memory_limit}'")

    def _apply_window(
        self, schema: ObjectSchema, *, run_id: str, new_cursor: datetime | None, initial: bool, now: datetime,
        reaches_signpost: bool,
    ) -> MergeStats:
        table, obj = f"sf.{q(schema.name)}", schema.name
        cur = q(schema.cursor_field)
        cols = schema.columns
        names = [c.name for c in cols]
        col_list = ", ".join(q(n) for n in names)
        self.conn.execute("BEGIN TRANSACTION")
        try:
            self.conn.execute("DROP TABLE IF EXISTS changed")
            self.conn.execute("DROP TABLE IF EXISTS old")
            params, tail = [run_id, obj], [initial, now]
            deleted = _deleted(schema)
            all_new = initial and not self._any_known(table)
            if all_new:
                # During an initial load, a slice whose Ids are all new (the usual case) is inserted as
                # staged, without the diff against our copy.  Incremental windows mostly hold known
                # records: they go straight to the merge, whose first scan finds them.
                self.conn.execute(
                    inline(f"INSERT INTO {table} ({col_list}, \"_sh_run_id\", \"_sh_synced_at\") "
                    f"SELECT {col_list}, ?, ? FROM stage", [run_id, now]),
                )
                row = self.conn.execute(
                    f"SELECT count(*) FILTER (WHERE NOT {deleted}), count(*) FILTER (WHERE {deleted}) FROM stage"
                ).fetchone()
                stats = MergeStats(inserted=int(row[0]), deleted=int(row[1])) if row else MergeStats()
            else:
                stats = self._merge(schema, table, col_list, cur, run_id, now)
            if new_cursor is not None:
                self.conn.execute(
                    inline("UPDATE cursors SET cursor = ?, updated_at = ?, run_id = ?, "
                    "initial_done = initial_done OR ?, "
                    # right after the initial load the table is fresh: no Id reconciliation due yet
                    "last_reconciled_at = CASE WHEN ? AND NOT initial_done THEN ? ELSE last_reconciled_at END "
                    "WHERE object = ?",
                    [new_cursor, now, run_id, reaches_signpost, reaches_signpost, now, obj]),
                )
            with self._commit_changes() as position:
                if all_new:
                    self.conn.execute(
                        inline(f"INSERT INTO change_log SELECT ?, ?, \"Id\", {cur}, CASE WHEN {deleted} THEN 'delete' "
                        "ELSE 'insert' END, NULL, NULL, NULL, ?, ?, ? FROM stage", [*params, *tail, position]),
                    )
                else:
                    self._log_merge(schema, cur, [*params, *tail, position])
        except BaseException:
            self._rollback()
            raise
        staged = self.conn.execute("SELECT count(*) FROM stage").fetchone()
        total = int(staged[0]) if staged else 0
        return MergeStats(stats.inserted, stats.updated, stats.deleted, stats.undeleted,
                          total - stats.inserted - stats.updated - stats.deleted - stats.undeleted)

    def _merge(
        self, schema: ObjectSchema, table: str, col_list: str, cur: str, run_id: str, now: datetime,
    ) -> MergeStats:
        """Diff ``stage`` against our copy (temp tables ``old`` and ``changed``) and replace what changed;
        :meth:`_log_merge` then logs it from those temp tables."""
        cols = schema.columns
        # Our current copy of the staged records only (small), then what is new or newer and different.
        self.conn.execute(f"CREATE TEMP TABLE old AS SELECT t.rowid AS _sh_rowid, t.* FROM {table} t "
                          "SEMI JOIN stage s ON t.\"Id\" = s.\"Id\"")
        differs = " OR ".join(f"t.{q(c.name)} IS DISTINCT FROM s.{q(c.name)}" for c in cols if c.name != "Id")
        # An object without IsDeleted is never soft-deleted: its rows count as not deleted, before and after.
        was_deleted = "coalesce(t.\"IsDeleted\", false)" if schema.soft_deletes else "false"
        self.conn.execute(
            f"CREATE TEMP TABLE changed AS SELECT s.*, t.\"Id\" IS NULL AS _is_new, {was_deleted} AS _was_deleted, "
            f"{_deleted(schema, 's.')} AS _is_deleted FROM stage s LEFT JOIN old t ON t.\"Id\" = s.\"Id\" "
            f"WHERE t.\"Id\" IS NULL OR (s.{cur} >= t.{cur} AND ({differs}))"
        )
        # Replace changed records by delete + insert (no in-place UPDATE: DuckDB would rewrite whole row
        # groups at the next checkpoint).  Columns of fields gone from describe keep their old values.
        present = {c.name for c in cols}
        table_columns = [d[0] for d in self.conn.execute("SELECT * FROM old LIMIT 0").description or []]  # t.*
        kept = [n for n in table_columns if n not in present and not n.startswith("_sh_")]
        select = ", ".join([f"s.{q(c.name)}" for c in cols] + [f"o.{q(n)}" for n in kept])
        self.conn.execute(  # by row id (found by the first scan): no second scan of the Id column
            f"DELETE FROM {table} WHERE rowid IN (SELECT o._sh_rowid FROM old o JOIN changed c ON c.\"Id\" = o.\"Id\" "
            "WHERE NOT c._is_new)"
        )
        self.conn.execute(
            inline(f"INSERT INTO {table} ({', '.join([col_list, *[q(n) for n in kept]])}, \"_sh_run_id\", "
            f"\"_sh_synced_at\") SELECT {select}, ?, ? FROM changed s LEFT JOIN old o ON o.\"Id\" = s.\"Id\"",
            [run_id, now]),
        )
        return self._stats()

    def _log_merge(self, schema: ObjectSchema, cur: str, params: list[Any]) -> None:
        """The change log of :meth:`_merge` (``params``: run id, object, initial, applied at, position)."""
        log = "INSERT INTO change_log SELECT ?, ?, s.\"Id\", s.{cur}, {op}, NULL, NULL, NULL, ?, ?, ? FROM changed s"
        self.conn.execute(  # inserts (a record first seen already deleted is logged as a delete)
            inline(log.format(cur=cur, op="CASE WHEN s._is_deleted THEN 'delete' ELSE 'insert' END") + " WHERE s._is_new",
            params),
        )
        self.conn.execute(
            inline(log.format(cur=cur, op="CASE WHEN s._is_deleted THEN 'delete' ELSE 'undelete' END")
            + " WHERE NOT s._is_new AND s._is_deleted <> s._was_deleted", params),
        )
        # One row per changed field, from one join (a UNION ALL of a join per field needs an insert
        # state per branch: tens of them exhaust a small memory limit).
        fields = [
            f"{{'field': '{c.name}', 'old': CAST(t.{q(c.name)} AS VARCHAR), 'new': CAST(s.{q(c.name)} AS VARCHAR), "
            f"'differs': t.{q(c.name)} IS DISTINCT FROM s.{q(c.name)}}}"
            for c in schema.columns if c.name not in _NOT_LOGGED_AS_FIELDS
        ]
        if fields:
            self.conn.execute(
                inline("INSERT INTO change_log SELECT ?, ?, rid, stamp, 'update', d.field, d.old, d.new, ?, ?, ? FROM ("
                f"SELECT s.\"Id\" AS rid, s.{cur} AS stamp, unnest([{', '.join(fields)}]) AS d "
                "FROM changed s JOIN old t ON t.\"Id\" = s.\"Id\" WHERE NOT s._is_new) WHERE d.differs",
                params),
            )

    def _any_known(self, table: str) -> bool:
        """Whether a staged Id is in our copy (reads the Id column alone, never the table's whole width)."""
        row = self.conn.execute(f"SELECT EXISTS (SELECT 1 FROM {table} t SEMI JOIN stage s ON t.\"Id\" = s.\"Id\")").fetchone()
        return bool(row and row[0])

    def _stats(self) -> MergeStats:
        row = self.conn.execute(
            "SELECT count(*) FILTER (WHERE _is_new AND NOT _is_deleted), "
            "count(*) FILTER (WHERE NOT _is_new AND _is_deleted = _was_deleted), "
            "count(*) FILTER (WHERE _is_deleted AND (_is_new OR NOT _was_deleted)), "
            "count(*) FILTER (WHERE NOT _is_new AND NOT _is_deleted AND _was_deleted) "
            "FROM changed"
        ).fetchone()
        assert row is not None
        return MergeStats(int(row[0]), int(row[1]), int(row[2]), int(row[3]))

    # ------------------------------------------------------------------ hard deletes
    def reconcile_ids(
        self, obj: str, *, ids: Sequence[str] = (), files: Sequence[Path] = (), run_id: str, now: datetime,
    ) -> int:
        """Remove records whose Id the org no longer has at all (purged); returns how many.

        The org's Ids: ``ids`` (read through REST), or the Bulk CSV ``files`` DuckDB reads itself.
        """
        table = f"sf.{q(obj)}"
        self.conn.execute("DROP TABLE IF EXISTS _org_ids")
        if files:
            self.conn.execute(
                inline("CREATE TEMP TABLE _org_ids AS SELECT \"Id\" FROM read_csv(?, header = true, "
                "columns = {'Id': 'VARCHAR'}, auto_detect = false)", [[str(f) for f in files]]),
            )
        else:
            self.conn.execute(  # as JSON text: binding a Python list as VARCHAR[] costs ~0.25 ms per value
                inline("CREATE TEMP TABLE _org_ids AS SELECT unnest(from_json(?, '[\"VARCHAR\"]')) AS \"Id\"",
                [json.dumps(list(ids))]),
            )
        self.conn.execute("BEGIN TRANSACTION")
        try:
            self.conn.execute("DROP TABLE IF EXISTS purged")
            self.conn.execute(
                f"CREATE TEMP TABLE purged AS SELECT \"Id\" FROM {table} "
                "WHERE \"Id\" NOT IN (SELECT \"Id\" FROM _org_ids)"
            )
            self.conn.execute(f"DELETE FROM {table} WHERE \"Id\" IN (SELECT \"Id\" FROM purged)")
            self.conn.execute(inline("UPDATE cursors SET last_reconciled_at = ? WHERE object = ?", [now, obj]))
            row = self.conn.execute("SELECT count(*) FROM purged").fetchone()
            with self._commit_changes() as position:
                self.conn.execute(
                    inline("INSERT INTO change_log SELECT ?, ?, \"Id\", NULL, 'delete', NULL, NULL, 'purged', false, ?, ? "
                    "FROM purged", [run_id, obj, now, position]),
                )
        except BaseException:
            self._rollback()
            raise
        finally:
            self.conn.execute("DROP TABLE IF EXISTS _org_ids")
        return int(row[0]) if row else 0


def _deleted(schema: ObjectSchema, prefix: str = "") -> str:
    """SQL (never null) telling whether a staged row is soft-deleted; always false without ``IsDeleted``."""
    return f'coalesce({prefix}"IsDeleted", false)' if schema.soft_deletes else "false"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
