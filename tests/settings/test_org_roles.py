"""Who may connect and remove orgs: every role × org action, on each plan; audited; refused when the plan lacks Sales Home.

The same roles as ``test_roles.py`` (read from the Slack sandbox over HTTP); the org is the
Salesforce sandbox (``acme`` connected by the ``home`` fixture; ``beta``, added here, is another sandbox org:
a Salesforce org is connected once).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest

from saleshome.config import Settings
from saleshome.errors import ConfigurationError, PermissionDeniedError, ValidationError
from saleshome.salesforce.credentials import AuthMethod, env_prefix_for
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from saleshome.settings.audit import read_audit
from saleshome.settings.context import SettingsContext
from saleshome.settings.orgs import ORG_ADD, ORG_REMOVE, Org, add_org_as, get_org, remove_org_as
from saleshome.settings.workspace import Plan, SalesHomeUnavailableError, set_plan
from saleshome.warehouse.control import control_db
from tests.fixtures.sandboxes import set_org_credentials
from tests.fixtures.workspace import ALIAS, People, make_ready

from .test_roles import ROLES, UNKNOWN_USER, who

pytestmark = pytest.mark.integration

NEW = "beta"


@pytest.fixture(scope="module")
def beta_sandbox() -> Iterator[SalesforceSandbox]:
    """The org ``beta`` connects to: another org than ``acme``'s."""
    with SalesforceSandbox(seed=12, opportunities=30) as sandbox:
        yield sandbox


@pytest.fixture()
def beta_credentials(monkeypatch: pytest.MonkeyPatch, beta_sandbox: SalesforceSandbox) -> str:
    """Credentials of org ``beta`` in the environment; its credential reference."""
    assert beta_sandbox.info is not None
    return set_org_credentials(monkeypatch, NEW, beta_sandbox.info)


def _add(ctx: SettingsContext, actor: str, sandbox: SalesforceSandbox) -> None:
    assert sandbox.info is not None
    add_org_as(ctx.control, ctx.settings, ctx.directory, NEW, actor=actor, login_url=sandbox.info.instance_url,
               auth_method=AuthMethod.CLIENT_CREDENTIALS, credential_ref=f"env:{env_prefix_for(NEW)}",
               ca_file=sandbox.info.ca_file)


def _remove(ctx: SettingsContext, actor: str, sandbox: SalesforceSandbox) -> None:
    remove_org_as(ctx.control, ctx.settings, ctx.directory, ALIAS, actor=actor)


ACTIONS: dict[str, Callable[[SettingsContext, str, SalesforceSandbox], None]] = {
    "org-add": _add, "org-remove": _remove,
}
# (action, plan) → the roles allowed; every other role is refused.
ALLOWED: dict[tuple[str, Plan], set[str]] = {
    ("org-add", Plan.BUSINESS_PLUS): {"sales_admin"},
    ("org-add", Plan.ENTERPRISE_PLUS): {"sales_admin"},
    ("org-remove", Plan.BUSINESS_PLUS): {"sales_admin"},
    ("org-remove", Plan.ENTERPRISE_PLUS): {"sales_admin"},
}


def _snapshot(ctx: SettingsContext) -> tuple[object, ...]:
    return (
        ctx.control.rows("SELECT alias, org_id, credential_ref FROM orgs ORDER BY alias"),
        ctx.control.rows("SELECT alias, objects FROM org_settings ORDER BY alias"),
        len(read_audit(ctx.control, ctx.workspace)),
        ctx.settings.org_db(ALIAS).exists(),
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("action", "plan"), list(ALLOWED), ids=[f"{a}-{p.value}" for a, p in ALLOWED])
def test_every_role_and_org_action(
    home: Settings, people: People, beta_sandbox: SalesforceSandbox, beta_credentials: str, action: str, plan: Plan,
    role: str,
) -> None:
    ctx = make_ready(home, people, plan)
    ctx.settings.org_db(ALIAS).parent.mkdir(parents=True, exist_ok=True)
    ctx.settings.org_db(ALIAS).touch()  # stands for the org's synced data, which a removal deletes
    before = _snapshot(ctx)
    actor = who(people, role)
    if role in ALLOWED[(action, plan)]:
        ACTIONS[action](ctx, actor, beta_sandbox)
        assert _snapshot(ctx) != before, "an allowed action changes something"
        last = read_audit(ctx.control, ctx.workspace)[-1]
        assert (last.actor, last.action) == (actor, ORG_ADD if action == "org-add" else ORG_REMOVE)
        return
    with pytest.raises((PermissionDeniedError, ValidationError)) as refused:
        ACTIONS[action](ctx, actor, beta_sandbox)
    if role == "unknown":
        assert f"unknown Slack user {UNKNOWN_USER}" in refused.value.message
    elif role == "deactivated":
        assert "deactivated" in refused.value.message
    else:
        assert isinstance(refused.value, PermissionDeniedError)
        assert actor in refused.value.message and "not a sales admin" in refused.value.message
        assert refused.value.hint and "roles grant" in refused.value.hint
    assert _snapshot(ctx) == before, "a refused action changes nothing"


