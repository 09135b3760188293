"""Incremental sync of one org: describe → windows → extract (REST or Bulk) → merge, per object.

:func:`sync_org` is the only sync loop: the CLI, the tests, the benchmarks and the Prefect flows
run it.  It hands each step (open the run, sync one object, materialise the lists) to a
:class:`saleshome.sync.steps.StepRunner`: inline by default, as Prefect task runs under a flow.

Windows: each object reads ``[cursor - lookback, signpost)`` with signpost = Salesforce
server time at run start minus a safety lag (Meltano's signpost, Airbyte's closed windows and
10-minute lookback): SystemModstamp ties and late commits inside the lookback are re-read
and deduplicated by the merge.  A large window is cut into time slices, each committed with
its cursor, so an initial sync resumes where it stopped.
"""

from __future__ import annotations

import math
import shutil
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import copy_context
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from saleshome.config import Settings
from saleshome.errors import QuotaExceededError, SalesHomeError
from saleshome.salesforce.client import BulkNotSupported, SalesforceClient
from saleshome.salesforce.credentials import Resolver
from saleshome.salesforce.login import connect
from saleshome.salesforce.schema import ObjectSchema, object_schema
from saleshome.settings.lists import default_list_views_in
from saleshome.settings.model import ListViewRef
from saleshome.settings.orgs import Org, get_org
from saleshome.sync.listviews import materialise_default_list_views
from saleshome.sync.results import ObjectResult, Progress, SyncResult
from saleshome.sync.runs import Heartbeat, lease, settle_crashed_runs, start_run_row
from saleshome.sync.states import ObjectPath, OrgState, RunState
from saleshome.sync.steps import INLINE, Step, StepRunner
from saleshome.warehouse.catalog import table_exists
from saleshome.warehouse.control import ControlDB, Tx
from saleshome.warehouse.orgdb import CursorState, MergeStats, OrgWarehouse

DEFAULT_OBJECTS = (
    "User", "Account", "Contact", "Opportunity", "OpportunityHistory", "Lead", "Case", "PermissionSetAssignment",
)

PREFETCH_THREADS = 2  # objects described, counted and read ahead of the one being loaded
LOAD_THREADS = 2  # small objects loaded at once, each on a connection of its own

class QuotaPaused(QuotaExceededError):
    """The org's remaining daily API requests fell under the reserve: the run pauses, not fails."""


