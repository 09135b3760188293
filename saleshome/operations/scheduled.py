"""The hourly operations: the digest step and housekeeping, Prefect-free.

:func:`run_digest` is what ``saleshome digest`` runs and what the ``digest`` deployment runs as
tasks (``evaluate-scheduled-<alias>`` per org, ``digests``, ``publish-outbox``), each calling
the same function: :func:`saleshome.notify.evaluate.evaluate_scheduled` for every connected
org (time-based notifications, at most once per record and period), then
:func:`saleshome.notify.digest.run_digests` (the digests whose recipients' local hour has come,
never two for one period), then :func:`~saleshome.operations.delivery.publish_messages`.

:func:`run_housekeeping` is what ``saleshome housekeeping`` runs and what the ``housekeeping``
deployment runs as tasks (``clear-expired-banners``, ``dead-letter-report``):
:func:`clear_banners` (our banners past their expiry still shown; None without an admin token)
and the dead letters.  Both refuse, before anything, on a workspace whose plan does not
include Sales Home.  Safe to run any number of times.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from saleshome.celebrate import HousekeepingStats, clear_expired_banners
from saleshome.config import Settings
from saleshome.notify.digest import DigestSummary, run_digests
from saleshome.notify.evaluate import EvaluationSummary, evaluate_scheduled
from saleshome.publish.publisher import Progress, PublishStats
from saleshome.settings.orgs import list_orgs
from saleshome.settings.workspace import require_sales_home_for
from saleshome.warehouse.control import ControlDB
from saleshome.warehouse.outbox import counts, dead_letters, queued_by_kind

from .delivery import publish_messages

DEAD_LETTERS_REPORTED = 500  # newest dead letters a housekeeping run reports


@dataclass
class DigestRun:
    """What one digest step did: per org its time-based notifications, the digests queued, the publish."""

    scheduled: list[EvaluationSummary]
    digests: DigestSummary
    published: PublishStats
    left: dict[str, int] = field(default_factory=dict)  # outbox items still queued afterwards, per kind


@dataclass
class HousekeepingRun:
    banners: HousekeepingStats | None  # None: no admin token, expired banners not checked
    dead_letters: int  # dead-lettered and blocked items
    dead: list[dict[str, Any]] = field(default_factory=list)  # the newest of them
    backlog: dict[str, int] = field(default_factory=dict)  # outbox items per state


def evaluate_time_based(control: ControlDB, settings: Settings, now: datetime | None = None) -> list[EvaluationSummary]:
    """Every connected org's time-based notifications as of ``now`` (default: the present)."""
    return [evaluate_scheduled(control, settings, org.alias, now=now) for org in list_orgs(control, settings)]


def run_digest(control: ControlDB, settings: Settings, now: datetime | None = None, *,
               on_progress: Progress | None = None) -> DigestRun:
    """Time-based notifications of every org, the digests due at ``now``, then publish (module docstring)."""
    require_sales_home_for(control, settings)
    scheduled = evaluate_time_based(control, settings, now)
    digests = run_digests(control, settings, now)
    published = publish_messages(control, settings, on_progress=on_progress)
    return DigestRun(scheduled, digests, published, left=queued_by_kind(control))


def clear_banners(control: ControlDB, settings: Settings, now: datetime | None = None) -> HousekeepingStats | None:
    """Clear our expired banners still shown (:func:`saleshome.celebrate.clear_expired_banners`); None
    without an admin token (no banner of ours can be cleared, nor checked)."""
    if settings.slack_admin_token is None:
        return None
    return clear_expired_banners(control, settings, now)


def run_housekeeping(control: ControlDB, settings: Settings, now: datetime | None = None) -> HousekeepingRun:
    """Clear the expired banners; count and list the dead letters and blocked messages (newest first)."""
    require_sales_home_for(control, settings)
    banners = clear_banners(control, settings, now)
    backlog = counts(control)
    return HousekeepingRun(banners, backlog.get("dead", 0) + backlog.get("blocked", 0),
                           dead_letters(control, limit=DEAD_LETTERS_REPORTED), backlog)
