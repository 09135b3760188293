"""Crash safety and concurrency, with real processes.

- 3 initial syncs and 20 incremental sync processes killed with SIGKILL inside their sync (activity
  applied between some of them); the resumed initial sync is an exact copy; then one run to completion:
  every synced table equals the org exactly and the change log holds no duplicate (rows, change log and
  cursor commit together).
- Two orgs syncing at once in two processes while the status is read: no lock error, no lost write.

Kill points come from the events the sync itself reports (its progress callback, in
``sync_child.py``), never from wall-clock guesses: a kill is placed at the n-th reported event,
random but seeded, and lands either while the sync stands right after that event (a window just
committed, or an object just begun) or after it was let go, mid-window, a random moment later (or
at its next event if that comes first).  Every run reports at least ``MIN_EVENTS`` events and each
kill is placed before the last of them, so every kill lands inside the sync by construction; the
first kill of the initial sync stands right after a slice of an object with more slices to come, so
a rerun has committed slices to resume from by construction too.
"""

from __future__ import annotations

import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import duckdb
import pytest

from saleshome.config import Settings
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from saleshome.sync.engine import DEFAULT_OBJECTS
from saleshome.warehouse.control import ControlDB
from tests.fixtures.sandboxes import connect_org, settle
from tests.fixtures.sandboxes import sandbox_control as control

from .conftest import assert_same_as_org, change_log_duplicates

KILLS = 20  # incremental runs killed inside their sync
INITIAL_KILLS = 3  # and kills inside the initial sync, which must resume
MIN_EVENTS = 2 * len(DEFAULT_OBJECTS)  # every run reports each object's start, then its windows or its end
EVENT_TIMEOUT = 120.0  # seconds the next line of a child may take (a loaded machine, a slow window): bounded waits
CHILD = Path(__file__).with_name("sync_child.py")


@dataclass(frozen=True)
class Event:
    """One progress event of the sync: ``done`` of ``total`` rows of ``obj`` (0: the object's start or end)."""

    obj: str
    done: int
    total: int

    @property
    def mid_object(self) -> bool:
        """A committed window of an object with windows still to come (its last one reports ``done == total``)."""
        return 0 < self.done < self.total


@dataclass(frozen=True)
class Kill:
    """Where a run is killed: at its ``nth`` reported event (``mid_object``: counting only such events), while
    it stands there (``hold``), else once let go, ``delay`` seconds later or at its next event if that comes first."""

    nth: int
    hold: bool = True
    delay: float = 0.0
    mid_object: bool = False


def random_kill(rng: random.Random, gap: float) -> Kill:
    """A kill at a random event before a run's last one (so inside the sync), held or ``gap``-scaled later."""
    return Kill(rng.randint(1, MIN_EVENTS - 1), hold=rng.random() < 0.5, delay=rng.uniform(0.0, 2 * gap))


