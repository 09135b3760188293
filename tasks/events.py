"""The Prefect events of the Sales Home pipelines: what automations react to.

One event per outcome, named here once:

- ``saleshome.sync.completed`` / ``saleshome.sync.failed`` / ``saleshome.sync.paused_for_quota``
  — the end of every sync of an org (``sales-home``, ``sync`` and ``backfill`` runs alike),
  also when the run could not start (a refused login, a spent budget);
- ``saleshome.notifications.evaluated`` — an org's notifications evaluated over a sync run;
- ``saleshome.celebrations.queued`` — won deals of a run celebrated (messages and banners queued);
- ``saleshome.outbox.dead_lettered`` — a publish left messages dead-lettered or blocked.

The resource is the org, ``saleshome.org.<alias>`` (labels: its alias as name, the workspace),
except for the outbox, which drains every org's messages: its resource is the workspace,
``saleshome.workspace.<workspace>``.  The sync run is a related resource
(``saleshome.sync-run.<run id>``, role ``sync-run``); Prefect adds the flow run, flow,
deployment and tags of the run that emitted the event.  Payloads hold figures and reasons
only: never a record, a message text or a credential.  Emitting never fails a run: an event
that cannot be sent is logged and dropped.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prefect.events import Event, emit_event
from prefect.exceptions import EventTooLarge
from prefect.logging import get_logger

from saleshome.celebrate import CelebrationSummary
from saleshome.errors import QuotaExceededError, SalesHomeError
from saleshome.notify.evaluate import EvaluationSummary
from saleshome.publish.publisher import PublishStats
from saleshome.sync.results import SyncResult
from saleshome.sync.states import RunState

SYNC_COMPLETED = "saleshome.sync.completed"
SYNC_FAILED = "saleshome.sync.failed"
SYNC_PAUSED_FOR_QUOTA = "saleshome.sync.paused_for_quota"
NOTIFICATIONS_EVALUATED = "saleshome.notifications.evaluated"
CELEBRATIONS_QUEUED = "saleshome.celebrations.queued"
OUTBOX_DEAD_LETTERED = "saleshome.outbox.dead_lettered"
EVENTS = (SYNC_COMPLETED, SYNC_FAILED, SYNC_PAUSED_FOR_QUOTA, NOTIFICATIONS_EVALUATED, CELEBRATIONS_QUEUED,
          OUTBOX_DEAD_LETTERED)

ORG_RESOURCE_PREFIX = "saleshome.org."
WORKSPACE_RESOURCE_PREFIX = "saleshome.workspace."
SYNC_RUN_RESOURCE_PREFIX = "saleshome.sync-run."
_SYNC_EVENTS = {RunState.COMPLETED: SYNC_COMPLETED, RunState.FAILED: SYNC_FAILED,
                RunState.PAUSED_FOR_QUOTA: SYNC_PAUSED_FOR_QUOTA}


# ---------------------------------------------------------------------------------------- resources
def org_resource(alias: str, workspace: str) -> dict[str, str]:
    """The org as an event's resource: ``saleshome.org.<alias>``."""
    return {"prefect.resource.id": f"{ORG_RESOURCE_PREFIX}{alias}", "prefect.resource.name": alias,
            "saleshome.workspace": workspace}


def workspace_resource(workspace: str) -> dict[str, str]:
    """The Slack workspace as an event's resource: ``saleshome.workspace.<workspace>``."""
    return {"prefect.resource.id": f"{WORKSPACE_RESOURCE_PREFIX}{workspace}", "prefect.resource.name": workspace}


def _sync_run(run_id: str | None) -> list[dict[str, str]]:
    if run_id is None:
        return []
    return [{"prefect.resource.id": f"{SYNC_RUN_RESOURCE_PREFIX}{run_id}", "prefect.resource.role": "sync-run",
             "prefect.resource.name": run_id}]


# ---------------------------------------------------------------------------------------- payloads
def sync_payload(result: SyncResult, *, now: datetime | None = None) -> dict[str, Any]:
    """A sync run in figures: objects, rows inserted/updated/deleted/purged, seconds, API calls, budget left."""
    now = now or datetime.now(UTC)
    objects = result.objects
    payload: dict[str, Any] = {
        "run_id": result.run_id,
        "kind": result.kind,
        "objects": len(objects),
        "inserted": sum(o.inserted for o in objects),
        "updated": sum(o.updated for o in objects),
        "deleted": sum(o.deleted for o in objects),
        "undeleted": sum(o.undeleted for o in objects),
        "purged": sum(o.purged for o in objects),
        "rows_read": sum(o.rows_read for o in objects),
        "seconds": round((now - result.started_at).total_seconds(), 2),
        "api_calls": result.api_calls,
        "api_requests_left": None,
        "api_requests_max": None,
        "per_object": {o.object: {"inserted": o.inserted, "updated": o.updated, "deleted": o.deleted,
                                  "purged": o.purged, "api_calls": o.api_calls, "seconds": round(o.seconds, 2)}
                       for o in objects},
    }
    if result.api_usage is not None:
        used, total = result.api_usage
        payload["api_requests_left"], payload["api_requests_max"] = total - used, total
    if result.status == RunState.FAILED:
        payload["error"] = result.error
    elif result.status == RunState.PAUSED_FOR_QUOTA:
        payload["reason"] = result.error
    return payload


