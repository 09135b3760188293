"""Task retries wired to the project's error tree: retry what is transient, never a spent quota.

Salesforce calls already retry transient failures inside the client (backoff and jitter);
a task retry is the next layer, for a batch that failed as a whole (a lock held too long,
the org unreachable for a while).  ``QuotaExceededError`` is retriable in the tree (it
passes with time) but retrying it now would only spend more of the budget: the run pauses
instead and resumes at its next schedule.
"""

from __future__ import annotations

from typing import Any

from prefect.client.schemas.objects import State, TaskRun
from prefect.tasks import exponential_backoff

from saleshome.errors import QuotaExceededError, is_retriable

TASK_RETRIES = 3
RETRY_JITTER = 0.5


def should_retry(exc: BaseException | None) -> bool:
    """True for a ``RetriableError`` that is not a spent quota."""
    return exc is not None and is_retriable(exc) and not isinstance(exc, QuotaExceededError)


def retry_if_retriable(task: Any, task_run: TaskRun, state: State[Any]) -> bool:
    """Prefect ``retry_condition_fn``: retry a failed task run only for :func:`should_retry` errors."""
    outcome = state.result(raise_on_failure=False)
    return isinstance(outcome, BaseException) and should_retry(outcome)


def retry_options() -> dict[str, Any]:
    """Keyword arguments for ``@task``: a few retries, exponential backoff with jitter, only when retriable."""
    return {
        "retries": TASK_RETRIES,
        "retry_delay_seconds": exponential_backoff(backoff_factor=5),
        "retry_jitter_factor": RETRY_JITTER,
        "retry_condition_fn": retry_if_retriable,
    }
