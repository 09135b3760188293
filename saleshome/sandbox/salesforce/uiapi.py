"""The sandbox org's User Interface API: the resources the Slack app reads a member's Salesforce with.

Resources ("User Interface API Developer Guide", API 62.0, "Resources"):

- ``GET ui-api/list-info/{objectApiName}`` — *Get List Views for an Object*
  (``ui_api_resources_lists_object_get.htm``): a *List Info Summary Collection* ``{count, lists[{apiName,
  id, label, url}], currentPageToken, nextPageToken, previousPageToken, pageSize (default 20, 1–2000),
  objectApiName, queryString, recentListsOnly}``; ``q`` filters labels (``*`` wildcards).
- ``GET ui-api/list-info/{objectApiName}/{listViewApiName}`` and ``ui-api/list-info/{listViewId}`` —
  *Get List View Metadata*: a *List Info* ``{displayColumns[{fieldApiName, label, lookupId, sortable}],
  filteredByInfo, orderedByInfo[{fieldApiName, isAscending, label}], listReference{id, listViewApiName,
  objectApiName, type}, label, eTag, ...}``.
- ``GET ui-api/list-records/{objectApiName}/{listViewApiName}`` and ``ui-api/list-records/{listViewId}``
  — *Get List View Records* (``ui_api_resources_list_views_records.htm``): a *List Record Collection*
  ``{count, currentPageToken, nextPageToken, previousPageToken (+ their URLs), pageSize, sortBy, fields,
  optionalFields, listReference, listInfoETag, records[Record]}``; ``pageSize`` 1–2000 (default 50),
  ``pageToken`` an offset of at most 2000, ``sortBy`` a field (``-Field``: descending), ``fields``
  (an inaccessible field is an error) and ``optionalFields`` (left out silently).
- ``GET ui-api/records/{recordId}?fields=|optionalFields=|layoutTypes=Full&modes=View`` — *Get a Record*;
  ``GET ui-api/layout/{objectApiName}?layoutType=&mode=`` — *Get Record Layout Metadata*;
  ``GET ui-api/record-ui/{recordIds}`` — *Record UI* ``{layouts{object{recordTypeId{layoutType{mode}}}},
  objectInfos{object}, records{id}}``.
- ``PATCH ui-api/records/{recordId}`` ``{"fields": {...}}`` — *Update a Record*
  (``ui_api_resources_record_patch.htm``): the Record with the fields sent; validation rules apply;
  ``If-Unmodified-Since`` / ``If-Modified-Since`` refuse a record changed since with 412
  (``conditional.py``); a refused save is an *Error with Output* (:class:`RecordError`).
- ``GET ui-api/object-info/{objectApiName}`` — *Object Info*; ``.../picklist-values/{recordTypeId}``
  (*Picklist Values Collection* ``{picklistFieldValues{field: Picklist Values}}``) and
  ``.../picklist-values/{recordTypeId}/{fieldApiName}`` (*Picklist Values*): the values of that record type
  (``picklists.py``; 404 ``NOT_FOUND`` for a record type the object does not have), a dependent picklist's
  ``controllerValues`` (controlling value -> index) and each value's ``validFor`` (indexes).
- ``GET ui-api/lookups/{objectApiName}/{fieldApiName}[/{targetApiName}]`` — *Get Lookup Field
  Suggestions* (``lookups.py``): the records the user may pick, searched as the user.

A *Record* is ``{apiName, childRelationships, eTag, fields{name: {value, displayValue}}, id,
lastModifiedById, lastModifiedDate, recordTypeId, recordTypeInfo, systemModstamp, weakEtag}``
(``recordTypeId`` the master ``012000000000000AAA`` and ``recordTypeInfo`` null on an object without
record types; else the record's type, master when it has none, and its *Record Type Info*); a
relationship (``Account.Name``) is the field ``Account`` whose value is the parent's nested Record (its
``Id``, its name field and the requested fields) and whose displayValue is the parent's name; the lookup
(``AccountId``) comes with it.  A list page reads the page's ids from the queried object alone (sorted,
filtered, shared), then those records' fields.

Invariants: every answer is made as the session's user (``access_for``): a field the user cannot read
is absent from every answer (object info, layouts, records, list columns), never null; a record the
user cannot see is never returned (``INSUFFICIENT_ACCESS`` when asked for by id); ``updateable`` and
``editableForUpdate`` say what the user may edit.  Errors are the UI API's ``[{"errorCode",
"message"}]``: ``NOT_FOUND`` (404) for an unknown list view or record, ``ENTITY_IS_DELETED`` (404),
``INSUFFICIENT_ACCESS`` (403), ``INVALID_TYPE`` (400) for an object the UI API does not support,
``INVALID_FIELD`` (400) for an unknown or hidden field named in ``fields``/``sortBy``,
``ILLEGAL_QUERY_PARAMETER_VALUE`` (400) for a bad page size, token or layout type.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import quote

from . import conditional, describes, listviews, lookups, picklists, uiapi_shapes
from .access import UserAccess
from .errors import ApiError
from .ids import is_valid_id, to_18
from .picklists import MASTER_RECORD_TYPE_ID, RecordType
from .schema import FieldDef, ObjectDef
from .soql import CompiledQuery, SoqlError, compile_query
from .store import OrgStore
from .uiapi_shapes import UserLocale

LIST_PAGE_SIZE = 50
LIST_INFO_PAGE_SIZE = 20
MAX_PAGE_SIZE = 2000
MAX_OFFSET = 2000
MAX_RECORD_IDS = 200  # record-ui takes a comma-separated list of ids
_SYSTEM = ("Id", "LastModifiedById", "LastModifiedDate", "SystemModstamp", "CreatedDate")


class Request(Protocol):
    """What a resource reads of a request: its query parameters, headers and JSON body (``api.Request``)."""

    query: dict[str, str]
    headers: dict[str, str]  # lower-case names

    def json(self) -> Any: ...


# A resource: (request, path match, session user id) -> the JSON payload of a 200 answer.
Handler = Callable[[Request, "re.Match[str]", str], Any]


class RecordError(ApiError):
    """A refused record save as the UI API answers it: an *Error with Output* (``enhancedErrorType:
    RecordError``) whose ``output`` is *Record Exceptions* ``{errors, fieldErrors{field: [Record Exception
    Error]}}`` (User Interface API Developer Guide, "Error with Output", "Record Exceptions", "Record
    Exception Error": ``constituentField, duplicateRecordError, errorCode, field, fieldLabel, message``).
    An error about fields goes under ``fieldErrors`` of each; one about the record under ``errors``."""

    def __init__(self, cause: ApiError, obj: ObjectDef) -> None:
        super().__init__(cause.status, cause.error_code, cause.message, cause.fields)
        self.obj = obj

    def _entry(self, name: str | None) -> dict[str, Any]:
        f = self.obj.field(name) if name else None
        return {"constituentField": None, "duplicateRecordError": None, "errorCode": self.error_code,
                "field": f.name if f else None, "fieldLabel": f.label if f else None, "message": self.message}

    def body(self) -> list[dict[str, Any]]:
        names = self.fields or []
        output = {"errors": [] if names else [self._entry(None)], "fieldErrors": {n: [self._entry(n)] for n in names}}
        return [{"errorCode": self.error_code, "message": self.message, "enhancedErrorType": "RecordError",
                 "output": output}]


def _bad_param(message: str) -> ApiError:
    return ApiError(400, "ILLEGAL_QUERY_PARAMETER_VALUE", message)


def _no_access_record() -> ApiError:
    return ApiError(403, "INSUFFICIENT_ACCESS",
                    "You don't have access to this record. Ask your administrator for help or to request access.")


def _list_not_found() -> ApiError:
    return ApiError(404, "NOT_FOUND", "The requested resource does not exist")


def _int_param(req: Request, name: str, default: int, low: int, high: int) -> int:
    raw = req.query.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise _bad_param(f"{name} must be an integer between {low} and {high}: {raw}")
    return int(raw)


def _names(req: Request, key: str) -> list[str]:
    return [n.strip() for n in req.query.get(key, "").split(",") if n.strip()]


@dataclass
class _Select:
    """The SOQL select list of a record read and what each item is for."""

    paths: list[str] = field(default_factory=list)
    shown: list[bool] = field(default_factory=list)
    _seen: set[str] = field(default_factory=set)

    def add(self, path: str, *, shown: bool) -> None:
        key = path.lower()
        if key in self._seen:
            if shown:
                self.shown[self.paths.index(next(p for p in self.paths if p.lower() == key))] = True
            return
        self._seen.add(key)
        self.paths.append(path)
        self.shown.append(shown)


class UiApi:
    """The UI API resources of one org, answered for the session's user."""

    def __init__(self, store: OrgStore, instance_url: str, access_for: Callable[[str], UserAccess]) -> None:
        self.store = store
        self.instance_url = instance_url
        self._access_for = access_for

    # ------------------------------------------------------------------------------ routing
    def routes(self, v: str) -> list[tuple[str, re.Pattern[str], Handler]]:
        ui = rf"{v}/ui-api"
        return [
            ("GET", re.compile(rf"{ui}/list-info/(?P<obj>\w+)/?"), self.list_infos),
            ("GET", re.compile(rf"{ui}/list-info/(?P<obj>\w+)/(?P<lv>\w+)/?"), self.list_info),
            ("GET", re.compile(rf"{ui}/list-records/(?P<obj>\w+)/?"), self.list_records),
            ("GET", re.compile(rf"{ui}/list-records/(?P<obj>\w+)/(?P<lv>\w+)/?"), self.list_records),
            ("GET", re.compile(rf"{ui}/object-info/(?P<obj>\w+)/?"), self.object_info),
            ("GET", re.compile(rf"{ui}/object-info/(?P<obj>\w+)/picklist-values/(?P<rt>\w+)/?"), self.picklists),
            ("GET", re.compile(rf"{ui}/object-info/(?P<obj>\w+)/picklist-values/(?P<rt>\w+)/(?P<field>\w+)/?"),
             self.picklist),
            ("GET", re.compile(rf"{ui}/layout/(?P<obj>\w+)/?"), self.layout),
            ("GET", re.compile(rf"{ui}/records/(?P<id>\w+)/?"), self.record),
            ("PATCH", re.compile(rf"{ui}/records/(?P<id>\w+)/?"), self.update_record),
            ("GET", re.compile(rf"{ui}/record-ui/(?P<ids>[\w,]+)/?"), self.record_ui),
            ("GET", re.compile(rf"{ui}/lookups/(?P<obj>\w+)/(?P<field>\w+)/?"), self.lookup),
            ("GET", re.compile(rf"{ui}/lookups/(?P<obj>\w+)/(?P<field>\w+)/(?P<target>\w+)/?"), self.lookup),
        ]

    # ------------------------------------------------------------------------------ context
    def access(self, user: str) -> UserAccess:
        """The session user's access now (``access.access_for``: profile, permission sets, sharing)."""
        return self._access_for(user)

    def locale(self, user: str) -> UserLocale:
        row = self.store.get_row("User", user) or {}
        return UserLocale(locale=row.get("LocaleSidKey") or "en_US",
                          time_zone=row.get("TimeZoneSidKey") or "America/Los_Angeles")

    def supported_object(self, name: str, access: UserAccess) -> ObjectDef:
        obj = self.store.catalog.get(name)
        if obj is None or not uiapi_shapes.supported(obj):
            raise ApiError(400, "INVALID_TYPE", f"Object {name} is not supported in UI API")
        if not access.can_read(obj.name):
            raise ApiError(403, "INSUFFICIENT_ACCESS", f"You don't have access to the {obj.label} object.")
        return obj

    # ------------------------------------------------------------------------------ list views
    def _view_rows(self, obj: ObjectDef) -> list[dict[str, Any]]:
        table = self.store.read(
            'SELECT "Id", "Name", "DeveloperName" FROM "ListView" WHERE "SobjectType" = ? '
            'ORDER BY "Name", "Id"', [obj.name],
        )
        return [r for r in table.to_pylist() if listviews.find(obj.name, r["DeveloperName"]) is not None]

    def _find_view(self, m: re.Match[str], access: UserAccess) -> tuple[ObjectDef, str, listviews.ListViewDef]:
        """The list view of ``{obj}/{listViewApiName}`` or of ``{listViewId}`` (in ``obj``)."""
        lv = m.groupdict().get("lv")
        if lv is None:  # list-records/{listViewId}, list-info/{listViewId}
            raw = m["obj"]
            if not (is_valid_id(raw) and raw.startswith("00B")):
                raise _list_not_found()
            rows = self.store.read(
                'SELECT "SobjectType", "DeveloperName", "Id" FROM "ListView" WHERE "Id" = ?',
                [to_18(raw)],
            ).to_pylist()
            if not rows:
                raise _list_not_found()
            obj = self.supported_object(rows[0]["SobjectType"], access)
            view = listviews.find(obj.name, rows[0]["DeveloperName"])
            if view is None:
                raise _list_not_found()
            return obj, rows[0]["Id"], view
        obj = self.supported_object(m["obj"], access)
        found = next((r for r in self._view_rows(obj) if r["DeveloperName"] == lv), None)
        view = listviews.find(obj.name, lv)
        if found is None or view is None:
            raise _list_not_found()
        return obj, found["Id"], view

    def list_infos(self, req: Request, m: re.Match[str], user: str) -> Any:
        access = self.access(user)
        obj_name = m["obj"]
        if is_valid_id(obj_name) and obj_name.startswith("00B"):
            return self.list_info(req, m, user)
        obj = self.supported_object(obj_name, access)
        size = _int_param(req, "pageSize", LIST_INFO_PAGE_SIZE, 1, MAX_PAGE_SIZE)
        offset = _int_param(req, "pageToken", 0, 0, MAX_OFFSET)
        query = req.query.get("q") or None
        rows = self._view_rows(obj)
        if query:
            pattern = re.compile(".*".join(re.escape(p) for p in query.split("*")), re.IGNORECASE)
            rows = [r for r in rows if pattern.search(r["Name"])]
        page = rows[offset : offset + size]
        base = f"/services/data/v{m['v']}/ui-api/list-info/{obj.name}"

        def url(token: int) -> str:
            return f"{base}?pageSize={size}&pageToken={token}" + (f"&q={quote(query)}" if query else "")

        more = offset + size < len(rows)
        return {
            "count": len(page),
            "currentPageToken": str(offset),
            "currentPageUrl": url(offset),
            "lists": [{"apiName": r["DeveloperName"], "id": r["Id"], "label": r["Name"],
                       "url": f"{base}/{r['DeveloperName']}"} for r in page],
            "nextPageToken": str(offset + size) if more else None,
            "nextPageUrl": url(offset + size) if more else None,
            "objectApiName": obj.name,
            "pageSize": size,
            "previousPageToken": str(max(0, offset - size)) if offset else None,
            "previousPageUrl": url(max(0, offset - size)) if offset else None,
            "queryString": query,
            "recentListsOnly": req.query.get("recentListsOnly", "false").lower() == "true",
        }

    def _columns(self, obj: ObjectDef, view: listviews.ListViewDef, access: UserAccess) -> list[tuple[str, FieldDef]]:
        """The view's columns the user may read (a hidden field's column is left out)."""
        out = []
        for path in view.columns:
            resolved = self._resolve(obj, path.split("."), access)
            if resolved is not None:
                out.append((path, resolved))
        return out

    def _list_info_body(self, obj: ObjectDef, view_id: str, view: listviews.ListViewDef, access: UserAccess,
                        ) -> dict[str, Any]:
        columns = self._columns(obj, view, access)
        display = []
        for path, f in columns:
            parts = path.split(".")
            lookup = "Id" if f.name_field and len(parts) == 1 else (".".join([*parts[:-1], "Id"]) if len(parts) > 1
                                                                   else None)
            display.append({"fieldApiName": path, "label": _column_label(obj, path, f), "lookupId": lookup,
                            "sortable": f.sortable})
        order_field = self._resolve(obj, view.order_by.split("."), access)
        ordered = [] if order_field is None else [
            {"fieldApiName": view.order_by, "isAscending": not view.descending, "label": order_field.label}
        ]
        body: dict[str, Any] = {
            "cloneable": True,
            "createable": True,
            "deletable": False,
            "displayColumns": display,
            "filterLogicString": None,
            "filteredByInfo": _filters(obj, view, access),
            "label": view.label,
            "listReference": {"id": view_id, "listViewApiName": view.developer_name, "objectApiName": obj.name,
                              "type": "listView"},
            "listShares": [],
            "objectApiNames": [obj.name],
            "orderedByInfo": ordered,
            "searchable": True,
            "updateable": False,
            "userPreferences": {"columnWidths": {p: -1 for p, _ in columns}, "columnWrap": {p: False for p, _ in columns}},
            "visibility": "Public",
            "visibilityEditable": False,
        }
        body["eTag"] = uiapi_shapes.etag(body)
        return body

    def list_info(self, req: Request, m: re.Match[str], user: str) -> Any:
        access = self.access(user)
        obj, view_id, view = self._find_view(m, access)
        return self._list_info_body(obj, view_id, view, access)

    def list_records(self, req: Request, m: re.Match[str], user: str) -> Any:
        access = self.access(user)
        obj, view_id, view = self._find_view(m, access)
        size = _int_param(req, "pageSize", LIST_PAGE_SIZE, 1, MAX_PAGE_SIZE)
        offset = _int_param(req, "pageToken", 0, 0, MAX_OFFSET)
        sort_text = req.query.get("sortBy", "").strip()
        order_by, descending = view.order_by, view.descending
        if sort_text:
            descending = sort_text.startswith("-")
            order_by = sort_text.removeprefix("-").removeprefix(f"{obj.name}.")
            sorted_field = self._resolve(obj, order_by.split("."), access)
            if sorted_field is None or not sorted_field.sortable:
                raise ApiError(400, "INVALID_FIELD", f"Cannot sort {obj.name} by {order_by}: no such sortable field")
        fields, optional = _names(req, "fields"), _names(req, "optionalFields")
        select = _Select()
        for path, _ in self._columns(obj, view, access):
            self._add_path(select, obj, path, access)
        for name in fields:
            if not self._add_path(select, obj, name, access):
                raise _invalid_field(obj, name)
        for name in optional:
            self._add_path(select, obj, name, access)
        where, mine = view.where, view.mine
        conditions = [c for c in (where, f"OwnerId = '{user}'" if mine else None) if c]
        direction = "DESC NULLS LAST" if descending else "ASC NULLS FIRST"
        records, more = self._read(
            obj, select, access, self.locale(user), v=m["v"], where=" AND ".join(conditions),
            order=f"{order_by} {direction}", limit=size, offset=offset,
        )
        base = f"/services/data/v{m['v']}/ui-api/list-records/{obj.name}/{view.developer_name}"

        def url(token: int) -> str:
            return f"{base}?pageSize={size}&pageToken={token}" + (f"&sortBy={quote(sort_text)}" if sort_text else "")

        body = {
            "count": len(records),
            "currentPageToken": str(offset),
            "currentPageUrl": url(offset),
            "fields": fields,
            "listInfoETag": self._list_info_body(obj, view_id, view, access)["eTag"],
            "listReference": {"id": view_id, "listViewApiName": view.developer_name, "objectApiName": obj.name,
                              "type": "listView"},
            "nextPageToken": str(offset + size) if more else None,
            "nextPageUrl": url(offset + size) if more else None,
            "optionalFields": optional,
            "pageSize": size,
            "previousPageToken": str(max(0, offset - size)) if offset else None,
            "previousPageUrl": url(max(0, offset - size)) if offset else None,
            "records": records,
            "sortBy": ("-" if descending else "") + order_by,
        }
        return body

    # ------------------------------------------------------------------------------ fields and records
    def _resolve(self, obj: ObjectDef, parts: list[str], access: UserAccess) -> FieldDef | None:
        """The field at ``parts`` (``["Account", "Name"]``) if the user may read every step, else None."""
        if len(parts) > 1 and parts[0].lower() == obj.name.lower() and obj.relationship(parts[0]) is None:
            parts = parts[1:]
        current = obj
        for rel in parts[:-1]:
            ref = current.relationship(rel)
            if ref is None or ref.name not in access.readable_fields(current.name):
                return None
            target = self.store.catalog.get(ref.reference_to[0]) if ref.reference_to else None
            if target is None or not access.can_read(target.name):
                return None
            current = target
        found = current.field(parts[-1])
        if found is None or found.name not in access.readable_fields(current.name):
            return None
        if found.type in ("address", "location", "base64"):
            return None  # compound fields are read through their components
        return found

    def _add_path(self, select: _Select, obj: ObjectDef, path: str, access: UserAccess) -> bool:
        """Add a field path (and, for a relationship, its lookup and the parent's Id and name) if readable."""
        parts = path.split(".")
        if len(parts) > 1 and parts[0].lower() == obj.name.lower() and obj.relationship(parts[0]) is None:
            parts = parts[1:]
        if self._resolve(obj, parts, access) is None:
            return False
        current = obj
        prefix: list[str] = []
        for rel in parts[:-1]:
            ref = current.relationship(rel)
            assert ref is not None and ref.relationship_name is not None
            select.add(".".join([*prefix, ref.name]), shown=True)
            prefix.append(ref.relationship_name)
            target = self.store.catalog.get(ref.reference_to[0])
            assert target is not None
            select.add(".".join([*prefix, "Id"]), shown=True)
            name = target.name_field
            if name is not None and name.name in access.readable_fields(target.name):
                select.add(".".join([*prefix, name.name]), shown=True)
            current = target
        select.add(".".join(parts), shown=True)
        field_def = current.field(parts[-1])
        if field_def is not None and field_def.type == "reference" and field_def.relationship_name:
            target = self.store.catalog.get(field_def.reference_to[0])
            name = target.name_field if target else None
            if target is not None and name is not None and access.can_read(target.name) \
                    and name.name in access.readable_fields(target.name):
                rel_prefix = ".".join([*parts[:-1], field_def.relationship_name])
                select.add(f"{rel_prefix}.Id", shown=True)
                select.add(f"{rel_prefix}.{name.name}", shown=True)
        return True

    def _compile(self, soql: str, access: UserAccess) -> CompiledQuery:
        try:
            return compile_query(soql, self.store.catalog, now=self.store.clock.now(), include_deleted=False,
                                 access=access)
        except SoqlError as exc:
            raise ApiError(400, exc.error_code, exc.message) from None

    def _read(
        self, obj: ObjectDef, select: _Select, access: UserAccess, locale: UserLocale, *, v: str, where: str = "",
        order: str | None = None, limit: int | None = None, offset: int = 0,
    ) -> tuple[list[dict[str, Any]], bool]:
        """Records of ``obj`` the user may see, as UI API Records, and whether more follow the page."""
        readable = access.readable_fields(obj.name)
        for name in _SYSTEM:
            if obj.field(name) is not None:
                select.add(name, shown=name == "Id")
        if obj.field("CurrencyIsoCode") is not None and "CurrencyIsoCode" in readable:
            select.add("CurrencyIsoCode", shown=False)
        if obj.field("RecordTypeId") is not None and "RecordTypeId" in readable:  # recordTypeId / recordTypeInfo
            select.add("RecordTypeId", shown=False)
        more = False
        if limit is not None:
            # The page's ids first (the queried object alone: no join to sort through), then their fields.
            page_soql = f"SELECT Id FROM {obj.name}" + (f" WHERE {where}" if where else "")
            page_soql += (f" ORDER BY {order}" if order else "") + f" LIMIT {limit + 1}" + (f" OFFSET {offset}" if offset else "")
            page_query = self._compile(page_soql, access)
            ids = [str(i) for i in self.store.read(page_query.sql, page_query.params).column(page_query.id_column).to_pylist()]
            more = len(ids) > limit
            ids = ids[:limit]
            if not ids:
                return [], False
            where = "Id IN (" + ", ".join(f"'{i}'" for i in ids) + ")"  # ids the org gave: safe to inline
        soql = f"SELECT {', '.join(select.paths)} FROM {obj.name}" + (f" WHERE {where}" if where else "")
        query = self._compile(soql, access)
        rows = self.store.read(query.sql, query.params).to_pylist()
        if limit is not None:
            position = {record_id: index for index, record_id in enumerate(ids)}
            rows.sort(key=lambda row: position[row[query.id_column]])
        return [self._record(query, row, select, locale) for row in rows], more

    def _record(self, query: CompiledQuery, row: dict[str, Any], select: _Select, locale: UserLocale) -> dict[str, Any]:
        root = _new_record(query.object.name, row[query.id_column])
        names: dict[int, str | None] = {}
        system: dict[str, Any] = {}
        currency = None
        for item in query.items:
            if len(item.path) == 1 and item.path[0] == "CurrencyIsoCode":
                currency = row[item.column]
        for item, shown in zip(query.items, select.shown, strict=True):
            node: dict[str, Any] | None = root
            for depth, rel in enumerate(item.path[:-1]):
                assert node is not None
                parent_id = row[item.parent_id_columns[depth]]
                entry = node["fields"].get(rel)
                if parent_id is None:
                    node["fields"][rel] = {"displayValue": None, "value": None}
                    node = None
                    break
                if entry is None or entry["value"] is None:
                    entry = {"displayValue": None, "value": _new_record(item.objects[depth + 1].name, parent_id)}
                    node["fields"][rel] = entry
                node = entry["value"]
            if node is None:
                continue
            value = row[item.column]
            if item.field.name_field and node is not root:
                names[id(node)] = None if value is None else str(value)
            if len(item.path) == 1 and item.path[0] in (*_SYSTEM, "RecordTypeId"):
                system[item.path[0]] = uiapi_shapes.raw_value(item.field, value)
            if shown:
                node["fields"][item.path[-1]] = uiapi_shapes.field_value(item.field, value, locale, currency)
        _name_relationships(root, names)
        root["lastModifiedById"] = system.get("LastModifiedById")
        root["lastModifiedDate"] = system.get("LastModifiedDate")
        root["systemModstamp"] = system.get("SystemModstamp")
        root["recordTypeId"], root["recordTypeInfo"] = self._record_type_of(query.object, system.get("RecordTypeId"))
        stamp = row.get(next((i.column for i in query.items if i.path == ("SystemModstamp",)), ""))
        root["weakEtag"] = int(stamp.timestamp() * 1000) if isinstance(stamp, datetime) else 0
        root["eTag"] = uiapi_shapes.etag(root["fields"])
        return root

    def _record_by_id(self, raw_id: str, access: UserAccess) -> tuple[ObjectDef, str]:
        """The object and 18-character id of a record the user may see (the UI API's errors otherwise)."""
        if not is_valid_id(raw_id):
            raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
        record_id = to_18(raw_id)
        obj = self.store.catalog.by_key_prefix(record_id[:3])
        if obj is None:
            raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
        obj = self.supported_object(obj.name, access)
        row = self.store.get_row(obj.name, record_id)
        if row is None:
            raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
        if row.get("IsDeleted"):
            raise ApiError(404, "ENTITY_IS_DELETED", "entity is deleted")
        if not access.can_see_record(obj, record_id):
            raise _no_access_record()
        return obj, record_id

    def _add_layout(self, select: _Select, obj: ObjectDef, layout_type: str, access: UserAccess) -> None:
        """The fields of the object's layout that the user may read."""
        for _, fields in uiapi_shapes.layout_fields(obj, layout_type):
            for f in fields:
                self._add_path(select, obj, f.name, access)

    def _one_record(self, obj: ObjectDef, record_id: str, select: _Select, access: UserAccess, user: str, v: str,
                    ) -> dict[str, Any]:
        records, _ = self._read(obj, select, access, self.locale(user), v=v, where=f"Id = '{record_id}'")
        if not records:  # the sharing rules hide it (or it went away between two reads)
            raise _no_access_record()
        return records[0]

    def record(self, req: Request, m: re.Match[str], user: str) -> Any:
        access = self.access(user)
        obj, record_id = self._record_by_id(m["id"], access)
        fields, optional = _names(req, "fields"), _names(req, "optionalFields")
        layout_types = _names(req, "layoutTypes")
        modes = _names(req, "modes") or ["View"]
        if not (fields or optional or layout_types):
            raise _bad_param("Must specify either fields or layoutTypes")
        _check_layout_params(layout_types, modes)
        select = _Select()
        for name in fields:
            if not self._add_path(select, obj, name, access):
                raise _invalid_field(obj, name)
        for name in optional:
            self._add_path(select, obj, name, access)
        for layout_type in layout_types:
            self._add_layout(select, obj, layout_type, access)
        return self._one_record(obj, record_id, select, access, user, m["v"])

    def update_record(self, req: Request, m: re.Match[str], user: str) -> Any:
        """``PATCH ui-api/records/{recordId}`` ``{"fields": {...}}``: the updated Record, with the fields sent.

        Conditional: ``If-Unmodified-Since`` (or ``If-Modified-Since``, which the guide's "Update a Record"
        names for "the record hasn't changed since the user started editing it") refuses a record modified
        since with 412.  A refused save is an *Error with Output* whose output is *Record Exceptions*.
        """
        access = self.access(user)
        obj, record_id = self._record_by_id(m["id"], access)
        body = req.json()
        values = body.get("fields") if isinstance(body, dict) else None
        if not isinstance(values, dict) or (isinstance(body, dict) and body.get("apiName") not in (None, obj.name)):
            raise ApiError(400, "INVALID_INPUT", "The request body must be {\"fields\": {field: value}} for this record")
        try:
            precondition = conditional.update_precondition(
                obj, req.headers, since_headers=("If-Unmodified-Since", "If-Modified-Since"), etags=False)
            describes.check_writable(obj, access, values, creating=False)
            describes.check_record(self.store, obj, record_id, access)
            self.store.update(obj.name, record_id, values, user_id=user, check_access=True,
                              precondition=precondition)
        except ApiError as exc:
            raise RecordError(exc, obj) from None
        select = _Select()
        for name in values:
            self._add_path(select, obj, name, access)
        return self._one_record(obj, record_id, select, access, user, m["v"])

    def record_ui(self, req: Request, m: re.Match[str], user: str) -> Any:
        access = self.access(user)
        raw_ids = [i for i in m["ids"].split(",") if i]
        if not raw_ids or len(raw_ids) > MAX_RECORD_IDS:
            raise _bad_param(f"recordIds must name 1 to {MAX_RECORD_IDS} records")
        layout_types = _names(req, "layoutTypes") or ["Full"]
        modes = _names(req, "modes") or ["View"]
        _check_layout_params(layout_types, modes)
        optional = _names(req, "optionalFields")
        records: dict[str, Any] = {}
        layouts: dict[str, Any] = {}
        infos: dict[str, Any] = {}
        for raw in raw_ids:
            obj, record_id = self._record_by_id(raw, access)
            select = _Select()
            for layout_type in layout_types:
                self._add_layout(select, obj, layout_type, access)
            for name in optional:
                self._add_path(select, obj, name, access)
            records[record_id] = self._one_record(obj, record_id, select, access, user, m["v"])
            type_id = records[record_id]["recordTypeId"]
            per_type = layouts.setdefault(obj.name, {}).setdefault(type_id, {})
            for layout_type in layout_types:
                per_type[layout_type] = {
                    mode: self._layout_body(obj, layout_type, mode, access, type_id) for mode in modes
                }
            infos[obj.name] = self._object_info_body(obj, access)
        return {"layoutUserStates": {}, "layouts": layouts, "objectInfos": infos, "records": records}

    # ------------------------------------------------------------------------------ lookups
    def lookup(self, req: Request, m: re.Match[str], user: str) -> Any:
        """``lookups/{object}/{field}[/{target}]``: suggestions for a lookup field, as the user (``lookups.py``)."""
        access = self.access(user)
        obj = self.supported_object(m["obj"], access)
        f = lookups.lookup_field(obj, m["field"], access)
        wanted = m.groupdict().get("target")
        names = list(f.reference_to)
        if wanted is not None:
            match = next((n for n in names if n.lower() == wanted.lower()), None)
            if match is None:
                raise _bad_param(f"{wanted} is not a target of {obj.name}.{f.name}: {', '.join(names)}")
            names = [match]
        base = f"/services/data/v{m['v']}/ui-api/lookups/{obj.name}/{f.name}"
        results: dict[str, Any] = {}
        for name in names:
            target = self.store.catalog.get(name)
            if target is None or target.name_field is None:
                continue
            if not access.can_read(target.name):
                if wanted is not None:
                    raise ApiError(403, "INSUFFICIENT_ACCESS", f"You don't have access to the {target.label} object.")
                continue
            results[target.name] = lookups.suggestions(self.store, target, access, self.locale(user), req.query,
                                                       f"{base}/{target.name}" if wanted else base)
        if wanted is not None:
            return results.get(names[0], {"count": 0, "records": []})
        return {"count": sum(r["count"] for r in results.values()), "lookupResults": results}

    # ------------------------------------------------------------------------------ record types, picklists
    def _record_type_of(self, obj: ObjectDef, raw: str | None) -> tuple[str, dict[str, Any] | None]:
        """A record's ``recordTypeId`` and ``recordTypeInfo`` (null on an object without record types)."""
        types = self.store.picklists.record_types(obj.name)
        if not types:
            return MASTER_RECORD_TYPE_ID, None
        found = self.store.picklists.record_type(obj.name, raw)
        default = self.store.picklists.default_record_type(obj.name)
        info = uiapi_shapes.record_type_info(found, default=(default.id if default else MASTER_RECORD_TYPE_ID)
                                             == (found.id if found else MASTER_RECORD_TYPE_ID))
        return (found.id if found else MASTER_RECORD_TYPE_ID), info

    def _record_type(self, obj: ObjectDef, raw: str) -> RecordType | None:
        """The record type named in a path: None for the master one; 404 for one the object does not have."""
        if raw in (MASTER_RECORD_TYPE_ID, MASTER_RECORD_TYPE_ID[:15]):
            return None
        found = self.store.picklists.record_type(obj.name, raw)
        if found is None:
            raise ApiError(404, "NOT_FOUND", f"Record type {raw} does not exist for {obj.name}")
        return found

    def _picklist_body(self, obj: ObjectDef, f: FieldDef, record_type: RecordType | None, v: str) -> dict[str, Any]:
        """*Picklist Values* of ``f`` for the record type: its values, and a dependent picklist's controller."""
        dependency = self.store.picklists.dependency(obj.name, f.name)
        controller = obj.field(dependency.controller) if dependency else None
        return uiapi_shapes.picklist_values(
            obj, f, v, record_type_id=record_type.id if record_type else MASTER_RECORD_TYPE_ID,
            values=record_type.allowed(f) if record_type else None,
            controller_values=picklists.controller_values(controller, record_type) if controller else (),
            valid_for=dependency.valid_for if dependency else None,
        )

    # ------------------------------------------------------------------------------ metadata
    def _layout_body(self, obj: ObjectDef, layout_type: str, mode: str, access: UserAccess,
                     record_type_id: str = MASTER_RECORD_TYPE_ID) -> dict[str, Any]:
        """The layout (one per object: every record type is assigned the same page layout)."""
        return uiapi_shapes.record_layout(
            obj, layout_type, mode, readable=access.readable_fields(obj.name),
            editable=access.editable_fields(obj.name), record_type_id=record_type_id,
        )

    def layout(self, req: Request, m: re.Match[str], user: str) -> Any:
        access = self.access(user)
        obj = self.supported_object(m["obj"], access)
        layout_type = req.query.get("layoutType", "Full")
        mode = req.query.get("mode", "View")
        _check_layout_params([layout_type], [mode])
        record_type = self._record_type(obj, req.query.get("recordTypeId", MASTER_RECORD_TYPE_ID))
        return self._layout_body(obj, layout_type, mode, access,
                                 record_type.id if record_type else MASTER_RECORD_TYPE_ID)

    def _object_info_body(self, obj: ObjectDef, access: UserAccess) -> dict[str, Any]:
        editable = access.editable_fields(obj.name)
        org = self.store.picklists
        default = org.default_record_type(obj.name)
        return uiapi_shapes.object_info(
            obj, self.store.catalog, self.instance_url, readable=access.readable_fields(obj.name),
            editable=editable, object_editable=access.can_edit(obj), object_creatable=access.can_create(obj),
            object_deletable=access.can_delete(obj), record_types=org.record_types(obj.name),
            default_record_type_id=default.id if default else MASTER_RECORD_TYPE_ID,
            controllers={d.field: d.controller for d in org.dependencies(obj.name)},
        )

    def object_info(self, req: Request, m: re.Match[str], user: str) -> Any:
        access = self.access(user)
        obj = self.supported_object(m["obj"], access)
        return self._object_info_body(obj, access)

    def _picklist_fields(self, obj: ObjectDef, access: UserAccess) -> list[FieldDef]:
        readable = access.readable_fields(obj.name)
        return [f for f in obj.fields if f.picklist_values and f.name in readable]

    def picklists(self, req: Request, m: re.Match[str], user: str) -> Any:
        access = self.access(user)
        obj = self.supported_object(m["obj"], access)
        record_type = self._record_type(obj, m["rt"])
        values = {f.name: self._picklist_body(obj, f, record_type, m["v"]) for f in self._picklist_fields(obj, access)}
        body: dict[str, Any] = {"picklistFieldValues": values}
        body["eTag"] = uiapi_shapes.etag(body)
        return body

    def picklist(self, req: Request, m: re.Match[str], user: str) -> Any:
        access = self.access(user)
        obj = self.supported_object(m["obj"], access)
        record_type = self._record_type(obj, m["rt"])
        found = next((f for f in self._picklist_fields(obj, access) if f.name.lower() == m["field"].lower()), None)
        if found is None:
            raise ApiError(404, "NOT_FOUND", f"Picklist field {m['field']} does not exist on {obj.name}")
        return self._picklist_body(obj, found, record_type, m["v"])


# ---------------------------------------------------------------------------------- helpers
def _new_record(api_name: str, record_id: str) -> dict[str, Any]:
    return {"apiName": api_name, "childRelationships": {}, "eTag": "", "fields": {}, "id": record_id,
            "lastModifiedById": None, "lastModifiedDate": None, "recordTypeId": MASTER_RECORD_TYPE_ID,
            "recordTypeInfo": None, "systemModstamp": None, "weakEtag": 0}


def _name_relationships(record: dict[str, Any], names: dict[int, str | None]) -> None:
    """Give each relationship field the parent's name as displayValue (recursively)."""
    for entry in record["fields"].values():
        nested = entry.get("value")
        if isinstance(nested, dict) and "fields" in nested:
            entry["displayValue"] = names.get(id(nested))
            nested["eTag"] = uiapi_shapes.etag(nested["fields"])
            _name_relationships(nested, names)


def _invalid_field(obj: ObjectDef, name: str) -> ApiError:
    return ApiError(400, "INVALID_FIELD", f"No such column '{name}' on entity '{obj.name}'. If you are attempting "
                    "to use a custom field, be sure to append the '__c' after the custom field name.")


def _check_layout_params(layout_types: list[str], modes: list[str]) -> None:
    for layout_type in layout_types:
        if layout_type not in uiapi_shapes.LAYOUT_TYPES:
            raise _bad_param(f"layoutType must be one of {', '.join(uiapi_shapes.LAYOUT_TYPES)}: {layout_type}")
    for mode in modes:
        if mode not in uiapi_shapes.MODES:
            raise _bad_param(f"mode must be one of {', '.join(uiapi_shapes.MODES)}: {mode}")


def _column_label(obj: ObjectDef, path: str, f: FieldDef) -> str:
    """A column's label as list views show it: a parent's field is prefixed with the relationship's label."""
    parts = path.split(".")
    if len(parts) == 1:
        return f.label
    ref = obj.relationship(parts[0])
    owner = ref.label.removesuffix(" ID") if ref is not None else parts[0]
    return f"{obj.label} {owner} {f.label}" if parts[0] == "Owner" else f"{owner} {f.label}" if len(parts) == 2 \
        else f.label


_OPERATORS = {"equals": "Equals", "notEqual": "NotEqual", "lessThan": "LessThan", "greaterThan": "GreaterThan"}


def _filters(obj: ObjectDef, view: listviews.ListViewDef, access: UserAccess) -> list[dict[str, Any]]:
    condition = view.where_condition
    if not condition:
        return []
    leaves = condition.get("conditions", [condition]) if "conditions" in condition else [condition]
    readable = access.readable_fields(obj.name)
    out = []
    for leaf in leaves:
        f = obj.field(str(leaf["field"]))
        if f is None or f.name not in readable:
            continue
        operands = ["True" if v == "1" and f.type == "boolean" else "False" if v == "0" and f.type == "boolean"
                    else str(v) for v in leaf.get("values", [])]
        out.append({"fieldApiName": f.name, "label": f.label, "operandLabels": operands,
                    "operator": _OPERATORS.get(str(leaf.get("operator")), "Equals")})
    return out
