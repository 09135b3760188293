"""Terminal tables (rich) for the ``saleshome`` commands: connected orgs, a run's summary, the status."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from rich.console import Group
from rich.table import Table
from rich.text import Text

from saleshome.settings.orgs import Org
from saleshome.sync.results import SyncResult
from saleshome.sync.status import STATUS_COLUMNS, OrgStatus, object_status_row, org_headline, runs_line
from saleshome.sync.summary import SUMMARY_COLUMNS, format_moment, run_line, summary_rows

_NUMERIC = {"inserted", "updated", "deleted", "purged", "API calls", "seconds", "rows", "lag"}


def _table(title: str, columns: tuple[str, ...]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, justify="right" if column in _NUMERIC else "left")
    return table


def org_kind(is_sandbox: bool) -> str:
    return "sandbox" if is_sandbox else "production"


def orgs_table(orgs: list[Org], states: Mapping[str, str] | None = None) -> Table:
    """``saleshome org list``: alias, org id, name, production/sandbox, last sync, status (``states``: the status
    in words by alias, as :func:`saleshome.sync.status.org_states` reads it: ``crashed, last seen …``)."""
    table = _table("Connected orgs", ("alias", "org id", "name", "type", "last sync", "status"))
    for org in orgs:
        state = (states or {}).get(org.alias) or org.status.replace("_", " ")
        table.add_row(org.alias, org.org_id, org.org_name or "-", org_kind(org.is_sandbox),
                      format_moment(org.last_sync_at), state)
    return table


def summary_table(result: SyncResult) -> Table:
    """A run's per-object summary (inserted, updated, deleted, purged, cursor before → after, ...)."""
    table = _table(run_line(result), SUMMARY_COLUMNS)
    for row in summary_rows(result):
        table.add_row(*(f"{row[c]:.2f}" if c == "seconds" else str(row[c]) for c in SUMMARY_COLUMNS))
    return table


def status_view(org: OrgStatus, now: datetime | None = None) -> Group:
    """``saleshome status`` for one org: its headline (state, API budget), its last sync runs (outcome, duration)
    on one line each, then its objects' table (:func:`status_table`)."""
    now = now or datetime.now(UTC)
    parts: list[Text | Table] = [Text(org_headline(org, now), style="bold"), Text(runs_line(org, now))]
    if org.objects:
        parts.append(status_table(org, now))
    return Group(*parts)


def status_table(org: OrgStatus, now: datetime | None = None) -> Table:
    """One org's objects: rows, cursor, lag, last run, last error per object."""
    now = now or datetime.now(UTC)
    table = _table("", STATUS_COLUMNS)
    for obj in org.objects:
        row = object_status_row(obj, now)
        table.add_row(*(row[c] for c in STATUS_COLUMNS))
    return table
