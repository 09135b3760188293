"""DuckDB: the control database (settings and state, the outbox among its tables) and one database file per org."""
