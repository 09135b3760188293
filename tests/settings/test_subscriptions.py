"""A member's subscriptions, as the settings API keeps them (issue 20 §2): only their own, only allowed templates,
checked against the org's schema as the member sees it, the plan and permission-set gates, nothing half-changed;
the admins' "allowed for members" setting per template (sales admins only, versioned, audited) and its CLI.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from saleshome.cli import app
from saleshome.errors import PermissionDeniedError, SalesHomeError
from saleshome.pipeline import refresh_org_users
from saleshome.salesforce.ui_api import MemberSession, UiApi
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from saleshome.settings.audit import read_audit
from saleshome.settings.context import SettingsContext
from saleshome.settings.member_schema import UiSchema
from saleshome.settings.subscriptions import (
    NotYourSubscription,
    SubscriptionDraft,
    SubscriptionProblems,
    check_draft,
    delete_subscription,
    member_templates,
    set_member_template,
    set_paused,
    subscribe,
    subscriptions_in,
    subscriptions_of,
    update_subscription,
)
from saleshome.settings.workspace import Plan
from saleshome.sync.engine import sync_org
from saleshome.warehouse.control import ControlDB
from tests.fixtures.members import member_token, pick_members
from tests.fixtures.slack_workspace import declare_plan
from tests.fixtures.workspace import ALIAS, People

from .conftest import dump_tables

pytestmark = pytest.mark.integration

HIDDEN = "AnnualRevenue"  # Lead: hidden from reps by field-level security (sandbox/salesforce/profiles.py)
TABLES = ("member_subscriptions", "member_template_settings", "settings_audit")


def _members(ready: SettingsContext) -> list[str]:
    """Slack users of ``acme``'s Sales members (linked, holding the Sales Home permission set), after syncing the
    users and their permission set assignments."""
    result = sync_org(ready.control, ready.settings, ALIAS, objects=["User", "PermissionSetAssignment"])
    assert result.status == "completed", result
    assert refresh_org_users(ready.control, ready.settings, ALIAS) is not None
    rows = ready.control.rows("SELECT slack_user_id FROM user_map WHERE alias = ? AND status = 'matched' "
                              "AND sales_home_user ORDER BY slack_user_id", [ALIAS])
    assert len(rows) >= 2, "the seed maps fewer than two Sales Home users"
    return [str(r["slack_user_id"]) for r in rows]


def _draft(**values: object) -> SubscriptionDraft:
    return SubscriptionDraft.model_validate({"template": "stage_changed", **values})


def test_a_member_sees_and_manages_only_their_own(ready: SettingsContext, people: People) -> None:
    me, other = _members(ready)[:2]
    set_member_template(ready.control, ready.directory, people.sales_admin, ALIAS, "stage_changed", True)
    mine = subscribe(ready.control, ready, ALIAS, me, _draft(scope="mine", options={"to_stages": ["Closed Won"]}))
    assert mine.options["to_stages"] == ["Closed Won"] and mine.version == 1 and not mine.paused
    assert [s.id for s in subscriptions_of(ready.control, ALIAS, me)] == [mine.id]
    assert subscriptions_of(ready.control, ALIAS, other) == []

    before = dump_tables(ready.control, TABLES)
    for attempt in (
        lambda: update_subscription(ready.control, ready, ALIAS, other, mine.id, _draft(scope="team")),
        lambda: set_paused(ready.control, ALIAS, other, mine.id, True),
        lambda: delete_subscription(ready.control, ALIAS, other, mine.id),
    ):
        with pytest.raises(NotYourSubscription, match="belongs to another member"):
            attempt()
    assert dump_tables(ready.control, TABLES) == before

    edited = update_subscription(ready.control, ready, ALIAS, me, mine.id, _draft(scope="team"))
    assert edited.version == 2 and edited.scope == "team"
    assert set_paused(ready.control, ALIAS, me, mine.id, True).paused
    with ready.control.transaction() as db:
        assert subscriptions_in(db, ALIAS, active_only=True) == []
    delete_subscription(ready.control, ALIAS, me, mine.id)
    assert subscriptions_of(ready.control, ALIAS, me) == []
    actions = [e.action for e in read_audit(ready.control, "default") if e.action.startswith("subscriptions.")]
    assert actions == ["subscriptions.templates.allow", "subscriptions.create", "subscriptions.edit",
                       "subscriptions.pause", "subscriptions.delete"]


def test_templates_not_allowed_are_refused_and_bad_drafts_change_nothing(ready: SettingsContext,
                                                                          people: People) -> None:
    me = _members(ready)[0]
    before = dump_tables(ready.control, TABLES)
    with pytest.raises(SubscriptionProblems, match="do not allow members to subscribe to 'stage_changed'"):
        subscribe(ready.control, ready, ALIAS, me, _draft())
    assert dump_tables(ready.control, TABLES) == before

    set_member_template(ready.control, ready.directory, people.sales_admin, ALIAS, "stage_changed", True)
    assert [t.name for t in member_templates(ready.control, ALIAS)] == ["stage_changed"]
    before = dump_tables(ready.control, TABLES)
    with pytest.raises(SubscriptionProblems) as bad:
        subscribe(ready.control, ready, ALIAS, me, _draft(
            options={"to_stages": ["Won-ish"]}, conditions=[
                {"field": "NoSuchField", "op": "=", "value": 1}, {"field": "Amount", "op": ">=", "value": "lots"}]))
    problems = "\n".join(bad.value.problems)
    for expected in ("subscription.options.to_stages[0]: 'Won-ish' is not a value of Opportunity.StageName",
                     "subscription.conditions[0].field: Opportunity has no field 'NoSuchField'",
                     "subscription.conditions[1].value: Opportunity.Amount is currency: expected a number"):
        assert expected in problems, problems
    with pytest.raises(SubscriptionProblems, match="need at least one condition"):
        subscribe(ready.control, ready, ALIAS, me, _draft(scope="matching"))
    assert dump_tables(ready.control, TABLES) == before

    # Forbidden again: the subscription stays, but is no longer evaluated.
    sub = subscribe(ready.control, ready, ALIAS, me, _draft())
    set_member_template(ready.control, ready.directory, people.sales_admin, ALIAS, "stage_changed", False)
    assert member_templates(ready.control, ALIAS) == []
    assert [s.id for s in subscriptions_of(ready.control, ALIAS, me)] == [sub.id]
    with ready.control.transaction() as db:
        assert subscriptions_in(db, ALIAS, active_only=True) == []


def test_only_sales_admins_allow_templates_and_each_change_is_versioned(ready: SettingsContext,
                                                                        people: People) -> None:
    with pytest.raises(PermissionDeniedError, match="not a sales admin"):
        set_member_template(ready.control, ready.directory, people.member, ALIAS, "stage_changed", True)
    with pytest.raises(SalesHomeError, match="no template 'stage_moved'"):
        set_member_template(ready.control, ready.directory, people.sales_admin, ALIAS, "stage_moved", True)
    assert set_member_template(ready.control, ready.directory, people.sales_admin, ALIAS, "deal_closed", True)
    assert not set_member_template(ready.control, ready.directory, people.sales_admin, ALIAS, "deal_closed", True)
    assert set_member_template(ready.control, ready.directory, people.sales_admin, ALIAS, "deal_closed", False)
    rows = ready.control.rows("SELECT allowed, version, updated_by FROM member_template_settings")
    assert [(bool(r["allowed"]), r["version"], r["updated_by"]) for r in rows] == [(False, 2, people.sales_admin)]
    audit = [e for e in read_audit(ready.control, "default") if e.target == f"orgs.{ALIAS}.member_templates.deal_closed"]
    assert [(e.before, e.after) for e in audit] == [
        ({"allowed": False, "version": 0}, {"allowed": True, "version": 1}),
        ({"allowed": True, "version": 1}, {"allowed": False, "version": 2})]


def test_the_plan_and_permission_set_gates(ready: SettingsContext, people: People) -> None:
    me = _members(ready)[0]
    set_member_template(ready.control, ready.directory, people.sales_admin, ALIAS, "stage_changed", True)
    outsider = ready.control.rows("SELECT slack_user_id FROM user_map WHERE alias = ? AND status = 'matched' "
                                  "AND NOT sales_home_user ORDER BY slack_user_id", [ALIAS])
    assert outsider, "every mapped user holds the Sales Home permission set: the seed changed"
    with pytest.raises(PermissionDeniedError, match="does not hold the Sales Home permission set"):
        subscribe(ready.control, ready, ALIAS, str(outsider[0]["slack_user_id"]), _draft())
    with pytest.raises(PermissionDeniedError, match="is not linked to a Salesforce user"):
        subscribe(ready.control, ready, ALIAS, people.bot, _draft())
    declare_plan(ready.settings, people.primary_owner, Plan.PRO)
    with pytest.raises(SalesHomeError, match="Sales Home"):
        subscribe(ready.control, ready, ALIAS, me, _draft())
    assert ControlDB(ready.settings.control_db).rows("SELECT count(*) AS n FROM member_subscriptions")[0]["n"] == 0


def test_conditions_only_on_fields_the_member_can_see(ready: SettingsContext, sf_sandbox: SalesforceSandbox) -> None:
    """Through the member's own UI API session, a field hidden by field-level security is an unknown field; the
    integration user's describe has it."""
    rep = pick_members(sf_sandbox).rep
    assert sf_sandbox.info is not None
    assert rep.can_read("Lead") and HIDDEN not in rep.readable_fields("Lead")  # the sandbox's field-level security
    draft = _draft(template="new_record", object="Lead", scope="mine",
                   conditions=[{"field": HIDDEN, "op": ">=", "value": 1000}])
    checked, resolved = check_draft(ready, ALIAS, draft, {"new_record"})
    assert checked.conditions[0].field == HIDDEN and "OwnerId" in resolved.types
    ui = UiApi(MemberSession(sf_sandbox.info.instance_url, member_token(sf_sandbox, rep.user_id),
                             ca_file=sf_sandbox.info.ca_file))
    try:
        with pytest.raises(SubscriptionProblems, match=f"Lead has no field '{HIDDEN}'"):
            check_draft(UiSchema(ui), ALIAS, draft, {"new_record"})
        visible, _ = check_draft(UiSchema(ui), ALIAS, _draft(conditions=[{"field": "amount", "op": ">=", "value": 5}]),
                                 {"stage_changed"})
        assert visible.conditions[0].field == "Amount"
    finally:
        ui.close()


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output + (str(result.exception) if result.exit_code else "")


def test_cli_member_templates_and_dashboard(ready: SettingsContext, people: People) -> None:
    me = _members(ready)[0]
    code, out = _run("notifications", "member-templates", "allow", "stage_changed", "--org", ALIAS,
                     "--as", people.member)
    assert code != 0 and "not a sales admin" in out
    code, out = _run("notifications", "member-templates", "allow", "stage_changed", "--org", ALIAS,
                     "--as", people.sales_admin)
    assert code == 0 and "now allowed for members" in out, out
    code, out = _run("notifications", "member-templates", "list", "--org", ALIAS)
    assert code == 0 and "stage_changed" in out and "yes" in out, out
    subscribe(ready.control, ready, ALIAS, me, _draft())
    code, out = _run("notifications", "stats")
    assert code == 0 and "Members' subscriptions per template" in out and "stage_changed" in out, out
    code, out = _run("notifications", "member-templates", "forbid", "stage_changed", "--org", ALIAS,
                     "--as", people.sales_admin)
    assert code == 0 and "not allowed for members" in out
