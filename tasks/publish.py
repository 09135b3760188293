"""The publish task: one drain of the outbox (a batch of messages, never one message per task)."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger

from saleshome.config import load_settings
from saleshome.slack.outbox import counts, dead_letters
from saleshome.slack.publisher import PublishStats
from saleshome.slack.setup import publisher_from_settings
from saleshome.warehouse.control import ControlDB
from tasks.errors import retry_options


@task(task_run_name="publish-outbox", cache_policy=NO_CACHE, **retry_options())
def publish_outbox() -> PublishStats:
    """Send what the outbox holds, within Slack's rate limits; report what happened."""
    settings = load_settings()
    stats = publisher_from_settings(settings).publish()
    control = ControlDB(settings.control_db, lock_timeout=settings.lock_timeout_seconds)
    backlog = counts(control)
    get_run_logger().info(
        "published: %d sent, %d found already sent, %d to retry, %d rate-limit waits, %d dead-lettered, %d blocked; "
        "backlog %s", stats.sent, stats.reconciled, stats.retried, stats.rate_limit_waits, stats.dead, stats.blocked,
        backlog,
    )
    rows = [
        {"outcome": "sent", "count": stats.sent},
        {"outcome": "already sent (reconciled)", "count": stats.reconciled},
        {"outcome": "retried later", "count": stats.retried},
        {"outcome": "rate-limit waits", "count": stats.rate_limit_waits},
        {"outcome": "dead-lettered", "count": stats.dead},
        {"outcome": "blocked by restrictions", "count": stats.blocked},
    ]
    rows += [{"outcome": f"dead: {reason}", "count": n} for reason, n in stats.dead_reasons.items()]
    rows += [{"outcome": f"blocked: {reason}", "count": n} for reason, n in stats.blocked_reasons.items()]
    create_table_artifact(key="publish-summary", table=rows, description="What the last publish run did")
    dead = dead_letters(control)
    if dead:
        create_table_artifact(
            key="dead-letters",
            table=[{k: str(v) for k, v in d.items()} for d in dead],
            description="Dead-lettered and blocked messages: fix the cause, then `saleshome outbox retry KEY`",
        )
    return stats
