"""Object infos, list views and list infos kept a short while per member and org (:class:`MetadataCache`).

Every click in the tab, and every opening of it, publishes the whole view again, the object pickers included:
without a cache each one would ask Salesforce, as the member, for every shown object's info and list views
(ten calls for five objects) before the one call that matters, the page of records.  :class:`CachedUiApi` keeps
those metadata answers (an object's info, its list views, a list view's info: columns and order) for
:attr:`MetadataCache.ttl` seconds, the app's clicks and ``app_home_opened`` sharing one cache; records (a page
of a list, a record with its layout) are never kept: they are read at every screen.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from saleshome.salesforce.ui_api import DEFAULT_LIST_PAGE_SIZE
from saleshome.salesforce.ui_api_types import ListInfo, ListRecordsPage, ListViewSummary, ObjectInfo, RecordView

from .screen import MemberUiApi

T = TypeVar("T")


class MetadataCache:
    """What rarely changes, kept a short while per member and org: object infos, list views, list infos.

    Every screen publishes the whole view again, pickers included: without this, each page turn or opening
    would ask Salesforce for every shown object's info and list views.  Entries live :attr:`ttl` seconds
    (a member's new list view or changed access shows within that time; :meth:`forget` drops a member's at
    once), at most :attr:`max_entries` of them (the oldest go first).
    """

    def __init__(self, ttl: float = 60.0, *, clock: Callable[[], float] = time.monotonic,
                 max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.clock = clock
        self.max_entries = max_entries
        self._entries: dict[tuple[str, ...], tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...], load: Callable[[], T]) -> T:
        now = self.clock()
        with self._lock:
            found = self._entries.get(key)
        if found is not None and now - found[0] < self.ttl:
            kept: T = found[1]
            return kept
        value = load()  # outside the lock: Salesforce may be slow; two loads of one key are harmless
        with self._lock:
            self._entries[key] = (now, value)
            while len(self._entries) > self.max_entries:
                del self._entries[next(iter(self._entries))]
        return value

    def forget(self, user_id: str) -> None:
        """Drop everything kept for ``user_id`` (read afresh at their next screen)."""
        with self._lock:
            for key in [k for k in self._entries if k[0] == user_id]:
                del self._entries[key]


class CachedUiApi:
    """:class:`.screen.MemberUiApi` keeping ``api``'s object infos, list views and list infos in ``cache`` (per
    member and org); pages of records and records are always read."""

    def __init__(self, api: MemberUiApi, cache: MetadataCache, user_id: str, alias: str) -> None:
        self.api, self.cache, self.key = api, cache, (user_id, alias)

    def all_list_views(self, obj: str) -> list[ListViewSummary]:
        return self.cache.get((*self.key, "list-views", obj), lambda: self.api.all_list_views(obj))

    def object_info(self, obj: str) -> ObjectInfo:
        return self.cache.get((*self.key, "object-info", obj), lambda: self.api.object_info(obj))

    def list_info(self, obj: str, list_view: str) -> ListInfo:
        return self.cache.get((*self.key, "list-info", obj, list_view), lambda: self.api.list_info(obj, list_view))

    def list_records(self, obj: str, list_view: str, *, page_size: int = DEFAULT_LIST_PAGE_SIZE,
                     page_token: str | None = None, sort_by: str | None = None, descending: bool = False,
                     fields: Sequence[str] = (), optional_fields: Sequence[str] = ()) -> ListRecordsPage:
        return self.api.list_records(obj, list_view, page_size=page_size, page_token=page_token, sort_by=sort_by,
                                     descending=descending, fields=fields, optional_fields=optional_fields)

    def record_view(self, record_id: str, *, layout_type: str = "Full") -> RecordView:
        return self.api.record_view(record_id, layout_type=layout_type)

    def editable_records(self, record_ids: Sequence[str]) -> set[str] | None:
        return self.api.editable_records(record_ids)  # access, like records, is read every time
