"""Sales Home operated on a real Prefect server: `prefect deploy --all`, a process worker, both sandboxes.

The deployments of ``prefect.yaml`` run as an operator runs them: ``sales-home`` started through
the Prefect API syncs the org, notifies, celebrates and publishes to Slack; ``backfill`` started
through the API with parameters refills a time window without moving the cursors and publishes
nothing, and refuses bad parameters at once; a custom run of ``backfill`` started from the Prefect
UI in headless Chromium, by filling in its form, completes.  One server, worker and pair of
sandboxes serve the whole module (``conftest.py``).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, time, timedelta
from typing import Any
from uuid import UUID

import duckdb
import pytest
from playwright.sync_api import Page, expect
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
from prefect.client.schemas.objects import FlowRun
from prefect.exceptions import PrefectHTTPStatusError

from flows.sync import BackfillParameters
from saleshome.warehouse.control import ControlDB
from tasks.artifacts import summary_key
from tasks.concurrency import org_limit_name
from tasks.notify import notification_summary_key
from tests.browser import ARTIFACTS, launch
from tests.e2e.deployed import ALIAS, Deployed, salesforce_client
from tests.e2e.prefect_processes import POOL, ROOT, wait_until
from tests.flows.test_sales_home_flow import outbox, sent_keys
from tests.flows.test_sync_flow import cursors

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]  # the first test also pays for the module's setup

UI_TIMEOUT_MS = 60_000  # each browser action and expectation (the UI is slow on a loaded machine)


# ---------------------------------------------------------------------------------------- helpers
def artifacts_of(deployed: Deployed, run: FlowRun) -> dict[str, list[dict[str, Any]]]:
    """The table artifacts a flow run created, by key."""
    with deployed.client() as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run.id])))
    tables: dict[str, list[dict[str, Any]]] = {}
    for artifact in found:
        if artifact.type == "table" and artifact.key:
            data: Any = artifact.data
            tables[artifact.key] = list(json.loads(data) if isinstance(data, str) else data)
    return tables


def sync_runs(deployed: Deployed) -> list[dict[str, Any]]:
    return ControlDB(deployed.settings.control_db).rows(
        "SELECT run_id, kind, notify, status FROM sync_runs WHERE alias = ? ORDER BY started_at", [ALIAS])


def opportunities(deployed: Deployed) -> dict[str, tuple[Any, ...]]:
    """Our copy of the org's opportunities: Id → (StageName, Amount, IsDeleted)."""
    with duckdb.connect(str(deployed.settings.org_db(ALIAS)), read_only=True) as db:
        rows = db.execute('SELECT "Id", "StageName", "Amount", "IsDeleted" FROM sf."Opportunity"').fetchall()
    return {row[0]: tuple(row[1:]) for row in rows}


# ---------------------------------------------------------------------------------------- deployments, sales-home
def test_prefect_deploy_registers_the_project_deployments(deployed: Deployed) -> None:
    with deployed.client() as client:
        found = {name: client.read_deployment(deployment_id) for name, deployment_id in deployed.deployments.items()}
    assert {name: d.work_pool_name for name, d in found.items()} == dict.fromkeys(found, POOL)
    main = found["sales-home"]
    assert main.entrypoint == "flows/sales_home.py:sales_home_all"
    assert main.global_concurrency_limit is not None and main.global_concurrency_limit.limit == 1
    assert [(s.schedule.interval, s.active) for s in main.schedules] == [(timedelta(minutes=10), True)]
    # no pull step in prefect.yaml: `prefect deploy` recorded this checkout, where the worker's runs start
    assert main.pull_steps == [{"prefect.deployments.steps.set_working_directory": {"directory": str(ROOT)}}]
    assert found["backfill"].enforce_parameter_schema is True and found["backfill"].schedules == []
    schema = found["backfill"].parameter_openapi_schema or {}
    assert set(schema["definitions"]["BackfillParameters"]["required"]) == {"org", "start", "end"}


