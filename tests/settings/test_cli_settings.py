"""`saleshome workspace|roles|lists|layouts|restrictions|celebrations|settings`, run in-process through
`saleshome.cli.main` (what the console script runs) against the sandboxes."""

from __future__ import annotations

from pathlib import Path

import pytest

from saleshome.config import Settings
from saleshome.settings.context import SettingsContext
from saleshome.settings.lists import default_list_views
from saleshome.warehouse.control import control_db
from tests.fixtures.cli import Cli
from tests.fixtures.workspace import ALIAS, People

from .conftest import dump_tables
from .test_import_export import example_for

pytestmark = pytest.mark.integration


def test_a_sales_admins_session(cli: Cli, home: Settings, people: People, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    refused = cli("lists", "list")
    assert refused.code == 1 and "no Slack plan is set" in refused.err and "set-plan" in refused.err
    shown = cli("workspace", "show")
    assert shown.code == 0 and "No plan set" in shown.out

    pro = cli("workspace", "set-plan", "pro", "--team", "T0NOPE", "--as", people.primary_owner)
    assert pro.code == 1 and "unknown Slack workspace 'T0NOPE'" in pro.err
    teams = SettingsContext(control_db(home), home).directory.teams()
    pro = cli("workspace", "set-plan", "pro", "--team", teams[0].id, "--as", people.primary_owner)
    assert pro.code == 0 and "Sales Home is NOT available" in pro.out
    unavailable = cli("settings", "export")
    assert unavailable.code == 1 and "not available on the Pro plan" in unavailable.err
    assert "Sales Elevate" in unavailable.err and "Business+" in unavailable.err and "Enterprise+" in unavailable.err
    assert cli("workspace", "set-plan", "enterprise_plus", "--as", people.admin).code == 1
    ok = cli("workspace", "set-plan", "enterprise_plus", "--as", people.primary_owner)
    assert ok.code == 0 and "Enterprise+" in ok.out and "Sales Home is available" in ok.out

    not_allowed = cli("roles", "grant", people.sales_admin, "--as", people.member)
    assert not_allowed.code == 1 and "may not grant" in not_allowed.err
    assert cli("roles", "grant", people.sales_admin, "--as", people.admin).code == 0
    listed = cli("roles", "list")
    assert listed.code == 0 and people.sales_admin in listed.out

    no_actor = cli("lists", "add", ALIAS, "User")
    assert no_actor.code == 1 and "--as" in no_actor.err
    monkeypatch.setenv("SALESHOME_ACTOR", people.sales_admin)  # the default actor from configuration
    assert cli("lists", "add", ALIAS, "User").code == 0
    added = cli("lists", "add-default", ALIAS, "Opportunity", "ClosingThisMonth", "Won Opportunities")
    assert added.code == 0 and f"orgs.{ALIAS}.lists" in added.out
    views = cli("lists", "views", ALIAS, "Opportunity")
    assert views.code == 0 and "ClosingThisMonth" in views.out and "Open Pipeline" in views.out
    listed = cli("lists", "list", ALIAS)
    assert "Closing This Month (ClosingThisMonth)" in listed.out and "User" in listed.out
    bad = cli("lists", "add-default", ALIAS, "Opportunity", "Nope")
    assert bad.code == 1 and f"orgs.{ALIAS}.lists.Opportunity.default_lists[2]: org 'acme' has no Opportunity " \
        "list view 'Nope'" in bad.err

    assert cli("layouts", "set", ALIAS, "Opportunity", "--fields", "Name,Amount,StageName", "--editable",
               "StageName").code == 0
    layout = cli("layouts", "show", ALIAS, "Opportunity")
    assert layout.code == 0 and "StageName" in layout.out and "(default)" not in layout.out
    bad = cli("layouts", "set", ALIAS, "Opportunity", "--fields", "Name,IsWon", "--editable", "IsWon")
    assert bad.code == 1 and "not updateable" in bad.err
    assert "(default)" in cli("layouts", "show", ALIAS, "Lead").out

    assert cli("restrictions", "set", "--channel-types", "public,private", "--no-external").code == 0
    assert "public, private" in cli("restrictions", "show").out
    assert cli("celebrations", "set", "--message", "{owner} won {opportunity}!", "--channel", "#deals-won").code == 0
    bad = cli("celebrations", "set", "--message", "{owner.__class__}")
    assert bad.code == 1 and "celebrations.message: unknown placeholder {owner.__class__}" in bad.err
    assert cli("celebrations", "won-stage", ALIAS, "Contract Signed").code == 0
    celebrations = cli("celebrations", "show")
    assert "#deals-won" in celebrations.out and "Contract Signed" in celebrations.out

    exported = cli("settings", "export")
    assert exported.code == 0 and exported.out.startswith("# Sales Home settings")
    path = tmp_path / "sales-home.yaml"
    path.write_text(exported.out)
    same = cli("settings", "import", str(path), "--dry-run")
    assert same.code == 0 and "No change" in same.out

    path.write_text(example_for())
    before = dump_tables(control_db(home))
    dry = cli("settings", "import", str(path), "--dry-run")
    assert dry.code == 0 and "Dry run" in dry.out and "+++ orgs.acme.lists (new)" in dry.out
    assert dump_tables(control_db(home)) == before
    applied = cli("settings", "import", str(path))
    assert applied.code == 0 and "Changed:" in applied.out
    assert [v.developer_name for v in default_list_views(control_db(home), ALIAS)["Opportunity"]] == [
        "ClosingThisMonth", "OpenPipeline", "Won"]

    path.write_text("orgs:\n  acme:\n    lists:\n      Opportunity:\n        default_lists: ["
                    + ", ".join(f"V{i}" for i in range(26)) + "]\n")
    too_many = cli("settings", "import", str(path))
    assert too_many.code == 1
    assert "orgs.acme.lists.Opportunity.default_lists[25]: at most 25 default list views per object" in too_many.err

    audit = cli("settings", "audit", "--since", "1h")
    assert audit.code == 0 and "settings.import" in audit.out and "lists.add-default" in audit.out
    assert "No settings change" in cli("settings", "audit", "--since", "2999-01-01").out
    assert cli("settings", "audit", "--since", "yesterday-ish").code == 1
    summary = cli("settings", "show")
    assert summary.code == 0 and "Sales admins" in summary.out and "Notification restrictions" in summary.out


def test_lists_show_prints_a_synced_default_view_with_the_layout_fields(
        cli: Cli, ready: SettingsContext, people: People, monkeypatch: pytest.MonkeyPatch) -> None:
    from saleshome.sync.engine import sync_org

    monkeypatch.setenv("SALESHOME_ACTOR", people.sales_admin)
    assert cli("lists", "add-default", ALIAS, "Opportunity", "ClosingThisMonth").code == 0
    assert cli("layouts", "set", ALIAS, "Opportunity", "--fields", "Name,StageName,Amount,CloseDate",
               "--editable", "StageName").code == 0
    not_yet = cli("lists", "show", ALIAS, "Opportunity")
    assert not_yet.code == 1 and "has no synced data yet" in not_yet.err and "saleshome sync --org acme" in not_yet.err

    assert sync_org(ready.control, ready.settings, ALIAS, objects=["Opportunity"]).status == "completed"
    shown = cli("lists", "show", ALIAS, "Opportunity", "ClosingThisMonth", "--limit", "5")
    assert shown.code == 0, shown.err
    header = next(line for line in shown.out.splitlines() if "Name" in line)
    assert [h for h in ("Name", "StageName", "Amount", "CloseDate") if h in header] == [
        "Name", "StageName", "Amount", "CloseDate"]
    unknown = cli("lists", "show", ALIAS, "Opportunity", "Nope")
    assert unknown.code == 1 and "ClosingThisMonth" in unknown.err
