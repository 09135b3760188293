"""Plans and roles: who may declare the plan, grant the sales admin role, change settings — every role × action.

Roles are read from the Slack sandbox through slack-sdk's WebClient (``users.info``) over HTTP.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from saleshome.config import Settings
from saleshome.errors import ConfigurationError, PermissionDeniedError, SalesHomeError, ValidationError
from saleshome.settings.apply import apply_document, parse_document
from saleshome.settings.audit import read_audit
from saleshome.settings.changes import set_restrictions
from saleshome.settings.context import SettingsContext
from saleshome.settings.roles import (
    grant_sales_admin,
    is_sales_admin,
    list_sales_admins,
    require_sales_admin,
    revoke_sales_admin,
)
from saleshome.settings.workspace import Plan, SalesHomeUnavailableError, require_sales_home, set_plan

from .conftest import People, make_ready

pytestmark = pytest.mark.integration

ROLES = ("primary_owner", "owner", "admin", "sales_admin", "member", "deactivated", "unknown")
UNKNOWN_USER = "U0NOBODY00"


def who(people: People, role: str) -> str:
    return UNKNOWN_USER if role == "unknown" else str(getattr(people, role))


def _set_plan(ctx: SettingsContext, actor: str, people: People) -> None:
    set_plan(ctx.control, ctx.directory, ctx.workspace, actor=actor, plan=Plan.ENTERPRISE_PLUS)


def _grant(ctx: SettingsContext, actor: str, people: People) -> None:
    grant_sales_admin(ctx.control, ctx.directory, ctx.workspace, actor=actor, user=people.member)


def _revoke(ctx: SettingsContext, actor: str, people: People) -> None:
    revoke_sales_admin(ctx.control, ctx.directory, ctx.workspace, actor=actor, user=people.sales_admin)


def _change(ctx: SettingsContext, actor: str, people: People) -> None:
    set_restrictions(ctx, actor, include_external=True)


def _import(ctx: SettingsContext, actor: str, people: People) -> None:
    apply_document(ctx, actor, parse_document("restrictions: {channel_types: [public]}"))


ACTIONS: dict[str, Callable[[SettingsContext, str, People], None]] = {
    "set-plan": _set_plan, "grant": _grant, "revoke": _revoke, "change-settings": _change, "import": _import,
}
# (action, plan) → the roles allowed; every other role is refused.
ALLOWED: dict[tuple[str, Plan], set[str]] = {
    ("set-plan", Plan.BUSINESS_PLUS): {"primary_owner"},
    ("set-plan", Plan.ENTERPRISE_PLUS): {"primary_owner"},
    ("grant", Plan.BUSINESS_PLUS): {"primary_owner"},
    ("grant", Plan.ENTERPRISE_PLUS): {"primary_owner", "owner", "admin"},  # org owners/admins act as role admins
    ("revoke", Plan.BUSINESS_PLUS): {"primary_owner"},
    ("revoke", Plan.ENTERPRISE_PLUS): {"primary_owner", "owner", "admin"},
    ("change-settings", Plan.BUSINESS_PLUS): {"sales_admin"},
    ("change-settings", Plan.ENTERPRISE_PLUS): {"sales_admin"},
    ("import", Plan.BUSINESS_PLUS): {"sales_admin"},
    ("import", Plan.ENTERPRISE_PLUS): {"sales_admin"},
}


def _snapshot(ctx: SettingsContext) -> tuple[object, ...]:
    return (
        ctx.control.rows("SELECT * FROM workspaces"),
        ctx.control.rows("SELECT user_id, role FROM role_assignments ORDER BY user_id"),
        ctx.control.rows("SELECT * FROM notification_restrictions"),
        len(read_audit(ctx.control, ctx.workspace)),
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("action", "plan"), list(ALLOWED), ids=[f"{a}-{p.value}" for a, p in ALLOWED])
def test_every_role_and_action(slack_home: Settings, people: People, action: str, plan: Plan, role: str) -> None:
    ctx = make_ready(slack_home, people, plan)
    before = _snapshot(ctx)
    actor = who(people, role)
    if role in ALLOWED[(action, plan)]:
        ACTIONS[action](ctx, actor, people)
        assert _snapshot(ctx) != before, "an allowed action changes something"
        assert read_audit(ctx.control, ctx.workspace)[-1].actor == actor
        return
    with pytest.raises((PermissionDeniedError, ValidationError)) as refused:
        ACTIONS[action](ctx, actor, people)
    if role == "unknown":
        assert f"unknown Slack user {UNKNOWN_USER}" in refused.value.message
    elif role == "deactivated":
        assert "deactivated" in refused.value.message
    else:
        assert isinstance(refused.value, PermissionDeniedError)
        assert actor in refused.value.message and refused.value.hint
    assert _snapshot(ctx) == before, "a refused action changes nothing"


@pytest.mark.parametrize(
    ("plan", "sales_elevate", "available"),
    [(Plan.FREE, False, False), (Plan.PRO, False, False), (Plan.BUSINESS_PLUS, False, True),
     (Plan.ENTERPRISE_GRID, False, False), (Plan.ENTERPRISE_PLUS, False, True), (Plan.FREE, True, True),
     (Plan.PRO, True, True), (Plan.ENTERPRISE_GRID, True, True)],
)
def test_sales_home_is_available_with_the_add_on_business_plus_or_enterprise_plus(
    slack_home: Settings, people: People, plan: Plan, sales_elevate: bool, available: bool,
) -> None:
    ctx = make_ready(slack_home, people, plan, sales_elevate=sales_elevate)
    if available:
        assert require_sales_home(ctx.control, ctx.workspace).plan == plan
        require_sales_admin(ctx.control, ctx.directory, ctx.workspace, people.sales_admin)
        return
    with pytest.raises(SalesHomeUnavailableError) as refused:
        require_sales_home(ctx.control, ctx.workspace)
    assert plan.label in refused.value.message
    assert refused.value.hint and "Sales Elevate" in refused.value.hint and "Business+" in refused.value.hint \
        and "Enterprise+" in refused.value.hint
    for action in ("grant", "change-settings", "import"):
        with pytest.raises(SalesHomeUnavailableError):
            ACTIONS[action](ctx, people.primary_owner if action == "grant" else people.sales_admin, people)


def test_before_the_plan_is_declared_every_command_says_who_declares_it(slack_home: Settings, people: People) -> None:
    ctx = SettingsContext(slack_home)
    with pytest.raises(ConfigurationError, match="no Slack plan is set") as refused:
        require_sales_home(ctx.control, ctx.workspace)
    assert refused.value.hint and "set-plan" in refused.value.hint
    with pytest.raises(ConfigurationError):
        grant_sales_admin(ctx.control, ctx.directory, ctx.workspace, actor=people.primary_owner, user=people.member)


def test_the_plan_covers_the_slack_workspaces(slack_home: Settings, people: People) -> None:
    ctx = SettingsContext(slack_home)
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
