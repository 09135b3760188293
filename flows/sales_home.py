"""The Sales Home flows: each org's pipeline, digests, and housekeeping.

``sales_home(org)``: holding the org's slot (one active run per org), the org's pipeline
(``saleshome.pipeline.run_org``, what ``saleshome sync`` runs: sync → user map → notifications →
celebrations), each step a task run (``tasks.steps``); then publish the outbox, set the
celebration banners and keep the celebration messages' permalinks.  A run paused for quota still
evaluates what it merged, and ends Completed, named "Paused for quota".  ``sales_home_all`` does
that for every connected org, a few at a time; ``sync_all_orgs`` (``flows/sync.py``) the same
without publishing.

``digest`` (hourly): the time-based notifications of every org, then the digests whose
recipients' local hour has come, then publish.  ``housekeeping`` (hourly): clear the expired
celebration banners still shown, and report the dead letters (the daily Id reconciliation
runs inside each sync).

Every flow first checks that the workspace's Slack plan includes Sales Home.  The CLI runs the
same steps without Prefect (``saleshome sync``, ``outbox publish``, ``digest``, ``housekeeping``):
each task here calls the function of ``saleshome.pipeline`` or ``saleshome.operations`` that
the CLI calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import wait
from prefect.states import State
from prefect.task_runners import ThreadPoolTaskRunner

from flows.states import MAX_PARALLEL_ORGS, paused
from saleshome.celebrate import BannerStats, CelebrationSummary, PermalinkStats
from saleshome.config import load_settings
from saleshome.errors import QuotaExceededError
from saleshome.notify.evaluate import EvaluationSummary
from saleshome.operations import DigestRun, HousekeepingRun
from saleshome.pipeline import run_org
from saleshome.publish.publisher import PublishStats
from saleshome.settings.orgs import list_orgs
from saleshome.settings.workspace import require_sales_home_for
from saleshome.sync.results import SyncResult
from saleshome.sync.states import RunState
from saleshome.sync.summary import run_line
from saleshome.sync.users import MappingReport
from saleshome.warehouse.control import control_db
from tasks.celebrate import apply_celebration_banners, clear_banners, store_celebration_permalinks
from tasks.concurrency import org_slot
from tasks.credentials import credential_resolvers
from tasks.notify import evaluate_scheduled_notifications, report_notifications, send_digests
from tasks.publish import publish_outbox, report_dead_letters
from tasks.steps import TaskSteps


@dataclass
class SalesHomeRun:
    """What one org's run did, step by step (None: the step did not run)."""

    sync: SyncResult
    users: MappingReport | None = None
    notifications: EvaluationSummary | None = None
    celebrations: CelebrationSummary | None = None
    published: PublishStats | None = None
    banners: BannerStats | None = None
    permalinks: PermalinkStats | None = None


# ---------------------------------------------------------------------------------------- flows
@flow(flow_run_name="sales-home-{org}")
def sales_home(org: str, publish: bool = True) -> SalesHomeRun | State[Any]:
    """The org's pipeline (sync, user map, notifications, celebrations); then publish, banners and permalinks."""
    settings = load_settings()
    control = control_db(settings)
    require_sales_home_for(control, settings)
    with org_slot(org):
        try:
            done = run_org(control, settings, org, resolvers=credential_resolvers(),
                           steps=TaskSteps(settings.workspace))
        except QuotaExceededError as exc:
            return paused(exc.message)  # before the run began: nothing merged, nothing to evaluate
    result = done.sync
    run = SalesHomeRun(result, done.users, done.notifications, done.celebrations)
    if publish:
        run.published = publish_outbox()
        run.banners = apply_celebration_banners()
        run.permalinks = store_celebration_permalinks(org)
    if run.notifications is not None:
        report_notifications(org, run.notifications)
    return paused(run_line(result), run) if result.status == RunState.PAUSED_FOR_QUOTA else run


@flow(
    flow_run_name="sales-home-all-orgs",
    task_runner=ThreadPoolTaskRunner(max_workers=MAX_PARALLEL_ORGS),  # type: ignore[arg-type]  # invariant generic
)
def sales_home_all() -> list[State[Any]]:
    """``sales_home`` for every connected org, a few at a time; fails if any org failed (the others still run)."""
    return each_org(publish=True)


def each_org(*, publish: bool) -> list[State[Any]]:
    """``sales_home`` of every connected org as tasks of the calling flow (its task runner bounds how many at once)."""
    settings = load_settings()
    control = control_db(settings)
    require_sales_home_for(control, settings)
    runs = sales_home_task.map([org.alias for org in list_orgs(control, settings)], publish=publish)
    wait(runs)
    return [run.state for run in runs]


@flow(flow_run_name="digest")
def digest(now: datetime | None = None) -> DigestRun:
    """Time-based notifications of every org, then the digests that are due, then publish.

    ``now``: evaluate as of this time (default: the present), e.g. to send a missed hour's digests.
    """
    settings = load_settings()
    control = control_db(settings)
    require_sales_home_for(control, settings)
    scheduled = [evaluate_scheduled_notifications(org.alias, now) for org in list_orgs(control, settings)]
    digests = send_digests(now)
    published = publish_outbox()
    for summary in scheduled:
        if summary.notifications:
            report_notifications(summary.alias, summary)
    return DigestRun(scheduled, digests, published)


@flow(flow_run_name="housekeeping")
def housekeeping() -> HousekeepingRun:
    """Clear the expired celebration banners still shown; report the dead letters."""
    settings = load_settings()
    require_sales_home_for(control_db(settings), settings)
    return HousekeepingRun(clear_banners(), report_dead_letters())


@task(task_run_name="sales-home-{org}", cache_policy=NO_CACHE, persist_result=False)
def sales_home_task(org: str, publish: bool = True) -> Any:
    """One org's ``sales_home`` flow, as a task so that the all-orgs flows map orgs with bounded concurrency."""
    return sales_home(org, publish=publish)
