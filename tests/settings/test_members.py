"""Sales members: users holding an active, unexpired, unrevoked "Slack Sales Home User" assignment,
read from the synced PermissionSetAssignment and User tables (real HTTP sync against the Salesforce
sandbox).  Assignments have no IsDeleted: a removed one is a hard delete, gone at the next sync."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import duckdb
import pytest

from saleshome.config import Settings, load_settings
from saleshome.errors import ConfigurationError
from saleshome.sandbox.salesforce.seed import SALES_HOME_PERMISSION_SET
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from saleshome.settings.members import eligible_users, eligible_users_sql, permission_set_api_name
from saleshome.sync.engine import sync_org
from saleshome.warehouse.control import control_db
from saleshome.warehouse.orgdb import OrgWarehouse
from tests.fixtures.sandboxes import connect_org, settle

pytestmark = pytest.mark.integration

OBJECTS = ["User", "PermissionSetAssignment"]


@pytest.fixture()
def synced(tmp_path: Any, control_url: str) -> Iterator[tuple[Settings, SalesforceSandbox]]:
    with pytest.MonkeyPatch.context() as patch, SalesforceSandbox(seed=3, opportunities=50) as sandbox:
        patch.setenv("SALESHOME_HOME", str(tmp_path / "home"))
        settings = load_settings()
        connect_org(settings, sandbox, "acme", patch)
        assert sync_org(control_db(settings), settings, "acme", objects=OBJECTS).status == "completed"
        yield settings, sandbox


def _resync(settings: Settings, sandbox: SalesforceSandbox) -> None:
    settle(sandbox, settings)
    assert sync_org(control_db(settings), settings, "acme", objects=OBJECTS).status == "completed"


def _members(settings: Settings, permission_set: str = "Slack Sales Home User", now: datetime | None = None) -> set[str]:
    with OrgWarehouse(settings.org_db("acme")) as warehouse:
        return eligible_users(warehouse, permission_set, now)


def _org_truth(sandbox: SalesforceSandbox, api_name: str, now: datetime) -> set[str]:
    """The same rule, asked of the sandbox org's own tables (an independent oracle)."""
    assert sandbox.store is not None
    table = sandbox.store.read(
        'SELECT DISTINCT a."AssigneeId" FROM "PermissionSetAssignment" a JOIN "PermissionSet" p ON p."Id" = '
        'a."PermissionSetId" JOIN "User" u ON u."Id" = a."AssigneeId" WHERE p."Name" = ? AND NOT a."IsRevoked" '
        'AND a."IsActive" AND (a."ExpirationDate" IS NULL OR a."ExpirationDate" > ?) AND u."IsActive"',
        [api_name, now.replace(tzinfo=None)],
    )
    return {str(v) for v in table.column("AssigneeId").to_pylist()}


def _assignments(sandbox: SalesforceSandbox, api_name: str) -> list[dict[str, Any]]:
    assert sandbox.store is not None
    return sandbox.store.read(
        'SELECT a."Id", a."AssigneeId", a."ExpirationDate", a."IsActive" FROM "PermissionSetAssignment" a '
        'JOIN "PermissionSet" p ON p."Id" = a."PermissionSetId" JOIN "User" u ON u."Id" = a."AssigneeId" '
        'WHERE p."Name" = ? AND NOT a."IsRevoked" AND u."IsActive" ORDER BY a."Id"', [api_name],
    ).to_pylist()


def _now(sandbox: SalesforceSandbox) -> datetime:
    assert sandbox.store is not None
    return sandbox.store.clock.now()


def test_members_are_the_holders_of_the_permission_set(synced: tuple[Settings, SalesforceSandbox]) -> None:
    settings, sandbox = synced
    now = _now(sandbox)
    members = _members(settings, now=now)
    assert members and members == _org_truth(sandbox, SALES_HOME_PERMISSION_SET, now)
    # the seed holds expired assignments and users without the set: both are left out
    assert sandbox.store is not None
    users = set(sandbox.store.read('SELECT "Id" FROM "User" WHERE "IsActive"').column("Id").to_pylist())
    assert members < users
    expired = [a for a in _assignments(sandbox, SALES_HOME_PERMISSION_SET)
               if a["ExpirationDate"] is not None and a["ExpirationDate"] <= now.replace(tzinfo=None)]
    assert expired and not {a["AssigneeId"] for a in expired} & members


def test_expired_assignment_is_excluded(synced: tuple[Settings, SalesforceSandbox]) -> None:
    settings, sandbox = synced
    assert sandbox.store is not None
    holder = next(a for a in _assignments(sandbox, SALES_HOME_PERMISSION_SET) if a["ExpirationDate"] is None)
    assert holder["AssigneeId"] in _members(settings)
    sandbox.store.update("PermissionSetAssignment", holder["Id"],
                         {"ExpirationDate": _now(sandbox) - timedelta(hours=1)})
    _resync(settings, sandbox)
    assert holder["AssigneeId"] not in _members(settings)


def test_assignment_expiring_later_counts_until_then(synced: tuple[Settings, SalesforceSandbox]) -> None:
    settings, sandbox = synced
    assert sandbox.store is not None
    holder = next(a for a in _assignments(sandbox, SALES_HOME_PERMISSION_SET) if a["ExpirationDate"] is None)
    ends = (_now(sandbox) + timedelta(days=2)).replace(microsecond=0)
    sandbox.store.update("PermissionSetAssignment", holder["Id"], {"ExpirationDate": ends})
    _resync(settings, sandbox)
    user = holder["AssigneeId"]
    assert user in _members(settings, now=_now(sandbox))
    assert user in _members(settings, now=ends - timedelta(seconds=1))
    assert user not in _members(settings, now=ends)


