"""Full (initial) sync of an org of N opportunities, end to end, against the local limit.

The sandbox runs in its own process (``saleshome sandbox salesforce --opportunities N``); the
sync (``sync_org`` of the engine's default objects, from login to the last commit) runs in
another, so its peak RSS is its own.  Baseline, in the same run: the "local limit" — the same
Bulk 2.0 queryAll queries downloaded with plain ``requests`` (streamed to files) and read with
DuckDB's own ``read_csv`` into tables (``bench._sync_common.local_limit``).

``--path flow`` adds the production path in the same run: the Prefect flow ``flows.sync.sync_org``
against a local Prefect server (started first, not timed), syncing the same org into a home of its
own; its seconds against the engine's (target ratio <= 1.10) and against the local limit (<= 1.5),
and its Id check.

Lines: the sync's seconds against the local limit (target ratio <= 1.5), its rows/s, the
Opportunity object alone against the same baseline for it, the sync child's peak RSS
against the 600 MB target, and counts: rows synced (all objects, Opportunity) and the
Id sets of the warehouse and the org compared after the sync (rows missing from the warehouse,
rows only in the warehouse, duplicated Ids: all 0 when every row arrived exactly once).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from bench._sync_common import (
    RSS_TARGET_MB,
    compare_ids,
    connect_flow_home,
    local_limit,
    log,
    production_path,
    register_org,
    run_sync,
    sandbox_process,
    synced_counts,
)

DEFAULT_SIZE = 1_000_000


def run(size: int, *, path: str = "engine") -> list[dict[str, Any]]:
    from saleshome.sync.engine import DEFAULT_OBJECTS

    objects = list(DEFAULT_OBJECTS)
    flow_lines: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-sync-full-") as tmp, \
            production_path(path, Path(tmp) / "prefect") as api_url, sandbox_process(size) as sandbox:
        home = register_org(sandbox, Path(tmp) / "home")
        org = sandbox.record_counts()
        sync = run_sync(home, label="full-sync")
        synced = synced_counts(home, objects)
        ids = compare_ids(sandbox, home, objects, Path(tmp) / "ids")
        baseline = local_limit(sandbox, objects, Path(tmp) / "baseline")
        if api_url is not None:
            flow_home = connect_flow_home(sandbox, Path(tmp) / "flow-home")
            flow = run_sync(flow_home, label="full-sync-flow", api_url=api_url)
            flow_ids = compare_ids(sandbox, flow_home, objects, Path(tmp) / "flow-ids")
            flow_lines = flow_path_lines(flow.seconds, sync.seconds, baseline.seconds, flow.peak_rss_mb, flow_ids)
            flow_lines.insert(1, {"metric": "flow_full_sync_run_seconds_as_prefect_recorded", "value": flow.run_seconds,
                                  "unit": "s", "baseline": "engine_full_sync_seconds_same_run",
                                  "baseline_value": sync.seconds})
    rows = sum(synced.values())
    opportunity = sync.object("Opportunity")
    log(
        f"org rows {sum(org.get(o, 0) for o in objects):,}, synced {rows:,}, baseline rows {sum(baseline.rows.values()):,}"
    )
    return [
        {
            "metric": "full_sync_seconds",
            "value": sync.seconds,
            "unit": "s",
            "baseline": "local_limit_requests_download_plus_duckdb_read_csv",
            "baseline_value": baseline.seconds,
        },
        {
            "metric": "full_sync_rows_per_second",
            "value": rows / sync.seconds,
            "unit": "rows/s",
            "baseline": "local_limit_requests_download_plus_duckdb_read_csv",
            "baseline_value": sum(baseline.rows.values()) / baseline.seconds,
        },
        {
            "metric": "opportunity_full_sync_seconds",
            "value": float(opportunity["seconds"]),
            "unit": "s",
            "baseline": "local_limit_opportunity",
            "baseline_value": baseline.object_seconds["Opportunity"],
        },
        {
            "metric": "full_sync_peak_rss",
            "value": sync.peak_rss_mb,
            "unit": "MB",
            "baseline": "target",
            "baseline_value": RSS_TARGET_MB,
        },
        {"metric": "rows_synced", "value": rows, "unit": "count"},
        {"metric": "opportunity_rows_synced", "value": synced["Opportunity"], "unit": "count"},
        {"metric": "opportunity_rows_in_org", "value": org["Opportunity"], "unit": "count"},
        {"metric": "rows_missing_from_warehouse", "value": ids.missing, "unit": "count"},
        {"metric": "rows_only_in_warehouse", "value": ids.extra, "unit": "count"},
        {"metric": "duplicate_ids_in_warehouse", "value": ids.duplicates, "unit": "count"},
        *flow_lines,
    ]


def flow_path_lines(
    flow_seconds: float, engine_seconds: float, limit_seconds: float, peak_rss_mb: float, ids: Any,
) -> list[dict[str, Any]]:
    """The production path's lines: the flow against the engine (<= 1.10) and against the local limit (<= 1.5)."""
    return [
        {"metric": "flow_full_sync_seconds", "value": flow_seconds, "unit": "s",
         "baseline": "engine_full_sync_seconds_same_run", "baseline_value": engine_seconds},
        {"metric": "flow_full_sync_seconds_vs_local_limit", "value": flow_seconds, "unit": "s",
         "baseline": "local_limit_requests_download_plus_duckdb_read_csv", "baseline_value": limit_seconds},
        {"metric": "flow_full_sync_peak_rss", "value": peak_rss_mb, "unit": "MB", "baseline": "target",
         "baseline_value": RSS_TARGET_MB},
        {"metric": "flow_rows_missing_from_warehouse", "value": ids.missing, "unit": "count"},
        {"metric": "flow_duplicate_ids_in_warehouse", "value": ids.duplicates, "unit": "count"},
    ]
