"""Salesforce read as a *member*: the User Interface API over the member's own session.

Everything a member sees in the Sales tab comes from here, made with their access token, so that
Salesforce applies their access (object permissions, field-level security, sharing); the integration
user's client (``client.py``) is never used for it.  Resources ("User Interface API Developer Guide"):
``list-info/{object}`` (list views, paged), ``list-info/{object}/{listView}`` (columns, order),
``list-records/{object}/{listView}`` (``pageSize`` 1–2000, ``pageToken``, ``sortBy`` with ``-`` for
descending, ``fields``/``optionalFields``), ``records/{id}``, ``record-ui/{id}`` (record + layout +
object info), ``layout/{object}``, ``object-info/{object}`` and ``.../picklist-values/{recordTypeId}``
(values per record type, dependent picklists' ``controllerValues``/``validFor``), ``lookups/{object}/{field}[/{target}]`` (lookup suggestions).

The member's token: a :class:`MemberSession` carries it; when Salesforce answers 401
(``INVALID_SESSION_ID``: the access token expired or was revoked) and the client was given a
``refresh`` hook (:data:`Refresh`: the app's member connection, which refreshes with the member's
refresh token), the client asks it once for a new token and makes the call once more — the one place
where a member's call is retried.  The hook raises :class:`MemberSessionExpired` when the member must
connect again (their refresh token refused).

Errors, grouped by what the app does (one call, no retry loop beyond that refresh: the app answers
Slack within 3 s); this is the one classification of UI API errors, the Sales tab's included:

- :class:`MemberSessionExpired` (a :class:`~saleshome.errors.RetriableError`): 401 (after the refresh,
  when there is one) — show "Reconnect Salesforce";
- :class:`SalesforceUnavailable` (retriable): 5xx, 429, a timeout or no connection — show "Retry";
  ``REQUEST_LIMIT_EXCEEDED`` is a :class:`~saleshome.errors.QuotaExceededError`;
- :class:`UiAccessDenied` (a :class:`~saleshome.errors.PermissionDeniedError`): 403, naming the
  object or record the member may not see;
- :class:`UiNotFound`: 404 (``NOT_FOUND``, ``ENTITY_IS_DELETED``), naming what is missing;
- :class:`UiRequestRefused` (a :class:`~saleshome.errors.ValidationError`): any other 4xx
  (``INVALID_FIELD``, ``INVALID_TYPE``, a bad parameter), with Salesforce's error code.

Invariant: the access token appears in no message, no ``repr`` and no log line (:class:`MemberSession`
hides it; errors name the resource, never the request headers).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NoReturn
from urllib.parse import quote

import requests

from saleshome.errors import (
    FatalError,
    PermissionDeniedError,
    QuotaExceededError,
    RetriableError,
    SalesHomeError,
    ValidationError,
)

from .auth import http_session
from .ui_api_save import (
    SAVE_ERROR_CODES,
    LastChange,
    SaveError,
    UiConflict,
    UiSaveRefused,
    http_date,
    save_refusal,
)
from .ui_api_types import (
    MASTER_RECORD_TYPE_ID,
    ListInfo,
    ListRecordsPage,
    ListViewsPage,
    ListViewSummary,
    LookupHit,
    ObjectInfo,
    PicklistValues,
    Record,
    RecordLayout,
    RecordView,
    lookup_hits,
)

__all__ = [
    "DEFAULT_LIST_PAGE_SIZE",
    "DEFAULT_LOOKUP_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "LastChange",
    "MemberSession",
    "MemberSessionExpired",
    "Refresh",
    "SalesforceUnavailable",
    "SaveError",
    "UiAccessDenied",
    "UiApi",
    "UiConflict",
    "UiNotFound",
    "UiRequestRefused",
    "UiSaveRefused",
]

log = logging.getLogger(__name__)
DEFAULT_API_VERSION = "62.0"
DEFAULT_LIST_PAGE_SIZE = 50  # list-records' own default
MAX_PAGE_SIZE = 2000
DEFAULT_LOOKUP_PAGE_SIZE = 25  # the lookups resource's own default
LOOKUP_SEARCH_TYPES = ("Recent", "Search", "TypeAhead")
MAX_LIST_VIEW_PAGES = 100  # list-info pages followed at most (2,000 views at 20 a page): a loop guard

Refresh = Callable[[str], str]
"""A new access token for the member, given the one Salesforce refused; raises :class:`MemberSessionExpired`
when there is none to be had (the member must connect again)."""


class MemberSessionExpired(RetriableError):
    """The member's access token is expired or revoked (401 ``INVALID_SESSION_ID``): refresh it, or ask
    the member to reconnect Salesforce."""


class SalesforceUnavailable(RetriableError):
    """Salesforce did not answer, or answered 5xx: try again in a moment."""


class UiAccessDenied(PermissionDeniedError):
    """The member may not see this object or record (403 ``INSUFFICIENT_ACCESS``)."""

    def __init__(self, message: str, *, error_code: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.error_code = error_code


class UiNotFound(FatalError):
    """The list view, record or object does not exist (404 ``NOT_FOUND``) or was deleted (``ENTITY_IS_DELETED``)."""

    def __init__(self, message: str, *, error_code: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.error_code = error_code


class UiRequestRefused(ValidationError):
    """Salesforce refused the request as made (400: ``INVALID_FIELD``, ``INVALID_TYPE``, a bad parameter)."""

    def __init__(self, message: str, *, error_code: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.error_code = error_code


@dataclass(frozen=True)
class MemberSession:
    """A member's Salesforce session: where their org is and their access token (never shown)."""

    instance_url: str
    access_token: str = field(repr=False)
    ca_file: str | None = None  # a private CA (the sandbox); None: the system's trust store
    api_version: str = DEFAULT_API_VERSION
    timeout: float = 10.0

    def __repr__(self) -> str:
        return f"MemberSession(instance_url={self.instance_url!r}, access_token='**********')"


