"""``saleshome.pipeline`` and ``saleshome sync``: after each sync, the user map, the notifications and the
celebrations, one line each (queued for the publisher, nothing sent by the sync itself)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from saleshome.cli import app
from saleshome.pipeline import run_org
from saleshome.publish.publisher import METADATA_EVENT
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.settings.apply import import_yaml
from saleshome.settings.context import SettingsContext
from saleshome.warehouse.control import control_db
from tests.fixtures.sandboxes import sandbox_control, settle
from tests.fixtures.workspace import ALIAS, People

pytestmark = pytest.mark.integration
EXAMPLE = Path(__file__).parents[2] / "examples" / "sales-home.yaml"


def test_run_org_and_the_sync_command_evaluate_and_celebrate_after_the_sync(
    ready: SettingsContext, people: People, sf_sandbox: SalesforceSandbox, slack_sandbox: SlackSandbox,
) -> None:
    import_yaml(ready, people.sales_admin, EXAMPLE.read_text().replace("  demo-org:", f"  {ALIAS}:"))
    settings = ready.settings

    # the initial sync: the user map is built; notifications and celebrations stay silent
    first = run_org(control_db(settings), settings, ALIAS)
    assert first.sync.kind == "initial" and first.users is not None and first.users.matched > 0
    assert first.notifications is not None and first.notifications.silent and first.notifications.messages == 0
    assert first.celebrations is not None and first.celebrations.celebrated == 0
    lines = first.lines()
    assert lines[0].startswith(f"{ALIAS}: user map: ") and "silent" in lines[1]
    assert lines[2] == f"{ALIAS}: celebrations: no new deal won"

    # activity, then `saleshome sync`: its summary, then one line per step; messages are queued, not sent
    sent_before = len(slack_sandbox.messages(event_type=METADATA_EVENT))
    sandbox_control(sf_sandbox, "simulate", {"changes": 400, "seed": 17})
    settle(sf_sandbox, settings)
    result = CliRunner().invoke(app, ["sync", "--org", ALIAS])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert f"{ALIAS}: user map: " in out
    assert f"{ALIAS}: notifications: 5 evaluated over " in out and "message(s) queued" in out
    assert f"{ALIAS}: celebrations: " in out and "celebrated" in out
    pending = ready.control.rows("SELECT kind, count(*) AS n FROM outbox WHERE state = 'pending' GROUP BY kind")
    kinds = {r["kind"]: r["n"] for r in pending}
    assert kinds.get("notification", 0) > 0 and kinds.get("celebration", 0) > 0
    assert len(slack_sandbox.messages(event_type=METADATA_EVENT)) == sent_before

    # --no-notifications: the sync only
    result = CliRunner().invoke(app, ["sync", "--org", ALIAS, "--no-notifications"])
    assert result.exit_code == 0, result.output
    assert "notifications:" not in result.output and "celebrations:" not in result.output
