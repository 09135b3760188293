"""The dead letters as one table, whoever shows it (``saleshome status``, ``saleshome housekeeping``,
the Prefect dead-letter report): the same columns, the same reasons, the same instruction.

Rows come from :func:`saleshome.warehouse.outbox.dead_letters` (newest first): dead-lettered and
blocked items, with Slack's or the restriction's reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import RenderableType

from saleshome.listing import Column, listing

__all__ = ["DEAD_LETTER_COLUMNS", "RETRY_HINT", "dead_letter_listing", "dead_letter_rows"]

DEAD_LETTER_COLUMNS = ("key", "kind", "channel", "state", "reason", "attempts", "queued")
SHOWN_IN_TERMINAL = DEAD_LETTER_COLUMNS[:-1]  # a terminal has no room for the queuing time
RETRY_HINT = "fix the cause, then `saleshome outbox retry KEY`"


def dead_letter_rows(dead: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per dead letter, keyed by :data:`DEAD_LETTER_COLUMNS` (``reason``: text, never None)."""
    return [{"key": d["key"], "kind": d["kind"], "channel": d["channel"], "state": d["state"],
             "reason": str(d["last_error"] or ""), "attempts": d["attempts"],
             "queued": d["created_at"].isoformat(timespec="seconds") if d.get("created_at") else ""} for d in dead]


def dead_letter_listing(title: str, dead: Sequence[Mapping[str, Any]], *, width: int) -> RenderableType:
    """The dead letters as a terminal listing titled ``title`` (which should end with :data:`RETRY_HINT`)."""
    columns = [Column(c, text=c == "reason") for c in SHOWN_IN_TERMINAL]
    return listing(title, columns, [[r[c] for c in SHOWN_IN_TERMINAL] for r in dead_letter_rows(dead)], width=width)