def test_inactive_user_and_inactive_assignment_are_excluded(synced: tuple[Settings, SalesforceSandbox]) -> None:
    settings, sandbox = synced
    assert sandbox.store is not None
    holders = [a for a in _assignments(sandbox, SALES_HOME_PERMISSION_SET) if a["ExpirationDate"] is None]
    leaver, paused = holders[0], holders[1]
    assert {leaver["AssigneeId"], paused["AssigneeId"]} <= _members(settings)
    sandbox.store.update("User", leaver["AssigneeId"], {"IsActive": False})  # deactivated in Setup
    sandbox.store.update("PermissionSetAssignment", paused["Id"], {"IsActive": False})
    _resync(settings, sandbox)
    members = _members(settings)
    assert leaver["AssigneeId"] not in members and paused["AssigneeId"] not in members
    assert members == _org_truth(sandbox, SALES_HOME_PERMISSION_SET, _now(sandbox))


def test_other_permission_sets_do_not_count_and_the_name_is_configurable(
    synced: tuple[Settings, SalesforceSandbox],
) -> None:
    settings, sandbox = synced
    assert sandbox.store is not None
    # a holder loses Sales Home (assignment deleted) but keeps "Sales Cloud User", which every user holds
    holder = next(a for a in _assignments(sandbox, SALES_HOME_PERMISSION_SET) if a["ExpirationDate"] is None)
    sandbox.store.delete("PermissionSetAssignment", holder["Id"])
    _resync(settings, sandbox)
    now = _now(sandbox)
    home = _members(settings, now=now)
    cloud = _org_truth(sandbox, "Sales_Cloud_User", now)
    assert holder["AssigneeId"] in cloud - home
    assert home == _org_truth(sandbox, SALES_HOME_PERMISSION_SET, now)
    # configurable: by label or API name, and the default is "Slack Sales Home User"
    assert _members(settings, "Sales Cloud User", now) == cloud == _members(settings, "Sales_Cloud_User", now)
    assert _members(settings, SALES_HOME_PERMISSION_SET, now) == home
    assert _members(settings, "No Such Set", now) == set()
    assert permission_set_api_name("Slack Sales Home User") == "Slack_Sales_Home_User"
    assert _members(settings, "O'Brien's set", now) == set()  # quoted safely


def test_revoked_assignment_is_excluded(synced: tuple[Settings, SalesforceSandbox]) -> None:
    settings, sandbox = synced
    assert sandbox.store is not None
    holder = next(a for a in _assignments(sandbox, SALES_HOME_PERMISSION_SET) if a["ExpirationDate"] is None)
    assert holder["AssigneeId"] in _members(settings)
    sandbox.store.update("PermissionSetAssignment", holder["Id"], {"IsRevoked": True})  # a user access policy
    _resync(settings, sandbox)
    now = _now(sandbox)
    assert holder["AssigneeId"] not in _members(settings, now=now)
    assert _members(settings, now=now) == _org_truth(sandbox, SALES_HOME_PERMISSION_SET, now)


def test_deleted_assignment_ends_membership_at_the_next_sync(synced: tuple[Settings, SalesforceSandbox]) -> None:
    """Removing the set is a hard delete: the next sync (not the daily reconciliation) drops the row."""
    settings, sandbox = synced
    assert sandbox.store is not None and settings.reconcile_hours == 24  # the default: no daily run is due
    holder = next(a for a in _assignments(sandbox, SALES_HOME_PERMISSION_SET) if a["ExpirationDate"] is None)
    sandbox.store.delete("PermissionSetAssignment", holder["Id"])
    assert sandbox.store.get_row("PermissionSetAssignment", holder["Id"]) is None
    settle(sandbox, settings)
    result = sync_org(control_db(settings), settings, "acme", objects=OBJECTS)
    assignments = next(o for o in result.objects if o.object == "PermissionSetAssignment")
    assert assignments.purged == 1
    assert holder["AssigneeId"] not in _members(settings, now=_now(sandbox))
    with OrgWarehouse(settings.org_db("acme")) as warehouse:
        row = warehouse.conn.execute(
            'SELECT count(*) FROM sf."PermissionSetAssignment" WHERE "Id" = ?', [holder["Id"]]).fetchone()
        logged = warehouse.conn.execute(
            "SELECT operation, new_value FROM change_log WHERE run_id = ? AND record_id = ?",
            [result.run_id, holder["Id"]]).fetchall()
    assert row == (0,) and logged == [("delete", "purged")]


def test_sql_fragment_composes_into_other_queries(synced: tuple[Settings, SalesforceSandbox]) -> None:
    settings, sandbox = synced
    now = _now(sandbox)
    with OrgWarehouse(settings.org_db("acme")) as warehouse:
        fragment = eligible_users_sql(warehouse, now=now)
        row = warehouse.conn.execute(
            f'SELECT count(*) FROM sf."User" WHERE "Id" IN ({fragment})'
        ).fetchone()
        at_execution = warehouse.conn.execute(f"SELECT count(*) FROM ({eligible_users_sql(warehouse)})").fetchone()
    assert row == (len(_members(settings, now=now)),)
    assert at_execution is not None and at_execution[0] > 0


def test_without_synced_tables_membership_is_a_configuration_error() -> None:
    with duckdb.connect() as conn, pytest.raises(ConfigurationError, match="PermissionSetAssignment and User"):
        eligible_users(conn)
