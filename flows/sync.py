"""Sync flows: one org, every org (a few at a time), and a backfill of a time window.

A sync logs in to the org, describes its objects, then for each object reads its windows
and merges each one (rows, change log and cursor in one transaction), reconciling Ids when
due; it publishes a summary table, logs one line per object and emits its outcome as a Prefect
event (``saleshome.sync.completed``, ``.failed``, ``.paused_for_quota``: ``tasks.events``).  A
spent API budget ends the run "Paused for quota" (a Completed state): the next scheduled run
resumes it.  Every flow first checks that the workspace's Slack plan includes Sales Home, and fails saying
which plans do when it does not; each holds its org's slot (``tasks.concurrency``): one active
run per org, whichever flow it is.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import wait
from prefect.states import Completed, State
from prefect.task_runners import ThreadPoolTaskRunner
from pydantic import BaseModel, Field, field_validator, model_validator

from saleshome.config import load_settings
from saleshome.errors import QuotaExceededError
from saleshome.salesforce.schema import ObjectSchema
from saleshome.settings.orgs import get_org, list_orgs
from saleshome.settings.workspace import require_sales_home_for
from saleshome.sync.engine import (
    ObjectResult,
    SyncResult,
    SyncRun,
    begin_object,
    expected_rows,
    finish_object,
    materialise_lists,
    objects_to_sync,
    record_window,
    recording_outcome,
)
from saleshome.sync.summary import run_line
from tasks.artifacts import ProgressArtifact, flow_logger, log_object, publish_summary
from tasks.concurrency import org_slot
from tasks.events import emit_sync_not_started, emit_sync_outcome
from tasks.sync import describe_objects, extract_window, load_window, open_sync_run, plan_windows, reconcile

MAX_PARALLEL_ORGS = 4  # orgs synced at once by sync_all_orgs (threads of one process)
PAUSED_FOR_QUOTA = "Paused for quota"
_OBJECT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


# ---------------------------------------------------------------------------------------- flows
@flow(flow_run_name="sync-{org}")
def sync_org(org: str, objects: list[str] | None = None, full: bool = False) -> SyncResult | State[Any]:
    """Sync one org: its objects' changes since their cursors (or everything with ``full``)."""
    require_sales_home_for(load_settings())
    with org_slot(org):
        return run_sync(org, objects, kind="full" if full else None, full=full)


@flow(
    flow_run_name="sync-all-orgs",
    task_runner=ThreadPoolTaskRunner(max_workers=MAX_PARALLEL_ORGS),  # type: ignore[arg-type]  # invariant generic
)
def sync_all_orgs() -> list[State[Any]]:
    """Sync every connected org, a few at a time; the run fails if any org failed (the others still sync)."""
    settings = load_settings()
    require_sales_home_for(settings)
    runs = sync_org_task.map([org.alias for org in list_orgs(settings)])
    wait(runs)
    return [run.state for run in runs]


class BackfillParameters(BaseModel):
    """Re-read a time window of an org's objects; the cursors never move backwards."""

    org: str = Field(description="Alias of a connected org (see `saleshome org list`).")
    objects: list[str] | None = Field(default=None, description="Objects to re-read; all synced objects if empty.")
    start: datetime = Field(description="Start of the window (inclusive; UTC if no time zone is given).")
    end: datetime = Field(description="End of the window (exclusive).")
    notify: bool = Field(default=False, description="Let notifications fire for the changes found (silent if off).")

    @field_validator("start", "end")
    @classmethod
    def _utc_when_naive(cls, moment: datetime) -> datetime:
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)

    @field_validator("objects")
    @classmethod
    def _object_names(cls, objects: list[str] | None) -> list[str] | None:
        bad = [name for name in objects or [] if not _OBJECT_NAME.match(name)]
        if bad:
            raise ValueError(f"not Salesforce object names: {', '.join(map(repr, bad))}")
        return objects or None

    @model_validator(mode="after")
    def _end_after_start(self) -> BackfillParameters:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end.isoformat()}) must be after start ({self.start.isoformat()})")
        return self


@flow(flow_run_name="backfill-{request.org}")
def backfill(request: BackfillParameters) -> SyncResult | State[Any]:
    """Re-read [start, end) of an org's objects without moving their cursors; silent unless ``notify``."""
    settings = load_settings()
    require_sales_home_for(settings)
    get_org(settings, request.org)  # fail fast, naming the connected orgs
    with org_slot(request.org):
        return run_sync(request.org, request.objects, kind="backfill", window=(request.start, request.end),
                        notify=request.notify)


@task(task_run_name="sync-{org}", cache_policy=NO_CACHE, persist_result=False)
def sync_org_task(org: str) -> Any:
    """One org's sync flow, as a task so that ``sync_all_orgs`` can map orgs with bounded concurrency."""
    return sync_org(org)


# ---------------------------------------------------------------------------------------- the steps
def run_sync(
    alias: str, objects: list[str] | None, *, kind: str | None, full: bool = False,
    window: tuple[datetime, datetime] | None = None, notify: bool = False,
) -> SyncResult | State[Any]:
    """Open the run, sync each described object, close the run; publish the summary and the outcome's event
    (whatever the outcome)."""
    settings = load_settings()
    try:
        run = open_sync_run(settings, alias, kind=kind, notify=notify)
    except Exception as exc:  # a refused login, a spent budget: the run could not start
        emit_sync_not_started(alias, settings.workspace, kind, exc)
        if isinstance(exc, QuotaExceededError):
            return paused(exc.message)
        raise
    result = SyncResult(alias, run.run_id, run.kind)
    try:
        with recording_outcome(run, result):
            schemas = describe_objects(run, objects_to_sync(run, objects))
            if run.kind == "initial":
                run.progress = ProgressArtifact(alias, [s.name for s in schemas])
            for schema in schemas:
                result.objects.append(sync_object(run, schema, full=full, window=window))
                log_object(alias, result.objects[-1])
            materialise_lists(run)
    finally:
        publish_summary(result)  # failed runs too: what was synced before the failure
        emit_sync_outcome(result, settings.workspace)  # saleshome.sync.completed, .failed or .paused_for_quota
    return paused(run_line(result), result) if result.status == "paused_for_quota" else result


def sync_object(
    run: SyncRun, schema: ObjectSchema, *, full: bool, window: tuple[datetime, datetime] | None,
) -> ObjectResult:
    """One object: plan its windows, extract and load each one (a task each), reconcile Ids when due."""
    sync = begin_object(run, schema, backfill=window is not None)
    windows, total = plan_windows(run, schema, full=full, backfill=window)
    for each in windows:
        expected = expected_rows(total, len(windows))
        batch = extract_window(run, schema, each, expected_rows=expected)
        stats = load_window(run, schema, each, batch, initial=sync.initial)
        record_window(run, sync, batch.path, stats, expected=expected, total=total)
    purged = reconcile(run, schema) if window is None and not full else 0
    return finish_object(run, sync, purged=purged)


def paused(message: str, result: object = None) -> State[Any]:
    """The final state of a run stopped by the API budget: Completed, named "Paused for quota"."""
    flow_logger().warning(f"{PAUSED_FOR_QUOTA}: {message}")
    return Completed(name=PAUSED_FOR_QUOTA, message=f"{PAUSED_FOR_QUOTA}: {message}", data=result)
