"""After a member saved a record from Slack: its refresh into the warehouse, off the request path.

:class:`Refresher` is the app process's one refresher (built by :func:`saleshome.app.server.build` with the
entry point's control store and settings).  ``record_saved(alias, obj, record_id)`` (the :class:`RecordSaved`
protocol the save path calls after a successful PATCH) only queues the record and returns; one worker thread
runs :func:`saleshome.pipeline.refresh_records` — the targeted read through the sync's merge, then the
notifications, celebrations and publishing (exactly once, see :mod:`saleshome.sync.targeted`).

- **Coalescing**: records saved while a refresh runs wait together; the next refresh of their org reads every
  waiting record of each object in one query (up to :data:`~saleshome.sync.targeted.MAX_RECORDS` per query).
- **Bounded**: at most ``max_pending`` records wait; one more is not queued (a warning says so) — the
  scheduled sync reads it, as it reads every change: the refresher only makes changes arrive sooner.
- **Errors** are logged (the error's message or type, never a token) and counted (:meth:`Refresher.stats`);
  a retriable one (the warehouse held by a sync longer than :data:`LOCK_WAIT`, Salesforce unreachable) is
  tried again ``retries`` times, later, with the records saved meanwhile; then the scheduled sync is the
  safety net (a sync that held the warehouse that long reads the change itself, or its next run does).
- :meth:`Refresher.close` (the app's shutdown) refreshes what waits, within a deadline, and stops the thread;
  what is left is logged as left to the scheduled sync.

Nothing runs at construction: the thread starts with the first saved record.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Protocol

from saleshome.config import Settings
from saleshome.errors import SalesHomeError, ValidationError, is_retriable
from saleshome.pipeline import refresh_records
from saleshome.salesforce.client import SalesforceClient
from saleshome.salesforce.credentials import Resolver
from saleshome.salesforce.listviews import record_id
from saleshome.salesforce.login import connect
from saleshome.salesforce.schema import safe_name
from saleshome.settings.orgs import get_org
from saleshome.sync.targeted import MAX_RECORDS
from saleshome.warehouse.control import ControlDB

__all__ = ["RecordSaved", "Refresher", "RefresherStats"]

log = logging.getLogger(__name__)
LOCK_WAIT = 15.0  # seconds one attempt waits for a sync holding the warehouse (then retried; a long sync reads it)


class RecordSaved(Protocol):
    """What the save path tells after a successful PATCH (non-blocking)."""

    def record_saved(self, alias: str, obj: str, record_id: str) -> None: ...


@dataclass(frozen=True)
class RefresherStats:
    """What the refresher did since it was built (records, not refreshes)."""

    refreshed: int = 0  # records read (changed or not)
    changed: int = 0  # records whose read logged a change
    retried: int = 0  # records queued again after a retriable error
    failed: int = 0  # records given up on (left to the scheduled sync)
    dropped: int = 0  # records not queued: the queue was full, or the refresher closed
    last_error: str | None = None


def _describe(exc: BaseException) -> str:
    """An error as a log line may show it: Sales Home's own message, else only its type (a library's text could
    carry a URL or a token)."""
    return exc.message if isinstance(exc, SalesHomeError) else type(exc).__name__


class Refresher:
    """One per app process: a queue of saved records and the thread that refreshes them (module docstring)."""

    def __init__(
        self, control: ControlDB, settings: Settings, *, resolvers: Mapping[str, Resolver] | None = None,
        max_pending: int = 1000, retries: int = 2, retry_seconds: float = 5.0, lock_timeout: float | None = LOCK_WAIT,
    ) -> None:
        self.control = control
        self.settings = settings
        self.resolvers = resolvers
        self.max_pending = max_pending
        self.retries = retries
        self.retry_seconds = retry_seconds
        self.lock_timeout = lock_timeout  # how long a sync holding the warehouse is waited for (None: the settings')
        self._cond = threading.Condition()
        self._pending: dict[str, dict[str, dict[str, None]]] = {}  # alias → object → Ids (ordered, unique)
        self._count = 0
        self._attempts: dict[str, int] = {}  # alias → failed attempts of what waits (retriable errors)
        self._not_before: dict[str, float] = {}  # alias → monotonic time its retry may start
        self._busy = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self._clients: dict[str, SalesforceClient] = {}  # the worker's, by org (logged in once)
        self._stats = RefresherStats()

    # ------------------------------------------------------------------ the save path's side
    def record_saved(self, alias: str, obj: str, record_id_: str) -> None:
        """Queue ``record_id_`` of ``obj`` in org ``alias`` for a refresh and return at once.  Raises
        :class:`~saleshome.errors.ValidationError` for a malformed Id or object name (nothing queued)."""
        name, rid = safe_name(obj), record_id(record_id_)
        with self._cond:
            waiting = self._pending.get(alias, {}).get(name, {})
            if rid in waiting:
                return
            if self._closed or self._count >= self.max_pending:
                why = "the app is stopping" if self._closed else f"{self._count} records already wait"
                self._note(dropped=1)
                log.warning("record %s of %s (org %s) not refreshed now (%s): the scheduled sync reads it",
                            rid, name, alias, why)
                return
            self._pending.setdefault(alias, {}).setdefault(name, {})[rid] = None
            self._count += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="saleshome-refresh", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def stats(self) -> RefresherStats:
        with self._cond:
            return replace(self._stats)

    def pending(self) -> int:
        """Records waiting (not counting those being refreshed now)."""
        with self._cond:
            return self._count

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing waits nor runs (retries included); False after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._count or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def close(self, timeout: float = 30.0) -> None:
        """Refresh what waits (retries not waited for), within ``timeout`` seconds; then stop the thread.  Records
        still waiting then are logged as left to the scheduled sync."""
        with self._cond:
            self._closed = True
            self._not_before.clear()
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
        with self._cond:
            if self._count:
                log.warning("%d saved record(s) not refreshed before the app stopped: the scheduled sync reads them",
                            self._count)
                self._note(dropped=self._count)
                self._pending.clear()
                self._count = 0
                self._cond.notify_all()

    # ------------------------------------------------------------------ the worker
    def _run(self) -> None:
        while True:
            with self._cond:
                alias = self._next()
                while alias is None:
                    if self._closed and not self._count:
                        return
                    self._cond.wait(self._wait_seconds())
                    alias = self._next()
                batch = self._pending.pop(alias)
                self._count -= sum(len(ids) for ids in batch.values())
                self._busy = True
            try:
                for obj, ids in batch.items():
                    self._refresh(alias, obj, list(ids))
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _next(self) -> str | None:
        """An org whose records may be refreshed now (under the lock)."""
        now = time.monotonic()
        return next((a for a in self._pending if self._not_before.get(a, 0.0) <= now), None)

    def _wait_seconds(self) -> float | None:
        """Until the earliest retry is due (None: until notified)."""
        due = [self._not_before[a] for a in self._pending if a in self._not_before]
        return max(0.0, min(due) - time.monotonic()) if due else None

    def _refresh(self, alias: str, obj: str, ids: list[str]) -> None:
        for start in range(0, len(ids), MAX_RECORDS):
            chunk = ids[start:start + MAX_RECORDS]
            try:
                summary = refresh_records(self.control, self.settings, alias, obj, chunk, client=self._client(alias),
                                          lock_timeout=self.lock_timeout)
            except ValidationError as exc:  # not retried: the same read fails the same way
                self._failed(alias, obj, chunk, exc)
            except Exception as exc:  # a background step: logged and counted, never raised into the app
                self._clients.pop(alias, None)  # logged in again next time (a changed credential, a dead session)
                if is_retriable(exc) and self._retry(alias, obj, chunk):
                    log.info("refresh of %d %s record(s) of org %s deferred: %s", len(chunk), obj, alias,
                             _describe(exc))
                else:
                    self._failed(alias, obj, chunk, exc)
            else:
                with self._cond:
                    self._attempts.pop(alias, None)
                    self._not_before.pop(alias, None)
                    self._note(refreshed=len(chunk), changed=summary.read.changed)
                for note in summary.notes:
                    log.info("refresh of org %s: %s", alias, note)

    def _client(self, alias: str) -> SalesforceClient:
        client = self._clients.get(alias)
        if client is None:
            client = self._clients[alias] = connect(get_org(self.control, self.settings, alias), self.resolvers)
        return client

    def _retry(self, alias: str, obj: str, ids: list[str]) -> bool:
        """Queue ``ids`` again for a later attempt; False when the org's attempts are spent or the app stops."""
        with self._cond:
            attempt = self._attempts.get(alias, 0) + 1
            if self._closed or attempt > self.retries:
                self._attempts.pop(alias, None)
                self._not_before.pop(alias, None)
                return False
            self._attempts[alias] = attempt
            self._not_before[alias] = time.monotonic() + self.retry_seconds * 2 ** (attempt - 1)
            waiting = self._pending.setdefault(alias, {}).setdefault(obj, {})
            again = [i for i in ids if i not in waiting]
            waiting.update(dict.fromkeys(again))
            self._count += len(again)
            self._note(retried=len(again))
            self._cond.notify_all()
            return True

    def _failed(self, alias: str, obj: str, ids: list[str], exc: BaseException) -> None:
        message = _describe(exc)
        log.warning("refresh of %d %s record(s) of org %s failed: %s; the scheduled sync reads them", len(ids), obj,
                    alias, message)
        with self._cond:
            self._note(failed=len(ids), last_error=f"{alias} {obj}: {message}")

    def _note(self, *, last_error: str | None = None, **added: int) -> None:
        """Add to the stats (under the lock)."""
        current = self._stats
        self._stats = replace(current, **{k: getattr(current, k) + v for k, v in added.items()},
                              last_error=last_error or current.last_error)