def soql_datetime(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class Window:
    start: datetime | None  # inclusive; None = from the beginning
    end: datetime  # exclusive
    moves_cursor: bool  # False for backfills: the cursor never moves backwards
    reaches_signpost: bool

    def where(self, cursor_field: str) -> str:
        parts = [f"{cursor_field} < {soql_datetime(self.end)}"]
        if self.start is not None:
            parts.insert(0, f"{cursor_field} >= {soql_datetime(self.start)}")
        return " AND ".join(parts)


@dataclass
class SyncRun:
    """Everything one run of one org holds: the control store, client, open warehouse, signpost, settings."""

    control: ControlDB  # the handle of the entry point that runs the sync
    settings: Settings
    org: Org
    client: SalesforceClient
    warehouse: OrgWarehouse
    run_id: str
    kind: str
    notify: bool
    signpost: datetime
    progress: Progress | None = None
    rest_only: set[str] = field(default_factory=set)  # objects Bulk API 2.0 refused in this run
    steps: StepRunner = INLINE  # how each step runs (inline, or as a Prefect task run)
    current_object: str | None = None  # the object being described, read or loaded (main thread)
    failed_object: ObjectResult | None = None  # the object whose error ended the run (its state row says why)
    referenced_objects: list[str] | None = None  # what the org's settings reference, read as the run opened
    default_views: dict[str, list[ListViewRef]] | None = None  # the org's default list views, read then too
    heartbeat: Heartbeat | None = None  # refreshes the run's row from open_run until close_run (sync.runs)

    @property
    def staging(self) -> Path:
        return self.settings.home / "staging" / self.org.alias / self.run_id


# ---------------------------------------------------------------------------------------- steps
def open_run(
    control: ControlDB, settings: Settings, alias: str, *, kind: str | None = None, notify: bool = False,
    resolvers: Mapping[str, Resolver] | None = None, progress: Progress | None = None,
) -> SyncRun:
    """Log in, open the org's warehouse, read the server time and fix the signpost.

    The login and the first call (network) run beside the opening of the warehouse (disk). The
    objects the org's settings reference are read in the transaction that records the run, which also
    settles the org's runs whose process died (``crashed``); the run's heartbeat beats from then on.
    """
    org = get_org(control, settings, alias)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="login") as pool:
        login = pool.submit(_log_in, org, resolvers)
        warehouse = OrgWarehouse(settings.org_db(alias), lock_timeout=settings.lock_timeout_seconds,
                                 memory_limit=settings.duckdb_memory_limit, checkpoint_wal=settings.duckdb_checkpoint_wal)
        try:
            client = login.result()
        except BaseException:
            warehouse.close()
            raise
    server_now = client.server_time or datetime.now(UTC)
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    if kind is None:
        kind = "incremental" if org.last_sync_at is not None else "initial"
    run = SyncRun(control, settings, org, client, warehouse, run_id, kind, notify,
                  server_now - timedelta(seconds=settings.safety_lag_seconds), progress)
    client.before_call = lambda: check_budget(run)
    warehouse.record_run(run_id, kind, notify, datetime.now(UTC))
    now = datetime.now(UTC)
    with run.control.transaction() as db:
        settle_crashed_runs(db, alias, now=now, lease=lease(settings))
        start_run_row(db, run_id, alias, kind, notify, now, lease=lease(settings))
        db.execute("UPDATE orgs SET status = ? WHERE alias = ?", [OrgState.SYNCING, alias])
        run.referenced_objects = settings_objects_in(db, alias)
        run.default_views = default_list_views_in(db, alias)
    run.heartbeat = Heartbeat(run.control, run_id, settings.heartbeat_seconds).start()
    return run


def _log_in(org: Org, resolvers: Mapping[str, Resolver] | None) -> SalesforceClient:
    """A logged-in client whose API usage and server time are known (``/limits``, one call)."""
    client = connect(org, resolvers)
    limits = client.limits()
    daily = limits.get("DailyApiRequests", {})
    if "Max" in daily and "Remaining" in daily:
        client.usage = (int(daily["Max"]) - int(daily["Remaining"]), int(daily["Max"]))
    return client


def check_budget(run: SyncRun) -> None:
    """Stop before the org's remaining daily requests fall under the reserve (default 10%)."""
    usage = run.client.usage
    if usage is None:
        return
    used, total = usage
    if total and (total - used - 1) < run.settings.api_reserve * total:  # the next call would go under
        raise QuotaPaused(
            f"org {run.org.alias!r} has {total - used} of {total} daily API requests left, under the "
            f"{run.settings.api_reserve:.0%} reserve",
            hint="the sync resumes at its next run; raise SALESHOME_API_RESERVE to use more of the budget",
        )


def plan_windows(
    run: SyncRun, schema: ObjectSchema, *, full: bool = False, backfill: tuple[datetime, datetime] | None = None,
    state: CursorState | None = None,
) -> tuple[list[Window], int]:
    """The windows to read for one object, and how many rows they hold (one COUNT()).

    ``state``: the object's cursor state, read beforehand (the warehouse is not touched then,
    so this may run beside the thread that loads other objects).
    """
    state = state or run.warehouse.cursor_state(schema.name)
    lookback = timedelta(seconds=run.settings.lookback_seconds)
    start: datetime | None
    if backfill is not None:
        start, end = backfill
        moves = False
    else:
        start = None if full or state.cursor is None else state.cursor - lookback
        end = run.signpost
        moves = True
    if start is not None and start >= end:
        return [], 0
    probe = Window(start, end, moves, moves)
    check_budget(run)
    total = run.client.count(f"SELECT COUNT() FROM {schema.name} WHERE {probe.where(schema.cursor_field)}")
    if total <= run.settings.chunk_rows:
        return [probe], total
    first = start
    if first is None:
        oldest = next(run.client.query_pages(
            f"SELECT {schema.cursor_field} FROM {schema.name} ORDER BY {schema.cursor_field} ASC LIMIT 1"
        ))
        first = datetime.fromisoformat(oldest[0][schema.cursor_field].replace("+0000", "+00:00")) if oldest else end
    slices = math.ceil(total / run.settings.chunk_rows)
    step = (end - first) / slices
    bounds = [first + step * i for i in range(1, slices)]
    edges: list[datetime | None] = [start, *bounds, end]
    windows = [
        Window(edges[i], edges[i + 1] or end, moves, moves and i == slices - 1)
        for i in range(slices)
    ]
    return windows, total


