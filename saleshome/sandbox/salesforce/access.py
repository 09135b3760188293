"""What one user of the sandbox org may see and change, computed as Salesforce computes it.

``access_for(store, user_id)`` reads the user, their role, the role hierarchy and their active
permission set assignments from the org and returns a :class:`UserAccess` (a snapshot).  The API
keeps them in an :class:`AccessCache` (``SalesforceApi.access(user_id)``): recomputed after any write
to the org or when an assignment expires, so a revoked assignment or a role change counts at once.

Interface (used by the REST API, SOQL, list views and the UI API):

- ``can_read(obj)``, ``can_create(obj)``, ``can_edit(obj)``, ``can_delete(obj)``: object permissions
  (``obj`` is an object name or an :class:`~.schema.ObjectDef`);
- ``readable_fields(obj)``, ``editable_fields(obj)`` → ``frozenset[str]`` of field names (empty when
  the object is not readable); ``can_read_field(obj, name)``; ``can_read_path(obj, "Account.Owner.Alias")``;
- ``sharing_filter(obj, alias=None, level="read")`` → ``(sql, params)``: a DuckDB boolean expression
  over the object's table (columns qualified by ``alias`` when given) that is true for the records
  the user may read (``level="edit"``: edit); ``("TRUE", [])`` when every record is visible;
- ``can_see_record(obj, record_id, level="read")``: one record, through the same filter;
- ``view_all_data``, ``modify_all_data``, ``profile``, ``permission_sets``, ``role_id``,
  ``visible_owner_ids`` (the user and every user below them in the role hierarchy).

Rules (sources in :mod:`.profiles`): object permissions and field-level security are the union of the
profile and the permission sets; View All Data / an object's View All → every record readable;
otherwise the org-wide default decides: Public Read Only / Read/Write → every record readable
(Read/Write: editable), Private → records owned by the user or by a user whose role is below theirs,
Controlled by Parent → the parent's access (a contact without an account: its owner's side only).
The integration user's profile has View All Data and Modify All Data: it sees everything, as before.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from .profiles import (
    ORG_WIDE_DEFAULTS,
    PARENTS,
    PERMISSION_SETS,
    PROFILES,
    SETUP_OBJECTS,
    ObjectGrant,
    PermissionSource,
    Sharing,
    profile_name,
)
from .schema import FieldDef, ObjectDef
from .store import OrgStore

Level = Literal["read", "edit"]
# Objects without permissions of their own: readable when the parent object is (OpportunityHistory).
INHERITS_OBJECT_ACCESS = {"OpportunityHistory": "Opportunity"}
ALL_ROWS = "TRUE"


def field_is_permissionable(f: FieldDef) -> bool:
    """Whether field-level security applies (not to ``Id``, required fields and system fields)."""
    return f.nillable and f.type != "id"


@dataclass(frozen=True)
class UserAccess:
    """One user's effective access (see the module docstring)."""

    user_id: str
    username: str
    profile: str
    permission_sets: tuple[str, ...]
    role_id: str | None
    visible_owner_ids: tuple[str, ...]
    view_all_data: bool
    modify_all_data: bool
    api_only: bool
    valid_until: datetime | None  # the next expiry of one of the user's permission set assignments
    _store: OrgStore
    _sources: tuple[PermissionSource, ...]

    # ------------------------------------------------------------------ objects
    def _obj(self, obj: str | ObjectDef) -> ObjectDef | None:
        return self._store.catalog.get(obj) if isinstance(obj, str) else obj

    def _grants(self, name: str) -> list[ObjectGrant]:
        return [g for s in self._sources if (g := s.objects.get(name)) is not None]

    def can_read(self, obj: str | ObjectDef) -> bool:
        o = self._obj(obj)
        if o is None:
            return False
        if self.view_all_data or o.name in SETUP_OBJECTS:
            return True
        if o.name in INHERITS_OBJECT_ACCESS:
            return self.can_read(INHERITS_OBJECT_ACCESS[o.name])
        return any(g.read or g.view_all or g.modify_all for g in self._grants(o.name))

    def can_create(self, obj: str | ObjectDef) -> bool:
        o = self._obj(obj)
        return o is not None and (self.modify_all_data or any(g.create for g in self._grants(o.name)))

    def can_edit(self, obj: str | ObjectDef) -> bool:
        o = self._obj(obj)
        return o is not None and (self.modify_all_data or any(g.edit or g.modify_all for g in self._grants(o.name)))

    def can_delete(self, obj: str | ObjectDef) -> bool:
        o = self._obj(obj)
        return o is not None and (self.modify_all_data or any(g.delete or g.modify_all for g in self._grants(o.name)))

    def views_all(self, obj: str | ObjectDef) -> bool:
        """View All Data, or the object's View All (or Modify All): no record-level filter."""
        o = self._obj(obj)
        return o is not None and (
            self.view_all_data or any(g.view_all or g.modify_all for g in self._grants(o.name))
        )

    # ------------------------------------------------------------------ fields
    def readable_fields(self, obj: str | ObjectDef) -> frozenset[str]:
        o = self._obj(obj)
        if o is None or not self.can_read(o):
            return frozenset()
        if self.view_all_data or o.name in SETUP_OBJECTS:
            return frozenset(f.name for f in o.fields)
        if o.name in INHERITS_OBJECT_ACCESS:  # history rows: every field, once the parent is readable
            return frozenset(f.name for f in o.fields)
        return self._covered(o, (g.field_read for g in self._grants(o.name)))

    def editable_fields(self, obj: str | ObjectDef) -> frozenset[str]:
        """Fields with Edit field-level security that the object lets anyone set (describe's updateable)."""
        o = self._obj(obj)
        if o is None or not self.can_edit(o):
            return frozenset()
        settable = frozenset(f.name for f in o.fields if f.updateable or f.createable)
        if self.modify_all_data:
            return settable
        readable = self.readable_fields(o)
        covered = self._covered(o, (g.field_edit for g in self._grants(o.name)))
        return settable & covered & readable

    def can_read_field(self, obj: str | ObjectDef, name: str) -> bool:
        o = self._obj(obj)
        f = o.field(name) if o is not None else None
        return f is not None and f.name in self.readable_fields(o)  # type: ignore[arg-type]

    def can_read_path(self, obj: str | ObjectDef, path: str) -> bool:
        """Whether every step of a field path (``"Account.Owner.Alias"``) is readable from ``obj``."""
        current = self._obj(obj)
        parts = path.split(".")
        for rel in parts[:-1]:
            ref = current.relationship(rel) if current is not None else None
            if current is None or ref is None or not self.can_read_field(current, ref.name):
                return False
            current = self._store.catalog.get(ref.reference_to[0])
            if current is None or not self.can_read(current):
                return False
        return current is not None and self.can_read_field(current, parts[-1])

    @staticmethod
    def _covered(o: ObjectDef, sets: Iterable[Any]) -> frozenset[str]:
        field_sets = list(sets)
        names = {
            f.name for f in o.fields
            if not field_is_permissionable(f) or any(s.covers(f.name) for s in field_sets)
        }
        # A compound field (an address) is readable when all of its components are.
        for f in o.fields:
            parts = [c.name for c in o.fields if c.compound_field_name == f.name]
            if parts and not all(p in names for p in parts):
                names.discard(f.name)
        return frozenset(names)

    # ------------------------------------------------------------------ records
    def sharing_filter(self, obj: str | ObjectDef, alias: str | None = None, level: Level = "read") -> tuple[str, list[Any]]:
        """A SQL condition on ``obj``'s table: true for the records this user may read (or edit)."""
        o = self._obj(obj)
        if o is None:
            return "FALSE", []
        if (self.modify_all_data if level == "edit" else self.views_all(o)):
            return ALL_ROWS, []
        if level == "edit" and any(g.modify_all for g in self._grants(o.name)):
            return ALL_ROWS, []
        owd = ORG_WIDE_DEFAULTS.get(o.name)
        col = f'{alias}."{{}}"' if alias else '"{}"'
        if owd is None or owd == Sharing.READ_WRITE or (owd == Sharing.READ and level == "read"):
            return ALL_ROWS, []
        owners = list(self.visible_owner_ids)
        marks = ", ".join("?" for _ in owners)
        owned = f'{col.format("OwnerId")} IN ({marks})'
        if owd in (Sharing.PRIVATE, Sharing.READ):
            return owned, owners
        child_field, parent_name = PARENTS[o.name]
        parent_sql, parent_params = self.sharing_filter(parent_name, alias=f"p_{parent_name.lower()}", level=level)
        if parent_sql == ALL_ROWS:
            linked = f"{col.format(child_field)} IS NOT NULL"
        else:
            pa = f"p_{parent_name.lower()}"
            linked = f'{col.format(child_field)} IN (SELECT {pa}."Id" FROM "{parent_name}" AS {pa} WHERE {parent_sql})'
        if o.field("OwnerId") is None:  # history rows: only through the parent
            return linked, parent_params
        # A contact without an account is private: its owner (and those above them) only.
        return f"(({linked}) OR {owned})", [*parent_params, *owners]


    def can_see_record(self, obj: str | ObjectDef, record_id: str, level: Level = "read") -> bool:
        """Whether the record exists (deleted or not) and this user may read it (``level="edit"``: edit it)."""
        o = self._obj(obj)
        if o is None or not (self.can_read(o) if level == "read" else self.can_edit(o)):
            return False
        sql, params = self.sharing_filter(o, level=level)
        found = self._store.read(f'SELECT 1 FROM "{o.name}" WHERE "Id" = ? AND ({sql})', [record_id, *params])
        return found.num_rows > 0


