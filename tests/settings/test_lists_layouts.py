"""Salesforce lists and record layouts, checked against the sandbox org (describe, list views) over HTTPS."""

from __future__ import annotations

import pytest

from saleshome.sandbox.salesforce.server import SalesforceSandbox
from saleshome.settings.apply import SettingsProblems, current_state
from saleshome.settings.audit import read_audit
from saleshome.settings.changes import (
    add_default_lists,
    add_object,
    remove_default_list,
    remove_object,
    reset_layout,
    set_layout,
)
from saleshome.settings.context import SettingsContext
from saleshome.settings.layouts import default_layout, layout_for
from saleshome.settings.lists import default_list_views, shown_objects
from saleshome.settings.model import DEFAULT_OBJECTS
from tests.fixtures.workspace import ALIAS, People

from .conftest import dump_tables

pytestmark = pytest.mark.integration


def test_defaults_are_the_five_standard_objects(ready: SettingsContext) -> None:
    assert shown_objects(ready.control, ALIAS) == list(DEFAULT_OBJECTS)
    assert default_list_views(ready.control, ALIAS) == {name: [] for name in DEFAULT_OBJECTS}


def test_add_and_remove_objects_and_default_list_views(ready: SettingsContext, people: People) -> None:
    actor = people.sales_admin
    add_object(ready, actor, ALIAS, "user")  # any case: stored as describe spells it
    assert shown_objects(ready.control, ALIAS) == [*DEFAULT_OBJECTS, "User"]
    changes = add_default_lists(ready, actor, ALIAS, "Opportunity", ["ClosingThisMonth", "Won Opportunities"])
    assert [c.target for c in changes.changes] == [f"orgs.{ALIAS}.lists"]
    views = default_list_views(ready.control, ALIAS)["Opportunity"]
    assert [(v.developer_name, v.label) for v in views] == [("ClosingThisMonth", "Closing This Month"),
                                                            ("Won", "Won Opportunities")]
    assert all(v.id.startswith("00B") and len(v.id) == 15 for v in views)
    # by id too (15 or 18 characters)
    all_views = ready.list_views(ALIAS, "Opportunity")
    open_pipeline = next(v for v in all_views if v["developerName"] == "OpenPipeline")
    add_default_lists(ready, actor, ALIAS, "Opportunity", [open_pipeline["id"]])
    remove_default_list(ready, actor, ALIAS, "Opportunity", "Won")
    assert [v.developer_name for v in default_list_views(ready.control, ALIAS)["Opportunity"]] == [
        "ClosingThisMonth", "OpenPipeline"]
    remove_object(ready, actor, ALIAS, "Opportunity")  # its defaults go with it
    assert "Opportunity" not in shown_objects(ready.control, ALIAS)
    assert ready.control.rows("SELECT * FROM default_list_views WHERE object = 'Opportunity'") == []
    add_object(ready, actor, ALIAS, "Opportunity")
    assert default_list_views(ready.control, ALIAS)["Opportunity"] == []
    actions = [e.action for e in read_audit(ready.control, ready.workspace)]
    assert actions[-6:] == ["lists.add", "lists.add-default", "lists.add-default", "lists.remove-default",
                            "lists.remove", "lists.add"]


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda ctx, a: add_object(ctx, a, ALIAS, "Invoice__c"), "org 'acme' has no object 'Invoice__c'"),
        (lambda ctx, a: add_object(ctx, a, "nope", "Account"), "no org called 'nope'"),
        (lambda ctx, a: add_object(ctx, a, ALIAS, "Account"), "already shown"),
        (lambda ctx, a: add_default_lists(ctx, a, ALIAS, "Opportunity", ["NoSuchView"]),
         "orgs.acme.lists.Opportunity.default_lists[0]: org 'acme' has no Opportunity list view 'NoSuchView'"),
        (lambda ctx, a: add_default_lists(ctx, a, ALIAS, "Opportunity", ["Won", "Won"]),
         "orgs.acme.lists.Opportunity.default_lists[1]: Won is listed twice"),
        (lambda ctx, a: add_default_lists(ctx, a, ALIAS, "User", ["ActiveUsers"]), "User is not shown"),
        (lambda ctx, a: remove_default_list(ctx, a, ALIAS, "Account", "AllAccounts"), "not a default list view"),
        (lambda ctx, a: remove_object(ctx, a, ALIAS, "User"), "User is not shown"),
    ],
    ids=["unknown-object", "unknown-org", "twice", "unknown-view", "duplicate-view", "object-not-shown",
         "not-a-default", "remove-not-shown"],
)
def test_bad_lists_input_is_refused_and_changes_nothing(ready: SettingsContext, people: People, call: object,
                                                        expected: str) -> None:
    before = current_state(ready)
    audit = len(read_audit(ready.control, ready.workspace))
    with pytest.raises(Exception) as refused:
        call(ready, people.sales_admin)  # type: ignore[operator]
    assert expected in str(refused.value)
    assert current_state(ready) == before
    assert len(read_audit(ready.control, ready.workspace)) == audit


