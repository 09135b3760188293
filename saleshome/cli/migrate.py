"""`saleshome migrate`: move a home's old control file (``control.duckdb``) into the control store now.

The same move first use makes (:mod:`saleshome.warehouse.legacy_control`), on demand: every control table
copied, row counts checked, the old file kept as ``control.duckdb.migrated``; then what moved, per table.
Says so, changing nothing, when there is nothing to move; refuses, changing nothing, a store that already
holds rows (never a merge).  Without an old file it creates nothing: it only brings an existing store to the
newest schema.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from saleshome.cli.common import print_table

if TYPE_CHECKING:
    from rich.table import Table

    from saleshome.warehouse.legacy_control import Moved

app = typer.Typer()


@app.command()
def migrate() -> None:
    """Move the old control file of SALESHOME_HOME (control.duckdb, before the SQLite/PostgreSQL store) into the
    control store: every table copied, row counts checked, the old file kept as control.duckdb.migrated; prints the
    rows moved per table. Refused, changing nothing, when the store already holds rows. Without an old file:
    nothing to move (an existing store is brought to the newest schema)."""
    from saleshome.config import load_settings
    from saleshome.warehouse.control import control_db
    from saleshome.warehouse.control_tables import HEAD
    from saleshome.warehouse.legacy_control import LEGACY_NAME, move_legacy

    settings = load_settings()
    control = control_db(settings)
    legacy = settings.home / LEGACY_NAME
    if not legacy.is_file():
        earlier = sorted(p.name for p in settings.home.glob(f"{LEGACY_NAME}.migrated*") if not p.name.endswith(".wal"))
        before = f" (moved before: {', '.join(earlier)} is the old file, kept as a backup)" if earlier else ""
        if not control.exists():
            typer.echo(f"Nothing to move: {settings.home} holds no {LEGACY_NAME}{before}, and the control store "
                       f"{control.where} does not exist yet (the first command that writes creates it).")
            return
        control.migrate()
        typer.echo(f"Nothing to move: {settings.home} holds no {LEGACY_NAME}{before}. The control store "
                   f"{control.where} exists, at schema revision {HEAD} (the newest).")
        return
    moved = move_legacy(control)
    typer.echo(f"Moved {legacy} into the control store {control.where}: {moved.rows} rows in "
               f"{len(moved.tables)} tables, row counts checked.")
    print_table(moved_table(moved))
    if moved.backup is not None:
        typer.echo(f"The old file is kept as {moved.backup.name} ({moved.backup}); Sales Home never reads it again. "
                   "Delete it once you no longer need it as a backup.")


def moved_table(moved: Moved) -> Table:
    """Rows moved per table, with the total."""
    from rich.table import Table

    table = Table(title=f"Moved from {moved.source.name}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in moved.tables.items():
        table.add_row(name, str(rows))
    table.add_row("total", str(moved.rows))
    return table