def _active_permission_sets(store: OrgStore, user_id: str, now: datetime) -> tuple[tuple[str, ...], datetime | None]:
    """The names of the user's current permission sets, and when the first of them expires (naive UTC)."""
    rows = store.read(
        'SELECT ps."Name" AS name, a."ExpirationDate" AS expires FROM "PermissionSetAssignment" AS a '
        'JOIN "PermissionSet" AS ps ON ps."Id" = a."PermissionSetId" '
        'WHERE a."AssigneeId" = ? AND a."IsActive" IS NOT FALSE AND a."IsRevoked" IS NOT TRUE '
        'AND (a."ExpirationDate" IS NULL OR a."ExpirationDate" > ?) ORDER BY 1',
        [user_id, now.replace(tzinfo=None)],
    ).to_pylist()
    expiries = [r["expires"] for r in rows if r["expires"] is not None]
    return tuple(sorted({str(r["name"]) for r in rows})), min(expiries) if expiries else None


def _owners_below(store: OrgStore, user_id: str, role_id: str | None) -> tuple[str, ...]:
    """The user, and every user whose role is below ``role_id`` in the hierarchy (not the same role)."""
    if role_id is None:
        return (user_id,)
    rows = store.read(
        'WITH RECURSIVE below(id) AS ('
        ' SELECT "Id" FROM "UserRole" WHERE "ParentRoleId" = ?'
        ' UNION SELECT r."Id" FROM "UserRole" AS r JOIN below ON r."ParentRoleId" = below.id)'
        ' SELECT "Id" FROM "User" WHERE "UserRoleId" IN (SELECT id FROM below) ORDER BY "Id"',
        [role_id],
    )
    return (user_id, *(str(i) for i in rows.column("Id").to_pylist() if i != user_id))


