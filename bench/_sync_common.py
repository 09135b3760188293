"""What the sync benchmarks share: the sandbox in its own process, the sync in its own process.

- :func:`sandbox_process` starts ``saleshome sandbox salesforce --opportunities N --port 0`` as
  a subprocess, reads its JSON ready line and stops it with SIGTERM.
- :func:`register_org` connects that sandbox org (``add_org``) in a fresh Sales Home home.
- :func:`run_sync` runs ``sync_org`` in a child process (``python -m bench._sync_common``) and
  measures it: the seconds of ``sync_org`` itself (timed inside the child, so interpreter
  start-up and imports are left out), the child's wall time, and its peak RSS
  (``ru_maxrss`` of that child from ``os.wait4``, in MiB, reported as "MB").  Set
  ``BENCH_SYNC_PROFILE=/path/prefix`` to get a cProfile dump of each sync child.
- :func:`local_limit` is the "local limit" baseline: the same Bulk 2.0 queryAll queries the
  engine issues (``object_schema(describe).soql(...)``), downloaded with plain ``requests``
  streaming to files, then DuckDB's own ``read_csv`` of those files into a table of an
  on-disk database.
"""

from __future__ import annotations

import argparse
import contextlib
import email.utils
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import requests

ALIAS = "bench"
CREDENTIAL_REF = "env:SALESHOME_SF_BENCH"
CREDENTIALS_FILE = "bench-credentials.json"
#: The sandbox's daily API budget: large enough that no benchmark pauses for quota.
DAILY_API_LIMIT = 1_000_000_000
#: Peak RSS the full sync must stay under (issue 4 §4).
RSS_TARGET_MB = 600.0
SANDBOX_START_TIMEOUT = 900.0
REPO_ROOT = Path(__file__).resolve().parent.parent


