"""A targeted read: a few records of one object, read now as the integration user and merged into the org's
warehouse through the sync's own merge (after a member saved a record from Slack).

What it does, in order:

1. the org's warehouse is opened for writing (:func:`open_for_refresh`, by the caller, who keeps it for the
   evaluation after the read) — DuckDB's file lock is the guard against a sync writing the same file: the
   opening waits for it, bounded (``lock_timeout``), then fails with :class:`WarehouseBusy` naming the sync
   run that holds it (the scheduled sync then reads the change itself);
2. an object the scheduled sync has not loaded yet (no initial load done) is left to it (``skipped``);
3. the object is described and its table evolved as a sync does (:meth:`OrgWarehouse.ensure_table`); its
   records are read with every synced column, ``SELECT <columns> FROM <object> WHERE Id IN (...)`` through
   ``queryAll`` (a record deleted meanwhile comes back with ``IsDeleted``), into files as a REST window is;
4. they are staged and merged by :meth:`OrgWarehouse.apply_window` — the one merge: rows, change log (one
   row per changed field, old and new value) and commit position in one transaction — with
   ``new_cursor=None``: **the object's cursor does not move**.  The scheduled sync still reads every window
   from where it stood, so no other record's change can be skipped because of a targeted read.

Exactly once.  The merge replaces (and logs) a staged record only when it is new to us, or when its
cursor stamp (``SystemModstamp``) is not older than ours **and** some synced column differs.  So:

- the scheduled sync that later reads the same version of the record (same stamp, same values — its
  window starts at the unmoved cursor minus the lookback, so it does read it) finds nothing different:
  no row rewritten, no change-log row, hence nothing for the evaluation (whose watermark already passed
  the targeted read's position) — the notification fired once;
- a later change of the record (made in Salesforce after the edit) has a newer stamp and other values:
  the scheduled sync logs it as usual;
- an older version of the record read by a sync (extracted before the targeted read merged a newer one)
  is older than our copy: it is ignored, never logged as a change back;
- what the targeted read merged is a whole record as Salesforce has it now: changes made by others
  between the last sync and the edit are logged with it (once), not lost;
- REST pages (what a targeted read stages) and Bulk CSV (what a large scheduled window stages) cast to the
  same typed values, so the same version compares equal whichever way it came.

The merge needed no change for this: its rule (newer-or-equal stamp and different values) is what already
makes the lookback's re-reads harmless; a targeted read is one more re-read ahead of time.

After the read, :func:`saleshome.pipeline.refresh_records` evaluates, on the same open warehouse, every change
not evaluated yet (the watermarks of :mod:`saleshome.warehouse.watermarks`: this read's position, and any an
earlier evaluation left) and publishes what that queued.  The notification's idempotency key (notification,
version, record, SystemModstamp, recipient) is a second line of defence.  A deal won from Slack is celebrated
by the Opportunity change; the scheduled sync then brings its new ``OpportunityHistory`` row, which makes
the deal a candidate again, and the celebrations' own rule (one celebration per opportunity within three
days) refuses it: celebrated once.

The change-log rows carry the targeted read's run id (``refresh-…``), recorded in the warehouse's ``runs``
table (kind ``refresh``); they are never ``initial`` (silent), so notifications and celebrations evaluate
them like any sync's changes.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from saleshome.config import Settings
from saleshome.errors import RetriableError, ValidationError
from saleshome.salesforce.client import SalesforceClient
from saleshome.salesforce.listviews import record_id
from saleshome.salesforce.schema import object_schema, safe_name
from saleshome.settings.orgs import Org
from saleshome.warehouse.control import ControlDB
from saleshome.warehouse.orgdb import MergeStats, OrgWarehouse

__all__ = ["MAX_RECORDS", "REFRESH_KIND", "TargetedRead", "WarehouseBusy", "open_for_refresh", "read_records",
           "record_ids"]

MAX_RECORDS = 200  # Ids in one read (one short SOQL ``IN`` list: the query stays a GET well under URL limits)
REFRESH_KIND = "refresh"  # the ``runs`` kind of a targeted read


class WarehouseBusy(RetriableError):
    """The org's warehouse stayed locked by another process (a sync) for longer than the read would wait."""


