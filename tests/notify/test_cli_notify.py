"""`saleshome notifications ...`: sales admins only, checked against the org's schema and Slack, versioned, audited."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from saleshome.cli import app
from saleshome.settings.audit import read_audit
from saleshome.settings.context import SettingsContext
from tests.fixtures.workspace import People

pytestmark = pytest.mark.integration


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    text = result.output + (str(result.exception) if result.exception and result.exit_code != 0 else "")
    return result.exit_code, text


def test_create_edit_list_show_disable_delete(ready: SettingsContext, people: People) -> None:
    code, out = _run("notifications", "templates")
    assert code == 0 and "stage_changed" in out and "upcoming_date" in out
    code, out = _run("notifications", "create", "big-wins", "--org", "acme", "--template", "deal_closed",
                     "--option", "outcome=won", "--when", "Amount >= 100000", "--to", "owner", "--to", "#sales",
                     "--digest", "weekly-mon@8", "--as", people.sales_admin)
    assert code == 0, out
    assert "version 1" in out
    code, out = _run("notifications", "edit", "big-wins", "--when", "Amount >= 250000", "--as", people.sales_admin)
    assert code == 0 and "version 2" in out, out
    code, out = _run("notifications", "list")
    assert code == 0 and "big-wins" in out and "weekly-mon@08" in out
    code, out = _run("notifications", "show", "big-wins")
    assert code == 0 and "250000" in out and "version 2" in out
    code, out = _run("notifications", "disable", "big-wins", "--as", people.sales_admin)
    assert code == 0 and "disabled" in out
    code, out = _run("notifications", "stats")
    assert code == 0 and "big-wins" in out
    code, out = _run("notifications", "delete", "big-wins", "--yes", "--as", people.sales_admin)
    assert code == 0, out
    actions = [e.action for e in read_audit(ready.control, "default")]
    assert actions[-4:] == ["notifications.create", "notifications.edit", "notifications.disable",
                            "notifications.delete"]


def test_only_sales_admins(ready: SettingsContext, people: People) -> None:
    code, out = _run("notifications", "create", "x", "--org", "acme", "--template", "stage_changed",
                     "--as", people.member)
    assert code != 0 and "not a sales admin" in out


def test_schema_errors_name_their_path(ready: SettingsContext, people: People) -> None:
    code, out = _run("notifications", "create", "bad", "--org", "acme", "--template", "threshold_crossed",
                     "--option", "field=StageName", "--option", "value=10",
                     "--when", "Amount contains 5", "--when", "NoSuchField = 1", "--when", "CloseDate > soon",
                     "--when", "StageName = Won-ish", "--to", "#no-such-channel", "--as", people.sales_admin)
    assert code != 0
    for expected in (
        "notifications.bad.options.field: Opportunity.StageName is picklist, not number",
        "notifications.bad.conditions[0].op: 'contains' does not apply to Opportunity.Amount",
        "notifications.bad.conditions[1].field: Opportunity has no field 'NoSuchField'",
        "notifications.bad.conditions[2].value: Opportunity.CloseDate is date: expected a date",
        "notifications.bad.conditions[3].value: 'Won-ish' is not a value of Opportunity.StageName",
        "notifications.bad.recipients.channels[0]: unknown Slack channel #no-such-channel",
    ):
        assert expected in out, out
    code, out = _run("notifications", "list")
    assert "No notification yet" in out