def log(message: str) -> None:
    """Progress on stderr (stdout carries only the JSON lines)."""
    print(f"bench: {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------- the sandbox
@dataclass
class Sandbox:
    """A running sandbox subprocess and what its ready line said."""

    info: dict[str, str]
    process: subprocess.Popen[str]
    http: requests.Session
    start_seconds: float

    @property
    def instance_url(self) -> str:
        return self.info["instance_url"]

    @property
    def api_base(self) -> str:
        return f"{self.instance_url}/services/data/v{self.info['api_version']}"

    def control(self, method: str, action: str, body: dict[str, Any] | None = None, timeout: float = 3600) -> Any:
        """A call to the sandbox's control endpoints (``/_sandbox/...``)."""
        response = self.http.request(method, f"{self.instance_url}/_sandbox/{action}", json=body, timeout=timeout)
        response.raise_for_status()
        return response.json() if response.content else None

    def record_counts(self) -> dict[str, int]:
        """Rows per object in the org, deleted ones included (what queryAll returns)."""
        return {name: int(n) for name, n in self.control("GET", "info")["records"].items()}

    def simulate(self, changes: int) -> dict[str, Any]:
        """Apply ``changes`` simulated changes; returns the simulator's report (``counts`` per kind...)."""
        report: dict[str, Any] = self.control("POST", "simulate", {"changes": changes})
        return report

    def advance_clock(self, seconds: float) -> None:
        self.control("POST", "clock", {"advance_seconds": seconds})

    def access_token(self) -> str:
        response = self.http.post(
            self.info["token_url"],
            timeout=60,
            data={
                "grant_type": "client_credentials",
                "client_id": self.info["client_id"],
                "client_secret": self.info["client_secret"],
            },
        )
        response.raise_for_status()
        return str(response.json()["access_token"])


def _session(ca_file: str) -> requests.Session:
    # trust_env off: REQUESTS_CA_BUNDLE would override `verify` (requests issue #3829).
    session = requests.Session()
    session.trust_env = False
    session.verify = ca_file
    return session


def _ready_line(process: subprocess.Popen[str]) -> dict[str, str] | None:
    """The sandbox's JSON ready line (None if it exits first).

    Other output may come before it on stdout: at large sizes DuckDB draws its progress bar
    there while the org is seeded (``\r``-separated, so text mode sees empty lines).
    """
    assert process.stdout is not None
    for line in process.stdout:
        text = line.strip()
        if text.startswith("{"):
            with contextlib.suppress(ValueError):
                info = json.loads(text)
                if isinstance(info, dict) and "instance_url" in info:
                    return info
    return None


def _drain(process: subprocess.Popen[str]) -> None:
    if process.stdout is not None:
        for _ in process.stdout:
            pass


@contextlib.contextmanager
def sandbox_process(opportunities: int, *, seed: int = 1, state_dir: Path | None = None) -> Iterator[Sandbox]:
    """``saleshome sandbox salesforce --opportunities N --port 0`` in a subprocess, until SIGTERM
    (``--state-dir``: the org kept there, reused when it holds one)."""
    command = [
        sys.executable,
        "-c",
        "from saleshome.cli import main; main()",
        "sandbox",
        "salesforce",
        "--opportunities",
        str(opportunities),
        "--port",
        "0",
        "--seed",
        str(seed),
        "--daily-api-limit",
        str(DAILY_API_LIMIT),
        *(["--state-dir", str(state_dir)] if state_dir is not None else []),
    ]
    with tempfile.TemporaryFile("w+") as errors:
        began = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True, cwd=REPO_ROOT)
        try:
            info = _ready_line(process)
            if info is None:
                process.wait(timeout=SANDBOX_START_TIMEOUT)
                errors.seek(0)
                raise RuntimeError(
                    f"the sandbox exited ({process.returncode}) before it was ready: {errors.read()[-2000:]}"
                )
            started = time.perf_counter() - began
            # Keep reading (and dropping) its stdout, so a full pipe never blocks the sandbox.
            threading.Thread(target=_drain, args=(process,), daemon=True).start()
            log(f"sandbox with {opportunities:,} opportunities ready in {started:.1f}s at {info['instance_url']}")
            with _session(info["ca_file"]) as http:
                yield Sandbox(info, process, http, started)
        finally:
            _stop(process)


def _stop(process: subprocess.Popen[Any]) -> None:
    """SIGTERM a child still running; SIGKILL it if it has not exited after a minute."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def register_org(sandbox: Sandbox, home: Path, *, objects: Sequence[str] | None = None) -> Path:
    """Connect the sandbox org as ``bench`` in a fresh home.

    The org's credentials are the sandbox's throwaway ones, read from ``SALESHOME_SF_BENCH_*``:
    set in this process only while ``add_org`` runs, and kept (mode 600) in the home for the
    sync children, so nothing stays behind in the environment of the caller (e.g. pytest).
    """
    from saleshome.config import load_settings
    from saleshome.salesforce.credentials import AuthMethod
    from saleshome.settings.orgs import add_org
    from saleshome.warehouse.control import control_db

    credentials = {
        "SALESHOME_SF_BENCH_CLIENT_ID": sandbox.info["client_id"],
        "SALESHOME_SF_BENCH_CLIENT_SECRET": sandbox.info["client_secret"],
    }
    home.mkdir(parents=True, exist_ok=True)
    stored = home / CREDENTIALS_FILE
    stored.touch(mode=0o600)
    stored.write_text(json.dumps(credentials))
    saved = {key: os.environ.get(key) for key in credentials}
    os.environ.update(credentials)
    try:
        settings = load_settings(home=home)
        add_org(
            control_db(settings),
            settings,
            ALIAS,
            login_url=sandbox.instance_url,
            auth_method=AuthMethod.CLIENT_CREDENTIALS,
            credential_ref=CREDENTIAL_REF,
            ca_file=sandbox.info["ca_file"],
            objects=tuple(objects) if objects else None,
        )
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return home


# ---------------------------------------------------------------------------------------- the production path
def prefect_environment(api_url: str) -> dict[str, str]:
    """What points a process at the benchmark's Prefect server (and keeps it off the network)."""
    return {"PREFECT_API_URL": api_url, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}


