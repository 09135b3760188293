"""Mappings a sales admin approved: a Salesforce user linked to a Slack user whatever their emails say (SPEC §3 of
issue 19: "the member's Salesforce user must be the one mapped to their Slack user — same verified email, or a
mapping a sales admin approved").

Invariants:

- Only sales admins approve and revoke (:func:`~saleshome.settings.roles.require_sales_admin`); every change is
  audited (``members.approve``, ``members.revoke``) in the transaction that makes it.
- An approval names a Salesforce user of the org as last synced (``user_map``), active in Salesforce, and an active
  Slack user (not a bot) who is not already linked to another Salesforce user of that org (by email or by another
  approval); otherwise it is refused with the reason and nothing changes.
- Approvals are kept in ``approved_members`` (one per Salesforce user and one per Slack user in an org); the
  user-map step honours them at every refresh (:func:`saleshome.sync.users.refresh_user_map`).
- The change shows in ``user_map`` at once: an approval links the user (status ``approved``, the Slack user's team,
  time zone and locale); a revocation unlinks them (status ``unmatched``, marked stale so the next refresh looks
  them up by email again, whatever the TTL).  A Salesforce connection the app kept for this Salesforce user under
  another Slack user than the one now approved (all of them at a revocation) is forgotten: it no longer acts as
  the member's own user.  Its tokens are not revoked in Salesforce (the CLI may not hold the app's key).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from saleshome.errors import ValidationError
from saleshome.slack.directory import SlackDirectory
from saleshome.slack.profiles import member_profile
from saleshome.warehouse.control import ControlDB, Tx

from .audit import record_change
from .roles import require_sales_admin

__all__ = ["APPROVE", "REVOKE", "ApprovedMember", "approve_member", "list_approved_members", "revoke_member"]

APPROVE, REVOKE = "members.approve", "members.revoke"
STALE = datetime(1970, 1, 1, tzinfo=UTC)  # user_map.refreshed_at of an entry the next refresh must look up again
SF_ID_CASE_SAFE = 15  # a Salesforce id's 15 first characters name it (the 18-character form adds a checksum)


@dataclass(frozen=True)
class ApprovedMember:
    alias: str
    sf_user_id: str
    email: str | None  # the Salesforce user's email, as synced
    slack_user_id: str
    approved_by: str
    approved_at: datetime


def list_approved_members(control: ControlDB, alias: str | None = None) -> list[ApprovedMember]:
    """The approved mappings (of one org, or all), by org then Salesforce email."""
    where = " WHERE a.alias = ?" if alias else ""
    rows = control.rows(
        "SELECT a.alias, a.sf_user_id, m.email, a.slack_user_id, a.approved_by, a.approved_at FROM approved_members a "
        f"LEFT JOIN user_map m ON m.alias = a.alias AND m.sf_user_id = a.sf_user_id{where} "
        "ORDER BY a.alias, m.email, a.sf_user_id", [alias] if alias else [])
    return [ApprovedMember(r["alias"], r["sf_user_id"], r["email"], r["slack_user_id"], r["approved_by"],
                           r["approved_at"]) for r in rows]


def _org(db: Tx, workspace: str, alias: str) -> None:
    if db.execute("SELECT 1 FROM orgs WHERE workspace = ? AND alias = ?", [workspace, alias]).fetchone() is None:
        known = ", ".join(r[0] for r in db.execute("SELECT alias FROM orgs WHERE workspace = ? ORDER BY alias",
                                                   [workspace]).fetchall()) or "none yet"
        raise ValidationError(f"no org called {alias!r} (connected: {known})",
                              hint="give the alias of a connected org (`saleshome org list`)")


def _synced_user(db: Tx, alias: str, sf_user_id: str) -> tuple[str, str | None, str]:
    """(id as synced, email, status) of the org's Salesforce user ``sf_user_id`` (15 or 18 characters)."""
    rows = db.execute("SELECT sf_user_id, email, status FROM user_map WHERE alias = ?", [alias]).fetchall()
    if not rows:
        raise ValidationError(f"org {alias!r} has no synced users yet",
                              hint=f"sync it first (`saleshome sync {alias}`): its users are read from the sync")
    given = sf_user_id.strip()
    found = next((r for r in rows if len(given) in (15, 18) and r[0][:SF_ID_CASE_SAFE] == given[:SF_ID_CASE_SAFE]),
                 None)
    if found is None:
        raise ValidationError(f"no Salesforce user {sf_user_id!r} in org {alias!r} (as last synced)",
                              hint="give the Id (005…) of a User of that org; `saleshome status` lists the unmapped "
                                   "ones")
    return str(found[0]), found[1], str(found[2])


