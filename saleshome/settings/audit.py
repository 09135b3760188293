"""The audit log of settings changes: who changed what, when, from what to what.

Every change is recorded by :func:`record_change` inside the transaction that makes it, so a
change and its audit entry are committed together or not at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from saleshome.warehouse.control import ControlDB, Tx


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: datetime
    actor: str
    action: str
    target: str
    before: Any
    after: Any


def record_change(
    db: Tx, workspace: str, actor: str, action: str, target: str, before: Any, after: Any,
    *, at: datetime | None = None,
) -> None:
    """Append one entry (``before``/``after`` as JSON; None for "did not exist" / "removed")."""
    db.execute(
        "INSERT INTO settings_audit (workspace, changed_at, actor, action, target, before, after) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [workspace, at or datetime.now(UTC), actor, action, target,
         None if before is None else json.dumps(before, sort_keys=True, default=str),
         None if after is None else json.dumps(after, sort_keys=True, default=str)],
    )


def read_audit(control: ControlDB, workspace: str, *, since: datetime | None = None,
               limit: int | None = None) -> list[AuditEntry]:
    """The workspace's entries, oldest first (``since``: at or after; ``limit``: the newest N)."""
    sql = "SELECT seq, changed_at, actor, action, target, before, after FROM settings_audit WHERE workspace = ?"
    params: list[Any] = [workspace]
    if since is not None:
        sql += " AND changed_at >= ?"
        params.append(since)
    sql += " ORDER BY seq DESC"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    rows = control.rows(sql, params)
    return [
        AuditEntry(seq=r["seq"], at=r["changed_at"], actor=r["actor"], action=r["action"], target=r["target"],
                   before=None if r["before"] is None else json.loads(r["before"]),
                   after=None if r["after"] is None else json.loads(r["after"]))
        for r in reversed(rows)
    ]