def error_text(exc: BaseException) -> str:
    """What an event says about an error: a ``SalesHomeError``'s message (never a secret), else its type and text."""
    return exc.message if isinstance(exc, SalesHomeError) else f"{type(exc).__name__}: {exc}"[:500]


# ---------------------------------------------------------------------------------------- emitters
def _emit(event: str, resource: dict[str, str], payload: dict[str, Any],
          related: list[dict[str, str]] | None = None) -> Event | None:
    try:
        return emit_event(event=event, resource=resource, related=related, payload=payload)
    except EventTooLarge:  # the only error emit_event lets through
        get_logger(__name__).warning("event %s of %s too large to send: dropped", event, resource["prefect.resource.id"])
        return None


def emit_sync_outcome(result: SyncResult, workspace: str) -> Event | None:
    """``saleshome.sync.completed``, ``.failed`` or ``.paused_for_quota`` for a run that started."""
    name = _SYNC_EVENTS.get(RunState(result.status))
    if name is None:  # still running: nothing ended
        return None
    return _emit(name, org_resource(result.alias, workspace), sync_payload(result), _sync_run(result.run_id))


def emit_sync_not_started(alias: str, workspace: str, kind: str | None, exc: BaseException) -> Event | None:
    """``saleshome.sync.paused_for_quota`` (a spent budget) or ``saleshome.sync.failed`` for a run that could not start."""
    paused = isinstance(exc, QuotaExceededError)
    status = RunState.PAUSED_FOR_QUOTA if paused else RunState.FAILED
    nothing = SyncResult(alias, "", kind or "", status=status, error=error_text(exc))
    # the same keys as a run that started, all zero; no run id, and no kind unless one was asked for
    payload = {**sync_payload(nothing, now=nothing.started_at), "run_id": None, "kind": kind}
    return _emit(SYNC_PAUSED_FOR_QUOTA if paused else SYNC_FAILED, org_resource(alias, workspace), payload)


def emit_notifications_evaluated(summary: EvaluationSummary, workspace: str) -> Event | None:
    """``saleshome.notifications.evaluated``: what one evaluation of an org's notifications matched and queued."""
    return _emit(
        NOTIFICATIONS_EVALUATED, org_resource(summary.alias, workspace), related=_sync_run(summary.run_id),
        payload={"run_id": summary.run_id, "notifications": summary.notifications, "matched": summary.matched,
                 "messages": summary.messages, "digest_items": summary.digest_items, "cooled": summary.cooled,
                 "not_member": summary.not_member, "unmapped_users": len(summary.unmapped_users),
                 "silent": summary.silent, "warnings": len(summary.warnings), "seconds": round(summary.seconds, 2),
                 "queued": {r.name: r.queued for r in summary.results if r.queued}},
    )


def emit_celebrations_queued(summary: CelebrationSummary, workspace: str) -> Event | None:
    """``saleshome.celebrations.queued`` when a run's won deals were celebrated (nothing when none was)."""
    if not summary.celebrated:
        return None
    return _emit(
        CELEBRATIONS_QUEUED, org_resource(summary.alias, workspace), related=_sync_run(summary.run_id),
        payload={"run_id": summary.run_id, "wins": summary.wins, "celebrated": summary.celebrated,
                 "messages": summary.messages, "banners": summary.banners,
                 "no_slack_user": summary.no_slack_user, "not_members": summary.not_members},
    )


def emit_dead_letters(stats: PublishStats, workspace: str, backlog: dict[str, int]) -> Event | None:
    """``saleshome.outbox.dead_lettered`` when a publish dead-lettered or blocked messages (nothing otherwise)."""
    if not stats.dead and not stats.blocked:
        return None
    return _emit(
        OUTBOX_DEAD_LETTERED, workspace_resource(workspace),
        payload={"count": stats.dead + stats.blocked, "dead": stats.dead, "blocked": stats.blocked,
                 "reasons": dict(stats.dead_reasons), "blocked_reasons": dict(stats.blocked_reasons),
                 "sent": stats.sent, "outbox": dict(backlog)},
    )
