"""Evaluation watermarks: how far each step after the sync has read an org's change log.

Every change-log row carries the position at which its window committed
(:class:`~saleshome.warehouse.orgdb.OrgWarehouse`: positions increase in commit order).  A step
(:class:`Step`: notifications, celebrations) reads the changes it has not read yet —
:func:`pending`, positions ``(watermark, highest committed]`` — whatever run or process
committed them (a failed run, a killed one, one paused for quota), and writes what they produce
(outbox rows, digest items, celebrations) together with the new watermark in one control-store
transaction (:func:`advance`).  So:

- a crash before that commit leaves the watermark where it was: the same changes are read again;
- after it, they are never read again (the deterministic idempotency keys stay as the second
  line of defence);
- silent changes (initial syncs, silent backfills) are passed over by the steps' SQL and the
  watermark moves past them all the same.

A watermark holds only for the warehouse file it was read from (``warehouse_identity``): an org
removed and connected again starts a new file whose positions start again at 1, and its
watermarks start again at 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from .control import ControlDB, Tx
from .orgdb import OrgWarehouse


class Step(StrEnum):
    NOTIFICATIONS = "notifications"
    CELEBRATIONS = "celebrations"


@dataclass(frozen=True)
class ChangeRange:
    """The change-log positions ``(after, upto]`` that ``step`` has not evaluated yet."""

    step: Step
    warehouse_id: str
    after: int
    upto: int
    run_id: str | None  # the sync run that logged the last change of the range (None: nothing logged yet)

    @property
    def empty(self) -> bool:
        return self.upto <= self.after

    def where(self, prefix: str = "") -> str:
        """SQL selecting the range's change-log rows (the bounds are integers: inlined, so DuckDB prunes
        row groups by their min/max ``commit_seq``)."""
        return f"{prefix}commit_seq > {int(self.after)} AND {prefix}commit_seq <= {int(self.upto)}"


# Change-log rows a notification may look at: not silent, or silent but logged by a run started with
# `notify` (an initial sync or a backfill asked to notify).  Celebrations never look at silent rows.
NOTIFYING = "(NOT initial OR run_id IN (SELECT run_id FROM runs WHERE notify))"


def pending(control: ControlDB, warehouse: OrgWarehouse, alias: str, step: Step) -> ChangeRange:
    """What ``step`` has not evaluated yet in the org's open ``warehouse``: everything committed after its
    watermark, up to the highest position committed now."""
    identity = warehouse.identity()
    rows = control.rows("SELECT warehouse_id, position FROM evaluation_watermarks WHERE alias = ? AND step = ?",
                        [alias, step.value])
    after = int(rows[0]["position"]) if rows and rows[0]["warehouse_id"] == identity else 0
    upto, run_id = warehouse.last_position(after)
    return ChangeRange(step, identity, after, upto, run_id)


def advance(db: Tx, alias: str, changes: ChangeRange, now: datetime) -> bool:
    """Move ``step``'s watermark to the end of ``changes`` in the caller's transaction (the one writing what
    the changes produced).  False, and nothing moved, when another evaluation moved it since ``changes``
    was read: the caller must then write nothing either."""
    row = db.execute("SELECT warehouse_id, position FROM evaluation_watermarks WHERE alias = ? AND step = ?",
                     [alias, changes.step.value]).fetchone()
    current = int(row[1]) if row is not None and row[0] == changes.warehouse_id else 0
    if current != changes.after:
        return False
    db.execute(
        "INSERT INTO evaluation_watermarks VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (alias, step) DO UPDATE SET "
        "warehouse_id = excluded.warehouse_id, position = excluded.position, run_id = excluded.run_id, "
        "evaluated_at = excluded.evaluated_at",
        [alias, changes.step.value, changes.warehouse_id, changes.upto, changes.run_id, now],
    )
    return True
