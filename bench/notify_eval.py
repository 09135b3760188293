"""Notification evaluation: 100 enabled notifications over a synthetic change log, SQL vs per-row Python.

An org DuckDB file (the warehouse's own schema: ``sf."Opportunity"``, ``columns``,
``change_log``) is filled with ``--records`` opportunities and a ``--size``-row change log of one
sync run (inserts, deletes and field updates of StageName, Amount, CloseDate, OwnerId,
IsClosed, Type, NextStep), generated in SQL.  ``--notifications`` definitions (a seeded mix of
every change-based template, with 0-2 conditions each) are compiled into one query
(:func:`saleshome.notify.compile.compile_changes`) and run to the end (every match fetched):
that is the timed value.  Not timed: the data generation, recipients, rendering and the outbox.

Baseline, same run: :func:`bench.notify_reference.evaluate_rows` — each change-log row
tested against each notification in Python — timed on the first ``--sample`` rows and scaled
linearly to ``--size``.  Target: ratio <= 0.02.  With ``--size`` above 1,000,000 the 1,000,000-row
time is measured too and is the baseline of a second line (target: ratio <= 2.3 at 2,000,000).
``--profile 1`` also logs DuckDB's profile of the query (operator time per watch CTE and per operator).
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

DEFAULT_SIZE = 1_000_000
ONE_MILLION = 1_000_000
STAGES = ["Prospecting", "Qualification", "Needs Analysis", "Value Proposition", "Id. Decision Makers",
          "Perception Analysis", "Proposal/Price Quote", "Negotiation/Review", "Contract Signed", "Closed Won",
          "Closed Lost"]
TYPES = {"Id": ("id", "VARCHAR"), "Name": ("string", "VARCHAR"), "StageName": ("picklist", "VARCHAR"),
         "Amount": ("currency", "DECIMAL(18,2)"), "CloseDate": ("date", "DATE"), "OwnerId": ("reference", "VARCHAR"),
         "IsClosed": ("boolean", "BOOLEAN"), "IsWon": ("boolean", "BOOLEAN"), "IsDeleted": ("boolean", "BOOLEAN"),
         "Type": ("picklist", "VARCHAR"), "NextStep": ("string", "VARCHAR"), "Probability": ("percent", "DECIMAL(3,0)")}
TODAY = date(2025, 6, 1)


def bench_changes() -> Any:
    """The range of the generated change log: every row committed at position 1, by run ``bench``."""
    from saleshome.warehouse.watermarks import ChangeRange, Step

    return ChangeRange(Step.NOTIFICATIONS, "bench", 0, 1, "bench")


def log(message: str) -> None:
    print(f"[notify_eval] {message}", file=sys.stderr, flush=True)


def build_org(path: Path, size: int, records: int) -> None:
    from saleshome.warehouse.orgdb import OrgWarehouse

    stages = "[" + ", ".join("'" + s + "'" for s in STAGES) + "]"
    with OrgWarehouse(path) as wh:
        db = wh.conn
        db.execute(f"""CREATE TABLE sf."Opportunity" AS SELECT
            printf('006%012d', i) AS "Id", 'Deal ' || i AS "Name", {stages}[1 + (hash(i) % 11)::INTEGER] AS "StageName",
            CAST(hash(i * 3) % 400000 AS DECIMAL(18,2)) AS "Amount",
            DATE '2025-01-01' + (hash(i * 7) % 365)::INTEGER AS "CloseDate",
            printf('005%012d', i % 300) AS "OwnerId", hash(i) % 11 >= 9 AS "IsClosed", hash(i) % 11 = 9 AS "IsWon",
            i % 50 = 0 AS "IsDeleted", ['New Business', 'Renewal', 'Upsell'][1 + (i % 3)::INTEGER] AS "Type",
            'step ' || (i % 17) AS "NextStep", CAST(hash(i) % 100 AS DECIMAL(3,0)) AS "Probability"
            FROM range({records}) t(i)""")
        for name, (sf_type, duck) in TYPES.items():
            db.execute("INSERT INTO columns (object, name, sf_type, duck_type, added_at, removed_at) "
                       "VALUES ('Opportunity', ?, ?, ?, now(), NULL)", [name, sf_type, duck])
        fields = "['StageName', 'Amount', 'CloseDate', 'OwnerId', 'IsClosed', 'Type', 'NextStep']"
        def value(h: str) -> str:
            return (f"CASE f WHEN 'StageName' THEN {stages}[1 + ({h} % 11)::INTEGER] "
                    f"WHEN 'Amount' THEN CAST(CAST({h} % 400000 AS DECIMAL(18,2)) AS VARCHAR) "
                    f"WHEN 'CloseDate' THEN CAST(DATE '2025-01-01' + ({h} % 365)::INTEGER AS VARCHAR) "
                    f"WHEN 'OwnerId' THEN printf('005%012d', {h} % 300) WHEN 'IsClosed' THEN CASE WHEN {h} % 2 = 0 "
                    f"THEN 'true' ELSE 'false' END WHEN 'Type' THEN "
                    f"['New Business', 'Renewal', 'Upsell'][1 + ({h} % 3)::INTEGER] ELSE 'step ' || ({h} % 17) END")

        db.execute(f"""INSERT INTO change_log SELECT 'bench', 'Opportunity', printf('006%012d', hash(i) % {records}),
            TIMESTAMPTZ '2025-06-01 00:00:00+00' + to_milliseconds(i), op, CASE WHEN op = 'update' THEN f END,
            CASE WHEN op = 'update' THEN {value('h1')} END,
            CASE WHEN op = 'update' THEN {value('h2')} END,
            false, now(), 1
            FROM (SELECT i, CASE WHEN i % 20 = 0 THEN 'insert' WHEN i % 40 = 1 THEN 'delete' ELSE 'update' END AS op,
                         {fields}[1 + (hash(i * 11) % 7)::INTEGER] AS f, hash(i * 13) AS h1, hash(i * 17) AS h2
                  FROM range({size}) t(i))""")
        db.execute("INSERT INTO runs VALUES ('bench', 'incremental', false, now())")


def definitions(count: int, seed: int = 7) -> list[Any]:
    """A seeded mix of every change-based template, with 0-2 conditions each."""
    from saleshome.notify.compile import Plan
    from saleshome.settings.notifications.catalog import NotificationSpec
    from saleshome.settings.notifications.validate import Resolved

    rng = random.Random(seed)
    resolved = Resolved(object="Opportunity", name_field="Name", types={k: v[0] for k, v in TYPES.items()},
                        stage_order=STAGES)
    pool: list[dict[str, Any]] = [
        {"field": "Amount", "op": ">=", "value": 50000}, {"field": "Amount", "op": "<", "value": 300000},
        {"field": "Type", "op": "=", "value": "New Business"}, {"field": "Type", "op": "in", "value": ["Renewal", "Upsell"]},
        {"field": "StageName", "op": "not_in", "value": ["Closed Lost"]}, {"field": "Name", "op": "contains", "value": "7"},
        {"field": "CloseDate", "op": "<=", "value": "2025-09-30"}, {"field": "NextStep", "op": "is_not_null"},
        {"field": "Probability", "op": ">", "value": 20}, {"field": "OwnerId", "op": "!=", "value": "005000000000001"},
    ]
    templates: list[tuple[str, Any]] = [
        ("new_record", lambda: {}),
        ("field_changed", lambda: rng.choice([{"field": "NextStep"}, {"field": "Type", "to_values": ["Renewal"]},
                                              {"field": "Amount"}])),
        ("stage_changed", lambda: {"direction": rng.choice(["forward", "backward", "any"]),
                                   "to_stages": rng.sample(STAGES, rng.randint(0, 3))}),
        ("threshold_crossed", lambda: {"field": "Amount", "value": rng.choice([50000, 100000, 250000]),
                                       "direction": rng.choice(["up", "down", "either"])}),
        ("date_moved", lambda: {"direction": rng.choice(["later", "earlier", "into_past", "any"])}),
        ("owner_changed", lambda: {}),
        ("deal_closed", lambda: {"outcome": rng.choice(["won", "lost", "any"])}),
    ]
    plans = []
    for i in range(count):
        template, options = templates[i % len(templates)]
        spec = NotificationSpec.model_validate({"template": template, "object": "Opportunity", "options": options(),
                                                "conditions": rng.sample(pool, rng.randint(0, 2))})
        plans.append(Plan(f"n{i:03d}", 1, spec, resolved))
    return plans


def time_sql(path: Path, plans: list[Any]) -> tuple[float, int]:
    from saleshome.notify.compile import compile_changes
    from saleshome.notify.evaluate import warehouse_columns
    from saleshome.warehouse.orgdb import OrgWarehouse

    with OrgWarehouse(path) as wh:
        started = time.perf_counter()
        compiled = compile_changes(plans, warehouse_columns(wh), changes=bench_changes(), today=TODAY)
        assert compiled is not None and not compiled.skipped, compiled and compiled.skipped
        rows = wh.conn.execute(compiled.sql, compiled.params).to_arrow_table()
        return time.perf_counter() - started, rows.num_rows


def profile_sql(path: Path, plans: list[Any]) -> None:
    """Run the query once more with DuckDB's profiler and log operator time per watch CTE (``--profile 1``)."""
    import json

    from saleshome.notify.compile import compile_changes
    from saleshome.notify.evaluate import warehouse_columns
    from saleshome.warehouse.orgdb import OrgWarehouse

    with OrgWarehouse(path) as wh, tempfile.TemporaryDirectory(prefix="bench-notify-profile-") as tmp:
        compiled = compile_changes(plans, warehouse_columns(wh), changes=bench_changes(), today=TODAY)
        assert compiled is not None
        output = Path(tmp) / "profile.json"
        wh.conn.execute("PRAGMA enable_profiling = 'json'")
        wh.conn.execute(f"PRAGMA profiling_output = '{output}'")
        wh.conn.execute(compiled.sql, compiled.params).to_arrow_table()
        wh.conn.execute("PRAGMA disable_profiling")
        tree = json.loads(output.read_text())
    seconds: dict[tuple[str, str], float] = {}

    def walk(node: dict[str, Any], cte: str) -> None:
        kind = str(node.get("operator_type") or node.get("operator_name"))
        seconds[(cte, kind)] = seconds.get((cte, kind), 0.0) + float(node.get("operator_timing", 0.0))
        children = node.get("children", [])
        if kind == "CTE" and children:  # the definition, then the rest of the query
            walk(children[0], str((node.get("extra_info") or {}).get("CTE Name", cte)))
            children = children[1:]
        for child in children:
            walk(child, cte)

    for child in tree.get("children", []):
        walk(child, "(union)")
    per_cte: dict[str, float] = {}
    for (cte, _), value in seconds.items():
        per_cte[cte] = per_cte.get(cte, 0.0) + value
    log(f"profile: latency {tree.get('latency', 0):.2f} s; operator time per CTE (all threads): "
        + ", ".join(f"{k} {v:.2f}" for k, v in sorted(per_cte.items(), key=lambda kv: -kv[1])))
    per_kind: dict[str, float] = {}
    for (_, kind), value in seconds.items():
        per_kind[kind] = per_kind.get(kind, 0.0) + value
    log("profile: per operator: " + ", ".join(f"{k} {v:.2f}" for k, v in sorted(per_kind.items(),
                                                                                key=lambda kv: -kv[1])))


