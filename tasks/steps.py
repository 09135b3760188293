"""The Prefect step runner: each step of an org's pipeline as a task run, and what a run shows in Prefect.

:class:`TaskSteps` is the :class:`saleshome.sync.steps.StepRunner` the flows hand to the one
sync loop and the one pipeline (``saleshome.sync.engine.sync_org``, ``saleshome.pipeline.run_org``).
Each step becomes a task run named ``<step>-<org>`` (``open-acme``, ``lists-acme``, ``users-acme``,
``evaluate-acme``, ``celebrate-acme``) or ``sync-<org>-<object>``, retried only when its error is
retriable (``tasks.errors``), never cached or persisted (a result holds records or a live connection).
After a step, its report: a log line per object, the user map's and the evaluation's lines, the
celebration table and the events automations react to (``tasks.events``).  The run's progress
artifact (initial syncs), its summary table and its outcome event come from the runner's hooks, also
when the run fails or cannot start.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger

from saleshome.celebrate import CelebrationSummary
from saleshome.notify.evaluate import EvaluationSummary
from saleshome.pipeline import NO_BOT_TOKEN, celebrations_line, notifications_line, users_line
from saleshome.slack.users import MappingReport
from saleshome.sync.results import ObjectResult, Progress, SyncResult
from saleshome.sync.steps import Step, StepRunner
from tasks.artifacts import ProgressArtifact, log_object, publish_summary
from tasks.celebrate import report_celebrations
from tasks.errors import retry_options
from tasks.events import emit_notifications_evaluated, emit_sync_not_started, emit_sync_outcome

T = TypeVar("T")


@task(task_run_name="{step}-{alias}{detail}", cache_policy=NO_CACHE, persist_result=False, **retry_options())
def step(step: str, alias: str, detail: str, fn: Callable[[], Any]) -> Any:
    """One step of an org's pipeline (``detail``: ``-<object>`` for an object's step, else empty)."""
    return fn()


class TaskSteps(StepRunner):
    """Run each step as a Prefect task run of the current flow run, and show the run in Prefect."""

    def __init__(self, workspace: str) -> None:
        self.workspace = workspace

    def run(self, step_: Step, alias: str, fn: Callable[[], T], *, obj: str | None = None) -> T:
        def reported() -> T:
            outcome = fn()
            self.report(step_, alias, outcome)
            return outcome

        return cast(T, step(str(step_), alias, f"-{obj}" if obj else "", reported))  # sync task: its result

    def report(self, step_: Step, alias: str, outcome: object) -> None:
        """What a step did, in the run's logs, artifacts and events."""
        if isinstance(outcome, ObjectResult):
            log_object(alias, outcome)
        elif step_ is Step.USERS:
            get_run_logger().info(users_line(alias, outcome) if isinstance(outcome, MappingReport)
                                  else f"{alias}: {NO_BOT_TOKEN}")
        elif isinstance(outcome, EvaluationSummary):
            get_run_logger().info(notifications_line(outcome))
            for warning in outcome.warnings:
                get_run_logger().warning(f"{alias}: {warning}")
            emit_notifications_evaluated(outcome, self.workspace)
        elif isinstance(outcome, CelebrationSummary):
            (get_run_logger().warning if outcome.skipped else get_run_logger().info)(celebrations_line(outcome))
            report_celebrations(outcome, self.workspace)

    def planned(self, alias: str, kind: str, objects: Sequence[str]) -> Progress | None:
        """Initial syncs show a progress artifact across all their objects."""
        return ProgressArtifact(alias, list(objects)) if kind == "initial" else None

    def closed(self, result: SyncResult) -> None:
        publish_summary(result)  # failed runs too: what was synced before the failure
        emit_sync_outcome(result, self.workspace)  # saleshome.sync.completed, .failed or .paused_for_quota

    def not_started(self, alias: str, kind: str | None, error: Exception) -> None:
        emit_sync_not_started(alias, self.workspace, kind, error)
