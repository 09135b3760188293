"""Where each org and object stands: rows, cursor, lag, last runs, last error, API budget left.

Read from the control database only (``orgs``, ``sync_runs``, ``object_state``,
``api_budget``), in one short transaction: it works while a sync holds the org's own
DuckDB file.  Nothing is written: a run whose process died is shown ``crashed`` (with when it
was last seen) as it is read (:func:`saleshome.sync.runs.is_crashed`), and an org whose latest
run crashed is ``crashed``, never ``syncing``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from saleshome.config import Settings
from saleshome.sync.runs import CRASHED, RUNNING, is_crashed, last_seen, lease, this_host
from saleshome.sync.states import PATH_LABELS, OrgState
from saleshome.sync.summary import format_duration, format_moment
from saleshome.warehouse.control import ControlDB

RECENT_RUNS = 3  # sync runs shown per org by ``saleshome status``


@dataclass(frozen=True)
class RunStatus:
    run_id: str
    kind: str
    status: str
    started_at: datetime
    ended_at: datetime | None
    api_calls: int | None
    error: str | None
    last_seen: datetime | None = None  # its last heartbeat (what a crashed run was last seen doing)

    def duration(self, now: datetime | None = None) -> timedelta:
        """How long the run took (or has been running; a crashed one: until it was last seen)."""
        end = self.ended_at or (self.last_seen if self.status == CRASHED else None)
        return (end or now or datetime.now(UTC)) - self.started_at


@dataclass(frozen=True)
class ObjectStatus:
    object: str
    rows: int | None
    cursor: datetime | None
    lag: timedelta | None  # now - cursor
    last_synced_at: datetime | None
    last_path: str | None
    last_error: str | None


@dataclass(frozen=True)
class OrgStatus:
    alias: str
    org_id: str
    org_name: str | None
    is_sandbox: bool
    status: str
    last_sync_at: datetime | None
    last_error: str | None
    last_run: RunStatus | None
    api_used: int | None
    api_max: int | None
    objects: list[ObjectStatus] = field(default_factory=list)
    recent_runs: list[RunStatus] = field(default_factory=list)  # newest first, at most RECENT_RUNS

    @property
    def api_left(self) -> int | None:
        if self.api_used is None or self.api_max is None:
            return None
        return self.api_max - self.api_used


def read_status(control: ControlDB, settings: Settings, *, now: datetime | None = None,
                runs: int = RECENT_RUNS) -> list[OrgStatus]:
    """Every org of the workspace with its objects, last ``runs`` sync runs and API budget (control DB only)."""
    now = now or datetime.now(UTC)
    with control.reading() as conn:
        orgs = conn.rows("SELECT * FROM orgs WHERE workspace = ? ORDER BY alias", [settings.workspace])
        mine = "alias IN (SELECT alias FROM orgs WHERE workspace = ?)"
        objects = conn.rows(f"SELECT * FROM object_state WHERE {mine} ORDER BY alias, object", [settings.workspace])
        recent = conn.rows(f"SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY alias ORDER BY started_at DESC) AS recent "
            f"FROM sync_runs WHERE {mine}) runs WHERE recent <= ? ORDER BY alias, started_at DESC",
            [settings.workspace, max(runs, 1)],
        )
        budgets = conn.rows(f"SELECT * FROM api_budget WHERE {mine}", [settings.workspace])
    runs_of: dict[str, list[RunStatus]] = {}
    held, host = lease(settings), this_host()
    for row in recent:
        runs_of.setdefault(row["alias"], []).append(_run(row, now=now, lease=held, host=host))
    budget = {b["alias"]: b for b in budgets}
    return [
        OrgStatus(
            alias=o["alias"], org_id=o["org_id"], org_name=o["org_name"], is_sandbox=bool(o["is_sandbox"]),
            status=_org_state(o["status"], next(iter(runs_of.get(o["alias"], [])), None)),
            last_sync_at=o["last_sync_at"], last_error=o["last_error"],
            last_run=next(iter(runs_of.get(o["alias"], [])), None),
            api_used=budget.get(o["alias"], {}).get("used"), api_max=budget.get(o["alias"], {}).get("max"),
            objects=[_object(s, now) for s in objects if s["alias"] == o["alias"]],
            recent_runs=runs_of.get(o["alias"], [])[:runs],
        )
        for o in orgs
    ]


def _run(row: dict[str, Any], *, now: datetime, lease: timedelta, host: str) -> RunStatus:
    status = CRASHED if is_crashed(row, now=now, lease=lease, host=host) else row["status"]
    return RunStatus(row["run_id"], row["kind"], status, row["started_at"], row["ended_at"], row["api_calls"],
                     row["error"], last_seen(row))


def _org_state(stored: str, latest: RunStatus | None) -> str:
    """The org's state: ``syncing`` only while its latest run is alive (``crashed`` once its process died)."""
    if stored == OrgState.SYNCING and latest is not None and latest.status == CRASHED:
        return CRASHED
    return stored


