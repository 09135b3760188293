"""Our own tables in each org's DuckDB warehouse, as ordered migrations (applied once, recorded).

Append new migrations at the end; never edit one that has shipped.  (The control store's schema
is Alembic's: :mod:`saleshome.warehouse.control_tables`.)
"""

from __future__ import annotations

import duckdb

from .literals import inline

__all__ = ["ORG_MIGRATIONS", "apply_migrations"]


def apply_migrations(conn: duckdb.DuckDBPyConnection, migrations: tuple[tuple[str, str], ...]) -> None:
    """Apply the migrations ``conn`` has not seen yet, recording each (inside the caller's transaction)."""
    conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (id VARCHAR PRIMARY KEY, applied_at TIMESTAMPTZ)")
    done = {row[0] for row in conn.execute("SELECT id FROM schema_migrations").fetchall()}
    for migration_id, ddl in migrations:
        if migration_id in done:
            continue
        conn.execute(ddl)
        conn.execute(inline("INSERT INTO schema_migrations VALUES (?, now())", [migration_id]))  # no pandas

ORG_MIGRATIONS: tuple[tuple[str, str], ...] = (
    (
        "0001_sync_metadata",
        """
        CREATE SCHEMA IF NOT EXISTS sf;
        CREATE TABLE cursors (
            object VARCHAR PRIMARY KEY,
            cursor_field VARCHAR NOT NULL,
            cursor TIMESTAMPTZ,               -- every change stamped before this has been applied
            last_reconciled_at TIMESTAMPTZ,
            initial_done BOOLEAN NOT NULL DEFAULT false,
            updated_at TIMESTAMPTZ NOT NULL,
            run_id VARCHAR
        );
        CREATE TABLE columns (
            object VARCHAR NOT NULL,
            name VARCHAR NOT NULL,             -- column name in sf."Object" (the field name, or a path like Owner.Email)
            sf_type VARCHAR NOT NULL,
            duck_type VARCHAR NOT NULL,
            added_at TIMESTAMPTZ NOT NULL,
            removed_at TIMESTAMPTZ,            -- the field left the org's describe; the column and data stay
            PRIMARY KEY (object, name)
        );
        CREATE TABLE change_log (
            run_id VARCHAR NOT NULL,
            object VARCHAR NOT NULL,
            record_id VARCHAR NOT NULL,
            system_modstamp TIMESTAMPTZ,
            operation VARCHAR NOT NULL,        -- insert, update, delete, undelete
            field VARCHAR,                     -- null for insert/delete/undelete rows
            old_value VARCHAR,
            new_value VARCHAR,
            initial BOOLEAN NOT NULL,          -- produced by an initial sync or a backfill (silent)
            applied_at TIMESTAMPTZ NOT NULL
        );
        CREATE TABLE runs (
            run_id VARCHAR PRIMARY KEY,
            kind VARCHAR NOT NULL,
            notify BOOLEAN NOT NULL,
            started_at TIMESTAMPTZ NOT NULL
        );
        """,
    ),
)

ORG_MIGRATIONS += (
    (
        "0002_change_positions",
        """
        -- The position at which a window's changes committed: every row a transaction logs shares one
        -- value, taken while no other transaction of the file can commit (OrgWarehouse.committing), so
        -- positions increase in commit order.  Evaluation reads (watermark, max] and never skips a change.
        -- Rows logged before positions existed keep NULL (they were evaluated run by run).
        CREATE SEQUENCE change_position START 1;
        ALTER TABLE change_log ADD COLUMN commit_seq BIGINT;
        -- This file's identity: a watermark kept in the control store holds only for the file it was read from
        -- (an org removed and connected again starts a new file, and its positions start again at 1).
        CREATE TABLE warehouse_identity (id VARCHAR NOT NULL, created_at TIMESTAMPTZ NOT NULL);
        INSERT INTO warehouse_identity SELECT CAST(uuid() AS VARCHAR), now();
        """,
    ),
)

ORG_MIGRATIONS += (
    (
        "0003_field_labels",
        """
        -- What messages show of a field, from the describe of each sync (OrgWarehouse.ensure_table): its label,
        -- a lookup's target objects, whether it is the object's name field, a picklist's value labels
        -- ([{"value": ..., "label": ...}]).  Null until the next sync describes the object.
        ALTER TABLE columns ADD COLUMN label VARCHAR;
        ALTER TABLE columns ADD COLUMN reference_to VARCHAR[];
        ALTER TABLE columns ADD COLUMN name_field BOOLEAN;
        ALTER TABLE columns ADD COLUMN picklist JSON;
        """,
    ),
)
