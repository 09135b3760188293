"""The control store under concurrent use: Sales tab reads while syncs and publishers write (issue 18 §5).

A fresh Sales Home home gets a few orgs, their shown objects with default list views, record
layouts, notifications (some of them the member's subscriptions) and the workspace's plan, written
through the project's settings functions.  Then, on the control store opened as every entry point
opens it (``saleshome.warehouse.control.control_db``):

1. idle: ``size`` reader threads (default 16) in this process read for ``--idle-seconds``, nothing else;
2. loaded: the same readers for ``--seconds`` (default 60) while ``--writers`` sync-like writer
   processes (default 4) and ``--publishers`` publisher processes (default 2) write.

One read is what a Sales tab view needs, in one transaction: the member's orgs, each org's shown
objects with their default list views and its layouts (``settings.store.org_settings_in``) and the
member's subscriptions (``settings.notifications.store.notifications_in``, those naming the member).
A writer loop is a sync run's bookkeeping in one transaction held ``--writer-hold-ms`` (20): a
``sync_runs`` row, ``object_state`` rows and ``orgs.status``.  A publisher loop enqueues a message,
claims what is ready (``warehouse.outbox.claim``) and records it sent (``outbox.record``), no Slack.

Lines (each name ends in the store measured, today ``duckdb_control_file``, so that the SQLite and
PostgreSQL stores of issue 18 add lines of their own): reads/s and read p50/p95/p99 idle and loaded,
writes/s, claimed outbox items/s, and as counts reads, writes, publisher rounds, claims, lock or
serialization errors and failed transactions (any transaction that did not commit).  A write or
publisher round that only committed once the loaded phase was over (it waited for the store through
its end) is counted apart (``..._after_loaded_phase``), not in the rates.  The ratio line is the loaded read
p95 over the idle read p95 of the same run: target <= 3 (and zero errors, zero failed transactions).
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
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from saleshome.warehouse.control import ControlDB

DEFAULT_SIZE = 16  # reader threads
STORE = "duckdb_control_file"  # the store measured (issue 18 adds sqlite_control_file, postgresql)
MEMBER = "U0BENCHMEMBER"
ORGS = 3
OBJECTS = ("Opportunity", "Account", "Contact", "Lead", "Case")
NOTIFICATIONS_PER_ORG = 4
WORKER_START_TIMEOUT = 120.0
RATIO_TARGET = 3.0


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
    """The store refused for concurrency: its lock wait ran out (``RetriableError``) or a transaction conflicted."""
    import duckdb

    from saleshome.errors import RetriableError
    from saleshome.warehouse.connections import is_lock_error

    if isinstance(exc, RetriableError | duckdb.TransactionException):
        return True
    return isinstance(exc, duckdb.Error) and (is_lock_error(exc) or "conflict" in str(exc).lower())


def log(message: str) -> None:
    """Progress on stderr (stdout carries only the JSON lines)."""
    print(f"control_concurrency: {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------- the home
def aliases() -> list[str]:
    return [f"org{n}" for n in range(1, ORGS + 1)]


def set_up_home(home: Path) -> None:
    """Plan, orgs, lists, default list views, layouts and notifications, as the settings functions write them.

    The plan is declared by the primary owner of a Slack sandbox (``set_plan``).  Orgs are rows as
    ``add_org`` saves them, without the Salesforce login it verifies first (one sandbox per org
    otherwise): what is measured is the control store, not the connection check.
    """
    from bench._sync_common import declare_plan
    from saleshome.config import load_settings
    from saleshome.settings.model import Layout, ListViewRef, ObjectLists, OrgSettings
    from saleshome.settings.notifications.catalog import NotificationSpec, Recipients
    from saleshome.settings.notifications.store import write_in
    from saleshome.settings.notifications.validate import Resolved
    from saleshome.settings.store import write_layout, write_lists
    from saleshome.warehouse.control import control_db

    home.mkdir(parents=True, exist_ok=True)
    declare_plan(home)
    settings = load_settings(home=home)
    control = control_db(settings)
    now = datetime.now(UTC)
    with control.transaction() as db:
        for n, alias in enumerate(aliases(), start=1):
            db.execute(
                "INSERT INTO orgs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'new', NULL, NULL)",
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


# ---------------------------------------------------------------------------------------- one of each
def sales_tab_read(control: ControlDB, workspace: str) -> int:
    """What a Sales tab view reads, in one transaction; returns how many things it read (never 0)."""
    from saleshome.settings.notifications.store import notifications_in
    from saleshome.settings.store import org_aliases_in, org_settings_in

    with control.transaction() as db:
        orgs = db.execute("SELECT alias, org_name, status, last_sync_at FROM orgs WHERE alias IN "
                          "(SELECT unnest(?::VARCHAR[])) ORDER BY alias",
                          [org_aliases_in(db, workspace)]).fetchall()
        settings = [org_settings_in(db, alias) for alias, *_ in orgs]
        subscriptions = [n for n in notifications_in(db, workspace, enabled_only=True)
                         if MEMBER in n.spec.recipients.users]
    lists = sum(len(o.default_lists) for s in settings for o in s.objects.values())
    layouts = sum(len(s.layouts) for s in settings)
    return len(orgs) + lists + layouts + len(subscriptions)


def sync_bookkeeping(control: ControlDB, alias: str, loop: int, hold: float) -> None:
    """A sync run's bookkeeping, one transaction held ``hold`` seconds: run row, object state, org status."""
    began = time.perf_counter()
    now = datetime.now(UTC)
    run_id = f"{alias}-{loop}-{time.monotonic_ns()}"
    with control.transaction() as db:
        db.execute("INSERT INTO sync_runs (run_id, alias, kind, notify, started_at, ended_at, status, api_calls, "
                   "heartbeat_at, pid, host) VALUES (?, ?, 'incremental', true, ?, ?, 'completed', ?, ?, ?, ?)",
                   [run_id, alias, now, now, 12, now, os.getpid(), "127.0.0.1"])
        for obj in OBJECTS:
            db.execute("INSERT OR REPLACE INTO object_state VALUES (?, ?, ?, ?, ?, ?, NULL, NULL)",
                       [alias, obj, 1000 + loop, now, run_id, now])
        db.execute("UPDATE orgs SET status = 'ok', last_sync_at = ?, last_error = NULL WHERE alias = ?",
                   [now, alias])
        left = hold - (time.perf_counter() - began)
        if left > 0:
            time.sleep(left)  # the rest of the ~20 ms a sync's bookkeeping holds the store


