"""Admin-created notifications in the control database: create, edit, delete, enable, disable.

Only sales admins change them; each change is checked against the org's schema and Slack
(:mod:`saleshome.settings.notifications.validate`) before anything is written, then written with its audit
entry in one control-database transaction.  Every saved definition is kept as a version
(``notification_versions``); the version is part of each message's idempotency key.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from saleshome.errors import ValidationError
from saleshome.settings.audit import record_change
from saleshome.settings.context import SettingsContext
from saleshome.settings.orgs import get_org
from saleshome.settings.roles import require_sales_admin
from saleshome.warehouse.control import ControlDB, Tx

from .catalog import NotificationSpec
from .validate import Resolved, check_spec

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.\-]{0,79}$")


@dataclass(frozen=True)
class Notification:
    id: str
    alias: str
    name: str
    version: int
    enabled: bool
    spec: NotificationSpec
    resolved: Resolved
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime

    @property
    def template(self) -> str:
        return self.spec.template

    @property
    def object(self) -> str:
        return self.resolved.object

    def audit_value(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "version": self.version, "enabled": self.enabled,
                "spec": self.spec.model_dump(mode="json", exclude_defaults=True)}


def _from_row(row: dict[str, Any]) -> Notification:
    definition = json.loads(row["definition"]) if isinstance(row["definition"], str) else row["definition"]
    return Notification(
        id=row["id"], alias=row["alias"], name=row["name"], version=int(row["version"]), enabled=bool(row["enabled"]),
        spec=NotificationSpec.model_validate(definition["spec"]), resolved=Resolved.model_validate(definition["resolved"]),
        created_by=row["created_by"], created_at=row["created_at"], updated_by=row["updated_by"],
        updated_at=row["updated_at"],
    )


def notifications_in(db: Tx, workspace: str, alias: str | None = None, *,
                     enabled_only: bool = False) -> list[Notification]:
    sql = "SELECT * FROM notifications WHERE workspace = ?"
    params: list[Any] = [workspace]
    if alias is not None:
        sql += " AND alias = ?"
        params.append(alias)
    if enabled_only:
        sql += " AND enabled"
    return [_from_row(r) for r in db.rows(sql + " ORDER BY alias, name", params)]


def load_notifications(control: ControlDB, workspace: str, alias: str | None = None, *,
                       enabled_only: bool = False) -> list[Notification]:
    """The workspace's notifications (of one org), by org and name."""
    with control.transaction() as db:
        return notifications_in(db, workspace, alias, enabled_only=enabled_only)


def find_in(db: Tx, workspace: str, ref: str, alias: str | None = None) -> Notification:
    """A notification by id or name (``alias`` disambiguates a name used in two orgs)."""
    rows = db.rows("SELECT * FROM notifications WHERE workspace = ? AND (id = ? OR name = ?)"
                     + (" AND alias = ?" if alias else ""), [workspace, ref, ref, *([alias] if alias else [])])
    if not rows:
        raise ValidationError(f"no notification {ref!r}" + (f" in org {alias!r}" if alias else ""),
                              hint="list them with `saleshome notifications list`")
    if len(rows) > 1:
        raise ValidationError(f"{ref!r} names notifications in several orgs ({', '.join(r['alias'] for r in rows)})",
                              hint="add --org ALIAS, or give the notification's id")
    return _from_row(rows[0])


def get_notification(control: ControlDB, workspace: str, ref: str, alias: str | None = None) -> Notification:
    with control.transaction() as db:
        return find_in(db, workspace, ref, alias)


def versions(control: ControlDB, notification_id: str) -> list[dict[str, Any]]:
    return control.rows("SELECT version, name, changed_by, changed_at, definition FROM notification_versions "
                        "WHERE id = ? ORDER BY version", [notification_id])


# ---------------------------------------------------------------------- writers (caller's transaction)
def _definition(spec: NotificationSpec, resolved: Resolved) -> str:
    return json.dumps({"spec": spec.model_dump(mode="json"), "resolved": resolved.model_dump(mode="json")},
                      sort_keys=True)


