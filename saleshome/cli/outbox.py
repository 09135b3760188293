"""`saleshome outbox publish | list | retry`: the Slack outbox, from a terminal.

``publish`` and ``retry`` refuse when the workspace's plan does not include Sales Home; ``list`` only reads
(refused, creating nothing, when the home does not exist) and shows the items even then, the plan's problem
first.
"""

from __future__ import annotations

from typing import Annotated

import typer

from saleshome.cli.common import existing_home, print_plan_problem
from saleshome.warehouse.outbox_states import OutboxState

app = typer.Typer(help="The Slack outbox: publish, list, re-queue dead letters.", no_args_is_help=True)


@app.command("publish")
def outbox_publish() -> None:
    """Deliver everything the outbox holds now: messages, direct messages, digests and celebrations
    (SALESHOME_SLACK_BOT_TOKEN; rate limits and restrictions apply), then the celebration banners
    (SALESHOME_SLACK_ADMIN_TOKEN) and the celebration messages' permalinks; a progress bar on a terminal.
    Ends saying what is left, per kind, and which command sends it.  Refused when the workspace's plan does
    not include Sales Home."""
    from saleshome.config import load_settings
    from saleshome.operations.console import publish_with_progress
    from saleshome.warehouse.control import control_db

    settings = load_settings()
    raise typer.Exit(publish_with_progress(control_db(settings), settings))


OUTBOX_COLUMNS = ("key", "kind", "channel", "state", "attempts", "created", "last error")


@app.command("list")
def outbox_list(
    state: Annotated[OutboxState | None, typer.Option(help="Only the items in this state.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 50,
) -> None:
    """List outbox items (newest first; shown even when the plan lacks Sales Home, with that problem first)."""
    from rich.console import Console

    from saleshome.listing import Column, listing

    settings, control = existing_home()
    print_plan_problem(Console(stderr=True), control, settings)
    where, params = ("WHERE state = ?", [state.value]) if state else ("", [])
    rows = control.rows(
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


@app.command("retry")
def outbox_retry(
    key: Annotated[str | None, typer.Argument(help="The key of a dead-lettered or blocked item.")] = None,
    all_dead: Annotated[bool, typer.Option("--all-dead", help="Re-queue every dead-lettered item.")] = False,
) -> None:
    """Put a dead-lettered item (or all of them) back in the queue, once its cause is fixed (refused when the
    workspace's plan does not include Sales Home)."""
    from saleshome.config import load_settings
    from saleshome.settings.workspace import require_sales_home
    from saleshome.warehouse.control import control_db
    from saleshome.warehouse.outbox import requeue

    settings = load_settings()
    control = control_db(settings)
    require_sales_home(control, settings.workspace)  # no plan declared, or one without Sales Home: refused
    n = requeue(control, key=key, all_dead=all_dead)
    typer.echo(f"re-queued {n} item(s)")
