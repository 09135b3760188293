"""The states a sync writes, as ``StrEnum``s: members equal the strings stored in the control database.

- :class:`RunState`: ``sync_runs.status``, one run of one org (``crashed``: read, never written by
  the run itself — see :mod:`saleshome.sync.runs`).
- :class:`OrgState`: ``orgs.status``, the org as its last run left it.
- :class:`ObjectPath`: how an object's rows came in one run (``object_state.last_path``, the summaries'
  ``path`` column): ``rest``, ``bulk``, ``mixed`` (windows of both) or ``none`` (nothing read yet).
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["PATH_LABELS", "ObjectPath", "OrgState", "RunState"]


class RunState(StrEnum):
    """``sync_runs.status``."""

    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    PAUSED_FOR_QUOTA = "paused_for_quota"
    CRASHED = "crashed"  # its process died while it ran


class OrgState(StrEnum):
    """``orgs.status``."""

    NEW = "new"
    SYNCING = "syncing"
    OK = "ok"
    FAILED = "failed"
    PAUSED_FOR_QUOTA = "paused_for_quota"
    CRASHED = "crashed"  # shown while its latest run is a crashed one (never stored)


class ObjectPath(StrEnum):
    REST = "rest"
    BULK = "bulk"
    MIXED = "mixed"
    NONE = "none"


PATH_LABELS: dict[str, str] = {ObjectPath.REST: "REST", ObjectPath.BULK: "Bulk", ObjectPath.MIXED: "REST+Bulk",
                               ObjectPath.NONE: "-"}
