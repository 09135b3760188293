"""`saleshome restrictions show | set`: where notifications may go.

Thin commands over ``saleshome.settings`` (imported inside each command, so that ``saleshome --help`` stays
fast): each builds the settings context (:mod:`saleshome.cli.common`) and calls one core function.
Every change takes the acting Slack user, ``--as U…`` (default ``SALESHOME_ACTOR``), checked in Slack, and is
audited.
"""

from __future__ import annotations

from typing import Annotated

import typer

from saleshome.cli.common import ActorOption, acting_user, print_table, ready, report_changes, split_names

app = typer.Typer(help="Notification restrictions: channel types, Slack Connect, workspaces.", no_args_is_help=True)


@app.command("show")
def restrictions_show() -> None:
    """Show the notification restrictions in force."""

    from saleshome.settings.apply import current_state
    from saleshome.settings.render import restrictions_table

    print_table(restrictions_table(current_state(ready(read_only=True))))


@app.command("set")
def restrictions_set(
    channel_types: Annotated[list[str] | None, typer.Option(
        help="Channel types that may receive notifications: public, private, direct (commas or repeat).")] = None,
    external: Annotated[bool | None, typer.Option(
        "--external/--no-external", help="Include Slack Connect external channels.")] = None,
    workspaces: Annotated[list[str] | None, typer.Option(
        help="Workspaces that may receive notifications (ids or names), or `all`.")] = None,
    actor: ActorOption = None,
) -> None:
    """Change the notification restrictions (options left out stay as they are)."""
    from saleshome.settings.changes import set_restrictions

    ctx = ready()
    teams = split_names(workspaces)
    kwargs: dict[str, object] = {}
    if workspaces is not None:
        kwargs["workspaces"] = None if teams == ["all"] else teams
    report_changes(set_restrictions(ctx, acting_user(ctx, actor), channel_types=split_names(channel_types) if channel_types else None,
                             include_external=external, **kwargs))
