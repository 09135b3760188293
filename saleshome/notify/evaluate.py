"""Evaluating an org's notifications: matches → recipients → outbox rows or digest items.

:func:`evaluate` (after each sync run) runs every enabled change-based notification of the
org as one DuckDB query over the change-log rows it has not evaluated yet — everything committed
after its watermark (:mod:`saleshome.warehouse.watermarks`), whichever run committed it (one
that failed, was killed or paused for quota included) — (:func:`.compile.compile_changes`);
:func:`evaluate_scheduled` (a scheduled flow) runs the time-based ones over the synced
tables.  Then, for what matched (one match per notification and record):

- a notification within its cooldown for that record is skipped;
- recipients are resolved: the record owner and the owner's manager (``User.ManagerId``)
  through the user map (Salesforce user → Slack user by email), given users and channels;
  only Sales members (the permission set) get a DM; a DM to a member with no Slack match
  is skipped and reported;
- each recipient gets one message whose idempotency key is (notification id, version,
  record Id, the change's SystemModstamp — or the period for time-based templates,
  recipient); immediate ones go to the outbox, digest ones to ``digest_items``;
- a message reads as its recipient reads (:mod:`.readers`, :mod:`.fields`): labels from the
  describe the last sync kept, lookups by name (read for every record of the evaluation at once),
  values in the recipient's language, zone and the record's currency — rendered once per record
  and (locale, time zone), however many recipients share them.

Members' subscriptions (:mod:`.members`) are notifications too: compiled into the same query, over the same
range and watermark, recipient the member.  Before anything is queued, the records they matched are checked in
batch with ``UserRecordAccess`` as the integration user: a record the member may not read never produces a
message (``no_access``).  **One DM, not two**: when an admin notification and a member's subscription (or two of
the member's subscriptions) fire on the same change of the same record for the same member, the member gets one
message — the admin notification's.  It wins because it is the org's agreed message: its key, version and
dashboard counts do not depend on whether a member also subscribed, and the member loses nothing (the same record
and change, in their own language either way); the subscription's is dropped and counted as ``covered``.  The
choice is made while the evaluation's messages are built and written in its one transaction, so it holds
whatever order the matches come in.

On a workspace whose Slack plan does not include Sales Home (or with no plan declared) nothing
is evaluated: the summary says why (``skipped``), as celebrations do.

All writes of one evaluation — outbox rows, digest items, events and the new watermark — happen
in one control-database transaction: a change is evaluated exactly once (a crash before that
commit reads it again; after it, never), and the keys make a second evaluation add nothing
anyway.  With no notification enabled the watermark still moves (a notification created later
starts from its creation, not from the org's history).  Initial syncs and backfills are silent
unless the run was started with ``notify``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from saleshome.config import Settings
from saleshome.errors import ConfigurationError
from saleshome.i18n import Formatter, messages
from saleshome.salesforce.login import connect
from saleshome.settings.celebrations import won_stage as chosen_won_stage
from saleshome.settings.layouts import layout_for
from saleshome.settings.members import eligible_users
from saleshome.settings.notifications.catalog import TEMPLATES
from saleshome.settings.notifications.store import Notification, load_notifications
from saleshome.settings.orgs import get_org
from saleshome.settings.workspace import sales_home_problem
from saleshome.warehouse.control import ControlDB, Tx
from saleshome.warehouse.control_tables import LINKED
from saleshome.warehouse.orgdb import OrgWarehouse, q
from saleshome.warehouse.outbox import OutboxMessage, enqueue, idempotency_key
from saleshome.warehouse.outbox_states import OutboxKind
from saleshome.warehouse.watermarks import NOTIFYING, ChangeRange, Step, advance, pending

from .compile import Compiled, Plan, compile_changes, compile_scheduled, usable
from .fields import CURRENCY_FIELD, Describe, Reader, Values, org_currency, read_describe, read_names, reference_ids
from .members import SUBSCRIPTION_NAME, MemberPlans, RecordAccess, SalesforceRecordAccess, any_active, member_plans
from .readers import read_readers
from .render import Change, ChangeLine, RenderedRecord, digest_line, notification_message
from .titles import object_label, title_of


@dataclass
class NotificationResult:
    id: str
    name: str
    matched: int = 0
    cooled: int = 0
    unmapped: int = 0
    not_member: int = 0
    queued: int = 0
    no_access: int = 0  # a member's subscription matched a record the member may not read: dropped
    covered: int = 0  # a member's subscription whose DM another message about the same change already gives
    skipped: str | None = None  # why it was not evaluated (a column not synced...)


@dataclass
class EvaluationSummary:
    alias: str
    run_id: str | None
    notifications: int = 0
    matched: int = 0
    messages: int = 0  # new outbox rows
    digest_items: int = 0  # new digest items
    cooled: int = 0
    not_member: int = 0
    subscriptions: int = 0  # members' subscriptions evaluated
    no_access: int = 0  # subscription matches dropped: the member may not read the record
    covered: int = 0  # subscription DMs not sent: the member already gets one about the same change
    unmapped_users: list[str] = field(default_factory=list)  # Salesforce users a DM was skipped for
    changes: int = 0  # change-log rows read (committed since the last evaluation)
    silent: bool = False  # some were initial/backfill rows of a run that did not ask to notify
    warnings: list[str] = field(default_factory=list)
    results: list[NotificationResult] = field(default_factory=list)
    seconds: float = 0.0
    skipped: str | None = None  # why nothing was evaluated (Sales Home not on the workspace's plan)

    def rows(self) -> list[dict[str, Any]]:
        return [{"notification": r.name, "matched": r.matched, "queued": r.queued, "cooldown": r.cooled,
                 "unmapped": r.unmapped, "not member": r.not_member, "skipped": r.skipped or ""}
                for r in self.results]


@dataclass(frozen=True)
class Match:
    nid: str
    record_id: str
    marker: str  # the change's SystemModstamp (ISO) or the time-based period
    changes: int = 1


def plans_of(notifications: Sequence[Notification], won_stage: str | None = None) -> list[Plan]:
    """What evaluation needs of each notification; ``won_stage``: the org's custom won stage (celebration
    settings), which a "deal closed" notification honours like the celebrations do."""
    return [Plan(n.id, n.version, n.spec, n.resolved, won_stage) for n in notifications]


def warehouse_columns(warehouse: OrgWarehouse) -> dict[str, set[str]]:
    """Per synced object, its live columns (the only identifiers evaluation puts in SQL)."""
    rows = warehouse.conn.execute("SELECT object, name FROM columns WHERE removed_at IS NULL").fetchall()
    out: dict[str, set[str]] = {}
    for obj, name in rows:
        out.setdefault(obj, set()).add(name)
    return out


def run_matches(warehouse: OrgWarehouse, compiled: Compiled) -> list[tuple[Any, ...]]:
    return warehouse.conn.execute(compiled.sql, compiled.params).fetchall()


SKIPPED_NO_SALES_HOME = "Sales Home is not available on this workspace's plan (or no plan is declared)"


def _unavailable(control: ControlDB, settings: Settings) -> str | None:
    """Why notifications may not run on this workspace (None: its plan includes Sales Home)."""
    return None if sales_home_problem(control, settings.workspace) is None else SKIPPED_NO_SALES_HOME


def _stamp(value: Any) -> str:
    return value.astimezone(UTC).isoformat() if isinstance(value, datetime) else str(value)


def _record_access(control: ControlDB, settings: Settings, alias: str) -> SalesforceRecordAccess:
    """The org's access checks as the integration user (logged in at first use only)."""
    return SalesforceRecordAccess(lambda: connect(get_org(control, settings, alias)))


