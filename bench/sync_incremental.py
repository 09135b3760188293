"""Incremental sync after N simulated changes, against the full sync of the same run.

The sandbox runs in its own process; each sync runs in its own child process.  First the
full (initial) sync of the engine's default objects (its time is the baseline), then
``--changes`` simulated changes through ``POST /_sandbox/simulate`` (stage moves, wins,
amount and owner changes, new records, deletes...; not timed), the org's clock moved past
the sync's safety lag so every change is before the signpost, then the incremental sync,
timed.  Target: ratio <= 0.05.

The org's DuckDB file is checkpointed when its write-ahead log outgrows a threshold, not at
every sync (``OrgWarehouse``): the checkpoint this run left to later is timed after it and
reported on its own line (``deferred_checkpoint_seconds``), paid once for many runs.

``--path flow`` adds the production path in the same run: a second home synced by the Prefect flow
``flows.sync.sync_org`` against a local Prefect server (started first, not timed) — its full sync,
then, after the same simulated changes, its incremental sync — with lines for the flow against the
engine (incremental target <= 1.25) and the flow's incremental against the flow's full sync (<= 0.05).

Lines: incremental seconds against the full sync, its peak RSS, and counts: changes
simulated, rows the incremental sync changed in the warehouse (inserted, updated,
deleted, undeleted, purged; one simulated change can touch two objects, e.g. an
Opportunity and its OpportunityHistory row), and the Id sets of the warehouse and the org
compared afterwards: rows missing from the warehouse (losses: 0) and duplicated Ids (0).
Records the simulator purged (hard deletes, with their OpportunityHistory rows when an
Opportunity is purged) stay in the warehouse until the daily Id reconciliation, which an
incremental run shortly after the initial sync does not do: they are the rows only in the
warehouse, on their own line.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from bench._sync_common import (
    ALIAS,
    compare_ids,
    connect_flow_home,
    log,
    production_path,
    register_org,
    run_sync,
    sandbox_process,
)

DEFAULT_SIZE = 1_000_000
DEFAULT_CHANGES = 10_000
#: Seconds the org's clock moves on after the simulation: more than the sync's safety lag (30 s).
CLOCK_STEP = 60


def deferred_checkpoint_seconds(home: Path) -> float:
    """The checkpoint the incremental sync left to later (paid once its write-ahead log outgrows
    ``SALESHOME_DUCKDB_CHECKPOINT_WAL``, for many runs at once): timed here, reported on its own line."""
    import duckdb

    from saleshome.config import load_settings

    conn = duckdb.connect(str(load_settings(home=home).org_db(ALIAS)))
    try:
        began = time.perf_counter()
        conn.execute("CHECKPOINT")
        return time.perf_counter() - began
    finally:
        conn.close()


def run(size: int, *, changes: int = DEFAULT_CHANGES, path: str = "engine") -> list[dict[str, Any]]:
    from saleshome.sync.engine import DEFAULT_OBJECTS

    objects = list(DEFAULT_OBJECTS)
    flow_lines: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-sync-incremental-") as tmp, \
            production_path(path, Path(tmp) / "prefect") as api_url, sandbox_process(size) as sandbox:
        home = register_org(sandbox, Path(tmp) / "home")
        full = run_sync(home, label="full-sync")
        if api_url is not None:
            flow_home = connect_flow_home(sandbox, Path(tmp) / "flow-home")
            flow_full = run_sync(flow_home, label="full-sync-flow", api_url=api_url)
        log(f"simulating {changes:,} changes (not timed)")
        report = sandbox.simulate(changes)
        sandbox.advance_clock(CLOCK_STEP)
        counts: dict[str, int] = report["counts"]
        log(f"simulated: {counts}")
        incremental = run_sync(home, label="incremental-sync")
        checkpoint = deferred_checkpoint_seconds(home)
        ids = compare_ids(sandbox, home, objects, Path(tmp) / "ids")
        if api_url is not None:
            flow_incremental = run_sync(flow_home, label="incremental-sync-flow", api_url=api_url)
            deferred_checkpoint_seconds(flow_home)
            flow_ids = compare_ids(sandbox, flow_home, objects, Path(tmp) / "flow-ids")
            flow_lines = [
                {"metric": "flow_incremental_sync_seconds", "value": flow_incremental.seconds, "unit": "s",
                 "baseline": "engine_incremental_sync_seconds_same_run", "baseline_value": incremental.seconds},
                {"metric": "flow_incremental_sync_seconds_vs_flow_full", "value": flow_incremental.seconds,
                 "unit": "s", "baseline": "flow_full_sync_seconds_same_run", "baseline_value": flow_full.seconds},
                {"metric": "flow_full_sync_seconds", "value": flow_full.seconds, "unit": "s",
                 "baseline": "engine_full_sync_seconds_same_run", "baseline_value": full.seconds},
                {"metric": "flow_incremental_sync_run_seconds_as_prefect_recorded", "value": flow_incremental.run_seconds,
                 "unit": "s", "baseline": "engine_incremental_sync_seconds_same_run",
                 "baseline_value": incremental.seconds},
                {"metric": "flow_rows_changed_by_incremental_sync", "value": flow_incremental.changes_applied,
                 "unit": "count"},
                {"metric": "flow_rows_missing_from_warehouse", "value": flow_ids.missing, "unit": "count"},
                {"metric": "flow_duplicate_ids_in_warehouse", "value": flow_ids.duplicates, "unit": "count"},
            ]
    return [
        {
            "metric": "incremental_sync_seconds",
            "value": incremental.seconds,
            "unit": "s",
            "baseline": "full_sync_seconds_same_run",
            "baseline_value": full.seconds,
        },
        {"metric": "incremental_sync_peak_rss", "value": incremental.peak_rss_mb, "unit": "MB"},
        {"metric": "deferred_checkpoint_seconds", "value": checkpoint, "unit": "s"},
        {"metric": "changes_simulated", "value": sum(counts.values()), "unit": "count"},
        {"metric": "rows_changed_by_incremental_sync", "value": incremental.changes_applied, "unit": "count"},
        {"metric": "rows_read_by_incremental_sync", "value": incremental.rows_read, "unit": "count"},
        {"metric": "records_purged_by_simulation", "value": counts.get("purge", 0), "unit": "count"},
        {"metric": "rows_missing_from_warehouse", "value": ids.missing, "unit": "count"},
        {"metric": "rows_only_in_warehouse_purged_awaiting_reconciliation", "value": ids.extra, "unit": "count"},
        {"metric": "duplicate_ids_in_warehouse", "value": ids.duplicates, "unit": "count"},
        *flow_lines,
    ]
