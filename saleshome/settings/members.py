"""Sales members: Salesforce users who hold the Sales Home permission set (SPEC §3.7).

A user receives Sales Home (notifications, digests, celebrations) only when all of these hold
in the org's synced copy:

- a ``PermissionSetAssignment`` of the permission set, ``IsActive`` (API 52.0+), not expired
  (``ExpirationDate`` null or later than *now*, API 52.0+), not revoked (``IsRevoked``, API
  57.0+, when user access policies are on);
- the ``User`` is active (``IsActive``).

PermissionSetAssignment has no ``IsDeleted``: removing an assignment is a hard delete, and the
sync drops the row at its next run (an Id reconciliation at every run for such small objects).
User has no ``IsDeleted`` either (users are deactivated, never deleted).  Should a synced table
have one anyway (an older copy), deleted rows are left out.

The permission set is named by the admin (default "Slack Sales Home User", its label).  The
synced assignment carries ``PermissionSet.Name``, the API name; a permission set matches when
its API name equals the configured text or the API name Salesforce derives from that label
(``Slack_Sales_Home_User``), or, when ``PermissionSet.Label`` is synced too, its label.
Columns an older API version does not have are simply not tested.

Assignments through a permission set *group* that contains the set are not followed (that
needs ``PermissionSetGroupComponent``): assign the set itself.

Everything is one DuckDB query over the synced tables; :func:`eligible_users_sql` gives it as
a fragment (``SELECT user_id ...``) for notification SQL to join on.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import duckdb

from saleshome.errors import ConfigurationError
from saleshome.warehouse.catalog import table_columns
from saleshome.warehouse.orgdb import OrgWarehouse

__all__ = [
    "SALES_HOME_PERMISSION_SET",
    "eligible_users",
    "eligible_users_sql",
    "permission_set_api_name",
]

SALES_HOME_PERMISSION_SET = "Slack Sales Home User"

_ASSIGNMENTS, _USERS = "PermissionSetAssignment", "User"


def permission_set_api_name(label: str) -> str:
    """The API name Salesforce proposes for a label: ``Slack Sales Home User`` → ``Slack_Sales_Home_User``."""
    return re.sub(r"[^A-Za-z0-9]+", "_", label.strip()).strip("_")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def eligible_users_sql(
    conn: OrgWarehouse | duckdb.DuckDBPyConnection,
    permission_set: str = SALES_HOME_PERMISSION_SET,
    now: datetime | None = None,
) -> str:
    """``SELECT user_id FROM ...``: the ids of the org's Sales members (one row each).

    Built for the columns ``conn``'s org database has; values are inlined as SQL literals, so
    the fragment can be nested in any query on that database.  ``now`` defaults to the
    database's ``now()`` at execution.
    """
    db = conn.conn if isinstance(conn, OrgWarehouse) else conn
    assignment, user = table_columns(db, _ASSIGNMENTS), table_columns(db, _USERS)
    missing = [t for t, cols in ((_ASSIGNMENTS, assignment), (_USERS, user)) if not cols]
    if missing:
        raise ConfigurationError(
            f"{' and '.join(missing)} not synced for this org: Sales members cannot be known",
            hint="keep PermissionSetAssignment and User among the org's objects, and sync it",
        )
    if "PermissionSet.Name" not in assignment:
        raise ConfigurationError(
            "the synced PermissionSetAssignment has no PermissionSet.Name column",
            hint="run a full sync of PermissionSetAssignment so the permission set names are read",
        )
    moment = "now()" if now is None else f"TIMESTAMPTZ {_literal(now.astimezone(UTC).isoformat())}"
    names = sorted({permission_set.strip(), permission_set_api_name(permission_set)})
    name_test = f'a."PermissionSet.Name" IN ({", ".join(_literal(n) for n in names)})'
    if "PermissionSet.Label" in assignment:
        name_test = f'({name_test} OR a."PermissionSet.Label" = {_literal(permission_set.strip())})'
    tests = [name_test]
    if "IsDeleted" in assignment:  # Salesforce has none (assignments are hard-deleted): only an older copy has one
        tests.append('a."IsDeleted" IS NOT true')
    if "IsActive" in assignment:
        tests.append('a."IsActive" IS NOT false')
    if "ExpirationDate" in assignment:
        tests.append(f'(a."ExpirationDate" IS NULL OR a."ExpirationDate" > {moment})')
    if "IsRevoked" in assignment:
        tests.append('a."IsRevoked" IS NOT true')
    user_tests = ['u."IsActive" IS true']
    if "IsDeleted" in user:
        user_tests.append('u."IsDeleted" IS NOT true')
    return (
        'SELECT DISTINCT a."AssigneeId" AS user_id FROM sf."PermissionSetAssignment" a '
        'JOIN sf."User" u ON u."Id" = a."AssigneeId" '
        f"WHERE {' AND '.join(tests + user_tests)}"
    )


def eligible_users(
    conn: OrgWarehouse | duckdb.DuckDBPyConnection,
    permission_set: str = SALES_HOME_PERMISSION_SET,
    now: datetime | None = None,
) -> set[str]:
    """The Salesforce user ids that get Sales Home in this org, at ``now`` (default: the present)."""
    db = conn.conn if isinstance(conn, OrgWarehouse) else conn
    sql = eligible_users_sql(db, permission_set, now or datetime.now(UTC))
    return {r[0] for r in db.execute(sql).fetchall()}
