"""`saleshome workspace | roles | lists | layouts | restrictions | celebrations | settings`.

Thin commands over ``saleshome.settings``: each parses its options, builds a
:class:`~saleshome.settings.context.SettingsContext` and calls one core function (imported
inside the command, so ``saleshome --help`` stays fast).  Every command that changes something
takes the acting Slack user, ``--as U…`` (default: ``SALESHOME_ACTOR``), checked in Slack.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.table import Table

    from saleshome.settings.apply import ChangeSet
    from saleshome.settings.context import SettingsContext

ActorOption = Annotated[str | None, typer.Option(
    "--as", help="The Slack user (U…) making the change.", show_default="SALESHOME_ACTOR")]

workspace_app = typer.Typer(help="The Slack plan of the workspace (who may use Sales Home), the channels' language.",
                            no_args_is_help=True)
roles_app = typer.Typer(help="Grant, revoke and list the sales admin role.", no_args_is_help=True)
lists_app = typer.Typer(help="Salesforce objects shown in Sales Home and their default list views.",
                        no_args_is_help=True)
layouts_app = typer.Typer(help="Slack record layouts: fields shown and editable per object.", no_args_is_help=True)
restrictions_app = typer.Typer(help="Notification restrictions: channel types, Slack Connect, workspaces.",
                               no_args_is_help=True)
celebrations_app = typer.Typer(help="Deal celebrations: on/off, message, channels, won stage.", no_args_is_help=True)
settings_app = typer.Typer(help="All settings at once: summary, YAML export and import, audit log.",
                           no_args_is_help=True)

GROUPS: tuple[tuple[typer.Typer, str], ...] = (
    (workspace_app, "workspace"), (roles_app, "roles"), (lists_app, "lists"), (layouts_app, "layouts"),
    (restrictions_app, "restrictions"), (celebrations_app, "celebrations"), (settings_app, "settings"),
)


def _context(*, read_only: bool = False) -> SettingsContext:
    """The settings context of a command; ``read_only`` (lists, show, export, audit, dry runs): refused, creating
    nothing, when the home does not exist yet."""
    from saleshome.cli_credentials import RESOLVERS
    from saleshome.config import load_settings, require_existing_home
    from saleshome.settings.context import SettingsContext

    settings = load_settings()
    return SettingsContext(require_existing_home(settings) if read_only else settings, resolvers=RESOLVERS)


def _ready(*, read_only: bool = False) -> SettingsContext:
    """A context, once the workspace's plan includes Sales Home (every command but `workspace`)."""
    from saleshome.settings.workspace import require_sales_home

    ctx = _context(read_only=read_only)
    require_sales_home(ctx.control, ctx.workspace)
    return ctx


def _print_table(table: Table) -> None:
    """Print a listing so that it reads well at the terminal's width (:func:`saleshome.listing.fit`)."""
    from rich.console import Console

    from saleshome.listing import fit

    console = Console()
    console.print(fit(table, width=console.width))


def _actor(ctx: SettingsContext, given: str | None) -> str:
    from saleshome.errors import ConfigurationError

    actor = given or ctx.settings.actor
    if not actor:
        raise ConfigurationError("who is making this change? no acting Slack user",
                                 hint="pass --as U… (your Slack member ID) or set SALESHOME_ACTOR")
    return actor


def _split(values: list[str] | None) -> list[str]:
    return [n.strip() for v in values or [] for n in v.split(",") if n.strip()]


def _report(changes: ChangeSet, *, dry_run: bool = False) -> None:
    if not changes.changes:
        typer.echo("No change: the settings already say this.")
        return
    if dry_run:
        typer.echo(changes.diff(), nl=False)
        typer.echo(f"Dry run: {len(changes.changes)} change(s) would be applied; nothing was changed.")
        return
    typer.echo("Changed: " + ", ".join(c.target for c in changes.changes) + " (recorded in the audit log)")


# --- workspace ------------------------------------------------------------------------------
@workspace_app.command("show")
def workspace_show() -> None:
    """Show the workspace's plan and whether Sales Home is available on it."""

    from saleshome.settings.render import workspace_table
    from saleshome.settings.workspace import ACCESS, get_workspace

    ctx = _context(read_only=True)
    found = get_workspace(ctx.control, ctx.workspace)
    if found is None:
        typer.echo(f"No plan set for workspace {ctx.workspace!r} yet: the Slack primary owner sets it with "
                   f"`saleshome workspace set-plan PLAN --as U…`. Sales Home needs {ACCESS}.")
        return
    _print_table(workspace_table(found))


