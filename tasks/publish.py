"""The publish task: one drain of the outbox (a batch of messages, never one message per task).

A drain that dead-letters or blocks messages emits ``saleshome.outbox.dead_lettered`` for the
workspace (``tasks.events``), with the count and the reasons.
"""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger

from saleshome.config import load_settings
from saleshome.operations import publish_messages
from saleshome.operations.dead_letters import dead_letter_rows
from saleshome.operations.delivery import published_line
from saleshome.publish.publisher import PublishStats
from saleshome.warehouse.control import control_db
from saleshome.warehouse.outbox import counts, dead_letters
from tasks.errors import retry_options
from tasks.events import emit_dead_letters


@task(task_run_name="publish-outbox", cache_policy=NO_CACHE, **retry_options())
def publish_outbox() -> PublishStats:
    """Send what the outbox holds, within Slack's rate limits; report what happened."""
    settings = load_settings()
    control = control_db(settings)
    stats = publish_messages(control, settings)
    backlog = counts(control)
    emit_dead_letters(stats, settings.workspace, backlog)  # saleshome.outbox.dead_lettered, when any
    get_run_logger().info("%s; backlog %s", published_line(stats), backlog)
    rows = [
        {"outcome": "sent", "count": stats.sent},
        {"outcome": "already sent (confirmed in Slack history)", "count": stats.reconciled},
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


DEAD_LETTER_REPORT_KEY = "dead-letter-report"


@task(task_run_name="dead-letter-report", cache_policy=NO_CACHE, **retry_options())
def report_dead_letters() -> int:
    """The outbox's dead letters and blocked messages as a table artifact (newest first); returns how many.

    What to do with them: fix the cause given in ``reason`` (the app not in a channel, a restriction,
    an archived channel...), then ``saleshome outbox retry KEY``.
    """
    settings = load_settings()
    control = control_db(settings)
    dead = dead_letters(control, limit=500)
    backlog = counts(control)
    rows = dead_letter_rows(dead)
    logger = get_run_logger()
    (logger.warning if dead else logger.info)(
        "dead letters: %d dead or blocked; outbox %s", len(dead), backlog or "empty")
    create_table_artifact(
        key=DEAD_LETTER_REPORT_KEY, table=rows or [{"key": "", "kind": "", "channel": "", "state": "none",
                                                    "reason": "no dead letter", "attempts": 0, "queued": ""}],
        description=f"**{len(dead)} dead-lettered or blocked message(s)**; outbox: "
                    + (", ".join(f"{n} {state}" for state, n in sorted(backlog.items())) or "empty")
                    + ". Fix the cause, then `saleshome outbox retry KEY`.",
    )
    return len(dead)
