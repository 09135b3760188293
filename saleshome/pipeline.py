"""One org's pipeline, Prefect-free: sync → user map → notifications → celebrations.

:func:`run_org` is the one definition: ``saleshome sync`` runs it for each org, and so do the
Prefect flows ``sales_home``, ``sales_home_all`` and ``sync_all_orgs`` (``flows/sales_home.py``),
whose step runner (``tasks/steps.py``) makes each step a task run.  After a sync that ended
(completed, or paused for quota: what was merged stays merged), the steps read every change
committed since they last looked — a watermark over the org's change log
(:mod:`saleshome.warehouse.watermarks`), so the changes of a run that failed or was killed
are evaluated by the next one, exactly once:

1. :func:`refresh_org_users` — the org's Salesforce users mapped to Slack users by email
   (lookups only for new, changed or stale entries), each entry with whether its user holds the
   Sales Home permission set (what the Slack app reads); skipped, with a note, when no Slack bot
   token is configured;
2. :func:`saleshome.notify.evaluate.evaluate` — the org's enabled notifications → outbox rows
   and digest items (silent for initial syncs and backfills unless asked to notify);
3. :func:`saleshome.celebrate.celebrate` — new wins → celebration message and banner rows.

After a failed run nothing is evaluated at once: an object may have stopped half-way (an
opportunity synced, not yet its history row that dates the win); the next run completes the
picture and evaluates both runs' changes together.

:func:`refresh_records` is the same after a member saved a record from Slack: a targeted read of the
record (:mod:`saleshome.sync.targeted`: the sync's merge, the cursor unmoved), then the notifications and
celebrations by the same watermarks, then the outbox published at once (the change reaches Slack within
seconds; the scheduled sync that later reads the same version logs nothing, so nothing fires twice).

Nothing is sent by :func:`run_org`: the publisher (``saleshome outbox publish``, the Prefect flows) sends
what the outbox holds, and :func:`saleshome.celebrate.apply_banners` sets the banners.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from saleshome.celebrate import CelebrationSummary, celebrate
from saleshome.config import Settings
from saleshome.errors import ConfigurationError, PermissionDeniedError
from saleshome.notify.evaluate import EvaluationSummary, evaluate
from saleshome.publish.publisher import PublishStats, web_client
from saleshome.publish.setup import publisher_from_settings
from saleshome.salesforce.client import SalesforceClient
from saleshome.salesforce.credentials import Resolver
from saleshome.salesforce.login import connect
from saleshome.settings.members import eligible_users
from saleshome.settings.orgs import get_org
from saleshome.sync.engine import sync_org
from saleshome.sync.results import Progress, SyncResult
from saleshome.sync.states import RunState
from saleshome.sync.steps import INLINE, Step, StepRunner
from saleshome.sync.targeted import TargetedRead, open_for_refresh, read_records, record_ids
from saleshome.sync.users import MappingReport, SalesforceUser, refresh_user_map
from saleshome.warehouse.catalog import table_exists
from saleshome.warehouse.control import ControlDB
from saleshome.warehouse.orgdb import OrgWarehouse

NO_BOT_TOKEN = "no Slack bot token (SALESHOME_SLACK_BOT_TOKEN): user map not refreshed"
# A run in these states ended on a consistent state: what was committed so far is evaluated after it.
EVALUATED_STATUSES = (RunState.COMPLETED, RunState.PAUSED_FOR_QUOTA)


@dataclass
class OrgRunSummary:
    """What one org's pipeline step did (``sync`` always; the rest when the run committed changes)."""

    sync: SyncResult
    users: MappingReport | None = None
    notifications: EvaluationSummary | None = None
    celebrations: CelebrationSummary | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def alias(self) -> str:
        return self.sync.alias

    def lines(self) -> list[str]:
        """One short line per step after the sync (what ``saleshome sync`` prints)."""
        out = [users_line(self.alias, self.users)] if self.users is not None else []
        if self.notifications is not None:
            out.append(notifications_line(self.notifications))
        if self.celebrations is not None:
            out.append(celebrations_line(self.celebrations))
        return out + [f"{self.alias}: note: {note}" for note in self.notes]


