"""The UI API's lookup suggestions: which records a user may pick for a lookup field, searched as that user.

``GET ui-api/lookups/{objectApiName}/{fieldApiName}`` and ``.../{targetApiName}`` ("User Interface API
Developer Guide", API 41.0–62.0, *Get Lookup Field Suggestions* ``ui_api_resources_lookup_get.htm`` and
*... for a Specified Object* ``ui_api_resources_lookup_object_get.htm``).  Parameters:

- ``searchType``: ``Recent`` (the default: the user's most recently used records — the sandbox keeps no
  MRU list, so the records they may see, most recently modified first), ``Search`` (records whose
  searchable fields — name and secondary field — hold a word starting with ``q``; ``q`` of at least 2
  characters) or ``TypeAhead`` (records whose name starts with ``q``; ``q`` required, at least 3
  characters, no ``?``); a wildcard at the end of ``q`` is implied, a ``*`` in it is ignored;
- ``page`` (from 1, default 1) and ``pageSize`` (default 25).

The answer, for every target of the field: ``{count, lookupResults: {target: Record Collection}}``; with
``{targetApiName}``, that target's *Record Collection* ``{count, currentPageToken, currentPageUrl,
nextPageToken, nextPageUrl, previousPageToken, previousPageUrl, records}``.  Each *Record* has ``Id``,
``Name`` and, where the object has one, a ``DisambiguationField`` (the secondary text that tells like
names apart: an account's billing city, a contact's or user's email ...), each a *Field Value*.

Errors (the UI API's ``[{"errorCode", "message"}]``): ``INVALID_TYPE`` (400) for an object the UI API
does not serve, ``INVALID_FIELD`` (400) for a field that is not a lookup or that the user cannot read,
``ILLEGAL_QUERY_PARAMETER_VALUE`` (400) for a bad ``searchType``, ``q``, ``page``, ``pageSize`` or a
``targetApiName`` the field does not point to, ``INSUFFICIENT_ACCESS`` (403) for a target object the
user cannot read.

Invariants: only records the user can see (their sharing, ``access.sharing_filter``) and not deleted;
fields they cannot read (field-level security) are left out; ``q`` is bound as a parameter, never
spliced into SQL; the order is stable (name, then id) so pages neither skip nor repeat.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from .access import UserAccess
from .errors import ApiError
from .picklists import MASTER_RECORD_TYPE_ID
from .schema import FieldDef, ObjectDef
from .store import OrgStore
from .uiapi_shapes import UserLocale, etag, field_value

SEARCH_TYPES = ("Recent", "Search", "TypeAhead")
MIN_QUERY = {"Search": 2, "TypeAhead": 3}
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 2000
# The secondary text of each object's suggestions (the lookup dialog's second column).
DISAMBIGUATION = {"Account": "BillingCity", "Contact": "Email", "Lead": "Company", "User": "Email",
                  "Opportunity": "StageName", "Case": "Subject"}


def _bad(message: str) -> ApiError:
    return ApiError(400, "ILLEGAL_QUERY_PARAMETER_VALUE", message)


def _int(query: Mapping[str, str], name: str, default: int, high: int) -> int:
    raw = query.get(name) or ""
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= high:
        raise _bad(f"{name} must be an integer between 1 and {high}: {raw}")
    return int(raw)


def lookup_field(obj: ObjectDef, name: str, access: UserAccess) -> FieldDef:
    """The lookup field ``obj.name`` the user may read (``INVALID_FIELD`` otherwise)."""
    f = obj.field(name)
    if f is None or f.type != "reference" or not f.reference_to or f.name not in access.readable_fields(obj.name):
        raise ApiError(400, "INVALID_FIELD", f"{name} is not a lookup field of {obj.name} that you can access")
    return f


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _search_condition(search_type: str, q: str, name: str, secondary: str | None) -> tuple[str, list[Any]]:
    """SQL (bound parameters) for the records ``q`` finds, case-insensitively: TypeAhead, a name starting with
    ``q``; Search, a word of the searchable fields (name, secondary field) starting with ``q``."""
    if search_type == "Recent" or not q:
        return "TRUE", []
    start = _escape_like(q.lower()) + "%"
    if search_type == "TypeAhead":
        return f"""lower("{name}") LIKE ? ESCAPE '\\'""", [start]
    parts, params = [], []
    for column in (c for c in (name, secondary) if c):
        parts.append(f"""(lower("{column}") LIKE ? ESCAPE '\\' OR lower("{column}") LIKE ? ESCAPE '\\')""")
        params += [start, "% " + start]
    return "(" + " OR ".join(parts) + ")", params


def _record(target: ObjectDef, row: dict[str, Any], name: str, secondary: FieldDef | None,
            locale: UserLocale) -> dict[str, Any]:
    name_field = target.field(name)
    assert name_field is not None
    fields = {"Id": {"displayValue": None, "value": row["Id"]},
              name: field_value(name_field, row[name], locale, None)}
    if secondary is not None:
        fields["DisambiguationField"] = field_value(secondary, row[secondary.name], locale, None)
    record = {"apiName": target.name, "childRelationships": {}, "fields": fields, "id": row["Id"],
              "lastModifiedById": None, "lastModifiedDate": None, "recordTypeId": MASTER_RECORD_TYPE_ID,
              "recordTypeInfo": None, "systemModstamp": None, "weakEtag": 0}
    record["eTag"] = etag(fields)
    return record


def suggestions(store: OrgStore, target: ObjectDef, access: UserAccess, locale: UserLocale,
                query: Mapping[str, str], base_url: str) -> dict[str, Any]:
    """One page of ``target``'s records the user may pick, as a *Record Collection*."""
    search_type = query.get("searchType") or "Recent"
    if search_type not in SEARCH_TYPES:
        raise _bad(f"searchType must be one of {', '.join(SEARCH_TYPES)}: {search_type}")
    q = (query.get("q") or "").replace("*", "").strip()
    if search_type == "TypeAhead" and "?" in q:
        raise _bad("q cannot contain ? for a TypeAhead search")
    least = MIN_QUERY.get(search_type, 0)
    if least and len(q) < least and (q or search_type == "TypeAhead"):
        raise _bad(f"q must have at least {least} characters for a {search_type} search")
    page = _int(query, "page", 1, 1_000_000)
    size = _int(query, "pageSize", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    name_field = target.name_field
    readable = access.readable_fields(target.name)
    if name_field is None or name_field.name not in readable:
        raise ApiError(400, "INVALID_FIELD", f"{target.name} records have no name you can read")
    secondary = target.field(DISAMBIGUATION.get(target.name, ""))
    secondary = secondary if secondary is not None and secondary.name in readable else None
    sharing, sharing_params = access.sharing_filter(target)
    condition, search_params = _search_condition(search_type, q, name_field.name, secondary.name if secondary else None)
    live = 'NOT "IsDeleted"' if target.soft_deletes else "TRUE"
    order = ('"LastModifiedDate" DESC NULLS LAST, "Id"' if search_type == "Recent" and target.field("LastModifiedDate")
             else f'lower("{name_field.name}"), "Id"')
    columns = ", ".join(f'"{c}"' for c in ("Id", name_field.name, *((secondary.name,) if secondary else ())))
    rows = store.read(
        f'SELECT {columns} FROM "{target.name}" WHERE {live} AND ({sharing}) AND {condition} '
        f"ORDER BY {order} LIMIT ? OFFSET ?",
        [*sharing_params, *search_params, size + 1, (page - 1) * size],
    ).to_pylist()
    more = len(rows) > size
    records = [_record(target, r, name_field.name, secondary, locale) for r in rows[:size]]

    def url(number: int) -> str:
        params = {"page": number, "pageSize": size, "searchType": search_type, **({"q": q} if q else {})}
        return f"{base_url}?{urlencode(params)}"

    return {
        "count": len(records),
        "currentPageToken": str(page),
        "currentPageUrl": url(page),
        "nextPageToken": str(page + 1) if more else None,
        "nextPageUrl": url(page + 1) if more else None,
        "previousPageToken": str(page - 1) if page > 1 else None,
        "previousPageUrl": url(page - 1) if page > 1 else None,
        "records": records,
    }