def org_state_text(org: OrgStatus, now: datetime | None = None) -> str:
    """The org's state in words: ``syncing``, ``ok``, ``paused for quota``, ``crashed, last seen 2m 05s ago``."""
    text = org.status.replace("_", " ")
    run = org.last_run
    if org.status == CRASHED and run is not None and run.last_seen is not None:
        text += f", last seen {format_duration((now or datetime.now(UTC)) - run.last_seen)} ago"
    return text


def org_states(control: ControlDB, settings: Settings, now: datetime | None = None) -> dict[str, str]:
    """:func:`org_state_text` of every org of the workspace, by alias (what ``saleshome org list`` shows)."""
    now = now or datetime.now(UTC)
    return {org.alias: org_state_text(org, now) for org in read_status(control, settings, now=now, runs=1)}


def _object(row: dict[str, Any], now: datetime) -> ObjectStatus:
    cursor = row["cursor"]
    return ObjectStatus(
        object=row["object"], rows=row["rows"], cursor=cursor, lag=None if cursor is None else now - cursor,
        last_synced_at=row["last_synced_at"], last_path=row["last_path"], last_error=row["last_error"],
    )


# ---------------------------------------------------------------------------------------- rendering data
STATUS_COLUMNS = ("object", "rows", "cursor", "lag", "last run", "last error")


def object_status_row(obj: ObjectStatus, now: datetime | None = None) -> dict[str, str]:
    """One object's status line as text (keys: :data:`STATUS_COLUMNS`)."""
    now = now or datetime.now(UTC)
    last = "-"
    if obj.last_synced_at is not None:
        path = PATH_LABELS.get(obj.last_path or "none", obj.last_path or "-")
        last = f"{format_duration(now - obj.last_synced_at)} ago, {path}"
    return {
        "object": obj.object,
        "rows": "-" if obj.rows is None else f"{obj.rows:,}",
        "cursor": format_moment(obj.cursor),
        "lag": format_duration(obj.lag),
        "last run": last,
        "last error": obj.last_error or "-",
    }


def run_summary(run: RunStatus, now: datetime | None = None) -> str:
    """One run in a few words: when it started, kind, outcome, duration, API calls (``14:02Z incremental
    completed in 12s, 35 calls``)."""
    now = now or datetime.now(UTC)
    when = run.started_at.astimezone(UTC)
    stamp = when.strftime("%H:%MZ") if now - when < timedelta(hours=20) else when.strftime("%Y-%m-%d %H:%MZ")
    took = format_duration(run.duration(now))
    if run.status == RUNNING:
        outcome = f"running for {took}"
    elif run.status == CRASHED and run.last_seen is not None:
        outcome = f"crashed after {took}, last seen {format_duration(now - run.last_seen)} ago"
    else:
        outcome = f"{run.status.replace('_', ' ')} in {took}"
    calls = f", {run.api_calls:,} calls" if run.api_calls else ""
    return f"{stamp} {run.kind} {outcome}{calls}"


def runs_line(org: OrgStatus, now: datetime | None = None) -> str:
    """The org's last sync runs, newest first, on one line (``-`` when it never synced)."""
    if not org.recent_runs:
        return "last runs: none yet"
    return "last runs: " + " · ".join(run_summary(r, now) for r in org.recent_runs)


def org_headline(org: OrgStatus, now: datetime | None = None) -> str:
    """One line about an org: identity, state, how long ago its last run ended, API budget left, last error."""
    now = now or datetime.now(UTC)
    kind = "sandbox" if org.is_sandbox else "production"
    parts = [f"{org.alias} ({org.org_id}, {kind}): {org.status}"]
    if org.last_run is None:
        parts.append("never synced")
    elif org.status == CRASHED and org.last_run.last_seen is not None:
        parts.append(f"its last run was last seen {format_duration(now - org.last_run.last_seen)} ago; "
                     "the next run resumes from the windows it committed")
    elif org.last_run.ended_at is not None:
        parts.append(f"last run ended {format_duration(now - org.last_run.ended_at)} ago")
    if org.api_left is not None and org.api_max:
        parts.append(f"API budget left {org.api_left:,} of {org.api_max:,} ({org.api_left / org.api_max:.1%})")
    else:
        parts.append("API budget left unknown")
    if org.last_error:
        parts.append(f"last error: {org.last_error}")
    return " - ".join(parts)