@dataclass
class TargetedRead:
    """What one targeted read did: records merged (``stats``), Ids Salesforce did not return, or why it was
    skipped."""

    alias: str
    object: str
    run_id: str
    ids: list[str]
    stats: MergeStats = field(default_factory=MergeStats)
    missing: list[str] = field(default_factory=list)  # Ids queryAll did not return (purged, or never existed)
    skipped: str | None = None  # why nothing was read (the scheduled sync reads it)
    api_calls: int = 0

    @property
    def changed(self) -> int:
        """Records whose merge logged a change."""
        s = self.stats
        return s.inserted + s.updated + s.deleted + s.undeleted


def record_ids(ids: Sequence[str]) -> list[str]:
    """``ids`` checked (15 or 18 letters and digits: they go into SOQL), duplicates dropped, order kept."""
    checked = list(dict.fromkeys(record_id(str(i)) for i in ids))
    if not checked:
        raise ValidationError("no record Id to read")
    if len(checked) > MAX_RECORDS:
        raise ValidationError(f"{len(checked)} records asked for; a targeted read reads at most {MAX_RECORDS}",
                              hint="split the Ids into several reads")
    return checked


def open_for_refresh(control: ControlDB, settings: Settings, alias: str, *, lock_timeout: float) -> OrgWarehouse:
    """The org's warehouse, open for writing; :class:`WarehouseBusy` (naming the sync that holds it when one is
    recorded as running) after ``lock_timeout`` seconds."""
    try:
        return OrgWarehouse(settings.org_db(alias), lock_timeout=lock_timeout, memory_limit=settings.duckdb_memory_limit,
                            checkpoint_wal=settings.duckdb_checkpoint_wal)  # as a sync opens it
    except RetriableError:
        running = control.rows("SELECT run_id FROM sync_runs WHERE alias = ? AND ended_at IS NULL "
                               "ORDER BY started_at DESC LIMIT 1", [alias])
        holder = f"sync run {running[0]['run_id']}" if running else "another process"
        raise WarehouseBusy(
            f"org {alias!r}: its warehouse stayed locked by {holder} for {lock_timeout:.0f}s; the records were not "
            "refreshed", hint="the scheduled sync reads the change itself; nothing is lost",
        ) from None


def read_records(
    settings: Settings, org: Org, obj: str, ids: Sequence[str], *, client: SalesforceClient, warehouse: OrgWarehouse,
    now: datetime | None = None,
) -> TargetedRead:
    """Read records ``ids`` of ``obj`` from org ``org`` (``client``: logged in as its integration user) and merge
    them into its ``warehouse``, open for writing (:func:`open_for_refresh`; see the module docstring).  Raises
    :class:`~saleshome.errors.ValidationError` for bad Ids or object name (nothing read) and what the client
    raises (nothing merged)."""
    name = safe_name(obj)
    wanted = record_ids(ids)
    run_id = f"{REFRESH_KIND}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    read = TargetedRead(org.alias, name, run_id, wanted)
    if not warehouse.cursor_state(name).initial_done:
        read.skipped = f"{name} is not loaded yet: the scheduled sync loads it"
        return read
    calls = client.calls
    staging = settings.home / "staging" / org.alias / run_id
    try:
        schema = object_schema(client.describe(name))
        when = now or datetime.now(UTC)
        warehouse.ensure_table(schema, when)
        quoted = ", ".join(f"'{i}'" for i in wanted)
        files = client.query_to_files(schema.soql(f"Id IN ({quoted})"), staging / name, include_deleted=True)
        warehouse.stage_pages(schema, files)
        found = {str(r[0]) for r in warehouse.conn.execute('SELECT "Id" FROM stage').fetchall()}
        read.missing = [i for i in wanted if i not in found and not any(f.startswith(i) for f in found)]
        warehouse.record_run(run_id, REFRESH_KIND, True, when)
        read.stats = warehouse.apply_window(schema, run_id=run_id, new_cursor=None, initial=False, now=when,
                                            reaches_signpost=False)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        read.api_calls = client.calls - calls
    return read
