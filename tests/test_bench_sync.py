"""The sync benchmarks run end to end at a tiny size (sandbox and syncs in their own processes).

``sync_vs_dlt`` is not run here: dlt is in the ``bench`` dependency group, which ``make test``
does not install (``make bench`` does).
"""

from __future__ import annotations

import pytest

from bench.harness import BenchmarkError, parse_options, run_benchmark, to_line

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SIZE = 300


def _by_metric(name: str, results: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    lines = [to_line(name, r) for r in results]  # checks the convention (keys, finite numbers)
    return {str(line["metric"]): dict(line) for line in lines}


def test_sync_full_syncs_every_row_and_measures_the_baseline_and_rss() -> None:
    from bench import sync_full

    lines = _by_metric("sync_full", sync_full.run(SIZE))
    for count in ("rows_missing_from_warehouse", "rows_only_in_warehouse", "duplicate_ids_in_warehouse"):
        assert lines[count]["value"] == 0, count
    assert lines["opportunity_rows_synced"]["value"] == lines["opportunity_rows_in_org"]["value"] == SIZE
    full = lines["full_sync_seconds"]
    assert full["baseline"] == "local_limit_requests_download_plus_duckdb_read_csv"
    assert isinstance(full["ratio"], float) and full["ratio"] > 0
    rss = lines["full_sync_peak_rss"]
    assert rss["unit"] == "MB" and rss["baseline_value"] == 600.0
    assert isinstance(rss["value"], float) and 20 < rss["value"] < 4000


def test_sync_incremental_applies_the_simulated_changes() -> None:
    from bench import sync_incremental

    lines = _by_metric("sync_incremental", sync_incremental.run(SIZE, changes=100))
    assert lines["changes_simulated"]["value"] == 100
    changed = lines["rows_changed_by_incremental_sync"]["value"]
    assert isinstance(changed, int | float) and changed >= 50
    assert lines["rows_missing_from_warehouse"]["value"] == 0
    assert lines["duplicate_ids_in_warehouse"]["value"] == 0
    assert lines["incremental_sync_seconds"]["baseline"] == "full_sync_seconds_same_run"


def test_benchmark_options_reach_run_and_unknown_ones_are_refused() -> None:
    assert parse_options(["--changes", "500", "--mode=fast", "--rate", "0.5"]) == {
        "changes": 500,
        "mode": "fast",
        "rate": 0.5,
    }
    with pytest.raises(BenchmarkError, match="needs a value"):
        parse_options(["--changes"])
    with pytest.raises(BenchmarkError, match="takes no option --changes"):
        run_benchmark("sync_full", 10, {"changes": 5})  # refused before anything runs


def test_the_flow_path_syncs_the_same_rows_as_the_engine_path() -> None:
    """``--path flow``: the Prefect flow against a Prefect server the benchmark starts, beside the engine."""
    from bench import sync_incremental

    lines = _by_metric("sync_incremental", sync_incremental.run(SIZE, changes=100, path="flow"))
    assert lines["flow_incremental_sync_seconds"]["baseline"] == "engine_incremental_sync_seconds_same_run"
    assert lines["flow_full_sync_seconds"]["baseline"] == "engine_full_sync_seconds_same_run"
    assert lines["flow_incremental_sync_seconds_vs_flow_full"]["baseline"] == "flow_full_sync_seconds_same_run"
    # the same changes reached both homes, every row once
    assert lines["flow_rows_changed_by_incremental_sync"]["value"] == lines["rows_changed_by_incremental_sync"]["value"]
    assert lines["flow_rows_missing_from_warehouse"]["value"] == 0
    assert lines["flow_duplicate_ids_in_warehouse"]["value"] == 0
    with pytest.raises(ValueError, match="--path must be one of engine, flow"):
        sync_incremental.run(SIZE, path="prefect")