def users_line(alias: str, report: MappingReport) -> str:
    """``acme: user map: 40 matched to Slack, …(12 looked up); their languages: en-US 30, fr-FR 10``."""
    languages = ", ".join(f"{locale} {n}" for locale, n in sorted(report.locales.items(), key=lambda kv: -kv[1]))
    return (f"{alias}: user map: {report.matched} matched to Slack, "
            + (f"{report.approved} approved by a sales admin, " if report.approved else "")
            + f"{report.unmatched} unmatched, "
            f"{report.deactivated} deactivated in Slack, {report.inactive} inactive ({report.looked_up} looked up)"
            + (f"; their languages: {languages}" if languages else ""))


def notifications_line(summary: EvaluationSummary) -> str:
    """``acme: notifications: 3 evaluated over 120 new changes, 12 matched → 9 messages queued, 2 digest items``
    (and why when silent)."""
    if summary.notifications == 0:
        return f"{summary.alias}: notifications: none enabled"
    if summary.changes == 0:
        return f"{summary.alias}: notifications: {summary.notifications} enabled, no new changes to evaluate"
    if summary.silent and summary.matched == 0:
        return (f"{summary.alias}: notifications: {summary.notifications} enabled, silent "
                "(an initial sync or a backfill notifies only when asked)")
    line = (f"{summary.alias}: notifications: {summary.notifications} evaluated over {summary.changes} new "
            f"change(s), {summary.matched} matched → "
            f"{summary.messages} message(s) queued, {summary.digest_items} digest item(s)")
    extras = [f"{summary.cooled} in cooldown" if summary.cooled else "",
              f"{summary.not_member} not Sales members" if summary.not_member else "",
              f"{len(summary.unmapped_users)} owner(s) with no Slack match" if summary.unmapped_users else ""]
    extras = [e for e in extras if e]
    return line + (f" ({', '.join(extras)})" if extras else "") + "".join(f"; {w}" for w in summary.warnings)


def celebrations_line(summary: CelebrationSummary) -> str:
    """``acme: celebrations: 2 won deals → 2 celebrated (2 messages, 1 banner)`` (or why nothing)."""
    if summary.skipped:
        return f"{summary.alias}: celebrations: {summary.skipped}"
    if summary.wins == 0:
        return f"{summary.alias}: celebrations: no new deal won"
    line = (f"{summary.alias}: celebrations: {summary.wins} won deal(s) → {summary.celebrated} celebrated "
            f"({summary.messages} message(s), {summary.banners} banner(s))")
    extras = [f"{summary.too_late} signed over 72 h ago" if summary.too_late else "",
              f"{summary.already} already celebrated" if summary.already else "",
              f"{summary.not_members} owner(s) not Sales members" if summary.not_members else "",
              f"{summary.no_slack_user} owner(s) with no Slack account" if summary.no_slack_user else ""]
    extras = [e for e in extras if e]
    return line + (f" ({', '.join(extras)})" if extras else "")


def salesforce_users(settings: Settings, alias: str) -> list[SalesforceUser]:
    """The org's synced users (Id, Email, IsActive, and whether they hold the Sales Home permission set: None when
    PermissionSetAssignment is not synced); empty when User is not synced yet."""
    with OrgWarehouse(settings.org_db(alias), lock_timeout=settings.lock_timeout_seconds) as wh:
        if not table_exists(wh.conn, "User"):
            return []
        rows = wh.conn.execute('SELECT "Id", "Email", "IsActive" FROM sf."User"').fetchall()
        try:
            members: set[str] | None = eligible_users(wh, settings.sales_home_permission_set)
        except ConfigurationError:  # PermissionSetAssignment not synced: not known (the app shows no access)
            members = None
    return [SalesforceUser(str(r[0]), r[1], bool(r[2]), None if members is None else str(r[0]) in members)
            for r in rows]


