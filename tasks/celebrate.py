"""Celebration tasks: the banners, the permalinks, the banner expiry; the report of a run's wins.

The wins themselves are celebrated by a step of the org's pipeline (``tasks.steps``), which
reports them with :func:`report_celebrations`.

The table artifacts: ``celebration-summary-<alias>`` (what the run's wins became) and
``celebrations-<alias>`` (the org's celebrations of the last three days: owner, opportunity,
banner, permalinks to share).  A run that celebrates emits ``saleshome.celebrations.queued``
(``tasks.events``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger

from saleshome.celebrate import (
    CELEBRATION_WINDOW,
    BannerStats,
    CelebrationSummary,
    HousekeepingStats,
    PermalinkStats,
    recent_celebrations,
)
from saleshome.config import load_settings
from saleshome.operations import NO_ADMIN_TOKEN, keep_permalinks, set_banners
from saleshome.operations import clear_banners as clear_expired
from saleshome.operations.delivery import banners_line, permalinks_line
from saleshome.pipeline import celebrations_line
from saleshome.warehouse.control import control_db
from tasks.errors import retry_options
from tasks.events import emit_celebrations_queued

NO_EXPIRY_CHECK = "no Slack admin token (SALESHOME_SLACK_ADMIN_TOKEN): expired banners not checked"
_TASK: dict[str, Any] = {"cache_policy": NO_CACHE, "persist_result": False, **retry_options()}


def celebration_summary_key(alias: str) -> str:
    return f"celebration-summary-{alias}"


def celebrations_key(alias: str) -> str:
    return f"celebrations-{alias}"


def summary_rows(summary: CelebrationSummary) -> list[dict[str, Any]]:
    return [{"outcome": label, "count": value} for label, value in (
        ("wins in the run", summary.wins), ("celebrated", summary.celebrated), ("messages queued", summary.messages),
        ("banners queued", summary.banners), ("signed over 72 h ago", summary.too_late),
        ("won again within 3 days", summary.rewon_too_soon), ("already celebrated", summary.already),
        ("owner not a Sales member", summary.not_members), ("owner with no Slack account", summary.no_slack_user),
    )]


def report_celebrations(summary: CelebrationSummary, workspace: str) -> None:
    """The table artifact ``celebration-summary-<alias>`` of what the run's wins became, and its event."""
    create_table_artifact(key=celebration_summary_key(summary.alias), table=summary_rows(summary),
                          description=f"**{celebrations_line(summary)}** (run `{summary.run_id}`)")
    emit_celebrations_queued(summary, workspace)


@task(task_run_name="banners", **_TASK)
def apply_celebration_banners() -> BannerStats | None:
    """Set the queued banners on the owners' Slack profiles (admin token); None when no admin token is set."""
    settings = load_settings()
    stats = set_banners(control_db(settings), settings)
    if stats is None:
        get_run_logger().warning(NO_ADMIN_TOKEN)
        return None
    get_run_logger().info(banners_line(stats))
    return stats


@task(task_run_name="permalinks-{alias}", **_TASK)
def store_celebration_permalinks(alias: str) -> PermalinkStats:
    """Keep the permalink of every posted celebration message; table the org's recent celebrations."""
    settings = load_settings()
    control = control_db(settings)
    stats = keep_permalinks(control, settings)
    get_run_logger().info(permalinks_line(stats))
    recent = recent_celebrations(control, alias=alias, since=datetime.now(UTC) - CELEBRATION_WINDOW)
    if recent:
        create_table_artifact(key=celebrations_key(alias), table=[{
            "opportunity": r["opportunity_id"], "owner (Slack)": r["slack_user_id"] or "",
            "signed": r["signed_at"].isoformat(timespec="seconds") if r["signed_at"] else "",
            "amount": f"{r['amount']} {r['currency'] or ''}".strip(), "banner": r["banner_state"] or "",
            "banner note": r["banner_reason"] or "", "permalinks": " ".join(r["permalinks"] or []),
        } for r in recent], description=f"Celebrations of {alias} in the last three days (share a permalink to "
                                         "share the message)")
    return stats


@task(task_run_name="clear-expired-banners", **_TASK)
def clear_banners() -> HousekeepingStats | None:
    """Clear our banners that are past their expiry and still shown (idempotent); None without an admin token."""
    settings = load_settings()
    stats = clear_expired(control_db(settings), settings)
    if stats is None:
        get_run_logger().warning(NO_EXPIRY_CHECK)
        return None
    get_run_logger().info(f"banner expiry: {stats.checked} checked, {stats.cleared} cleared, {stats.gone} already "
                          f"gone, {stats.kept} kept (a later banner of ours)")
    return stats