def extract_window(run: SyncRun, schema: ObjectSchema, window: Window, *, expected_rows: int) -> tuple[str, Any]:
    """Read one window into files: Bulk 2.0 CSV result sets for large ones, REST queryAll pages for small ones."""
    check_budget(run)
    soql = schema.soql(window.where(schema.cursor_field))
    if expected_rows >= run.settings.bulk_threshold and schema.name not in run.rest_only:
        try:
            files = run.client.bulk_query_to_files(soql, run.staging / schema.name, operation="queryAll",
                                                   page_records=run.settings.bulk_page_records)
            return ObjectPath.BULK, files
        except BulkNotSupported:
            run.rest_only.add(schema.name)  # what Bulk cannot serve, REST can: fall back for this run
    return ObjectPath.REST, run.client.query_to_files(soql, run.staging / schema.name, include_deleted=True)


def load_window(run: SyncRun, schema: ObjectSchema, window: Window, path: str, data: Any, *, initial: bool) -> MergeStats:
    """Stage what was read and merge it, with its change log and cursor, in one transaction."""
    if path == ObjectPath.BULK:
        run.warehouse.stage_csv(schema, data)
    else:
        run.warehouse.stage_pages(schema, data)
    stats = run.warehouse.apply_window(
        schema, run_id=run.run_id, new_cursor=window.end if window.moves_cursor else None, initial=initial,
        now=datetime.now(UTC), reaches_signpost=window.reaches_signpost,
    )
    remove_files(data)  # kept until the window is applied: a retried load reads them again
    return stats


def remove_files(files: list[Path]) -> None:
    """Drop downloaded result files (what is left over goes with the run's staging directory)."""
    for file in files:
        Path(file).unlink(missing_ok=True)


def reconcile_due(run: SyncRun, schema: ObjectSchema, state: CursorState) -> bool:
    """Whether the object's Ids are compared in this run.

    Every ``reconcile_hours`` in general.  An object without ``IsDeleted`` whose records can be
    deleted (PermissionSetAssignment) shows a delete only as a missing Id: while it is small
    (``reconcile_every_run_rows``) it is compared at every run, so a revoked assignment stops
    the member's Sales Home at the next sync rather than up to a day later.
    """
    if schema.hard_deletes_only and run.warehouse.row_count(schema.name) < run.settings.reconcile_every_run_rows:
        return True
    return state.last_reconciled_at is None or (
        datetime.now(UTC) - state.last_reconciled_at > timedelta(hours=run.settings.reconcile_hours)
    )


def reconcile_object(run: SyncRun, schema: ObjectSchema, *, force: bool = False) -> int:
    """Compare the org's full Id set with ours (hard deletes) when due (:func:`reconcile_due`)."""
    state = run.warehouse.cursor_state(schema.name)
    if not state.initial_done:
        return 0
    if not (force or reconcile_due(run, schema, state)):
        return 0
    check_budget(run)
    # Every Id the org has, whatever its stamp: a record changed after the signpost is not a hard delete.
    soql = f"SELECT Id FROM {schema.name}"
    if run.warehouse.row_count(schema.name) >= run.settings.bulk_threshold and schema.name not in run.rest_only:
        try:
            files = run.client.bulk_query_to_files(soql, run.staging / f"{schema.name}-ids", operation="queryAll")
        except BulkNotSupported:
            run.rest_only.add(schema.name)
        else:
            try:
                return run.warehouse.reconcile_ids(schema.name, files=files, run_id=run.run_id, now=datetime.now(UTC))
            finally:
                remove_files(files)
    ids = [r["Id"] for page in run.client.query_pages(soql) for r in page]
    return run.warehouse.reconcile_ids(schema.name, ids=ids, run_id=run.run_id, now=datetime.now(UTC))


