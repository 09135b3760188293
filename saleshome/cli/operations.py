"""`saleshome serve | digest | housekeeping`: the Prefect deployments served from one process, and what the
hourly deployments do, run once from a terminal.

``digest`` and ``housekeeping`` refuse when the workspace's plan does not include Sales Home; a bad
``--now`` is refused before anything is opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from datetime import datetime

app = typer.Typer()


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
    from saleshome.warehouse.control import control_db

    moment = _moment(now)  # a bad --now is refused before anything is opened
    settings = load_settings()
    raise typer.Exit(digest_with_progress(control_db(settings), settings, moment))


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
    from saleshome.warehouse.control import control_db

    settings = load_settings()
    raise typer.Exit(housekeeping_now(control_db(settings), settings))