def approve_member(control: ControlDB, directory: SlackDirectory, workspace: str, *, actor: str, alias: str,
                   sf_user_id: str, slack_user_id: str) -> bool:
    """Link Salesforce user ``sf_user_id`` of ``alias`` to Slack user ``slack_user_id`` (False: already so).
    Sales admins only; audited; refused with the reason on bad input (nothing changes)."""
    require_sales_admin(control, directory, workspace, actor)
    with control.reading() as db:
        _org(db, workspace, alias)
        sf_id, email, status = _synced_user(db, alias, sf_user_id)
    if status == "inactive":
        raise ValidationError(f"Salesforce user {sf_id} ({email or 'no email'}) is inactive in org {alias!r}",
                              hint="activate the user in Salesforce first (an inactive user cannot log in)")
    target = directory.user(slack_user_id)  # unknown: a ValidationError
    if target.deleted or target.is_bot:
        raise ValidationError(f"{target.label} is {'deactivated' if target.deleted else 'a bot'} in Slack: a "
                              "Salesforce user is linked to an active person", hint="give an active member's id (U…)")
    profile = member_profile(directory.client, target.id)
    if profile is None:
        raise ValidationError(f"{target.label} is deactivated in Slack", hint="give an active member's id (U…)")
    now = datetime.now(UTC)
    with control.transaction() as db:
        others = db.execute(
            "SELECT sf_user_id FROM approved_members WHERE alias = ? AND slack_user_id = ? AND sf_user_id <> ? "
            "UNION SELECT sf_user_id FROM user_map WHERE alias = ? AND slack_user_id = ? AND sf_user_id <> ? "
            "AND status IN ('matched', 'approved')",
            [alias, target.id, sf_id, alias, target.id, sf_id]).fetchall()
        if others:
            raise ValidationError(
                f"{target.label} is already linked to Salesforce user {others[0][0]} in org {alias!r}",
                hint=f"a Slack user acts as one Salesforce user per org: revoke that approval first "
                     f"(`saleshome org revoke-member {alias} --salesforce-user {others[0][0]}`), or fix the emails")
        before = db.execute("SELECT slack_user_id, approved_by, approved_at FROM approved_members "
                            "WHERE alias = ? AND sf_user_id = ?", [alias, sf_id]).fetchone()
        if before is not None and before[0] == target.id:
            return False
        db.upsert("approved_members", {"alias": alias, "sf_user_id": sf_id, "slack_user_id": target.id,
                                       "approved_by": actor, "approved_at": now})
        db.execute("UPDATE user_map SET slack_user_id = ?, team_id = ?, tz = ?, locale = ?, status = 'approved', "
                   "refreshed_at = ? WHERE alias = ? AND sf_user_id = ?",
                   [target.id, profile.team_id, profile.tz, profile.locale, now, alias, sf_id])
        db.execute("DELETE FROM member_connections WHERE alias = ? AND sf_user_id = ? AND slack_user_id <> ?",
                   [alias, sf_id, target.id])
        record_change(db, workspace, actor, APPROVE, f"members.{alias}.{sf_id}",
                      None if before is None else {"slack_user": before[0]},
                      {"salesforce_user": sf_id, "email": email, "slack_user": target.id}, at=now)
    return True


def revoke_member(control: ControlDB, directory: SlackDirectory, workspace: str, *, actor: str, alias: str,
                  sf_user_id: str) -> bool:
    """Remove the approved mapping of ``sf_user_id`` in ``alias`` (False: there was none).  Sales admins only;
    audited.  The user is unlinked in ``user_map`` at once and mapped by email at the next refresh."""
    require_sales_admin(control, directory, workspace, actor)
    with control.transaction() as db:
        _org(db, workspace, alias)
        sf_id, email, _ = _synced_user(db, alias, sf_user_id)
        before = db.execute("SELECT slack_user_id FROM approved_members WHERE alias = ? AND sf_user_id = ?",
                            [alias, sf_id]).fetchone()
        if before is None:
            return False
        db.execute("DELETE FROM approved_members WHERE alias = ? AND sf_user_id = ?", [alias, sf_id])
        db.execute("UPDATE user_map SET slack_user_id = NULL, team_id = NULL, tz = NULL, locale = NULL, "
                   "status = 'unmatched', refreshed_at = ? WHERE alias = ? AND sf_user_id = ? AND status = 'approved'",
                   [STALE, alias, sf_id])
        db.execute("DELETE FROM member_connections WHERE alias = ? AND sf_user_id = ?", [alias, sf_id])
        record_change(db, workspace, actor, REVOKE, f"members.{alias}.{sf_id}",
                      {"salesforce_user": sf_id, "email": email, "slack_user": before[0]}, None)
    return True
