"""``saleshome outbox publish``, ``digest`` and ``housekeeping`` in a terminal.

A long drain shows its progress (:class:`PublishProgress`): on a terminal, a rich bar with
sent / retried / waiting for rate limit / dead; otherwise (a pipe, a log file) a plain line at
most every few seconds.  Each command then prints one line per step and, for what it left in
the outbox, one note per kind saying why and which command sends it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from types import TracebackType

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from saleshome.config import Settings
from saleshome.pipeline import notifications_line
from saleshome.publish.publisher import PublishStats
from saleshome.settings.workspace import require_sales_home_for
from saleshome.warehouse.control import ControlDB

from .dead_letters import RETRY_HINT, dead_letter_listing
from .delivery import PUBLISH_AGAIN, deliver, left_notes, published_line
from .scheduled import run_digest, run_housekeeping

PLAIN_INTERVAL = 5.0  # seconds between two plain progress lines
DEAD_LETTERS_SHOWN = 20
DIGEST_LEAVES_BANNERS = f"the digest step posts messages only: {PUBLISH_AGAIN} sets them"


def progress_counts(stats: PublishStats) -> str:
    """``sent 40 · retried 2 · waiting for rate limit 1 (6 waits) · dead 0`` (already sent, blocked when any)."""
    parts = [f"sent {stats.sent}"]
    if stats.reconciled:
        parts.append(f"already sent {stats.reconciled}")
    parts += [f"retried {stats.retried}",
              f"waiting for rate limit {stats.waiting_for_rate_limit} ({stats.rate_limit_waits} waits)",
              f"dead {stats.dead}"]
    if stats.blocked:
        parts.append(f"blocked {stats.blocked}")
    return " · ".join(parts)


class PublishProgress:
    """The publisher's ``on_progress``: a bar on a terminal, a plain line every ``interval`` seconds otherwise.

    Use it as a context manager around the drain; it is called from the publisher's main thread.
    """

    def __init__(self, console: Console, *, interval: float = PLAIN_INTERVAL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.console = console
        self.interval = interval
        self.clock = clock
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self._last_line = clock()
        self._last_counts = ""

    def __enter__(self) -> PublishProgress:
        if self.console.is_terminal:
            self._bar = Progress(TextColumn("publishing"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[counts]}"), TimeElapsedColumn(), console=self.console)
            self._bar.start()
            self._task = self._bar.add_task("publishing", total=None, counts="")
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.stop()

    def __call__(self, stats: PublishStats) -> None:
        done = stats.sent + stats.reconciled + stats.dead + stats.blocked
        total = max(stats.to_send, done)
        counts = progress_counts(stats)
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, total=total or None, completed=done, counts=counts)
            return
        now = self.clock()
        if counts != self._last_counts and now - self._last_line >= self.interval:
            self.console.print(f"publishing: {done}/{total} — {counts}", markup=False, highlight=False)
            self._last_line, self._last_counts = now, counts


def _notes(console: Console, notes: list[str]) -> None:
    for note in notes:
        console.print(f"[yellow]note:[/] {escape(note)}")


def publish_with_progress(control: ControlDB, settings: Settings, console: Console | None = None) -> int:
    """``saleshome outbox publish``: messages, banners, permalinks, with progress; then what is left."""
    console = console or Console()
    require_sales_home_for(control, settings)
    with PublishProgress(console) as progress:
        delivery = deliver(control, settings, on_progress=progress)
    for line in delivery.lines():
        console.print(escape(line))
    _notes(console, delivery.notes())
    if not delivery.left:
        console.print("Outbox: nothing left to send.")
    return 0


def digest_with_progress(control: ControlDB, settings: Settings, now: datetime | None = None,
                         console: Console | None = None) -> int:
    """``saleshome digest``: time-based notifications, the digests due at ``now``, then publish."""
    console = console or Console()
    require_sales_home_for(control, settings)
    with PublishProgress(console) as progress:
        run = run_digest(control, settings, now, on_progress=progress)
    for summary in run.scheduled:
        console.print(escape(notifications_line(summary).replace("notifications:", "time-based notifications:", 1)))
    console.print(escape(f"digests: {run.digests.sent} queued carrying {run.digests.items} item(s); "
                         f"{run.digests.waiting} recipient(s) waiting for their hour"))
    console.print(escape(published_line(run.published)))
    notes = left_notes(run.left, banners=DIGEST_LEAVES_BANNERS)
    if run.digests.waiting:
        notes.append(f"{run.digests.waiting} recipient(s) wait for their digest hour (or got this period's digest "
                     "already): `saleshome digest` at the next hour sends what is due then (run it hourly)")
    _notes(console, notes)
    return 0


def housekeeping_now(control: ControlDB, settings: Settings, now: datetime | None = None,
                     console: Console | None = None) -> int:
    """``saleshome housekeeping``: clear the expired banners; list the dead letters with what to do."""
    console = console or Console()
    run = run_housekeeping(control, settings, now)
    if run.banners is None:
        console.print("banner expiry: not checked: no Slack admin token (SALESHOME_SLACK_ADMIN_TOKEN)")
    else:
        b = run.banners
        console.print(f"banner expiry: {b.checked} checked, {b.cleared} cleared, {b.gone} already gone, "
                      f"{b.kept} kept (a later banner of ours)")
    console.print(f"dead letters: {run.dead_letters} dead or blocked; outbox: "
                  + (", ".join(f"{n} {state}" for state, n in sorted(run.backlog.items())) or "empty"))
    if run.dead:
        shown = run.dead[:DEAD_LETTERS_SHOWN]
        console.print(dead_letter_listing(f"newest {len(shown)} of {run.dead_letters}: {RETRY_HINT}", shown,
                                          width=console.width))
    return 0
