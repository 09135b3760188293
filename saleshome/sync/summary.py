"""What one sync run did, as rows and lines people read (CLI table, Prefect artifact, log lines)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from saleshome.sync.results import ObjectResult, SyncResult
from saleshome.sync.states import PATH_LABELS, RunState

SUMMARY_COLUMNS = (
    "object", "inserted", "updated", "deleted", "purged", "cursor before → after", "API calls", "path", "seconds",
)


def format_moment(moment: datetime | None) -> str:
    """A timestamp in UTC to the second (``-`` when there is none)."""
    if moment is None:
        return "-"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def format_duration(span: timedelta | None) -> str:
    """A short duration such as ``45s``, ``12m 05s``, ``3h 20m`` or ``2d 4h`` (``-`` when unknown)."""
    if span is None:
        return "-"
    seconds = max(0, int(span.total_seconds()))
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {seconds:02d}s"
    return f"{seconds}s"


def cursor_move(result: ObjectResult) -> str:
    """``before → after`` of an object's cursor."""
    return f"{format_moment(result.cursor_before)} → {format_moment(result.cursor_after)}"


def object_row(result: ObjectResult) -> dict[str, str | int | float]:
    """One object's line of the run summary (keys: :data:`SUMMARY_COLUMNS`)."""
    return {
        "object": result.object,
        "inserted": result.inserted,
        "updated": result.updated,
        "deleted": result.deleted,
        "purged": result.purged,
        "cursor before → after": cursor_move(result),
        "API calls": result.api_calls,
        "path": PATH_LABELS.get(result.path, result.path),
        "seconds": round(result.seconds, 2),
    }


def summary_rows(result: SyncResult) -> list[dict[str, str | int | float]]:
    """The run summary, one row per object synced."""
    return [object_row(o) for o in result.objects]


def object_line(alias: str, result: ObjectResult) -> str:
    """One readable sentence about one object (the flow logs one per object)."""
    return (
        f"{alias} {result.object}: {result.inserted} inserted, {result.updated} updated, {result.deleted} deleted, "
        f"{result.purged} purged; cursor {cursor_move(result)}; {result.api_calls} API calls via "
        f"{PATH_LABELS.get(result.path, result.path)} in {result.seconds:.2f}s"
    )


def run_line(result: SyncResult) -> str:
    """One sentence about a whole run: kind, outcome, API calls, budget."""
    outcomes: dict[str, str] = {RunState.COMPLETED: "completed", RunState.PAUSED_FOR_QUOTA: "paused for quota",
                                RunState.FAILED: "failed"}
    outcome = outcomes.get(
        result.status, result.status
    )
    line = f"{result.alias}: {result.kind} sync {outcome} ({len(result.objects)} objects, {result.api_calls} API calls"
    if result.api_usage is not None:
        used, total = result.api_usage
        line += f"; {total - used:,} of {total:,} daily requests left"
    line += ")"
    if result.error:
        line += f": {result.error}"
    return line
