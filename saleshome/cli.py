"""The `saleshome` command line (typer).

Commands stay thin: they parse options and call functions of the core package, importing
them inside the command so that `saleshome --help` stays fast and nothing (clients,
connections, environment reads) is created at import.

Errors: any `SalesHomeError` reaching `main` is printed as its message and hint, without a
traceback; exit status 75 (EX_TEMPFAIL) when retrying may help, 2 for a file that cannot be read
(as for a bad option), 1 otherwise.
"""

from __future__ import annotations

import logging
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from saleshome.cli_credentials import RESOLVERS
from saleshome.cli_notify import notifications_app
from saleshome.cli_settings import GROUPS as SETTINGS_GROUPS
from saleshome.cli_settings import ActorOption
from saleshome.errors import InputFileError, SalesHomeError, is_retriable
from saleshome.sandbox.salesforce.cli import sandbox_app
from saleshome.sandbox.slack.cli import slack as slack_sandbox
from saleshome.warehouse.outbox_states import OutboxState

if TYPE_CHECKING:
    from datetime import datetime


EXIT_FAILURE = 1
EXIT_USAGE = 2  # a bad option (click) or a file that is not UTF-8 YAML of the right shape (InputFileError)
EXIT_TEMPFAIL = 75  # sysexits.h EX_TEMPFAIL: try again later

app = typer.Typer(
    name="saleshome",
    help="Sales Home pipelines: Salesforce orgs into DuckDB, notifications and deal celebrations into Slack.",
    no_args_is_help=True,
    add_completion=False,
    # Tracebacks must never print local variables: they may hold tokens and passwords.
    pretty_exceptions_show_locals=False,
)

# --- sub-commands ---------------------------------------------------------------------------
# Each group lives next to the code it drives and exposes a `typer.Typer()`; register it here
# with one line. Keep those modules light at import (import heavy modules inside their
# commands) so `saleshome --help` stays fast. tests/test_cli.py walks the whole command tree,
# so every new command gets its --help checked.
app.add_typer(sandbox_app, name="sandbox")  # saleshome sandbox salesforce | simulate | slack
sandbox_app.command("slack")(slack_sandbox)
outbox_app = typer.Typer(help="The Slack outbox: publish, list, re-queue dead letters.", no_args_is_help=True)
app.add_typer(outbox_app, name="outbox")  # saleshome outbox publish | list | retry
org_app = typer.Typer(help="Connect, list and remove Salesforce orgs.", no_args_is_help=True)
app.add_typer(org_app, name="org")  # saleshome org add | list | remove
# saleshome workspace | roles | lists | layouts | restrictions | celebrations | settings (cli_settings.py)
for _group, _name in SETTINGS_GROUPS:
    app.add_typer(_group, name=_name)
app.add_typer(notifications_app, name="notifications")  # saleshome notifications ... (cli_notify.py)


