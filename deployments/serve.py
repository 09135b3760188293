"""Serve the Sales Home deployments from one long-running process, without a work pool or worker.

    .venv/bin/python -m deployments.serve

The same deployments as ``prefect.yaml`` (``sales-home`` every 10 minutes, ``digest`` and
``housekeeping`` hourly, manual ``sync`` and ``backfill``), for a single machine; runs execute
in this process.  Nothing happens at import.
"""

from __future__ import annotations

from typing import cast

from prefect import serve
from prefect.deployments.runner import RunnerDeployment

from flows.sales_home import digest, housekeeping, sales_home_all
from flows.sync import backfill, sync_all_orgs

SYNC_INTERVAL_SECONDS = 600
DIGEST_CRON = "0 * * * *"  # digests go out at the recipients' local hour
HOUSEKEEPING_CRON = "30 * * * *"


def main() -> None:
    """Register the deployments with the Prefect API and run their flow runs here until stopped."""
    deployments = [
        sales_home_all.to_deployment(
            name="sales-home", interval=SYNC_INTERVAL_SECONDS, concurrency_limit=1, tags=["sales-home", "sync"],
            description="Sync every org, evaluate notifications, celebrate won deals, publish to Slack.",
        ),
        digest.to_deployment(
            name="digest", cron=DIGEST_CRON, concurrency_limit=1, tags=["notifications", "digest"],
            description="Time-based notifications and notification digests, at each recipient's local hour.",
        ),
        housekeeping.to_deployment(
            name="housekeeping", cron=HOUSEKEEPING_CRON, concurrency_limit=1, tags=["housekeeping"],
            description="Clear expired celebration banners; report dead-lettered messages.",
        ),
        sync_all_orgs.to_deployment(  # manual here: sales-home syncs every org already
            name="sync", concurrency_limit=1, tags=["sync"],
            description="Incremental sync of every connected Salesforce org into DuckDB (no notification).",
        ),
        backfill.to_deployment(
            name="backfill", enforce_parameter_schema=True, tags=["sync", "backfill"],
            description="Re-read a time window of one org's objects (cursors never move backwards).",
        ),
    ]
    # Called from sync code, to_deployment returns the deployment itself (never a coroutine).
    serve(*(cast(RunnerDeployment, d) for d in deployments))


if __name__ == "__main__":
    main()
