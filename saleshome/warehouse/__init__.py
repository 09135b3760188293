"""DuckDB: the control database (settings and state) and one database file per org."""
