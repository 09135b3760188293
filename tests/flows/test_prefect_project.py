"""The Prefect project around the flows: prefect.yaml, entry points, layering (no server needed)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from prefect.flows import load_flow_from_entrypoint
from prefect.utilities.callables import parameter_schema

from tasks.artifacts import progress_key, summary_key

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def project() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "prefect.yaml").read_text())  # type: ignore[no-any-return]


def deployment(project: dict[str, Any], name: str) -> dict[str, Any]:
    return next(d for d in project["deployments"] if d["name"] == name)


def test_the_sync_deployment_is_kept_with_its_schedule_paused(project: dict[str, Any]) -> None:
    sync = deployment(project, "sync")
    assert sync["entrypoint"] == "flows/sync.py:sync_all_orgs"
    assert [(s["interval"], s["active"]) for s in sync["schedules"]] == [(600, False)]  # sales-home syncs instead
    assert sync["schedules"][0] is project["definitions"]["schedules"]["every_ten_minutes_paused"]
    assert sync["work_pool"] is project["definitions"]["work_pools"]["saleshome_process"]  # a YAML alias
    assert sync["concurrency_limit"] == 1


def test_the_sales_home_deployment_runs_every_org_every_ten_minutes_one_run_at_a_time(
    project: dict[str, Any],
) -> None:
    main = deployment(project, "sales-home")
    assert main["entrypoint"] == "flows/sales_home.py:sales_home_all"
    assert main["schedules"] == [project["definitions"]["schedules"]["every_ten_minutes"]]
    assert main["schedules"][0] is project["definitions"]["schedules"]["every_ten_minutes"]  # a YAML alias
    assert main["schedules"][0]["interval"] == 600 and main["schedules"][0]["active"] is True
    assert main["concurrency_limit"] == 1  # and each org's run holds the org's slot (tasks/concurrency.py)
    assert main["work_pool"] is project["definitions"]["work_pools"]["saleshome_process"]


@pytest.mark.parametrize(("name", "entrypoint", "schedule"), [
    ("digest", "flows/sales_home.py:digest", "top_of_every_hour"),
    ("housekeeping", "flows/sales_home.py:housekeeping", "half_past_every_hour"),
])
def test_digest_and_housekeeping_run_hourly(project: dict[str, Any], name: str, entrypoint: str,
                                            schedule: str) -> None:
    found = deployment(project, name)
    assert found["entrypoint"] == entrypoint
    assert found["schedules"][0] is project["definitions"]["schedules"][schedule]
    cron = found["schedules"][0]["cron"].split()
    assert cron[1:] == ["*", "*", "*", "*"] and cron[0].isdigit()  # once an hour
    assert found["concurrency_limit"] == 1
    assert found["work_pool"] is project["definitions"]["work_pools"]["saleshome_process"]


def test_every_deployment_is_declared_once(project: dict[str, Any]) -> None:
    names = [d["name"] for d in project["deployments"]]
    assert sorted(names) == ["backfill", "digest", "housekeeping", "sales-home", "sync"]


def test_the_backfill_deployment_is_manual_with_a_typed_form(project: dict[str, Any]) -> None:
    backfill = deployment(project, "backfill")
    assert backfill["entrypoint"] == "flows/sync.py:backfill"
    assert backfill["enforce_parameter_schema"] is True and "schedules" not in backfill
    assert backfill["work_pool"]["name"] == "saleshome-process"
    flow: Any = load_flow_from_entrypoint(str(ROOT / backfill["entrypoint"]))
    schema = parameter_schema(flow).model_dump()
    model = schema["definitions"]["BackfillParameters"]
    assert set(model["required"]) == {"org", "start", "end"}
    assert model["properties"]["notify"]["default"] is False


def test_every_entrypoint_loads(project: dict[str, Any]) -> None:
    for each in project["deployments"]:
        assert load_flow_from_entrypoint(str(ROOT / each["entrypoint"])) is not None


def test_artifact_keys_use_lowercase_letters_digits_and_dashes() -> None:
    from tasks.celebrate import celebration_summary_key, celebrations_key
    from tasks.notify import notification_summary_key
    from tasks.publish import DEAD_LETTER_REPORT_KEY

    for key in (summary_key("acme-prod2"), progress_key("acme-prod2"), notification_summary_key("acme-prod2"),
                celebration_summary_key("acme-prod2"), celebrations_key("acme-prod2"), DEAD_LETTER_REPORT_KEY):
        assert key.replace("-", "").isalnum() and key == key.lower()


def test_the_core_package_never_imports_prefect() -> None:
    offenders = []
    for path in (ROOT / "saleshome").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] == "prefect"]
    assert offenders == []


def test_importing_the_flows_creates_nothing(tmp_path: Path) -> None:
    """No Sales Home file, connection or client is created at import (run in an empty directory)."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    script = ("import flows.sync, flows.sales_home, flows.states, flows.publish, tasks.steps, tasks.artifacts, tasks.credentials, "
              "tasks.errors, tasks.notify, tasks.celebrate, tasks.concurrency, deployments.serve, saleshome.pipeline")
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=cwd, capture_output=True, text=True, timeout=120,
        env={"PYTHONPATH": str(ROOT), "HOME": str(tmp_path), "PREFECT_HOME": str(tmp_path / "prefect-home")},
    )
    assert done.returncode == 0, done.stderr
    assert list(cwd.iterdir()) == []  # no .saleshome/ (control or org databases) appeared
