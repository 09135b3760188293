"""`saleshome workspace show | set-plan | locale`: the Slack plan (who may use Sales Home) and the
channels' language.

Thin commands over ``saleshome.settings`` (imported inside each command, so that ``saleshome --help`` stays
fast): each builds the settings context (:mod:`saleshome.cli.common`) and calls one core function.
Every change takes the acting Slack user, ``--as U…`` (default ``SALESHOME_ACTOR``), checked in Slack, and is
audited.
"""

from __future__ import annotations

from typing import Annotated

import typer

from saleshome.cli.common import ActorOption, acting_user, context, print_table, ready, report_changes, split_names

app = typer.Typer(
    help="The Slack plan of the workspace (who may use Sales Home), the channels' language.", no_args_is_help=True,
)


@app.command("show")
def workspace_show() -> None:
    """Show the workspace's plan and whether Sales Home is available on it."""

    from saleshome.settings.render import workspace_table
    from saleshome.settings.workspace import ACCESS, get_workspace

    ctx = context(read_only=True)
    found = get_workspace(ctx.control, ctx.workspace)
    if found is None:
        typer.echo(f"No plan set for workspace {ctx.workspace!r} yet: the Slack primary owner sets it with "
                   f"`saleshome workspace set-plan PLAN --as U…`. Sales Home needs {ACCESS}.")
        return
    print_table(workspace_table(found))


@app.command("set-plan")
def workspace_set_plan(
    plan: Annotated[str, typer.Argument(help="free, pro, business_plus, enterprise_grid or enterprise_plus.")],
    sales_elevate: Annotated[bool, typer.Option(help="The workspace has the Sales Elevate add-on.")] = False,
    team: Annotated[list[str] | None, typer.Option(
        help="A Slack workspace served (id or name; repeat) [default: every workspace the app is installed in].")
    ] = None,
    actor: ActorOption = None,
) -> None:
    """Declare the workspace's Slack plan (the Slack primary owner only; Slack's API does not expose it)."""
    from saleshome.settings.workspace import set_plan

    ctx = context()
    found = set_plan(ctx.control, ctx.directory, ctx.workspace, actor=acting_user(ctx, actor), plan=plan,
                     sales_elevate=sales_elevate, teams=split_names(team) or None)
    state = "available" if found.has_sales_home else "NOT available"
    typer.echo(f"Workspace {found.workspace}: {found.plan_label} ({', '.join(found.team_ids)}); Sales Home is {state}.")


@app.command("locale")
def workspace_locale(
    locale: Annotated[str | None, typer.Argument(
        help="The language of messages in channels: fr-FR, en-US, en-GB... (`default`: en-US). "
             "Left out: show it.")] = None,
    actor: ActorOption = None,
) -> None:
    """Show or set the language of messages posted in channels (a sales admin; DMs read each member's Slack
    language)."""
    from saleshome.settings.apply import current_state
    from saleshome.settings.changes import set_locale
    from saleshome.settings.locales import locale_counts

    ctx = ready()
    if locale is None:
        counts = locale_counts(ctx.control)
        members = ", ".join(f"{n} {loc or 'not known yet'}" for loc, n in counts.items()) or "no member mapped yet"
        typer.echo(f"Channels read {current_state(ctx).locale}; direct messages read each member's Slack language "
                   f"({members}).")
        return
    changes = set_locale(ctx, acting_user(ctx, actor), None if locale == "default" else locale)
    report_changes(changes)
    if changes.changes:
        typer.echo(f"Channels now read {changes.after.locale}.")
