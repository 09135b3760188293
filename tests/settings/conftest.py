"""Helpers for settings tests: what "nothing changed" compares.

The sandboxes, the people who hold each role, the homes and a ready workspace are the shared fixtures
of ``tests/fixtures/workspace.py`` (this folder has its own pair of sandboxes).
"""

from __future__ import annotations

from sqlalchemy import inspect

from saleshome.warehouse.control import ControlDB

# Every table a settings change writes (what "nothing changed" compares).
SETTINGS_TABLES = ("workspaces", "role_assignments", "org_settings", "default_list_views", "record_layouts",
                   "celebration_settings", "notification_restrictions", "settings_audit", "notifications",
                   "notification_versions")


def dump_tables(control: ControlDB, tables: tuple[str, ...] = SETTINGS_TABLES) -> list[object]:
    """The rows of ``tables``, each in a stable order, read in one opening of the control file."""
    with control.reading() as db:
        return [(t, sorted(db.execute(f"SELECT * FROM {t}").fetchall(), key=repr)) for t in tables]


def control_tables(control: ControlDB) -> tuple[str, ...]:
    """Every table of the control database (settings, sync state, outbox, caches)."""
    with control.reading() as db:
        return tuple(sorted(name for name in inspect(db.conn).get_table_names() if name != "alembic_version"))
