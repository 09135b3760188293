"""Describe results and write checks as one user sees them (object permissions, field-level security, sharing).

Salesforce answers describe calls per user: describeGlobal lists the objects the user can access,
with ``createable`` / ``updateable`` / ``deletable`` from their object permissions, and an object's
describe lists only the fields field-level security lets them read, ``updateable`` / ``createable``
false where they may read but not edit (REST API Developer Guide, "Describe Global", "sObject
Describe"; Security Guide, "Field-Level Security").  Writes outside the user's access fail with
``INSUFFICIENT_ACCESS_OR_READONLY`` (no object permission, or a record they may not edit) or
``INVALID_FIELD_FOR_INSERT_UPDATE`` (a field without Edit).  For a user with View All Data and Modify
All Data (the integration user), every answer is the org-wide one.
"""

from __future__ import annotations

from typing import Any

from .access import UserAccess
from .errors import ApiError
from .picklists import MASTER_RECORD_TYPE_ID, OrgPicklists, controller_values, valid_for_bitmap
from .schema import Catalog, ObjectDef
from .store import OrgStore

_NO_ACCESS = (
    "You do not have the level of access necessary to perform the operation you requested. "
    "Please contact the owner of the record or your administrator if access is necessary."
)


def insufficient_access(message: str = _NO_ACCESS, fields: list[str] | None = None) -> ApiError:
    return ApiError(400, "INSUFFICIENT_ACCESS_OR_READONLY", message, fields)


def global_entry(obj: ObjectDef, api_version: str, access: UserAccess) -> dict[str, Any]:
    """``obj`` as describeGlobal lists it for this user."""
    entry = obj.describe_global_entry(api_version)
    entry["createable"] = obj.createable and access.can_create(obj)
    entry["updateable"] = obj.updateable and access.can_edit(obj)
    entry["deletable"] = obj.deletable and access.can_delete(obj)
    entry["undeletable"] = entry["undeletable"] and entry["deletable"]
    return entry


def _dependent(obj: ObjectDef, field: dict[str, Any], picklists: OrgPicklists) -> dict[str, Any]:
    """A dependent picklist's describe: ``dependentPicklist``, ``controllerName`` and each value's ``validFor``."""
    dependency = picklists.dependency(obj.name, field["name"])
    controller = obj.field(dependency.controller) if dependency else None
    if dependency is None or controller is None:
        return field
    order = controller_values(controller)
    values = [{**v, "validFor": valid_for_bitmap(dependency.valid_for.get(v["value"], ()), order)}
              for v in field["picklistValues"]]
    return {**field, "dependentPicklist": True, "controllerName": controller.name, "picklistValues": values}


def record_type_infos(obj: ObjectDef, api_version: str, picklists: OrgPicklists) -> list[dict[str, Any]]:
    """Describe's ``recordTypeInfos``: none for an object without record types, else each and the master."""
    types = picklists.record_types(obj.name)
    if not types:
        return []
    default = picklists.default_record_type(obj.name)
    base = f"/services/data/v{api_version}/sobjects/{obj.name}/describe/layouts"
    entries = [(t.id, t.developer_name, t.name, t.active, default is not None and t.id == default.id, False)
               for t in types]
    entries.append((MASTER_RECORD_TYPE_ID, "Master", "Master", True, default is None, True))
    return [{"active": active, "available": active, "defaultRecordTypeMapping": is_default,
             "developerName": developer_name, "master": master, "name": name, "recordTypeId": rt_id,
             "urls": {"layout": f"{base}/{rt_id}"}}
            for rt_id, developer_name, name, active, is_default, master in entries]


def describe(obj: ObjectDef, api_version: str, catalog: Catalog, access: UserAccess, *,
             picklists: OrgPicklists | None = None) -> dict[str, Any]:
    """``sobjects/{obj}/describe`` for this user: readable fields only, edit flags from field-level security;
    with the org's ``picklists``, its record types and dependent picklists."""
    out = obj.describe(api_version, catalog)
    if picklists is not None:
        out["fields"] = [_dependent(obj, f, picklists) for f in out["fields"]]
        out["recordTypeInfos"] = record_type_infos(obj, api_version, picklists)
    out.update({k: v for k, v in global_entry(obj, api_version, access).items() if k in (
        "createable", "updateable", "deletable", "undeletable")})
    readable = access.readable_fields(obj)
    editable = access.editable_fields(obj)
    fields = []
    for f in out["fields"]:
        if f["name"] not in readable:
            continue
        if f["name"] not in editable:
            f = {**f, "createable": False, "updateable": False}
        fields.append(f)
    out["fields"] = fields
    return out


def check_writable(obj: ObjectDef, access: UserAccess, values: dict[str, Any], *, creating: bool) -> None:
    """Refuse a create/update the user's object permissions or field-level security do not allow."""
    if not (access.can_create(obj) if creating else access.can_edit(obj)):
        raise insufficient_access()
    editable = {n.lower() for n in access.editable_fields(obj)}
    for key in values:
        f = obj.field(key)
        if f is not None and f.name.lower() not in editable and (f.createable if creating else f.updateable):
            raise ApiError(
                400,
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                f"Unable to create/update fields: {f.name}. Please check the security settings of this field "
                "and verify that it is read/write for your profile or permission set.",
                [f.name],
            )


def check_record(store: OrgStore, obj: ObjectDef, record_id: str, access: UserAccess) -> None:
    """Refuse to change an existing, live record the user may not edit (sharing); a missing or deleted
    record is left to the store (NOT_FOUND / ENTITY_IS_DELETED)."""
    editable, params = access.sharing_filter(obj, level="edit")
    live = 'NOT "IsDeleted"' if obj.soft_deletes else "TRUE"
    rows = store.read(
        f'SELECT ({editable}) AS ok FROM "{obj.name}" WHERE "Id" = ? AND {live}', [*params, record_id]
    ).to_pylist()
    if rows and not rows[0]["ok"]:
        # Salesforce's record-level refusal names no field: "fields": [] (as ENTITY_IS_DELETED does)
        raise insufficient_access("insufficient access rights on object id", [])
