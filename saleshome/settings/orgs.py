"""Connected Salesforce orgs: add (after verifying the connection), list, remove.

An org row holds how to reach the org and a *reference* to its credentials — never a
secret.  A workspace connects at most ``Settings.max_orgs`` (20) orgs.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from saleshome.config import Settings
from saleshome.errors import ConfigurationError, ValidationError
from saleshome.salesforce.client import DEFAULT_API_VERSION, OrgConnection, SalesforceClient
from saleshome.salesforce.credentials import AuthMethod, Resolver, resolve
from saleshome.warehouse.control import ControlDB

_ALIAS = re.compile(r"^[a-z][a-z0-9-]{0,39}$")


@dataclass(frozen=True)
class Org:
    alias: str
    org_id: str
    org_name: str | None
    instance_url: str
    login_url: str
    auth_method: AuthMethod
    credential_ref: str
    ca_file: str | None
    api_version: str
    is_sandbox: bool
    objects: tuple[str, ...] | None
    status: str
    last_sync_at: datetime | None
    last_error: str | None

    @property
    def connection(self) -> OrgConnection:
        return OrgConnection(self.alias, self.login_url, self.auth_method, self.credential_ref, self.ca_file,
                             self.api_version)

    @staticmethod
    def from_row(row: Mapping[str, Any]) -> Org:
        return Org(
            alias=row["alias"], org_id=row["org_id"], org_name=row["org_name"], instance_url=row["instance_url"],
            login_url=row["login_url"], auth_method=AuthMethod(row["auth_method"]),
            credential_ref=row["credential_ref"], ca_file=row["ca_file"], api_version=row["api_version"],
            is_sandbox=bool(row["is_sandbox"]), objects=tuple(row["objects"]) if row["objects"] else None,
            status=row["status"], last_sync_at=row["last_sync_at"], last_error=row["last_error"],
        )


def validate_alias(alias: str) -> str:
    if not _ALIAS.match(alias):
        raise ValidationError(
            f"invalid org alias {alias!r}",
            hint="use 1-40 lowercase letters, digits and dashes, starting with a letter (e.g. acme-prod)",
        )
    return alias


def connect(org: Org | OrgConnection, resolvers: Mapping[str, Resolver] | None = None) -> SalesforceClient:
    """A logged-in client for an org (credentials resolved now, kept in memory only)."""
    conn = org.connection if isinstance(org, Org) else org
    client = SalesforceClient(conn, resolve(conn.credential_ref, resolvers))
    client.login()
    return client


def list_orgs(settings: Settings) -> list[Org]:
    control = ControlDB(settings.control_db, lock_timeout=settings.lock_timeout_seconds)
    rows = control.rows("SELECT * FROM orgs WHERE workspace = ? ORDER BY alias", [settings.workspace])
    return [Org.from_row(r) for r in rows]


def get_org(settings: Settings, alias: str) -> Org:
    control = ControlDB(settings.control_db, lock_timeout=settings.lock_timeout_seconds)
    rows = control.rows("SELECT * FROM orgs WHERE alias = ?", [alias])
    if not rows:
        known = ", ".join(o.alias for o in list_orgs(settings)) or "none yet"
        raise ConfigurationError(f"no org called {alias!r} (connected: {known})",
                                 hint="connect it with `saleshome org add`")
    return Org.from_row(rows[0])


def add_org(
    settings: Settings, alias: str, *, login_url: str, auth_method: AuthMethod, credential_ref: str,
    ca_file: str | None = None, api_version: str = DEFAULT_API_VERSION, objects: tuple[str, ...] | None = None,
    resolvers: Mapping[str, Resolver] | None = None,
) -> Org:
    """Verify the connection (login, identity, org id, API version), then save the org."""
    validate_alias(alias)
    if not login_url.startswith("https://"):
        raise ValidationError(f"the login URL must be https://, got {login_url!r}",
                              hint="e.g. https://login.salesforce.com or https://MyDomain.my.salesforce.com")
    control = ControlDB(settings.control_db, lock_timeout=settings.lock_timeout_seconds)
    existing = control.rows("SELECT alias FROM orgs WHERE workspace = ?", [settings.workspace])
    if any(r["alias"] == alias for r in existing):
        raise ValidationError(f"an org called {alias!r} is already connected", hint="pick another alias")
    if len(existing) >= settings.max_orgs:
        raise ValidationError(
            f"this workspace already has {len(existing)} connected orgs; Sales Home allows at most {settings.max_orgs}",
            hint="remove an org with `saleshome org remove ALIAS` before adding another",
        )
    conn = OrgConnection(alias, login_url.rstrip("/"), auth_method, credential_ref, ca_file, api_version)
    client = connect(conn, resolvers)
    versions = client.api.restful("", method="GET")
    if not versions:
        raise ConfigurationError(f"org {alias!r} does not serve REST API v{api_version}")
    identity = client.identity()
    org_rows = list(next(client.query_pages("SELECT Id, Name, IsSandbox FROM Organization", include_deleted=False)))
    if not org_rows or org_rows[0]["Id"] != identity.get("organization_id"):
        raise ConfigurationError(f"org {alias!r}: the identity and the Organization record disagree")
    org = org_rows[0]
    assert client.token is not None
    with control.transaction() as db:
        count = db.execute("SELECT count(*) FROM orgs WHERE workspace = ?", [settings.workspace]).fetchone()
        if count and count[0] >= settings.max_orgs:
            raise ValidationError(f"this workspace reached {settings.max_orgs} connected orgs")
        db.execute(
            "INSERT INTO orgs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'new', NULL, NULL)",
            [alias, settings.workspace, org["Id"], org["Name"], client.token.instance_url, conn.login_url,
             auth_method.value, credential_ref, ca_file, api_version, bool(org["IsSandbox"]),
             list(objects) if objects else None, datetime.now(UTC)],
        )
    return get_org(settings, alias)


def remove_org(settings: Settings, alias: str) -> None:
    """Remove an org, its synced data, its sync state and its Sales Home settings (lists, layouts, won stage)."""
    get_org(settings, alias)
    control = ControlDB(settings.control_db, lock_timeout=settings.lock_timeout_seconds)
    with control.transaction() as db:
        for table in ("object_state", "api_budget", "sync_runs", "org_settings", "default_list_views",
                      "record_layouts", "orgs"):
            db.execute(f"DELETE FROM {table} WHERE alias = ?", [alias])
    path = settings.org_db(alias)
    for candidate in (path, path.with_suffix(".duckdb.wal")):
        candidate.unlink(missing_ok=True)
    shutil.rmtree(settings.home / "staging" / alias, ignore_errors=True)
