"""``saleshome sync`` in a terminal: each org in turn, a bar per object, then its summary table.

After each org's sync, its notifications are evaluated and its wins celebrated
(:func:`saleshome.pipeline.after_sync`: user map, notifications, celebrations), one line each;
what they queue is sent by the publisher (``saleshome outbox publish``, or the Prefect flows).
On a workspace whose Slack plan does not include Sales Home (or before the plan is declared) it
refuses before anything is opened or synced (:func:`~saleshome.settings.workspace.require_sales_home_for`).
A run paused for quota is not a failure: it prints a note and the command still exits 0.
A failed org prints its error and hint; the others still sync, and the command exits
non-zero (75 when every failure is worth retrying, 1 otherwise).
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import Console
from rich.markup import escape

from saleshome.config import Settings
from saleshome.errors import QuotaExceededError, SalesHomeError, is_retriable
from saleshome.pipeline import after_sync
from saleshome.salesforce.credentials import Resolver
from saleshome.settings.orgs import get_org, list_orgs
from saleshome.settings.workspace import require_sales_home_for
from saleshome.sync.engine import SyncResult, sync_org
from saleshome.sync.progress import ObjectBars, progress_display
from saleshome.sync.render import summary_table
from saleshome.sync.states import RunState

EXIT_OK, EXIT_FAILURE, EXIT_TEMPFAIL = 0, 1, 75


def orgs_to_sync(settings: Settings, alias: str | None) -> list[str]:
    """The org asked for (checked to exist), else every connected org."""
    if alias is not None:
        return [get_org(settings, alias).alias]
    return [org.alias for org in list_orgs(settings)]


def sync_one(
    settings: Settings, alias: str, console: Console, *, objects: list[str] | None, full: bool,
    resolvers: Mapping[str, Resolver] | None,
) -> SyncResult | None:
    """Sync one org with its bars; returns its result, or None when the quota stopped it before it began."""
    with progress_display(console) as display:
        try:
            return sync_org(settings, alias, objects=objects, full=full, resolvers=resolvers,
                            progress=ObjectBars(display, alias))
        except QuotaExceededError as exc:
            console.print(f"[yellow]{escape(alias)}: paused for quota[/] - {escape(exc.message)}")
            return None


def print_error(console: Console, alias: str, exc: SalesHomeError) -> None:
    console.print(f"[red]error:[/] {escape(alias)}: {escape(exc.message)}")
    if exc.hint:
        console.print(f"hint: {escape(exc.hint)}")


def sync_with_progress(
    settings: Settings, alias: str | None, *, objects: list[str] | None = None, full: bool = False,
    resolvers: Mapping[str, Resolver] | None = None, console: Console | None = None,
    errors: Console | None = None, notify: bool = True,
) -> int:
    """Sync the org (or every org), print each summary; returns the exit status.

    ``notify``: also evaluate notifications and celebrate wins after each sync (one line each).
    Raises :class:`~saleshome.settings.workspace.SalesHomeUnavailableError` (or a
    ``ConfigurationError`` before the plan is declared) without syncing anything.
    """
    require_sales_home_for(settings)
    console = console or Console()
    errors = errors or Console(stderr=True)
    aliases = orgs_to_sync(settings, alias)
    if not aliases:
        console.print("No org connected yet: connect one with `saleshome org add`.")
        return EXIT_OK
    failures: list[SalesHomeError] = []
    for each in aliases:
        try:
            result = sync_one(settings, each, console, objects=objects, full=full, resolvers=resolvers)
        except SalesHomeError as exc:
            print_error(errors, each, exc)
            failures.append(exc)
            continue
        if result is None:
            continue
        console.print(summary_table(result))
        if result.status == RunState.PAUSED_FOR_QUOTA:
            console.print(f"[yellow]Note:[/] {escape(each)} paused for quota; it resumes at the next sync. "
                          "This is not a failure.")
        if notify:
            try:
                for line in after_sync(settings, result).lines():
                    console.print(escape(line))
            except SalesHomeError as exc:
                print_error(errors, each, exc)
                failures.append(exc)
    if not failures:
        return EXIT_OK
    return EXIT_TEMPFAIL if all(is_retriable(f) for f in failures) else EXIT_FAILURE