def evaluate(control: ControlDB, settings: Settings, alias: str, run_id: str | None = None, *,
             warehouse: OrgWarehouse | None = None, now: datetime | None = None,
             access: RecordAccess | None = None) -> EvaluationSummary:
    """Evaluate the org's enabled change-based notifications and its members' active subscriptions over every
    change committed since the last evaluation (see the module docstring).  ``run_id``: the sync run that asks,
    for the summary (default: the run that logged the newest change); ``access``: the access checks (default:
    ``UserRecordAccess`` as the org's integration user)."""
    started = time.perf_counter()
    now = now or datetime.now(UTC)
    if skipped := _unavailable(control, settings):
        return EvaluationSummary(alias, run_id, skipped=skipped)
    notifications = [n for n in load_notifications(control, settings.workspace, alias, enabled_only=True)
                     if not TEMPLATES[n.template].time_based]
    own = warehouse is None
    wh = warehouse or OrgWarehouse(settings.org_db(alias), lock_timeout=settings.lock_timeout_seconds)
    try:
        changes = pending(control, wh, alias, Step.NOTIFICATIONS)
        summary = EvaluationSummary(alias, run_id or changes.run_id, notifications=len(notifications))
        if changes.empty:
            return summary
        counts = wh.conn.execute(f"SELECT count(*), count(*) FILTER (WHERE NOT {NOTIFYING}) FROM change_log "
                                 f"WHERE {changes.where()}").fetchone()
        summary.changes, summary.silent = (int(counts[0]), bool(counts[1])) if counts else (0, False)
        access = access or _record_access(control, settings, alias)
        members = member_plans(control, alias, wh, access, time_based=False)
        summary.subscriptions = len(members.notifications)
        everything = [*notifications, *members.notifications]
        if not everything:
            with control.transaction() as db:
                advance(db, alias, changes, now)
            return summary
        plans = plans_of(everything, chosen_won_stage(control, alias))
        compiled = compile_changes(plans, warehouse_columns(wh), changes=changes, today=now.astimezone(UTC).date())
        matches = [] if compiled is None else [Match(compiled.plans[r[0]].id, r[1], _stamp(r[2]), int(r[3]))
                                              for r in run_matches(wh, compiled)]
        _deliver(settings, control, wh, alias, everything, matches, summary, now=now, changes=changes,
                 skipped=compiled.skipped if compiled else _all_skipped(plans, wh), subs=members, access=access)
    finally:
        if own:
            wh.close()
    summary.seconds = time.perf_counter() - started
    return summary


