"""`saleshome settings show | export | import | audit`: every setting at once.

Thin commands over ``saleshome.settings`` (imported inside each command, so that ``saleshome --help`` stays
fast): each builds the settings context (:mod:`saleshome.cli.common`) and calls one core function.
Every change takes the acting Slack user, ``--as U…`` (default ``SALESHOME_ACTOR``), checked in Slack, and is
audited.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from saleshome.cli.common import ActorOption, acting_user, ready, report_changes

if TYPE_CHECKING:
    from saleshome.warehouse.control import ControlDB

app = typer.Typer(help="All settings at once: summary, YAML export and import, audit log.", no_args_is_help=True)


@app.command("show")
def settings_show() -> None:
    """Print a summary of every Sales Home setting."""
    from saleshome.settings.summary import print_summary

    print_summary(ready(read_only=True))


@app.command("export")
def settings_export() -> None:
    """Write every setting as YAML on stdout (`saleshome settings export > sales-home.yaml`)."""
    from saleshome.settings.apply import current_state, export_yaml

    sys.stdout.write(export_yaml(current_state(ready(read_only=True))))


@app.command("import")
def settings_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A YAML settings document.")],
    dry_run: Annotated[bool, typer.Option(help="Print what would change; change nothing.")] = False,
    actor: ActorOption = None,
) -> None:
    """Apply a YAML settings document: checked first, then all of it in one transaction, or nothing."""
    from saleshome.settings.apply import apply_document, validate_document
    from saleshome.textfiles import read_yaml_mapping

    # The file is read and its shape checked before anything is opened: a bad file changes nothing.
    doc = validate_document(read_yaml_mapping(file, expected="of sections: restrictions, celebrations, orgs"))
    ctx = ready(read_only=dry_run)
    report_changes(apply_document(ctx, acting_user(ctx, actor), doc, dry_run=dry_run), dry_run=dry_run)


@app.command("audit")
def settings_audit(
    since: Annotated[str | None, typer.Option(help="Only changes since: 2025-01-31, 2025-01-31T12:00Z, 24h, 7d.")
                     ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, the newest.")] = 100,
    edits: Annotated[bool, typer.Option("--edits", help="Show the records members edited from Slack instead: who "
                                        "(Slack, Salesforce), which record, each field before → after, the outcome."
                                        )] = False,
) -> None:
    """Show who changed which setting, when, from what to what (--edits: the records edited from Slack)."""
    from rich.console import Console

    from saleshome.settings.audit import read_audit
    from saleshome.settings.render import audit_table, parse_since

    ctx = ready(read_only=True)
    if edits:
        _edits_audit(ctx.control, since, limit)
        return
    entries = read_audit(ctx.control, ctx.workspace, since=parse_since(since) if since else None, limit=limit)
    if not entries:
        typer.echo("No settings change recorded" + (f" since {since}" if since else "") + ".")
        return
    console = Console()
    console.print(audit_table(entries, width=console.width))


def _edits_audit(control: ControlDB, since: str | None, limit: int) -> None:
    from rich.console import Console

    from saleshome.settings.edit_audit import read_edits
    from saleshome.settings.render import edits_table, parse_since

    found = read_edits(control, since=parse_since(since) if since else None, limit=limit)
    if not found:
        typer.echo("No edit from Slack recorded" + (f" since {since}" if since else "") + ".")
        return
    console = Console()
    console.print(edits_table(found, width=console.width))