def access_for(store: OrgStore, user_id: str) -> UserAccess:
    """The access of ``user_id`` now (raises ``LookupError`` for an unknown user)."""
    rows = store.read(
        'SELECT u."Username" AS username, u."UserRoleId" AS role_id, u."Department" AS department, '
        'r."DeveloperName" AS role_name FROM "User" AS u LEFT JOIN "UserRole" AS r ON r."Id" = u."UserRoleId" '
        'WHERE u."Id" = ?',
        [user_id],
    ).to_pylist()
    if not rows:
        raise LookupError(f"no user {user_id} in the org")
    row = rows[0]
    profile = profile_name(row["username"], row["role_name"], row["department"])
    sets, valid_until = _active_permission_sets(store, user_id, store.clock.now())
    sources = (PROFILES[profile], *(PERMISSION_SETS[s] for s in sets if s in PERMISSION_SETS))
    return UserAccess(
        user_id=user_id,
        username=str(row["username"]),
        profile=profile,
        permission_sets=sets,
        role_id=row["role_id"],
        visible_owner_ids=_owners_below(store, user_id, row["role_id"]),
        view_all_data=any(s.view_all_data for s in sources),
        modify_all_data=any(s.modify_all_data for s in sources),
        api_only=PROFILES[profile].api_only,
        valid_until=valid_until,
        _store=store,
        _sources=sources,
    )


class AccessCache:
    """:func:`access_for`, kept per user until the org changes (``OrgStore.version``: any write, say a
    revoked assignment or a new role) or one of the user's permission set assignments expires.

    One per API (the request path computes access at every call: this keeps it off the hot path).
    """

    def __init__(self, store: OrgStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[int, UserAccess]] = {}

    def get(self, user_id: str) -> UserAccess:
        version = self.store.version
        with self._lock:
            hit = self._cache.get(user_id)
        if hit is not None and hit[0] == version and (
            hit[1].valid_until is None or self.store.clock.now().replace(tzinfo=None) < hit[1].valid_until
        ):
            return hit[1]
        access = access_for(self.store, user_id)
        with self._lock:
            self._cache[user_id] = (version, access)
        return access