def time_python(path: Path, plans: list[Any], sample: int) -> float:
    from bench.notify_reference import evaluate_rows
    from saleshome.warehouse.orgdb import OrgWarehouse

    with OrgWarehouse(path) as wh:
        rows = wh.conn.execute(f"SELECT * FROM change_log LIMIT {int(sample)}").to_arrow_table().to_pylist()
        records = {r["Id"]: r for r in wh.conn.execute('SELECT * FROM sf."Opportunity"').to_arrow_table().to_pylist()}
    for plan in plans:
        _ = plan.opts  # options parsed once per definition, as any evaluator would
    started = time.perf_counter()
    evaluate_rows(plans, rows, {"Opportunity": records}, after=0, upto=1, notifying_runs=(), today=TODAY)
    return time.perf_counter() - started


def run(size: int, *, notifications: int = 100, records: int = 100_000, sample: int = 20_000,
        profile: int = 0) -> list[dict[str, Any]]:
    plans = definitions(notifications)
    lines: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-notify-eval-") as tmp:
        path = Path(tmp) / "org.duckdb"
        log(f"building a {size:,}-row change log over {records:,} opportunities")
        build_org(path, size, records)
        seconds, matches = time_sql(path, plans)
        log(f"SQL: {seconds:.2f} s, {matches:,} matches")
        if profile:
            profile_sql(path, plans)  # after the timed run, which it does not change
        python = time_python(path, plans, min(sample, size)) * size / min(sample, size)
        log(f"Python per row (scaled from {min(sample, size):,} rows): {python:.1f} s")
        lines.append({"metric": f"eval_seconds_{notifications}_notifications_{size}_rows", "value": seconds,
                      "unit": "s", "baseline": f"python_per_row_scaled_from_{min(sample, size)}_rows",
                      "baseline_value": python})
        lines.append({"metric": "matches", "value": matches, "unit": "count"})
        if size > ONE_MILLION:
            small = Path(tmp) / "org-1m.duckdb"
            build_org(small, ONE_MILLION, records)
            one, _ = time_sql(small, plans)
            log(f"SQL at 1,000,000 rows: {one:.2f} s")
            lines.append({"metric": f"eval_seconds_{size}_rows_vs_1m", "value": seconds, "unit": "s",
                          "baseline": "eval_seconds_1000000_rows_same_run", "baseline_value": one})
    return lines


if __name__ == "__main__":  # python -m bench.notify_eval [SIZE]
    import json

    for line in run(int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SIZE):
        print(json.dumps(line))
