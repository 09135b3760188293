"""The control store under concurrent use: Sales tab reads while syncs and publishers write (issue 18 §5).

Each store measured (``--stores``, by default all three, one run each):

- ``sqlite``: the default store, ``control.sqlite`` in a temporary home, opened as every entry point opens it
  (``saleshome.warehouse.control.control_db``);
- ``postgresql``: the same code on a real PostgreSQL server the benchmark starts for the run
  (:mod:`bench.postgres_server`: initdb in a temporary directory, 127.0.0.1 only, PostgreSQL's own durability
  defaults — ``fsync`` and ``synchronous_commit`` on), through ``SALESHOME_DATABASE_URL``'s setting;
- ``duckdb_control_file``: the comparison line, the control file of the last release before the store
  (``control.duckdb`` made with that release's DDL, :mod:`bench.legacy_control`, holding the same rows), used
  as that release did: every transaction opens the file, waiting for its lock (``open_duckdb``), and closes it.

A fresh home gets a few orgs, their shown objects with default list views, record layouts, notifications (some
of them the member's subscriptions) and the workspace's plan, written through the project's settings functions.
Then, per store:

1. idle: ``size`` reader threads (default 16) in this process read for ``--idle-seconds``, nothing else (after
   two seconds of the same reads, unmeasured: imports and each reader's pooled connection come first);
2. loaded: the same readers for ``--seconds`` (default 60) while ``--writers`` sync-like writer processes
   (default 4) and ``--publishers`` publisher processes (default 2) write.

One read is what a Sales tab view needs, in one read transaction: the member's orgs, each org's shown objects
with their default list views and its layouts (``settings.store.org_settings_in``) and the member's
subscriptions, the notifications they receive (``settings.notifications.store.notifications_in``, those naming
the member).  A writer loop is a sync run's bookkeeping in one transaction held ``--writer-hold-ms`` (20): a
``sync_runs`` row, ``object_state`` rows and ``orgs.status``.  A publisher loop enqueues a message, claims what
is ready and records it sent (``warehouse.outbox``: ``enqueue``, ``claim``, ``record``; the DuckDB file: the same
three transactions in its SQL), no Slack.

Lines (each name ends in the store measured): reads/s and read p50/p95/p99 idle and loaded, writes/s, claimed
outbox items/s, and as counts reads, writes, publisher rounds, claims, lock or serialization errors and failed
transactions (any transaction that did not commit).  A write or publisher round that only committed once the
loaded phase was over (it waited for the store through its end) is counted apart
(``..._after_loaded_phase``), not in the rates.  The ratio line is the loaded read p95 over the idle read p95
of the same run and store: target <= 3 on SQLite and PostgreSQL, with zero errors and zero failed transactions.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

if TYPE_CHECKING:
    from saleshome.config import Settings
    from saleshome.warehouse.control import ControlDB, Tx
    from saleshome.warehouse.outbox import Claimer

DEFAULT_SIZE = 16  # reader threads
SQLITE, POSTGRESQL, DUCKDB_FILE = "sqlite", "postgresql", "duckdb_control_file"
STORES = (SQLITE, POSTGRESQL, DUCKDB_FILE)  # the two backends, then the comparison line
MEMBER = "U0BENCHMEMBER"
ORGS = 3
OBJECTS = ("Opportunity", "Account", "Contact", "Lead", "Case")
NOTIFICATIONS_PER_ORG = 4
WORKER_START_TIMEOUT = 120.0
WARMUP_SECONDS = 2.0  # readers reading, unmeasured, before the idle phase (imports, pooled connections)
LOCK_TIMEOUT = 60.0  # what a home uses by default (Settings.lock_timeout_seconds)
RATIO_TARGET = 3.0
POSTGRES_SETTINGS: dict[str, str] = {}  # PostgreSQL's defaults (fsync, synchronous_commit on), not the tests' shortcuts


@dataclass
class Tally:
    """What one reader, writer or publisher did: transactions committed, their latencies, what failed."""

    done: int = 0
    items: int = 0  # publishers: outbox items claimed
    late: int = 0  # writers and publishers: committed only once the loaded phase was over (not in the rates)
    latencies: list[float] = field(default_factory=list)  # seconds, committed transactions only
    lock_errors: int = 0  # the store's lock wait ran out, or a write-write conflict (serialization)
    failed: int = 0  # every transaction that did not commit (lock errors included)
    errors: Counter[str] = field(default_factory=Counter)  # failures by exception type

    @property
    def first_error(self) -> str | None:
        return ", ".join(f"{n} x {kind}" for kind, n in self.errors.most_common(5)) or None

    def failure(self, exc: BaseException) -> None:
        self.failed += 1
        if is_lock_or_serialization_error(exc):
            self.lock_errors += 1
        self.errors[f"{type(exc).__name__}: {str(exc)[:160]}"] += 1

    def add(self, other: Tally) -> None:
        self.done += other.done
        self.items += other.items
        self.late += other.late
        self.latencies += other.latencies
        self.lock_errors += other.lock_errors
        self.failed += other.failed
        self.errors.update(other.errors)


def is_lock_or_serialization_error(exc: BaseException) -> bool:
    """The store refused for concurrency: its lock wait ran out (``RetriableError``: SQLite's ``busy_timeout``, the
    DuckDB file's lock), SQLite said locked or busy, PostgreSQL a serialization failure, a deadlock or a lock it
    could not take, or DuckDB a write-write conflict."""
    import sqlite3

    import duckdb
    import psycopg
    from sqlalchemy.exc import DBAPIError

    from saleshome.errors import RetriableError
    from saleshome.warehouse.connections import is_lock_error

    if isinstance(exc, RetriableError | duckdb.TransactionException):
        return True
    if isinstance(exc, duckdb.Error):
        return is_lock_error(exc) or "conflict" in str(exc).lower()
    if isinstance(exc, DBAPIError):
        orig = exc.orig
        if isinstance(orig, sqlite3.OperationalError):
            return "locked" in str(orig) or "busy" in str(orig)
        return isinstance(orig, psycopg.errors.SerializationFailure | psycopg.errors.DeadlockDetected
                          | psycopg.errors.LockNotAvailable)
    return False


def log(message: str) -> None:
    """Progress on stderr (stdout carries only the JSON lines)."""
    print(f"control_concurrency: {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------- the home
def aliases() -> list[str]:
    return [f"org{n}" for n in range(1, ORGS + 1)]


def set_up_store(settings: Settings) -> None:
    """Plan, orgs, lists, default list views, layouts and notifications, as the settings functions write them.

    The plan is the row ``set_plan`` writes (the primary owner's check against Slack is left out); orgs are rows as
    ``add_org`` saves them, without the Salesforce login it verifies first: what is measured is the control store.
    """
    from saleshome.settings.model import Layout, ListViewRef, ObjectLists, OrgSettings
    from saleshome.settings.notifications.catalog import NotificationSpec, Recipients
    from saleshome.settings.notifications.store import write_in
    from saleshome.settings.notifications.validate import Resolved
    from saleshome.settings.store import write_layout, write_lists
    from saleshome.warehouse.control import control_db

    control = control_db(settings)
    now = datetime.now(UTC)
    with control.transaction() as db:
        db.upsert("workspaces", {"workspace": settings.workspace, "plan": "enterprise_plus", "sales_elevate": False,
                                 "team_ids": ["T0BENCH"], "updated_at": now, "updated_by": "U0BENCHOWNER"})
        for n, alias in enumerate(aliases(), start=1):
            db.execute(
                "INSERT INTO orgs (alias, workspace, org_id, org_name, instance_url, login_url, auth_method, "
                "credential_ref, ca_file, api_version, is_sandbox, objects, created_at, status) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'new')",
                [alias, settings.workspace, f"00DBENCH{n:07d}AAA", f"Bench org {n}", f"https://{alias}.example.invalid",
                 "https://login.example.invalid", "client_credentials", f"env:SALESHOME_SF_{alias.upper()}", None,
                 "62.0", False, None, now],
            )
            objects = {
                obj: ObjectLists(default_lists=[
                    ListViewRef(id=f"00B{n}{i:02d}{k:09d}", developer_name=f"{obj}_View_{k}", label=f"{obj} view {k}")
                    for k in range(3)])
                for i, obj in enumerate(OBJECTS)
            }
            write_lists(db, alias, OrgSettings(objects=objects, won_stage="Closed Won"))
            for obj in OBJECTS:
                write_layout(db, alias, obj, Layout(fields=["Name", "OwnerId", "CreatedDate", "LastModifiedDate"],
                                                    editable=["Name"]))
            for k in range(NOTIFICATIONS_PER_ORG):
                users = [MEMBER] if k % 2 == 0 else ["U0SOMEONEELSE"]
                spec = NotificationSpec(template="new_record", object="Opportunity",
                                        recipients=Recipients(users=users))
                write_in(db, settings.workspace, "U0BENCHADMIN", alias=alias, name=f"new-deals-{k}", spec=spec,
                         resolved=Resolved(object="Opportunity", name_field="Name"), enabled=True, existing=None,
                         action="notifications.create")


def copy_to_legacy_file(settings: Settings, path: Path) -> None:
    """A ``control.duckdb`` at ``path`` as the last DuckDB release made it, holding the rows of ``settings``' store."""
    from bench.legacy_control import create_legacy_control
    from saleshome.warehouse.control import control_db
    from saleshome.warehouse.control_tables import METADATA

    control = control_db(settings)
    conn = create_legacy_control(path)
    try:
        conn.execute("BEGIN TRANSACTION")
        for table in METADATA.sorted_tables:
            for row in control.rows(f"SELECT * FROM {table.name}"):
                names = ", ".join(f'"{name}"' for name in row)
                conn.execute(f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' for _ in row)})",
                             list(row.values()))
        conn.execute("COMMIT")
    finally:
        conn.close()


# ---------------------------------------------------------------------------------------- one of each
def sales_tab_view(db: Tx, workspace: str) -> int:
    """What a Sales tab view reads (the caller's transaction); returns how many things it read (never 0)."""
    from saleshome.settings.notifications.store import notifications_in
    from saleshome.settings.store import org_settings_in

    orgs = db.rows("SELECT alias, org_name, status, last_sync_at FROM orgs WHERE workspace = ? ORDER BY alias",
                   [workspace])
    settings = [org_settings_in(db, org["alias"]) for org in orgs]
    subscriptions = [n for n in notifications_in(db, workspace, enabled_only=True)
                     if MEMBER in n.spec.recipients.users]
    lists = sum(len(o.default_lists) for s in settings for o in s.objects.values())
    layouts = sum(len(s.layouts) for s in settings)
    return len(orgs) + lists + layouts + len(subscriptions)


def sync_bookkeeping(db: Tx, alias: str, loop: int) -> None:
    """A sync run's bookkeeping (the caller's transaction): run row, object state, org status."""
    now = datetime.now(UTC)
    run_id = f"{alias}-{loop}-{time.monotonic_ns()}"
    db.execute("INSERT INTO sync_runs (run_id, alias, kind, notify, started_at, ended_at, status, api_calls, "
               "heartbeat_at, pid, host) VALUES (?, ?, 'incremental', ?, ?, ?, 'completed', ?, ?, ?, ?)",
               [run_id, alias, True, now, now, 12, now, os.getpid(), "127.0.0.1"])
    for obj in OBJECTS:
        db.execute("INSERT INTO object_state (alias, object, rows, cursor, last_run_id, last_synced_at) "
                   "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (alias, object) DO UPDATE SET rows = excluded.rows, "
                   "cursor = excluded.cursor, last_run_id = excluded.last_run_id, "
                   "last_synced_at = excluded.last_synced_at",
                   [alias, obj, 1000 + loop, now, run_id, now])
    db.execute("UPDATE orgs SET status = 'ok', last_sync_at = ?, last_error = NULL WHERE alias = ?", [now, alias])


def hold_until(began: float, hold: float) -> None:
    """Sleep out the rest of the ``hold`` seconds a transaction that began at ``began`` keeps the store."""
    left = hold - (time.perf_counter() - began)
    if left > 0:
        time.sleep(left)


class Store(Protocol):
    """What the readers, writers and publishers do, on one store."""

    def read(self, workspace: str) -> int: ...

    def write(self, alias: str, loop: int, hold: float) -> None: ...

    def publish(self, worker: int, loop: int) -> int: ...


class ControlStore:
    """The control store (SQLite or PostgreSQL), through the product's ``ControlDB``."""

    def __init__(self, control: ControlDB) -> None:
        self.control = control
        self.claimer: Claimer | None = None

    def read(self, workspace: str) -> int:
        with self.control.reading() as db:
            return sales_tab_view(db, workspace)

    def write(self, alias: str, loop: int, hold: float) -> None:
        began = time.perf_counter()
        with self.control.transaction() as db:
            sync_bookkeeping(db, alias, loop)
            hold_until(began, hold)  # the rest of the ~20 ms a sync's bookkeeping holds the store

    def publish(self, worker: int, loop: int) -> int:
        """Enqueue one message, claim what is ready and record it sent (no Slack); returns items claimed."""
        from saleshome.warehouse.outbox import (
            Claimer,
            OutboxMessage,
            Outcome,
            claim,
            enqueue,
            idempotency_key,
            record,
        )

        if self.claimer is None:
            self.claimer = Claimer.here()  # one per publisher process, as a drain holds its items
        key = idempotency_key("control_concurrency", worker, loop, time.monotonic_ns())
        with self.control.transaction() as db:
            enqueue(db, [OutboxMessage(key, "notification", f"C0BENCH{worker}{loop % 8}", f"bench message {loop}")])
        items = claim(self.control, limit=10, now=datetime.now(UTC), claimer=self.claimer)
        record(self.control, [Outcome(i.key, "sent", channel=i.channel, ts=f"{time.time():.6f}") for i in items],
               claimer=self.claimer)
        return len(items)


class _DuckTx:
    """The part of ``Tx`` the read and the bookkeeping use, on a DuckDB connection (DuckDB takes ``?`` too)."""

    dialect = "duckdb"

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def execute(self, sql: str, params: list[Any] | None = None) -> Any:
        return self.conn.execute(sql, params or [])

    def rows(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        cursor = self.conn.execute(sql, params or [])
        names = [d[0] for d in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


class DuckFileStore:
    """The old DuckDB control file, as the last release used it: one open, transaction and close at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """Open (waiting for the file's lock), BEGIN, COMMIT, close: the last release's control transaction."""
        from saleshome.warehouse.connections import open_duckdb

        conn = open_duckdb(self.path, timeout=LOCK_TIMEOUT)
        try:
            conn.execute("BEGIN TRANSACTION")
            try:
                yield cast("Tx", _DuckTx(conn))
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            conn.close()

    def read(self, workspace: str) -> int:
        with self.transaction() as db:
            return sales_tab_view(db, workspace)

    def write(self, alias: str, loop: int, hold: float) -> None:
        began = time.perf_counter()
        with self.transaction() as db:
            sync_bookkeeping(db, alias, loop)
            hold_until(began, hold)

    def publish(self, worker: int, loop: int) -> int:
        """The same three transactions as :meth:`ControlStore.publish`, in the old file's SQL."""
        from saleshome.warehouse.outbox import idempotency_key

        key = idempotency_key("control_concurrency", worker, loop, time.monotonic_ns())
        with self.transaction() as db:
            db.execute("INSERT INTO outbox (key, kind, channel, text, created_at, state) "
                       "VALUES (?, 'notification', ?, ?, now(), 'pending') ON CONFLICT DO NOTHING",
                       [key, f"C0BENCH{worker}{loop % 8}", f"bench message {loop}"])
        with self.transaction() as db:
            claimed = db.execute("UPDATE outbox SET state = 'sending' WHERE key IN (SELECT key FROM outbox "
                                 "WHERE state = 'pending' ORDER BY seq LIMIT 10) RETURNING key").fetchall()
        with self.transaction() as db:
            for (claimed_key,) in claimed:
                db.execute("UPDATE outbox SET state = 'sent', sent_ts = ?, sent_at = now(), attempts = attempts + 1 "
                           "WHERE key = ?", [f"{time.time():.6f}", claimed_key])
        return len(claimed)


@dataclass(frozen=True)
class StoreSpec:
    """A store to measure, as a child process opens it again: its name, the home, the PostgreSQL URL."""

    name: str
    home: str
    database_url: str | None = None

    def settings(self) -> Settings:
        from saleshome.config import load_settings

        return load_settings(home=Path(self.home), lock_timeout_seconds=LOCK_TIMEOUT, database_url=self.database_url)

    def open(self) -> Store:
        if self.name == DUCKDB_FILE:
            return DuckFileStore(Path(self.home) / "control.duckdb")
        from saleshome.warehouse.control import control_db

        return ControlStore(control_db(self.settings()))


# ---------------------------------------------------------------------------------------- processes
def _worker(spec: StoreSpec, kind: str, number: int, hold: float, ready: Any, go: Event, stop: Event) -> None:
    """A writer or publisher process: loops until ``stop``, then puts its ``Tally`` on ``ready``."""
    store = spec.open()
    tally = Tally()
    names = aliases()
    ready.put(("ready", kind, number, None))
    go.wait(WORKER_START_TIMEOUT)
    loop = 0
    while not stop.is_set():
        began = time.perf_counter()
        try:
            claimed = 0
            if kind == "writer":
                store.write(names[(number + loop) % len(names)], loop, hold)
            else:
                claimed = store.publish(number, loop)
        except Exception as exc:
            tally.failure(exc)
        else:
            if stop.is_set():  # waited through the end of the loaded phase: did not happen during it
                tally.late += 1
            else:
                tally.done += 1
                tally.items += claimed
                tally.latencies.append(time.perf_counter() - began)
        loop += 1
    ready.put(("done", kind, number, tally))


def _readers(count: int, seconds: float, read: Callable[[], int]) -> tuple[Tally, float]:
    """``count`` threads reading for ``seconds``; their tally and the elapsed time."""
    stop = threading.Event()
    tallies = [Tally() for _ in range(count)]

    def loop(tally: Tally) -> None:
        while not stop.is_set():
            began = time.perf_counter()
            try:
                if read() <= 0:
                    raise RuntimeError("a Sales tab read found nothing")
            except Exception as exc:
                tally.failure(exc)
            else:
                tally.done += 1
                tally.latencies.append(time.perf_counter() - began)

    threads = [threading.Thread(target=loop, args=(t,), name=f"reader-{n}", daemon=True)
               for n, t in enumerate(tallies)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    stop.wait(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    total = Tally()
    for tally in tallies:
        total.add(tally)
    return total, elapsed


@contextmanager
def background_load(spec: StoreSpec, writers: int, publishers: int, hold: float) -> Iterator[dict[str, Tally]]:
    """Writer and publisher processes, started and ready before the block, stopped after it; their tallies."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    go, stop = context.Event(), context.Event()
    processes = [
        context.Process(target=_worker, args=(spec, kind, n, hold, queue, go, stop), name=f"{kind}-{n}")
        for kind, count in (("writer", writers), ("publisher", publishers)) for n in range(count)
    ]
    for process in processes:
        process.start()
    tallies = {"writer": Tally(), "publisher": Tally()}
    try:
        for _ in processes:
            queue.get(timeout=WORKER_START_TIMEOUT)  # each imported saleshome and opened its store
        go.set()
        yield tallies
    finally:
        go.set()
        stop.set()
        finished = 0
        try:
            while finished < len(processes):
                _, kind, _, tally = queue.get(timeout=WORKER_START_TIMEOUT)
                tallies[kind].add(tally)
                finished += 1
        finally:
            for process in processes:
                process.join(timeout=30)
                if process.is_alive():
                    process.kill()
                    process.join()


# ---------------------------------------------------------------------------------------- the run
def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (``share`` in 0..1) of ``values`` (not empty)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(share * len(ordered))))
    return ordered[rank - 1]


def parse_stores(stores: str) -> list[str]:
    names = [s.strip() for s in stores.split(",") if s.strip()]
    unknown = [s for s in names if s not in STORES]
    if not names or unknown:
        raise ValueError(f"control_concurrency: --stores takes a comma-separated list of {', '.join(STORES)}"
                         + (f" (not {', '.join(unknown)})" if unknown else ""))
    return names


def prepare(name: str, directory: Path, database_url: str | None) -> StoreSpec:
    """The store ``name``, set up with the benchmark's rows."""
    home = directory / name
    home.mkdir(parents=True)
    if name == DUCKDB_FILE:  # the same rows, written by the settings functions, then copied into the old file
        source = StoreSpec(SQLITE, str(directory / f"{name}-source"))
        set_up_store(source.settings())
        copy_to_legacy_file(source.settings(), home / "control.duckdb")
        return StoreSpec(name, str(home))
    spec = StoreSpec(name, str(home), database_url if name == POSTGRESQL else None)
    set_up_store(spec.settings())
    return spec


def measure(spec: StoreSpec, size: int, seconds: float, idle_seconds: float, writers: int, publishers: int,
            hold: float) -> list[dict[str, Any]]:
    """The idle then the loaded phase on one store; its lines."""
    store = spec.open()
    workspace = spec.settings().workspace

    def read() -> int:
        return store.read(workspace)

    _readers(size, WARMUP_SECONDS, read)  # not measured: each reader's imports and pooled connection come first
    log(f"{spec.name}: idle, {size} readers for {idle_seconds:g}s")
    idle, idle_elapsed = _readers(size, idle_seconds, read)
    if not idle.latencies:
        raise RuntimeError(f"{spec.name}: no read succeeded on the idle store ({idle.first_error})")
    log(f"{spec.name}: loaded, {size} readers, {writers} writers, {publishers} publishers for {seconds:g}s")
    with background_load(spec, writers, publishers, hold) as workers:
        loaded, loaded_elapsed = _readers(size, seconds, read)
    for name, tally in (("reads", loaded), *workers.items()):
        if tally.first_error:
            log(f"{spec.name}: {name} failures: {tally.first_error}")
    return lines(spec.name, idle, idle_elapsed, loaded, loaded_elapsed, workers["writer"], workers["publisher"])


def run(size: int, *, seconds: float = 60.0, idle_seconds: float = 5.0, writers: int = 4, publishers: int = 2,
        writer_hold_ms: float = 20.0, stores: str = ",".join(STORES)) -> list[dict[str, Any]]:
    """`python -m bench control_concurrency [--size READERS] [--seconds 60] [--idle-seconds 5] [--writers 4]
    [--publishers 2] [--writer-hold-ms 20] [--stores sqlite,postgresql,duckdb_control_file]`."""
    from saleshome.warehouse.control import close_all

    if size <= 0 or seconds <= 0 or idle_seconds <= 0 or writers < 0 or publishers < 0 or writer_hold_ms < 0:
        raise ValueError("control_concurrency: --size, --seconds and --idle-seconds must be positive, "
                         "--writers, --publishers and --writer-hold-ms not negative")
    names = parse_stores(stores)
    out: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-control-") as directory, ExitStack() as stack:
        database_url = stack.enter_context(_postgres()) if POSTGRESQL in names else None
        for name in names:
            log(f"{name}: setting up")
            spec = prepare(name, Path(directory), database_url)
            try:
                out += measure(spec, size, seconds, idle_seconds, writers, publishers, writer_hold_ms / 1000)
            finally:
                close_all()  # this store's pooled connections (before its server stops)
    return out


@contextmanager
def _postgres() -> Iterator[str]:
    """A PostgreSQL server for the run (PostgreSQL's defaults, 127.0.0.1 only); its URL."""
    from bench.postgres_server import POSTGRES_LIB, postgres_bin, running_postgres

    bin_dir = postgres_bin()
    if bin_dir is None:
        raise RuntimeError(f"control_concurrency: no PostgreSQL server under {POSTGRES_LIB}/*/bin: install it "
                           "(`apt-get install -y postgresql`) or leave it out (--stores sqlite,duckdb_control_file)")
    log(f"starting PostgreSQL from {bin_dir}")
    with running_postgres(bin_dir, settings=POSTGRES_SETTINGS) as server:
        yield server.url


def lines(store: str, idle: Tally, idle_elapsed: float, loaded: Tally, loaded_elapsed: float, writes: Tally,
          claims: Tally) -> list[dict[str, Any]]:
    """One store's lines (metric names end in the store)."""
    ms = 1000.0

    def read_ms(tally: Tally, share: float) -> float:
        # No read committed in the phase (all failed): none took less than the phase, its length is the bound.
        return percentile(tally.latencies, share) * ms if tally.latencies else loaded_elapsed * ms

    idle_p95 = read_ms(idle, 0.95)
    out: list[dict[str, Any]] = [
        {"metric": f"reads_per_second_idle_{store}", "value": idle.done / idle_elapsed, "unit": "reads/s"},
        {"metric": f"reads_per_second_loaded_{store}", "value": loaded.done / loaded_elapsed, "unit": "reads/s"},
    ]
    for phase, tally in (("idle", idle), ("loaded", loaded)):
        for share in (0.50, 0.95, 0.99):
            out.append({"metric": f"read_p{int(share * 100)}_ms_{phase}_{store}", "value": read_ms(tally, share),
                        "unit": "ms"})
    loaded_p95 = read_ms(loaded, 0.95)
    failed = loaded.failed + writes.failed + claims.failed
    out += [
        {"metric": f"loaded_read_p95_ms_{store}", "value": loaded_p95, "unit": "ms",
         "baseline": "idle_read_p95_same_run", "baseline_value": idle_p95},
        {"metric": f"writes_per_second_{store}", "value": writes.done / loaded_elapsed, "unit": "writes/s"},
        {"metric": f"publisher_claims_per_second_{store}", "value": claims.items / loaded_elapsed, "unit": "items/s"},
        {"metric": f"reads_idle_{store}", "value": idle.done, "unit": "count"},
        {"metric": f"reads_loaded_{store}", "value": loaded.done, "unit": "count"},
        {"metric": f"write_transactions_{store}", "value": writes.done, "unit": "count"},
        {"metric": f"write_transactions_after_loaded_phase_{store}", "value": writes.late, "unit": "count"},
        {"metric": f"publisher_rounds_{store}", "value": claims.done, "unit": "count"},
        {"metric": f"publisher_rounds_after_loaded_phase_{store}", "value": claims.late, "unit": "count"},
        {"metric": f"outbox_items_claimed_{store}", "value": claims.items, "unit": "count"},
        {"metric": f"lock_or_serialization_errors_{store}",
         "value": idle.lock_errors + loaded.lock_errors + writes.lock_errors + claims.lock_errors, "unit": "count"},
        {"metric": f"failed_transactions_{store}", "value": idle.failed + failed, "unit": "count"},
    ]
    return out
