"""Every flow and task run is named for what it works on: the org when it works on one org, and the object too
when it works on one object (so the Prefect UI's run lists read without opening each run)."""

from __future__ import annotations

import importlib
import inspect
from typing import Any

import pytest
from prefect import Flow
from prefect.tasks import Task

MODULES = ("flows.sync", "flows.sales_home", "flows.publish", "tasks.steps", "tasks.notify", "tasks.celebrate",
           "tasks.publish")
ORG_PARAMETERS = {"org": "{org}", "alias": "{alias}", "run": "{run.org.alias}", "request": "{request.org}"}
# Runs that work across every org of the workspace (the outbox, banners, digests, housekeeping), named for it.
CROSS_ORG = {"publish", "sales_home_all", "sync_all_orgs", "digest", "housekeeping", "publish_outbox",
             "apply_celebration_banners", "send_digests", "clear_banners", "report_dead_letters"}


def runs() -> list[tuple[str, Any]]:
    found: dict[str, Any] = {}
    for module in MODULES:
        for value in vars(importlib.import_module(module)).values():
            if isinstance(value, Flow | Task) and value.fn.__module__ == module:
                found[f"{module}.{value.fn.__name__}"] = value
    return sorted(found.items())


@pytest.mark.parametrize(("name", "run"), runs(), ids=[name for name, _ in runs()])
def test_each_run_name_carries_its_org_and_object(name: str, run: Any) -> None:
    template = run.flow_run_name if isinstance(run, Flow) else run.task_run_name
    assert isinstance(template, str) and template, f"{name} has no run name"
    parameters = inspect.signature(run.fn).parameters
    org = [ORG_PARAMETERS[p] for p in parameters if p in ORG_PARAMETERS]
    if run.fn.__name__ in CROSS_ORG:
        assert not org, f"{name} works on one org: its run name should say which"
        return
    assert org, f"{name}: which org does it work on?"
    assert org[0] in template, f"{name}: {template!r} does not name the org ({org[0]})"
    if "schema" in parameters:
        assert "{schema.name}" in template, f"{name}: {template!r} does not name the object"


def test_every_flow_and_task_is_checked() -> None:
    names = {name.rsplit(".", 1)[1] for name, _ in runs()}
    assert names >= CROSS_ORG
    assert {"sales_home", "sync_org", "backfill", "step", "evaluate_scheduled_notifications"} <= names
