"""The sales admin role: who may grant it, who holds it, and the checks every change goes through.

- Only **sales admins** change Sales Home settings (:func:`require_sales_admin`).
- The **primary owner** grants and revokes the role on Business+ (and on any plan with the
  Sales Elevate add-on); on **Enterprise plans**, the organisation's **role admins** do, and
  the primary owner too (:func:`require_role_granter`).

Who is primary owner or admin is read from Slack each time (``users.info``), never cached on
disk.  Slack keeps "Roles Admin" assignments behind the org-level ``admin.roles.*`` methods,
which need an org admin's user token; Sales Home reads only what its bot token can see, so on
Enterprise plans the organisation's owners and admins (``is_owner``, ``is_admin``) act as its
role admins.  The sales admin assignments themselves are kept in the control database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from saleshome.errors import PermissionDeniedError, ValidationError
from saleshome.slack.directory import SlackDirectory, SlackUser
from saleshome.warehouse.control import ControlDB

from .audit import record_change
from .workspace import Workspace, require_sales_home, require_sales_home_of, workspace_in

SALES_ADMIN = "sales_admin"


@dataclass(frozen=True)
class RoleAssignment:
    user_id: str
    role: str
    granted_by: str
    granted_at: datetime


def list_sales_admins(control: ControlDB, workspace: str) -> list[RoleAssignment]:
    rows = control.rows(
        "SELECT user_id, role, granted_by, granted_at FROM role_assignments WHERE workspace = ? AND role = ? "
        "ORDER BY granted_at, user_id", [workspace, SALES_ADMIN])
    return [RoleAssignment(r["user_id"], r["role"], r["granted_by"], r["granted_at"]) for r in rows]


def is_sales_admin(control: ControlDB, workspace: str, user_id: str) -> bool:
    return bool(control.rows("SELECT 1 FROM role_assignments WHERE workspace = ? AND user_id = ? AND role = ?",
                             [workspace, user_id, SALES_ADMIN]))


def can_grant(user: SlackUser, found: Workspace) -> bool:
    """True when ``user`` may grant and revoke the sales admin role on this plan."""
    if user.deleted or user.is_bot:
        return False
    if user.is_primary_owner:
        return True
    return found.plan.is_enterprise and (user.is_owner or user.is_admin)


def _active(directory: SlackDirectory, actor: str) -> SlackUser:
    user = directory.user(actor)
    if user.deleted:
        raise PermissionDeniedError(f"{user.label} is deactivated in Slack", hint="act as an active Slack user")
    return user


def require_role_granter(control: ControlDB, directory: SlackDirectory, workspace: str, actor: str) -> SlackUser:
    """The actor, when Sales Home is available and they may grant the sales admin role."""
    found = require_sales_home(control, workspace)
    user = _active(directory, actor)
    if not can_grant(user, found):
        who = ("the organisation's primary owner or role admins (its owners and admins)" if found.plan.is_enterprise
               else "the workspace's primary owner")
        raise PermissionDeniedError(
            f"{user.label} may not grant or revoke the sales admin role: on the {found.plan.label} plan only "
            f"{who} can",
            hint=f"ask {who} to do it",
        )
    return user


def require_sales_admin(control: ControlDB, directory: SlackDirectory, workspace: str, actor: str) -> SlackUser:
    """The actor, when Sales Home is available and they hold the sales admin role (every settings change)."""
    with control.transaction() as db:  # one short transaction for both reads
        found = workspace_in(db, workspace)
        holds = db.execute("SELECT 1 FROM role_assignments WHERE workspace = ? AND user_id = ? AND role = ?",
                           [workspace, actor, SALES_ADMIN]).fetchone() is not None
    require_sales_home_of(found, workspace)
    user = _active(directory, actor)
    if not holds:
        raise PermissionDeniedError(
            f"{user.label} is not a sales admin: only sales admins change Sales Home settings",
            hint="ask the primary owner (Business+) or a role admin (Enterprise) to run "
                 f"`saleshome roles grant {user.id}`",
        )
    return user


def grant_sales_admin(control: ControlDB, directory: SlackDirectory, workspace: str, *, actor: str,
                      user: str) -> bool:
    """Give ``user`` the sales admin role (False: they already had it). Audited."""
    require_role_granter(control, directory, workspace, actor)
    target = directory.user(user)
    if target.deleted or target.is_bot:
        raise ValidationError(f"{target.label} is {'deactivated' if target.deleted else 'a bot'}: "
                              "the sales admin role goes to an active person",
                              hint="pick an active member of the workspace")
    with control.transaction() as db:
        exists = db.execute("SELECT 1 FROM role_assignments WHERE workspace = ? AND user_id = ? AND role = ?",
                            [workspace, target.id, SALES_ADMIN]).fetchone()
        if exists:
            return False
        db.execute("INSERT INTO role_assignments VALUES (?, ?, ?, ?, ?)",
                   [workspace, target.id, SALES_ADMIN, actor, datetime.now(UTC)])
        record_change(db, workspace, actor, "roles.grant", f"roles.{SALES_ADMIN}.{target.id}", None,
                      {"user": target.id, "role": SALES_ADMIN})
    return True


def revoke_sales_admin(control: ControlDB, directory: SlackDirectory, workspace: str, *, actor: str,
                       user: str) -> bool:
    """Take the sales admin role from ``user`` (False: they did not have it). Audited."""
    require_role_granter(control, directory, workspace, actor)
    with control.transaction() as db:
        exists = db.execute("SELECT 1 FROM role_assignments WHERE workspace = ? AND user_id = ? AND role = ?",
                            [workspace, user, SALES_ADMIN]).fetchone()
        if not exists:
            return False
        db.execute("DELETE FROM role_assignments WHERE workspace = ? AND user_id = ? AND role = ?",
                   [workspace, user, SALES_ADMIN])
        record_change(db, workspace, actor, "roles.revoke", f"roles.{SALES_ADMIN}.{user}",
                      {"user": user, "role": SALES_ADMIN}, None)
    return True