@workspace_app.command("set-plan")
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

    ctx = _context()
    found = set_plan(ctx.control, ctx.directory, ctx.workspace, actor=_actor(ctx, actor), plan=plan,
                     sales_elevate=sales_elevate, teams=_split(team) or None)
    state = "available" if found.has_sales_home else "NOT available"
    typer.echo(f"Workspace {found.workspace}: {found.plan_label} ({', '.join(found.team_ids)}); Sales Home is {state}.")


@workspace_app.command("locale")
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

    ctx = _ready()
    if locale is None:
        counts = locale_counts(ctx.control)
        members = ", ".join(f"{n} {loc or 'not known yet'}" for loc, n in counts.items()) or "no member mapped yet"
        typer.echo(f"Channels read {current_state(ctx).locale}; direct messages read each member's Slack language "
                   f"({members}).")
        return
    changes = set_locale(ctx, _actor(ctx, actor), None if locale == "default" else locale)
    _report(changes)
    if changes.changes:
        typer.echo(f"Channels now read {changes.after.locale}.")


# --- roles ----------------------------------------------------------------------------------
@roles_app.command("list")
def roles_list() -> None:
    """List the sales admins."""

    from saleshome.errors import SalesHomeError
    from saleshome.settings.render import roles_table
    from saleshome.settings.roles import list_sales_admins

    ctx = _ready(read_only=True)
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
    _print_table(roles_table(admins, names))


@roles_app.command("grant")
def roles_grant(
    user: Annotated[str, typer.Argument(help="The Slack user (U…) who becomes sales admin.")],
    actor: ActorOption = None,
) -> None:
    """Make a Slack user sales admin (the primary owner on Business+, role admins on Enterprise plans)."""
    from saleshome.settings.roles import grant_sales_admin

    ctx = _context()
    changed = grant_sales_admin(ctx.control, ctx.directory, ctx.workspace, actor=_actor(ctx, actor), user=user)
    typer.echo(f"{user} is now a sales admin." if changed else f"{user} already is a sales admin.")


@roles_app.command("revoke")
def roles_revoke(
    user: Annotated[str, typer.Argument(help="The Slack user (U…) who stops being sales admin.")],
    actor: ActorOption = None,
) -> None:
    """Take the sales admin role from a Slack user (same people as `grant`)."""
    from saleshome.settings.roles import revoke_sales_admin

    ctx = _context()
    changed = revoke_sales_admin(ctx.control, ctx.directory, ctx.workspace, actor=_actor(ctx, actor), user=user)
    typer.echo(f"{user} is no longer a sales admin." if changed else f"{user} was not a sales admin.")


# --- lists ----------------------------------------------------------------------------------
@lists_app.command("show")
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
    from saleshome.sync.listviews import list_view_rows

    ctx = _ready(read_only=True)
    name = ctx.sobject(org, object_)["name"]
    layout = layout_for(ctx.control, org, name, ctx.describe(org, name))
    fields, rows = list_view_rows(ctx.settings, org, name, list_view, layout.fields, limit=limit)
    table = Table(title=f"{org} · {name}" + (f" · {list_view}" if list_view else ""))
    for field in fields:
        table.add_column(field, overflow="fold")
    for row in rows:
        table.add_row(*("" if v is None else v for v in row))
    _print_table(table)


@lists_app.command("list")
def lists_list(org: Annotated[str | None, typer.Argument(help="Only this org.")] = None) -> None:
    """List the objects shown in Sales Home per org, with their default list views."""

    from saleshome.settings.apply import current_state
    from saleshome.settings.render import lists_table

    ctx = _ready(read_only=True)
    orgs = current_state(ctx).orgs
    if org is not None:
        orgs = {org: orgs[org]} if org in orgs else {}
    if not orgs:
        typer.echo("No org connected" + (f" called {org!r}" if org else "") + ": connect one with `saleshome org add`.")
        return
    _print_table(lists_table(orgs))