def evaluate_scheduled(control: ControlDB, settings: Settings, alias: str, *, warehouse: OrgWarehouse | None = None,
                       now: datetime | None = None, access: RecordAccess | None = None) -> EvaluationSummary:
    """Evaluate the org's enabled time-based notifications (stale records, upcoming dates) and members' active
    subscriptions to them, as of ``now``."""
    started = time.perf_counter()
    now = now or datetime.now(UTC)
    if skipped := _unavailable(control, settings):
        return EvaluationSummary(alias, None, skipped=skipped)
    notifications = [n for n in load_notifications(control, settings.workspace, alias, enabled_only=True)
                     if TEMPLATES[n.template].time_based]
    summary = EvaluationSummary(alias, None, notifications=len(notifications))
    if not notifications and not any_active(control, alias, time_based=True):
        return summary
    own = warehouse is None
    wh = warehouse or OrgWarehouse(settings.org_db(alias), lock_timeout=settings.lock_timeout_seconds)
    try:
        access = access or _record_access(control, settings, alias)
        members = member_plans(control, alias, wh, access, time_based=True)
        summary.subscriptions = len(members.notifications)
        everything = [*notifications, *members.notifications]
        if not everything:
            return summary
        plans = plans_of(everything)
        compiled = compile_scheduled(plans, warehouse_columns(wh), today=now.astimezone(UTC).date())
        matches = [] if compiled is None else [Match(r[0], r[1], str(r[2])) for r in run_matches(wh, compiled)]
        _deliver(settings, control, wh, alias, everything, matches, summary, now=now, changes=None,
                 skipped=compiled.skipped if compiled else _all_skipped(plans, wh), subs=members, access=access)
    finally:
        if own:
            wh.close()
    summary.seconds = time.perf_counter() - started
    return summary


def _all_skipped(plans: Sequence[Plan], wh: OrgWarehouse) -> dict[str, str]:
    _, skipped = usable(plans, warehouse_columns(wh))
    return skipped