@dataclass
class Prefetched:
    """One object described, planned and (when it has a single window) read, ahead of its load."""

    schema: ObjectSchema
    windows: list[Window]
    total: int
    first: tuple[str, Any] | None  # (path, data) of the first window, already read
    api_calls: int


def prefetch_object(
    run: SyncRun, name: str, state: CursorState, *, full: bool = False,
    backfill: tuple[datetime, datetime] | None = None,
) -> Prefetched:
    """Describe, plan and read a single-window object without touching the warehouse (thread-safe)."""
    before = run.client.thread_calls
    schema = object_schema(run.client.describe(name))
    windows, total = plan_windows(run, schema, full=full, backfill=backfill, state=state)
    first = extract_window(run, schema, windows[0], expected_rows=total) if len(windows) == 1 else None
    return Prefetched(schema, windows, total, first, run.client.thread_calls - before)


def sync_object(
    run: SyncRun, schema: ObjectSchema, *, full: bool = False, backfill: tuple[datetime, datetime] | None = None,
    prefetched: Prefetched | None = None,
) -> ObjectResult:
    """One object: evolve its table, read its windows, merge each; reconcile Ids when due."""
    sync = begin_object(run, schema, backfill=backfill is not None)
    main_calls = run.client.thread_calls
    if prefetched is not None:
        windows, total = prefetched.windows, prefetched.total
    else:
        windows, total = plan_windows(run, schema, full=full, backfill=backfill)
    if run.progress is not None:
        run.progress(schema.name, 0, total)
    expected = expected_rows(total, len(windows))
    read_ahead_calls = 0

    def read(window: Window) -> tuple[str, Any, int]:
        before = run.client.thread_calls
        path, data = extract_window(run, schema, window, expected_rows=expected)
        return path, data, run.client.thread_calls - before

    # The next window is downloaded while this one is loaded (Bulk CSV files on disk: memory stays flat).
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-ahead") as reader:
        ahead: Future[tuple[str, Any, int]] | None = None
        try:
            for i, window in enumerate(windows):
                if i == 0 and prefetched is not None and prefetched.first is not None:
                    path, data = prefetched.first
                else:
                    path, data, read_calls = (ahead or reader.submit(read, window)).result()
                    read_ahead_calls += read_calls
                ahead = reader.submit(read, windows[i + 1]) if i + 1 < len(windows) else None
                stats = load_window(run, schema, window, path, data, initial=sync.initial)
                record_window(run, sync, path, stats, expected=expected, total=total)
        finally:
            reader.shutdown(cancel_futures=True)
    purged = reconcile_object(run, schema) if backfill is None and not full else 0
    calls = None if prefetched is None else prefetched.api_calls + read_ahead_calls + run.client.thread_calls - main_calls
    return finish_object(run, sync, purged=purged, api_calls=calls)


