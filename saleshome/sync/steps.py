"""How the steps of one org's pipeline run: the hook between the engine's runner and whoever runs it.

There is one sync loop (:func:`saleshome.sync.engine.sync_org`: read-ahead, small objects loaded
two at a time, object states written with the run's) and one pipeline for an org
(:func:`saleshome.pipeline.run_org`: sync → user map → notifications → celebrations).  They
hand each step to a :class:`StepRunner`:

- :meth:`StepRunner.run` runs one step (open the run, sync one object, materialise the lists, map
  the users, evaluate, celebrate) and returns what it returned.  The default runs it inline; the
  Prefect runner (``tasks/steps.py``) runs it as a task run named ``<step>-<org>[-<object>]``,
  retried when its error is retriable.  A step may be run again after a failure: each one is
  idempotent (an object's windows start from its committed cursor; evaluation reads a watermark).
  Steps may be run from the engine's loader threads, in a copy of the caller's context.
- :meth:`planned`, :meth:`closed` and :meth:`not_started` let the runner show the run: a progress
  bar for the objects planned, a summary and an outcome event when the run closes (whatever the
  outcome), why a run could not start.

Nothing here knows Prefect: the core stays importable and testable without it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import TypeVar

from saleshome.sync.results import Progress, SyncResult

T = TypeVar("T")


class Step(StrEnum):
    """The steps of one org's pipeline (the first word of their task run names)."""

    OPEN = "open"  # log in, open the warehouse, fix the signpost
    OBJECT = "sync"  # one object: its windows, its Id reconciliation when due
    LISTS = "lists"  # the org's default list views materialised
    USERS = "users"  # the org's users mapped to Slack
    NOTIFICATIONS = "evaluate"  # the change-based notifications over the new changes
    CELEBRATIONS = "celebrate"  # the new wins


class StepRunner:
    """Runs every step inline and shows nothing: what the CLI and the tests use."""

    def run(self, step: Step, alias: str, fn: Callable[[], T], *, obj: str | None = None) -> T:
        """Run one step of ``alias``'s pipeline (``obj``: the object it works on)."""
        return fn()

    def planned(self, alias: str, kind: str, objects: Sequence[str]) -> Progress | None:
        """The run will sync ``objects``; a progress callback to report to, if this runner shows progress."""
        return None

    def closed(self, result: SyncResult) -> None:
        """The run closed (completed, paused for quota or failed: ``result.status`` says which)."""

    def not_started(self, alias: str, kind: str | None, error: Exception) -> None:
        """The run could not start (a refused login, a spent budget, a held warehouse)."""


INLINE = StepRunner()
