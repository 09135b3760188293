"""Sales Home deployed the way an operator runs it, for end-to-end tests.

:func:`deploy_sales_home` starts, on 127.0.0.1: a Prefect server (its own PREFECT_HOME and
SQLite database, the UI on), both sandboxes (Salesforce and Slack), a Sales Home home
connected to the sandbox org with the example settings applied and its initial sync done, then
the ``saleshome-process`` work pool, ``prefect deploy --all`` from ``prefect.yaml`` and a process
worker whose flow runs reach the sandboxes through ``SALESHOME_*`` variables.  Leaving the
context stops all of it, in reverse order, whatever happened.

:class:`Deployed` runs deployments through the Prefect client and waits for their runs with a
bound; a run that fails or times out raises with its logs and the worker's and server's log tails.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import requests
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterId,
    FlowRunFilter,
    FlowRunFilterParentFlowRunId,
    LogFilter,
    LogFilterFlowRunId,
)
from prefect.client.schemas.objects import FlowRun, WorkPool, WorkPoolStatus
from prefect.client.schemas.sorting import LogSort
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.workers.process import ProcessWorker
from simple_salesforce import Salesforce

from saleshome.config import Settings, load_settings
from saleshome.pipeline import run_org
from saleshome.salesforce.credentials import env_prefix_for
from saleshome.sandbox.salesforce.server import SalesforceSandbox, SandboxInfo
from saleshome.sandbox.slack.ratelimit import RateLimits
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.settings.apply import import_yaml
from saleshome.settings.context import SettingsContext
from saleshome.warehouse.control import control_db
from tests.e2e.prefect_processes import POOL, PREFECT, ROOT, PrefectServer, Service, run_cli, wait_until
from tests.fixtures.slack_workspace import make_ready, slack_environment
from tests.flows.test_sync_flow import connect, simulate

ALIAS = "acme"
SEED = 31  # both sandboxes: the same people, so Salesforce users map to Slack users by email
OPPORTUNITIES = 300
SIMULATED_CHANGES = 400
EXAMPLE_SETTINGS = ROOT / "examples" / "sales-home.yaml"
RUN_TIMEOUT = 300.0  # seconds for one flow run, queue to final state (a few seconds to ~40 s on a loaded machine)
WORKER_READY_TIMEOUT = 180.0
DEPLOYMENTS = ("backfill", "digest", "housekeeping", "sales-home", "sync")


@dataclass
class Deployed:
    """The running system: server, worker, sandboxes, and the Sales Home the flow runs share."""

    server: PrefectServer
    worker: Service
    salesforce: SalesforceSandbox
    slack: SlackSandbox
    settings: Settings
    deployments: dict[str, UUID] = field(default_factory=dict)

    @property
    def salesforce_info(self) -> SandboxInfo:
        assert self.salesforce.info is not None
        return self.salesforce.info

    @contextmanager
    def client(self) -> Iterator[SyncPrefectClient]:
        """A Prefect client of this server (whatever server the test process was set up with)."""
        with temporary_settings(updates={PREFECT_API_URL: self.server.api_url}), \
                get_client(sync_client=True) as client:
            yield client

    def run(self, deployment: str, parameters: dict[str, Any] | None = None) -> UUID:
        """Create a flow run of ``deployment`` (as `prefect deployment run` does); its id."""
        with self.client() as client:
            return client.create_flow_run_from_deployment(self.deployments[deployment], parameters=parameters).id

    def wait(self, run_id: UUID, timeout: float = RUN_TIMEOUT) -> FlowRun:
        """The flow run once in a final state (Completed, Failed, Crashed, Cancelled), polled with a bound."""
        def final() -> FlowRun | None:
            with self.client() as client:
                run = client.read_flow_run(run_id)
            if run.state is not None and run.state.is_final():
                return run
            if not self.worker.running:
                raise AssertionError(f"the worker exited while flow run {run_id} was {run.state_name}\n"
                                     f"{self.diagnostics()}")
            return None

        return wait_until(final, timeout=timeout, interval=1.0, what=f"flow run {run_id} to finish",
                          diagnose=lambda: self.run_logs(run_id) + "\n" + self.diagnostics())

    def completed(self, run_id: UUID, timeout: float = RUN_TIMEOUT) -> FlowRun:
        """The flow run, asserted Completed (with its logs and the log tails when it is not)."""
        run = self.wait(run_id, timeout)
        assert run.state is not None
        if not run.state.is_completed():
            raise AssertionError(f"flow run {run.name} ended {run.state.name}: {run.state.message}\n"
                                 f"{self.run_logs(run_id)}\n{self.diagnostics()}")
        return run

    def run_ids(self, deployment: str) -> set[UUID]:
        """The ids of every flow run of ``deployment`` so far."""
        with self.client() as client:
            return {r.id for r in client.read_flow_runs(deployment_filter=DeploymentFilter(
                id=DeploymentFilterId(any_=[self.deployments[deployment]])))}

    def child_runs(self, run_id: UUID) -> list[FlowRun]:
        with self.client() as client:
            return client.read_flow_runs(
                flow_run_filter=FlowRunFilter(parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[run_id])))

    def run_logs(self, run_id: UUID, limit: int = 200) -> str:
        """The flow run's log lines as the server stored them (best effort: for failure messages)."""
        try:
            with self.client() as client:
                found = client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])), limit=limit,
                                         sort=LogSort.TIMESTAMP_ASC)
        except Exception as exc:  # diagnostics only: never hide the original failure
            return f"--- logs of flow run {run_id}: unavailable ({exc!r})"
        return f"--- logs of flow run {run_id}:\n" + "\n".join(f"{e.timestamp:%H:%M:%S} {e.message}" for e in found)

    def diagnostics(self) -> str:
        """The worker's and the server's log tails."""
        return f"{self.worker.tail()}\n{self.server.tail(40)}"