@lists_app.command("views")
def lists_views(
    org: Annotated[str, typer.Argument(help="The org.")],
    object_: Annotated[str, typer.Argument(metavar="OBJECT", help="The object (Opportunity, Account, ...).")],
) -> None:
    """List the org's list views of an object (the ones default lists are chosen from)."""

    from saleshome.settings.apply import current_state
    from saleshome.settings.render import list_views_table

    ctx = _ready(read_only=True)
    name = ctx.sobject(org, object_)["name"]
    state = current_state(ctx).orgs.get(org)
    chosen = {v.id for v in state.objects[name].default_lists} if state and name in state.objects else set()
    _print_table(list_views_table(org, name, ctx.list_views(org, name), chosen))


@lists_app.command("add")
def lists_add(
    org: Annotated[str, typer.Argument(help="The org.")],
    object_: Annotated[str, typer.Argument(metavar="OBJECT", help="The object to show (must be queryable).")],
    actor: ActorOption = None,
) -> None:
    """Show an object in Sales Home."""
    from saleshome.settings.changes import add_object

    ctx = _ready()
    _report(add_object(ctx, _actor(ctx, actor), org, object_))


@lists_app.command("remove")
def lists_remove(
    org: Annotated[str, typer.Argument(help="The org.")],
    object_: Annotated[str, typer.Argument(metavar="OBJECT", help="The object to stop showing.")],
    actor: ActorOption = None,
) -> None:
    """Stop showing an object in Sales Home (its default list views are removed with it)."""
    from saleshome.settings.changes import remove_object

    ctx = _ready()
    _report(remove_object(ctx, _actor(ctx, actor), org, object_))


@lists_app.command("add-default")
def lists_add_default(
    org: Annotated[str, typer.Argument(help="The org.")],
    object_: Annotated[str, typer.Argument(metavar="OBJECT", help="An object shown in Sales Home.")],
    views: Annotated[list[str], typer.Argument(metavar="LIST_VIEW...",
                                               help="List views by developer name, label or id.")],
    actor: ActorOption = None,
) -> None:
    """Suggest default list views for an object (at most 25 per object)."""
    from saleshome.settings.changes import add_default_lists

    ctx = _ready()
    _report(add_default_lists(ctx, _actor(ctx, actor), org, object_, views))


@lists_app.command("remove-default")
def lists_remove_default(
    org: Annotated[str, typer.Argument(help="The org.")],
    object_: Annotated[str, typer.Argument(metavar="OBJECT", help="An object shown in Sales Home.")],
    view: Annotated[str, typer.Argument(metavar="LIST_VIEW", help="A default list view (developer name, label, id).")],
    actor: ActorOption = None,
) -> None:
    """Stop suggesting a default list view."""
    from saleshome.settings.changes import remove_default_list

    ctx = _ready()
    _report(remove_default_list(ctx, _actor(ctx, actor), org, object_, view))


# --- layouts --------------------------------------------------------------------------------
@layouts_app.command("show")
def layouts_show(
    org: Annotated[str, typer.Argument(help="The org.")],
    object_: Annotated[str, typer.Argument(metavar="OBJECT", help="The object.")],
) -> None:
    """Show an object's record layout (the default one when none was set)."""

    from saleshome.settings.apply import current_state
    from saleshome.settings.layouts import default_layout
    from saleshome.settings.render import layout_table

    ctx = _ready(read_only=True)
    describe = ctx.describe(org, object_)
    name = describe["name"]
    org_state = current_state(ctx).orgs.get(org)
    explicit = org_state.layouts.get(name) if org_state else None
    layout = explicit or default_layout(describe)
    _print_table(layout_table(org, name, layout, default=explicit is None, describe=describe))


@layouts_app.command("set")
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

    ctx = _ready()
    _report(set_layout(ctx, _actor(ctx, actor), org, object_, _split(fields), _split(editable)))


@layouts_app.command("reset")
def layouts_reset(
    org: Annotated[str, typer.Argument(help="The org.")],
    object_: Annotated[str, typer.Argument(metavar="OBJECT", help="The object.")],
    actor: ActorOption = None,
) -> None:
    """Go back to the default layout (name and key fields from describe)."""
    from saleshome.settings.changes import reset_layout

    ctx = _ready()
    _report(reset_layout(ctx, _actor(ctx, actor), org, object_))


