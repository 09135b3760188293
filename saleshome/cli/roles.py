"""`saleshome roles list | grant | revoke`: the sales admin role.

Thin commands over ``saleshome.settings`` (imported inside each command, so that ``saleshome --help`` stays
fast): each builds the settings context (:mod:`saleshome.cli.common`) and calls one core function.
Every change takes the acting Slack user, ``--as U…`` (default ``SALESHOME_ACTOR``), checked in Slack, and is
audited.
"""

from __future__ import annotations

from typing import Annotated

import typer

from saleshome.cli.common import ActorOption, acting_user, context, print_table, ready

app = typer.Typer(help="Grant, revoke and list the sales admin role.", no_args_is_help=True)


@app.command("list")
def roles_list() -> None:
    """List the sales admins."""

    from saleshome.errors import SalesHomeError
    from saleshome.settings.render import roles_table
    from saleshome.settings.roles import list_sales_admins

    ctx = ready(read_only=True)
    admins = list_sales_admins(ctx.control, ctx.workspace)
    if not admins:
        typer.echo("No sales admin yet: the primary owner (Business+) or a role admin (Enterprise) grants the role "
                   "with `saleshome roles grant U… --as U…`.")
        return
    names: dict[str, str] = {}
    for a in admins:
        try:
            user = ctx.directory.user(a.user_id)
            names[a.user_id] = user.real_name + (" (deactivated)" if user.deleted else "")
        except SalesHomeError:
            names[a.user_id] = "?"
    print_table(roles_table(admins, names))


@app.command("grant")
def roles_grant(
    user: Annotated[str, typer.Argument(help="The Slack user (U…) who becomes sales admin.")],
    actor: ActorOption = None,
) -> None:
    """Make a Slack user sales admin (the primary owner on Business+, role admins on Enterprise plans)."""
    from saleshome.settings.roles import grant_sales_admin

    ctx = context()
    changed = grant_sales_admin(ctx.control, ctx.directory, ctx.workspace, actor=acting_user(ctx, actor), user=user)
    typer.echo(f"{user} is now a sales admin." if changed else f"{user} already is a sales admin.")


@app.command("revoke")
def roles_revoke(
    user: Annotated[str, typer.Argument(help="The Slack user (U…) who stops being sales admin.")],
    actor: ActorOption = None,
) -> None:
    """Take the sales admin role from a Slack user (same people as `grant`)."""
    from saleshome.settings.roles import revoke_sales_admin

    ctx = context()
    changed = revoke_sales_admin(ctx.control, ctx.directory, ctx.workspace, actor=acting_user(ctx, actor), user=user)
    typer.echo(f"{user} is no longer a sales admin." if changed else f"{user} was not a sales admin.")
