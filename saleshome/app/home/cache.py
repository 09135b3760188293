"""Object infos and list views kept a short while per member and org (:class:`MetadataCache`).

Every click in the tab publishes the whole view again, the object pickers included: without a cache
each page turn would ask Salesforce, as the member, for every shown object's info and list views.
:class:`CachedUiApi` keeps those two answers (never a page of records, a list's info or a record, which
are always read) for :attr:`MetadataCache.ttl` seconds; opening the tab reads everything afresh.
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
    """What rarely changes, kept a short while per member and org: object infos and list views.

    Every click in the tab publishes the whole view again, pickers included: without this, each page turn
    would ask Salesforce for every shown object's info and list views.  Entries live :attr:`ttl` seconds
    (a member's new list view or changed access shows within that time, or at once when they open the tab
    again: :meth:`forget`), at most :attr:`max_entries` of them (the oldest go first).
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
        """Drop everything kept for ``user_id`` (they opened their tab: read it fresh)."""
        with self._lock:
            for key in [k for k in self._entries if k[0] == user_id]:
                del self._entries[key]


class CachedUiApi:
    """:class:`.screen.MemberUiApi` keeping ``api``'s object infos and list views in ``cache`` (per member and org)."""

    def __init__(self, api: MemberUiApi, cache: MetadataCache, user_id: str, alias: str) -> None:
        self.api, self.cache, self.key = api, cache, (user_id, alias)

    def all_list_views(self, obj: str) -> list[ListViewSummary]:
        return self.cache.get((*self.key, "list-views", obj), lambda: self.api.all_list_views(obj))

    def object_info(self, obj: str) -> ObjectInfo:
        return self.cache.get((*self.key, "object-info", obj), lambda: self.api.object_info(obj))

    def list_info(self, obj: str, list_view: str) -> ListInfo:
        return self.api.list_info(obj, list_view)

    def list_records(self, obj: str, list_view: str, *, page_size: int = DEFAULT_LIST_PAGE_SIZE,
                     page_token: str | None = None, sort_by: str | None = None, descending: bool = False,
                     fields: Sequence[str] = (), optional_fields: Sequence[str] = ()) -> ListRecordsPage:
        return self.api.list_records(obj, list_view, page_size=page_size, page_token=page_token, sort_by=sort_by,
                                     descending=descending, fields=fields, optional_fields=optional_fields)

    def record_view(self, record_id: str, *, layout_type: str = "Full") -> RecordView:
        return self.api.record_view(record_id, layout_type=layout_type)