# ---------------------------------------------------------------------- from matches to messages
def _fetch(wh: OrgWarehouse, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cur = wh.conn.execute(sql, params)
    names = [d[0] for d in cur.description or []]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _pseudo_describe(obj: str, columns: set[str], name_field: str | None) -> dict[str, Any]:
    return {"name": obj, "fields": [{"name": c, "nameField": c == name_field, "updateable": False}
                                    for c in sorted(columns)]}


def _deliver(settings: Settings, control: ControlDB, wh: OrgWarehouse, alias: str,
             notifications: Sequence[Notification], matches: Sequence[Match], summary: EvaluationSummary, *,
             now: datetime, changes: ChangeRange | None, skipped: dict[str, str], subs: MemberPlans,
             access: RecordAccess) -> None:
    """Recipients, messages and digest items of ``matches``, written in one control transaction (with the
    watermark past ``changes``: None for the time-based notifications, which have none).  ``subs``: which of
    ``notifications`` are members' subscriptions (their matches are access-checked with ``access`` first)."""
    run_id = changes.run_id if changes is not None else None
    by_id = {n.id: n for n in notifications}
    results = {n.id: NotificationResult(n.id, n.name, skipped=skipped.get(n.id)) for n in notifications}
    summary.results = list(results.values())
    for nid, reason in skipped.items():
        summary.warnings.append(f"{by_id[nid].name}: not evaluated, {reason}")
    for sid, reason in subs.skipped.items():
        summary.warnings.append(f"subscription {sid}: not evaluated, {reason}")
    for m in matches:
        results[m.nid].matched += 1
    summary.matched = len(matches)
    matches = _readable(matches, subs, access, results)
    # The admins' notifications first: a member's subscription yields to them (one DM, not two).
    matches = sorted(matches, key=lambda m: m.nid in subs.members)
    columns = warehouse_columns(wh)
    org = get_org(control, settings, alias)

    # Records (current values) and the changes of the run, per object, fetched once for all matches.
    ids_by_object: dict[str, set[str]] = {}
    for m in matches:
        ids_by_object.setdefault(by_id[m.nid].object, set()).add(m.record_id)
    records: dict[str, dict[str, dict[str, Any]]] = {}
    layouts: dict[str, list[str]] = {}
    for obj, ids in ids_by_object.items():
        have = columns.get(obj, set())
        name_field = next((by_id[m.nid].resolved.name_field for m in matches if by_id[m.nid].object == obj), None)
        layouts[obj] = [f for f in layout_for(control, alias, obj, _pseudo_describe(obj, have, name_field)).fields
                        if f in have]
        wanted = {"Id", "OwnerId", CURRENCY_FIELD, name_field or "Id", *layouts[obj]}
        for n in notifications:
            if n.object == obj:
                wanted |= set(n.spec.fields or []) | {c.field for c in n.spec.conditions}
        cols = ", ".join(q(c) for c in sorted(wanted & have))
        records[obj] = {r["Id"]: r for r in _fetch(wh, f"SELECT {cols} FROM sf.{q(obj)} WHERE \"Id\" IN "
                                                       "(SELECT unnest(?::VARCHAR[]))", [sorted(ids)])}
    changed: dict[str, list[Change]] = {}
    if changes is not None and matches:
        for r in _fetch(wh, "SELECT record_id, field, arg_min(old_value, system_modstamp) AS old, "
                            f"arg_max(new_value, system_modstamp) AS new FROM change_log WHERE {changes.where()} "
                            "AND operation = 'update' AND record_id IN (SELECT unnest(?::VARCHAR[])) "
                            "GROUP BY record_id, field ORDER BY record_id, field",
                        [sorted({m.record_id for m in matches})]):
            changed.setdefault(r["record_id"], []).append(Change(r["field"], r["old"], r["new"]))

    # What the messages show: labels and types from describe, the related records' names (one query per
    # target object for every record and change of this evaluation), the org's currency.
    describe = read_describe(wh)
    lookups: dict[str, set[str]] = {}
    for obj, rows in records.items():
        for target, ids in reference_ids(describe, obj, describe.fields.get(obj, {}), rows.values()).items():
            lookups.setdefault(target, set()).update(ids)
    for m in matches:
        obj = by_id[m.nid].object
        values = [{c.field: v} for c in changed.get(m.record_id, []) for v in (c.old, c.new)]
        for target, ids in reference_ids(describe, obj, describe.fields.get(obj, {}), values).items():
            lookups.setdefault(target, set()).update(ids)
    names = read_names(wh, describe, lookups) if matches else {}
    currency = org_currency(wh, describe, settings.default_currency) if matches else settings.default_currency

    # Who may receive: Sales members, their Slack users and managers.
    needs_people = any(n.spec.recipients.owner or n.spec.recipients.manager or n.spec.recipients.users
                       for n in notifications)
    members: set[str] = set()
    managers: dict[str, str | None] = {}
    if needs_people and matches:
        try:
            members = eligible_users(wh, settings.sales_home_permission_set, now)
        except ConfigurationError as exc:
            summary.warnings.append(f"direct messages skipped: {exc.message}")
        if "ManagerId" in columns.get("User", set()):
            managers = {r["Id"]: r["ManagerId"] for r in _fetch(wh, 'SELECT "Id", "ManagerId" FROM sf."User"', [])}
    mapped = {r["sf_user_id"]: r for r in control.rows(
        f"SELECT sf_user_id, slack_user_id, team_id, tz FROM user_map WHERE alias = ? AND {LINKED}", [alias])}
    by_slack = {r["slack_user_id"]: sf for sf, r in mapped.items()}
    with control.transaction() as db:
        readers = read_readers(db, settings.workspace)
    cards = _Cards(describe, names, currency, org.instance_url, alias,
                   {sf: r["slack_user_id"] for sf, r in mapped.items()})
    last_fired: dict[tuple[str, str], datetime] = {}
    if any(n.spec.cooldown_minutes for n in notifications) and matches:
        last_fired = {(r["notification_id"], r["record_id"]): r["at"] for r in control.rows(
            "SELECT notification_id, record_id, max(created_at) AS at FROM notification_events "
            "WHERE alias = ? GROUP BY notification_id, record_id", [alias], kinds={"at": "timestamp"})}

    messages: list[OutboxMessage] = []
    items: list[list[Any]] = []
    events: list[list[Any]] = []
    unmapped: set[str] = set()
    told: set[tuple[str, str]] = set()  # (Slack user, record) a DM or digest item goes to in this evaluation
    for m in matches:
        n = by_id[m.nid]
        result = results[m.nid]
        record = records.get(n.object, {}).get(m.record_id)
        if record is None:
            continue
        if n.spec.cooldown_minutes:
            last = last_fired.get((n.id, m.record_id))
            if last is not None and last > now - timedelta(minutes=n.spec.cooldown_minutes):
                result.cooled += 1
                continue
        # recipients: (Slack channel or user id, team, tz)
        targets: list[tuple[str, str | None, str | None]] = [(c, None, None) for c in n.spec.recipients.channels]
        people: list[str] = []
        if n.spec.recipients.owner and record.get("OwnerId"):
            people.append(record["OwnerId"])
        if n.spec.recipients.manager and record.get("OwnerId"):
            manager = managers.get(record["OwnerId"])
            if manager:
                people.append(manager)
        for slack_id in n.spec.recipients.users:
            sf_id = by_slack.get(slack_id)
            if sf_id is None or sf_id not in members:
                result.not_member += 1
                continue
            people.append(sf_id)
        for sf_id in dict.fromkeys(people):
            if sf_id not in members:
                result.not_member += 1
                continue
            who = mapped.get(sf_id)
            if who is None:
                result.unmapped += 1
                unmapped.add(sf_id)
                continue
            targets.append((who["slack_user_id"], who["team_id"], who["tz"]))
        if m.nid in subs.members:
            kept = [t for t in targets if (t[0], m.record_id) not in told]
            result.covered += len(targets) - len(kept)
            targets = kept
        told.update((t[0], m.record_id) for t in targets)
        if not targets:
            continue
        digest = n.spec.delivery.mode == "digest"
        for channel, team, tz in dict.fromkeys(targets):
            key = idempotency_key("notification", n.id, n.version, m.record_id, m.marker, channel)
            text, blocks, line = cards.message(n, record, layouts.get(n.object, []), changed.get(m.record_id, []),
                                               readers.of(channel, tz))
            if digest:
                items.append([key, n.id, n.name, alias, channel, team, tz, n.spec.delivery.schedule, line, now])
            else:
                messages.append(OutboxMessage(key=key, kind=OutboxKind.NOTIFICATION, channel=channel, text=text, blocks=blocks,
                                              alias=alias, team_id=team))
            events.append([key, n.id, n.version, alias, m.record_id, run_id, None if changes else m.marker, channel,
                           "digest" if digest else "immediate", now])
    summary.unmapped_users = sorted(unmapped)
    with control.transaction() as db:
        if changes is not None and not advance(db, alias, changes, now):
            summary.warnings.append(EVALUATED_ELSEWHERE)
            return  # another evaluation took these changes since they were read: it wrote their messages
        summary.messages = enqueue(db, messages)
        summary.digest_items = _insert_new(db, "digest_items", DIGEST_ITEM_COLUMNS, items)
        new_keys: set[str] = set()
        if events:
            known = {r[0] for r in db.execute(f"SELECT key FROM notification_events WHERE key IN ({db.elements()})",
                                              [[e[0] for e in events]]).fetchall()}
            fresh = [e for e in events if e[0] not in known]
            new_keys = {e[0] for e in fresh}
            _insert_new(db, "notification_events", EVENT_COLUMNS, fresh)
        for e in events:
            if e[0] in new_keys:
                results[e[1]].queued += 1
        _insert_new(db, "notification_evaluations", EVALUATION_COLUMNS,
                    [[res.id, alias, run_id, now, res.matched, res.cooled, res.unmapped, res.not_member, res.queued]
                     for res in results.values()], keyed=False)
    summary.cooled = sum(r.cooled for r in results.values())
    summary.not_member = sum(r.not_member for r in results.values())
    summary.no_access = sum(r.no_access for r in results.values())
    summary.covered = sum(r.covered for r in results.values())


def _readable(matches: Sequence[Match], members: MemberPlans, access: RecordAccess,
              results: dict[str, NotificationResult]) -> list[Match]:
    """``matches`` without the subscriptions' matches of records their member may not read: one
    ``UserRecordAccess`` query per member and 200 records, as the integration user (see :mod:`.members`)."""
    wanted: dict[str, set[str]] = {}
    for m in matches:
        if m.nid in members.members:
            wanted.setdefault(members.members[m.nid], set()).add(m.record_id)
    readable = {user: access.readable(user, sorted(ids)) for user, ids in sorted(wanted.items())}
    kept = []
    for m in matches:
        user = members.members.get(m.nid)
        if user is not None and m.record_id not in readable[user]:
            results[m.nid].no_access += 1
            continue
        kept.append(m)
    return kept


EVALUATED_ELSEWHERE = "these changes were evaluated by another process meanwhile: nothing queued here"
EVENT_COLUMNS = ("key", "notification_id", "version", "alias", "record_id", "run_id", "period", "recipient",
                 "delivery", "created_at")
DIGEST_ITEM_COLUMNS = ("key", "notification_id", "notification_name", "alias", "recipient", "team_id", "tz",
                       "schedule", "line", "created_at")
EVALUATION_COLUMNS = ("notification_id", "alias", "run_id", "evaluated_at", "matched", "cooled", "unmapped",
                      "not_member", "queued")


def _insert_new(db: Tx, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]],
                *, keyed: bool = True) -> int:
    """Insert ``rows``; ``keyed``: only the rows whose ``key`` (their first column) the table does not have
    yet.  Returns how many were inserted."""
    if not rows:
        return 0
    names = ", ".join(columns)
    marks = ", ".join("?" for _ in columns)
    if not keyed:
        return db.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
    first = list({r[0]: r for r in reversed(rows)}.values())[::-1]
    return db.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT (key) DO NOTHING", first)


