"""The publish flow: drain the outbox into Slack (order per channel, rate limits, no duplicate)."""

from __future__ import annotations

from prefect import flow

from saleshome.slack.publisher import PublishStats
from tasks.publish import publish_outbox


@flow(flow_run_name="publish")
def publish() -> PublishStats:
    """Publish every ready message of the outbox, and report sent, retried, waits, dead letters, blocked."""
    return publish_outbox()