def sync_objects(
    run: SyncRun, names: list[str], *, full: bool = False, backfill: tuple[datetime, datetime] | None = None,
) -> Iterator[ObjectResult]:
    """Every object, in order; the next ones described, counted and read by helper threads meanwhile.

    The first object is prefetched here, so a refused or spent org stops the run at its first call.
    Objects read in one small REST window are loaded two at a time (:func:`_small`), each by a
    loader thread on a connection of its own: one's table scan runs while the other waits on its
    short statements and commits.  Every window stays one transaction of its own; a larger object
    is loaded alone, once the others are done (memory stays under the sync's limit).  Each object
    is one step of ``run.steps`` (:func:`object_step`).
    """
    states = {name: run.warehouse.cursor_state(name) for name in names}
    if not names:
        return

    def ahead(name: str) -> Prefetched:
        return prefetch_object(run, name, states[name], full=full, backfill=backfill)

    handles: dict[int, OrgWarehouse] = {}

    def load(prefetched: Prefetched) -> ObjectResult:
        handle = handles.get(threading.get_ident())
        if handle is None:
            handle = handles[threading.get_ident()] = run.warehouse.cursor()
        return object_step(replace(run, warehouse=handle), prefetched.schema.name, lambda: prefetched,
                           full=full, backfill=backfill)

    run.current_object = names[0]
    first = ahead(names[0])
    loading: deque[tuple[str, Future[ObjectResult]]] = deque()
    with ThreadPoolExecutor(max_workers=PREFETCH_THREADS, thread_name_prefix="prefetch") as pool, \
            ThreadPoolExecutor(max_workers=LOAD_THREADS, thread_name_prefix="load") as loaders:

        def finished() -> ObjectResult:
            name, future = loading.popleft()
            run.current_object = name  # an error is this object's
            return future.result()

        later = [(name, pool.submit(ahead, name)) for name in names[1:]]
        try:
            yield object_step(run, names[0], lambda: first, full=full, backfill=backfill)
            for name, future in later:
                run.current_object = name  # a prefetch error is this object's
                done = None if future.exception() is not None else future.result()
                if done is not None and _small(done):
                    # the step runs in the loader's thread, in a copy of this thread's context (a flow's)
                    loading.append((name, loaders.submit(copy_context().run, load, done)))
                    if len(loading) == LOAD_THREADS:
                        yield finished()
                    continue
                while loading:
                    yield finished()
                run.current_object = name
                yield object_step(run, name, future.result, full=full, backfill=backfill)
            while loading:
                yield finished()
        finally:
            for _, ahead_future in later:
                ahead_future.cancel()
            for _, load_future in loading:
                load_future.cancel()
            loaders.shutdown(wait=True)  # a load under way ends (its window commits or rolls back) before we go on
            for handle in handles.values():
                handle.close()


def object_step(
    run: SyncRun, name: str, prefetched: Callable[[], Prefetched], *, full: bool,
    backfill: tuple[datetime, datetime] | None,
) -> ObjectResult:
    """One object as one step of ``run.steps``: its first attempt loads what was read ahead (raising what
    reading it raised); a retried attempt reads the object afresh from its committed cursor."""
    attempts = 0

    def attempt() -> ObjectResult:
        nonlocal attempts
        attempts += 1
        run.current_object = name
        ready = prefetched() if attempts == 1 else prefetch_object(
            run, name, run.warehouse.cursor_state(name), full=full, backfill=backfill)
        return sync_object(run, ready.schema, full=full, backfill=backfill, prefetched=ready)

    return run.steps.run(Step.OBJECT, run.org.alias, attempt, obj=name)


def _small(prefetched: Prefetched) -> bool:
    """Read already, in one REST window: loaded beside another object (no Bulk load, no slices)."""
    return prefetched.first is not None and prefetched.first[0] == ObjectPath.REST


def close_run(run: SyncRun, result: SyncResult) -> SyncResult:
    """Record the run's outcome in the control database (the objects' state rows with it, in one
    transaction), release the warehouse, and tell the step runner."""
    if run.heartbeat is not None:
        run.heartbeat.stop()  # the row is ours alone from here
    result.api_calls = run.client.calls
    result.api_usage = run.client.usage
    now = datetime.now(UTC)
    with run.control.transaction() as db:
        write_object_states(run, db, result.objects)
        if run.failed_object is not None:
            write_object_error(run, db, run.failed_object)
        db.execute("UPDATE sync_runs SET ended_at = ?, status = ?, api_calls = ?, error = ? WHERE run_id = ?",
                   [now, result.status, result.api_calls, result.error, run.run_id])
        org_status = {RunState.COMPLETED: OrgState.OK, RunState.PAUSED_FOR_QUOTA: OrgState.PAUSED_FOR_QUOTA}.get(
            RunState(result.status), OrgState.FAILED)
        db.execute(
            "UPDATE orgs SET status = ?, last_error = ?, last_sync_at = CASE WHEN ? THEN ? ELSE last_sync_at END "
            "WHERE alias = ?",
            [org_status, result.error, result.status == RunState.COMPLETED, now, run.org.alias],
        )
        if result.api_usage is not None:
            db.upsert("api_budget", {"alias": run.org.alias, "used": result.api_usage[0], "max": result.api_usage[1],
                                     "observed_at": now})
    run.warehouse.close(checkpoint=run.kind in ("initial", "full"))
    shutil.rmtree(run.staging, ignore_errors=True)
    run.steps.closed(result)
    return result