@pytest.mark.parametrize(("plan", "sales_elevate"), [(Plan.FREE, False), (Plan.PRO, False),
                                                     (Plan.ENTERPRISE_GRID, False)])
@pytest.mark.parametrize("action", list(ACTIONS))
def test_org_actions_refuse_when_the_plan_lacks_sales_home(
    home: Settings, people: People, beta_sandbox: SalesforceSandbox, beta_credentials: str, action: str, plan: Plan,
    sales_elevate: bool,
) -> None:
    ctx = make_ready(home, people)  # a sales admin on Enterprise+ ...
    set_plan(ctx.control, ctx.directory, ctx.workspace, actor=people.primary_owner, plan=plan,  # ... then a downgrade
             sales_elevate=sales_elevate, teams=None if plan.is_enterprise else [ctx.directory.teams()[0].id])
    before = _snapshot(ctx)
    for actor in (people.sales_admin, people.primary_owner):
        with pytest.raises(SalesHomeUnavailableError) as refused:
            ACTIONS[action](ctx, actor, beta_sandbox)
        assert plan.label in refused.value.message
        assert refused.value.hint and "Sales Elevate" in refused.value.hint and "Business+" in refused.value.hint
    assert _snapshot(ctx) == before


def test_org_actions_refuse_before_the_plan_is_declared(
    home: Settings, people: People, beta_sandbox: SalesforceSandbox, beta_credentials: str,
) -> None:
    ctx = SettingsContext(control_db(home), home)
    for action in ACTIONS.values():
        with pytest.raises(ConfigurationError, match="no Slack plan is set"):
            action(ctx, people.primary_owner, beta_sandbox)
    assert [o["alias"] for o in ctx.control.rows("SELECT alias FROM orgs")] == [ALIAS]


def test_the_audit_keeps_the_credential_reference_never_a_secret(
    home: Settings, people: People, beta_sandbox: SalesforceSandbox, beta_credentials: str,
) -> None:
    assert beta_sandbox.info is not None
    ctx = make_ready(home, people)
    _add(ctx, people.sales_admin, beta_sandbox)
    added = get_org(control_db(home), home, NEW)
    asked: list[Org] = []
    remove_org_as(control_db(home), home, ctx.directory, NEW, actor=people.sales_admin, confirm=asked.append)
    assert [o.alias for o in asked] == [NEW]
    entries = [e for e in read_audit(ctx.control, ctx.workspace) if e.target == f"orgs.{NEW}"]
    assert [(e.action, e.actor, e.before is None, e.after is None) for e in entries] == [
        (ORG_ADD, people.sales_admin, True, False), (ORG_REMOVE, people.sales_admin, False, True)]
    assert entries[0].after == entries[1].before == added.audited()
    assert added.audited()["credential_ref"] == beta_credentials
    text = json.dumps([e.after for e in entries] + [e.before for e in entries])
    for secret in (beta_sandbox.info.client_id, beta_sandbox.info.client_secret):
        assert secret not in text


def test_a_refused_confirmation_keeps_the_org(home: Settings, people: People) -> None:
    ctx = make_ready(home, people)

    def keep(org: Org) -> None:
        raise KeyboardInterrupt

    before = _snapshot(ctx)
    with pytest.raises(KeyboardInterrupt):
        remove_org_as(control_db(home), home, ctx.directory, ALIAS, actor=people.sales_admin, confirm=keep)
    assert _snapshot(ctx) == before
