"""Rich tables and summaries of the settings (what the CLI prints).

The CLI lays each table out with :func:`saleshome.listing.fit` (whole at any width); a column that
folds (``overflow="fold"``) is free text, the others are shown whole."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from saleshome.errors import ValidationError
from saleshome.i18n.catalog import DEFAULT_LOCALE, known_locale
from saleshome.listing import Column, listing

from .audit import AuditEntry
from .edit_audit import RecordEdit
from .model import CHANNEL_TYPES, Layout, OrgSettings, SettingsState
from .roles import RoleAssignment
from .workspace import Workspace

if TYPE_CHECKING:
    from .approvals import ApprovedMember


def _when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "-"


def workspace_table(found: Workspace) -> Table:
    table = Table(title=f"Workspace {found.workspace}")
    for col in ("Plan", "Sales Elevate", "Sales Home", "Slack workspaces", "Channels' language", "Set by", "Set at"):
        table.add_column(col, overflow="fold" if col == "Slack workspaces" else "ellipsis")
    table.add_row(found.plan.label, "yes" if found.sales_elevate else "no",
                  "available" if found.has_sales_home else "not available", ", ".join(found.team_ids),
                  known_locale(found.default_locale) or f"{DEFAULT_LOCALE} (default)",
                  found.updated_by or "-", _when(found.updated_at))
    return table


def roles_table(assignments: list[RoleAssignment], names: dict[str, str]) -> Table:
    table = Table(title="Sales admins")
    for col in ("User", "Name", "Granted by", "Granted at"):
        table.add_column(col, overflow="fold" if col == "Name" else "ellipsis")
    for a in assignments:
        table.add_row(a.user_id, names.get(a.user_id, ""), a.granted_by, _when(a.granted_at))
    return table


def approved_members_table(approved: list[ApprovedMember]) -> Table:
    table = Table(title="Mappings approved by sales admins")
    for col in ("Org", "Salesforce user", "Email", "Slack user", "Approved by", "Approved at"):
        table.add_column(col, overflow="fold" if col == "Email" else "ellipsis")
    for a in approved:
        table.add_row(a.alias, a.sf_user_id, a.email or "-", a.slack_user_id, a.approved_by, _when(a.approved_at))
    return table


def lists_table(orgs: dict[str, OrgSettings]) -> Table:
    table = Table(title="Salesforce lists shown in Sales Home")
    for col in ("Org", "Object", "Default list views"):
        table.add_column(col, overflow="fold" if col == "Default list views" else "ellipsis")
    for alias, org in orgs.items():
        for obj, lists in org.objects.items():
            views = ", ".join(f"{v.label} ({v.developer_name})" for v in lists.default_lists)
            table.add_row(alias, obj, views or "-")
    return table


def list_views_table(alias: str, obj: str, views: list[dict[str, Any]], chosen: set[str]) -> Table:
    table = Table(title=f"{obj} list views of org {alias}")
    for col in ("Id", "Developer name", "Label", "Default"):
        table.add_column(col, overflow="fold" if col == "Label" else "ellipsis")
    for v in views:
        table.add_row(v["id"][:15], v["developerName"], v["label"], "yes" if v["id"][:15] in chosen else "")
    return table


def layout_table(alias: str, obj: str, layout: Layout, *, default: bool, describe: dict[str, Any]) -> Table:
    fields = {f["name"]: f for f in describe.get("fields", [])}
    table = Table(title=f"{obj} record layout of org {alias}" + (" (default)" if default else ""))
    for col in ("#", "Field", "Label", "Type", "Editable in Slack"):
        table.add_column(col, overflow="fold" if col == "Label" else "ellipsis")
    for i, name in enumerate(layout.fields, 1):
        f = fields.get(name, {})
        table.add_row(str(i), name, str(f.get("label", "")), str(f.get("type", "")),
                      "yes" if name in layout.editable else "")
    return table


def restrictions_table(state: SettingsState) -> Table:
    r = state.restrictions
    allowed = {"public": r.allow_public, "private": r.allow_private, "direct": r.allow_direct}
    table = Table(title="Notification restrictions")
    table.add_column("Setting")
    table.add_column("Value", overflow="fold")
    table.add_row("Channel types", ", ".join(k for k in CHANNEL_TYPES if allowed[k]) or "none")
    table.add_row("Slack Connect external channels", "included" if r.include_external else "excluded")
    table.add_row("Workspaces", "all" if r.allowed_teams is None else (", ".join(r.allowed_teams) or "none"))
    return table


def celebrations_table(state: SettingsState, channel_names: dict[str, str]) -> Table:
    c = state.celebrations
    table = Table(title="Deal celebrations")
    table.add_column("Setting")
    table.add_column("Value", overflow="fold")
    table.add_row("Enabled", "on" if c.enabled else "off")
    table.add_row("Message", Text(c.message))  # as written: no rich markup or emoji codes interpreted
    table.add_row("Channels", ", ".join(channel_names.get(ch, ch) for ch in c.channels) or "none")
    for alias, org in state.orgs.items():
        table.add_row(f"Won stage ({alias})", org.won_stage or "any stage with IsWon")
    return table


def audit_table(entries: list[AuditEntry], *, width: int) -> RenderableType:
    """The audit log as a listing (:func:`saleshome.listing.listing`): who, when, what; before and after as
    JSON, long ones abbreviated."""
    columns = [Column("When"), Column("Actor"), Column("Action"), Column("Target"), Column("Before", text=True),
               Column("After", text=True)]
    return listing("Settings audit log", columns, [[_when(e.at), e.actor, e.action, e.target, _short(e.before),
                                                    _short(e.after)] for e in entries], width=width)


def edits_table(edits: list[RecordEdit], *, width: int) -> RenderableType:
    """The edit audit as a listing: when, who in Slack and as whom in Salesforce, the record (its name shown whole;
    its object, id and org), each field "Label: before → after" as the member read them, and the outcome (why,
    when not saved)."""
    columns = [Column("When"), Column("Slack user"), Column("Salesforce user"), Column("Record"),
               Column("Object, id, org", text=True), Column("Changes", text=True), Column("Outcome", text=True)]
    rows = [[_when(e.edited_at), _person(e.slack_user_name, e.slack_user_id), _person(e.sf_user_name, e.sf_user_id),
             e.record_name or e.record_id, f"{e.object} {e.record_id} ({e.alias})",
             "\n".join(f"{c.label}: {_value(c.before)} → {_value(c.after)}" for c in e.changes),
             e.outcome.value + (f": {e.detail}" if e.detail else "")] for e in edits]
    return listing("Edits from Slack", columns, rows, width=width)


def _person(name: str | None, user_id: str) -> str:
    return f"{name} ({user_id})" if name else user_id


def _value(value: str | None) -> str:
    return "(empty)" if value is None or value == "" else value


def _short(value: Any, limit: int = 160) -> str:
    if value is None:
        return "-"
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


_RELATIVE = re.compile(r"^(\d+)\s*([mhdw])$")


def parse_since(text: str, *, now: datetime | None = None) -> datetime:
    """``2025-01-31``, ``2025-01-31T12:00:00Z`` or a duration back from now: ``30m``, ``24h``, ``7d``, ``2w``."""
    value = text.strip()
    match = _RELATIVE.match(value)
    if match:
        unit = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[match[2]]
        return (now or datetime.now(UTC)) - timedelta(**{unit: int(match[1])})
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(f"cannot read --since {text!r}",
                              hint="give a date (2025-01-31), a time (2025-01-31T12:00:00Z) or 30m, 24h, 7d, 2w") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