# ---------------------------------------------------------------------------------------- the whole run
def sync_org(
    control: ControlDB, settings: Settings, alias: str, *, objects: list[str] | None = None, full: bool = False,
    backfill: tuple[datetime, datetime] | None = None, notify: bool = False,
    resolvers: Mapping[str, Resolver] | None = None, progress: Progress | None = None,
    steps: StepRunner = INLINE,
) -> SyncResult:
    """Sync one org end to end: the one sync loop (``saleshome sync``, the flows, the tests, the benchmarks).

    Raises what stopped the run from starting (a refused login, a spent budget, a held file: the org
    records why) and what failed it (after closing it); a run paused for quota returns, its status
    saying so."""
    kind = "backfill" if backfill is not None else ("full" if full else None)
    try:
        run = steps.run(Step.OPEN, alias, lambda: open_run(control, settings, alias, kind=kind, notify=notify,
                                                           resolvers=resolvers, progress=progress))
    except Exception as exc:
        if isinstance(exc, SalesHomeError):  # `status` shows why
            note_org_error(control, alias, exc)
        steps.not_started(alias, kind, exc)
        raise
    run.steps = steps
    result = SyncResult(alias, run.run_id, run.kind)
    with recording_outcome(run, result):
        names = objects_to_sync(run, objects)
        run.progress = run.progress or steps.planned(alias, run.kind, names)
        for done in sync_objects(run, names, full=full, backfill=backfill):
            result.objects.append(done)
        steps.run(Step.LISTS, alias, lambda: materialise_lists(run))
    return result


def materialise_lists(run: SyncRun) -> None:
    """Store the results of the org's default list views (what `saleshome lists show` prints)."""
    materialise_default_list_views(run.client, run.warehouse, run.control, run.org.alias,
                                   run_id=run.run_id, max_rows=run.settings.list_view_max_rows,
                                   views=run.default_views)


# ---------------------------------------------------------------------------------------- bookkeeping
SETTINGS_OBJECTS_SQL = """
    SELECT object FROM default_list_views WHERE alias = ?
    UNION SELECT object FROM record_layouts WHERE alias = ?
    UNION SELECT object FROM notifications WHERE alias = ?
"""


def objects_to_sync(run: SyncRun, objects: list[str] | None) -> list[str]:
    """The objects asked for; else the org's configured set (or the default set) plus the objects its
    settings reference (Sales Home objects, default list views, layouts, notifications).

    Referenced objects come after the base set, by name, and only those the org's describeGlobal lists
    as ``queryable`` (one call, made only when settings reference an object outside the base set).
    """
    if objects:
        return list(objects)
    base = list(run.org.objects or DEFAULT_OBJECTS)
    referenced = run.referenced_objects
    if referenced is None:
        referenced = settings_objects(run.control, run.org.alias)
    extra = [name for name in referenced if name not in base]
    if not extra:
        return base
    queryable = {o["name"] for o in run.client.describe_global().get("sobjects", []) if o.get("queryable")}
    return base + [name for name in extra if name in queryable]


def settings_objects(control: ControlDB, alias: str) -> list[str]:
    """The objects the org's settings reference, by name."""
    with control.reading() as db:
        return settings_objects_in(db, alias)


def settings_objects_in(db: Tx, alias: str) -> list[str]:
    shown = [o for r in db.rows("SELECT objects FROM org_settings WHERE alias = ?", [alias]) for o in r["objects"]]
    referenced = [r[0] for r in db.execute(SETTINGS_OBJECTS_SQL, [alias] * 3).fetchall()]
    return sorted({*shown, *referenced})


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
    run.current_object = schema.name
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
    result.path = path if result.path in (ObjectPath.NONE, path) else ObjectPath.MIXED
    result.add(stats)
    result.rows_read += stats.inserted + stats.updated + stats.deleted + stats.undeleted + stats.unchanged
    result.windows += 1
    sync.rows_done += expected
    if run.progress is not None:
        run.progress(result.object, min(sync.rows_done, total), total)


