"""Plans and roles: who may declare the plan, grant the sales admin role, change settings — every role × action.

Roles are read from the Slack sandbox through slack-sdk's WebClient (``users.info``) over HTTP.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from saleshome.config import Settings
from saleshome.errors import ConfigurationError, PermissionDeniedError, SalesHomeError, ValidationError
from saleshome.settings.apply import import_yaml
from saleshome.settings.audit import read_audit
from saleshome.settings.changes import (
    add_default_lists,
    add_object,
    remove_default_list,
    remove_object,
    reset_layout,
    set_celebrations,
    set_layout,
    set_restrictions,
    set_won_stage,
)
from saleshome.settings.context import SettingsContext
from saleshome.settings.notifications.catalog import NotificationSpec
from saleshome.settings.notifications.store import (
    create_notification,
    delete_notification,
    edit_notification,
    set_enabled,
)
from saleshome.settings.roles import (
    grant_sales_admin,
    is_sales_admin,
    list_sales_admins,
    require_sales_admin,
    revoke_sales_admin,
)
from saleshome.settings.workspace import Plan, SalesHomeUnavailableError, require_sales_home, set_plan
from saleshome.warehouse.control import control_db
from tests.fixtures.workspace import ALIAS, People, make_ready

from .conftest import dump_tables

pytestmark = pytest.mark.integration

ROLES = ("primary_owner", "owner", "admin", "sales_admin", "member", "deactivated", "bot", "unknown")
UNKNOWN_USER = "U0NOBODY00"
SPEC = NotificationSpec.model_validate({"template": "deal_closed", "recipients": {"channels": ["#sales"]}})


def who(people: People, role: str) -> str:
    return UNKNOWN_USER if role == "unknown" else str(getattr(people, role))


@dataclass(frozen=True)
class Action:
    """One changing action: ``run`` as ``actor``; ``prepare`` (as the sales admin) gives it something to change;
    ``undo`` (as whoever may) puts the settings back, so the next allowed role changes them again."""

    run: Callable[[SettingsContext, str, People], object]
    prepare: Callable[[SettingsContext, People], object] | None = None
    undo: Callable[[SettingsContext, People], object] | None = None
    changes: bool = True  # False: a dry run, which reports a change and writes nothing


def _notification(ctx: SettingsContext, people: People, *, enabled: bool = True) -> None:
    create_notification(ctx, people.sales_admin, ALIAS, "big-deals", SPEC, enabled=enabled)


DOCUMENT = f"restrictions: {{channel_types: [public]}}\norgs: {{{ALIAS}: {{won_stage: Closed Won}}}}"
ACTIONS: dict[str, Action] = {
    "set-plan": Action(lambda c, a, p: set_plan(c.control, c.directory, c.workspace, actor=a, plan=Plan.ENTERPRISE_GRID,
                                                sales_elevate=True)),
    "grant": Action(lambda c, a, p: grant_sales_admin(c.control, c.directory, c.workspace, actor=a, user=p.member),
                    undo=lambda c, p: revoke_sales_admin(c.control, c.directory, c.workspace, actor=p.primary_owner,
                                                         user=p.member)),
    "revoke": Action(lambda c, a, p: revoke_sales_admin(c.control, c.directory, c.workspace, actor=a,
                                                        user=p.sales_admin),
                     undo=lambda c, p: grant_sales_admin(c.control, c.directory, c.workspace, actor=p.primary_owner,
                                                         user=p.sales_admin)),
    "lists.add": Action(lambda c, a, p: add_object(c, a, ALIAS, "PermissionSet")),
    "lists.remove": Action(lambda c, a, p: remove_object(c, a, ALIAS, "Lead")),
    "lists.add-default": Action(lambda c, a, p: add_default_lists(c, a, ALIAS, "Lead", ["TodaysLeads"])),
    "lists.remove-default": Action(
        lambda c, a, p: remove_default_list(c, a, ALIAS, "Lead", "TodaysLeads"),
        prepare=lambda c, p: add_default_lists(c, p.sales_admin, ALIAS, "Lead", ["TodaysLeads"])),
    "layouts.set": Action(lambda c, a, p: set_layout(c, a, ALIAS, "Lead", ["Name", "Company", "Status"], ["Status"])),
    "layouts.reset": Action(lambda c, a, p: reset_layout(c, a, ALIAS, "Lead"),
                            prepare=lambda c, p: set_layout(c, p.sales_admin, ALIAS, "Lead", ["Name", "Status"], [])),
    "celebrations.set": Action(lambda c, a, p: set_celebrations(c, a, enabled=False)),
    "celebrations.won-stage": Action(lambda c, a, p: set_won_stage(c, a, ALIAS, "Contract Signed")),
    "restrictions.set": Action(lambda c, a, p: set_restrictions(c, a, include_external=True)),
    "notifications.create": Action(lambda c, a, p: create_notification(c, a, ALIAS, "new-deals", SPEC)),
    "notifications.edit": Action(
        lambda c, a, p: edit_notification(c, a, "big-deals", spec=SPEC.model_copy(update={"cooldown_minutes": 30})),
        prepare=_notification),
    "notifications.delete": Action(lambda c, a, p: delete_notification(c, a, "big-deals"), prepare=_notification),
    "notifications.enable": Action(lambda c, a, p: set_enabled(c, a, "big-deals", True),
                                   prepare=lambda c, p: _notification(c, p, enabled=False)),
    "notifications.disable": Action(lambda c, a, p: set_enabled(c, a, "big-deals", False), prepare=_notification),
    "import": Action(lambda c, a, p: import_yaml(c, a, DOCUMENT)),
    # A dry run needs the role too: it resolves the document against the orgs and Slack as the actor would.
    "import --dry-run": Action(lambda c, a, p: import_yaml(c, a, DOCUMENT, dry_run=True), changes=False),
}
ROLE_ACTIONS = ("set-plan", "grant", "revoke")
SETTINGS_ACTIONS = tuple(a for a in ACTIONS if a not in ROLE_ACTIONS)
PLANS = {  # (plan, Sales Elevate) → who grants and revokes the sales admin role
    "business_plus": ((Plan.BUSINESS_PLUS, False), {"primary_owner"}),
    "free+sales_elevate": ((Plan.FREE, True), {"primary_owner"}),
    "enterprise_plus": ((Plan.ENTERPRISE_PLUS, False), {"primary_owner", "owner", "admin"}),  # org owners/admins
    "enterprise_grid+sales_elevate": ((Plan.ENTERPRISE_GRID, True), {"primary_owner", "owner", "admin"}),
}


def allowed(action: str, plan: str) -> set[str]:
    if action == "set-plan":
        return {"primary_owner"}
    if action in ROLE_ACTIONS:
        return PLANS[plan][1]
    return {"sales_admin"}


# The role actions on every plan; a settings change needs the sales admin role whatever the plan, so each is
# tried on one plan, alternating a workspace plan (Business+) and an organisation one (Enterprise Grid + add-on).
CASES = [(a, p) for a in ROLE_ACTIONS for p in PLANS] + [
    (a, ("business_plus", "enterprise_grid+sales_elevate")[i % 2]) for i, a in enumerate(SETTINGS_ACTIONS)]


@pytest.mark.parametrize(("action", "plan"), CASES, ids=[f"{a}-{p}" for a, p in CASES])
def test_every_role_and_action(home: Settings, people: People, action: str, plan: str) -> None:
    """Each role tries the action: the allowed ones change the settings (audited as them), the others are refused
    with an error naming them, and every settings table stays as it was."""
    (chosen, sales_elevate), _ = PLANS[plan]
    ctx = make_ready(home, people, chosen, sales_elevate=sales_elevate)
    spec = ACTIONS[action]
    if spec.prepare is not None:
        spec.prepare(ctx, people)
    ok = allowed(action, plan)
    before = dump_tables(ctx.control)
    for role in sorted(ROLES, key=lambda r: r in ok):  # refused roles first, on the prepared settings
        actor = who(people, role)
        if role in ok:
            result = spec.run(ctx, actor, people)
            after = dump_tables(ctx.control)
            if not spec.changes:
                assert after == before and getattr(result, "changes", None), f"{role}: a dry run reports, writes nothing"
                continue
            assert after != before, f"{role}: an allowed action changes something"
            assert read_audit(ctx.control, ctx.workspace)[-1].actor == actor
            if spec.undo is not None:
                spec.undo(ctx, people)
                before = dump_tables(ctx.control)
            continue
        with pytest.raises((PermissionDeniedError, ValidationError)) as refused:
            spec.run(ctx, actor, people)
        if role == "unknown":
            assert f"unknown Slack user {UNKNOWN_USER}" in refused.value.message
        elif role == "deactivated":
            assert "deactivated" in refused.value.message
        else:
            assert isinstance(refused.value, PermissionDeniedError), (role, refused.value)
            assert actor in refused.value.message and refused.value.hint
        assert dump_tables(ctx.control) == before, f"{role}: a refused action changes nothing"


@pytest.mark.parametrize(
    ("plan", "sales_elevate", "available"),
    [(Plan.FREE, False, False), (Plan.PRO, False, False), (Plan.BUSINESS_PLUS, False, True),
     (Plan.ENTERPRISE_GRID, False, False), (Plan.ENTERPRISE_PLUS, False, True), (Plan.FREE, True, True),
     (Plan.PRO, True, True), (Plan.ENTERPRISE_GRID, True, True)],
)
def test_sales_home_is_available_with_the_add_on_business_plus_or_enterprise_plus(
    home: Settings, people: People, plan: Plan, sales_elevate: bool, available: bool,
) -> None:
    ctx = make_ready(home, people, plan, sales_elevate=sales_elevate)
    if available:
        assert require_sales_home(ctx.control, ctx.workspace).plan == plan
        require_sales_admin(ctx.control, ctx.directory, ctx.workspace, people.sales_admin)
        return
    with pytest.raises(SalesHomeUnavailableError) as refused:
        require_sales_home(ctx.control, ctx.workspace)
    assert plan.label in refused.value.message
    assert refused.value.hint and "Sales Elevate" in refused.value.hint and "Business+" in refused.value.hint \
        and "Enterprise+" in refused.value.hint
    before = dump_tables(ctx.control)
    for action in ("grant", "revoke", "restrictions.set", "lists.add", "notifications.create", "import",
                   "import --dry-run"):
        actor = people.primary_owner if action in ROLE_ACTIONS else people.sales_admin
        with pytest.raises(SalesHomeUnavailableError):
            ACTIONS[action].run(ctx, actor, people)
    assert dump_tables(ctx.control) == before, "nothing changes on a plan without Sales Home"


def test_before_the_plan_is_declared_every_command_says_who_declares_it(slack_home: Settings, people: People) -> None:
    ctx = SettingsContext(control_db(slack_home), slack_home)
    with pytest.raises(ConfigurationError, match="no Slack plan is set") as refused:
        require_sales_home(ctx.control, ctx.workspace)
    assert refused.value.hint and "set-plan" in refused.value.hint
    with pytest.raises(ConfigurationError):
        grant_sales_admin(ctx.control, ctx.directory, ctx.workspace, actor=people.primary_owner, user=people.member)


def test_the_plan_covers_the_slack_workspaces(slack_home: Settings, people: People) -> None:
    ctx = SettingsContext(control_db(slack_home), slack_home)
    teams = [t.id for t in ctx.directory.teams()]
    assert len(teams) == 2
    found = set_plan(ctx.control, ctx.directory, ctx.workspace, actor=people.primary_owner, plan="enterprise_plus")
    assert found.team_ids == teams
    with pytest.raises(ValidationError, match="covers one workspace"):
        set_plan(ctx.control, ctx.directory, ctx.workspace, actor=people.primary_owner, plan="business_plus")
    with pytest.raises(ValidationError, match="unknown plan 'gold'"):
        set_plan(ctx.control, ctx.directory, ctx.workspace, actor=people.primary_owner, plan="gold")
    with pytest.raises(ValidationError, match="unknown Slack workspace 'T0NOPE'"):
        set_plan(ctx.control, ctx.directory, ctx.workspace, actor=people.primary_owner, plan="business_plus",
                 teams=["T0NOPE"])
    found = set_plan(ctx.control, ctx.directory, ctx.workspace, actor=people.primary_owner, plan="business_plus",
                     teams=[ctx.directory.teams()[1].name])
    assert found.team_ids == [teams[1]]


def test_grant_and_revoke_are_idempotent_and_audited(slack_home: Settings, people: People) -> None:
    ctx = make_ready(slack_home, people)
    directory, control, ws = ctx.directory, ctx.control, ctx.workspace
    assert grant_sales_admin(control, directory, ws, actor=people.admin, user=people.member)
    assert not grant_sales_admin(control, directory, ws, actor=people.admin, user=people.member)
    assert is_sales_admin(control, ws, people.member)
    assert {a.user_id for a in list_sales_admins(control, ws)} == {people.sales_admin, people.member}
    assert revoke_sales_admin(control, directory, ws, actor=people.owner, user=people.member)
    assert not revoke_sales_admin(control, directory, ws, actor=people.owner, user=people.member)
    entries = [e for e in read_audit(control, ws) if e.action.startswith("roles.")]
    assert [(e.action, e.actor) for e in entries][-2:] == [("roles.grant", people.admin),
                                                            ("roles.revoke", people.owner)]
    assert entries[-1].before == {"user": people.member, "role": "sales_admin"} and entries[-1].after is None
    with pytest.raises(PermissionDeniedError, match="not a sales admin"):
        set_restrictions(ctx, people.member, include_external=True)


@pytest.mark.parametrize("target", ["deactivated", "bot", "unknown"])
def test_the_role_goes_to_an_active_person(slack_home: Settings, people: People, target: str) -> None:
    ctx = make_ready(slack_home, people)
    user = who(people, target)
    with pytest.raises(SalesHomeError) as refused:
        grant_sales_admin(ctx.control, ctx.directory, ctx.workspace, actor=people.primary_owner, user=user)
    assert isinstance(refused.value, ValidationError)
    assert not is_sales_admin(ctx.control, ctx.workspace, user)


def test_a_revoked_sales_admin_can_no_longer_change_settings(slack_home: Settings, people: People) -> None:
    ctx = make_ready(slack_home, people)
    set_restrictions(ctx, people.sales_admin, include_external=True)
    revoke_sales_admin(ctx.control, ctx.directory, ctx.workspace, actor=people.primary_owner, user=people.sales_admin)
    with pytest.raises(PermissionDeniedError):
        set_restrictions(ctx, people.sales_admin, include_external=False)