@contextlib.contextmanager
def prefect_server(directory: Path, *, timeout: float = 180.0) -> Iterator[str]:
    """``prefect server start`` on 127.0.0.1 (SQLite under ``directory``, no UI) until SIGTERM; yields its API URL.

    Started once, before anything is timed: the flow path's figures exclude it."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PREFECT_HOME": str(directory), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_UI_ENABLED": "false",
           "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{directory / 'prefect.db'}"}
    directory.mkdir(parents=True, exist_ok=True)
    prefect = Path(sys.executable).with_name("prefect")
    command = [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    api_url = f"http://127.0.0.1:{port}/api"
    with tempfile.TemporaryFile("w+") as output:
        began = time.perf_counter()
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env, cwd=directory,
                                   start_new_session=True)
        try:
            while True:
                if process.poll() is not None:
                    output.seek(0)
                    raise RuntimeError(f"the Prefect server exited ({process.returncode}): {output.read()[-2000:]}")
                with contextlib.suppress(requests.RequestException):
                    if requests.get(f"{api_url}/health", timeout=2).ok:
                        break
                if time.perf_counter() - began > timeout:
                    raise RuntimeError(f"the Prefect server was not ready after {timeout:.0f}s")
                time.sleep(0.5)
            log(f"Prefect server ready in {time.perf_counter() - began:.1f}s at {api_url}")
            yield api_url
        finally:
            _stop(process)


PATHS = ("engine", "flow")


def production_path(path: str, directory: Path) -> contextlib.AbstractContextManager[str | None]:
    """For ``--path flow``, :func:`prefect_server` in ``directory`` (its API URL); for ``engine``, None.

    An unknown path is refused here, when called: before the caller starts anything else."""
    if path not in PATHS:
        raise ValueError(f"--path must be one of {', '.join(PATHS)}, got {path!r}")
    return prefect_server(directory) if path == "flow" else contextlib.nullcontext()


def connect_flow_home(sandbox: Sandbox, home: Path, *, objects: Sequence[str] | None = None) -> Path:
    """A second home for the flow path: the same org connected, and the workspace's plan every flow checks."""
    register_org(sandbox, home, objects=objects)
    declare_plan(home)
    return home


def declare_plan(home: Path) -> None:
    """The workspace's Slack plan (Enterprise+), declared by the primary owner of a Slack sandbox started for
    the purpose: every Sales Home flow checks it first."""
    from pydantic import SecretStr

    from saleshome.config import load_settings
    from saleshome.sandbox.slack.server import SlackSandbox
    from saleshome.settings.context import SettingsContext
    from saleshome.settings.workspace import Plan, set_plan
    from saleshome.warehouse.control import control_db

    with SlackSandbox(seed=1, opportunities=10, history=False) as slack:
        assert slack.info is not None
        settings = load_settings(home=home).model_copy(
            update={"slack_api_url": slack.info.api_url, "slack_bot_token": SecretStr(slack.info.bot_token)})
        ctx = SettingsContext(control_db(settings), settings)
        set_plan(ctx.control, ctx.directory, ctx.workspace, actor=slack.world.primary_owner_id,
                 plan=Plan.ENTERPRISE_PLUS)


# ---------------------------------------------------------------------------------------- the sync, in a child
@dataclass(frozen=True)
class SyncMeasure:
    seconds: float  # sync_org, timed inside the child
    process_seconds: float  # the child's wall time (interpreter start-up and imports included)
    peak_rss_mb: float  # ru_maxrss of the child, MiB
    status: str
    error: str | None
    objects: list[dict[str, Any]]
    # the flow path: the flow run's duration as the Prefect server recorded it (Running → Completed), without
    # the flow run's creation before it nor the client's teardown after it (e.g. joining its heartbeat thread)
    run_seconds: float | None = None

    def object(self, name: str) -> dict[str, Any]:
        return next(o for o in self.objects if o["object"] == name)

    @property
    def rows_read(self) -> int:
        return sum(int(o["rows_read"]) for o in self.objects)

    @property
    def changes_applied(self) -> int:
        return sum(int(o[k]) for o in self.objects for k in ("inserted", "updated", "deleted", "undeleted", "purged"))