def finish_object(run: SyncRun, sync: ObjectSync, *, purged: int = 0, api_calls: int | None = None) -> ObjectResult:
    """Close the object's result (cursor after, API calls, seconds) and save its state row."""
    result = sync.result
    if result.windows == 0 and run.progress is not None:
        run.progress(result.object, 0, 0)
    result.purged = purged
    result.cursor_after = run.warehouse.cursor_state(result.object).cursor
    result.api_calls = run.client.calls - sync.calls_before if api_calls is None else api_calls
    result.seconds = time.perf_counter() - sync.started
    run.current_object = None
    return result


@contextmanager
def recording_outcome(run: SyncRun, result: SyncResult) -> Iterator[SyncResult]:
    """Close the run however the block ends: completed, paused for quota (swallowed) or failed (re-raised)."""
    try:
        yield result
        result.status = RunState.COMPLETED
    except QuotaExceededError as exc:
        result.status, result.error = RunState.PAUSED_FOR_QUOTA, exc.message
    except SalesHomeError as exc:
        result.status, result.error = RunState.FAILED, exc.message
        note_object_error(run, result.error)
        close_run(run, result)
        raise
    except BaseException as exc:
        result.status, result.error = RunState.FAILED, f"{type(exc).__name__}: {exc}"[:500]
        note_object_error(run, result.error)
        close_run(run, result)
        raise
    close_run(run, result)


def note_object_error(run: SyncRun, error: str) -> None:
    """Blame the object under way for the run's failure: :func:`close_run` writes it on its state row."""
    if run.current_object is not None:
        run.failed_object = ObjectResult(run.current_object, error=error)


def note_org_error(control: ControlDB, alias: str, exc: SalesHomeError) -> None:
    """Record on the org why a run could not start (it stays visible in ``saleshome status``)."""
    status = OrgState.PAUSED_FOR_QUOTA if isinstance(exc, QuotaExceededError) else OrgState.FAILED
    with control.transaction() as db:
        db.execute("UPDATE orgs SET status = ?, last_error = ? WHERE alias = ?", [status, exc.message, alias])


def write_object_states(run: SyncRun, db: Tx, results: list[ObjectResult]) -> None:
    """The objects' rows in ``object_state`` (what ``saleshome status`` shows), in the caller's transaction (an
    object named twice: its last result)."""
    latest = {r.object: r for r in results}
    if not latest:
        return
    now = datetime.now(UTC)
    values = [
        [run.org.alias, r.object, run.warehouse.row_count(r.object), r.cursor_after, run.run_id, now, r.path, r.error]
        for r in latest.values()
    ]
    names = ("alias", "object", "rows", "cursor", "last_run_id", "last_synced_at", "last_path", "last_error")
    for row in values:
        db.upsert("object_state", dict(zip(names, row, strict=True)))


def write_object_error(run: SyncRun, db: Tx, failed: ObjectResult) -> None:
    """Record why the object failed on its ``object_state`` row, keeping its rows, cursor and last sync.

    An object that never synced gets a row with its cursor (if any) and no last sync; the next
    successful run of the object clears the error.
    """
    cursor: datetime | None = None
    rows: int | None = None
    try:  # what the warehouse still says (it may be what failed: then the error alone is recorded)
        cursor = run.warehouse.cursor_state(failed.object).cursor
        rows = run.warehouse.row_count(failed.object) if table_exists(run.warehouse.conn, failed.object) else None
    except duckdb.Error:
        pass
    db.execute(
        "INSERT INTO object_state VALUES (?, ?, ?, ?, ?, NULL, NULL, ?) ON CONFLICT (alias, object) "
        "DO UPDATE SET last_error = excluded.last_error, last_run_id = excluded.last_run_id",
        [run.org.alias, failed.object, rows, cursor, run.run_id, failed.error],
    )
