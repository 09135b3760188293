"""Salesforce list views over REST: the list of an object's views, a view's describe, its results.

Resources (REST API Developer Guide, "List Views for an Object", "List View Describe",
"List View Results", API 32.0+):

- ``GET sobjects/{obj}/listviews`` → ``{"listviews": [{"id" (18 chars), "developerName",
  "label", "soqlCompatible", "describeUrl", "resultsUrl", "url"}], "done", "nextRecordsUrl",
  "size", "sobjectType"}``
- ``GET sobjects/{obj}/listviews/{id}/describe`` → ``{"id" (15 chars), "query" (the view's
  complete SOQL), "columns" ([{"fieldNameOrPath", "label", "type", "hidden", "selectListItem",
  "sortable", ...}]), "orderBy", "whereCondition", "scope", "sobjectType"}``
- ``GET sobjects/{obj}/listviews/{id}/results?limit=1..2000&offset=`` → ``{"columns",
  "records": [{"columns": [{"fieldNameOrPath", "value" (text)}]}], "size", "done", "id",
  "label", "developerName"}``

Every call goes through :class:`~saleshome.salesforce.client.SalesforceClient`'s policy
(re-login, backoff, quota, API budget).  Ids are compared on their first 15 characters: the
list resource gives 18-character ids, describe and results 15-character ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from saleshome.errors import FatalError, ValidationError

from .client import SalesforceClient
from .schema import safe_name

RESULTS_PAGE_MAX = 2000  # the results resource's largest ``limit``
_RECORD_ID = re.compile(r"^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$")


class ListViewNotFound(ValidationError):
    """The named list view is not one of the object's list views in this org."""


@dataclass(frozen=True)
class ListView:
    """One entry of ``sobjects/{obj}/listviews``."""

    sobject: str
    id: str  # as the org gave it (18 characters)
    developer_name: str
    label: str
    soql_compatible: bool = True

    def matches(self, name_or_id: str) -> bool:
        """True for this view's id (15 or 18 characters), developer name or label."""
        text = name_or_id.strip()
        if len(text) in (15, 18) and text[:3] == self.id[:3] and text[:15] == self.id[:15]:
            return True
        return text in (self.developer_name, self.label)


@dataclass(frozen=True)
class ListViewColumn:
    """One column of a list view (describe or results)."""

    field: str  # fieldNameOrPath: Name, Account.Name, Owner.Alias
    label: str
    type: str
    hidden: bool = False
    sortable: bool = False
    select_item: str = ""  # selectListItem as in the query: toLabel(Type), Owner.Alias


@dataclass(frozen=True)
class ListViewDescribe:
    """A list view's definition: its SOQL, its columns (hidden system columns last), its order."""

    sobject: str
    id: str  # 15 characters, as describe gives it
    query: str
    columns: tuple[ListViewColumn, ...]
    order_by: tuple[dict[str, Any], ...] = ()
    where_condition: dict[str, Any] | None = None
    scope: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def visible_fields(self) -> list[str]:
        return [c.field for c in self.columns if not c.hidden]


@dataclass(frozen=True)
class ListViewResultsPage:
    """One page of ``.../results``: records as ``{fieldNameOrPath: value-as-text}``."""

    columns: tuple[ListViewColumn, ...]
    records: list[dict[str, str | None]]
    size: int  # records the view holds in all
    done: bool
    raw_records: list[dict[str, Any]] = field(default_factory=list, compare=False, repr=False)


# ------------------------------------------------------------------------------------- reading
def _url(client: SalesforceClient, obj: str, *parts: str) -> str:
    tail = "/".join(parts)
    return f"{client.api.base_url}sobjects/{safe_name(obj)}/listviews" + (f"/{tail}" if tail else "")


