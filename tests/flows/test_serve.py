"""`saleshome serve`: the command, and the deployments it serves are those of prefect.yaml (nothing is served)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from prefect.client.schemas.schedules import CronSchedule, IntervalSchedule
from prefect.deployments.runner import RunnerDeployment
from typer.testing import CliRunner

from deployments.serve import build_deployments
from saleshome.cli import app

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def declared() -> dict[str, dict[str, Any]]:
    project = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    return {d["name"]: d for d in project["deployments"]}


@pytest.fixture(scope="module")
def served() -> dict[str, RunnerDeployment]:
    return {d.name: d for d in build_deployments()}


def schedules_of(deployment: RunnerDeployment) -> list[dict[str, Any]]:
    """A runner deployment's schedules in prefect.yaml's terms (interval or cron, timezone, active)."""
    found = []
    for each in deployment.schedules or []:
        schedule = each.schedule
        if isinstance(schedule, IntervalSchedule):
            assert isinstance(schedule.interval, timedelta)
            shape: dict[str, Any] = {"interval": int(schedule.interval.total_seconds())}
        else:
            assert isinstance(schedule, CronSchedule)
            shape = {"cron": schedule.cron}
        found.append({**shape, "timezone": schedule.timezone, "active": each.active})
    return found


def test_serve_builds_the_deployments_of_prefect_yaml(declared: dict[str, dict[str, Any]],
                                                      served: dict[str, RunnerDeployment]) -> None:
    assert sorted(served) == sorted(declared)
    for name, deployment in served.items():
        spec = declared[name]
        assert deployment.entrypoint == spec["entrypoint"], name
        assert schedules_of(deployment) == spec.get("schedules", []), name
        assert deployment.concurrency_limit == spec.get("concurrency_limit"), name
        # prefect deploy enforces the parameter schema unless told otherwise; so does serve
        assert deployment.enforce_parameter_schema is spec.get("enforce_parameter_schema", True), name
        assert sorted(deployment.tags) == sorted(spec["tags"]), name
        assert deployment.description == spec["description"], name
        assert not deployment.paused, name


def test_the_backfill_is_manual_with_its_parameters_enforced(served: dict[str, RunnerDeployment]) -> None:
    backfill = served["backfill"]
    assert backfill.schedules == [] and backfill.enforce_parameter_schema is True
    assert set(backfill._parameter_openapi_schema.model_dump()["definitions"]["BackfillParameters"]["required"]) == {
        "org", "start", "end"}
    assert [s["active"] for s in schedules_of(served["sync"])] == [False]  # sales-home syncs every org already


def test_saleshome_serve_runs_the_serve_entry_point(monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    shown = runner.invoke(app, ["serve", "--help"])
    assert shown.exit_code == 0 and "Usage: saleshome serve" in shown.output
    command: Any = typer.main.get_command(app)
    assert "without a work pool" in command.commands["serve"].help
    called: list[bool] = []
    monkeypatch.setattr("deployments.serve.main", lambda: called.append(True))
    assert runner.invoke(app, ["serve"]).exit_code == 0
    assert called == [True]
