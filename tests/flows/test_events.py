"""The Prefect events of the flows, read back from the Prefect test server; the documented automations.

One ``sales_home`` run (its initial sync completes, its notifications are evaluated, its publish
dead-letters a message bound to an archived channel), then a sync paused by a spent API budget and
a sync whose login fails: each outcome is an event on the org (or the workspace, for the outbox),
related to the flow run that emitted it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import yaml
from prefect.client.orchestration import get_client
from prefect.events import Event
from prefect.events.filters import EventFilter, EventNameFilter, EventRelatedFilter
from prefect.events.schemas.automations import AutomationCore, EventTrigger
from prefect.events.schemas.events import Resource, ResourceSpecification

from flows.sales_home import SalesHomeRun, sales_home
from flows.states import PAUSED_FOR_QUOTA, finish
from flows.sync import sync_org
from saleshome.celebrate import CelebrationSummary
from saleshome.config import Settings, load_settings
from saleshome.errors import QuotaExceededError
from saleshome.publish.publisher import PublishStats
from saleshome.salesforce.credentials import env_prefix_for
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.sync.results import SyncResult
from saleshome.warehouse.control import ControlDB
from saleshome.warehouse.outbox import OutboxMessage, enqueue, idempotency_key
from tasks.events import (
    EVENTS,
    NOTIFICATIONS_EVALUATED,
    OUTBOX_DEAD_LETTERED,
    SYNC_COMPLETED,
    SYNC_FAILED,
    SYNC_PAUSED_FOR_QUOTA,
    emit_celebrations_queued,
    emit_dead_letters,
    emit_sync_not_started,
    emit_sync_outcome,
    org_resource,
    workspace_resource,
)
from tests.fixtures.sandboxes import set_org_credentials, use_slack
from tests.fixtures.slack_workspace import make_ready
from tests.flows.test_sync_flow import connect, flow_run_id

ROOT = Path(__file__).resolve().parents[2]
AUTOMATIONS = ROOT / "deployments" / "automations" / "saleshome-alerts.yaml"
ALIAS = "acme"
OBJECTS = ("Account", "Opportunity")
EVENTS_TIMEOUT = 60  # seconds for the server to have stored the events (it persists them in batches)

pytestmark = pytest.mark.sandboxes(seed=41, opportunities=60)  # the module's own sandboxes (tests/fixtures/sandboxes.py)


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox: SalesforceSandbox, slack: SlackSandbox) -> Settings:
    """Org ``acme`` (two objects) connected to a Sales Home on an Enterprise+ workspace of the Slack sandbox."""
    assert sandbox.info is not None
    monkeypatch.setenv("SALESHOME_HOME", str(tmp_path / "home"))
    use_slack(monkeypatch, slack)
    monkeypatch.setenv("SALESHOME_SLACK_POSTS_PER_SECOND", "50")
    set_org_credentials(monkeypatch, ALIAS, sandbox.info)
    make_ready(load_settings(), slack)
    settings = load_settings()
    connect(settings, sandbox.info, ALIAS, objects=OBJECTS)
    return settings


def saleshome_events(run_ids: list[UUID], expected: int) -> list[Event]:
    """The ``saleshome.*`` events related to these flow runs, oldest first (waiting for ``expected`` of them)."""
    wanted = EventFilter(event=EventNameFilter(prefix=["saleshome."]),
                         related=EventRelatedFilter(id=[f"prefect.flow-run.{run_id}" for run_id in run_ids]))
    deadline = time.monotonic() + EVENTS_TIMEOUT
    while True:
        with get_client(sync_client=True) as client:
            found = client.read_events(filter=wanted, limit=50).events
        if len(found) >= expected or time.monotonic() > deadline:
            return sorted(found, key=lambda e: e.occurred)
        time.sleep(0.5)


def related_ids(event: Event) -> dict[str, str]:
    return {r.role: r.id for r in event.related}


@pytest.mark.e2e
@pytest.mark.usefixtures("prefect_harness", "no_running_event_loop")
def test_every_outcome_is_an_event_on_the_org(
    home: Settings, sandbox: SalesforceSandbox, slack: SlackSandbox, monkeypatch: pytest.MonkeyPatch,
) -> None:
    archived = slack.channel_id("q3-2023-push")
    with ControlDB(home.control_db).transaction() as db:
        enqueue(db, [OutboxMessage(idempotency_key("events", "dead"), "notification", archived, "never delivered")])

    # one org's run: the initial sync completes, notifications are evaluated, the publish dead-letters one message
    state = sales_home(ALIAS, return_state=True)
    assert state.is_completed(), state.message
    run = state.result()
    assert isinstance(run, SalesHomeRun) and run.published is not None and run.published.dead == 1

    # a spent budget: the sync pauses (Completed, "Paused for quota")
    assert sandbox.info is not None
    sandbox.budget.set(used=95_000, daily_max=100_000)
    try:
        paused = finish(sync_org(ALIAS, return_state=True))
    finally:
        sandbox.budget.set(used=0, daily_max=100_000)
    assert paused.is_completed() and paused.name == PAUSED_FOR_QUOTA

    # a refused login: the run cannot start, and fails
    monkeypatch.delenv(f"{env_prefix_for(ALIAS)}_CLIENT_SECRET")
    failed = finish(sync_org(ALIAS, return_state=True))
    assert failed.is_failed()

    runs = [flow_run_id(s) for s in (state, paused, failed)]
    events = saleshome_events(runs, expected=5)
    by_run: dict[UUID, dict[str, Event]] = {r: {} for r in runs}
    for event in events:
        flow_run = related_ids(event)["flow-run"]
        by_run[UUID(flow_run.removeprefix("prefect.flow-run."))][event.event] = event
    assert set(by_run[runs[0]]) == {SYNC_COMPLETED, NOTIFICATIONS_EVALUATED, OUTBOX_DEAD_LETTERED}, events
    assert set(by_run[runs[1]]) == {SYNC_PAUSED_FOR_QUOTA} and set(by_run[runs[2]]) == {SYNC_FAILED}
    org = org_resource(ALIAS, home.workspace)["prefect.resource.id"]
    assert org == f"saleshome.org.{ALIAS}"

    # completed: the run's figures, per object too; the sync run is a related resource
    completed = by_run[runs[0]][SYNC_COMPLETED]
    synced = run.sync
    assert completed.resource.id == org and completed.resource.name == ALIAS
    assert completed.resource["saleshome.workspace"] == home.workspace
    payload: dict[str, Any] = completed.payload
    assert payload["run_id"] == synced.run_id and payload["kind"] == "initial" and payload["objects"] == 2
    assert payload["inserted"] == sum(o.inserted for o in synced.objects) > 0
    assert (payload["updated"], payload["deleted"]) == (0, 0)
    assert payload["api_calls"] == synced.api_calls > 0 and payload["seconds"] > 0
    assert payload["api_requests_max"] == 100_000 and 0 < payload["api_requests_left"] <= 100_000
    assert set(payload["per_object"]) == set(OBJECTS)
    assert related_ids(completed)["sync-run"] == f"saleshome.sync-run.{synced.run_id}"

    evaluated = by_run[runs[0]][NOTIFICATIONS_EVALUATED]
    assert evaluated.resource.id == org and evaluated.payload["run_id"] == synced.run_id
    assert evaluated.payload["notifications"] == 0 and evaluated.payload["messages"] == 0  # none configured

    # the outbox's event is on the workspace: its publish drains every org's messages
    dead = by_run[runs[0]][OUTBOX_DEAD_LETTERED]
    assert dead.resource.id == workspace_resource(home.workspace)["prefect.resource.id"]
    assert dead.payload["count"] == dead.payload["dead"] == 1 and dead.payload["blocked"] == 0
    assert list(dead.payload["reasons"].values()) == [1] and "archived" in next(iter(dead.payload["reasons"]))
    assert "never delivered" not in str(dead.payload)  # figures and reasons, never a message

    # paused: what was synced before the pause, the reason, the budget
    quota = by_run[runs[1]][SYNC_PAUSED_FOR_QUOTA]
    assert quota.resource.id == org and "reserve" in quota.payload["reason"]
    assert quota.payload["api_requests_left"] <= 5_000 and quota.payload["kind"] == "incremental"

    # failed before it started: no sync run, the reason without the secret
    refused = by_run[runs[2]][SYNC_FAILED]
    assert refused.resource.id == org and refused.payload["run_id"] is None
    assert "client_secret" in refused.payload["error"]
    assert sandbox.info.client_secret not in str(refused.payload)


def test_quiet_outcomes_emit_nothing_and_a_run_that_never_started_has_the_same_payload_keys(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr("tasks.events.emit_event", lambda **event: sent.append(event))
    assert emit_dead_letters(PublishStats(sent=3), "T0", {"sent": 3}) is None
    assert emit_celebrations_queued(CelebrationSummary(ALIAS, "r1", wins=2), "T0") is None
    assert sent == []  # nothing to alert on: no event

    emit_sync_not_started(ALIAS, "T0", None, QuotaExceededError("REQUEST_LIMIT_EXCEEDED"))
    emit_sync_outcome(SyncResult(ALIAS, "r2", "incremental", status="completed"), "T0")
    emit_sync_outcome(SyncResult(ALIAS, "r3", "incremental"), "T0")  # still running: nothing ended
    (never, done) = sent
    assert never["event"] == SYNC_PAUSED_FOR_QUOTA and done["event"] == SYNC_COMPLETED
    assert never["payload"]["run_id"] is None and never["payload"]["reason"] == "REQUEST_LIMIT_EXCEEDED"
    assert set(never["payload"]) - {"reason"} == set(done["payload"])
    assert never["resource"] == done["resource"] == org_resource(ALIAS, "T0")


# ---------------------------------------------------------------------------------------- the documented automations
@pytest.fixture(scope="module")
def automations() -> list[dict[str, Any]]:
    document = yaml.safe_load(AUTOMATIONS.read_text())
    return list(document["automations"])  # the shape `prefect automation create --from-file` reads


def test_the_documented_automations_are_valid_prefect_automations(automations: list[dict[str, Any]]) -> None:
    assert {a["name"] for a in automations} == {"saleshome-sync-paused-for-quota", "saleshome-outbox-dead-lettered"}
    for raw in automations:
        automation = AutomationCore.model_validate(raw)
        # AutomationCore ignores unknown keys: a misspelt one would be dropped without a word
        assert set(raw) <= set(AutomationCore.model_fields), raw["name"]
        trigger = automation.trigger
        assert isinstance(trigger, EventTrigger) and set(raw["trigger"]) <= set(EventTrigger.model_fields)
        assert trigger.expect and trigger.expect <= set(EVENTS), trigger.expect
        assert trigger.for_each == {"prefect.resource.id"}
        assert [a.type for a in automation.actions] == ["send-notification"]


@pytest.mark.parametrize(("event", "resource"), [
    (SYNC_PAUSED_FOR_QUOTA, org_resource("acme-prod", "T0WORKSPACE")),
    (OUTBOX_DEAD_LETTERED, workspace_resource("T0WORKSPACE")),
])
def test_each_automation_matches_the_resource_its_event_names(
    automations: list[dict[str, Any]], event: str, resource: dict[str, str],
) -> None:
    automation = next(AutomationCore.model_validate(a) for a in automations if event in a["trigger"]["expect"])
    trigger = automation.trigger
    assert isinstance(trigger, EventTrigger)
    match = trigger.match
    assert isinstance(match, ResourceSpecification) and not match.matches_every_resource()
    assert match.matches(Resource.model_validate(resource))  # Prefect's own matching, as the server applies it
    assert not match.matches(Resource.model_validate({"prefect.resource.id": "prefect.flow-run.1234"}))


def test_the_operations_guide_shows_the_automation_file() -> None:
    guide = (ROOT / "docs" / "operations.md").read_text()
    assert "deployments/automations/saleshome-alerts.yaml" in guide
    assert "prefect automation create --from-file deployments/automations/saleshome-alerts.yaml" in guide
    for name in EVENTS:
        assert f"`{name}`" in guide, name
    block = guide.split("```yaml\n", 1)[1].split("```", 1)[0]
    assert block == AUTOMATIONS.read_text(), "docs/operations.md shows a stale copy of the automation file"
