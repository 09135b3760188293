"""Prefect tasks around the sync engine's steps: one task per batch (a window or an object).

Each task retries only what is retriable (``tasks.errors``); none caches or persists its
result (a result holds records or a live connection, and must never be written anywhere).
Task run names carry the org and the object.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from saleshome.config import Settings
from saleshome.salesforce.schema import ObjectSchema
from saleshome.sync import engine
from saleshome.sync.engine import SyncRun, Window
from saleshome.warehouse.orgdb import MergeStats
from tasks.credentials import credential_resolvers
from tasks.errors import retry_options

_TASK = {"cache_policy": NO_CACHE, "persist_result": False, **retry_options()}


class Batch:
    """What one window's extract read: REST query pages or Bulk CSV result sets, as files.

    A plain class on purpose: Prefect walks the parameters of a task call to find upstream
    results, and should not walk a long list of them.
    """

    __slots__ = ("data", "path")

    def __init__(self, path: str, data: Any) -> None:
        self.path = path
        self.data = data

    def __repr__(self) -> str:
        return f"Batch(path={self.path!r})"


@task(task_run_name="open-{alias}", **_TASK)
def open_sync_run(
    settings: Settings, alias: str, *, kind: str | None = None, notify: bool = False,
) -> SyncRun:
    """Log in to the org, open its warehouse and fix the run's signpost."""
    return engine.open_run(settings, alias, kind=kind, notify=notify, resolvers=credential_resolvers())


@task(task_run_name="describe-{run.org.alias}", **_TASK)
def describe_objects(run: SyncRun, objects: list[str]) -> list[ObjectSchema]:
    """Describe the objects (one request each) into the columns we keep."""
    return engine.describe_objects(run, objects)


@task(task_run_name="plan-{run.org.alias}-{schema.name}", **_TASK)
def plan_windows(
    run: SyncRun, schema: ObjectSchema, *, full: bool = False, backfill: tuple[datetime, datetime] | None = None,
) -> tuple[list[Window], int]:
    """The object's windows and how many rows they hold (one COUNT())."""
    return engine.plan_windows(run, schema, full=full, backfill=backfill)


@task(task_run_name="extract-{run.org.alias}-{schema.name}", **_TASK)
def extract_window(run: SyncRun, schema: ObjectSchema, window: Window, *, expected_rows: int) -> Batch:
    """Read one window of one object (Bulk 2.0 CSV files or REST records)."""
    path, data = engine.extract_window(run, schema, window, expected_rows=expected_rows)
    return Batch(path, data)


@task(task_run_name="load-{run.org.alias}-{schema.name}", **_TASK)
def load_window(run: SyncRun, schema: ObjectSchema, window: Window, batch: Batch, *, initial: bool) -> MergeStats:
    """Merge one window with its change log and cursor, in one DuckDB transaction."""
    return engine.load_window(run, schema, window, batch.path, batch.data, initial=initial)


@task(task_run_name="reconcile-{run.org.alias}-{schema.name}", **_TASK)
def reconcile(run: SyncRun, schema: ObjectSchema) -> int:
    """Remove the records the org purged (full Id comparison, when due); returns how many."""
    return engine.reconcile_object(run, schema)
