"""What a DuckDB database holds: whether a table exists, and its columns (``information_schema``).

The one place those questions are asked, for the org warehouses (schema ``sf``: one table per
synced object) and the control database (schema ``main``).  Names are bound as parameters,
never spliced into the SQL; an absent table has no columns (an empty set), never an error.
"""

from __future__ import annotations

import duckdb

__all__ = ["table_columns", "table_exists"]


def table_exists(conn: duckdb.DuckDBPyConnection, table: str, schema: str = "sf") -> bool:
    """True when ``schema.table`` exists (a table or a view)."""
    row = conn.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?", [schema, table]
    ).fetchone()
    return bool(row and row[0])


def table_columns(conn: duckdb.DuckDBPyConnection, table: str, schema: str = "sf") -> set[str]:
    """The column names of ``schema.table`` (empty when there is no such table)."""
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?",
        [schema, table],
    ).fetchall()
    return {r[0] for r in rows}