def _get_json(client: SalesforceClient, url: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    # the client's one GET under its policy (re-login, backoff, quota, usage, budget)
    return client.get_json(url, params)


def _column(raw: dict[str, Any]) -> ListViewColumn:
    return ListViewColumn(
        field=str(raw["fieldNameOrPath"]), label=str(raw.get("label") or raw["fieldNameOrPath"]),
        type=str(raw.get("type") or "string"), hidden=bool(raw.get("hidden")), sortable=bool(raw.get("sortable")),
        select_item=str(raw.get("selectListItem") or raw["fieldNameOrPath"]),
    )


def list_views(client: SalesforceClient, obj: str) -> list[ListView]:
    """Every list view of ``obj`` the integration user can see (following ``nextRecordsUrl``)."""
    url: str | None = _url(client, obj)
    seen: set[str] = set()
    views: list[ListView] = []
    while url:
        body = _get_json(client, url)
        views.extend(
            ListView(obj, str(v["id"]), str(v["developerName"]), str(v["label"]), bool(v.get("soqlCompatible", True)))
            for v in body.get("listviews", [])
        )
        next_url = body.get("nextRecordsUrl")
        if body.get("done", True) or not next_url:
            break
        if next_url in seen:
            raise FatalError(f"pagination loop on org {client.conn.alias!r}: {next_url} came back twice")
        seen.add(next_url)
        url = _absolute(client, str(next_url))
    return views


def _absolute(client: SalesforceClient, url: str) -> str:
    if url.startswith("https://"):
        return url
    return f"https://{client.api.sf_instance}{url}"


def find_list_view(views: Sequence[ListView], obj: str, name_or_id: str, *, alias: str = "") -> ListView:
    """The view named ``name_or_id`` (id, developer name or label) among ``views``."""
    exact = [v for v in views if v.matches(name_or_id)]
    if len(exact) == 1:
        return exact[0]
    where = f" in org {alias!r}" if alias else ""
    if len(exact) > 1:
        raise ListViewNotFound(
            f"{len(exact)} list views of {obj}{where} are called {name_or_id!r}",
            hint="name it by id or developer name: " + ", ".join(f"{v.id} ({v.developer_name})" for v in exact),
        )
    known = ", ".join(sorted(f"{v.developer_name} ({v.label})" for v in views)) or "none"
    raise ListViewNotFound(
        f"{obj} has no list view {name_or_id!r}{where}",
        hint=f"use an id, developer name or label among: {known}",
    )


def record_id(text: str) -> str:
    """A 15- or 18-character Salesforce id we put in a URL (anything else is refused)."""
    if not _RECORD_ID.match(text):
        raise ValidationError(f"{text!r} is not a Salesforce id (15 or 18 letters and digits)")
    return text


def describe_list_view(client: SalesforceClient, obj: str, view_id: str) -> ListViewDescribe:
    """The view's SOQL, columns and order."""
    body = _get_json(client, _url(client, obj, record_id(view_id), "describe"))
    return ListViewDescribe(
        sobject=str(body.get("sobjectType") or obj), id=str(body["id"]), query=str(body["query"]),
        columns=tuple(_column(c) for c in body.get("columns", [])),
        order_by=tuple(body.get("orderBy") or ()), where_condition=body.get("whereCondition"),
        scope=body.get("scope"), raw=body,
    )


def list_view_results(
    client: SalesforceClient, obj: str, view_id: str, *, limit: int = 25, offset: int = 0,
) -> ListViewResultsPage:
    """One page of the view's results (``limit`` 1..2000, the resource's default is 25)."""
    if not 1 <= limit <= RESULTS_PAGE_MAX:
        raise ValidationError(f"limit must be between 1 and {RESULTS_PAGE_MAX}, not {limit}")
    body = _get_json(client, _url(client, obj, record_id(view_id), "results"), params={"limit": limit, "offset": offset})
    records = body.get("records", [])
    return ListViewResultsPage(
        columns=tuple(_column(c) for c in body.get("columns", [])),
        records=[{c["fieldNameOrPath"]: c.get("value") for c in r.get("columns", [])} for r in records],
        size=int(body.get("size") or 0), done=bool(body.get("done", True)), raw_records=records,
    )


def iter_results_pages(
    client: SalesforceClient, obj: str, view_id: str, *, page_size: int = RESULTS_PAGE_MAX, max_rows: int | None = None,
) -> Iterator[ListViewResultsPage]:
    """Every page of the view's results (offset paging), up to ``max_rows`` records."""
    offset = 0
    while True:
        limit = page_size if max_rows is None else min(page_size, max_rows - offset)
        if limit <= 0:
            return
        page = list_view_results(client, obj, view_id, limit=limit, offset=offset)
        yield page
        offset += len(page.raw_records)
        if page.done or not page.raw_records:
            return
