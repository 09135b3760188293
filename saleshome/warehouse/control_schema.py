"""The control store's schema migrations (Alembic), run by :class:`~.control.ControlDB` on first use.

New revisions: ``python -m saleshome.warehouse.control_schema revision "what changes"`` writes one
into ``control_migrations/versions`` from the difference between :mod:`.control_tables` and a store
at the current head; then set :data:`.control_tables.HEAD` to it.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection

__all__ = ["alembic_config", "head_revision", "upgrade"]

SCRIPTS = Path(__file__).with_name("control_migrations")


def alembic_config(conn: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    config.attributes["connection"] = conn
    return config


def head_revision() -> str | None:
    """The newest revision among the scripts."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def upgrade(conn: Connection) -> None:
    """Bring the store on ``conn`` to the newest revision, inside the caller's transaction."""
    command.upgrade(alembic_config(conn), "head")


def _revision(message: str) -> None:  # pragma: no cover - a developer's tool
    with tempfile.TemporaryDirectory() as scratch:
        engine = create_engine(f"sqlite:///{scratch}/control.sqlite")
        with engine.begin() as conn:
            upgrade(conn)
        with engine.begin() as conn:
            head = head_revision()
            number = f"{int(head) + 1:04d}" if head else "0001"
            command.revision(alembic_config(conn), message=message, autogenerate=True, rev_id=number)


if __name__ == "__main__":  # pragma: no cover
    _revision(" ".join(sys.argv[2:]) if sys.argv[1:2] == ["revision"] else "control tables")
