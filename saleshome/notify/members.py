"""Members' subscriptions in the notification pipeline (issue 20 §2): compiled as notifications, access checked.

A subscription (:mod:`saleshome.settings.subscriptions`) becomes a :class:`Notification` whose recipient is the
member (``recipients.users``: their Slack user, so the user map, the Sales Home permission set and their
language apply exactly as to an admin's DM) and whose scope is a condition before the member's own:

- ``mine``: ``OwnerId = <the member's Salesforce user>``;
- ``team``: ``OwnerId IN (<the member and every user whose role is below theirs>)`` — the role hierarchy is
  read once per evaluation as the integration user (``UserRole``, not a synced object), the users' roles from
  the synced ``User.UserRoleId``;
- ``matching``: no scope condition, the member's conditions only.

They run in the same batch query as the admins' notifications (:func:`.compile.compile_changes`), over the same
change range and watermark: a change is evaluated once for all of them.  Only active subscriptions (not paused,
of a template the admins still allow for members) of members linked in the user map are evaluated.

**Access check: ``UserRecordAccess`` as the integration user, in batch, before anything is queued.**  For the
records a subscription matched, one query per member and 200 records
(``SELECT RecordId, HasReadAccess FROM UserRecordAccess WHERE UserId = … AND RecordId IN (…)``,
:func:`saleshome.salesforce.record_access.readable_records`); a record the member may not read is dropped (counted
as ``no_access``) and never reaches the outbox or a digest.  Chosen over the member's visibility cached from their
own queries because it is Salesforce's own answer *at evaluation time* with every sharing mechanism applied
(org-wide defaults, role hierarchy, sharing rules, teams, manual shares), needs no member session (a member who
never opened the Sales tab, or whose token expired, still gets correct answers), and costs one API call per
member and 200 matched records — the matches, not the org.  A cache from the member's queries would be stale
after any sharing change and empty for records they never listed.  When Salesforce cannot be reached the
evaluation fails before its transaction: the watermark does not move and the next run evaluates the same changes
(exactly once still holds).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from saleshome.salesforce.client import SalesforceClient
from saleshome.salesforce.record_access import readable_records, role_parents
from saleshome.settings.notifications.catalog import TEMPLATES, Condition
from saleshome.settings.notifications.store import Notification
from saleshome.settings.subscriptions import Subscription, subscriptions_in
from saleshome.warehouse.control import ControlDB
from saleshome.warehouse.control_tables import LINKED
from saleshome.warehouse.orgdb import OrgWarehouse

__all__ = ["SUBSCRIPTION_NAME", "MemberPlans", "RecordAccess", "SalesforceRecordAccess", "member_plans"]

SUBSCRIPTION_NAME = "Your subscription"  # the context line of the member's message (translated at rendering)


class RecordAccess(Protocol):
    """What the access check and the team scope read of Salesforce (as the integration user)."""

    def readable(self, sf_user_id: str, record_ids: Sequence[str]) -> set[str]: ...

    def role_parents(self) -> dict[str, str | None]: ...


class SalesforceRecordAccess:
    """:class:`RecordAccess` through ``UserRecordAccess`` and ``UserRole``; logs in at first use only."""

    def __init__(self, open_client: Callable[[], SalesforceClient]) -> None:
        self._open = open_client
        self._client: SalesforceClient | None = None

    @property
    def client(self) -> SalesforceClient:
        if self._client is None:
            self._client = self._open()
        return self._client

    def readable(self, sf_user_id: str, record_ids: Sequence[str]) -> set[str]:
        return readable_records(self.client, sf_user_id, record_ids)

    def role_parents(self) -> dict[str, str | None]:
        return role_parents(self.client)


@dataclass
class MemberPlans:
    """The org's active subscriptions as notifications, whose member each serves, and those left out (why)."""

    notifications: list[Notification] = field(default_factory=list)
    members: dict[str, str] = field(default_factory=dict)  # subscription id → the member's Salesforce user
    skipped: dict[str, str] = field(default_factory=dict)  # subscription id → why it was not evaluated


def _team(member: str, roles: dict[str, str | None], user_roles: dict[str, str | None]) -> list[str]:
    """The member and every user whose role is strictly below the member's (as Salesforce's sharing reads it)."""
    mine = user_roles.get(member)
    if mine is None:
        return [member]
    below: set[str] = set()
    frontier = {mine}
    while frontier:
        frontier = {r for r, parent in roles.items() if parent in frontier} - below
        below |= frontier
    return sorted({member, *(u for u, r in user_roles.items() if r in below)})


def any_active(control: ControlDB, alias: str, *, time_based: bool) -> bool:
    """Whether the org has an active subscription of a change-based (or time-based) template."""
    with control.transaction() as db:
        return any(TEMPLATES[s.template].time_based == time_based for s in subscriptions_in(db, alias, active_only=True))


def member_plans(control: ControlDB, alias: str, wh: OrgWarehouse, access: RecordAccess, *,
                 time_based: bool) -> MemberPlans:
    """The org's active subscriptions of change-based (``time_based`` False) or time-based templates."""
    with control.transaction() as db:
        subs = [s for s in subscriptions_in(db, alias, active_only=True)
                if TEMPLATES[s.template].time_based == time_based]
        linked = {str(r[0]): str(r[1]) for r in db.execute(
            f"SELECT slack_user_id, sf_user_id FROM user_map WHERE alias = ? AND {LINKED} "
            "AND slack_user_id IS NOT NULL", [alias]).fetchall()}
    out = MemberPlans()
    if not subs:
        return out
    roles: dict[str, str | None] | None = None
    user_roles: dict[str, str | None] = {}
    if any(s.scope == "team" for s in subs):
        columns = {r[0] for r in wh.conn.execute(
            "SELECT name FROM columns WHERE object = 'User' AND removed_at IS NULL").fetchall()}
        if "UserRoleId" in columns:
            user_roles = {str(u): r for u, r in wh.conn.execute('SELECT "Id", "UserRoleId" FROM sf."User"').fetchall()}
            roles = access.role_parents()
    for sub in subs:
        member = linked.get(sub.slack_user_id)
        if member is None:
            out.skipped[sub.id] = "the member is not linked to a Salesforce user of this org"
            continue
        if sub.scope == "team" and roles is None:
            out.skipped[sub.id] = "User.UserRoleId is not synced: the role hierarchy cannot be read"
            continue
        scope = _scope(sub, member, roles or {}, user_roles)
        out.notifications.append(_as_notification(sub, scope))
        out.members[sub.id] = member
    return out


def _scope(sub: Subscription, member: str, roles: dict[str, str | None],
           user_roles: dict[str, str | None]) -> list[Condition]:
    if sub.scope == "mine":
        return [Condition(field="OwnerId", op="=", value=member)]
    if sub.scope == "team":
        return [Condition(field="OwnerId", op="in", value=[*_team(member, roles, user_roles)])]
    return []


def _as_notification(sub: Subscription, scope: list[Condition]) -> Notification:
    return Notification(id=sub.id, alias=sub.alias, name=SUBSCRIPTION_NAME, version=sub.version, enabled=True,
                        spec=sub.spec(scope), resolved=sub.resolved, created_by=sub.slack_user_id,
                        created_at=sub.created_at, updated_by=sub.slack_user_id, updated_at=sub.updated_at)
