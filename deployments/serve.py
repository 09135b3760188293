"""Serve the Sales Home deployments from one long-running process, without a work pool or worker.

    .venv/bin/saleshome serve            (or: .venv/bin/python -m deployments.serve)

The same deployments as ``prefect.yaml`` (``sales-home`` every 10 minutes, ``digest`` and
``housekeeping`` hourly, ``sync`` with its schedule paused, manual ``backfill`` with its
parameters enforced), for a single machine; runs execute in this process's children.
:func:`build_deployments` builds them without registering anything (tests compare them with
``prefect.yaml``); :func:`main` registers them with the Prefect API and serves them.  Nothing
happens at import.
"""

from __future__ import annotations

from typing import Any, cast

from prefect import serve
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron, Interval

from flows.sales_home import digest, housekeeping, sales_home_all
from flows.sync import backfill, sync_all_orgs

SYNC_INTERVAL_SECONDS = 600
DIGEST_CRON = "0 * * * *"  # digests go out at the recipients' local hour
HOUSEKEEPING_CRON = "30 * * * *"
TIMEZONE = "UTC"


def build_deployments() -> list[RunnerDeployment]:
    """The deployments of ``prefect.yaml`` as runner deployments (names, schedules, tags, limits); nothing is sent."""
    every_ten_minutes = Interval(SYNC_INTERVAL_SECONDS, timezone=TIMEZONE)
    deployments: list[Any] = [
        sales_home_all.to_deployment(
            name="sales-home", schedules=[every_ten_minutes], concurrency_limit=1, tags=["sales-home", "sync"],
            description="Sync every org, evaluate notifications, celebrate won deals, publish to Slack.",
        ),
        # Its schedule paused, as in prefect.yaml: sales-home syncs every org already.
        sync_all_orgs.to_deployment(
            name="sync", schedules=[Interval(SYNC_INTERVAL_SECONDS, timezone=TIMEZONE, active=False)],
            concurrency_limit=1, tags=["sync"],
            description="Incremental sync of every connected Salesforce org into DuckDB (no notification).",
        ),
        backfill.to_deployment(
            name="backfill", enforce_parameter_schema=True, tags=["sync", "backfill"],
            description="Re-read a time window of one org's objects (cursors never move backwards).",
        ),
        digest.to_deployment(
            name="digest", schedules=[Cron(DIGEST_CRON, timezone=TIMEZONE)], concurrency_limit=1,
            tags=["notifications", "digest"],
            description="Time-based notifications and notification digests, at each recipient's local hour.",
        ),
        housekeeping.to_deployment(
            name="housekeeping", schedules=[Cron(HOUSEKEEPING_CRON, timezone=TIMEZONE)], concurrency_limit=1,
            tags=["housekeeping"], description="Clear expired celebration banners; report dead-lettered messages.",
        ),
    ]
    # Called from sync code, to_deployment returns the deployment itself (never a coroutine).
    return [cast(RunnerDeployment, d) for d in deployments]


def main() -> None:
    """Register the deployments with the Prefect API and run their flow runs here until stopped."""
    serve(*build_deployments())


if __name__ == "__main__":
    main()
