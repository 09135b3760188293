"""The Prefect sync flows against a sandbox org, under one session-wide Prefect test harness."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import duckdb
import pytest
from prefect import task
from prefect.blocks.system import Secret
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    FlowRunFilter,
    FlowRunFilterId,
    LogFilter,
    LogFilterFlowRunId,
)
from prefect.logging.handlers import APILogHandler
from prefect.settings import PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW, temporary_settings
from prefect.states import State

from flows.states import PAUSED_FOR_QUOTA, finish
from flows.sync import BackfillParameters, backfill, sync_all_orgs, sync_org
from saleshome.config import Settings, load_settings
from saleshome.errors import ConfigurationError, FatalError, QuotaExceededError, RetriableError, ValidationError
from saleshome.salesforce.credentials import AuthMethod, env_prefix_for
from saleshome.sandbox.salesforce.server import SalesforceSandbox, SandboxInfo
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.settings.context import SettingsContext
from saleshome.settings.orgs import add_org
from saleshome.settings.workspace import Plan, SalesHomeUnavailableError, set_plan
from saleshome.sync import engine
from saleshome.sync.engine import QuotaPaused
from saleshome.sync.results import SyncResult
from saleshome.warehouse.control import ControlDB, control_db
from tasks.artifacts import progress_key, summary_key
from tasks.credentials import read_secret_block
from tasks.errors import TASK_RETRIES, retry_options, should_retry
from tests.fixtures.sandboxes import sandbox_control, sandbox_session, set_org_credentials, use_slack
from tests.fixtures.slack_workspace import make_ready

# The module's own sandboxes, and ``info`` (its org's credentials, budget refilled after each test): tests/fixtures/.
pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("prefect_harness", "no_running_event_loop"),
              pytest.mark.sandboxes(seed=21, opportunities=200)]

FEW_OBJECTS = ("Account", "Opportunity")


# ---------------------------------------------------------------------------------------- fixtures and helpers
@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, info: SandboxInfo, slack: SlackSandbox) -> Settings:
    """The flows' Sales Home (from SALESHOME_HOME) on an Enterprise+ workspace of the Slack sandbox, its sales
    admin acting by default (SALESHOME_ACTOR), with credentials for a few aliases in the environment."""
    monkeypatch.setenv("SALESHOME_HOME", str(tmp_path / "flow-home"))
    use_slack(monkeypatch, slack)
    for alias in ("acme", "beta"):
        set_org_credentials(monkeypatch, alias, info)
    monkeypatch.setenv("SALESHOME_ACTOR", make_ready(load_settings(), slack))
    return load_settings()


def connect(settings: Settings, info: SandboxInfo, alias: str, objects: tuple[str, ...] | None = None,
            ref: str | None = None) -> None:
    resolvers = {"prefect-secret": read_secret_block}
    add_org(control_db(settings), settings, alias, login_url=info.instance_url,
            auth_method=AuthMethod.CLIENT_CREDENTIALS, credential_ref=ref or f"env:{env_prefix_for(alias)}", ca_file=info.ca_file, objects=objects,
            resolvers=resolvers)


def simulate(info: SandboxInfo, sandbox: SalesforceSandbox, changes: int) -> None:
    response = sandbox_session(info.ca_file).post(f"{info.instance_url}/_sandbox/simulate",
                                                  json={"changes": changes, "seed": 3}, timeout=120)
    assert response.status_code == 200, response.text
    assert sandbox.store is not None
    sandbox.store.clock.advance(60)  # past the signpost's safety lag


def contents(settings: Settings, alias: str, obj: str) -> list[tuple[Any, ...]]:
    """Every row of our copy of ``obj`` (our own bookkeeping columns left out), sorted."""
    with duckdb.connect(str(settings.org_db(alias)), read_only=True) as db:
        names = [r[0] for r in db.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'sf' AND table_name = ? "
            "AND NOT starts_with(column_name, '_sh_') ORDER BY column_name", [obj]).fetchall()]
        select = ", ".join(f'"{n}"' for n in names)
        return sorted(db.execute(f'SELECT {select} FROM sf."{obj}"').fetchall(), key=repr)


def change_counts(settings: Settings, alias: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(settings.org_db(alias)), read_only=True) as db:
        return db.execute("SELECT object, operation, field, initial, count(*) FROM change_log "
                          "GROUP BY ALL ORDER BY ALL").fetchall()


def cursors(settings: Settings, alias: str) -> dict[str, datetime]:
    with duckdb.connect(str(settings.org_db(alias)), read_only=True) as db:
        return dict(db.execute("SELECT object, cursor FROM cursors").fetchall())


def flow_run_id(state: State[Any]) -> UUID:
    run_id = state.state_details.flow_run_id
    assert run_id is not None
    return run_id


def artifacts(run_id: UUID) -> dict[str, Any]:
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id])))
    return {a.key or str(a.id): a for a in found}


def logs(run_id: UUID) -> list[str]:
    APILogHandler().flush()
    with get_client(sync_client=True) as client:
        found = client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])))
    return [entry.message for entry in found]


def task_run_names(run_id: UUID) -> list[str]:
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id])))
    return [r.name for r in runs]


# ---------------------------------------------------------------------------------------- sync_org
def test_the_flow_copies_what_the_engine_copies(
    home: Settings, info: SandboxInfo, sandbox: SalesforceSandbox, tmp_path: Path,
) -> None:
    reference = load_settings(home=tmp_path / "engine-home")
    connect(home, info, "acme")
    connect(reference, info, "acme")

    state = finish(sync_org("acme", return_state=True))
    by_engine = engine.sync_org(control_db(reference), reference, "acme")
    assert state.is_completed(), state.message
    by_flow = state.result()
    assert isinstance(by_flow, SyncResult) and by_flow.kind == "initial"
    objects = [o.object for o in by_engine.objects]
    assert [o.object for o in by_flow.objects] == objects == list(engine.DEFAULT_OBJECTS)
    for obj in objects:
        assert contents(home, "acme", obj) == contents(reference, "acme", obj), obj
    assert change_counts(home, "acme") == change_counts(reference, "acme")

    # the summary table artifact, the progress artifact of the initial sync, a log line per object
    run_id = flow_run_id(state)
    found = artifacts(run_id)
    summary = found[summary_key("acme")]
    assert summary.type == "table"
    rows = {r["object"]: r for r in json.loads(summary.data)}
    for result in by_engine.objects:
        row = rows[result.object]
        assert (row["inserted"], row["updated"], row["deleted"], row["purged"]) == (result.inserted, 0, 0, 0)
        assert row["path"] == "REST" and row["API calls"] > 0 and row["seconds"] >= 0
        assert row["cursor before → after"].startswith("- → 20")
    progress = found[progress_key("acme")]
    assert progress.type == "progress" and float(progress.data) == pytest.approx(100.0)
    messages = logs(run_id)
    for result in by_engine.objects:
        assert sum(m.startswith(f"acme {result.object}: {result.inserted} inserted") for m in messages) == 1
    names = task_run_names(run_id)
    # the engine's runner, its steps as task runs: opening the run, one per object, the list views
    assert sorted(names) == sorted(["open-acme", "lists-acme", *(f"sync-acme-{o}" for o in objects)])

    # an incremental run after activity in the org: still the same copy, no progress artifact
    simulate(info, sandbox, changes=150)
    state = finish(sync_org("acme", objects=list(FEW_OBJECTS), return_state=True))
    engine.sync_org(control_db(reference), reference, "acme", objects=list(FEW_OBJECTS))
    assert state.is_completed(), state.message
    assert state.result().kind == "incremental"
    for obj in FEW_OBJECTS:
        assert contents(home, "acme", obj) == contents(reference, "acme", obj), obj
    assert progress_key("acme") not in artifacts(flow_run_id(state))


def test_an_object_step_that_fails_retriably_is_retried_from_its_cursor(
    home: Settings, info: SandboxInfo, sandbox: SalesforceSandbox, tmp_path: Path,
) -> None:
    """Salesforce answers 500 to Lead's describe as many times as the client tries: the object's task run fails
    retriably, Prefect runs it again, and the object is read afresh, the same rows as an undisturbed sync."""
    objects = ("Account", "Lead")
    reference = load_settings(home=tmp_path / "engine-home")
    connect(home, info, "acme", objects=objects)
    connect(reference, info, "acme", objects=objects)
    sandbox_control(sandbox, "faults", {"kind": "status", "status": 500, "path": "/sobjects/Lead/describe",
                                        "times": 5})  # the client's five attempts, then Salesforce answers again
    state = finish(sync_org("acme", return_state=True))
    assert state.is_completed(), state.message
    with get_client(sync_client=True) as client:
        runs = {r.name: r for r in client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id(state)])))}
    assert runs["sync-acme-Lead"].run_count == 2 and runs["sync-acme-Account"].run_count == 1
    engine.sync_org(control_db(reference), reference, "acme")
    for obj in objects:
        assert contents(home, "acme", obj) == contents(reference, "acme", obj), obj


def test_a_spent_budget_pauses_the_run_and_completes_it(home: Settings, info: SandboxInfo,
                                                       sandbox: SalesforceSandbox) -> None:
    connect(home, info, "acme", objects=FEW_OBJECTS)
    sandbox.budget.set(used=95_000, daily_max=100_000)
    state = finish(sync_org("acme", return_state=True))
    assert state.is_completed() and state.name == PAUSED_FOR_QUOTA
    assert state.message is not None and "reserve" in state.message
    sandbox.budget.set(used=0)
    assert finish(sync_org("acme", return_state=True)).is_completed()  # and the next run resumes


def test_sync_all_orgs_runs_every_org_and_reports_a_failed_one(
    home: Settings, info: SandboxInfo, monkeypatch: pytest.MonkeyPatch,
) -> None:
    with SalesforceSandbox(seed=22, opportunities=60) as other:  # beta: another org (an org is connected once)
        assert other.info is not None
        monkeypatch.setenv("SALESHOME_SF_BETA_CLIENT_ID", other.info.client_id)
        monkeypatch.setenv("SALESHOME_SF_BETA_CLIENT_SECRET", other.info.client_secret)
        connect(home, info, "acme", objects=FEW_OBJECTS)
        connect(home, other.info, "beta", objects=FEW_OBJECTS)
        state = sync_all_orgs(return_state=True)
        assert state.is_completed(), state.message
        assert all(cursors(home, alias) for alias in ("acme", "beta"))
        runs = [tuple(r.values()) for r in ControlDB(home.control_db).rows(  # both runs beat from this process
            "SELECT alias, status, pid, heartbeat_at >= started_at AS beat FROM sync_runs ORDER BY alias")]
        assert runs == [("acme", "completed", os.getpid(), True), ("beta", "completed", os.getpid(), True)]
        assert not [t for t in threading.enumerate() if t.name.startswith("heartbeat-")]

        monkeypatch.delenv("SALESHOME_SF_BETA_CLIENT_SECRET")
        state = sync_all_orgs(return_state=True)
        assert state.is_failed() and "1/2" in (state.message or "")


# ---------------------------------------------------------------------------------------- backfill
def test_backfill_rereads_a_window_without_moving_cursors(home: Settings, info: SandboxInfo) -> None:
    connect(home, info, "acme", objects=FEW_OBJECTS)
    assert finish(sync_org("acme", return_state=True)).is_completed()
    before = cursors(home, "acme")
    now = datetime.now(UTC)
    request = BackfillParameters(org="acme", objects=["Opportunity"], start=now - timedelta(days=400), end=now)
    state = backfill(request, return_state=True)
    assert state.is_completed(), state.message
    result = state.result()
    assert result.kind == "backfill" and [o.object for o in result.objects] == ["Opportunity"]
    assert cursors(home, "acme") == before


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"org": "acme", "start": "2026-02-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"},
         "end (2026-01-01T00:00:00+00:00) must be after start (2026-02-01T00:00:00+00:00)"),
        ({"org": "acme", "start": "2026-01-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"}, "must be after start"),
        ({"org": "acme", "objects": ["Opportunity; DROP"], "start": "2026-01-01", "end": "2026-02-01"},
         "not Salesforce object names"),
        ({"org": "nope", "start": "2026-01-01", "end": "2026-02-01"}, "no org called 'nope' (connected: acme)"),
    ],
    ids=["end-before-start", "empty-window", "bad-object", "unknown-org"],
)
def test_backfill_fails_fast_on_bad_parameters(
    home: Settings, info: SandboxInfo, parameters: dict[str, Any], message: str,
) -> None:
    connect(home, info, "acme", objects=FEW_OBJECTS)
    started = time.perf_counter()
    state = backfill(parameters, return_state=True)  # type: ignore[arg-type]  # as a deployment passes them
    assert state.is_failed()
    assert message in (state.message or "")
    assert time.perf_counter() - started < 15
    assert not home.org_db("acme").exists()  # nothing was opened, let alone synced


# ---------------------------------------------------------------------------------------- the plan
def test_every_sync_flow_refuses_when_the_plan_lacks_sales_home(
    home: Settings, info: SandboxInfo, slack: SlackSandbox,
) -> None:
    connect(home, info, "acme", objects=FEW_OBJECTS)
    ctx = SettingsContext(control_db(home), home)
    set_plan(ctx.control, ctx.directory, ctx.workspace, actor=slack.world.primary_owner_id, plan=Plan.PRO,
             teams=[ctx.directory.teams()[0].id])
    now = datetime.now(UTC)
    runs: dict[str, Callable[[], State[Any]]] = {
        "sync_org": lambda: finish(sync_org("acme", return_state=True)),
        "sync_all_orgs": lambda: sync_all_orgs(return_state=True),
        "backfill": lambda: backfill(BackfillParameters(org="acme", start=now - timedelta(days=1), end=now),
                                     return_state=True),
    }
    for name, run in runs.items():
        state = run()
        assert state.is_failed(), name
        assert "Sales Home is not available on the Pro plan" in (state.message or ""), name
        assert "Sales Elevate" in (state.message or "") and "Business+" in (state.message or ""), name
        with pytest.raises(SalesHomeUnavailableError):
            state.result()
    assert not home.org_db("acme").exists()  # nothing was synced


def test_backfill_parameters_naive_times_are_utc() -> None:
    request = BackfillParameters(org="acme", start=datetime(2026, 1, 1), end=datetime(2026, 1, 2))
    assert request.start.tzinfo is UTC and request.objects is None


# ---------------------------------------------------------------------------------------- retries
@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (RetriableError("the org did not answer"), True),
        (FatalError("Salesforce refused the query"), False),
        (ConfigurationError("no credentials"), False),
        (ValidationError("bad input"), False),
        (QuotaExceededError("REQUEST_LIMIT_EXCEEDED"), False),
        (QuotaPaused("under the reserve"), False),
        (ValueError("a bug"), False),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else str(v),
)
def test_tasks_retry_only_retriable_errors(error: BaseException, retried: bool) -> None:
    assert should_retry(error) is retried
    attempts: list[int] = []

    @task(**{**retry_options(), "retry_delay_seconds": 0, "retry_jitter_factor": None})
    def failing() -> None:
        attempts.append(1)
        raise error

    with temporary_settings({PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW: "ignore"}):  # a task run on its own
        state = failing(return_state=True)
    assert state.is_failed()
    assert len(attempts) == (1 + TASK_RETRIES if retried else 1)


# ---------------------------------------------------------------------------------------- Prefect Secret blocks
def test_credentials_from_a_prefect_secret_block(home: Settings, info: SandboxInfo) -> None:
    Secret(value={"client_id": info.client_id, "client_secret": info.client_secret}).save(
        "acme-salesforce", overwrite=True)
    connect(home, info, "acme", objects=("Account",), ref="prefect-secret:acme-salesforce")
    state = finish(sync_org("acme", return_state=True))
    assert state.is_completed(), state.message
    assert [o.object for o in state.result().objects] == ["Account"]

    with pytest.raises(ConfigurationError, match="no Prefect Secret block named 'missing'"):
        read_secret_block("missing")
    Secret(value="not-json").save("plain-text", overwrite=True)
    with pytest.raises(ConfigurationError, match="does not hold a JSON object"):
        read_secret_block("plain-text")


def test_org_add_on_the_command_line_with_a_secret_block(
    home: Settings, info: SandboxInfo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    from saleshome.cli import main

    Secret(value={"client_id": info.client_id, "client_secret": info.client_secret}).save(
        "beta-salesforce", overwrite=True)
    monkeypatch.setattr(sys, "argv", ["saleshome", "org", "add", "beta", "--login-url", info.instance_url, "--auth",
                                      "client-credentials", "--secret-block", "beta-salesforce", "--ca-file",
                                      info.ca_file])
    with pytest.raises(SystemExit) as exited:
        main()
    out, err = capsys.readouterr()
    assert exited.value.code == 0, err
    assert "Connected beta" in out and "prefect-secret:beta-salesforce" in out
    assert info.client_secret not in out + err
