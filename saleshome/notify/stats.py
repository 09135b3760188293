"""The notifications dashboard: per notification, what it did (``saleshome notifications stats``
and the flows' table artifact).

matched: records matched over all evaluations; queued: messages and digest items produced;
delivered, failed (dead-lettered), blocked (restrictions), pending: their outbox state now (a
digest item counts with the digest that carried it); last fired; messages of the last 24 h
and 7 days.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from saleshome.warehouse.control import ControlDB

STATS_COLUMNS = ("notification", "org", "template", "enabled", "version", "matched", "queued", "delivered",
                 "failed", "blocked", "pending", "last_fired", "last_24h", "last_7d")

_SQL = """
WITH ev AS (
    SELECT e.notification_id, e.created_at,
           coalesce(o.state, od.state, CASE WHEN d.key IS NOT NULL THEN 'waiting' END) AS state
    FROM notification_events e
    LEFT JOIN outbox o ON o.key = e.key
    LEFT JOIN digest_items d ON d.key = e.key
    LEFT JOIN outbox od ON od.key = d.digest_key
),
per AS (
    SELECT notification_id, count(*) AS queued,
           count(*) FILTER (WHERE state = 'sent') AS delivered,
           count(*) FILTER (WHERE state = 'dead') AS failed,
           count(*) FILTER (WHERE state = 'blocked') AS blocked,
           count(*) FILTER (WHERE state IN ('pending', 'sending', 'waiting')) AS pending,
           max(created_at) AS last_fired,
           count(*) FILTER (WHERE created_at >= ?) AS last_24h,
           count(*) FILTER (WHERE created_at >= ?) AS last_7d
    FROM ev GROUP BY notification_id
),
m AS (SELECT notification_id, sum(matched) AS matched FROM notification_evaluations GROUP BY notification_id)
SELECT n.name AS notification, n.alias AS org, n.template, n.enabled, n.version,
       coalesce(m.matched, 0) AS matched, coalesce(p.queued, 0) AS queued, coalesce(p.delivered, 0) AS delivered,
       coalesce(p.failed, 0) AS failed, coalesce(p.blocked, 0) AS blocked, coalesce(p.pending, 0) AS pending,
       p.last_fired, coalesce(p.last_24h, 0) AS last_24h, coalesce(p.last_7d, 0) AS last_7d
FROM notifications n LEFT JOIN per p ON p.notification_id = n.id LEFT JOIN m ON m.notification_id = n.id
WHERE n.workspace = ? {org_filter}
ORDER BY n.alias, n.name
"""


def notification_stats(control: ControlDB, workspace: str, alias: str | None = None,
                       now: datetime | None = None) -> list[dict[str, Any]]:
    """One row per notification (columns :data:`STATS_COLUMNS`), for the CLI and a Prefect table artifact."""
    now = now or datetime.now(UTC)
    params: list[Any] = [now - timedelta(hours=24), now - timedelta(days=7), workspace]
    if alias:
        params.append(alias)
    rows = control.rows(_SQL.format(org_filter="AND n.alias = ?" if alias else ""), params)
    return [{c: r[c] for c in STATS_COLUMNS} for r in rows]


def stats_artifact_rows(control: ControlDB, workspace: str, alias: str | None = None) -> list[dict[str, Any]]:
    """The same table with plain values (strings for times): what ``create_table_artifact`` takes."""
    return [{k: (v.isoformat(timespec="seconds") if isinstance(v, datetime) else v) for k, v in row.items()}
            for row in notification_stats(control, workspace, alias)]
