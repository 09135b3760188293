"""`saleshome sync` in a terminal: each org in turn, a bar per object, then its summary table.

After each org's sync, its notifications are evaluated and its wins celebrated
(:func:`saleshome.pipeline.after_sync`: user map, notifications, celebrations), one line each;
what they queue is sent by the publisher (``saleshome outbox publish``, or the Prefect flows).
On a workspace whose Slack plan does not include Sales Home (or before the plan is declared) it
refuses before anything is opened or synced (:func:`~saleshome.settings.workspace.require_sales_home_for`).
A run paused for quota is not a failure: it prints a note and the command still exits 0.
A failed org prints its error and hint; the others still sync, and the command exits
non-zero (75 when every failure is worth retrying, 1 otherwise).

The engine, the pipeline and rich are imported inside the functions, so that ``saleshome --help`` stays fast.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated

import typer

from saleshome.cli.common import EXIT_FAILURE, EXIT_OK, EXIT_TEMPFAIL, RESOLVERS, print_org_error, split_names
from saleshome.errors import QuotaExceededError, SalesHomeError, is_retriable

if TYPE_CHECKING:
    from rich.console import Console

    from saleshome.config import Settings
    from saleshome.salesforce.credentials import Resolver
    from saleshome.sync.results import SyncResult
    from saleshome.warehouse.control import ControlDB

app = typer.Typer()


@app.command()
def sync(
    org: Annotated[str | None, typer.Option(help="Sync this org only [default: every connected org].")] = None,
    object_: Annotated[list[str] | None, typer.Option(
        "--object", help="Sync this object only (repeat, or separate with commas).")] = None,
    full: Annotated[bool, typer.Option(help="Re-read everything instead of the changes since the cursor.")] = False,
    notifications: Annotated[bool, typer.Option(
        help="After each sync, evaluate notifications and celebrate won deals (queued for "
             "`saleshome outbox publish`).")] = True,
) -> None:
    """Sync Salesforce into DuckDB, with a progress bar per object and a summary per org; then evaluate the
    org's notifications and celebrate its won deals (one line each). Refused when the workspace's plan does not
    include Sales Home."""
    from saleshome.config import load_settings
    from saleshome.warehouse.control import control_db

    settings = load_settings()
    status = sync_with_progress(control_db(settings), settings, org, objects=split_names(object_) or None,
                                full=full, resolvers=RESOLVERS, notify=notifications)
    raise typer.Exit(status)


def orgs_to_sync(control: ControlDB, settings: Settings, alias: str | None) -> list[str]:
    """The org asked for (checked to exist), else every connected org."""
    from saleshome.settings.orgs import get_org, list_orgs

    if alias is not None:
        return [get_org(control, settings, alias).alias]
    return [org.alias for org in list_orgs(control, settings)]


def sync_one(
    control: ControlDB, settings: Settings, alias: str, console: Console, *, objects: list[str] | None, full: bool,
    resolvers: Mapping[str, Resolver] | None,
) -> SyncResult | None:
    """Sync one org with its bars; returns its result, or None when the quota stopped it before it began."""
    from rich.markup import escape

    from saleshome.sync.engine import sync_org
    from saleshome.sync.progress import ObjectBars, progress_display

    with progress_display(console) as display:
        try:
            return sync_org(control, settings, alias, objects=objects, full=full, resolvers=resolvers,
                            progress=ObjectBars(display, alias))
        except QuotaExceededError as exc:
            console.print(f"[yellow]{escape(alias)}: paused for quota[/] - {escape(exc.message)}")
            return None


def sync_with_progress(
    control: ControlDB, settings: Settings, alias: str | None, *, objects: list[str] | None = None, full: bool = False,
    resolvers: Mapping[str, Resolver] | None = None, console: Console | None = None,
    errors: Console | None = None, notify: bool = True,
) -> int:
    """Sync the org (or every org), print each summary; returns the exit status.

    ``notify``: also evaluate notifications and celebrate wins after each sync (one line each).
    Raises :class:`~saleshome.settings.workspace.SalesHomeUnavailableError` (or a
    ``ConfigurationError`` before the plan is declared) without syncing anything.
    """
    from rich.console import Console
    from rich.markup import escape

    from saleshome.pipeline import after_sync
    from saleshome.settings.workspace import require_sales_home_for
    from saleshome.sync.render import summary_table
    from saleshome.sync.states import RunState

    require_sales_home_for(control, settings)
    console = console or Console()
    errors = errors or Console(stderr=True)
    aliases = orgs_to_sync(control, settings, alias)
    if not aliases:
        console.print("No org connected yet: connect one with `saleshome org add`.")
        return EXIT_OK
    failures: list[SalesHomeError] = []
    for each in aliases:
        try:
            result = sync_one(control, settings, each, console, objects=objects, full=full, resolvers=resolvers)
        except SalesHomeError as exc:
            print_org_error(errors, each, exc)
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
                for line in after_sync(control, settings, result).lines():
                    console.print(escape(line))
            except SalesHomeError as exc:
                print_org_error(errors, each, exc)
                failures.append(exc)
    if not failures:
        return EXIT_OK
    return EXIT_TEMPFAIL if all(is_retriable(f) for f in failures) else EXIT_FAILURE
