"""DuckDB: the control database (settings and state, the outbox among its tables) and one database file per org."""

__all__ = ["catalog", "connections", "control", "frames", "migrations", "orgdb", "outbox", "outbox_states",
           "watermarks"]
