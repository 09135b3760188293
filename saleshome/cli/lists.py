"""`saleshome lists list | show | views | add | remove | add-default | remove-default`: the objects
shown in Sales Home and their default list views.

Thin commands over ``saleshome.settings`` (imported inside each command, so that ``saleshome --help`` stays
fast): each builds the settings context (:mod:`saleshome.cli.common`) and calls one core function.
Every change takes the acting Slack user, ``--as U…`` (default ``SALESHOME_ACTOR``), checked in Slack, and is
audited.
"""

from __future__ import annotations

from typing import Annotated

import typer

from saleshome.cli.common import ActorOption, acting_user, print_table, ready, report_changes

app = typer.Typer(help="Salesforce objects shown in Sales Home and their default list views.", no_args_is_help=True)


@app.command("show")
def lists_show(
    org: Annotated[str, typer.Argument(help="The org.")],
    object_: Annotated[str, typer.Argument(metavar="OBJECT", help="The object (Opportunity, Account, ...).")],
    list_view: Annotated[str | None, typer.Argument(
        metavar="[LIST]", help="A default list view (developer name, label or id); default: the first.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="Rows shown at most.")] = 50,
) -> None:
    """Print a default list view's results (as of the last sync) with the record layout's fields."""
    from rich.table import Table

    from saleshome.settings.layouts import layout_for
    from saleshome.settings.listviews import list_view_rows

    ctx = ready(read_only=True)
    name = ctx.sobject(org, object_)["name"]
    layout = layout_for(ctx.control, org, name, ctx.describe(org, name))
    fields, rows = list_view_rows(ctx.settings, org, name, list_view, layout.fields, limit=limit)
    table = Table(title=f"{org} · {name}" + (f" · {list_view}" if list_view else ""))
    for field in fields:
        table.add_column(field, overflow="fold")
    for row in rows:
        table.add_row(*("" if v is None else v for v in row))
    print_table(table)


@app.command("list")
def lists_list(org: Annotated[str | None, typer.Argument(help="Only this org.")] = None) -> None:
    """List the objects shown in Sales Home per org, with their default list views."""

    from saleshome.settings.apply import current_state
    from saleshome.settings.render import lists_table

    ctx = ready(read_only=True)
    orgs = current_state(ctx).orgs
    if org is not None:
        orgs = {org: orgs[org]} if org in orgs else {}
    if not orgs:
        typer.echo("No org connected" + (f" called {org!r}" if org else "") + ": connect one with `saleshome org add`.")
        return
    print_table(lists_table(orgs))


@app.command("views")
def lists_views(
    org: Annotated[str, typer.Argument(help="The org.")],
    object_: Annotated[str, typer.Argument(metavar="OBJECT", help="The object (Opportunity, Account, ...).")],
) -> None:
    """List the org's list views of an object (the ones default lists are chosen from)."""

    from saleshome.settings.apply import current_state
    from saleshome.settings.render import list_views_table

    ctx = ready(read_only=True)
    name = ctx.sobject(org, object_)["name"]
    state = current_state(ctx).orgs.get(org)
    chosen = {v.id for v in state.objects[name].default_lists} if state and name in state.objects else set()
    print_table(list_views_table(org, name, ctx.list_views(org, name), chosen))


@app.command("add")
def lists_add(
    org: Annotated[str, typer.Argument(help="The org.")],
    object_: Annotated[str, typer.Argument(metavar="OBJECT", help="The object to show (must be queryable).")],
    actor: ActorOption = None,
) -> None:
    """Show an object in Sales Home."""
    from saleshome.settings.changes import add_object

    ctx = ready()
    report_changes(add_object(ctx, acting_user(ctx, actor), org, object_))


@app.command("remove")
def lists_remove(
    org: Annotated[str, typer.Argument(help="The org.")],
    object_: Annotated[str, typer.Argument(metavar="OBJECT", help="The object to stop showing.")],
    actor: ActorOption = None,
) -> None:
    """Stop showing an object in Sales Home (its default list views are removed with it)."""
    from saleshome.settings.changes import remove_object

    ctx = ready()
    report_changes(remove_object(ctx, acting_user(ctx, actor), org, object_))


@app.command("add-default")
def lists_add_default(
    org: Annotated[str, typer.Argument(help="The org.")],
    object_: Annotated[str, typer.Argument(metavar="OBJECT", help="An object shown in Sales Home.")],
    views: Annotated[list[str], typer.Argument(metavar="LIST_VIEW...",
                                               help="List views by developer name, label or id.")],
    actor: ActorOption = None,
) -> None:
    """Suggest default list views for an object (at most 25 per object)."""
    from saleshome.settings.changes import add_default_lists

    ctx = ready()
    report_changes(add_default_lists(ctx, acting_user(ctx, actor), org, object_, views))


@app.command("remove-default")
def lists_remove_default(
    org: Annotated[str, typer.Argument(help="The org.")],
    object_: Annotated[str, typer.Argument(metavar="OBJECT", help="An object shown in Sales Home.")],
    view: Annotated[str, typer.Argument(metavar="LIST_VIEW", help="A default list view (developer name, label, id).")],
    actor: ActorOption = None,
) -> None:
    """Stop suggesting a default list view."""
    from saleshome.settings.changes import remove_default_list

    ctx = ready()
    report_changes(remove_default_list(ctx, acting_user(ctx, actor), org, object_, view))
