"""Where each org and object stands: rows, cursor, lag, last run, last error, API budget left.

Read from the control database only (``orgs``, ``sync_runs``, ``object_state``,
``api_budget``), in one short transaction: it works while a sync holds the org's own
DuckDB file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from saleshome.config import Settings
from saleshome.sync.summary import PATH_LABELS, format_duration, format_moment
from saleshome.warehouse.control import ControlDB


@dataclass(frozen=True)
class RunStatus:
    run_id: str
    kind: str
    status: str
    started_at: datetime
    ended_at: datetime | None
    api_calls: int | None
    error: str | None


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

    @property
    def api_left(self) -> int | None:
        if self.api_used is None or self.api_max is None:
            return None
        return self.api_max - self.api_used


def _fetch(conn: Any, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cur = conn.execute(sql, params)
    names = [d[0] for d in cur.description or []]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def read_status(settings: Settings, *, now: datetime | None = None) -> list[OrgStatus]:
    """Every org of the workspace with its objects, last run and API budget (control DB only)."""
    now = now or datetime.now(UTC)
    control = ControlDB(settings.control_db, lock_timeout=settings.lock_timeout_seconds)
    with control.transaction() as conn:
        orgs = _fetch(conn, "SELECT * FROM orgs WHERE workspace = ? ORDER BY alias", [settings.workspace])
        mine = "alias IN (SELECT alias FROM orgs WHERE workspace = ?)"
        objects = _fetch(conn, f"SELECT * FROM object_state WHERE {mine} ORDER BY alias, object", [settings.workspace])
        runs = _fetch(
            conn,
            f"SELECT * FROM sync_runs WHERE {mine} "
            "QUALIFY row_number() OVER (PARTITION BY alias ORDER BY started_at DESC) = 1",
            [settings.workspace],
        )
        budgets = _fetch(conn, f"SELECT * FROM api_budget WHERE {mine}", [settings.workspace])
    last_runs = {r["alias"]: r for r in runs}
    budget = {b["alias"]: b for b in budgets}
    return [
        OrgStatus(
            alias=o["alias"], org_id=o["org_id"], org_name=o["org_name"], is_sandbox=bool(o["is_sandbox"]),
            status=o["status"], last_sync_at=o["last_sync_at"], last_error=o["last_error"],
            last_run=_run(last_runs.get(o["alias"])),
            api_used=budget.get(o["alias"], {}).get("used"), api_max=budget.get(o["alias"], {}).get("max"),
            objects=[_object(s, now) for s in objects if s["alias"] == o["alias"]],
        )
        for o in orgs
    ]


def _run(row: dict[str, Any] | None) -> RunStatus | None:
    if row is None:
        return None
    return RunStatus(row["run_id"], row["kind"], row["status"], row["started_at"], row["ended_at"], row["api_calls"],
                     row["error"])


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
        last = f"{format_moment(obj.last_synced_at)} ({format_duration(now - obj.last_synced_at)} ago, {path})"
    return {
        "object": obj.object,
        "rows": "-" if obj.rows is None else f"{obj.rows:,}",
        "cursor": format_moment(obj.cursor),
        "lag": format_duration(obj.lag),
        "last run": last,
        "last error": obj.last_error or "-",
    }


def org_headline(org: OrgStatus, now: datetime | None = None) -> str:
    """One line about an org: identity, state, last run, API budget left."""
    now = now or datetime.now(UTC)
    kind = "sandbox" if org.is_sandbox else "production"
    parts = [f"{org.alias} ({org.org_id}, {kind}): {org.status}"]
    if org.last_run is not None:
        run = org.last_run
        when = format_duration(now - (run.ended_at or run.started_at))
        parts.append(f"last run {run.kind} {run.status.replace('_', ' ')} {when} ago")
    else:
        parts.append("never synced")
    if org.api_left is not None and org.api_max:
        parts.append(f"API budget left {org.api_left:,} of {org.api_max:,} ({org.api_left / org.api_max:.1%})")
    else:
        parts.append("API budget left unknown")
    if org.last_error:
        parts.append(f"last error: {org.last_error}")
    return " - ".join(parts)
