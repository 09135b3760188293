"""Serve the Sales Home deployments from one long-running process, without a work pool or worker.

    .venv/bin/python -m deployments.serve

The same deployments as ``prefect.yaml`` (``sync`` every 10 minutes, manual ``backfill``),
for a single machine; runs execute in this process.  Nothing happens at import.
"""

from __future__ import annotations

from typing import cast

from prefect import serve
from prefect.deployments.runner import RunnerDeployment

from flows.sync import backfill, sync_all_orgs

SYNC_INTERVAL_SECONDS = 600


def main() -> None:
    """Register both deployments with the Prefect API and run their flow runs here until stopped."""
    sync = sync_all_orgs.to_deployment(
        name="sync", interval=SYNC_INTERVAL_SECONDS, concurrency_limit=1, tags=["sync"],
        description="Incremental sync of every connected Salesforce org into DuckDB.",
    )
    manual_backfill = backfill.to_deployment(
        name="backfill", enforce_parameter_schema=True, tags=["sync", "backfill"],
        description="Re-read a time window of one org's objects (cursors never move backwards).",
    )
    # Called from sync code, to_deployment returns the deployment itself (never a coroutine).
    serve(cast(RunnerDeployment, sync), cast(RunnerDeployment, manual_backfill))


if __name__ == "__main__":
    main()
