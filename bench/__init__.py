"""Benchmarks: plain modules measuring one thing each, never run by `make test`.

Convention (every issue that adds a benchmark follows it):

- `python -m bench NAME [--size N]` runs one benchmark and prints one JSON object per line
  with exactly the keys `bench, metric, value, unit, baseline, baseline_value, ratio`,
  where `ratio = value / baseline_value` (for a time, lower is better). Counts such as
  duplicates or losses are their own lines with `"unit": "count"` (baseline may be null).
- `python -m bench list` lists the registered benchmarks; `python -m bench all` (what
  `make bench` runs) runs them all and writes `bench/results.md`.

A benchmark is a module registered in `BENCHMARKS` below (imported only when run) that
exposes `DEFAULT_SIZE: int` and `run(size: int) -> list[dict]`, each dict holding
`metric`, `value`, `unit` and, when compared with something, `baseline` (what it is
compared with) and `baseline_value`. The harness adds `bench` and computes `ratio`.
A benchmark with more knobs takes them as keyword arguments with defaults
(`run(size: int, *, changes: int = 10_000)`): `python -m bench NAME --changes 500` passes
them (`--name VALUE`, ints and floats converted; an option `run` does not take is refused).
"""

from __future__ import annotations

#: NAME -> module path. Add one line per benchmark.
BENCHMARKS: dict[str, str] = {
    # issue 3: rows/s served by the Salesforce sandbox, Bulk 2.0 CSV pages and REST JSON pages
    "sandbox_serve": "bench.sandbox_serve",
    # issue 4: full sync against the local limit (Bulk CSV download + DuckDB read_csv), peak RSS
    "sync_full": "bench.sync_full",
    # issue 4: incremental sync after --changes simulated changes, against the full sync
    "sync_incremental": "bench.sync_incremental",
    # issue 4: the Opportunity full sync against dlt's rest_api source (parquet, merge) into DuckDB
    "sync_vs_dlt": "bench.sync_vs_dlt",
    # issue 5: delivered throughput vs the rate-limit bound; duplicates and losses under faults
    "publish": "bench.publish",
    # issue 7: 100 notifications compiled to SQL over a change log, against per-row Python evaluation
    "notify_eval": "bench.notify_eval",
    # issue 18: Sales tab reads while sync-like writers and publishers use the control store (loaded p95 / idle p95),
    # on SQLite, on PostgreSQL (a server it starts) and, as the comparison line, the old DuckDB control file
    "control_concurrency": "bench.control_concurrency",
    # issue 19: app_home_opened delivered -> views.publish of a list of 25 records (the real app), against the
    # Salesforce sandbox's UI API list-records latency as the same members
    "app_home": "bench.app_home",
    # issue 20: an edit modal submitted -> Salesforce updated -> the modal's outcome (the real app), against the raw
    # UI API save as the same members; and the edit's stage-change notification in Slack
    "app_edit": "bench.app_edit",
}