def test_at_most_25_default_list_views_per_object(ready: SettingsContext, people: People,
                                                  sf_sandbox: SalesforceSandbox) -> None:
    assert sf_sandbox.store is not None
    existing = {v["developerName"] for v in ready.list_views(ALIAS, "Account")}
    for i in range(30):
        name = f"Territory{i:02d}"
        if name not in existing:  # the org is shared by the session's tests
            sf_sandbox.store.create("ListView", {"Name": f"Territory {i:02d}", "DeveloperName": name,
                                                 "SobjectType": "Account", "IsSoqlCompatible": True})
    ctx = SettingsContext(ready.control, ready.settings)  # a fresh context: list views are cached per context
    names = [f"Territory{i:02d}" for i in range(30)]
    add_default_lists(ctx, people.sales_admin, ALIAS, "Account", names[:25])
    assert len(default_list_views(ctx.control, ALIAS)["Account"]) == 25
    with pytest.raises(SettingsProblems) as refused:
        add_default_lists(ctx, people.sales_admin, ALIAS, "Account", [names[25]])
    assert refused.value.problems == [
        "orgs.acme.lists.Account.default_lists[25]: at most 25 default list views per object"]
    assert len(default_list_views(ctx.control, ALIAS)["Account"]) == 25


def test_default_layouts_come_from_describe(ready: SettingsContext) -> None:
    opp = default_layout(ready.describe(ALIAS, "Opportunity"))
    assert opp.fields == ["Name", "AccountId", "Amount", "CloseDate", "StageName", "Probability", "OwnerId"]
    assert opp.editable == ["Amount", "CloseDate", "StageName", "Probability"]
    case = default_layout(ready.describe(ALIAS, "Case"))
    assert case.fields[0] == "CaseNumber" and "CaseNumber" not in case.editable  # the name field, read-only
    user = default_layout(ready.describe(ALIAS, "User"))
    assert user.fields == ["Name"]
    assert layout_for(ready.control, ALIAS, "Opportunity", ready.describe(ALIAS, "Opportunity")) == opp


def test_set_and_reset_a_layout(ready: SettingsContext, people: People) -> None:
    describe = ready.describe(ALIAS, "Opportunity")
    set_layout(ready, people.sales_admin, ALIAS, "opportunity", ["name", "Amount", "StageName", "NextStep"],
               ["StageName", "nextstep"])
    layout = layout_for(ready.control, ALIAS, "Opportunity", describe)
    assert layout.fields == ["Name", "Amount", "StageName", "NextStep"]
    assert layout.editable == ["StageName", "NextStep"]
    entry = read_audit(ready.control, ready.workspace)[-1]
    assert (entry.action, entry.target, entry.before) == ("layouts.set", "orgs.acme.layouts.Opportunity", None)
    assert entry.after == {"fields": layout.fields, "editable": layout.editable}
    reset_layout(ready, people.sales_admin, ALIAS, "Opportunity")
    assert layout_for(ready.control, ALIAS, "Opportunity", describe) == default_layout(describe)