def salesforce_client(info: SandboxInfo) -> Salesforce:
    """simple-salesforce logged in to the sandbox org (client credentials flow, the org's own CA)."""
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would otherwise override verify
    session.verify = info.ca_file
    token = session.post(info.token_url, timeout=30, data={
        "grant_type": "client_credentials", "client_id": info.client_id, "client_secret": info.client_secret,
    })
    token.raise_for_status()
    body = token.json()
    return Salesforce(instance_url=body["instance_url"], session_id=body["access_token"], session=session,
                      version=info.api_version)


def prepare_home(home: Path, salesforce: SalesforceSandbox, slack: SlackSandbox, database_url: str | None) -> Settings:
    """What an operator does first: plan and sales admin, `org add`, the example settings, the initial sync."""
    info = salesforce.info
    assert info is not None and slack.info is not None
    settings = load_settings(home=home, slack_bot_token=slack.info.bot_token, slack_api_url=slack.info.api_url,
                             slack_admin_token=slack.info.admin_token, database_url=database_url)
    with pytest.MonkeyPatch.context() as patch:  # `org add` and the sync read the credentials from the environment
        patch.setenv(f"{env_prefix_for(ALIAS)}_CLIENT_ID", info.client_id)
        patch.setenv(f"{env_prefix_for(ALIAS)}_CLIENT_SECRET", info.client_secret)
        admin = make_ready(settings, slack)
        connect(settings, info, ALIAS)
        import_yaml(SettingsContext(control_db(settings), settings), admin,
                    EXAMPLE_SETTINGS.read_text(encoding="utf-8").replace("  demo-org:", f"  {ALIAS}:"))
        initial = run_org(control_db(settings), settings, ALIAS)  # `saleshome sync`: the initial sync, silent
    assert initial.sync.kind == "initial" and initial.sync.status == "completed", initial.sync
    assert initial.notifications is not None and initial.notifications.messages == 0
    simulate(info, salesforce, changes=SIMULATED_CHANGES)  # a burst of activity for the deployment's run
    return settings