def test_sales_home_deployment_syncs_notifies_and_publishes(deployed: Deployed) -> None:
    slack = deployed.slack
    slack.clear_messages()
    runs_before = sync_runs(deployed)

    run = deployed.completed(deployed.run("sales-home"))

    # the control store on PostgreSQL: the worker's run recorded there, no control file in the home
    assert ControlDB(deployed.settings.control_db).dialect == "postgresql"
    new = sync_runs(deployed)[len(runs_before):]
    assert [(r["kind"], r["status"]) for r in new] == [("incremental", "completed")]
    assert sorted(p.name for p in deployed.settings.home.glob("control.*")) == []

    # DuckDB: the run merged the simulated activity, and our copy is the org's
    with duckdb.connect(str(deployed.settings.org_db(ALIAS)), read_only=True) as db:
        changes = dict(db.execute("SELECT object, count(*) FROM change_log WHERE run_id = ? GROUP BY 1",
                                  [new[0]["run_id"]]).fetchall())
    assert changes.get("Opportunity", 0) > 0, changes
    org = salesforce_client(deployed.salesforce_info).query_all(
        "SELECT Id, StageName, Amount, IsDeleted FROM Opportunity", include_deleted=True)["records"]
    ours = opportunities(deployed)
    assert {r["Id"]: (r["StageName"], r["Amount"], r["IsDeleted"]) for r in org}.items() <= ours.items()

    # Slack: every notification and celebration the run queued was posted, once
    messages = [r for r in outbox(deployed.settings) if r["kind"] in ("notification", "celebration")]
    assert messages and all(r["state"] == "sent" for r in messages), [r for r in messages if r["state"] != "sent"]
    assert sorted(sent_keys(slack)) == sorted(r["key"] for r in messages)
    assert {r["kind"] for r in messages} == {"notification", "celebration"}
    assert slack.messages(slack.channel_id("deals-won"))  # deals closed and celebrated in #deals-won

    # Prefect: the org's run is a child flow run with the notification summary
    children = deployed.child_runs(run.id)
    assert [c.name for c in children] == [f"sales-home-{ALIAS}"]
    assert children[0].state is not None and children[0].state.is_completed()
    stats = {r["notification"]: r for r in artifacts_of(deployed, children[0])[notification_summary_key(ALIAS)]}
    assert sum(r["this run: queued"] for r in stats.values()) > 0
    with deployed.client() as client:  # the org's slot: one active run per org, released at the end
        slot = client.read_global_concurrency_limit_by_name(org_limit_name(ALIAS))
    assert slot.limit == 1 and slot.active_slots == 0


# ---------------------------------------------------------------------------------------- backfill, through the API
def remove_from_our_copy(deployed: Deployed, start: datetime, end: datetime, count: int) -> list[str]:
    """Delete from our copy ``count`` opportunities the org last modified in [start, end): a gap only a backfill
    of that window fills (chosen in the org, which may hold changes not synced yet)."""
    soql = (f"SELECT Id FROM Opportunity WHERE SystemModstamp >= {start:%Y-%m-%dT%H:%M:%SZ} "
            f"AND SystemModstamp < {end:%Y-%m-%dT%H:%M:%SZ} ORDER BY Id LIMIT {count}")
    ids = [r["Id"] for r in salesforce_client(deployed.salesforce_info).query(soql)["records"]]
    assert len(ids) == count, f"only {len(ids)} opportunities modified in [{start}, {end})"
    with duckdb.connect(str(deployed.settings.org_db(ALIAS))) as db:
        found = db.execute('DELETE FROM sf."Opportunity" WHERE list_contains(?, "Id") RETURNING "Id"', [ids]).fetchall()
    assert len(found) == count, found
    return ids


