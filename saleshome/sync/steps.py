"""The bookkeeping around the engine's steps, for callers that run the steps one by one.

``engine.sync_object`` and ``engine.sync_org`` chain the steps themselves; the Prefect flow
(``flows/sync.py``) runs each window's extract and load as its own task instead, and uses
these helpers so that it records exactly what the engine records: the object's result,
its progress, its ``object_state`` row, and the run's outcome.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from saleshome.errors import QuotaExceededError, SalesHomeError
from saleshome.salesforce.schema import ObjectSchema
from saleshome.sync.engine import (
    DEFAULT_OBJECTS,
    ObjectResult,
    SyncResult,
    SyncRun,
    _save_object_state,
    close_run,
)
from saleshome.warehouse.orgdb import MergeStats


def objects_to_sync(run: SyncRun, objects: list[str] | None) -> list[str]:
    """The objects asked for, else the org's configured set, else the default set."""
    return list(objects or run.org.objects or DEFAULT_OBJECTS)


@dataclass
class ObjectSync:
    """One object's sync under way: its result so far and what its windows need."""

    schema: ObjectSchema
    result: ObjectResult
    initial: bool  # changes are logged as initial (silent): first sync, or a backfill without notify
    started: float
    calls_before: int
    rows_done: int = 0


def begin_object(run: SyncRun, schema: ObjectSchema, *, backfill: bool = False) -> ObjectSync:
    """Evolve the object's table and note where its cursor stands."""
    started, calls = time.perf_counter(), run.client.calls
    result = ObjectResult(schema.name)
    result.schema_changes = run.warehouse.ensure_table(schema, datetime.now(UTC))
    state = run.warehouse.cursor_state(schema.name)
    result.cursor_before = state.cursor
    initial = not state.initial_done or (backfill and not run.notify)
    return ObjectSync(schema, result, initial, started, calls)


def expected_rows(total: int, windows: int) -> int:
    """Rows one of ``windows`` windows is expected to hold."""
    return total if windows <= 1 else math.ceil(total / windows)


def record_window(run: SyncRun, sync: ObjectSync, path: str, stats: MergeStats, *, expected: int, total: int) -> None:
    """Add one loaded window to the object's result and report progress."""
    result = sync.result
    result.path = path if result.path in ("none", path) else "mixed"
    result.add(stats)
    result.rows_read += stats.inserted + stats.updated + stats.deleted + stats.undeleted + stats.unchanged
    result.windows += 1
    sync.rows_done += expected
    if run.progress is not None:
        run.progress(result.object, min(sync.rows_done, total), total)


def finish_object(run: SyncRun, sync: ObjectSync, *, purged: int = 0) -> ObjectResult:
    """Close the object's result (cursor after, API calls, seconds) and save its state row."""
    result = sync.result
    if result.windows == 0 and run.progress is not None:
        run.progress(result.object, 0, 0)
    result.purged = purged
    result.cursor_after = run.warehouse.cursor_state(result.object).cursor
    result.api_calls = run.client.calls - sync.calls_before
    result.seconds = time.perf_counter() - sync.started
    _save_object_state(run, result)
    return result


@contextmanager
def recording_outcome(run: SyncRun, result: SyncResult) -> Iterator[SyncResult]:
    """Close the run however the block ends: completed, paused for quota (swallowed) or failed (re-raised)."""
    try:
        yield result
        result.status = "completed"
    except QuotaExceededError as exc:
        result.status, result.error = "paused_for_quota", exc.message
    except SalesHomeError as exc:
        result.status, result.error = "failed", exc.message
        close_run(run, result)
        raise
    except BaseException as exc:
        result.status, result.error = "failed", f"{type(exc).__name__}: {exc}"[:500]
        close_run(run, result)
        raise
    close_run(run, result)
