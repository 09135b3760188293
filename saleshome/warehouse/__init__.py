"""DuckDB: the control database (settings and state) and one database file per org."""

__all__ = ["catalog", "connections", "control", "frames", "migrations", "orgdb", "outbox_states", "watermarks"]
