"""The publish flow: drain the outbox into Slack (order per channel, rate limits, no duplicate).

It first checks that the workspace's Slack plan includes Sales Home, and fails saying which
plans do when it does not (nothing is sent).
"""

from __future__ import annotations

from prefect import flow

from saleshome.config import load_settings
from saleshome.publish.publisher import PublishStats
from saleshome.settings.workspace import require_sales_home_for
from saleshome.warehouse.control import control_db
from tasks.publish import publish_outbox


@flow(flow_run_name="publish")
def publish() -> PublishStats:
    """Publish every ready message of the outbox, and report sent, retried, waits, dead letters, blocked."""
    settings = load_settings()
    require_sales_home_for(control_db(settings), settings)
    return publish_outbox()
