"""``UserRecordAccess`` in the sandbox's SOQL: one user's access to a set of records, as Salesforce answers it.

Salesforce documents the object (Object Reference, "UserRecordAccess", API 24.0+) as read only and queryable
with ``query()`` only, with these fields — ``RecordId``, ``UserId``, ``HasReadAccess``, ``HasEditAccess``,
``HasDeleteAccess``, ``HasTransferAccess``, ``HasAllAccess``, ``MaxAccessLevel`` (None, Read, Edit, Delete,
Transfer, All) — and these restrictions, which the sandbox enforces:

- the filter names one user and the records: ``WHERE UserId = [single ID] AND RecordId = [single ID]`` or
  ``AND RecordId IN [list of IDs]``; anything else is refused (``MALFORMED_QUERY``);
- up to 200 record ids per query (more: ``MALFORMED_QUERY``);
- ``ORDER BY`` only on fields the query selects; no ``COUNT()``, no ``OFFSET``;
- only records of objects listed on the Sharing Settings page (here: those with an org-wide default,
  :data:`.profiles.ORG_WIDE_DEFAULTS`); records of other objects, or that do not exist, are left out;
- records the *running* user cannot read are left out of the results (the integration user reads everything).

Access is :class:`.access.UserAccess` of the *queried* user, the same rules the REST API, SOQL and the UI API
apply to that user (object permissions, org-wide defaults, the role hierarchy): read and edit through
:meth:`~.access.UserAccess.can_see_record`; delete, transfer and all (sharing) for the record's owner, users
above the owner in the role hierarchy, and Modify All Data.  Error texts are *unconfirmed* (the documented
rules, worded like Salesforce's other ``MALFORMED_QUERY`` messages).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .access import UserAccess
from .errors import ApiError
from .profiles import ORG_WIDE_DEFAULTS
from .soql.errors import SoqlError, no_such_column
from .soql.parser import And, Comparison, InList, Query, StringValue
from .store import OrgStore

OBJECT = "UserRecordAccess"
MAX_RECORDS = 200
FIELDS = ("Id", "RecordId", "UserId", "HasReadAccess", "HasEditAccess", "HasDeleteAccess", "HasTransferAccess",
          "HasAllAccess", "MaxAccessLevel")
_FIELDS = {f.lower(): f for f in FIELDS}
LEVELS = ("None", "Read", "Edit", "Delete", "Transfer", "All")


def is_user_record_access(query: Query) -> bool:
    return query.object_name.lower() == OBJECT.lower()


def _malformed(soql: str, pos: int, detail: str) -> ApiError:
    err = SoqlError.at(soql, pos, "MALFORMED_QUERY", detail)
    return ApiError(400, err.error_code, err.message)


def _filters(soql: str, query: Query) -> tuple[str, list[str]]:
    """(the user id, the record ids) of the WHERE clause, or MALFORMED_QUERY."""
    need = "UserRecordAccess queries must filter on UserId = [single ID] and RecordId = [single ID] or RecordId IN [list of IDs]"
    items = query.where.items if isinstance(query.where, And) else (query.where,) if query.where else ()
    user: str | None = None
    records: list[str] | None = None
    for item in items:
        if isinstance(item, Comparison) and item.op == "=" and isinstance(item.value, StringValue) \
                and len(item.path.parts) == 1:
            name = item.path.parts[0].lower()
            if name == "userid" and user is None:
                user = item.value.value
                continue
            if name == "recordid" and records is None:
                records = [item.value.value]
                continue
        if isinstance(item, InList) and item.op == "IN" and len(item.path.parts) == 1 \
                and item.path.parts[0].lower() == "recordid" and records is None \
                and all(isinstance(v, StringValue) for v in item.values):
            records = [v.value for v in item.values if isinstance(v, StringValue)]
            if len(records) > MAX_RECORDS:
                raise _malformed(soql, item.path.pos, f"UserRecordAccess queries are limited to {MAX_RECORDS} "
                                                      f"RecordIds, got {len(records)}")
            continue
        raise _malformed(soql, query.object_pos, need)
    if user is None or records is None:
        raise _malformed(soql, query.object_pos, need)
    return user, records


def _row(store: OrgStore, target: UserAccess, record_id: str, user_id: str) -> dict[str, Any] | None:
    obj = store.catalog.by_key_prefix(record_id[:3])
    if obj is None or obj.name not in ORG_WIDE_DEFAULTS:
        return None
    found = store.read(f'SELECT "OwnerId" FROM "{obj.name}" WHERE "Id" = ?', [record_id]) \
        if obj.field("OwnerId") is not None else store.read(f'SELECT NULL AS "OwnerId" FROM "{obj.name}" WHERE "Id" = ?',
                                                             [record_id])
    if found.num_rows == 0:
        return None
    owner = found.column("OwnerId")[0].as_py()
    read = target.can_see_record(obj, record_id, "read")
    edit = read and target.can_see_record(obj, record_id, "edit")
    full = edit and (target.modify_all_data or (owner is not None and owner in target.visible_owner_ids))
    delete = full and target.can_delete(obj)
    level = "All" if full and delete else "Delete" if delete else "Edit" if edit else "Read" if read else "None"
    return {"Id": f"{user_id[:15]}{record_id[:15]}"[:18], "RecordId": record_id, "UserId": user_id,
            "HasReadAccess": read, "HasEditAccess": edit, "HasDeleteAccess": delete, "HasTransferAccess": full,
            "HasAllAccess": full, "MaxAccessLevel": level}


def _sort_key(name: str) -> Callable[[dict[str, Any]], Any]:
    def key(row: dict[str, Any]) -> Any:
        return LEVELS.index(row[name]) if name == "MaxAccessLevel" else row[name]

    return key


def query_user_record_access(soql: str, query: Query, store: OrgStore, caller: UserAccess,
                             access: Callable[[str], UserAccess], *, base: str) -> dict[str, Any]:
    """The REST query answer (``totalSize``, ``done``, ``records``) of a UserRecordAccess query."""
    if query.is_count or query.offset is not None:
        raise _malformed(soql, query.object_pos, "UserRecordAccess queries support neither COUNT() nor OFFSET")
    selected: list[str] = []
    for path in query.fields:
        name = _FIELDS.get(path.text.lower())
        if name is None or len(path.parts) != 1:
            err = SoqlError.at(soql, path.pos, "INVALID_FIELD", no_such_column(path.text, OBJECT))
            raise ApiError(400, err.error_code, err.message)
        selected.append(name)
    order: list[tuple[str, bool]] = []
    for item in query.order_by:
        name = _FIELDS.get(item.path.text.lower())
        if name is None or name not in selected:
            raise _malformed(soql, item.path.pos, "UserRecordAccess can be ordered only by fields the query selects")
        order.append((name, item.descending))
    user_id, record_ids = _filters(soql, query)
    try:
        target = access(user_id)
    except LookupError:
        raise ApiError(400, "INVALID_CROSS_REFERENCE_KEY", f"invalid cross reference id: {user_id}") from None
    rows = []
    for record_id in dict.fromkeys(record_ids):
        obj = store.catalog.by_key_prefix(record_id[:3])
        if obj is None or not caller.can_see_record(obj, record_id, "read"):
            continue  # the running user cannot read it: left out
        row = _row(store, target, record_id, user_id)
        if row is not None:
            rows.append(row)
    for name, descending in reversed(order):
        rows.sort(key=_sort_key(name), reverse=descending)
    if query.limit is not None:
        rows = rows[:query.limit]
    records = [{"attributes": {"type": OBJECT, "url": f"{base}/sobjects/{OBJECT}/{r['Id']}"},
                **{n: r[n] for n in selected}} for r in rows]
    return {"totalSize": len(records), "done": True, "records": records}
