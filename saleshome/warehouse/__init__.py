"""The stores: the control store (settings and state, the outbox among its tables: SQLite or PostgreSQL through
SQLAlchemy) and one DuckDB file per org (its synced tables and change log)."""

__all__ = ["catalog", "connections", "control", "control_schema", "control_tables", "frames", "legacy_control",
           "migrations", "orgdb", "outbox", "outbox_states", "watermarks"]