def run_sync(
    home: Path, *, objects: Sequence[str] | None = None, label: str = "sync", api_url: str | None = None,
) -> SyncMeasure:
    """``sync_org`` of the ``bench`` org in a child process; its time, peak RSS and per-object result.

    ``api_url``: run the production path instead, the Prefect flow ``flows.sync.sync_org`` against the
    Prefect server there (the flow call timed: flow run, plan check, org slot, task runs, artifacts, events).
    """
    command = [sys.executable, "-m", "bench._sync_common", "--home", str(home)]
    if objects:
        command += ["--objects", ",".join(objects)]
    env = dict(os.environ)
    if api_url is not None:
        command += ["--flow"]
        env.update(prefect_environment(api_url), SALESHOME_HOME=str(home))
    profile = env.get("BENCH_SYNC_PROFILE")
    if profile:
        env["BENCH_SYNC_PROFILE"] = f"{profile}-{label}.prof"
    with tempfile.TemporaryFile("w+") as out:
        began = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=None, env=env, cwd=REPO_ROOT)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - began
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read()
    if process.returncode != 0:
        raise RuntimeError(f"the {label} child exited with {process.returncode}: {text[-2000:]}")
    result = json.loads(text.strip().splitlines()[-1])
    if result["status"] != "completed":
        raise RuntimeError(f"the {label} ended {result['status']}: {result['error']}")
    measure = SyncMeasure(
        float(result["seconds"]), wall, usage.ru_maxrss / 1024, result["status"], result["error"], result["objects"],
        result.get("run_seconds"),
    )
    recorded = "" if measure.run_seconds is None else f", flow run {measure.run_seconds:.1f}s as Prefect recorded it"
    log(f"{label}: {measure.seconds:.1f}s (process {wall:.1f}s{recorded}), peak RSS {measure.peak_rss_mb:.0f} MiB")
    for o in measure.objects:
        log(
            f"  {o['object']:<24} {o['path']:<5} {o['rows_read']:>9,} read  {o['inserted']:>9,} ins "
            f"{o['updated']:>7,} upd {o['deleted']:>7,} del  {o['api_calls']:>4} calls {o['seconds']:7.2f}s"
        )
    return measure