@pytest.mark.parametrize(
    ("fields", "editable", "problem"),
    [
        (["Name", "Colour__c"], [], "orgs.acme.layouts.Opportunity.fields[1]: Opportunity has no field 'Colour__c'"),
        (["Name", "IsWon"], ["IsWon"], "orgs.acme.layouts.Opportunity.editable[0]: Opportunity.IsWon is not "
                                       "updateable in Salesforce"),
        (["Name", "Amount"], ["StageName"], "orgs.acme.layouts.Opportunity.editable[0]: StageName is not among the "
                                            "fields shown; add it to fields"),
        (["Name", "Amount"], ["Nope"], "orgs.acme.layouts.Opportunity.editable[0]: Opportunity has no field 'Nope'"),
        (["Name", "name"], [], "orgs.acme.layouts.Opportunity.fields[1]: Name is listed twice"),
        ([], [], "orgs.acme.layouts.Opportunity.fields: a layout shows at least one field"),
    ],
)
def test_bad_layouts_are_refused_with_their_path(ready: SettingsContext, people: People, fields: list[str],
                                                 editable: list[str], problem: str) -> None:
    with pytest.raises(SettingsProblems) as refused:
        set_layout(ready, people.sales_admin, ALIAS, "Opportunity", fields, editable)
    assert problem in refused.value.problems
    assert ready.control.rows("SELECT * FROM record_layouts") == []


def _set_queryable(sandbox: SalesforceSandbox, obj: str, queryable: bool) -> None:
    """The sandbox's control API: make ``obj`` an object SOQL cannot read (or readable again)."""
    import requests

    assert sandbox.info is not None
    response = requests.post(f"{sandbox.info.instance_url}/_sandbox/schema", json={"object": obj, "queryable": queryable},
                             verify=sandbox.info.ca_file, timeout=30)
    assert response.status_code == 204, response.text


def test_an_object_that_is_not_queryable_is_refused_and_nothing_changes(
    ready: SettingsContext, people: People, sf_sandbox: SalesforceSandbox,
) -> None:
    from simple_salesforce.exceptions import SalesforceMalformedRequest

    _set_queryable(sf_sandbox, "PermissionSetGroup", False)
    try:
        ctx = SettingsContext(ready.control, ready.settings)
        assert ctx.sobjects(ALIAS)["permissionsetgroup"]["queryable"] is False  # describeGlobal, over HTTPS
        assert ctx.sobjects(ALIAS)["permissionset"]["queryable"] is True
        with pytest.raises(SalesforceMalformedRequest, match="INVALID_TYPE"):  # as Salesforce answers SOQL on it
            ctx.client(ALIAS).api.query("SELECT Id FROM PermissionSetGroup")
        before = dump_tables(ctx.control)
        with pytest.raises(SettingsProblems) as refused:
            add_object(ctx, people.sales_admin, ALIAS, "PermissionSetGroup")
        assert [p.split(" (hint")[0] for p in refused.value.problems] == [
            f"orgs.{ALIAS}.lists.PermissionSetGroup: object PermissionSetGroup of org {ALIAS!r} is not queryable"]
        assert dump_tables(ctx.control) == before
        assert "PermissionSetGroup" not in shown_objects(ctx.control, ALIAS)
    finally:
        _set_queryable(sf_sandbox, "PermissionSetGroup", True)
    add_object(SettingsContext(ready.control, ready.settings), people.sales_admin, ALIAS, "PermissionSetGroup")  # queryable again
    assert shown_objects(ready.control, ALIAS)[-1] == "PermissionSetGroup"