class SyncChild:
    """A sync in a child process (``sync_child.py``); its lines are read by a thread, so every wait is bounded."""

    def __init__(self, settings: Settings, alias: str, *, chunk_rows: int | None = None, report: bool = False) -> None:
        args = [sys.executable, str(CHILD), alias, f"--bulk-threshold={settings.bulk_threshold}",
                f"--chunk-rows={chunk_rows or settings.chunk_rows}", f"--reconcile-hours={settings.reconcile_hours}"]
        self.proc = subprocess.Popen([*args, "--report"] if report else args, text=True, env=dict(os.environ),
                                     stdin=subprocess.PIPE if report else subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lines: queue.Queue[str] = queue.Queue()
        self.errors: deque[str] = deque(maxlen=60)
        self.events = 0
        self.began = False
        threading.Thread(target=self._read, daemon=True).start()
        self.error_reader = threading.Thread(target=self._read_errors, daemon=True)
        self.error_reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put("")  # its end

    def _read_errors(self) -> None:
        assert self.proc.stderr is not None
        self.errors.extend(self.proc.stderr)

    def stderr(self) -> str:
        if self.proc.poll() is not None:
            self.error_reader.join(timeout=10)  # all it wrote
        return "".join(self.errors)

    def line(self, timeout: float = EVENT_TIMEOUT) -> str:
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no word from the sync in {timeout:.0f}s ({self.events} events)") from None

    def start(self) -> None:
        """Wait until the child has imported everything and begun its sync."""
        if not self.began:
            line = self.line()
            assert line == "syncing", f"{line!r}: {self.stderr()}"
            self.began = True

    def event(self, line: str) -> Event:
        assert line.startswith("event "), f"the sync ended after {self.events} events ({line!r}): {self.stderr()}"
        _, obj, done, total = line.split()
        self.events += 1
        return Event(obj, int(done), int(total))

    def go(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def stand_at(self, nth: int, *, mid_object: bool = False) -> Event:
        """Let the sync run to its ``nth`` reported event (``mid_object``: counting only such events), where it stands."""
        self.start()
        seen = 0
        while True:
            event = self.event(self.line())
            seen += event.mid_object or not mid_object
            if seen == nth:
                return event
            self.go()

    def kill_at(self, kill: Kill) -> Event | None:
        """SIGKILL the sync where ``kill`` says; the event it stood at, or None when it was killed running."""
        stood: Event | None = self.stand_at(kill.nth, mid_object=kill.mid_object)
        if not kill.hold:
            self.go()
            try:
                stood = self.event(self.lines.get(timeout=kill.delay))  # its next event came first: it stands there
            except queue.Empty:
                stood = None  # killed while it ran on, mid-window
        self.proc.kill()
        assert self.proc.wait(timeout=60) == -signal.SIGKILL, f"it ended before its kill: {self.stderr()}"
        return stood

    def finish(self, timeout: float = 300) -> int:
        """Let the sync run to its end (answering every event it reports); how many events it reported."""
        self.start()
        deadline = time.monotonic() + timeout
        while (line := self.line(max(deadline - time.monotonic(), 0.0))).startswith("event "):
            self.event(line)
            self.go()
        assert self.proc.wait(timeout=60) == 0, self.stderr()
        return self.events

    def __enter__(self) -> SyncChild:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self.proc.poll() is None:  # a failed assertion left it running (or held at an event)
            self.proc.kill()
        self.proc.wait(timeout=60)
        if self.proc.stdin is not None:
            self.proc.stdin.close()


def _initial_done(settings: Settings, alias: str) -> bool:
    rows = ControlDB(settings.control_db, timeout=settings.lock_timeout_seconds).rows(
        "SELECT last_sync_at FROM orgs WHERE alias = ?", [alias])
    return bool(rows and rows[0]["last_sync_at"] is not None)


def _committed_slices(settings: Settings, alias: str) -> int:
    """Objects whose initial sync has committed slices but is not done."""
    path = settings.org_db(alias)
    if not path.exists():
        return 0
    with duckdb.connect(str(path), read_only=True) as db:
        row = db.execute("SELECT count(*) FROM cursors WHERE cursor IS NOT NULL AND NOT initial_done").fetchone()
    return int(row[0]) if row else 0


@pytest.mark.slow
@pytest.mark.timeout(900)  # 26 sync processes, each ~1.3 s of CPU to import: minutes on a loaded 2-core machine
def test_sigkill_at_random_moments_loses_and_duplicates_nothing(org: tuple[Settings, SalesforceSandbox]) -> None:
    settings, sandbox = org
    rng = random.Random(20261125)
    # The initial sync, killed a few times (small slices: each rerun resumes from what was committed); the first
    # kill stands right after a slice of an object with slices still to come (its initial sync has 30+ events,
    # some 0.05 s apart on an idle machine: the scale of the delays of the others).
    kills = [Kill(rng.randint(1, 3), mid_object=True), *(random_kill(rng, 0.05) for _ in range(INITIAL_KILLS - 1))]
    partial = 0
    for kill in kills:
        with SyncChild(settings, "acme", chunk_rows=300, report=True) as child:
            stood = child.kill_at(kill)
        assert not _initial_done(settings, "acme"), f"{kill}: the kill landed after the initial sync"
        slices = _committed_slices(settings, "acme")
        assert slices or stood is None or not stood.mid_object, f"killed right after a slice of {stood}: none kept"
        partial += slices > 0
    assert partial >= 1, "no kill left committed slices of the initial sync to resume from"
    with SyncChild(settings, "acme", chunk_rows=300) as child:
        child.finish()  # the rerun after the kills completes
    assert _initial_done(settings, "acme")
    assert_same_as_org(settings, "acme", sandbox, list(DEFAULT_OBJECTS))  # the resumed initial sync is exact
    assert change_log_duplicates(settings, "acme") == 0
    # One incremental run to its end: how many events a run reports, how far apart (the scale of the later delays).
    control(sandbox, "simulate", {"changes": 150, "late_commits": True, "seed": 100})
    settle(sandbox, settings)
    with SyncChild(settings, "acme", report=True) as child:
        child.start()
        began = time.monotonic()
        events = child.finish()
        gap = (time.monotonic() - began) / events
    assert events >= MIN_EVENTS  # what every kill below relies on to land inside its sync
    for killed in range(KILLS):
        if killed % 3 == 0:
            control(sandbox, "simulate", {"changes": 150, "late_commits": True, "seed": killed * 100})
            settle(sandbox, settings)
        if killed % 7 == 3:
            control(sandbox, "schema", {"object": "Account", "add": f"Tier{killed}__c:string:len=20"})
        with SyncChild(settings, "acme", report=True) as child:
            child.kill_at(random_kill(rng, gap))
    control(sandbox, "simulate", {"changes": 100, "late_commits": True, "seed": 999})
    settle(sandbox, settings)
    with SyncChild(settings, "acme") as child:
        child.finish()
    assert_same_as_org(settings, "acme", sandbox, list(DEFAULT_OBJECTS))
    assert change_log_duplicates(settings, "acme") == 0


def test_two_orgs_sync_in_parallel_while_status_is_read(
    home: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with SalesforceSandbox(seed=21, opportunities=1200) as one, SalesforceSandbox(seed=22, opportunities=1200) as two:
        connect_org(home, one, "north", monkeypatch)
        connect_org(home, two, "south", monkeypatch)
        with SyncChild(home, "north") as north, SyncChild(home, "south") as south:
            reads = 0
            control_db = ControlDB(home.control_db, timeout=home.lock_timeout_seconds)
            while north.proc.poll() is None or south.proc.poll() is None:
                rows = control_db.rows("SELECT alias, object, rows, cursor FROM object_state")
                reads += 1
                assert all(r["alias"] in ("north", "south") for r in rows)
                time.sleep(0.05)
            north.finish()
            south.finish()
        assert reads > 3
        assert_same_as_org(home, "north", one, list(DEFAULT_OBJECTS))
        assert_same_as_org(home, "south", two, list(DEFAULT_OBJECTS))
        states = control_db.rows("SELECT alias, count(*) AS n FROM object_state GROUP BY alias ORDER BY alias")
        assert [(s["alias"], s["n"]) for s in states] == [("north", len(DEFAULT_OBJECTS)), ("south", len(DEFAULT_OBJECTS))]