def recorded_run_seconds(state: Any) -> float:
    """The flow run's duration as the Prefect server recorded it (start → end)."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        run = client.read_flow_run(state.state_details.flow_run_id)
    assert run.start_time is not None and run.end_time is not None, run
    return float((run.end_time - run.start_time).total_seconds())


def _child(argv: Sequence[str] | None = None) -> int:
    """The sync child: ``python -m bench._sync_common --home DIR [--objects A,B]``; one JSON line out."""
    parser = argparse.ArgumentParser(prog="python -m bench._sync_common")
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--objects", default="")
    parser.add_argument("--flow", action="store_true", help="the Prefect flow (PREFECT_API_URL), not the engine")
    args = parser.parse_args(argv)
    from saleshome.config import load_settings
    from saleshome.sync.engine import sync_org
    from saleshome.sync.results import SyncResult
    from saleshome.warehouse.control import control_db

    os.environ.update(json.loads((args.home / CREDENTIALS_FILE).read_text()))
    settings = load_settings(home=args.home)
    objects = [o for o in args.objects.split(",") if o] or None
    profile_path = os.environ.get("BENCH_SYNC_PROFILE")
    profiler = None
    if profile_path:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    run_seconds = None
    if args.flow:
        from flows.states import finish
        from flows.sync import sync_org as sync_flow

        began = time.perf_counter()
        state = finish(sync_flow(ALIAS, objects=objects, return_state=True))  # an async flow: run to its end
        seconds = time.perf_counter() - began
        result = state.result(raise_on_failure=True)
        assert isinstance(result, SyncResult), state
        run_seconds = recorded_run_seconds(state)
    else:
        began = time.perf_counter()
        result = sync_org(control_db(settings), settings, ALIAS, objects=objects)
        seconds = time.perf_counter() - began
    if profiler is not None and profile_path:
        profiler.disable()
        profiler.dump_stats(profile_path)
    keys = (
        "object",
        "path",
        "inserted",
        "updated",
        "deleted",
        "undeleted",
        "purged",
        "rows_read",
        "api_calls",
        "seconds",
        "windows",
    )
    print(
        json.dumps(
            {
                "seconds": seconds,
                "run_seconds": run_seconds if args.flow else None,
                "status": result.status,
                "error": result.error,
                "objects": [{k: getattr(o, k) for k in keys} for o in result.objects],
            }
        )
    )
    return 0


# ---------------------------------------------------------------------------------------- checks
def synced_counts(home: Path, objects: Sequence[str]) -> dict[str, int]:
    """Rows per object in the org's warehouse (read-only, after the sync child exited)."""
    from saleshome.config import load_settings

    path = load_settings(home=home).org_db(ALIAS)
    with duckdb.connect(str(path), read_only=True) as conn:
        counts = {}
        for name in objects:
            row = conn.execute(f'SELECT count(*) FROM sf."{name}"').fetchone()
            counts[name] = int(row[0]) if row else 0
    return counts


@dataclass(frozen=True)
class IdCheck:
    """The warehouse's Ids against the org's (``queryAll``: soft-deleted rows included, purged ones not)."""

    missing: int  # in the org, not in the warehouse: rows the sync lost
    extra: int  # in the warehouse, not in the org: purged (hard-deleted) records awaiting the Id reconciliation
    duplicates: int  # Ids the warehouse holds more than once


def compare_ids(sandbox: Sandbox, home: Path, objects: Sequence[str], directory: Path) -> IdCheck:
    """Every object's Id set in the org (a Bulk queryAll of ``SELECT Id``) against the warehouse's."""
    from saleshome.config import load_settings

    http = _session(sandbox.info["ca_file"])
    http.headers["Authorization"] = f"Bearer {sandbox.access_token()}"
    directory.mkdir(parents=True, exist_ok=True)
    missing = extra = duplicates = 0
    path = load_settings(home=home).org_db(ALIAS)
    with duckdb.connect() as conn:
        if "'" in str(path):
            raise ValueError(f"unexpected quote in {path}")
        conn.execute(f"ATTACH '{path}' AS wh (READ_ONLY)")
        for name in objects:
            files = _bulk_download(http, sandbox.api_base, f"SELECT Id FROM {name}", directory, f"ids-{name}")
            conn.execute(
                'CREATE OR REPLACE TEMP TABLE org_ids AS SELECT "Id" FROM read_csv(?, header = true, '
                "columns = {'Id': 'VARCHAR'}, auto_detect = false)",
                [files],
            )
            row = conn.execute(
                f'SELECT (SELECT count(*) FROM org_ids o ANTI JOIN wh.sf."{name}" w ON w."Id" = o."Id"), '
                f'(SELECT count(*) FROM wh.sf."{name}" w ANTI JOIN org_ids o ON w."Id" = o."Id"), '
                f'(SELECT count(*) - count(DISTINCT "Id") FROM wh.sf."{name}")'
            ).fetchone()
            assert row is not None
            missing, extra, duplicates = missing + int(row[0]), extra + int(row[1]), duplicates + int(row[2])
            for file in files:
                Path(file).unlink()
    http.close()
    log(f"Id check: {missing} missing from the warehouse, {extra} only in the warehouse, {duplicates} duplicated")
    return IdCheck(missing, extra, duplicates)


