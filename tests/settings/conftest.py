"""Fixtures for settings tests: a Salesforce sandbox org connected to Sales Home, the Slack sandbox,
the people who hold each role, and a helper that makes a workspace ready (plan set, a sales admin).

Everything talks over real HTTP(S): simple-salesforce to the Salesforce sandbox, slack-sdk's
``WebClient`` to the Slack sandbox.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from saleshome.config import Settings, load_settings
from saleshome.salesforce.credentials import AuthMethod, env_prefix_for
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from saleshome.sandbox.slack.ratelimit import RateLimits
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.settings.context import SettingsContext
from saleshome.settings.orgs import add_org
from saleshome.settings.roles import grant_sales_admin
from saleshome.settings.workspace import Plan, set_plan
from saleshome.warehouse.control import ControlDB

ALIAS = "acme"
# Every table a settings change writes (what "nothing changed" compares).
SETTINGS_TABLES = ("workspaces", "role_assignments", "org_settings", "default_list_views", "record_layouts",
                   "celebration_settings", "notification_restrictions", "settings_audit", "notifications",
                   "notification_versions")


def dump_tables(control: ControlDB, tables: tuple[str, ...] = SETTINGS_TABLES) -> list[object]:
    """The rows of ``tables``, each in a stable order, read in one opening of the control file."""
    with control.transaction() as db:
        return [(t, db.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()) for t in tables]


def control_tables(control: ControlDB) -> tuple[str, ...]:
    """Every table of the control database (settings, sync state, outbox, caches)."""
    with control.transaction() as db:
        rows = db.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
                          "ORDER BY table_name").fetchall()
    return tuple(r[0] for r in rows)


@dataclass(frozen=True)
class People:
    """Slack user ids of the sandbox organisation, one per role."""

    primary_owner: str
    owner: str  # an owner who is not the primary owner
    admin: str  # an admin who is not an owner
    member: str  # a regular member, no role
    sales_admin: str  # a regular member who is made sales admin by `make_ready`
    deactivated: str
    bot: str


@pytest.fixture(scope="session")
def sf_sandbox() -> Iterator[SalesforceSandbox]:
    with SalesforceSandbox(seed=11, opportunities=200) as sandbox:
        yield sandbox


@pytest.fixture(scope="session")
def slack_sandbox() -> Iterator[SlackSandbox]:
    with SlackSandbox(seed=11, opportunities=200, history=False, rate_limits=RateLimits(time_scale=200)) as sandbox:
        yield sandbox


@pytest.fixture(scope="session")
def people(slack_sandbox: SlackSandbox) -> People:
    world = slack_sandbox.world
    humans = [u for u in world.users.values() if u.person is not None]
    members = [u.id for u in humans if not u.is_admin and not u.deleted]
    return People(
        primary_owner=world.primary_owner_id,
        owner=next(u.id for u in humans if u.is_owner and not u.is_primary_owner and not u.deleted),
        admin=next(u.id for u in humans if u.is_admin and not u.is_owner and not u.deleted),
        member=members[0],
        sales_admin=members[1],
        deactivated=world.deactivated_user_id,
        bot=world.bot_user_id,
    )


@pytest.fixture(scope="session")
def migrated_control(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty control database with every migration applied (copied by each test: creating it takes a while)."""
    path = tmp_path_factory.mktemp("control") / "control.duckdb"
    with ControlDB(path).transaction():
        pass
    return path


@pytest.fixture()
def slack_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slack_sandbox: SlackSandbox,
               migrated_control: Path) -> Settings:
    """A fresh Sales Home talking to the Slack sandbox, no org connected (no plan, no sales admin yet)."""
    assert slack_sandbox.info is not None
    (tmp_path / "home").mkdir()
    shutil.copyfile(migrated_control, tmp_path / "home" / "control.duckdb")
    monkeypatch.setenv("SALESHOME_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SALESHOME_SLACK_BOT_TOKEN", slack_sandbox.info.bot_token)
    monkeypatch.setenv("SALESHOME_SLACK_API_URL", slack_sandbox.info.api_url)
    monkeypatch.setenv("COLUMNS", "200")
    return load_settings()


@pytest.fixture()
def home(slack_home: Settings, monkeypatch: pytest.MonkeyPatch, sf_sandbox: SalesforceSandbox) -> Settings:
    """``slack_home`` with org ``acme`` (the Salesforce sandbox) connected."""
    assert sf_sandbox.info is not None
    prefix = env_prefix_for(ALIAS)
    monkeypatch.setenv(f"{prefix}_CLIENT_ID", sf_sandbox.info.client_id)
    monkeypatch.setenv(f"{prefix}_CLIENT_SECRET", sf_sandbox.info.client_secret)
    add_org(slack_home, ALIAS, login_url=sf_sandbox.info.instance_url, auth_method=AuthMethod.CLIENT_CREDENTIALS,
            credential_ref=f"env:{prefix}", ca_file=sf_sandbox.info.ca_file)
    return slack_home


def make_ready(settings: Settings, people: People, plan: Plan = Plan.ENTERPRISE_PLUS,
               *, sales_elevate: bool = False) -> SettingsContext:
    """Declare the plan as the primary owner and make ``people.sales_admin`` a sales admin."""
    ctx = SettingsContext(settings)
    set_plan(ctx.control, ctx.directory, ctx.workspace, actor=people.primary_owner, plan=plan,
             sales_elevate=sales_elevate, teams=None if plan in (Plan.ENTERPRISE_GRID, Plan.ENTERPRISE_PLUS)
             else [ctx.directory.teams()[0].id])
    if Plan(plan) in (Plan.BUSINESS_PLUS, Plan.ENTERPRISE_PLUS) or sales_elevate:
        grant_sales_admin(ctx.control, ctx.directory, ctx.workspace, actor=people.primary_owner, user=people.sales_admin)
    return SettingsContext(settings)


@pytest.fixture()
def ready(home: Settings, people: People) -> SettingsContext:
    """Enterprise+, with ``people.sales_admin`` as sales admin."""
    return make_ready(home, people)
