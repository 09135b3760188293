"""What a sync run reports: per object and for the whole run (what the CLI, the flows and the summaries show)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from saleshome.sync.states import ObjectPath, RunState
from saleshome.warehouse.orgdb import MergeStats

Progress = Callable[[str, int, int], None]  # (object, rows done, rows expected)


@dataclass
class ObjectResult:
    object: str
    path: str = ObjectPath.NONE
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    undeleted: int = 0
    purged: int = 0
    rows_read: int = 0
    cursor_before: datetime | None = None
    cursor_after: datetime | None = None
    api_calls: int = 0
    seconds: float = 0.0
    windows: int = 0
    schema_changes: list[str] = field(default_factory=list)
    error: str | None = None

    def add(self, stats: MergeStats) -> None:
        self.inserted += stats.inserted
        self.updated += stats.updated
        self.deleted += stats.deleted
        self.undeleted += stats.undeleted


@dataclass
class SyncResult:
    alias: str
    run_id: str
    kind: str
    status: str = RunState.RUNNING  # completed, failed, paused_for_quota
    objects: list[ObjectResult] = field(default_factory=list)
    api_calls: int = 0
    api_usage: tuple[int, int] | None = None
    error: str | None = None
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