def write_in(db: Tx, workspace: str, actor: str, *, alias: str, name: str,
             spec: NotificationSpec, resolved: Resolved, enabled: bool, existing: Notification | None,
             action: str) -> Notification:
    """Insert or update one notification, its version row and its audit entry (caller's transaction)."""
    now = datetime.now(UTC)
    definition = _definition(spec, resolved)
    clash = db.execute("SELECT id FROM notifications WHERE alias = ? AND name = ?", [alias, name]).fetchone()
    if clash is not None and (existing is None or clash[0] != existing.id):
        raise ValidationError(f"org {alias!r} already has a notification called {name!r}",
                              hint="pick another name, or edit that one")
    if existing is None:
        nid, version, created_by, created_at = "n_" + uuid.uuid4().hex[:12], 1, actor, now
        db.execute("INSERT INTO notifications VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   [nid, workspace, alias, name, spec.template, resolved.object, version, enabled, definition,
                    actor, now, actor, now])
    else:
        nid, created_by, created_at = existing.id, existing.created_by, existing.created_at
        changed = existing.name != name or _definition(existing.spec, existing.resolved) != definition
        version = existing.version + 1 if changed else existing.version
        db.execute("UPDATE notifications SET name = ?, template = ?, object = ?, version = ?, enabled = ?, "
                   "definition = ?, updated_by = ?, updated_at = ? WHERE id = ?",
                   [name, spec.template, resolved.object, version, enabled, definition, actor, now, nid])
    if existing is None or version != existing.version:
        db.execute("INSERT INTO notification_versions VALUES (?, ?, ?, ?, ?, ?)",
                   [nid, version, name, definition, actor, now])
    saved = Notification(nid, alias, name, version, enabled, spec, resolved, created_by, created_at, actor, now)
    record_change(db, workspace, actor, action, f"orgs.{alias}.notifications.{name}",
                  None if existing is None else existing.audit_value(), saved.audit_value())
    return saved


def delete_in(db: Tx, workspace: str, actor: str, existing: Notification,
              action: str = "notifications.delete") -> None:
    db.execute("DELETE FROM notifications WHERE id = ?", [existing.id])
    record_change(db, workspace, actor, action, f"orgs.{existing.alias}.notifications.{existing.name}",
                  existing.audit_value(), None)


# ---------------------------------------------------------------------- the admin operations
def check_name(name: str) -> str:
    name = name.strip()
    if not _NAME.match(name):
        raise ValidationError(f"{name!r} is not a valid notification name",
                              hint="1-80 letters, digits, spaces, dots, dashes or underscores")
    return name


def create_notification(ctx: SettingsContext, actor: str, alias: str, name: str, spec: NotificationSpec, *,
                        enabled: bool = True) -> Notification:
    """Check the actor, the org and ``spec`` (schema and Slack), then save it as version 1. Audited."""
    require_sales_admin(ctx.control, ctx.directory, ctx.workspace, actor)
    get_org(ctx.control, ctx.settings, alias)
    name = check_name(name)
    checked, resolved = check_spec(ctx, alias, spec, path=f"notifications.{name}")
    with ctx.control.transaction() as db:
        return write_in(db, ctx.workspace, actor, alias=alias, name=name, spec=checked, resolved=resolved,
                        enabled=enabled, existing=None, action="notifications.create")


def edit_notification(ctx: SettingsContext, actor: str, ref: str, *, alias: str | None = None,
                      spec: NotificationSpec | None = None, name: str | None = None) -> Notification:
    """Replace the definition (and/or rename); a new version when anything changed. Audited."""
    require_sales_admin(ctx.control, ctx.directory, ctx.workspace, actor)
    existing = get_notification(ctx.control, ctx.workspace, ref, alias)
    new_name = check_name(name) if name else existing.name
    checked, resolved = check_spec(ctx, existing.alias, spec or existing.spec, path=f"notifications.{new_name}")
    with ctx.control.transaction() as db:
        current = find_in(db, ctx.workspace, existing.id)
        return write_in(db, ctx.workspace, actor, alias=existing.alias, name=new_name, spec=checked,
                        resolved=resolved, enabled=current.enabled, existing=current, action="notifications.edit")


def set_enabled(ctx: SettingsContext, actor: str, ref: str, enabled: bool, *, alias: str | None = None) -> bool:
    """Enable or disable (False: it already was). Audited; the version does not change."""
    require_sales_admin(ctx.control, ctx.directory, ctx.workspace, actor)
    with ctx.control.transaction() as db:
        existing = find_in(db, ctx.workspace, ref, alias)
        if existing.enabled == enabled:
            return False
        db.execute("UPDATE notifications SET enabled = ?, updated_by = ?, updated_at = ? WHERE id = ?",
                   [enabled, actor, datetime.now(UTC), existing.id])
        record_change(db, ctx.workspace, actor, "notifications.enable" if enabled else "notifications.disable",
                      f"orgs.{existing.alias}.notifications.{existing.name}.enabled", existing.enabled, enabled)
    return True


def delete_notification(ctx: SettingsContext, actor: str, ref: str, *, alias: str | None = None) -> Notification:
    """Delete it (its versions and what it sent stay for the record). Audited."""
    require_sales_admin(ctx.control, ctx.directory, ctx.workspace, actor)
    with ctx.control.transaction() as db:
        existing = find_in(db, ctx.workspace, ref, alias)
        delete_in(db, ctx.workspace, actor, existing)
    return existing
