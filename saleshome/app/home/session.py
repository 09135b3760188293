"""The UI API over a member's own session (the app's :class:`~saleshome.app.services.MemberSession`), and
what the control store says of the member (time zone) and their orgs (instance URL); object infos and list
views kept a minute per member (:class:`MetadataCache`).

The session refreshes an expired access token once with the member's refresh token; when Salesforce still
refuses it (revoked, refresh token expired) it raises ``NotConnectedError``: here that is
:class:`.screen.ReconnectNeeded`.  Salesforce's other answers (User Interface API Developer Guide, "Status
Codes and Error Responses"): 404 ``NOT_FOUND``/``ENTITY_IS_DELETED`` → :class:`.screen.NotFound`; 403
``INSUFFICIENT_ACCESS`` and 400 ``INVALID_TYPE`` (an object the member may not use) → :class:`.screen.NoAccess`;
5xx and no answer stay :class:`~saleshome.errors.RetriableError` (the session raises them).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import requests

from saleshome.app.services import MemberSession, NotConnectedError
from saleshome.errors import FatalError
from saleshome.warehouse.control import ControlDB

from .screen import MemberUiApi, NoAccess, NotFound, ReconnectNeeded

LIST_VIEWS_PAGE = 2000  # list-info's largest page: an object's list views in one call


class SessionUiApi:
    """:class:`.screen.MemberUiApi` over one member's session on one org."""

    def __init__(self, session: MemberSession) -> None:
        self.session = session

    def _get(self, *parts: str, params: dict[str, Any] | None = None) -> Mapping[str, Any]:
        path = f"/services/data/v{self.session.api_version}/ui-api/" + "/".join(quote(p, safe="") for p in parts)
        try:
            body = self.session.get_json(path, params)
        except NotConnectedError as error:
            raise ReconnectNeeded(error.message, hint=error.hint) from None
        except requests.HTTPError as error:
            status = error.response.status_code if error.response is not None else 0
            what = "/".join(parts)
            if status == 404:
                raise NotFound(f"{what}: not found in Salesforce") from None
            if status in (400, 403):
                raise NoAccess(f"{what}: Salesforce refused it to this member ({status})") from None
            raise FatalError(f"{what}: Salesforce answered {status}") from None
        if not isinstance(body, Mapping):
            raise FatalError(f"{'/'.join(parts)}: Salesforce's answer is not a JSON object")
        return body

    def list_views(self, obj: str) -> Mapping[str, Any]:
        return self._get("list-info", obj, params={"pageSize": LIST_VIEWS_PAGE})

    def list_info(self, obj: str, list_view: str) -> Mapping[str, Any]:
        return self._get("list-info", obj, list_view)

    def list_records(self, obj: str, list_view: str, *, page_size: int, page_token: str | None
                     ) -> Mapping[str, Any]:
        params: dict[str, Any] = {"pageSize": page_size}
        if page_token is not None:
            params["pageToken"] = page_token
        return self._get("list-records", obj, list_view, params=params)

    def object_info(self, obj: str) -> Mapping[str, Any]:
        return self._get("object-info", obj)

    def record_ui(self, record_id: str) -> Mapping[str, Any]:
        return self._get("record-ui", record_id, params={"layoutTypes": "Full", "modes": "View"})


def member_zone(control: ControlDB, user_id: str) -> str | None:
    """The member's time zone as the user map keeps it (their Slack ``tz``), None when unknown."""
    with control.reading() as db:
        rows = db.rows("SELECT max(tz) AS tz FROM user_map WHERE slack_user_id = ? AND tz IS NOT NULL", [user_id])
    return str(rows[0]["tz"]) if rows and rows[0]["tz"] else None


def instance_urls(control: ControlDB) -> dict[str, str]:
    """Each connected org's instance URL (where "View in Salesforce" points), by alias."""
    with control.reading() as db:
        return {str(r["alias"]): str(r["instance_url"]) for r in db.rows("SELECT alias, instance_url FROM orgs")}


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
        self._entries: dict[tuple[str, ...], tuple[float, Mapping[str, Any]]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...], load: Callable[[], Mapping[str, Any]]) -> Mapping[str, Any]:
        now = self.clock()
        with self._lock:
            found = self._entries.get(key)
        if found is not None and now - found[0] < self.ttl:
            return found[1]
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

    def list_views(self, obj: str) -> Mapping[str, Any]:
        return self.cache.get((*self.key, "list-views", obj), lambda: self.api.list_views(obj))

    def object_info(self, obj: str) -> Mapping[str, Any]:
        return self.cache.get((*self.key, "object-info", obj), lambda: self.api.object_info(obj))

    def list_info(self, obj: str, list_view: str) -> Mapping[str, Any]:
        return self.api.list_info(obj, list_view)

    def list_records(self, obj: str, list_view: str, *, page_size: int, page_token: str | None
                     ) -> Mapping[str, Any]:
        return self.api.list_records(obj, list_view, page_size=page_size, page_token=page_token)

    def record_ui(self, record_id: str) -> Mapping[str, Any]:
        return self.api.record_ui(record_id)
