"""The Opportunity full sync against dlt in its fastest setup, on the same data in the same run.

Ours: the engine's full sync of the Opportunity object alone (``sync_org(objects=["Opportunity"])``
in a child process: Bulk 2.0 CSV → DuckDB, merge by Id, change log).  Baseline: dlt (from
PyPI, the ``bench`` dependency group) with its ``rest_api`` source paging the sandbox's REST
``query`` endpoint (the same SOQL: the engine's Opportunity fields; ``nextRecordsUrl`` paging
with ``batchSize=2000``; Bearer token from the sandbox's OAuth token endpoint; the sandbox's
CA through a ``requests`` session with ``trust_env`` off), ``primary_key="Id"``,
``write_disposition="merge"``, ``loader_file_format="parquet"``, into DuckDB — also in a
child process.  dlt's defaults otherwise (one extract thread, one normalize worker); the
REST ``attributes`` object of each record is dropped by a ``map`` step so dlt loads only
the fields.  Target: ours at least 10x faster (time ratio <= 0.1).

``--path flow`` adds the production path in the same run: the Prefect flow ``flows.sync.sync_org`` of
the Opportunity object, in a home of its own, against a local Prefect server (started first, not
timed), with its own line against dlt (same target).

``--dlt-rows N`` (``run(size, dlt_rows=N)``; 0 = all) measures dlt on the first N rows only
(``LIMIT N``) when the whole org would take too long: the time line is then named
``..._vs_dlt_extrapolated_from_N_rows`` and compares ours with dlt's time scaled to all rows
(dlt's rows/s is flat in the row count: it pages 2,000 rows at a time); the rows/s lines
compare directly.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import requests

from bench._sync_common import (
    REPO_ROOT,
    connect_flow_home,
    log,
    production_path,
    register_org,
    run_sync,
    sandbox_process,
    synced_counts,
)

DEFAULT_SIZE = 1_000_000
OBJECT = "Opportunity"
REST_BATCH_SIZE = 2000


def _opportunity_soql(api_base: str, session: requests.Session) -> str:
    """The engine's SOQL for Opportunity (its described, non-formula fields)."""
    from saleshome.salesforce.schema import object_schema

    response = session.get(f"{api_base}/sobjects/{OBJECT}/describe/", timeout=120)
    response.raise_for_status()
    return object_schema(response.json()).soql()


def run(size: int, *, dlt_rows: int = 0, path: str = "engine") -> list[dict[str, Any]]:
    flow_seconds = None
    with tempfile.TemporaryDirectory(prefix="bench-sync-vs-dlt-") as tmp, \
            production_path(path, Path(tmp) / "prefect") as api_url, sandbox_process(size) as sandbox:
        org_rows = sandbox.record_counts()[OBJECT]
        home = register_org(sandbox, Path(tmp) / "home", objects=[OBJECT])
        ours = run_sync(home, objects=[OBJECT], label="opportunity-sync")
        ours_rows = synced_counts(home, [OBJECT])[OBJECT]
        if api_url is not None:
            flow_home = connect_flow_home(sandbox, Path(tmp) / "flow-home", objects=[OBJECT])
            flow_seconds = run_sync(flow_home, objects=[OBJECT], label="opportunity-sync-flow", api_url=api_url).seconds
            if synced_counts(flow_home, [OBJECT])[OBJECT] != ours_rows:
                raise RuntimeError("the flow path synced another number of rows than the engine path")

        token = sandbox.access_token()
        sandbox.http.headers["Authorization"] = f"Bearer {token}"
        soql = _opportunity_soql(sandbox.api_base, sandbox.http)
        if dlt_rows:
            soql += f" LIMIT {dlt_rows}"
        job = {
            "base_url": sandbox.api_base + "/",
            "token": token,
            "ca_file": sandbox.info["ca_file"],
            "soql": soql,
            "work": str(Path(tmp) / "dlt"),
        }
        dlt = _run_dlt_child(job)
    dlt_seconds, dlt_loaded = float(dlt["seconds"]), int(dlt["rows"])
    ours_rate = ours_rows / ours.seconds
    dlt_rate = dlt_loaded / dlt_seconds
    expected_dlt_rows = min(dlt_rows, org_rows) if dlt_rows else org_rows
    if dlt_rows and dlt_rows < org_rows:
        time_metric = f"opportunity_full_sync_seconds_vs_dlt_extrapolated_from_{dlt_loaded}_rows"
        dlt_time = dlt_seconds * org_rows / max(dlt_loaded, 1)
    else:
        time_metric, dlt_time = "opportunity_full_sync_seconds", dlt_seconds
    flow_lines = [] if flow_seconds is None else [
        {"metric": "flow_" + time_metric, "value": flow_seconds, "unit": "s",
         "baseline": "dlt_rest_api_parquet_merge_duckdb_seconds", "baseline_value": dlt_time},
    ]
    return [
        *flow_lines,
        {
            "metric": time_metric,
            "value": ours.seconds,
            "unit": "s",
            "baseline": "dlt_rest_api_parquet_merge_duckdb_seconds",
            "baseline_value": dlt_time,
        },
        {
            "metric": "opportunity_rows_per_second",
            "value": ours_rate,
            "unit": "rows/s",
            "baseline": "dlt_rest_api_parquet_merge_duckdb_rows_per_second",
            "baseline_value": dlt_rate,
        },
        {"metric": "dlt_rows_per_second", "value": dlt_rate, "unit": "rows/s"},
        {
            "metric": "opportunity_sync_peak_rss",
            "value": ours.peak_rss_mb,
            "unit": "MB",
            "baseline": "dlt_peak_rss",
            "baseline_value": float(dlt["peak_rss_mb"]),
        },
        {"metric": "opportunity_rows_synced", "value": ours_rows, "unit": "count"},
        {"metric": "opportunity_rows_mismatch_ours_vs_org", "value": abs(ours_rows - org_rows), "unit": "count"},
        {"metric": "dlt_rows_loaded", "value": dlt_loaded, "unit": "count"},
        {"metric": "dlt_rows_mismatch_vs_expected", "value": abs(dlt_loaded - expected_dlt_rows), "unit": "count"},
    ]