def publish_once(control: ControlDB, worker: int, loop: int) -> int:
    """Enqueue one message, claim what is ready and record it sent (no Slack); returns items claimed."""
    from saleshome.warehouse.outbox import OutboxMessage, Outcome, claim, enqueue, idempotency_key, record

    key = idempotency_key("control_concurrency", worker, loop, time.monotonic_ns())
    with control.transaction() as db:
        enqueue(db, [OutboxMessage(key, "notification", f"C0BENCH{worker}{loop % 8}", f"bench message {loop}")])
    items = claim(control, limit=10, now=datetime.now(UTC))
    record(control, [Outcome(i.key, "sent", channel=i.channel, ts=f"{time.time():.6f}") for i in items])
    return len(items)


# ---------------------------------------------------------------------------------------- processes
def _worker(kind: str, number: int, home: str, hold: float, ready: Any, go: Event, stop: Event) -> None:
    """A writer or publisher process: loops until ``stop``, then puts its ``Tally`` on ``ready``."""
    from saleshome.config import load_settings
    from saleshome.warehouse.control import control_db

    control = control_db(load_settings(home=Path(home)))
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
                sync_bookkeeping(control, names[(number + loop) % len(names)], loop, hold)
            else:
                claimed = publish_once(control, number, loop)
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
def background_load(home: Path, writers: int, publishers: int, hold: float) -> Iterator[dict[str, Tally]]:
    """Writer and publisher processes, started and ready before the block, stopped after it; their tallies."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    go, stop = context.Event(), context.Event()
    processes = [
        context.Process(target=_worker, args=(kind, n, str(home), hold, queue, go, stop), name=f"{kind}-{n}")
        for kind, count in (("writer", writers), ("publisher", publishers)) for n in range(count)
    ]
    for process in processes:
        process.start()
    tallies = {"writer": Tally(), "publisher": Tally()}
    try:
        for _ in processes:
            queue.get(timeout=WORKER_START_TIMEOUT)  # each imported saleshome and opened nothing yet
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


def run(size: int, *, seconds: float = 60.0, idle_seconds: float = 5.0, writers: int = 4, publishers: int = 2,
        writer_hold_ms: float = 20.0) -> list[dict[str, Any]]:
    """`python -m bench control_concurrency [--size READERS] [--seconds 60] [--idle-seconds 5] [--writers 4]
    [--publishers 2] [--writer-hold-ms 20]`."""
    from saleshome.config import load_settings
    from saleshome.warehouse.control import control_db

    if size <= 0 or seconds <= 0 or idle_seconds <= 0 or writers < 0 or publishers < 0 or writer_hold_ms < 0:
        raise ValueError("control_concurrency: --size, --seconds and --idle-seconds must be positive, "
                         "--writers, --publishers and --writer-hold-ms not negative")
    with tempfile.TemporaryDirectory(prefix="bench-control-") as directory:
        home = Path(directory) / "home"
        log(f"setting up {home}")
        set_up_home(home)
        settings = load_settings(home=home)
        control = control_db(settings)

        def read() -> int:
            return sales_tab_read(control, settings.workspace)

        log(f"idle: {size} readers for {idle_seconds:g}s")
        idle, idle_elapsed = _readers(size, idle_seconds, read)
        if not idle.latencies:
            raise RuntimeError(f"no read succeeded on the idle store ({idle.first_error})")
        log(f"loaded: {size} readers, {writers} writers, {publishers} publishers for {seconds:g}s")
        with background_load(home, writers, publishers, writer_hold_ms / 1000) as workers:
            loaded, loaded_elapsed = _readers(size, seconds, read)
    for name, tally in (("reads", loaded), *workers.items()):
        if tally.first_error:
            log(f"{name} failures: {tally.first_error}")
    return lines(idle, idle_elapsed, loaded, loaded_elapsed, workers["writer"], workers["publisher"])


def lines(idle: Tally, idle_elapsed: float, loaded: Tally, loaded_elapsed: float, writes: Tally,
          claims: Tally) -> list[dict[str, Any]]:
    """The benchmark's lines (metric names end in the store measured)."""
    ms = 1000.0

    def read_ms(tally: Tally, share: float) -> float:
        # No read committed in the phase (all failed): none took less than the phase, its length is the bound.
        return percentile(tally.latencies, share) * ms if tally.latencies else loaded_elapsed * ms

    idle_p95 = read_ms(idle, 0.95)
    out: list[dict[str, Any]] = [
        {"metric": f"reads_per_second_idle_{STORE}", "value": idle.done / idle_elapsed, "unit": "reads/s"},
        {"metric": f"reads_per_second_loaded_{STORE}", "value": loaded.done / loaded_elapsed, "unit": "reads/s"},
    ]
    for phase, tally in (("idle", idle), ("loaded", loaded)):
        for share in (0.50, 0.95, 0.99):
            out.append({"metric": f"read_p{int(share * 100)}_ms_{phase}_{STORE}", "value": read_ms(tally, share),
                        "unit": "ms"})
    loaded_p95 = read_ms(loaded, 0.95)
    failed = loaded.failed + writes.failed + claims.failed
    out += [
        {"metric": f"loaded_read_p95_ms_{STORE}", "value": loaded_p95, "unit": "ms",
         "baseline": "idle_read_p95_same_run", "baseline_value": idle_p95},
        {"metric": f"writes_per_second_{STORE}", "value": writes.done / loaded_elapsed, "unit": "writes/s"},
        {"metric": f"publisher_claims_per_second_{STORE}", "value": claims.items / loaded_elapsed, "unit": "items/s"},
        {"metric": f"reads_idle_{STORE}", "value": idle.done, "unit": "count"},
        {"metric": f"reads_loaded_{STORE}", "value": loaded.done, "unit": "count"},
        {"metric": f"write_transactions_{STORE}", "value": writes.done, "unit": "count"},
        {"metric": f"write_transactions_after_loaded_phase_{STORE}", "value": writes.late, "unit": "count"},
        {"metric": f"publisher_rounds_{STORE}", "value": claims.done, "unit": "count"},
        {"metric": f"publisher_rounds_after_loaded_phase_{STORE}", "value": claims.late, "unit": "count"},
        {"metric": f"outbox_items_claimed_{STORE}", "value": claims.items, "unit": "count"},
        {"metric": f"lock_or_serialization_errors_{STORE}",
         "value": idle.lock_errors + loaded.lock_errors + writes.lock_errors + claims.lock_errors, "unit": "count"},
        {"metric": f"failed_transactions_{STORE}", "value": idle.failed + failed, "unit": "count"},
    ]
    return out