def worker_environment(server: PrefectServer, settings: Settings, salesforce: SandboxInfo,
                       slack: SlackSandbox) -> dict[str, str]:
    """The server's environment plus what the flow runs need: the Sales Home home and its control store,
    credentials, Slack."""
    assert slack.info is not None
    return {
        **server.env,
        "SALESHOME_HOME": str(settings.home),
        **({"SALESHOME_DATABASE_URL": settings.control_db} if settings.database_url is not None else {}),
        **slack_environment(slack),
        "SALESHOME_SLACK_ADMIN_TOKEN": slack.info.admin_token,
        "SALESHOME_SLACK_POSTS_PER_SECOND": "50",
        f"{env_prefix_for(ALIAS)}_CLIENT_ID": salesforce.client_id,
        f"{env_prefix_for(ALIAS)}_CLIENT_SECRET": salesforce.client_secret,
    }


def create_process_pool(server: PrefectServer) -> WorkPool:
    """The ``saleshome-process`` work pool, as `prefect work-pool create saleshome-process --type process`
    creates it (the process worker's default job template), through the API: no CLI start-up to wait for."""
    with temporary_settings(updates={PREFECT_API_URL: server.api_url}), get_client(sync_client=True) as client:
        return client.create_work_pool(WorkPoolCreate(
            name=POOL, type="process", base_job_template=ProcessWorker.get_default_base_job_template()))


@contextmanager
def deploy_sales_home(tmp: Path, base_env: dict[str, str], database_url: str | None = None) -> Iterator[Deployed]:
    """Server, sandboxes, Sales Home (its control store at ``database_url`` when given, else SQLite in the home),
    work pool, deployments and worker; all stopped on exit."""
    timings: dict[str, float] = {}
    started = time.monotonic()
    with ExitStack() as stack:
        server = PrefectServer(base_env, tmp / "prefect")
        stack.callback(server.stop)
        server.start()  # it boots while the sandboxes start and the initial sync runs

        salesforce = stack.enter_context(SalesforceSandbox(seed=SEED, opportunities=OPPORTUNITIES))
        slack = stack.enter_context(SlackSandbox(seed=SEED, opportunities=OPPORTUNITIES, history=False,
                                                 rate_limits=RateLimits(time_scale=200)))
        assert salesforce.info is not None
        settings = prepare_home(tmp / "saleshome", salesforce, slack, database_url)
        timings["sandboxes and initial sync"] = time.monotonic() - started

        server.wait()
        timings["server healthy"] = time.monotonic() - started
        assert create_process_pool(server).type == "process"
        worker = Service.start("prefect worker", [str(PREFECT), "worker", "start", "--pool", POOL],
                               env=worker_environment(server, settings, salesforce.info, slack), cwd=tmp,
                               log=tmp / "worker.log")
        stack.callback(worker.stop)
        deployed = Deployed(server, worker, salesforce, slack, settings)
        try:
            run_cli(["--no-prompt", "deploy", "--all"], env=server.env, cwd=ROOT)  # prefect.yaml, as documented
            with deployed.client() as client:
                deployed.deployments = {d.name: d.id for d in client.read_deployments()}
                assert sorted(deployed.deployments) == sorted(DEPLOYMENTS), deployed.deployments
                wait_until(lambda: True if client.read_work_pool(POOL).status == WorkPoolStatus.READY else None,
                           timeout=WORKER_READY_TIMEOUT, what=f"a worker polling {POOL}", diagnose=worker.tail)
        except BaseException:
            print(deployed.diagnostics())
            raise
        timings["deployed, worker ready"] = time.monotonic() - started
        print("e2e setup: " + ", ".join(f"{name} at {seconds:.0f}s" for name, seconds in timings.items()))
        yield deployed