def test_backfill_deployment_refills_a_window_without_moving_cursors_or_publishing(deployed: Deployed) -> None:
    end = datetime.now(UTC) - timedelta(days=1)  # before the simulated activity: nothing new in the window
    start = end - timedelta(days=120)
    copy = opportunities(deployed)
    removed = remove_from_our_copy(deployed, start, end, count=5)
    cursors_before, runs_before = cursors(deployed.settings, ALIAS), sync_runs(deployed)
    sent_before, outbox_before = sent_keys(deployed.slack), outbox(deployed.settings)

    run = deployed.completed(deployed.run("backfill", {"request": {
        "org": ALIAS, "objects": ["Opportunity"], "start": start.isoformat(), "end": end.isoformat()}}))

    assert opportunities(deployed) == copy  # the gap is filled, nothing else changed
    summary = artifacts_of(deployed, run)[summary_key(ALIAS)]
    assert [(r["object"], r["inserted"], r["updated"], r["deleted"]) for r in summary] == [
        ("Opportunity", len(removed), 0, 0)]
    assert cursors(deployed.settings, ALIAS) == cursors_before  # never moved (backwards or at all)
    new = sync_runs(deployed)[len(runs_before):]
    assert [(r["kind"], r["notify"], r["status"]) for r in new] == [("backfill", False, "completed")]
    assert sent_keys(deployed.slack) == sent_before and outbox(deployed.settings) == outbox_before  # silent


def test_backfill_deployment_refuses_bad_parameters_at_once(deployed: Deployed) -> None:
    runs_before = sync_runs(deployed)
    backwards = {"start": "2026-02-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"}

    # what the parameter schema says (enforce_parameter_schema): refused when the run is created
    with deployed.client() as client, pytest.raises(PrefectHTTPStatusError) as refused:
        client.create_flow_run_from_deployment(deployed.deployments["backfill"], parameters={"request": backwards})
    assert refused.value.response.status_code == 409
    assert "'org' is a required property" in refused.value.response.json()["detail"]

    # what only the flow knows (BackfillParameters' checks, the connected orgs): the run fails as it starts
    expected = {
        "end (2026-01-01T00:00:00+00:00) must be after start (2026-02-01T00:00:00+00:00)": {"org": ALIAS, **backwards},
        f"no org called 'nope' (connected: {ALIAS})": {"org": "nope", "start": "2026-01-01", "end": "2026-02-01"},
    }
    started = {message: deployed.run("backfill", {"request": request}) for message, request in expected.items()}
    for message, run_id in started.items():
        run = deployed.wait(run_id)
        assert run.state is not None and run.state.is_failed(), (message, run.state)
        assert message in (run.state.message or ""), (message, run.state.message, deployed.run_logs(run_id))
        assert run.total_run_time < timedelta(seconds=30), run.total_run_time  # before any sync
    assert sync_runs(deployed) == runs_before  # nothing synced
    assert not deployed.settings.org_db("nope").exists()


# ---------------------------------------------------------------------------------------- backfill, from the UI
def ordinal(day: int) -> str:
    return f"{day}{'th' if 11 <= day % 100 <= 13 else {1: 'st', 2: 'nd', 3: 'rd'}.get(day % 10, 'th')}"


def pick_day(page: Page, field: str, day: datetime) -> None:
    """Fill a date-time parameter with the UI's picker: a day of its calendar (00:00; the browser is in UTC)."""
    assert day.time() == time(0) and day.tzinfo is UTC, day
    page.get_by_role("button", name=field, exact=True).click()
    picker = page.get_by_role("dialog")
    today = datetime.now(UTC)
    for _ in range((today.year - day.year) * 12 + today.month - day.month):  # the calendar opens on this month
        picker.get_by_role("button", name="Go to the Previous Month").click()
    # day buttons are named like "Sunday, November 1st, 2026" ("Today, " first for today)
    picker.get_by_role("button", name=re.compile(rf"{day:%B} {ordinal(day.day)}, {day.year}$")).click()
    page.keyboard.press("Escape")
    expect(picker).to_be_hidden()
    expect(page.get_by_role("button", name=field, exact=True)).to_have_text(f"{day:%m/%d/%Y} 12:00 AM")


