"""`saleshome layouts show | set | reset`: the Slack record layouts (fields shown and editable).

Thin commands over ``saleshome.settings`` (imported inside each command, so that ``saleshome --help`` stays
fast): each builds the settings context (:mod:`saleshome.cli.common`) and calls one core function.
Every change takes the acting Slack user, ``--as U…`` (default ``SALESHOME_ACTOR``), checked in Slack, and is
audited.
"""

from __future__ import annotations

from typing import Annotated

import typer

from saleshome.cli.common import ActorOption, acting_user, print_table, ready, report_changes, split_names

app = typer.Typer(help="Slack record layouts: fields shown and editable per object.", no_args_is_help=True)


@app.command("show")
def layouts_show(
    org: Annotated[str, typer.Argument(help="The org.")],
    object_: Annotated[str, typer.Argument(metavar="OBJECT", help="The object.")],
) -> None:
    """Show an object's record layout (the default one when none was set)."""

    from saleshome.settings.apply import current_state
    from saleshome.settings.layouts import default_layout
    from saleshome.settings.render import layout_table

    ctx = ready(read_only=True)
    describe = ctx.describe(org, object_)
    name = describe["name"]
    org_state = current_state(ctx).orgs.get(org)
    explicit = org_state.layouts.get(name) if org_state else None
    layout = explicit or default_layout(describe)
    print_table(layout_table(org, name, layout, default=explicit is None, describe=describe))


@app.command("set")
def layouts_set(
    org: Annotated[str, typer.Argument(help="The org.")],
    object_: Annotated[str, typer.Argument(metavar="OBJECT", help="The object.")],
    fields: Annotated[list[str], typer.Option("--fields", help="Fields shown, in order (commas, or repeat).")],
    editable: Annotated[list[str] | None, typer.Option(
        "--editable", help="Fields members may edit (among --fields; updateable in Salesforce).")] = None,
    actor: ActorOption = None,
) -> None:
    """Set the fields shown in Slack for an object, and which of them members may edit."""
    from saleshome.settings.changes import set_layout

    ctx = ready()
    report_changes(set_layout(ctx, acting_user(ctx, actor), org, object_, split_names(fields), split_names(editable)))


@app.command("reset")
def layouts_reset(
    org: Annotated[str, typer.Argument(help="The org.")],
    object_: Annotated[str, typer.Argument(metavar="OBJECT", help="The object.")],
    actor: ActorOption = None,
) -> None:
    """Go back to the default layout (name and key fields from describe)."""
    from saleshome.settings.changes import reset_layout

    ctx = ready()
    report_changes(reset_layout(ctx, acting_user(ctx, actor), org, object_))
