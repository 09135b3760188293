"""Connected Salesforce orgs: add (after verifying the connection), list, remove.

An org row holds how to reach the org and a *reference* to its credentials — never a
secret.  A workspace connects at most ``Settings.max_orgs`` (20) orgs, and each Salesforce org
at most once: a second alias for an org id already connected would sync it twice and send every
notification and celebration twice, so :func:`add_org` refuses it, naming the alias that holds
it (org ids compared by :func:`same_org_id`).  With ``replace=True`` the org's connection is
*moved* instead: the alias that holds it takes the connection just verified and, when the alias
differs, is renamed everywhere — every control table with an ``alias`` column (sync state,
settings, notifications, celebrations, the outbox), in one transaction, then the org's DuckDB
file — so nothing is synced, evaluated or celebrated again.

Connecting and removing orgs are settings changes: :func:`add_org_as` and :func:`remove_org_as`
(what ``saleshome org add|remove`` call) refuse unless the workspace's plan includes Sales Home
and the acting Slack user is a sales admin, and record the change in the settings audit (the
credential *reference*, never a secret).  :func:`add_org` and :func:`remove_org` are the same
work without the actor check, for callers that have done it (and for test fixtures and
benchmarks, which connect an org without a Slack workspace).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from saleshome.config import Settings
from saleshome.errors import ConfigurationError, ValidationError
from saleshome.salesforce.client import DEFAULT_API_VERSION, OrgConnection
from saleshome.salesforce.credentials import AuthMethod, Resolver
from saleshome.salesforce.login import connect, served_api_versions
from saleshome.slack.directory import SlackDirectory
from saleshome.warehouse.connections import open_duckdb
from saleshome.warehouse.control import ControlDB, Tx
from saleshome.warehouse.control_tables import METADATA

from .audit import record_change
from .roles import require_sales_admin

ORG_ADD = "org.add"  # audit actions
ORG_REMOVE = "org.remove"
ORG_REPLACE = "org.replace"  # `org add --replace`: the org's connection moved to an alias (or replaced in place)
_ORG_ID_PREFIX = 15  # an 18-character Organization Id is the 15-character id plus a case checksum
# The columns of an org row that `org add` sets from what it verified (the rest is the org's sync state).
_CONNECTION_COLUMNS = ("org_id", "org_name", "instance_url", "login_url", "auth_method", "credential_ref",
                       "ca_file", "api_version", "is_sandbox", "objects")
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

    def audited(self) -> dict[str, Any]:
        """What the settings audit keeps of the org: how it is reached and the credential reference (no secret)."""
        return {
            "org_id": self.org_id, "org_name": self.org_name, "instance_url": self.instance_url,
            "login_url": self.login_url, "auth_method": self.auth_method.value,
            "credential_ref": self.credential_ref, "ca_file": self.ca_file, "api_version": self.api_version,
            "is_sandbox": self.is_sandbox, "objects": list(self.objects) if self.objects else None,
        }


def validate_alias(alias: str) -> str:
    if not _ALIAS.match(alias):
        raise ValidationError(
            f"invalid org alias {alias!r}",
            hint="use 1-40 lowercase letters, digits and dashes, starting with a letter (e.g. acme-prod)",
        )
    return alias


def list_orgs(control: ControlDB, settings: Settings) -> list[Org]:
    rows = control.rows("SELECT * FROM orgs WHERE workspace = ? ORDER BY alias", [settings.workspace])
    return [Org.from_row(r) for r in rows]


def get_org(control: ControlDB, settings: Settings, alias: str) -> Org:
    rows = control.rows("SELECT * FROM orgs WHERE alias = ?", [alias])
    if not rows:
        known = ", ".join(o.alias for o in list_orgs(control, settings)) or "none yet"
        raise ConfigurationError(f"no org called {alias!r} (connected: {known})",
                                 hint="connect it with `saleshome org add`")
    return Org.from_row(rows[0])


def same_org_id(a: str, b: str) -> bool:
    """Whether two Organization Ids name the same org: their 15-character prefixes, compared case-insensitively
    (so the 15- and 18-character forms of one id match)."""
    return a[:_ORG_ID_PREFIX].lower() == b[:_ORG_ID_PREFIX].lower()


def _holder(db: Tx, workspace: str, org_id: str, alias: str) -> str | None:
    """The alias under which the workspace already connects ``org_id``, if any (``alias`` itself first)."""
    rows = db.execute("SELECT alias FROM orgs WHERE workspace = ? AND lower(substr(org_id, 1, ?)) = lower(substr(?, 1, ?)) "
                      "ORDER BY alias = ? DESC, alias",
                      [workspace, _ORG_ID_PREFIX, org_id, _ORG_ID_PREFIX, alias]).fetchall()
    return str(rows[0][0]) if rows else None


def _already_connected(new: Org, holder: str) -> ValidationError:
    name = f" ({new.org_name})" if new.org_name else ""
    return ValidationError(
        f"org {new.org_id}{name} is already connected as {holder!r}; connecting it again as {new.alias!r} would "
        "sync it twice and send every notification and celebration twice; nothing was saved",
        hint=f"keep using {holder!r}, or move it: run the same `saleshome org add {new.alias} ...` with --replace "
             f"({holder!r} becomes {new.alias!r}, with its synced data, settings and history)",
    )


def add_org(
    control: ControlDB, settings: Settings, alias: str, *, login_url: str, auth_method: AuthMethod,
    credential_ref: str, ca_file: str | None = None, api_version: str = DEFAULT_API_VERSION,
    objects: tuple[str, ...] | None = None,
    resolvers: Mapping[str, Resolver] | None = None, actor: str | None = None, replace: bool = False,
) -> Org:
    """Verify the connection (login, identity, org id, API version), then save the org.

    An org id the workspace already connects under another alias is refused (a
    :class:`ValidationError` naming that alias; nothing saved).  With ``replace``, the org's
    connection moves instead (:func:`_move`): the alias that holds it is renamed ``alias`` with its
    synced data, sync state, settings and history, and takes the connection just verified; when
    ``alias`` itself holds the org, its connection is replaced in place.  ``replace`` never
    takes an alias that holds another org.

    Does not check who acts (:func:`add_org_as` does). With ``actor``, the change is recorded in
    the settings audit in the transaction that saves it.
    """
    validate_alias(alias)
    if not login_url.startswith("https://"):
        raise ValidationError(f"the login URL must be https://, got {login_url!r}",
                              hint="e.g. https://login.salesforce.com or https://MyDomain.my.salesforce.com")
    existing = control.rows("SELECT alias FROM orgs WHERE workspace = ?", [settings.workspace])
    if not replace and any(r["alias"] == alias for r in existing):
        raise ValidationError(f"an org called {alias!r} is already connected",
                              hint="pick another alias (or pass --replace to reconnect it)")
    if not replace and len(existing) >= settings.max_orgs:
        raise ValidationError(
            f"this workspace already has {len(existing)} connected orgs; Sales Home allows at most {settings.max_orgs}",
            hint="remove an org with `saleshome org remove ALIAS` before adding another",
        )
    new = _verify(alias, login_url.rstrip("/"), auth_method, credential_ref, ca_file, api_version, objects, resolvers)
    with control.transaction() as db:
        holder = _holder(db, settings.workspace, new.org_id, alias)
        taken = db.execute("SELECT org_id FROM orgs WHERE alias = ?", [alias]).fetchone()
    if taken is not None and not same_org_id(str(taken[0]), new.org_id):
        raise ValidationError(
            f"{alias!r} is connected to org {taken[0]}, not to org {new.org_id} that these credentials reach; "
            "nothing was saved",
            hint=f"pick another alias, or remove {alias!r} first with `saleshome org remove {alias}`",
        )
    if holder is not None:
        if not replace:
            raise _already_connected(new, holder)
        _move(settings, control, get_org(control, settings, holder), new, actor)
        return get_org(control, settings, alias)
    with control.transaction() as db:
        count = db.execute("SELECT count(*) FROM orgs WHERE workspace = ?", [settings.workspace]).fetchone()
        if count and count[0] >= settings.max_orgs:
            raise ValidationError(f"this workspace reached {settings.max_orgs} connected orgs")
        holder = _holder(db, settings.workspace, new.org_id, alias)  # connected meanwhile by another process
        if holder is not None:
            raise _already_connected(new, holder)
        db.execute(
            "INSERT INTO orgs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'new', NULL, NULL)",
            [alias, settings.workspace, *_connection_values(new), datetime.now(UTC)],
        )
        if actor is not None:
            record_change(db, settings.workspace, actor, ORG_ADD, f"orgs.{alias}", None, new.audited())
    return get_org(control, settings, alias)


def _verify(
    alias: str, login_url: str, auth_method: AuthMethod, credential_ref: str, ca_file: str | None, api_version: str,
    objects: tuple[str, ...] | None, resolvers: Mapping[str, Resolver] | None,
) -> Org:
    """Log in and check the identity, the org id and the API version: the org as it would be saved (nothing is)."""
    conn = OrgConnection(alias, login_url, auth_method, credential_ref, ca_file, api_version)
    client = connect(conn, resolvers)
    versions = served_api_versions(client)
    if api_version not in versions:
        served = f"v{versions[0]} to v{versions[-1]}" if versions else "no REST API version"
        raise ConfigurationError(
            f"org {alias!r} does not serve REST API v{api_version} (it serves {served})",
            hint=f"pass --api-version with a version it serves, e.g. --api-version {versions[-1]}" if versions
            else "check the login URL: it should be the org's My Domain or login.salesforce.com",
        )
    identity = client.identity()
    org_rows = list(next(client.query_pages("SELECT Id, Name, IsSandbox FROM Organization", include_deleted=False)))
    record_id = org_rows[0]["Id"] if org_rows else None
    if record_id is None or record_id != identity.get("organization_id"):
        raise ConfigurationError(
            f"org {alias!r}: the identity names org {identity.get('organization_id')!r} but the Organization "
            f"record is {record_id!r}; nothing was saved",
            hint="check that the login URL and the credentials belong to the same org (a My Domain URL of "
                 "another org, or a connected app of a sandbox, gives this)",
        )
    assert client.token is not None
    return Org(alias=alias, org_id=org_rows[0]["Id"], org_name=org_rows[0]["Name"],
               instance_url=client.token.instance_url, login_url=conn.login_url, auth_method=auth_method,
               credential_ref=credential_ref, ca_file=ca_file, api_version=api_version,
               is_sandbox=bool(org_rows[0]["IsSandbox"]), objects=objects or None, status="new", last_sync_at=None,
               last_error=None)


def _connection_values(org: Org) -> list[Any]:
    """The values of :data:`_CONNECTION_COLUMNS` for ``org``."""
    return [org.org_id, org.org_name, org.instance_url, org.login_url, org.auth_method.value, org.credential_ref,
            org.ca_file, org.api_version, org.is_sandbox, list(org.objects) if org.objects else None]


def _move(settings: Settings, control: ControlDB, old: Org, new: Org, actor: str | None) -> None:
    """Give the org held by ``old`` the verified connection ``new``, renaming ``old.alias`` to ``new.alias``.

    The org's DuckDB file is held (a running sync of it finished first, none starts) and
    checkpointed, so it is one file; one control transaction renames the alias in every table
    with an ``alias`` column (:func:`org_tables`: sync state, settings, notifications, events,
    celebrations, the user map, the outbox with its unsent messages) and sets the new connection,
    audited as ``org.replace``; then the file is renamed and the old staging directory dropped.
    (Killed between the commit and the rename, the org keeps its state and syncs its data again.)
    """
    renamed = old.alias != new.alias
    old_path, new_path = settings.org_db(old.alias), settings.org_db(new.alias)
    held = open_duckdb(old_path, timeout=settings.lock_timeout_seconds) if renamed and old_path.exists() else None
    try:
        if held is not None:
            held.execute("CHECKPOINT")  # the write-ahead log folded in: the file alone holds the org's data
        with control.transaction() as db:
            if renamed:
                others = ", ".join(c.name for c in METADATA.tables["orgs"].columns if c.name != "alias")
                db.execute(f"INSERT INTO orgs (alias, {others}) SELECT ?, {others} FROM orgs WHERE alias = ?",
                           [new.alias, old.alias])
                for table in org_tables()[:-1]:  # every table but `orgs` (last)
                    db.execute(f'UPDATE "{table}" SET alias = ? WHERE alias = ?', [new.alias, old.alias])
                db.execute("DELETE FROM orgs WHERE alias = ?", [old.alias])
            assignments = ", ".join(f"{column} = ?" for column in _CONNECTION_COLUMNS)
            db.execute(f"UPDATE orgs SET {assignments} WHERE alias = ?", [*_connection_values(new), new.alias])
            if actor is not None:
                record_change(db, settings.workspace, actor, ORG_REPLACE, f"orgs.{new.alias}",
                              {"alias": old.alias, **old.audited()}, {"alias": new.alias, **new.audited()})
        if held is not None:
            old_path.rename(new_path)
    finally:
        if held is not None:
            held.close()
    if renamed:
        shutil.rmtree(settings.home / "staging" / old.alias, ignore_errors=True)


def org_tables() -> list[str]:
    """The control tables that hold rows of an org (every table with an ``alias`` column), ``orgs`` last."""
    tables = sorted(t.name for t in METADATA.tables.values() if "alias" in t.columns and t.name != "orgs")
    return [*tables, "orgs"]


def remove_org(control: ControlDB, settings: Settings, alias: str, *, actor: str | None = None) -> None:
    """Remove an org, its synced data, its sync state and its Sales Home settings, in one transaction.

    Every control table with an ``alias`` column loses the org's rows (sync runs and object state,
    API budget, Sales Home objects, list views and layouts, notifications with their versions,
    events, evaluations and digest items, celebrations, the user map and the outbox — unsent
    messages of the org are dropped, never delivered after the org is gone), then the org's DuckDB
    file and staging directory are deleted.  The settings audit keeps the removal.

    Does not check who acts (:func:`remove_org_as` does). With ``actor``, the removal is recorded
    in the settings audit in the transaction that deletes the org's rows.
    """
    org = get_org(control, settings, alias)
    with control.transaction() as db:
        if actor is not None:
            record_change(db, settings.workspace, actor, ORG_REMOVE, f"orgs.{alias}", org.audited(), None)
        db.execute("DELETE FROM notification_versions WHERE id IN (SELECT id FROM notifications WHERE alias = ?)",
                   [alias])
        for table in org_tables():
            db.execute(f'DELETE FROM "{table}" WHERE alias = ?', [alias])
    path = settings.org_db(alias)
    for candidate in (path, path.with_suffix(".duckdb.wal")):
        candidate.unlink(missing_ok=True)
    shutil.rmtree(settings.home / "staging" / alias, ignore_errors=True)


def add_org_as(
    control: ControlDB, settings: Settings, directory: SlackDirectory, alias: str, *, actor: str, login_url: str,
    auth_method: AuthMethod, credential_ref: str, ca_file: str | None = None,
    api_version: str = DEFAULT_API_VERSION, objects: tuple[str, ...] | None = None,
    resolvers: Mapping[str, Resolver] | None = None, replace: bool = False,
) -> Org:
    """:func:`add_org` as ``actor``: refused (nothing contacted, nothing saved) unless the workspace's plan
    includes Sales Home and ``actor`` is a sales admin (checked in Slack); audited as ``org.add`` (``org.replace``
    when ``replace`` moved an org already connected)."""
    require_sales_admin(control, directory, settings.workspace, actor)
    return add_org(control, settings, alias, login_url=login_url, auth_method=auth_method,
                   credential_ref=credential_ref, ca_file=ca_file, api_version=api_version, objects=objects,
                   resolvers=resolvers, actor=actor, replace=replace)


def remove_org_as(
    control: ControlDB, settings: Settings, directory: SlackDirectory, alias: str, *, actor: str,
    confirm: Callable[[Org], None] | None = None,
) -> Org:
    """:func:`remove_org` as ``actor`` (a sales admin, on a plan with Sales Home); audited as ``org.remove``.

    ``confirm`` is called with the org once the actor is allowed, before anything is deleted; it
    raises to keep the org (the CLI asks "Remove org …?" there).  Returns the removed org.
    """
    require_sales_admin(control, directory, settings.workspace, actor)
    org = get_org(control, settings, alias)
    if confirm is not None:
        confirm(org)
    remove_org(control, settings, alias, actor=actor)
    return org
