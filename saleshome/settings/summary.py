"""A printed summary of every setting (``saleshome settings show``, the demo)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from saleshome.errors import SalesHomeError
from saleshome.listing import fit

from .apply import current_state
from .context import SettingsContext
from .render import celebrations_table, lists_table, restrictions_table, roles_table, workspace_table
from .roles import list_sales_admins
from .workspace import get_workspace


def print_summary(ctx: SettingsContext, console: Console | None = None) -> None:
    """Plan, sales admins, lists, layouts set, restrictions and celebrations, as rich tables."""
    console = console or Console()

    def show(table: Table) -> None:
        console.print(fit(table, width=console.width))

    out = console
    found = get_workspace(ctx.control, ctx.workspace)
    if found is not None:
        show(workspace_table(found))
    admins = list_sales_admins(ctx.control, ctx.workspace)
    show(roles_table(admins, {a.user_id: _user_name(ctx, a.user_id) for a in admins}))
    state = current_state(ctx)
    if state.orgs:
        show(lists_table(state.orgs))
        layouts = [f"{alias}: {obj} ({len(lay.fields)} fields, {len(lay.editable)} editable)"
                   for alias, org in state.orgs.items() for obj, lay in org.layouts.items()]
        out.print("Record layouts set: " + ("; ".join(layouts) if layouts else "none (defaults: name and key fields)"))
    show(restrictions_table(state))
    names = {ch: _channel_name(ctx, ch) for ch in state.celebrations.channels}
    show(celebrations_table(state, names))


def _user_name(ctx: SettingsContext, user_id: str) -> str:
    try:
        return ctx.directory.user(user_id).real_name
    except SalesHomeError:
        return "?"


def _channel_name(ctx: SettingsContext, channel: str) -> str:
    try:
        return f"{ctx.directory.channel(channel).label} ({channel})"
    except SalesHomeError:
        return f"{channel} (not found)"
