"""Which outbox item goes next: one FIFO queue per channel, each channel paced, channels in parallel.

The publisher's worker threads take items from here (:meth:`ChannelSchedule.next`) and hand
back what happened (:meth:`ChannelSchedule.done`); its main thread keeps the queues filled
from the outbox (:meth:`add`) and writes the outcomes back (:meth:`take_outcomes`), so sends
never stop for a database round trip.  A channel's next send starts no sooner than
``interval`` after its previous one started (Slack allows about one message per second per
channel).  A transient failure releases the rest of that channel's queue, so the channel's
order holds: nothing behind a message that must be retried is sent before it.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections import deque
from collections.abc import Iterable

from saleshome.warehouse.outbox import OutboxItem, Outcome
from saleshome.warehouse.outbox_states import OutboxState


def release(item: OutboxItem) -> Outcome:
    """Give an item back untried.  One found ``sending`` (it may have reached Slack before a crash)
    stays ``sending``, so that it is still looked up in the channel's history before any send."""
    return Outcome(item.key, OutboxState.SENDING if item.state == OutboxState.SENDING else OutboxState.PENDING,
                   released=True)


class ChannelSchedule:
    """Thread-safe per-channel queues with pacing (see the module docstring)."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._cond = threading.Condition()
        self._queues: dict[str, deque[OutboxItem]] = {}
        self._heap: list[tuple[float, int, str]] = []  # (earliest start, tie-break, channel)
        self._scheduled: set[str] = set()  # channels in the heap or being sent to
        self._next_start: dict[str, float] = {}
        self._order = itertools.count()
        self._outcomes: list[Outcome] = []
        self._held: set[str] = set()  # keys handed to us whose outcome is not written yet
        self._waiting: dict[str, str] = {}  # key → channel: a retry not written yet holds its channel back
        self._in_flight = 0
        self._closed = False
        self.errors: list[BaseException] = []

    # ------------------------------------------------------------------ the main thread
    def add(self, items: Iterable[OutboxItem]) -> None:
        """Queue claimed items (in outbox order) behind those already queued for their channel."""
        with self._cond:
            for item in items:
                self._held.add(item.key)
                if item.channel in self._waiting.values():  # behind a retry the outbox does not show yet
                    self._outcomes.append(release(item))
                    continue
                self._queues.setdefault(item.channel, deque()).append(item)
                if item.channel not in self._scheduled:
                    self._scheduled.add(item.channel)
                    start = self._next_start.get(item.channel, 0.0)
                    heapq.heappush(self._heap, (start, next(self._order), item.channel))
            self._cond.notify_all()

    def queued(self) -> int:
        with self._cond:
            return sum(len(q) for q in self._queues.values())

    def held(self) -> list[str]:
        """Keys claimed and not yet written back (a new claim must not take them again)."""
        with self._cond:
            return list(self._held)

    def idle(self) -> bool:
        """Nothing queued and nothing being sent."""
        with self._cond:
            return self._in_flight == 0 and not any(self._queues.values())

    def take_outcomes(self) -> list[Outcome]:
        with self._cond:
            outcomes, self._outcomes = self._outcomes, []
            return outcomes

    def written(self, outcomes: Iterable[Outcome]) -> None:
        """These outcomes are in the outbox now: their keys may be claimed again."""
        with self._cond:
            for o in outcomes:
                self._held.discard(o.key)
                self._waiting.pop(o.key, None)

    def wait(self, timeout: float) -> None:
        """Sleep until a send finishes (or ``timeout``)."""
        with self._cond:
            self._cond.wait(timeout)

    def close(self) -> list[Outcome]:
        """Stop handing out items; what was still queued is released (sent later, not counted as an attempt)."""
        with self._cond:
            self._closed = True
            released = [release(i) for q in self._queues.values() for i in q]
            self._queues.clear()
            self._heap.clear()
            self._outcomes.extend(released)
            self._cond.notify_all()
            return released

    # ------------------------------------------------------------------ the workers
    def next(self) -> OutboxItem | None:
        """The next item whose channel may be sent to now (waits for it); ``None`` once closed."""
        with self._cond:
            while not self._closed:
                if not self._heap:
                    self._cond.wait(0.5)
                    continue
                start, _, channel = self._heap[0]
                wait = start - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                heapq.heappop(self._heap)
                queue = self._queues.get(channel)
                if not queue:  # released meanwhile
                    self._scheduled.discard(channel)
                    continue
                self._next_start[channel] = time.monotonic() + self.interval  # paced from this send's start
                self._in_flight += 1
                return queue.popleft()
            return None

    def done(self, item: OutboxItem, outcome: Outcome) -> None:
        with self._cond:
            self._in_flight -= 1
            self._outcomes.append(outcome)
            queue = self._queues.get(item.channel, deque())
            if outcome.retry_at is not None:  # the channel waits for this item's retry: release the rest
                self._waiting[item.key] = item.channel
                self._outcomes.extend(release(i) for i in queue)
                queue.clear()
            if queue and not self._closed:
                heapq.heappush(self._heap, (self._next_start[item.channel], next(self._order), item.channel))
            else:
                self._scheduled.discard(item.channel)
                self._queues.pop(item.channel, None)
            self._cond.notify_all()

    def failed(self, item: OutboxItem, error: BaseException) -> None:
        """A worker hit an error that stops the whole drain (an auth problem)."""
        with self._cond:
            self._in_flight -= 1
            self.errors.append(error)
            self._outcomes.append(release(item))
        self.close()