def refresh_org_users(control: ControlDB, settings: Settings, alias: str, *,
                      now: datetime | None = None) -> MappingReport | None:
    """Map the org's Salesforce users to Slack users by email; None when no bot token is configured."""
    if settings.slack_bot_token is None:
        return None
    client, _ = web_client(settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url)
    return refresh_user_map(control, alias, salesforce_users(settings, alias), client, now=now)


def celebrate_run(control: ControlDB, settings: Settings, alias: str, run_id: str | None = None, *,
                  now: datetime | None = None, warehouse: OrgWarehouse | None = None) -> CelebrationSummary:
    """:func:`saleshome.celebrate.celebrate`, or a summary saying why it could not look (e.g. the org's
    Sales members cannot be known: PermissionSetAssignment not synced) — the sync's other steps go on."""
    try:
        return celebrate(control, settings, alias, run_id, now=now, warehouse=warehouse)
    except ConfigurationError as exc:
        summary = CelebrationSummary(alias, run_id)
        summary.skipped = f"not evaluated: {exc.message}" + (f" ({exc.hint})" if exc.hint else "")
        return summary


def after_sync(control: ControlDB, settings: Settings, result: SyncResult, *, now: datetime | None = None,
               steps: StepRunner = INLINE) -> OrgRunSummary:
    """The steps after a sync run: user map, notifications, celebrations (see the module docstring)."""
    summary = OrgRunSummary(result)
    alias, run_id = result.alias, result.run_id
    if result.status not in EVALUATED_STATUSES:
        summary.notes.append(f"sync {result.status}: what it committed is evaluated after the next run")
        return summary
    summary.users = steps.run(Step.USERS, alias, lambda: refresh_org_users(control, settings, alias, now=now))
    if summary.users is None:
        summary.notes.append(NO_BOT_TOKEN)
    summary.notifications = steps.run(Step.NOTIFICATIONS, alias,
                                      lambda: evaluate(control, settings, alias, run_id, now=now))
    summary.celebrations = steps.run(Step.CELEBRATIONS, alias,
                                     lambda: celebrate_run(control, settings, alias, run_id, now=now))
    return summary


def run_org(
    control: ControlDB, settings: Settings, alias: str, *, objects: list[str] | None = None, full: bool = False,
    notify: bool = False, resolvers: Mapping[str, Resolver] | None = None, progress: Progress | None = None,
    now: datetime | None = None, steps: StepRunner = INLINE,
) -> OrgRunSummary:
    """Sync one org, then refresh its user map, evaluate its notifications and celebrate its wins.

    ``notify``: let an initial or full sync notify too (they are silent by default); ``steps``: how
    each step runs (inline, or as Prefect task runs).  Raises what :func:`saleshome.sync.engine.sync_org`
    raises (a refused login, a spent quota before the start, a failed run).
    """
    result = sync_org(control, settings, alias, objects=objects, full=full, notify=notify, resolvers=resolvers,
                      progress=progress, steps=steps)
    return after_sync(control, settings, result, now=now, steps=steps)


# ---------------------------------------------------------------------------------------- after a save
PUBLISH_SECONDS = 30.0  # how long a refresh's publish may drain (what is left goes with the scheduled publisher)


