"""Notifications a member configures for themselves (issue 20 §2): the settings API the Sales tab and the CLI use.

A **subscription** is a notification whose recipient is the member (a DM, immediately or in their daily
digest at their local hour) and whose **scope** is a condition on the record: ``mine`` (records they own),
``team`` (records owned by them or by users whose role is below theirs in the role hierarchy) or
``matching`` (records meeting their conditions, on fields they can see).  The notification pipeline
evaluates subscriptions in the same batch query as the admins' notifications (``saleshome.notify``).

Invariants:

- A member sees and manages only their own subscriptions: every function takes the acting Slack user, and a
  subscription of another member is refused with :class:`NotYourSubscription` (nothing changed, nothing of
  it disclosed beyond its existence).
- Members subscribe only to the templates the sales admins allow for members in that org
  (:func:`set_member_template`, a setting per org and template, versioned and audited); forbidding a template
  later keeps its subscriptions but stops evaluating them.
- The plan and permission-set gates apply: the workspace's Slack plan must include Sales Home, and the member
  must be linked to a Salesforce user of the org who holds the Sales Home permission set (as last synced).
- Every draft is checked against the org's schema as the member sees it (a :class:`MemberSchema`: the member's
  own describe, so fields hidden by field-level security are unknown fields) before anything is written; every
  problem is reported with its path; a change and its audit entry are one transaction (nothing half-changed).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from saleshome.errors import PermissionDeniedError, ValidationError
from saleshome.slack.directory import SlackDirectory
from saleshome.warehouse.control import ControlDB, Tx
from saleshome.warehouse.control_tables import LINKED

from .audit import record_change
from .notifications.catalog import TEMPLATES, Condition, Delivery, NotificationSpec, Recipients, TemplateName
from .notifications.validate import NotificationProblems, Resolved, check_spec
from .roles import require_sales_admin
from .workspace import require_sales_home

__all__ = [
    "MAX_SUBSCRIPTIONS",
    "MemberSchema",
    "MemberTemplate",
    "NotYourSubscription",
    "Scope",
    "Subscription",
    "SubscriptionDraft",
    "SubscriptionProblems",
    "delete_subscription",
    "member_template_settings",
    "member_templates",
    "set_member_template",
    "set_paused",
    "subscribe",
    "subscriptions_of",
    "update_subscription",
]

Scope = Literal["mine", "team", "matching"]
SCOPES: tuple[str, ...] = ("mine", "team", "matching")
DeliveryMode = Literal["immediate", "digest"]
MAX_SUBSCRIPTIONS = 50  # per member and org


class SubscriptionDraft(BaseModel):
    """What a member fills in (the Sales tab's form, or a test): checked by :func:`subscribe`."""

    model_config = ConfigDict(extra="forbid")

    template: TemplateName
    object: str | None = Field(default=None, description="The object watched (default: the template's).")
    options: dict[str, Any] = Field(default_factory=dict, description="The template's options.")
    scope: Scope = Field(default="mine", description="mine: records I own; team: my role hierarchy; "
                                                    "matching: records meeting my conditions.")
    conditions: list[Condition] = Field(default_factory=list, description="Tests on fields the member can see.")
    delivery: DeliveryMode = Field(default="immediate", description="A DM at once, or in my daily digest.")
    digest_hour: int = Field(default=9, ge=0, le=23, description="My local hour of the daily digest.")


@dataclass(frozen=True)
class Subscription:
    """One member's saved subscription (the values as checked: names as describe spells them)."""

    id: str
    alias: str
    slack_user_id: str
    template: str
    object: str
    options: Mapping[str, Any]
    scope: Scope
    conditions: tuple[Condition, ...]
    delivery: DeliveryMode
    digest_hour: int
    resolved: Resolved
    version: int
    paused: bool
    created_at: datetime
    updated_at: datetime

    @property
    def label(self) -> str:
        """The template's label (English; the Sales tab translates the template name itself)."""
        return TEMPLATES[self.template].label

    def draft(self) -> SubscriptionDraft:
        """The subscription as a draft (to pre-fill an edit form)."""
        return SubscriptionDraft.model_validate({
            "template": self.template, "object": self.object, "options": dict(self.options), "scope": self.scope,
            "conditions": [c.model_dump() for c in self.conditions], "delivery": self.delivery,
            "digest_hour": self.digest_hour})

    def spec(self, scope_conditions: list[Condition]) -> NotificationSpec:
        """The subscription as a notification: its recipient the member, its scope ``scope_conditions``
        (what the pipeline resolves ``mine``/``team`` to) before the member's own conditions."""
        return NotificationSpec(
            template=self.template,  # checked at save time
            object=self.object, options=dict(self.options), conditions=[*scope_conditions, *self.conditions],
            recipients=Recipients(users=[self.slack_user_id]),
            delivery=Delivery(mode=self.delivery, frequency="daily", hour=self.digest_hour))

    def audit_value(self) -> dict[str, Any]:
        return {"id": self.id, "member": self.slack_user_id, "version": self.version, "paused": self.paused,
                "subscription": self.draft().model_dump(mode="json", exclude_defaults=True)}


@dataclass(frozen=True)
class MemberTemplate:
    """A template the admins allow members of an org to subscribe to."""

    name: str
    label: str
    description: str
    default_object: str | None
    time_based: bool


class MemberSchema(Protocol):
    """The org's schema as the member sees it: ``describe(alias, object)`` gives the REST describe shape
    (``name``, ``fields`` with ``name``, ``type``, ``label``, ``picklistValues``, ``nameField``) with only the
    fields the member may read.  :class:`saleshome.settings.member_schema.UiSchema` builds it from the member's
    own UI API session; a :class:`~saleshome.settings.context.SettingsContext` (the integration user) is one too."""

    def describe(self, alias: str, name: str) -> dict[str, Any]: ...


class NotYourSubscription(PermissionDeniedError):
    """The subscription belongs to another member (or does not exist for this member)."""


class SubscriptionProblems(ValidationError):
    """A draft breaks one or more rules; ``problems`` are ``path: message`` lines."""

    def __init__(self, problems: list[str]) -> None:
        count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
        super().__init__(f"subscription not saved, {count}:\n  " + "\n  ".join(problems),
                         hint="fix every line above and try again; nothing was changed")
        self.problems = problems


# ---------------------------------------------------------------------- reading
def _from_row(row: Mapping[str, Any]) -> Subscription:
    def doc(value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value

    return Subscription(
        id=row["id"], alias=row["alias"], slack_user_id=row["slack_user_id"], template=row["template"],
        object=row["object"], options=doc(row["options"]), scope=row["scope"],
        conditions=tuple(Condition.model_validate(c) for c in doc(row["conditions"])), delivery=row["delivery"],
        digest_hour=int(row["digest_hour"]), resolved=Resolved.model_validate(doc(row["resolved"])),
        version=int(row["version"]), paused=bool(row["paused"]), created_at=row["created_at"],
        updated_at=row["updated_at"])


def subscriptions_in(db: Tx, alias: str | None = None, *, slack_user_id: str | None = None,
                     active_only: bool = False) -> list[Subscription]:
    """Subscriptions (of one org, of one member), oldest first; ``active_only``: not paused and of a template
    the admins still allow for members (what evaluation reads)."""
    sql = "SELECT s.* FROM member_subscriptions s"
    where: list[str] = []
    params: list[Any] = []
    if active_only:
        sql += (" JOIN member_template_settings t ON t.alias = s.alias AND t.template = s.template AND t.allowed")
        where.append("NOT s.paused")
    if alias is not None:
        where.append("s.alias = ?")
        params.append(alias)
    if slack_user_id is not None:
        where.append("s.slack_user_id = ?")
        params.append(slack_user_id)
    if where:
        sql += " WHERE " + " AND ".join(where)
    return [_from_row(r) for r in db.rows(sql + " ORDER BY s.created_at, s.id", params)]


def subscriptions_of(control: ControlDB, alias: str, slack_user_id: str) -> list[Subscription]:
    """The member's own subscriptions in org ``alias`` (paused ones included), oldest first."""
    with control.transaction() as db:
        return subscriptions_in(db, alias, slack_user_id=slack_user_id)


def member_templates(control: ControlDB, alias: str) -> list[MemberTemplate]:
    """The templates members of org ``alias`` may subscribe to, in catalog order."""
    allowed = {r["template"] for r in control.rows(
        "SELECT template FROM member_template_settings WHERE alias = ? AND allowed", [alias])}
    return [MemberTemplate(t.name, t.label, t.description, t.default_object, t.time_based)
            for t in TEMPLATES.values() if t.name in allowed]


def member_template_settings(control: ControlDB, alias: str | None = None) -> list[dict[str, Any]]:
    """Per org and template: allowed for members or not, its version, who changed it last and when
    (templates never set read as not allowed, version 0); for ``saleshome notifications member-templates list``."""
    aliases = [alias] if alias else [r["alias"] for r in control.rows("SELECT alias FROM orgs ORDER BY alias")]
    rows = {(r["alias"], r["template"]): r for r in control.rows(
        "SELECT alias, template, allowed, version, updated_by, updated_at FROM member_template_settings")}
    out = []
    for a in aliases:
        for name, t in TEMPLATES.items():
            r = rows.get((a, name))
            out.append({"org": a, "template": name, "label": t.label, "allowed": bool(r and r["allowed"]),
                        "version": int(r["version"]) if r else 0, "updated_by": r["updated_by"] if r else None,
                        "updated_at": r["updated_at"] if r else None})
    return out


# ---------------------------------------------------------------------- gates
def _workspace_of(db: Tx, alias: str) -> str:
    row = db.execute("SELECT workspace FROM orgs WHERE alias = ?", [alias]).fetchone()
    if row is None:
        raise ValidationError(f"no org {alias!r}", hint="list the connected orgs with `saleshome org list`")
    return str(row[0])


def _require_member(db: Tx, alias: str, slack_user_id: str) -> str:
    """The member's Salesforce user in ``alias``, when they are linked to one who holds the Sales Home
    permission set (as last synced)."""
    rows = db.rows(f"SELECT sf_user_id, sales_home_user FROM user_map WHERE alias = ? AND slack_user_id = ? "
                   f"AND {LINKED}", [alias, slack_user_id])
    if not rows:
        raise PermissionDeniedError(
            f"{slack_user_id} is not linked to a Salesforce user of org {alias!r}",
            hint="the user map links Slack and Salesforce users by email; a sales admin can approve a mapping")
    if not any(r["sales_home_user"] for r in rows):
        raise PermissionDeniedError(
            f"{slack_user_id} does not hold the Sales Home permission set in org {alias!r}",
            hint="ask a Salesforce admin to assign the Sales Home permission set; it counts from the next sync")
    return str(rows[0]["sf_user_id"])


def _gates(control: ControlDB, alias: str, slack_user_id: str) -> str:
    """The org's workspace, once the plan and permission-set gates passed."""
    with control.transaction() as db:
        workspace = _workspace_of(db, alias)
        _require_member(db, alias, slack_user_id)
    require_sales_home(control, workspace)
    return workspace


def _own(db: Tx, alias: str, slack_user_id: str, subscription_id: str) -> Subscription:
    rows = db.rows("SELECT * FROM member_subscriptions WHERE id = ? AND alias = ?", [subscription_id, alias])
    if not rows:
        raise ValidationError(f"no subscription {subscription_id!r} in org {alias!r}",
                              hint="the Sales tab lists your subscriptions")
    found = _from_row(rows[0])
    if found.slack_user_id != slack_user_id:
        raise NotYourSubscription(f"subscription {subscription_id!r} belongs to another member: "
                                  "a member sees and manages only their own subscriptions",
                                  hint="manage your own subscriptions from your Sales tab")
    return found


# ---------------------------------------------------------------------- checking a draft
class _AsSource:
    """A :class:`MemberSchema` as the validator's schema source (no Slack: a subscription names no channel)."""

    def __init__(self, schema: MemberSchema) -> None:
        self.schema = schema

    @property
    def directory(self) -> SlackDirectory:  # pragma: no cover - never read (no channel or user to check)
        raise ValidationError("a subscription names no channel or user", hint="its recipient is the member")

    def sobject(self, alias: str, name: str) -> dict[str, Any]:
        return {"name": self.describe(alias, name)["name"]}

    def describe(self, alias: str, name: str) -> dict[str, Any]:
        return self.schema.describe(alias, name)


def check_draft(schema: MemberSchema, alias: str, draft: SubscriptionDraft,
                allowed: set[str]) -> tuple[SubscriptionDraft, Resolved]:
    """``draft`` with names as describe spells them and the template's options written out, and what describe
    said; raises :class:`SubscriptionProblems` listing every problem."""
    path = "subscription"
    if draft.template not in allowed:
        raise SubscriptionProblems([
            f"{path}.template: the sales admins do not allow members to subscribe to {draft.template!r} in org "
            f"{alias!r}" + (f" (allowed: {', '.join(sorted(allowed))})" if allowed else " (none is allowed)")])
    spec = NotificationSpec(template=draft.template, object=draft.object, options=draft.options,
                            conditions=draft.conditions, recipients=Recipients(),
                            delivery=Delivery(mode=draft.delivery, frequency="daily", hour=draft.digest_hour))
    try:
        checked, resolved = check_spec(_AsSource(schema), alias, spec, path=path, recipients_required=False)
        problems: list[str] = []
    except NotificationProblems as exc:
        problems = list(exc.problems)
        checked, resolved = spec, Resolved(object=draft.object or "?")
    if not problems:
        if draft.scope in ("mine", "team") and "OwnerId" not in resolved.types:
            problems.append(f"{path}.scope: {resolved.object} has no owner you can see: "
                            "subscribe to records matching conditions instead")
        if draft.scope == "matching" and not checked.conditions:
            problems.append(f"{path}.conditions: records matching conditions need at least one condition")
    if problems:
        raise SubscriptionProblems(problems)
    return draft.model_copy(update={"object": checked.object, "options": checked.options,
                                    "conditions": checked.conditions}), resolved


def _allowed(db: Tx, alias: str) -> set[str]:
    return {str(r[0]) for r in db.execute(
        "SELECT template FROM member_template_settings WHERE alias = ? AND allowed", [alias]).fetchall()}


# ---------------------------------------------------------------------- the member's operations
def _write(db: Tx, workspace: str, alias: str, slack_user_id: str, draft: SubscriptionDraft, resolved: Resolved,
           existing: Subscription | None) -> Subscription:
    now = datetime.now(UTC)
    options = json.dumps(draft.options, sort_keys=True)
    conditions = json.dumps([c.model_dump(mode="json") for c in draft.conditions])
    resolved_doc = json.dumps(resolved.model_dump(mode="json"), sort_keys=True)
    values = [draft.template, draft.object, options, draft.scope, conditions, draft.delivery, draft.digest_hour,
              resolved_doc]
    if existing is None:
        sid, version, created_at, paused = "s_" + uuid.uuid4().hex[:12], 1, now, False
        db.execute("INSERT INTO member_subscriptions (id, workspace, alias, slack_user_id, template, object, options, "
                   "scope, conditions, delivery, digest_hour, resolved, version, paused, created_at, updated_at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   [sid, workspace, alias, slack_user_id, *values, version, paused, now, now])
    else:
        sid, created_at, paused = existing.id, existing.created_at, existing.paused
        version = existing.version + (existing.draft() != draft)
        db.execute("UPDATE member_subscriptions SET template = ?, object = ?, options = ?, scope = ?, conditions = ?, "
                   "delivery = ?, digest_hour = ?, resolved = ?, version = ?, updated_at = ? WHERE id = ?",
                   [*values, version, now, sid])
    saved = Subscription(sid, alias, slack_user_id, draft.template, str(draft.object), draft.options, draft.scope,
                         tuple(draft.conditions), draft.delivery, draft.digest_hour, resolved, version, paused,
                         created_at, now)
    record_change(db, workspace, slack_user_id, "subscriptions.create" if existing is None else "subscriptions.edit",
                  f"orgs.{alias}.subscriptions.{sid}", None if existing is None else existing.audit_value(),
                  saved.audit_value())
    return saved


def subscribe(control: ControlDB, schema: MemberSchema, alias: str, slack_user_id: str,
              draft: SubscriptionDraft) -> Subscription:
    """Save a new subscription of ``slack_user_id`` (the acting member) in org ``alias``: gates, then the draft
    checked against the org's schema as the member sees it, then one transaction (row + audit)."""
    workspace = _gates(control, alias, slack_user_id)
    with control.transaction() as db:
        allowed = _allowed(db, alias)
    checked, resolved = check_draft(schema, alias, draft, allowed)
    with control.transaction() as db:
        if draft.template not in _allowed(db, alias):  # forbidden meanwhile
            raise SubscriptionProblems([f"subscription.template: {draft.template!r} is no longer allowed for members"])
        count = db.execute("SELECT count(*) FROM member_subscriptions WHERE alias = ? AND slack_user_id = ?",
                           [alias, slack_user_id]).fetchone()
        if count is not None and int(count[0]) >= MAX_SUBSCRIPTIONS:
            raise ValidationError(f"at most {MAX_SUBSCRIPTIONS} subscriptions per member and org",
                                  hint="delete one you no longer need")
        return _write(db, workspace, alias, slack_user_id, checked, resolved, None)


def update_subscription(control: ControlDB, schema: MemberSchema, alias: str, slack_user_id: str,
                        subscription_id: str, draft: SubscriptionDraft) -> Subscription:
    """Replace the definition of the member's own subscription (a new version when anything changed)."""
    workspace = _gates(control, alias, slack_user_id)
    with control.transaction() as db:
        _own(db, alias, slack_user_id, subscription_id)
        allowed = _allowed(db, alias)
    checked, resolved = check_draft(schema, alias, draft, allowed)
    with control.transaction() as db:
        existing = _own(db, alias, slack_user_id, subscription_id)
        if draft.template not in _allowed(db, alias):
            raise SubscriptionProblems([f"subscription.template: {draft.template!r} is no longer allowed for members"])
        return _write(db, workspace, alias, slack_user_id, checked, resolved, existing)


def set_paused(control: ControlDB, alias: str, slack_user_id: str, subscription_id: str,
               paused: bool) -> Subscription:
    """Pause or resume the member's own subscription (the version does not change; audited)."""
    with control.transaction() as db:
        workspace = _workspace_of(db, alias)
        existing = _own(db, alias, slack_user_id, subscription_id)
        if existing.paused == paused:
            return existing
        now = datetime.now(UTC)
        db.execute("UPDATE member_subscriptions SET paused = ?, updated_at = ? WHERE id = ?",
                   [paused, now, existing.id])
        record_change(db, workspace, slack_user_id, "subscriptions.pause" if paused else "subscriptions.resume",
                      f"orgs.{alias}.subscriptions.{existing.id}.paused", existing.paused, paused)
    return replace(existing, paused=paused, updated_at=now)


def delete_subscription(control: ControlDB, alias: str, slack_user_id: str, subscription_id: str) -> Subscription:
    """Delete the member's own subscription (what it sent stays in the record). Audited."""
    with control.transaction() as db:
        workspace = _workspace_of(db, alias)
        existing = _own(db, alias, slack_user_id, subscription_id)
        db.execute("DELETE FROM member_subscriptions WHERE id = ?", [existing.id])
        record_change(db, workspace, slack_user_id, "subscriptions.delete",
                      f"orgs.{alias}.subscriptions.{existing.id}", existing.audit_value(), None)
    return existing


# ---------------------------------------------------------------------- the admins' setting
def set_member_template(control: ControlDB, directory: SlackDirectory, actor: str, alias: str, template: str,
                        allowed: bool) -> bool:
    """Allow or forbid members of org ``alias`` to subscribe to ``template`` (sales admins only; the plan gate
    applies).  False: it already was so.  Versioned (+1 per change) and audited in the same transaction."""
    if template not in TEMPLATES:
        raise ValidationError(f"no template {template!r}",
                              hint=f"one of {', '.join(TEMPLATES)} (`saleshome notifications templates`)")
    with control.transaction() as db:
        workspace = _workspace_of(db, alias)
    require_sales_admin(control, directory, workspace, actor)
    with control.transaction() as db:
        row = db.execute("SELECT allowed, version FROM member_template_settings WHERE alias = ? AND template = ?",
                         [alias, template]).fetchone()
        before = bool(row[0]) if row is not None else False
        if before == allowed:
            return False
        version = (int(row[1]) if row is not None else 0) + 1
        db.upsert("member_template_settings", {"alias": alias, "template": template, "allowed": allowed,
                                               "version": version, "updated_by": actor,
                                               "updated_at": datetime.now(UTC)})
        record_change(db, workspace, actor, "subscriptions.templates.allow" if allowed
                      else "subscriptions.templates.forbid", f"orgs.{alias}.member_templates.{template}",
                      {"allowed": before, "version": version - 1}, {"allowed": allowed, "version": version})
    return True


def parse_draft(values: Mapping[str, Any]) -> SubscriptionDraft:
    """A draft from plain values (a form's or a file's), every problem listed as :class:`SubscriptionProblems`."""
    try:
        return SubscriptionDraft.model_validate(dict(values))
    except PydanticValidationError as exc:
        raise SubscriptionProblems([
            f"subscription.{'.'.join(str(p) for p in e['loc'])}: "
            + ("unknown option (check its spelling)" if e["type"] == "extra_forbidden" else e["msg"])
            for e in exc.errors()]) from None