def test_backfill_custom_run_from_the_prefect_ui(deployed: Deployed) -> None:
    now = datetime.now(UTC)
    start = datetime(now.year, now.month, 1, tzinfo=UTC) - timedelta(days=1)
    start = start.replace(day=1)  # the first day of the previous month, 00:00
    end = now.replace(hour=0, minute=0, second=0, microsecond=0)  # today, 00:00: before the simulated activity
    copy = opportunities(deployed)
    removed = remove_from_our_copy(deployed, start, end, count=3)
    cursors_before = cursors(deployed.settings, ALIAS)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    form_shot, run_shot = ARTIFACTS / "prefect-ui-backfill-form.png", ARTIFACTS / "prefect-ui-backfill-run.png"
    failure_shot = ARTIFACTS / "prefect-ui-backfill-failure.png"  # what the page showed when a step failed
    failure_shot.unlink(missing_ok=True)

    with launch() as browser:
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, timezone_id="UTC")
        context.set_default_timeout(UI_TIMEOUT_MS)
        page = context.new_page()
        try:
            page.goto(f"{deployed.server.url}/", wait_until="load")  # the server's default UI
            page.get_by_role("link", name="Deployments", exact=True).click()
            deployment = f"/deployments/deployment/{deployed.deployments['backfill']}"
            # the row's deployment link (its flow, also named backfill, is a link too)
            page.get_by_role("link", name="backfill", exact=True).and_(page.locator(f'[href*="{deployment}"]')).click()
            expect(page).to_have_url(re.compile(f"{deployment}"))
            page.get_by_role("button", name="Run", exact=True).click()
            page.get_by_role("menuitem", name="Custom run").click()

            # the parameters form Prefect renders from BackfillParameters
            page.get_by_label("Org", exact=True).fill(ALIAS)
            page.get_by_role("tab", name="list", exact=True).click()
            page.get_by_role("button", name="Add item").click()
            objects = (page.locator("div").filter(has=page.get_by_text("Objects (Optional)", exact=True))
                       .filter(has=page.get_by_role("button", name="Add item")).last)
            objects.get_by_role("textbox").fill("Opportunity")
            pick_day(page, "Start", start)
            pick_day(page, "End", end)
            page.screenshot(path=str(form_shot), full_page=True)
            before = deployed.run_ids("backfill")
            ui = page.url.split("/deployments/")[0]  # the UI's root (the v2 UI lives under /v2)
            submit = page.get_by_role("button", name="Submit", exact=True)
            submit.click()
            # The run the form created, found through the API (bounded): the UI's "View run" toast
            # shows for a few seconds only, which a busy machine can miss.  A submit the server
            # could not store (its SQLite busy) leaves the form up: submitted once more.
            created: list[UUID] = []
            for attempt in range(2):
                try:
                    created = wait_until(lambda: list(deployed.run_ids("backfill") - before) or None, timeout=60,
                                         interval=1.0, what="the flow run the form submitted")
                    break
                except AssertionError:
                    if attempt or not submit.is_visible():
                        raise
                    submit.click()
            [run_id] = created
            run = deployed.completed(run_id)  # polled through the API, bounded
            page.goto(f"{ui}/runs/flow-run/{run_id}", wait_until="load")

            page.reload(wait_until="load")
            expect(page.get_by_text("Completed", exact=True).first).to_be_visible()
            page.screenshot(path=str(run_shot), full_page=True)
        except BaseException:
            page.screenshot(path=str(failure_shot), full_page=True)
            raise
        finally:
            context.close()

    assert BackfillParameters.model_validate(run.parameters["request"]) == BackfillParameters(
        org=ALIAS, objects=["Opportunity"], start=start, end=end, notify=False)
    assert run.deployment_id == deployed.deployments["backfill"]
    summary = artifacts_of(deployed, run)[summary_key(ALIAS)]
    assert [(r["object"], r["inserted"], r["updated"]) for r in summary] == [("Opportunity", len(removed), 0)]
    assert opportunities(deployed) == copy
    assert cursors(deployed.settings, ALIAS) == cursors_before
    assert form_shot.stat().st_size > 10_000 and run_shot.stat().st_size > 10_000