@app.callback()
def setup(
    log_level: Annotated[
        str, typer.Option(envvar="SALESHOME_LOG_LEVEL", help="Log level on stderr: DEBUG, INFO, WARNING or ERROR.")
    ] = "WARNING",
) -> None:
    """Sales Home pipelines: Salesforce orgs into DuckDB, notifications and deal celebrations into Slack."""
    if log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise typer.BadParameter(f"{log_level!r} is not one of DEBUG, INFO, WARNING, ERROR", param_hint="--log-level")
    logging.basicConfig(level=log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


class AuthChoice(StrEnum):
    """The values of ``saleshome.salesforce.credentials.AuthMethod`` (kept here: that module is slow to import)."""

    CLIENT_CREDENTIALS = "client-credentials"
    JWT = "jwt"
    REFRESH_TOKEN = "refresh-token"
    PASSWORD = "password"




def _split(values: list[str] | None) -> list[str] | None:
    """``--object A --object B,C`` → ``[A, B, C]``."""
    names = [n.strip() for v in values or [] for n in v.split(",") if n.strip()]
    return names or None


def _existing_home() -> Any:
    """The settings of a command that only reads: refused, creating nothing, when the home does not exist."""
    from saleshome.config import load_settings, require_existing_home

    return require_existing_home(load_settings())


# --- org ------------------------------------------------------------------------------------
@org_app.command("add")
def org_add(
    alias: Annotated[str, typer.Argument(help="Short name of the org: lowercase letters, digits, dashes (acme-prod).")],
    login_url: Annotated[str, typer.Option(
        help="https://login.salesforce.com, https://test.salesforce.com or the org's My Domain URL.")],
    auth: Annotated[AuthChoice, typer.Option(help="How the integration user logs in (OAuth 2.0 flow).")],
    env_prefix: Annotated[str | None, typer.Option(
        help="Read credentials from PREFIX_CLIENT_ID, PREFIX_CLIENT_SECRET, ...", show_default="SALESHOME_SF_<ALIAS>")
    ] = None,
    secret_block: Annotated[str | None, typer.Option(
        help="Read credentials from this Prefect Secret block (a JSON object) instead of the environment.")] = None,
    ca_file: Annotated[Path | None, typer.Option(
        exists=True, dir_okay=False, help="Trust this CA bundle only (a private CA, e.g. the local sandbox).")] = None,
    api_version: Annotated[str, typer.Option(help="Salesforce REST API version.")] = "62.0",
    objects: Annotated[str | None, typer.Option(
        help="Comma-separated objects to sync instead of the default set (User, Account, Opportunity, ...).")] = None,
    replace: Annotated[bool, typer.Option(
        "--replace", help="If this Salesforce org is already connected (under another alias, or this one), move it "
                          "here with this connection instead of refusing.")] = False,
    actor: ActorOption = None,
) -> None:
    """Verify the connection to an org (login, identity, org id, API version), then save it (sales admins only).

    Secrets are never stored: the org keeps a reference to where they are read from.

    A Salesforce org is connected once: credentials of an org already connected under another alias are refused
    (every notification and celebration would go out twice). With --replace the org moves instead: the alias that
    holds it is renamed to ALIAS with its synced data, sync state, settings, notifications, celebrations and unsent
    messages, and keeps this connection (login URL, auth, credentials, CA file, API version, objects); nothing is
    synced or sent again. --replace on the alias that holds the org replaces its connection in place.
    """
    from saleshome.cli_settings import _actor, _context
    from saleshome.salesforce.credentials import AuthMethod, env_prefix_for
    from saleshome.settings.orgs import add_org_as, list_orgs, same_org_id
    from saleshome.sync.render import org_kind

    if env_prefix and secret_block:
        raise typer.BadParameter("give --env-prefix or --secret-block, not both")
    ref = f"prefect-secret:{secret_block}" if secret_block else f"env:{env_prefix or env_prefix_for(alias)}"
    ctx = _context()
    before = list_orgs(ctx.settings) if replace else []
    org = add_org_as(
        ctx.settings, ctx.directory, alias, actor=_actor(ctx, actor), login_url=login_url,
        auth_method=AuthMethod(auth.value), credential_ref=ref, ca_file=str(ca_file) if ca_file else None,
        api_version=api_version, objects=tuple(_split([objects] if objects else None) or ()) or None,
        resolvers=RESOLVERS, replace=replace,
    )
    moved = next((o.alias for o in before if same_org_id(o.org_id, org.org_id)), None)
    if moved is not None:
        done = f"Moved {moved} to {org.alias}" if moved != org.alias else f"Replaced the connection of {org.alias}"
        typer.echo(f"{done} (its synced data, settings and history kept).")
    typer.echo(f"Connected {org.alias}: org {org.org_id} ({org.org_name or 'unnamed'}), {org_kind(org.is_sandbox)}, "
               f"API v{org.api_version}, {org.instance_url}")
    typer.echo(f"Credentials are read from {ref} when needed; nothing secret was stored (recorded in the audit log).")


@org_app.command("list")
def org_list() -> None:
    """List the connected orgs: alias, org id, production/sandbox, last sync, status."""
    from rich.console import Console

    from saleshome.cli_settings import _ready
    from saleshome.listing import fit
    from saleshome.settings.orgs import list_orgs
    from saleshome.sync.render import orgs_table
    from saleshome.sync.status import org_states

    settings = _ready(read_only=True).settings
    orgs = list_orgs(settings)
    if not orgs:
        typer.echo("No org connected yet: connect one with `saleshome org add`.")
        return
    console = Console()  # a run whose process died: crashed, last seen …
    console.print(fit(orgs_table(orgs, org_states(settings)), width=console.width, text=("name", "status")))


@org_app.command("remove")
def org_remove(
    alias: Annotated[str, typer.Argument(help="The org to remove.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    actor: ActorOption = None,
) -> None:
    """Remove an org with its synced data (its DuckDB file), its sync state and its settings (sales admins only).

    Everything Sales Home keeps for the org goes, in one transaction: sync runs and state, API budget,
    Sales Home objects, list views, layouts, notifications (with their events and digest items),
    celebrations, the user map, and the org's outbox messages, unsent ones included (they are dropped,
    not delivered).  The settings audit keeps the removal.
    """
    from saleshome.cli_settings import _actor, _context
    from saleshome.settings.orgs import Org, remove_org_as

    def confirm(org: Org) -> None:
        if not yes:
            typer.confirm(f"Remove org {org.alias} ({org.org_id}) with all its synced data?", abort=True)

    ctx = _context()
    remove_org_as(ctx.settings, ctx.directory, alias, actor=_actor(ctx, actor), confirm=confirm)
    typer.echo(f"Removed {alias} and its data (recorded in the audit log).")


# --- sync and status ------------------------------------------------------------------------
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
    from saleshome.cli_sync import sync_with_progress
    from saleshome.config import load_settings

    status = sync_with_progress(load_settings(), org, objects=_split(object_), full=full, resolvers=RESOLVERS,
                                notify=notifications)
    raise typer.Exit(status)


STATUS_DEAD_LETTERS = 5  # newest dead letters listed by `saleshome status` (all: `saleshome outbox list`)
STATUS_UNMAPPED_USERS = 10
UNMAPPED_LABELS = {  # user_map statuses as `saleshome status` shows them
    "deactivated": "deactivated in Slack",
    "unmatched": "no Slack account with that email",
    "inactive": "inactive in Salesforce",
}


@app.command()
def status() -> None:
    """One screen: per org its state, API budget left, last sync runs (outcome, duration) and per object rows,
    cursor, lag, last run, last error; then the outbox backlog, dead letters and unmapped users (works during a
    sync: reads only the control database). When the plan does not include Sales Home, that comes first, in red."""
    from rich.console import Console

    from saleshome.sync.render import status_view
    from saleshome.sync.status import read_status

    settings = _existing_home()
    console = Console()
    _print_plan_problem(console, settings)
    orgs = read_status(settings)
    if not orgs:
        typer.echo("No org connected yet: connect one with `saleshome org add`.")
        return
    for org in orgs:
        console.print(_fitted(status_view(org), console.width))
    _print_publishing_status(console, settings)


def _fitted(view: Any, width: int) -> Any:
    """``view`` (rich renderables, tables in groups) with each table laid out for ``width``
    (:func:`saleshome.listing.fit`)."""
    from rich.console import Group
    from rich.table import Table

    from saleshome.listing import fit

    if isinstance(view, Table):
        return fit(view, width=width, text=("last error",))
    if isinstance(view, Group):
        return Group(*(_fitted(part, width) for part in view.renderables))
    return view


def _print_plan_problem(console: Any, settings: Any) -> bool:
    """When Sales Home cannot run on this workspace's plan, say so first, in red (True: a problem was shown).

    Read-only views (``status``, ``outbox list``) still show what they hold, so that a data engineer
    sees the state of a workspace whose plan lapsed; every command that syncs, sends or changes refuses.
    """
    from rich.markup import escape

    from saleshome.settings.workspace import sales_home_problem
    from saleshome.warehouse.control import ControlDB

    problem = sales_home_problem(ControlDB(settings.control_db, lock_timeout=settings.lock_timeout_seconds),
                                 settings.workspace)
    if problem is None:
        return False
    console.print(f"[bold red]Sales Home is not running:[/] {escape(problem.message)}"
                  + (f"\n[bold]hint:[/] {escape(problem.hint)}" if problem.hint else "")
                  + "\nsync, notifications, celebrations and publishing refuse until then.")
    return True


def _print_publishing_status(console: Any, settings: Any) -> None:
    """Outbox backlog, the newest dead letters and Salesforce users with no Slack match, in a few lines."""
    from saleshome.operations.dead_letters import RETRY_HINT, dead_letter_listing
    from saleshome.slack.outbox import counts, dead_letters
    from saleshome.slack.users import unmapped_users
    from saleshome.warehouse.control import ControlDB

    control = ControlDB(settings.control_db, lock_timeout=settings.lock_timeout_seconds)
    backlog = counts(control)
    console.print("Outbox: " + (", ".join(f"{n} {state}" for state, n in sorted(backlog.items())) or "empty"))
    dead = dead_letters(control, limit=STATUS_DEAD_LETTERS)
    if dead:
        total = backlog.get("dead", 0) + backlog.get("blocked", 0)
        more = f", newest {len(dead)} shown (all: `saleshome outbox list --state dead`)" if total > len(dead) else ""
        console.print(dead_letter_listing(f"{total} dead letters and blocked messages{more}; {RETRY_HINT}", dead,
                                          width=console.width))
    unmapped = unmapped_users(control)
    if unmapped:
        shown = unmapped[:STATUS_UNMAPPED_USERS]
        by_status = {status: sum(u["status"] == status for u in unmapped) for status in UNMAPPED_LABELS}
        console.print(f"{len(unmapped)} Salesforce users have no Slack match ("
                      + ", ".join(f"{n} {UNMAPPED_LABELS[status]}" for status, n in by_status.items() if n) + "): "
                      + ", ".join(f"{u['email'] or u['sf_user_id']} ({UNMAPPED_LABELS.get(u['status'], u['status'])})"
                                  for u in shown)
                      + (" ..." if len(unmapped) > len(shown) else ""))
    from saleshome.settings.locales import channel_locale, locale_counts

    languages = locale_counts(control)
    if languages:
        console.print(f"Languages: channels read {channel_locale(control, settings.workspace)}; members' Slack "
                      "languages (their DMs): " + ", ".join(f"{n} {loc or 'not known yet'}"
                                                             for loc, n in languages.items()))
    from datetime import UTC, datetime, timedelta

    from saleshome.notify.stats import skipped_recipients

    skipped = skipped_recipients(control, workspace=settings.workspace, since=datetime.now(UTC) - timedelta(days=7))
    if skipped:
        console.print("Direct messages skipped in the last 7 days: " + "; ".join(
            f"{s['notification']} ({s['org']}): {s['skipped']} {s['reason']} — {s['fix']}" for s in skipped))


@app.command()
def serve() -> None:
    """Serve the Prefect deployments of prefect.yaml from this process, without a work pool or worker (one
    machine): sales-home every 10 minutes, digest and housekeeping hourly, sync (schedule paused) and backfill
    on demand.  Flow runs need a Prefect API (PREFECT_API_URL, e.g. a `prefect server start`); Ctrl-C stops."""
    from deployments.serve import main as serve_deployments

    serve_deployments()


@app.command()
def digest(
    now: Annotated[str | None, typer.Option(
        help="Evaluate as of this ISO 8601 time (UTC when no offset is given), e.g. to send a missed hour's "
             "digests.", show_default="the present")] = None,
) -> None:
    """What the hourly `digest` deployment does: every org's time-based notifications (stale records, upcoming
    dates), the digests whose recipients' local hour has come (never two for one period), then publish them
    (with progress).  Refused when the workspace's plan does not include Sales Home."""
    from saleshome.config import load_settings
    from saleshome.operations.console import digest_with_progress

    moment = _moment(now)  # a bad --now is refused before anything is opened
    raise typer.Exit(digest_with_progress(load_settings(), moment))


def _moment(value: str | None) -> datetime | None:
    """``--now``: an ISO 8601 time, UTC when it has no offset."""
    from datetime import UTC, datetime

    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not an ISO 8601 time (e.g. 2026-12-07T09:00:00+00:00)",
                                 param_hint="--now") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@app.command()
def housekeeping() -> None:
    """What the hourly `housekeeping` deployment does: clear our celebration banners past their expiry still
    shown (admin token), and list the dead letters with their reasons.  Refused when the workspace's plan does
    not include Sales Home."""
    from saleshome.config import load_settings
    from saleshome.operations.console import housekeeping_now

    raise typer.Exit(housekeeping_now(load_settings()))


@outbox_app.command("publish")
def outbox_publish() -> None:
    """Deliver everything the outbox holds now: messages, direct messages, digests and celebrations
    (SALESHOME_SLACK_BOT_TOKEN; rate limits and restrictions apply), then the celebration banners
    (SALESHOME_SLACK_ADMIN_TOKEN) and the celebration messages' permalinks; a progress bar on a terminal.
    Ends saying what is left, per kind, and which command sends it.  Refused when the workspace's plan does
    not include Sales Home."""
    from saleshome.config import load_settings
    from saleshome.operations.console import publish_with_progress

    raise typer.Exit(publish_with_progress(load_settings()))


OUTBOX_COLUMNS = ("key", "kind", "channel", "state", "attempts", "created", "last error")


@outbox_app.command("list")
def outbox_list(
    state: Annotated[OutboxState | None, typer.Option(help="Only the items in this state.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 50,
) -> None:
    """List outbox items (newest first; shown even when the plan lacks Sales Home, with that problem first)."""
    from rich.console import Console

    from saleshome.listing import Column, listing
    from saleshome.warehouse.control import ControlDB

    settings = _existing_home()
    _print_plan_problem(Console(stderr=True), settings)
    where, params = ("WHERE state = ?", [state.value]) if state else ("", [])
    rows = ControlDB(settings.control_db, lock_timeout=settings.lock_timeout_seconds).rows(
        "SELECT key, kind, channel, state, attempts, created_at, last_error FROM outbox "
        f"{where} ORDER BY seq DESC LIMIT ?", [*params, limit],
    )
    if not rows:
        typer.echo("The outbox is empty." if state is None else f"No outbox item is {state.value}.")
        return
    console = Console()
    columns = [Column(c, text=c == "last error", justify="right" if c == "attempts" else "left")
               for c in OUTBOX_COLUMNS]
    console.print(listing(f"Outbox: {len(rows)} item(s), newest first" + (f", {state.value}" if state else ""),
                          columns, [list(r.values()) for r in rows], width=console.width))


@outbox_app.command("retry")
def outbox_retry(
    key: Annotated[str | None, typer.Argument(help="The key of a dead-lettered or blocked item.")] = None,
    all_dead: Annotated[bool, typer.Option("--all-dead", help="Re-queue every dead-lettered item.")] = False,
) -> None:
    """Put a dead-lettered item (or all of them) back in the queue, once its cause is fixed (refused when the
    workspace's plan does not include Sales Home)."""
    from saleshome.config import load_settings
    from saleshome.settings.workspace import require_sales_home
    from saleshome.slack.outbox import requeue
    from saleshome.warehouse.control import ControlDB

    settings = load_settings()
    control = ControlDB(settings.control_db, lock_timeout=settings.lock_timeout_seconds)
    require_sales_home(control, settings.workspace)  # no plan declared, or one without Sales Home: refused
    n = requeue(control, key=key, all_dead=all_dead)
    typer.echo(f"re-queued {n} item(s)")


@app.command()
def demo(
    keep_running: Annotated[bool, typer.Option(help="Keep the sandboxes (and the Slack viewer) up until Ctrl-C.")] = False,
) -> None:
    """Run the pipeline end to end against the local Salesforce and Slack sandboxes, printing what it does."""
    from saleshome.demo import run_demo

    run_demo(keep_running=keep_running)


@app.command()
def version() -> None:
    """Print the installed saleshome version."""
    from saleshome import __version__

    typer.echo(__version__)


def main() -> None:
    """Console-script entry point: run the app, turning a `SalesHomeError` into a short message."""
    try:
        app()
    except SalesHomeError as exc:
        typer.secho(f"error: {exc.message}", err=True, fg=typer.colors.RED)
        if exc.hint:
            typer.echo(f"hint: {exc.hint}", err=True)
        sys.exit(EXIT_TEMPFAIL if is_retriable(exc) else EXIT_USAGE if isinstance(exc, InputFileError)
                 else EXIT_FAILURE)
