"""`saleshome status`: one screen on the state of every org and of publishing.

Reads only the control database, so it works during a sync; refused, creating nothing, when the home does
not exist.  It shows what it holds even when the workspace's plan lacks Sales Home (that problem first, in
red: :func:`saleshome.cli.common.print_plan_problem`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from saleshome.cli.common import existing_home, print_plan_problem

if TYPE_CHECKING:
    from rich.console import Console

    from saleshome.config import Settings
    from saleshome.warehouse.control import ControlDB

app = typer.Typer()

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

    settings, control = existing_home()
    console = Console()
    print_plan_problem(console, control, settings)
    orgs = read_status(control, settings)
    if not orgs:
        typer.echo("No org connected yet: connect one with `saleshome org add`.")
        return
    for org in orgs:
        console.print(_fitted(status_view(org), console.width))
    _print_publishing_status(console, control, settings)


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


def _print_publishing_status(console: Console, control: ControlDB, settings: Settings) -> None:
    """Outbox backlog, the newest dead letters and Salesforce users with no Slack match, in a few lines."""
    from saleshome.operations.dead_letters import RETRY_HINT, dead_letter_listing
    from saleshome.sync.users import unmapped_users
    from saleshome.warehouse.outbox import counts, dead_letters

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
    _print_approved_members(console, control)
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


def _print_approved_members(console: Console, control: ControlDB) -> None:
    """The mappings sales admins approved, apart from the email matches (all: `saleshome org members`)."""
    from rich.markup import escape

    from saleshome.settings.approvals import list_approved_members

    approved = list_approved_members(control)
    if approved:
        shown = approved[:STATUS_UNMAPPED_USERS]
        console.print(f"{len(approved)} Salesforce users linked to Slack by a sales admin's approval (not by email): "
                      + ", ".join(escape(f"{a.alias} {a.email or a.sf_user_id} → {a.slack_user_id}") for a in shown)
                      + (" ... (all: `saleshome org members`)" if len(approved) > len(shown) else ""))
