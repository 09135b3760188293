"""Whether a sync run is alive: a heartbeat on its row while it works, and how a dead one is recognised.

Invariants:

- While a run works, its process refreshes ``sync_runs.heartbeat_at`` every ``heartbeat_seconds``
  (:class:`Heartbeat`, a daemon thread started when the run opens and stopped before it closes),
  and the row names that process (``pid``, ``host``) and its lease (``lease_seconds``,
  :data:`LEASE_BEATS` heartbeats of the process that runs it: whoever reads the row judges it the same).
- A ``running`` row whose heartbeat is older than its lease, or
  whose process is gone from this host, belongs to a process that died (killed, out of memory, the
  machine lost): readers show it as ``crashed``, last seen at its last heartbeat (:func:`is_crashed`),
  and the org's next run records it so (:func:`settle_crashed_runs`: ended at that heartbeat), so it
  never shows ``running`` again and no later run inherits it.  What the dead run committed stays
  (every window commits with its cursor): the next run resumes from there.
- ``host`` is ``socket.gethostname()``: processes that share a home from several machines or
  containers must have distinct host names (containers do by default), else a live run of another
  one could look gone.
- A heartbeat never revives a row that was settled, and never fails the run: a beat that cannot
  reach the control database is skipped (the lease allows several to be missed).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb

from saleshome.config import Settings
from saleshome.errors import SalesHomeError
from saleshome.warehouse.control import ControlDB, Tx
from saleshome.warehouse.holders import process_alive as process_alive  # re-exported: status, tests
from saleshome.warehouse.holders import this_host as this_host

from .states import RunState

RUNNING, CRASHED = RunState.RUNNING, RunState.CRASHED
LEASE_BEATS = 6  # heartbeats a run may miss (a busy control database, a loaded machine) before it counts as dead

log = logging.getLogger(__name__)


def lease(settings: Settings) -> timedelta:
    """How long a run may go without a heartbeat before it counts as crashed."""
    return timedelta(seconds=settings.heartbeat_seconds * LEASE_BEATS)


def last_seen(row: Mapping[str, Any]) -> datetime:
    """The run's last sign of life: its last heartbeat (rows written before heartbeats: its start)."""
    seen: datetime = row.get("heartbeat_at") or row["started_at"]
    return seen


def is_crashed(row: Mapping[str, Any], *, now: datetime, lease: timedelta, host: str) -> bool:
    """A ``sync_runs`` row whose process died: settled as crashed, or still ``running`` while its heartbeat is
    older than its lease (``lease`` for rows that name none) or its process (on ``host``, this machine) is gone."""
    if row["status"] == CRASHED:
        return True
    if row["status"] != RUNNING:
        return False
    held = timedelta(seconds=row["lease_seconds"]) if row.get("lease_seconds") is not None else lease
    if now - last_seen(row) > held:
        return True
    return row.get("host") == host and row.get("pid") is not None and not process_alive(int(row["pid"]))


def start_run_row(
    db: Tx, run_id: str, alias: str, kind: str, notify: bool, now: datetime, *,
    lease: timedelta,
) -> None:
    """Record a run as ``running``, beating now, held by this process for ``lease`` (in the caller's transaction)."""
    db.execute(
        "INSERT INTO sync_runs (run_id, alias, kind, notify, started_at, status, api_calls, heartbeat_at, pid, host, "
        "lease_seconds) VALUES (?, ?, ?, ?, ?, 'running', 0, ?, ?, ?, ?)",
        [run_id, alias, kind, notify, now, now, os.getpid(), this_host(), lease.total_seconds()],
    )


def settle_crashed_runs(db: Tx, alias: str, *, now: datetime, lease: timedelta) -> list[str]:
    """Record the org's dead ``running`` rows as ``crashed``, ended at their last heartbeat (in the caller's
    transaction); returns their run ids."""
    cur = db.execute("SELECT run_id, status, started_at, heartbeat_at, pid, host, lease_seconds FROM sync_runs "
                     "WHERE alias = ? AND status = 'running'", [alias])
    names = [d[0] for d in cur.description or []]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    host = this_host()
    crashed = [r for r in rows if is_crashed(r, now=now, lease=lease, host=host)]
    for row in crashed:
        seen = last_seen(row)
        db.execute(
            "UPDATE sync_runs SET status = 'crashed', ended_at = ?, heartbeat_at = ?, error = coalesce(error, ?) "
            "WHERE run_id = ? AND status = 'running'",
            [seen, seen, "its process stopped (killed or lost) before the run ended; the next run resumed from "
                         "the windows it had committed", row["run_id"]],
        )
    return [r["run_id"] for r in crashed]


class Heartbeat:
    """Refreshes one run's ``heartbeat_at`` every ``every`` seconds, from a daemon thread, until stopped."""

    def __init__(self, control: ControlDB, run_id: str, every: float) -> None:
        self.control = control
        self.run_id = run_id
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{run_id}", daemon=True)

    def start(self) -> Heartbeat:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop beating; returns once no beat is under way (the run's row is then the closer's alone)."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=self.control.timeout + self.every)

    def beat(self) -> None:
        """One heartbeat: now, on the run's row while it is still ``running``."""
        with self.control.transaction() as db:
            db.execute("UPDATE sync_runs SET heartbeat_at = ? WHERE run_id = ? AND status = 'running'",
                       [datetime.now(UTC), self.run_id])

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.beat()
            except (SalesHomeError, duckdb.Error) as exc:  # a held or busy control database: the next beat may pass
                log.warning("sync run %s: heartbeat skipped (%s)", self.run_id, exc)
