"""The notifications dashboard: per notification, what it did (``saleshome notifications stats``
and the flows' table artifact).

matched: records matched over all evaluations; queued: messages and digest items produced;
delivered, failed (dead-lettered), blocked (restrictions), pending: their outbox state now (a
digest item counts with the digest that carried it); last fired; messages of the last 24 h
and 7 days; unmapped, not_member: direct messages skipped because the Salesforce user has no
Slack user, or is not a Sales member (no Sales Home permission set).

:func:`skipped_recipients` details those skips per notification and reason, with what fixes them
(for ``saleshome status`` and the flows' artifacts).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from saleshome.warehouse.control import ControlDB

STATS_COLUMNS = ("notification", "org", "template", "enabled", "version", "matched", "queued", "delivered",
                 "failed", "blocked", "pending", "last_fired", "last_24h", "last_7d", "unmapped", "not_member")

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
m AS (SELECT notification_id, sum(matched) AS matched, sum(unmapped) AS unmapped, sum(not_member) AS not_member
      FROM notification_evaluations GROUP BY notification_id)
SELECT n.name AS notification, n.alias AS org, n.template, n.enabled, n.version,
       coalesce(m.matched, 0) AS matched, coalesce(p.queued, 0) AS queued, coalesce(p.delivered, 0) AS delivered,
       coalesce(p.failed, 0) AS failed, coalesce(p.blocked, 0) AS blocked, coalesce(p.pending, 0) AS pending,
       p.last_fired, coalesce(p.last_24h, 0) AS last_24h, coalesce(p.last_7d, 0) AS last_7d,
       coalesce(m.unmapped, 0) AS unmapped, coalesce(m.not_member, 0) AS not_member
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
    rows = control.rows(_SQL.format(org_filter="AND n.alias = ?" if alias else ""), params,
                        kinds={"last_fired": "timestamp"})
    return [{c: r[c] for c in STATS_COLUMNS} for r in rows]


def stats_artifact_rows(control: ControlDB, workspace: str, alias: str | None = None) -> list[dict[str, Any]]:
    """The same table with plain values (strings for times): what ``create_table_artifact`` takes."""
    return [_plain(row) for row in notification_stats(control, workspace, alias)]


def skipped_artifact_rows(control: ControlDB, workspace: str, alias: str | None = None) -> list[dict[str, Any]]:
    """:func:`skipped_recipients` with plain values, for a table artifact."""
    return [_plain(row) for row in skipped_recipients(control, alias, workspace=workspace)]


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat(timespec="seconds") if isinstance(v, datetime) else v) for k, v in row.items()}


SKIP_REASONS = {
    "unmapped": ("no Slack user", "the Salesforce user's email matches no Slack member: fix the email in "
                 "Salesforce or Slack, then refresh the user map"),
    "not_member": ("not a Sales member", "assign the Sales Home permission set in Salesforce (or remove the "
                   "person from the notification's recipients)"),
}
SKIPPED_COLUMNS = ("notification", "org", "reason", "skipped", "last_skipped", "fix")


def skipped_recipients(control: ControlDB, alias: str | None = None, *, workspace: str | None = None,
                       since: datetime | None = None) -> list[dict[str, Any]]:
    """Direct messages skipped, per notification and reason (columns :data:`SKIPPED_COLUMNS`).

    ``reason``: "no Slack user" (a Sales member the user map could not match) or "not a Sales
    member"; ``skipped``: how many, over the evaluations since ``since`` (default: all);
    ``last_skipped``: the last evaluation that skipped one; ``fix``: what a sales admin does about
    it.  Only rows with something skipped; ``alias``/``workspace`` narrow to an org/workspace.
    """
    params: list[Any] = []
    where = ["true"]
    if alias:
        where.append("e.alias = ?")
        params.append(alias)
    if workspace:
        where.append("n.workspace = ?")
        params.append(workspace)
    if since is not None:
        where.append("e.evaluated_at >= ?")
        params.append(since)
    rows = control.rows(
        "SELECT coalesce(n.name, e.notification_id) AS notification, e.alias AS org, "
        "sum(e.unmapped) AS unmapped, max(e.evaluated_at) FILTER (WHERE e.unmapped > 0) AS last_unmapped, "
        "sum(e.not_member) AS not_member, max(e.evaluated_at) FILTER (WHERE e.not_member > 0) AS last_not_member "
        "FROM notification_evaluations e LEFT JOIN notifications n ON n.id = e.notification_id "
        f"WHERE {' AND '.join(where)} GROUP BY coalesce(n.name, e.notification_id), e.alias "
        "ORDER BY org, notification", params, kinds={"last_unmapped": "timestamp", "last_not_member": "timestamp"})
    out = []
    for r in rows:
        for reason, (label, fix) in SKIP_REASONS.items():
            if r[reason]:
                out.append({"notification": r["notification"], "org": r["org"], "reason": label,
                            "skipped": int(r[reason]), "last_skipped": r[f"last_{reason}"], "fix": fix})
    return out


SUBSCRIPTION_COLUMNS = ("org", "template", "allowed", "subscriptions", "active", "paused", "members", "queued",
                        "delivered", "last_fired")


def subscription_stats(control: ControlDB, workspace: str, alias: str | None = None) -> list[dict[str, Any]]:
    """Members' subscriptions per org and template (issue 20 §2; columns :data:`SUBSCRIPTION_COLUMNS`): whether
    the admins allow the template for members, how many subscriptions (active, paused) and members, and what
    they queued (DMs and digest items; delivered: sent, a digest item with its digest).  A template appears
    once allowed or subscribed to."""
    params: list[Any] = [workspace, *([alias] if alias else [])]
    org = " AND s.alias = ?" if alias else ""
    counts = control.rows(
        "SELECT s.alias, s.template, count(*) AS subscriptions, "
        "sum(CASE WHEN s.paused THEN 0 ELSE 1 END) AS active, count(DISTINCT s.slack_user_id) AS members "
        f"FROM member_subscriptions s WHERE s.workspace = ?{org} GROUP BY s.alias, s.template", params)
    sent = control.rows(
        "SELECT s.alias, s.template, count(*) AS queued, "
        "sum(CASE WHEN coalesce(o.state, od.state) = 'sent' THEN 1 ELSE 0 END) AS delivered, "
        "max(e.created_at) AS last_fired FROM notification_events e "
        "JOIN member_subscriptions s ON s.id = e.notification_id "
        "LEFT JOIN outbox o ON o.key = e.key LEFT JOIN digest_items d ON d.key = e.key "
        f"LEFT JOIN outbox od ON od.key = d.digest_key WHERE s.workspace = ?{org} GROUP BY s.alias, s.template",
        params, kinds={"last_fired": "timestamp"})
    allowed = control.rows(
        "SELECT t.alias, t.template, t.allowed FROM member_template_settings t JOIN orgs o ON o.alias = t.alias "
        f"WHERE o.workspace = ?{org.replace('s.alias', 't.alias')}", params)
    out: dict[tuple[str, str], dict[str, Any]] = {}

    def row(a: str, t: str) -> dict[str, Any]:
        return out.setdefault((a, t), {"org": a, "template": t, "allowed": False, "subscriptions": 0, "active": 0,
                                       "paused": 0, "members": 0, "queued": 0, "delivered": 0, "last_fired": None})

    for r in allowed:
        row(r["alias"], r["template"])["allowed"] = bool(r["allowed"])
    for r in counts:
        found = row(r["alias"], r["template"])
        found.update(subscriptions=int(r["subscriptions"]), active=int(r["active"] or 0), members=int(r["members"]))
        found["paused"] = found["subscriptions"] - found["active"]
    for r in sent:
        row(r["alias"], r["template"]).update(queued=int(r["queued"]), delivered=int(r["delivered"] or 0),
                                              last_fired=r["last_fired"])
    return [out[k] for k in sorted(out) if out[k]["allowed"] or out[k]["subscriptions"]]


def subscription_artifact_rows(control: ControlDB, workspace: str, alias: str | None = None) -> list[dict[str, Any]]:
    """:func:`subscription_stats` with plain values, for a table artifact."""
    return [_plain(row) for row in subscription_stats(control, workspace, alias)]