def _first_error(body: Any) -> tuple[str, str]:
    if isinstance(body, list) and body and isinstance(body[0], Mapping):
        return str(body[0].get("errorCode") or ""), str(body[0].get("message") or "")
    if isinstance(body, Mapping):
        return str(body.get("errorCode") or body.get("error") or ""), str(body.get("message") or "")
    return "", ""


class UiApi:
    """The UI API calls the Sales tab makes, as one member (one HTTP session, reused)."""

    def __init__(self, member: MemberSession, *, http: requests.Session | None = None,
                 refresh: Refresh | None = None) -> None:
        self.member = member
        self._http = http or http_session(member.ca_file)
        self._refresh = refresh
        self._token = member.access_token  # replaced by the refreshed one (threads share it: the hook serialises)

    def __repr__(self) -> str:
        return f"UiApi({self.member!r})"

    def close(self) -> None:
        self._http.close()

    # ------------------------------------------------------------------ transport
    def _url(self, *parts: str) -> str:
        path = "/".join(quote(p, safe="") for p in parts)
        return f"{self.member.instance_url.rstrip('/')}/services/data/v{self.member.api_version}/ui-api/{path}"

    def get(self, what: str, *parts: str, params: Mapping[str, str | int] | None = None) -> Any:
        """GET one UI API resource; ``what`` names it in errors (``"list view Opportunity/Won"``).  A 401 is
        answered by one refresh of the member's token and one more call, when the client has a ``refresh``."""
        url = self._url(*parts)
        token = self._token
        response = self._send(what, url, params, token)
        if response.status_code == 401 and self._refresh is not None:
            token = self._token = self._refresh(token)
            response = self._send(what, url, params, token)
        if response.status_code < 300:
            try:
                return response.json()
            except ValueError:
                raise SalesforceUnavailable(f"Salesforce answered {what} with a body that is not JSON") from None
        self._raise(what, response)

    def _send(self, what: str, url: str, params: Mapping[str, str | int] | None, token: str) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        try:
            return self._http.get(url, params=dict(params or {}), headers=headers, timeout=self.member.timeout)
        except requests.Timeout:
            raise SalesforceUnavailable(f"Salesforce did not answer within {self.member.timeout:g} s when reading {what}",
                                        hint="try again in a moment") from None
        except requests.RequestException as exc:
            raise SalesforceUnavailable(f"could not reach Salesforce to read {what} ({type(exc).__name__})",
                                        hint="try again in a moment") from None

    def _raise(self, what: str, response: requests.Response) -> None:
        status = response.status_code
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        code, message = _first_error(body)
        log.info("Salesforce UI API refused %s: %s %s", what, status, code)
        if status == 401:
            raise MemberSessionExpired(f"the member's Salesforce session expired while reading {what}",
                                       hint="refresh the member's token, or ask them to reconnect Salesforce")
        if code == "REQUEST_LIMIT_EXCEEDED":
            raise QuotaExceededError(f"the org has spent its daily API requests (reading {what})",
                                     hint="try again later")
        if status >= 500 or status == 429:
            raise SalesforceUnavailable(f"Salesforce answered {status} {code}".rstrip() + f" when reading {what}",
                                        hint="try again in a moment")
        detail = f": {message}" if message else ""
        if status == 403:
            raise UiAccessDenied(f"no access to {what} ({code or status}){detail}", error_code=code or "FORBIDDEN",
                                 hint="ask a Salesforce admin for access")
        if status == 404:
            raise UiNotFound(f"{what} was not found ({code or status}){detail}", error_code=code or "NOT_FOUND")
        raise UiRequestRefused(f"Salesforce refused to read {what}: {status} {code}{detail}",
                               error_code=code or str(status))

    # ------------------------------------------------------------------ list views
    def list_views(self, obj: str, *, page_size: int = 20, page_token: str | None = None,
                   query: str | None = None) -> ListViewsPage:
        """One page of ``obj``'s list views (``list-info/{object}``)."""
        params: dict[str, str | int] = {"pageSize": _page_size(page_size)}
        if page_token:
            params["pageToken"] = page_token
        if query:
            params["q"] = query
        return ListViewsPage.parse(self.get(f"the list views of {obj}", "list-info", obj, params=params))

    def all_list_views(self, obj: str) -> list[ListViewSummary]:
        """Every list view of ``obj`` the member may see, following ``nextPageToken``."""
        views: list[ListViewSummary] = []
        token: str | None = None
        seen: set[str] = set()
        for _ in range(MAX_LIST_VIEW_PAGES):
            page = self.list_views(obj, page_size=MAX_PAGE_SIZE, page_token=token)
            views.extend(page.lists)
            token = page.next_page_token
            if not token:
                return views
            if token in seen:
                raise SalesforceUnavailable(f"the list views of {obj} came back in a loop (page {token} twice)")
            seen.add(token)
        raise SalesforceUnavailable(f"the list views of {obj} did not end after {MAX_LIST_VIEW_PAGES} pages")

    def list_info(self, obj: str, list_view: str) -> ListInfo:
        """A list view's columns and order, by API name (``list-info/{object}/{listViewApiName}``)."""
        return ListInfo.parse(self.get(f"the list view {obj}/{list_view}", "list-info", obj, list_view))

    def list_info_by_id(self, list_view_id: str) -> ListInfo:
        return ListInfo.parse(self.get(f"the list view {list_view_id}", "list-info", list_view_id))

    def list_records(
        self, obj: str, list_view: str, *, page_size: int = DEFAULT_LIST_PAGE_SIZE, page_token: str | None = None,
        sort_by: str | None = None, descending: bool = False, fields: Sequence[str] = (),
        optional_fields: Sequence[str] = (),
    ) -> ListRecordsPage:
        """One page of a list view's records (``sort_by``: a field; the view's own order when None)."""
        params = _list_params(page_size, page_token, sort_by, descending, fields, optional_fields)
        body = self.get(f"the records of list view {obj}/{list_view}", "list-records", obj, list_view, params=params)
        return ListRecordsPage.parse(body)

    def list_records_by_id(
        self, list_view_id: str, *, page_size: int = DEFAULT_LIST_PAGE_SIZE, page_token: str | None = None,
        sort_by: str | None = None, descending: bool = False,
    ) -> ListRecordsPage:
        params = _list_params(page_size, page_token, sort_by, descending, (), ())
        body = self.get(f"the records of list view {list_view_id}", "list-records", list_view_id, params=params)
        return ListRecordsPage.parse(body)

    # ------------------------------------------------------------------ records
    def record(self, record_id: str, *, fields: Sequence[str] = (), optional_fields: Sequence[str] = (),
               layout_types: Sequence[str] = ()) -> Record:
        """One record with ``fields`` (``Object.Field``: an error when hidden), ``optional_fields`` (left out
        when hidden) and/or the fields of its layout (``layout_types=("Full",)``)."""
        if not (fields or optional_fields or layout_types):
            raise ValidationError("name fields, optional fields or a layout type to read a record")
        params: dict[str, str | int] = {}
        if fields:
            params["fields"] = ",".join(fields)
        if optional_fields:
            params["optionalFields"] = ",".join(optional_fields)
        if layout_types:
            params["layoutTypes"] = ",".join(layout_types)
            params["modes"] = "View"
        return Record.parse(self.get(f"the record {record_id}", "records", record_id, params=params))

    def record_view(self, record_id: str, *, layout_type: str = "Full") -> RecordView:
        """The record, its page layout and its object info in one call (``record-ui/{recordId}``)."""
        body = self.get(f"the record {record_id}", "record-ui", record_id,
                        params={"layoutTypes": layout_type, "modes": "View"})
        if not body.get("records"):
            raise UiNotFound(f"the record {record_id} was not found (no record in the answer)", error_code="NOT_FOUND")
        return RecordView.parse(body, layout_type=layout_type)

    def layout(self, obj: str, *, layout_type: str = "Full", mode: str = "View") -> RecordLayout:
        return RecordLayout.parse(self.get(f"the {layout_type} layout of {obj}", "layout", obj,
                                           params={"layoutType": layout_type, "mode": mode}))

    # ------------------------------------------------------------------ metadata
    def object_info(self, obj: str) -> ObjectInfo:
        """``obj``'s metadata: fields (those the member may read, ``updateable`` as they may), name fields."""
        return ObjectInfo.parse(self.get(f"the object {obj}", "object-info", obj))

    def picklist_values(self, obj: str, *, record_type_id: str = MASTER_RECORD_TYPE_ID) -> dict[str, PicklistValues]:
        """Every picklist field's values for one record type (fields the member may read)."""
        body = self.get(f"the picklist values of {obj}", "object-info", obj, "picklist-values", record_type_id)
        return {str(k): PicklistValues.parse(v) for k, v in (body.get("picklistFieldValues") or {}).items()}

    def field_picklist_values(self, obj: str, field_name: str, *,
                              record_type_id: str = MASTER_RECORD_TYPE_ID) -> PicklistValues:
        body = self.get(f"the picklist values of {obj}.{field_name}", "object-info", obj, "picklist-values",
                        record_type_id, field_name)
        return PicklistValues.parse(body)

    # ------------------------------------------------------------------ writes (ui_api_save.py)
    def update_record(self, record_id: str, fields: Mapping[str, Any], *,
                      if_unmodified_since: datetime | str | None = None, api_name: str | None = None) -> Record:
        """Save ``fields`` ({API name: value}; None empties a field) on the record, as the member
        (``PATCH ui-api/records/{recordId}``): the Record with the fields sent, as Salesforce stored them.

        ``if_unmodified_since``: the record's ``lastModifiedDate`` as the member's form showed it; Salesforce
        refuses a record changed since with 412 → :class:`UiConflict` naming who changed it and when (read as the
        member; ``api_name``, the record's object, saves one read there).  Refusals of the values →
        :class:`UiSaveRefused` (each error on its field); a 401 is refreshed once as for reads; the other errors
        are the reads' (:meth:`_raise`).  Nothing is retried: a save is sent once."""
        if not fields:
            raise ValidationError(f"no field to save on the record {record_id}")
        what = f"the record {record_id}"
        headers = {"If-Unmodified-Since": http_date(if_unmodified_since)} if if_unmodified_since is not None else {}
        body: dict[str, Any] = {"fields": dict(fields)}
        url = self._url("records", record_id)
        token = self._token
        response = self._patch(what, url, body, headers, token)
        if response.status_code == 401 and self._refresh is not None:
            token = self._token = self._refresh(token)
            response = self._patch(what, url, body, headers, token)
        if response.status_code < 300:
            try:
                return Record.parse(response.json())
            except (ValueError, KeyError):
                raise SalesforceUnavailable(f"Salesforce answered the save of {what} with a body that is not a "
                                            "Record") from None
        self._raise_save(record_id, api_name, response)

    def last_change(self, record_id: str, *, api_name: str | None = None) -> LastChange:
        """Who changed the record last, and when, as the member may read it (the name None when hidden)."""
        if api_name is None:
            api_name = self.record(record_id, layout_types=("Compact",)).api_name
        record = self.record(record_id, optional_fields=[f"{api_name}.LastModifiedBy.Name"])
        raw_at = record.last_modified_date
        return LastChange(user_id=str(record.raw.get("lastModifiedById") or "") or None,
                          user_name=record.text("LastModifiedBy.Name"),
                          at=_salesforce_datetime(raw_at) if raw_at else None)

    def _patch(self, what: str, url: str, body: Mapping[str, Any], headers: Mapping[str, str],
               token: str) -> requests.Response:
        sent = {"Authorization": f"Bearer {token}", "Accept": "application/json", **headers}
        try:
            return self._http.patch(url, json=body, headers=sent, timeout=self.member.timeout)
        except requests.Timeout:
            raise SalesforceUnavailable(f"Salesforce did not answer within {self.member.timeout:g} s when saving "
                                        f"{what}", hint="open the record to see whether it was saved") from None
        except requests.RequestException as exc:
            raise SalesforceUnavailable(f"could not reach Salesforce to save {what} ({type(exc).__name__})",
                                        hint="try again in a moment") from None

    def _raise_save(self, record_id: str, api_name: str | None, response: requests.Response) -> NoReturn:
        """The save's refusal as its error: 412 → :class:`UiConflict`, the values' refusals → :class:`UiSaveRefused`,
        the rest as for reads."""
        what = f"the record {record_id}"
        status = response.status_code
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        if status == 412:
            log.info("Salesforce UI API refused saving %s: 412, changed since", what)
            try:
                last: LastChange | None = self.last_change(record_id, api_name=api_name)
            except SalesHomeError as exc:  # the save's answer stands; who changed it is a detail
                log.info("who changed %s could not be read: %s", what, exc.message)
                last = None
            raise UiConflict(f"{what} was changed in Salesforce since it was read", record_id=record_id,
                             last_change=last)
        refusal = save_refusal(body) if status in (400, 403, 404) else None
        if refusal is not None:
            by_field, page = refusal
            codes = {e.error_code for errors in by_field.values() for e in errors} | {e.error_code for e in page}
            if status == 400 or codes & SAVE_ERROR_CODES:
                log.info("Salesforce UI API refused saving %s: %s %s", what, status, ",".join(sorted(codes)))
                first = next(iter([*[e for errors in by_field.values() for e in errors], *page]))
                raise UiSaveRefused(f"Salesforce refused to save {what}: {first.error_code}: {first.message}",
                                    record_id=record_id, field_errors=by_field, page_errors=page)
        self._raise(f"{what} (saving)", response)
        raise AssertionError("_raise always raises")

    # ------------------------------------------------------------------ lookups
    def lookup(self, obj: str, field_name: str, q: str = "", *, target: str | None = None,
               search_type: str | None = None, page_size: int = DEFAULT_LOOKUP_PAGE_SIZE,
               page: int = 1) -> list[LookupHit]:
        """Records the member may pick for the lookup field ``obj.field_name`` (``lookups/{object}/{field}
        [/{target}]``), searched as the member (only records they can see): ``q`` searched with
        ``search_type`` (default: ``Search`` when ``q`` is given — Salesforce wants at least 2 characters,
        ``TypeAhead`` at least 3 — else the member's ``Recent`` records), ``target`` one object of a
        polymorphic lookup."""
        kind = search_type or ("Search" if q.strip() else "Recent")
        if kind not in LOOKUP_SEARCH_TYPES:
            raise ValidationError(f"a lookup search type is one of {', '.join(LOOKUP_SEARCH_TYPES)}, not {kind!r}")
        if page < 1:
            raise ValidationError(f"a lookup page is numbered from 1, not {page}")
        params: dict[str, str | int] = {"searchType": kind, "pageSize": _page_size(page_size), "page": page}
        if q.strip():
            params["q"] = q.strip()
        parts = ("lookups", obj, field_name, *((target,) if target else ()))
        return lookup_hits(self.get(f"the choices of {obj}.{field_name}", *parts, params=params))


def _salesforce_datetime(text: str) -> datetime | None:
    """A UI API date-time (``2026-12-07T10:00:00.000Z``) as an aware datetime; None when it is not one."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _page_size(size: int) -> int:
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ValidationError(f"a page size is between 1 and {MAX_PAGE_SIZE}, not {size}")
    return size


def _list_params(page_size: int, page_token: str | None, sort_by: str | None, descending: bool,
                 fields: Iterable[str], optional_fields: Iterable[str]) -> dict[str, str | int]:
    params: dict[str, str | int] = {"pageSize": _page_size(page_size)}
    if page_token:
        params["pageToken"] = page_token
    if sort_by:
        params["sortBy"] = ("-" if descending else "") + sort_by
    if names := ",".join(fields):
        params["fields"] = names
    if names := ",".join(optional_fields):
        params["optionalFields"] = names
    return params