@dataclass
class RefreshSummary:
    """What :func:`refresh_records` did: the targeted read, the evaluations after it, what was published."""

    read: TargetedRead
    notifications: EvaluationSummary | None = None
    celebrations: CelebrationSummary | None = None
    published: PublishStats | None = None
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def alias(self) -> str:
        return self.read.alias

    def lines(self) -> list[str]:
        """``acme: refreshed 1 Opportunity record (1 changed)``, then one line per step after it."""
        read = self.read
        if read.skipped:
            head = f"{self.alias}: refresh of {read.object}: skipped, {read.skipped}"
        else:
            head = (f"{self.alias}: refreshed {len(read.ids) - len(read.missing)} {read.object} record(s) "
                    f"({read.changed} changed)" + (f"; not in Salesforce: {', '.join(read.missing)}"
                                                     if read.missing else ""))
        out = [head]
        if self.notifications is not None:
            out.append(notifications_line(self.notifications))
        if self.celebrations is not None:
            out.append(celebrations_line(self.celebrations))
        if self.published is not None:
            out.append(f"{self.alias}: published: {self.published.sent} sent, {self.published.retried} to retry, "
                       f"{self.published.dead} dead-lettered")
        return out + [f"{self.alias}: note: {note}" for note in self.notes]


def refresh_records(
    control: ControlDB, settings: Settings, alias: str, obj: str, ids: Sequence[str], *,
    client: SalesforceClient | None = None, resolvers: Mapping[str, Resolver] | None = None,
    lock_timeout: float | None = None, publish: bool = True, now: datetime | None = None,
) -> RefreshSummary:
    """After a save: read records ``ids`` of ``obj`` into the org's warehouse (a targeted read, the sync's merge,
    the cursor unmoved: :mod:`saleshome.sync.targeted`), then evaluate the notifications and celebrations over
    every change not evaluated yet (the same watermarks as after a sync), then publish what they queued.

    ``client``: a client logged in as the org's integration user (one is logged in otherwise); ``lock_timeout``:
    how long to wait for a sync that holds the warehouse (default: the settings'); ``publish``: send what was
    queued now (else the scheduled publisher does).  The warehouse is held from the read to the end of the
    evaluations (one wait for a sync that holds it, no sync slipping in between).  Raises
    :class:`~saleshome.sync.targeted.WarehouseBusy` (nothing read), the client's errors, and a ValidationError
    for bad Ids (nothing read)."""
    started = time.perf_counter()
    wanted = record_ids(ids)
    org = get_org(control, settings, alias)
    if not settings.org_db(alias).exists():  # never synced, or the warehouses live on another machine
        read = TargetedRead(alias, obj, "", wanted, skipped="no warehouse of the org in this Sales Home (not synced "
                            "yet, or kept on another machine): the scheduled sync reads the change")
        return RefreshSummary(read, seconds=time.perf_counter() - started)
    client = client or connect(org, resolvers)  # logged in before the warehouse is taken
    warehouse = open_for_refresh(control, settings, alias,
                                 lock_timeout=settings.lock_timeout_seconds if lock_timeout is None else lock_timeout)
    try:
        summary = RefreshSummary(read_records(settings, org, obj, wanted, client=client, warehouse=warehouse, now=now))
        if summary.read.skipped is None:  # everything not evaluated yet (this read's changes, or an earlier one's)
            run_id = summary.read.run_id
            summary.notifications = evaluate(control, settings, alias, run_id, warehouse=warehouse, now=now)
            summary.celebrations = celebrate_run(control, settings, alias, run_id, now=now, warehouse=warehouse)
    finally:
        warehouse.close()
    queued = sum(s.messages for s in (summary.notifications, summary.celebrations) if s is not None)
    if publish and queued:
        summary.published = publish_now(control, settings, summary.notes)
    summary.seconds = time.perf_counter() - started
    return summary


def publish_now(control: ControlDB, settings: Settings, notes: list[str]) -> PublishStats | None:
    """Drain the outbox now (bounded by :data:`PUBLISH_SECONDS`); None, with a note, when it cannot be built (no bot
    token, no plan): the items wait for the scheduled publisher."""
    try:
        publisher = publisher_from_settings(control, settings)
    except (ConfigurationError, PermissionDeniedError) as exc:  # no token; no plan including Sales Home
        notes.append(f"not published now: {exc.message}")
        return None
    return publisher.publish(deadline=time.monotonic() + PUBLISH_SECONDS)
