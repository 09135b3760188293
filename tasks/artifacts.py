"""What a sync run shows in Prefect: a summary table, a progress bar during initial syncs, a log line per object.

Artifact keys use lowercase letters, digits and dashes only (org aliases already do).
Nothing here ever holds a credential: the rows come from ``saleshome.sync.summary``.
Prefect's artifact functions are always called in their sync form (:func:`sync_call`): the steps of an
async flow run (``flows.sync.sync_org``) run in worker threads, where Prefect would hand back coroutines.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, cast
from uuid import UUID

from prefect.artifacts import create_progress_artifact, create_table_artifact, update_progress_artifact
from prefect.context import FlowRunContext
from prefect.logging import get_run_logger

from saleshome.sync.results import ObjectResult, SyncResult
from saleshome.sync.summary import object_line, run_line, summary_rows


def summary_key(alias: str) -> str:
    return f"sync-summary-{alias}"


def progress_key(alias: str) -> str:
    return f"sync-progress-{alias}"


def sync_call(prefect_function: Callable[..., Any], **kwargs: Any) -> Any:
    """Call one of Prefect's sync-or-async functions (``create_table_artifact``...) in its sync form: inside an
    async flow run Prefect would pick the async one (a coroutine nobody awaits) by the flow, not the thread."""
    return prefect_function(**kwargs, _sync=True)


def publish_summary(result: SyncResult) -> UUID:
    """The run's table artifact: per object inserted, updated, deleted, purged, cursor, API calls, path, seconds."""
    artifact = sync_call(
        create_table_artifact,
        key=summary_key(result.alias),
        table=summary_rows(result),
        description=f"**{run_line(result)}** (run `{result.run_id}`)",
    )
    return cast(UUID, artifact)  # the sync form: the id itself, never a coroutine


def flow_logger() -> Any:
    """The logger of the flow run being run (also when a task of a parent flow called that flow)."""
    return get_run_logger(FlowRunContext.get())


def log_object(alias: str, result: ObjectResult) -> None:
    """One readable log line about one synced object, in the flow run's logs."""
    flow_logger().info(object_line(alias, result))


PROGRESS_UPDATE_SECONDS = 5.0  # the progress artifact is updated at most this often, and when an object is done


class ProgressArtifact:
    """The engine's progress callback, shown as one Prefect progress artifact across all objects.

    The engine reports after every window (dozens per large object); each update is a call to the Prefect
    API made from the loading thread, so updates are spaced (:data:`PROGRESS_UPDATE_SECONDS`), except
    the one that says an object is done."""

    def __init__(self, alias: str, objects: list[str]) -> None:
        self.alias = alias
        self.objects = objects
        self._fractions: dict[str, float] = {}
        self._updated = time.monotonic()
        self.artifact_id = cast(UUID, sync_call(
            create_progress_artifact, progress=0.0, key=progress_key(alias),
            description=f"Initial sync of {alias}: starting",
        ))

    @property
    def percent(self) -> float:
        return 100.0 * sum(self._fractions.values()) / max(len(self.objects), 1)

    def __call__(self, obj: str, done: int, expected: int) -> None:
        self._fractions[obj] = 1.0 if expected == 0 else min(done / expected, 1.0)
        now = time.monotonic()
        if self._fractions[obj] < 1.0 and now - self._updated < PROGRESS_UPDATE_SECONDS:
            return
        self._updated = now
        sync_call(
            update_progress_artifact, artifact_id=self.artifact_id, progress=self.percent,
            description=f"Initial sync of {self.alias}: {obj} {done:,}/{expected:,} rows",
        )