class _Cards:
    """Renders each record's message once per reader (locale and time zone), whoever shares them."""

    def __init__(self, describe: Describe, names: dict[str, Any], currency: str, instance_url: str, alias: str,
                 slack_users: dict[str, str]) -> None:
        self.describe, self.names, self.currency = describe, names, currency
        self.instance_url, self.alias, self.slack_users = instance_url, alias, slack_users
        self._done: dict[tuple[str, int, str, Reader], tuple[str, list[dict[str, Any]], str]] = {}

    def message(self, n: Notification, record: dict[str, Any], layout: list[str], changes: list[Change],
                reader: Reader) -> tuple[str, list[dict[str, Any]], str]:
        """(fallback text, blocks, digest line) of ``record``'s message for ``reader``."""
        key = (n.id, n.version, str(record["Id"]), reader)
        if key not in self._done:
            words = messages(reader.locale, "notify")
            values = Values(self.describe, Formatter.for_reader(reader.locale, reader.tz), words, self.instance_url,
                            self.currency, self.names, self.slack_users)
            rendered = _rendered(n, values, self.alias, record, layout, changes)
            text, blocks = notification_message(rendered, words)
            line = digest_line(rendered) if n.spec.delivery.mode == "digest" else ""
            self._done[key] = (text, blocks, line)
        return self._done[key]