# --- restrictions ---------------------------------------------------------------------------
@restrictions_app.command("show")
def restrictions_show() -> None:
    """Show the notification restrictions in force."""

    from saleshome.settings.apply import current_state
    from saleshome.settings.render import restrictions_table

    _print_table(restrictions_table(current_state(_ready(read_only=True))))


@restrictions_app.command("set")
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

    ctx = _ready()
    teams = _split(workspaces)
    kwargs: dict[str, object] = {}
    if workspaces is not None:
        kwargs["workspaces"] = None if teams == ["all"] else teams
    _report(set_restrictions(ctx, _actor(ctx, actor), channel_types=_split(channel_types) if channel_types else None,
                             include_external=external, **kwargs))


# --- celebrations ---------------------------------------------------------------------------
@celebrations_app.command("show")
def celebrations_show() -> None:
    """Show the celebration settings (and each org's won stage)."""

    from saleshome.errors import SalesHomeError
    from saleshome.settings.apply import current_state
    from saleshome.settings.render import celebrations_table

    ctx = _ready(read_only=True)
    state = current_state(ctx)
    names: dict[str, str] = {}
    for channel in state.celebrations.channels:
        try:
            names[channel] = f"{ctx.directory.channel(channel).label} ({channel})"
        except SalesHomeError:
            names[channel] = f"{channel} (not found)"
    _print_table(celebrations_table(state, names))


@celebrations_app.command("set")
def celebrations_set(
    enabled: Annotated[bool | None, typer.Option("--on/--off", help="Switch celebrations on or off.")] = None,
    message: Annotated[str | None, typer.Option(
        help="Message template: {owner} {opportunity} {account} {amount} {close_date} {stage}.")] = None,
    channel: Annotated[list[str] | None, typer.Option(
        help="Channel where celebrations are shared (#name or id; repeat). Replaces the list.")] = None,
    no_channels: Annotated[bool, typer.Option("--no-channels", help="Share in no channel.")] = False,
    actor: ActorOption = None,
) -> None:
    """Change the celebration settings (options left out stay as they are)."""
    from saleshome.settings.changes import set_celebrations

    ctx = _ready()
    channels = [] if no_channels else (_split(channel) or None)
    _report(set_celebrations(ctx, _actor(ctx, actor), enabled=enabled, message=message, channels=channels))


@celebrations_app.command("won-stage")
def celebrations_won_stage(
    org: Annotated[str, typer.Argument(help="The org.")],
    stage: Annotated[str, typer.Argument(help="A StageName value of the org, or `any` (any stage with IsWon).")],
    actor: ActorOption = None,
) -> None:
    """Choose which opportunity stage counts as won in an org."""
    from saleshome.settings.changes import set_won_stage

    ctx = _ready()
    _report(set_won_stage(ctx, _actor(ctx, actor), org, None if stage == "any" else stage))


# --- settings -------------------------------------------------------------------------------
@settings_app.command("show")
def settings_show() -> None:
    """Print a summary of every Sales Home setting."""
    from saleshome.settings.summary import print_summary

    print_summary(_ready(read_only=True))


@settings_app.command("export")
def settings_export() -> None:
    """Write every setting as YAML on stdout (`saleshome settings export > sales-home.yaml`)."""
    from saleshome.settings.apply import current_state, export_yaml

    sys.stdout.write(export_yaml(current_state(_ready(read_only=True))))


@settings_app.command("import")
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
    ctx = _ready(read_only=dry_run)
    _report(apply_document(ctx, _actor(ctx, actor), doc, dry_run=dry_run), dry_run=dry_run)


@settings_app.command("audit")
def settings_audit(
    since: Annotated[str | None, typer.Option(help="Only changes since: 2025-01-31, 2025-01-31T12:00Z, 24h, 7d.")
                     ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, the newest.")] = 100,
) -> None:
    """Show who changed which setting, when, from what to what."""
    from rich.console import Console

    from saleshome.settings.audit import read_audit
    from saleshome.settings.render import audit_table, parse_since

    ctx = _ready(read_only=True)
    entries = read_audit(ctx.control, ctx.workspace, since=parse_since(since) if since else None, limit=limit)
    if not entries:
        typer.echo("No settings change recorded" + (f" since {since}" if since else "") + ".")
        return
    console = Console()
    console.print(audit_table(entries, width=console.width))
