"""Settings as code: YAML export and import, exact error paths, dry runs, all or nothing, audit."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from saleshome.errors import InputFileError, PermissionDeniedError, RetriableError
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.settings.apply import (
    SettingsProblems,
    current_state,
    export_yaml,
    import_yaml,
    parse_document,
)
from saleshome.settings.audit import read_audit
from saleshome.settings.changes import set_restrictions
from saleshome.settings.context import SettingsContext
from saleshome.settings.lists import default_list_views, shown_objects
from tests.fixtures.workspace import ALIAS, People

from .conftest import dump_tables

pytestmark = pytest.mark.integration
EXAMPLE = Path(__file__).parents[2] / "examples" / "sales-home.yaml"
NOTIFICATIONS = ("stage-moves", "big-deals", "close-date-slips", "deals-closed", "wins-digest")


def example_for(alias: str = ALIAS) -> str:
    return EXAMPLE.read_text().replace("  demo-org:", f"  {alias}:")


def test_the_example_applies_and_exports_back_unchanged(ready: SettingsContext, people: People,
                                                        slack_sandbox: SlackSandbox) -> None:
    dry = import_yaml(ready, people.sales_admin, example_for(), dry_run=True)
    assert not dry.applied and dry.changes
    assert "+- ClosingThisMonth" not in dry.diff() and "developer_name: ClosingThisMonth" in dry.diff()
    assert current_state(ready) == dry.before, "a dry run changes nothing"
    applied = import_yaml(ready, people.sales_admin, example_for())
    assert applied.applied
    assert [c.target for c in applied.changes] == [
        "celebrations", f"orgs.{ALIAS}.lists", f"orgs.{ALIAS}.layouts.Opportunity", f"orgs.{ALIAS}.layouts.Lead",
        *(f"orgs.{ALIAS}.notifications.{name}" for name in NOTIFICATIONS)]
    assert shown_objects(ready.control, ALIAS) == ["Opportunity", "Account", "Lead", "Contact", "Case"]
    assert [v.label for v in default_list_views(ready.control, ALIAS)["Lead"]] == ["My Unread Leads", "Today's Leads"]
    state = current_state(ready)
    assert state.celebrations.channels == [slack_sandbox.channel_id("deals-won")]
    entries = read_audit(ready.control, ready.workspace)[-4 - len(NOTIFICATIONS):]
    assert {e.action for e in entries} == {"settings.import"} and {e.actor for e in entries} == {people.sales_admin}
    # export → import: nothing to do
    exported = export_yaml(state)
    assert import_yaml(ready, people.sales_admin, exported, dry_run=True).changes == []
    assert parse_document(exported).orgs[ALIAS].lists["Opportunity"].default_lists == [  # type: ignore[union-attr]
        "ClosingThisMonth", "OpenPipeline", "Won"]
    # the same file twice: no change, no audit entry
    count = len(read_audit(ready.control, ready.workspace))
    assert not import_yaml(ready, people.sales_admin, example_for()).applied
    assert len(read_audit(ready.control, ready.workspace)) == count


def test_every_problem_of_a_document_is_reported_with_its_path_and_nothing_changes(
    ready: SettingsContext, people: People,
) -> None:
    data = yaml.safe_load(example_for())
    org = data["orgs"][ALIAS]
    org["lists"]["Opportunity"]["default_lists"] = [f"View{i}" for i in range(26)]
    org["lists"]["Invoice__c"] = {}
    org["layouts"]["Opportunity"]["editable"].append("IsWon")
    org["won_stage"] = "Signed"
    data["celebrations"]["message"] = "{owner} {deal}"
    data["celebrations"]["channels"] = ["#nowhere"]
    data["restrictions"]["workspaces"] = ["Atlantis"]
    data["orgs"]["ghost"] = {"won_stage": None}
    before = dump_tables(ready.control)
    with pytest.raises(SettingsProblems) as refused:
        import_yaml(ready, people.sales_admin, yaml.safe_dump(data))
    paths = [p.split(": ")[0] for p in refused.value.problems]
    assert f"orgs.{ALIAS}.lists.Opportunity.default_lists[25]: at most 25 default list views per object" \
        in refused.value.problems
    for path in ("restrictions.workspaces[0]", "celebrations.message", "celebrations.channels[0]",
                 f"orgs.{ALIAS}.lists.Opportunity.default_lists[0]", f"orgs.{ALIAS}.lists.Invoice__c",
                 f"orgs.{ALIAS}.layouts.Opportunity.editable[4]", f"orgs.{ALIAS}.won_stage", "orgs.ghost"):
        assert path in paths, (path, refused.value.problems)
    assert "settings not changed" in refused.value.message
    assert dump_tables(ready.control) == before


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("restrictions: {include_external: yes please}", "restrictions.include_external: Input should be a valid boolean"),
        ("restrictions: {include_external: 1}", "restrictions.include_external: Input should be a valid boolean"),
        ("celebrations: {enabled: true, mesage: hi}", "celebrations.mesage: unknown setting (check its spelling)"),
        ("celebrations: {channels: '#deals-won'}", "celebrations.channels: Input should be a valid list"),
        ("orgs: {acme: {lists: {Opportunity: {default_lists: [1, 2]}}}}",
         "orgs.acme.lists.Opportunity.default_lists[0]: Input should be a valid string"),
        ("orgs: {acme: {layouts: {Opportunity: {editable: [Amount]}}}}",
         "orgs.acme.layouts.Opportunity.fields: Field required"),
        ("version: 2", "version: Input should be 1"),
        ("- just\n- a list", "(document): expected a mapping of sections"),
    ],
)
def test_malformed_documents_name_the_exact_path(ready: SettingsContext, people: People, text: str,
                                                 problem: str) -> None:
    before = dump_tables(ready.control)
    with pytest.raises(SettingsProblems) as refused:
        import_yaml(ready, people.sales_admin, text)
    assert any(p.startswith(problem) for p in refused.value.problems), refused.value.problems
    assert dump_tables(ready.control) == before


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("restrictions: {channel_types: [public\n", "(document): malformed YAML at line 2, column 1: expected ','"),
        ("celebrations:\n  enabled: true\n   message: x", "(document): malformed YAML at line 3, column 11"),
    ],
)
def test_malformed_yaml_names_the_line_and_column(ready: SettingsContext, people: People, text: str,
                                                  problem: str) -> None:
    before = dump_tables(ready.control)
    with pytest.raises(InputFileError) as refused:
        import_yaml(ready, people.sales_admin, text)
    assert refused.value.message.startswith(problem), refused.value.message
    assert dump_tables(ready.control) == before


def test_only_a_sales_admin_imports_even_a_dry_run(ready: SettingsContext, people: People) -> None:
    before = dump_tables(ready.control)
    for actor in (people.member, people.primary_owner, people.admin):
        with pytest.raises(PermissionDeniedError):
            import_yaml(ready, actor, example_for(), dry_run=True)
    assert dump_tables(ready.control) == before


def test_a_concurrent_change_makes_the_import_retry_instead_of_overwriting(
    ready: SettingsContext, people: People, monkeypatch: pytest.MonkeyPatch,
) -> None:
    import saleshome.settings.apply as apply_module

    resolve = apply_module.resolve_document
    raced: list[bool] = []

    def resolve_then_someone_else_changes(*args: object, **kwargs: object) -> object:
        result = resolve(*args, **kwargs)  # type: ignore[arg-type]
        if not raced:
            raced.append(True)
            set_restrictions(SettingsContext(ready.control, ready.settings), people.sales_admin, include_external=True)
        return result

    monkeypatch.setattr(apply_module, "resolve_document", resolve_then_someone_else_changes)
    with pytest.raises(RetriableError, match="changed while"):
        import_yaml(ready, people.sales_admin, example_for())
    assert shown_objects(ready.control, ALIAS)[0] == "Account", "the import wrote nothing"
    assert current_state(ready).restrictions.include_external


_yaml_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=12),
                          st.sampled_from(["#deals-won", "Won", "Name", "public", "{owner}", "{nope}", "T0X"]))
_keys = st.sampled_from(["restrictions", "celebrations", "orgs", "version", "acme", "lists", "layouts", "won_stage",
                         "channel_types", "include_external", "workspaces", "enabled", "message", "channels",
                         "Opportunity", "default_lists", "fields", "editable", "typo"])
_documents = st.recursive(_yaml_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                                 st.dictionaries(_keys, inner, max_size=4)),
                          max_leaves=12)


@given(document=st.one_of(_documents, st.text(max_size=60)))
@example(document={"restrictions": {"include_external": True, "channel_types": ["public"]}})  # real changes
@example(document={"celebrations": {"enabled": False, "message": "{owner} won {opportunity}"}})
@example(document={"orgs": {ALIAS: {"won_stage": "Won"}}})  # no such stage: refused
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_random_documents_never_leave_the_settings_half_changed(ready: SettingsContext, people: People,
                                                                document: object) -> None:
    """Real imports (the examples share one Sales Home, so each starts from what the previous ones left)."""
    text = document if isinstance(document, str) else yaml.safe_dump(document)
    before = dump_tables(ready.control)
    try:
        result = import_yaml(ready, people.sales_admin, text)
    except SettingsProblems as refused:
        assert refused.problems and all(": " in p for p in refused.problems)
        assert dump_tables(ready.control) == before, "a refused import changes no table"
        return
    except InputFileError as unreadable:  # not YAML: one line, at its line and column
        assert unreadable.message.startswith("(document): malformed YAML") and "\n" not in unreadable.message
        assert dump_tables(ready.control) == before, "a refused import changes no table"
        return
    assert current_state(ready) == result.after, "what is stored is what the diff said"
    assert (dump_tables(ready.control) != before) == result.applied == bool(result.changes)
    assert import_yaml(ready, people.sales_admin, text, dry_run=True).changes == [], "applying it again: no change"


def test_notifications_are_settings_too_checked_diffed_applied_and_audited(
    ready: SettingsContext, people: People, slack_sandbox: SlackSandbox,
) -> None:
    from saleshome.settings.notifications.store import load_notifications, versions

    dry = import_yaml(ready, people.sales_admin, example_for(), dry_run=True)
    assert "  + big-deals (new)\n      template: threshold_crossed\n" in dry.diff()
    assert load_notifications(ready.control, ready.workspace) == []
    import_yaml(ready, people.sales_admin, example_for())
    saved = {n.name: n for n in load_notifications(ready.control, ready.workspace, ALIAS)}
    assert list(saved) == sorted(NOTIFICATIONS)
    assert saved["big-deals"].spec.recipients.channels == [slack_sandbox.channel_id("sales")]  # stored as ids
    assert saved["big-deals"].spec.options["field"] == "Amount" and saved["big-deals"].version == 1
    assert saved["wins-digest"].spec.delivery.schedule == "daily@09"
    assert current_state(ready).orgs[ALIAS].notifications["deals-closed"].enabled

    # edit one, disable one, leave one out (deleted): three changes, each audited by the store
    data = yaml.safe_load(example_for())
    notifications = data["orgs"][ALIAS]["notifications"]
    notifications["big-deals"]["options"]["value"] = 200000
    notifications["stage-moves"]["enabled"] = False
    del notifications["deals-closed"]
    text = yaml.safe_dump(data, sort_keys=False)
    changes = import_yaml(ready, people.sales_admin, text, dry_run=True).changes
    assert [c.target for c in changes] == [f"orgs.{ALIAS}.notifications.{n}"  # stored ones by name, then new ones
                                           for n in ("big-deals", "deals-closed", "stage-moves")]
    assert changes[1].after is None and changes[2].after["enabled"] is False
    count = len(read_audit(ready.control, ready.workspace))
    import_yaml(ready, people.sales_admin, text)
    now = {n.name: n for n in load_notifications(ready.control, ready.workspace, ALIAS)}
    assert "deals-closed" not in now and not now["stage-moves"].enabled
    assert now["big-deals"].version == 2 and now["big-deals"].spec.options["value"] == 200000
    assert [v["version"] for v in versions(ready.control, now["big-deals"].id)] == [1, 2]
    entries = read_audit(ready.control, ready.workspace)[count:]
    assert sorted(e.target for e in entries) == sorted(c.target for c in changes)
    assert {e.action for e in entries} == {"settings.import"} and {e.actor for e in entries} == {people.sales_admin}
    # the export says exactly that, and applies unchanged
    exported = export_yaml(current_state(ready))
    assert import_yaml(ready, people.sales_admin, exported, dry_run=True).changes == []
    assert yaml.safe_load(exported)["orgs"][ALIAS]["notifications"]["stage-moves"]["enabled"] is False
    assert not import_yaml(ready, people.sales_admin, text).applied


def test_notification_problems_are_reported_with_their_document_paths_and_nothing_changes(
    ready: SettingsContext, people: People,
) -> None:
    import_yaml(ready, people.sales_admin, example_for())
    data = yaml.safe_load(example_for())
    notifications = data["orgs"][ALIAS]["notifications"]
    notifications["big-deals"]["options"]["field"] = "Amont"
    notifications["deals-closed"]["recipients"]["channels"] = ["#nowhere"]
    notifications["stage-moves"]["options"]["speed"] = "fast"
    notifications["close-date-slips"]["fields"] = ["Name", "Colour__c"]
    notifications["bad name!"] = {"template": "deal_closed"}
    before = dump_tables(ready.control)
    with pytest.raises(SettingsProblems) as refused:
        import_yaml(ready, people.sales_admin, yaml.safe_dump(data, sort_keys=False))
    paths = [p.split(": ")[0] for p in refused.value.problems]
    base = f"orgs.{ALIAS}.notifications"
    for path in (f"{base}.big-deals.options.field", f"{base}.deals-closed.recipients.channels[0]",
                 f"{base}.stage-moves.options.speed", f"{base}.close-date-slips.fields[1]", f"{base}.bad name!"):
        assert path in paths, (path, refused.value.problems)
    assert dump_tables(ready.control) == before
    # the shape is checked first, with the same paths
    with pytest.raises(SettingsProblems) as shape:
        import_yaml(ready, people.sales_admin, f"orgs: {{{ALIAS}: {{notifications: {{x: {{template: nope}}}}}}}}")
    assert shape.value.problems[0].startswith(f"{base}.x.template: Input should be")
    assert dump_tables(ready.control) == before
