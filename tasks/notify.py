"""Notification tasks: the time-based notifications, the digests, the notification dashboard.

Each task is one batch (an org's time-based notifications, every due digest), retries only what
is retriable, and reports in the flow run: a log line and, per org (:func:`report_notifications`,
once the run has published), the table artifact ``notification-summary-<alias>`` (per
notification: matched, queued, delivered, failed, blocked, pending, last fired, 24 h and 7 days,
and what this run matched and queued), and beside it ``member-subscriptions-<alias>`` (members' subscriptions
per template: allowed, how many, active, paused, members, queued, delivered) once the org has any.  The change-based evaluation after a sync is a step of the
org's pipeline (``tasks.steps``), which logs it and emits ``saleshome.notifications.evaluated``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger

from saleshome.config import load_settings
from saleshome.notify.digest import DigestSummary, run_digests
from saleshome.notify.evaluate import EvaluationSummary, evaluate_scheduled
from saleshome.notify.stats import stats_artifact_rows, subscription_artifact_rows
from saleshome.pipeline import notifications_line
from saleshome.warehouse.control import ControlDB, control_db
from tasks.errors import retry_options

_TASK: dict[str, Any] = {"cache_policy": NO_CACHE, "persist_result": False, **retry_options()}


def notification_summary_key(alias: str) -> str:
    return f"notification-summary-{alias}"


def subscriptions_key(alias: str) -> str:
    return f"member-subscriptions-{alias}"


def notification_rows(control: ControlDB, workspace: str, alias: str,
                      summary: EvaluationSummary | None = None) -> list[dict[str, Any]]:
    """The org's notification dashboard, with this evaluation's matches and messages per notification."""
    rows = stats_artifact_rows(control, workspace, alias)
    now = {r.name: r for r in (summary.results if summary else [])}
    for row in rows:
        result = now.get(row["notification"])
        row["this run: matched"] = result.matched if result else 0
        row["this run: queued"] = result.queued if result else 0
        row["this run: skipped"] = (result.skipped or "") if result else ""
    return rows


@task(task_run_name="notification-summary-{alias}", **_TASK)
def report_notifications(alias: str, summary: EvaluationSummary) -> None:
    """The table artifact ``notification-summary-<alias>`` (after publishing: delivered counts are current)."""
    settings = load_settings()
    control = control_db(settings)
    rows = notification_rows(control, settings.workspace, alias, summary)
    create_table_artifact(key=notification_summary_key(alias), table=rows,
                          description=f"**{notifications_line(summary)}** (run `{summary.run_id or 'scheduled'}`)")
    subscriptions = subscription_artifact_rows(control, settings.workspace, alias)
    if subscriptions:
        create_table_artifact(key=subscriptions_key(alias), table=subscriptions, description=(
            "Members' subscriptions per template (allowed by the sales admins, active, paused, sent)"))


@task(task_run_name="evaluate-scheduled-{alias}", **_TASK)
def evaluate_scheduled_notifications(alias: str, now: datetime | None = None) -> EvaluationSummary:
    """The org's time-based notifications (stale records, upcoming dates), at most once per record and period."""
    settings = load_settings()
    summary = evaluate_scheduled(control_db(settings), settings, alias, now=now)
    get_run_logger().info(notifications_line(summary).replace("notifications:", "time-based notifications:", 1))
    return summary


@task(task_run_name="digests", **_TASK)
def send_digests(now: datetime | None = None) -> DigestSummary:
    """Queue the digests whose recipients' local hour has come (never twice for one period)."""
    settings = load_settings()
    summary = run_digests(control_db(settings), settings, now)
    get_run_logger().info(f"digests: {summary.sent} queued carrying {summary.items} item(s); "
                          f"{summary.waiting} recipient(s) waiting for their hour")
    create_table_artifact(key="digest-summary", table=[
        {"outcome": "digests queued", "count": summary.sent},
        {"outcome": "items carried", "count": summary.items},
        {"outcome": "recipients waiting for their local hour", "count": summary.waiting},
    ], description="What the last digest run queued (sent by the publish step)")
    return summary