def _run_dlt_child(job: dict[str, str]) -> dict[str, Any]:
    """The dlt pipeline in its own process (``python -m bench.sync_vs_dlt JOB.json``)."""
    work = Path(job["work"])
    work.mkdir(parents=True)
    job_file = work / "job.json"
    job_file.write_text(json.dumps(job))
    job_file.chmod(0o600)  # it holds a (throwaway) access token of the local sandbox
    env = dict(os.environ)
    env.update(
        {
            "RUNTIME__DLTHUB_TELEMETRY": "false",  # no network here: never try to send telemetry
            "RUNTIME__LOG_LEVEL": "WARNING",
            "DLT_DATA_DIR": str(work / "data"),
            "PYTHONPATH": os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p),
        }
    )
    with tempfile.TemporaryFile("w+") as out:
        began = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.sync_vs_dlt", str(job_file)], stdout=out, env=env, cwd=work
        )
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - began
        out.seek(0)
        text = out.read()
    if process.returncode != 0:
        raise RuntimeError(f"the dlt child exited with {process.returncode}: {text[-2000:]}")
    result: dict[str, Any] = json.loads(text.strip().splitlines()[-1])
    result["peak_rss_mb"] = usage.ru_maxrss / 1024
    log(
        f"dlt: {result['rows']:,} rows in {result['seconds']:.1f}s (process {wall:.1f}s), "
        f"{result['rows'] / result['seconds']:,.0f} rows/s, peak RSS {result['peak_rss_mb']:.0f} MiB; "
        f"steps {result['steps']}"
    )
    return result


def _drop_attributes(record: dict[str, Any]) -> dict[str, Any]:
    record.pop("attributes", None)
    return record


def _dlt_child(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sync_vs_dlt")
    parser.add_argument("job", type=Path)
    args = parser.parse_args(argv)
    job = json.loads(args.job.read_text())
    work = Path(job["work"])
    # dlt lives in the `bench` dependency group only (not installed by `make test`): imported here,
    # by name, so type checking does not depend on which groups the environment holds.
    dlt: Any = importlib.import_module("dlt")
    rest_api: Any = importlib.import_module("dlt.sources.rest_api")
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would override `verify` (requests issue #3829)
    session.verify = job["ca_file"]
    source = rest_api.rest_api_source(
        {
            "client": {
                "base_url": job["base_url"],
                "auth": {"type": "bearer", "token": job["token"]},
                "headers": {"Sforce-Query-Options": f"batchSize={REST_BATCH_SIZE}"},
                "session": session,
            },
            "resource_defaults": {"primary_key": "Id", "write_disposition": "merge"},
            "resources": [
                {
                    "name": OBJECT.lower(),
                    "endpoint": {
                        "path": "query",
                        "params": {"q": job["soql"]},
                        "data_selector": "records",
                        "paginator": {"type": "json_link", "next_url_path": "nextRecordsUrl"},
                    },
                    "processing_steps": [{"map": _drop_attributes}],
                }
            ],
        }
    )
    database = work / "dlt.duckdb"
    pipeline = dlt.pipeline(
        pipeline_name="bench_sf",
        destination=dlt.destinations.duckdb(str(database)),
        dataset_name="sf",
        pipelines_dir=str(work / "pipelines"),
    )
    began = time.perf_counter()
    pipeline.run(source, loader_file_format="parquet")
    seconds = time.perf_counter() - began
    steps = {str(step.step): (step.finished_at - step.started_at).total_seconds() for step in pipeline.last_trace.steps}
    with duckdb.connect(str(database), read_only=True) as conn:
        row = conn.execute(f"SELECT count(*) FROM sf.{OBJECT.lower()}").fetchone()
    print(
        json.dumps(
            {"seconds": seconds, "rows": int(row[0]) if row else 0, "steps": {k: round(v, 2) for k, v in steps.items()}}
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(_dlt_child())
