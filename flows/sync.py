"""Sync flows: one org, every org's pipeline (a few at a time), and a backfill of a time window.

``sync_org`` and ``backfill`` run the engine's one sync loop (``saleshome.sync.engine.sync_org``)
with the Prefect step runner (``tasks.steps``): opening the run, each object and the list views
are task runs; the run publishes a summary table, logs one line per object and emits its outcome
as a Prefect event (``saleshome.sync.completed``, ``.failed``, ``.paused_for_quota``:
``tasks.events``).  A spent API budget ends the run "Paused for quota" (a Completed state): the
next scheduled run resumes it.  ``sync_all_orgs`` runs every org's pipeline (sync → user map →
notifications → celebrations, ``flows.sales_home``) without publishing.  Every flow first checks
that the workspace's Slack plan includes Sales Home, and fails saying which plans do when it does
not; each holds its org's slot (``tasks.concurrency``): one active run per org, whichever flow it is.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from typing import Any

from prefect import flow
from prefect.context import SyncClientContext
from prefect.states import State
from prefect.task_runners import ThreadPoolTaskRunner
from pydantic import BaseModel, Field, field_validator, model_validator

from flows.sales_home import each_org
from flows.states import MAX_PARALLEL_ORGS, paused
from saleshome.config import Settings, load_settings
from saleshome.errors import QuotaExceededError
from saleshome.settings.orgs import get_org
from saleshome.settings.workspace import require_sales_home_for
from saleshome.sync import engine
from saleshome.sync.results import SyncResult
from saleshome.sync.states import RunState
from saleshome.sync.summary import run_line
from saleshome.warehouse.control import ControlDB, control_db
from tasks.concurrency import org_slot
from tasks.credentials import credential_resolvers
from tasks.steps import TaskSteps

_OBJECT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


# ---------------------------------------------------------------------------------------- flows
@flow(flow_run_name="sync-{org}")
async def sync_org(org: str, objects: list[str] | None = None, full: bool = False) -> SyncResult | State[Any]:
    """Sync one org: its objects' changes since their cursors (or everything with ``full``).

    An async flow, so that its run ends without joining Prefect's heartbeat thread (the sync engine waits up to
    a second for it; the async one does not); the sync itself runs in a worker thread, with the flow run's context.
    """
    return await asyncio.to_thread(sync_one_org, org, objects, full)


def sync_one_org(org: str, objects: list[str] | None, full: bool) -> SyncResult | State[Any]:
    """``sync_org``'s body: the plan check, the org's slot, the engine's runner.

    One sync Prefect client for all of it (the slot, every task run, artifacts), as a sync flow run has: without
    it each task run of this thread and of the engine's would open a client of its own (~50 ms each)."""
    settings = load_settings()
    control = control_db(settings)
    require_sales_home_for(control, settings)
    with SyncClientContext.get_or_create(), org_slot(org):
        return run_sync(control, settings, org, objects, full=full)


@flow(
    flow_run_name="sync-all-orgs",
    task_runner=ThreadPoolTaskRunner(max_workers=MAX_PARALLEL_ORGS),  # type: ignore[arg-type]  # invariant generic
)
def sync_all_orgs() -> list[State[Any]]:
    """Every connected org's pipeline without publishing (what ``saleshome sync`` runs), a few at a time; the run
    fails if any org failed (the others still run)."""
    return each_org(publish=False)


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
    control = control_db(settings)
    require_sales_home_for(control, settings)
    get_org(control, settings, request.org)  # fail fast, naming the connected orgs
    with org_slot(request.org):
        return run_sync(control, settings, request.org, request.objects, window=(request.start, request.end),
                        notify=request.notify)


# ---------------------------------------------------------------------------------------- the engine's runner
def run_sync(
    control: ControlDB, settings: Settings, alias: str, objects: list[str] | None, *, full: bool = False,
    window: tuple[datetime, datetime] | None = None, notify: bool = False,
) -> SyncResult | State[Any]:
    """The engine's one sync loop, its steps as task runs; a spent budget ends the run "Paused for quota"."""
    try:
        result = engine.sync_org(control, settings, alias, objects=objects, full=full, backfill=window, notify=notify,
                                 resolvers=credential_resolvers(), steps=TaskSteps(settings.workspace))
    except QuotaExceededError as exc:  # before the run began: nothing merged
        return paused(exc.message)
    return paused(run_line(result), result) if result.status == RunState.PAUSED_FOR_QUOTA else result