AMOUNT = "Amount"
STAGE = "StageName"
STAGE_FLAGS = ("IsClosed", "IsWon")


def _rendered(n: Notification, values: Values, alias: str, record: dict[str, Any], layout: list[str],
              changes: list[Change]) -> RenderedRecord:
    obj, describe, words = n.object, values.describe, values.words
    name_field = n.resolved.name_field or describe.name_fields.get(obj)
    shown = [f for f in (n.spec.fields if n.spec.fields is not None else layout) if f in record and f != name_field]
    trigger = _trigger_fields(n)
    relevant = [c for c in changes if c.field in trigger or c.field in shown]
    if any(c.field == STAGE for c in relevant):  # the stage says it: no "Closed: No → Yes" beside it
        relevant = [c for c in relevant if c.field not in STAGE_FLAGS]
    relevant.sort(key=lambda c: (c.field != AMOUNT, c.field not in trigger))  # amount, then what fired it
    name = str(record.get(name_field) or object_label(obj)) if name_field else object_label(obj)
    amount = None
    if obj == "Opportunity" and record.get(AMOUNT) is not None and all(c.field != AMOUNT for c in relevant):
        amount = values.show(obj, AMOUNT, record[AMOUNT], record)

    def label(f: str) -> str:
        return describe.label(obj, f, n.resolved.labels)

    return RenderedRecord(
        edit=(alias, obj, str(record["Id"])),
        title=title_of(n.spec.title, n.template, obj, words), record_name=name,
        url=f"{values.instance_url.rstrip('/')}/{record['Id']}",
        changes=[ChangeLine(label(c.field), values.show(obj, c.field, c.old, record),
                            values.show(obj, c.field, c.new, record)) for c in relevant],
        fields=[(label(f), values.show(obj, f, record.get(f), record)) for f in shown],
        context=words.gettext("{notification} · {object} · org {org}",
                              notification=words.gettext("Your subscription") if n.name == SUBSCRIPTION_NAME else n.name,
                              object=object_label(obj), org=alias),
        amount=amount,
    )


def _trigger_fields(n: Notification) -> set[str]:
    fixed = {"stage_changed": {"StageName"}, "owner_changed": {"OwnerId"}, "deal_closed": {"StageName", "IsClosed"}}
    if n.template in fixed:
        return fixed[n.template]
    field_name = n.spec.options.get("field")
    return {str(field_name)} if field_name else set()


def summary_json(summary: EvaluationSummary) -> str:
    return json.dumps({"alias": summary.alias, "run_id": summary.run_id, "matched": summary.matched,
                       "messages": summary.messages, "digest_items": summary.digest_items})
