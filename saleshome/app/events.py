"""Slack events taken once: a retried delivery (``X-Slack-Retry-Num``) of an event already taken is acknowledged
and not processed again, whichever app process took the first one.

Slack retries an event it got no 2xx for within 3 seconds, with the same ``event_id`` (Events API: "Error
handling", "Retries": the ``X-Slack-Retry-Num`` and ``X-Slack-Retry-Reason`` headers; immediately, then after 1
and 5 minutes).  The first delivery of an ``event_id`` inserts its row in the control store's ``app_events``
(a primary key: of two processes taking the same event at once, one insert wins); a delivery whose insert finds
the row is answered 200 and goes no further.  The middleware runs after Bolt's signature check, so a forged
request never records anything.  Rows older than :data:`KEEP` are pruned as new events come (Slack's last retry
comes about 5 minutes after the first delivery).

An event is taken before it is processed (at most once): a process killed between taking an event and
acknowledging it loses that event, and Slack's retry of it is dropped as a duplicate.  For the Home tab this is
harmless — the member's next visit sends a new event — and processing an event twice would be worse (two
publishes racing, two single-use links minted).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_bolt.middleware import Middleware
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse

from saleshome.warehouse.control import ControlDB

__all__ = ["KEEP", "EventDeduplication", "first_delivery"]

KEEP = timedelta(hours=24)

log = logging.getLogger(__name__)


def first_delivery(control: ControlDB, event_id: str, *, team_id: str | None, event_type: str | None,
                   now: datetime | None = None) -> bool:
    """Record ``event_id`` as taken; False when it already was (by this process or another)."""
    now = now or datetime.now(UTC)
    with control.transaction() as db:
        db.execute("DELETE FROM app_events WHERE received_at < ?", [now - KEEP])
        inserted = db.execute("INSERT INTO app_events (event_id, team_id, event_type, received_at) "
                              "VALUES (?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING",
                              [event_id, team_id, event_type, now]).rowcount
    return inserted == 1


class EventDeduplication(Middleware):
    """Bolt middleware: an ``event_callback`` whose ``event_id`` was taken before is acknowledged, not processed."""

    def __init__(self, control: ControlDB) -> None:
        self.control = control

    def process(self, *, req: BoltRequest, resp: BoltResponse,
                next: Callable[[], BoltResponse]) -> BoltResponse | None:
        body: dict[str, Any] = req.body if isinstance(req.body, dict) else {}
        event_id = body.get("event_id")
        if body.get("type") != "event_callback" or not isinstance(event_id, str):
            return next()
        event = body.get("event") or {}
        if first_delivery(self.control, event_id, team_id=body.get("team_id"), event_type=event.get("type")):
            return next()
        retry = (req.headers.get("x-slack-retry-num") or ["?"])[0]
        log.info("event %s (retry %s) was taken before: acknowledged, not processed again", event_id, retry)
        return BoltResponse(status=200, body="")