def _bulk_download(
    http: requests.Session, base: str, soql: str, directory: Path, prefix: str, *, page_records: int = 100_000
) -> list[str]:
    """A Bulk 2.0 queryAll job's CSV result sets, streamed to files with plain requests."""
    job = http.post(f"{base}/jobs/query", json={"operation": "queryAll", "query": soql}, timeout=120)
    job.raise_for_status()
    job_id = job.json()["id"]
    while (state := http.get(f"{base}/jobs/query/{job_id}", timeout=120).json()["state"]) != "JobComplete":
        if state in ("Failed", "Aborted"):
            raise RuntimeError(f"Bulk job {soql!r} ended {state}")
        time.sleep(0.02)
    files: list[str] = []
    locator = ""
    while locator != "null":
        params: dict[str, str | int] = {"maxRecords": page_records, **({"locator": locator} if locator else {})}
        target = directory / f"{prefix}-{len(files):05d}.csv"
        with http.get(f"{base}/jobs/query/{job_id}/results", params=params, stream=True, timeout=600) as page:
            page.raise_for_status()
            with target.open("wb") as out:
                for chunk in page.iter_content(chunk_size=1 << 20):
                    out.write(chunk)
            locator = page.headers["Sforce-Locator"]
        files.append(str(target))
    http.delete(f"{base}/jobs/query/{job_id}", timeout=60)
    return files


# ---------------------------------------------------------------------------------------- the baseline
@dataclass(frozen=True)
class LocalLimit:
    seconds: float
    rows: dict[str, int]
    object_seconds: dict[str, float]


def local_limit(
    sandbox: Sandbox,
    objects: Sequence[str],
    directory: Path,
    *,
    page_records: int = 100_000,
    safety_lag_seconds: int = 30,
) -> LocalLimit:
    """Bulk 2.0 CSV download with plain requests + DuckDB ``read_csv`` into tables: the floor for a full sync.

    Same SOQL as the engine's (``object_schema(describe).soql(cursor < signpost)``), same
    ``queryAll`` operation and page size; one table per object in an on-disk DuckDB file.
    """
    from saleshome.salesforce.schema import object_schema
    from saleshome.sync.engine import soql_datetime

    directory.mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}
    object_seconds: dict[str, float] = {}
    began = time.perf_counter()
    http = _session(sandbox.info["ca_file"])
    http.headers["Authorization"] = f"Bearer {sandbox.access_token()}"
    base = sandbox.api_base
    conn = duckdb.connect(str(directory / "baseline.duckdb"))
    try:
        for name in objects:
            started = time.perf_counter()
            response = http.get(f"{base}/sobjects/{name}/describe/", timeout=120)
            response.raise_for_status()
            server_now = datetime.now(UTC)
            with contextlib.suppress(TypeError, ValueError, KeyError):
                server_now = email.utils.parsedate_to_datetime(response.headers["Date"])
            schema = object_schema(response.json())
            signpost = server_now - timedelta(seconds=safety_lag_seconds)
            soql = schema.soql(f"{schema.cursor_field} < {soql_datetime(signpost)}")
            files = _bulk_download(http, base, soql, directory, name, page_records=page_records)
            conn.execute(f'CREATE TABLE "{name}" AS SELECT * FROM read_csv(?, header = true)', [files])
            row = conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()
            rows[name] = int(row[0]) if row else 0
            for file in files:
                Path(file).unlink()
            object_seconds[name] = time.perf_counter() - started
    finally:
        conn.close()
        http.close()
    seconds = time.perf_counter() - began
    log(
        f"local limit (requests + DuckDB read_csv): {seconds:.1f}s for {sum(rows.values()):,} rows "
        + ", ".join(f"{k} {v:.1f}s" for k, v in object_seconds.items())
    )
    return LocalLimit(seconds, rows, object_seconds)


if __name__ == "__main__":
    raise SystemExit(_child())
