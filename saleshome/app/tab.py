"""The Sales tab's view of the app: :class:`TabServices` implements :class:`saleshome.app.home.HomeServices`
over the core's :class:`~.services.Services`, and :class:`MemberUiApiSession` is the UI API as one member.

- ``orgs(user_id)``: the orgs where the member holds the permission set and is connected, each with the admins'
  settings (objects, default list views, Slack record layouts) from the control store;
- ``ui_api(user_id, alias)``: the User Interface API (``/services/data/vXX.X/ui-api/...``, User Interface API
  Developer Guide) through the member's own session (:class:`~.connections.ConnectedSession`: refreshed once when
  Salesforce answers 401); errors as the tab shows them: the connection ended → ``ReconnectNeeded``; 5xx or
  unreachable → :class:`~saleshome.errors.RetriableError`; 404 → ``NotFound``; 400/403 (``INVALID_TYPE``,
  ``INSUFFICIENT_ACCESS``) → ``NoAccess``;
- ``reconnect(user_id, client)``: the Connect screen for the orgs the member has access to but no working
  connection (:meth:`.entry.Entry.publish_connect`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient

from saleshome.errors import RetriableError
from saleshome.settings.store import load_org_settings

from .home import Member as TabMember
from .home import MemberUiApi, NoAccess, NotFound, OrgView, ReconnectNeeded
from .services import MemberSession, NotConnectedError, Services

if TYPE_CHECKING:
    from .entry import Entry

__all__ = ["MemberUiApiSession", "TabServices"]


class MemberUiApiSession:
    """The UI API as one member (see the module docstring)."""

    def __init__(self, session: MemberSession) -> None:
        self.session = session

    def __repr__(self) -> str:
        return f"MemberUiApiSession(alias={self.session.alias!r})"

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        url = f"/services/data/v{self.session.api_version}/ui-api/{path}"
        try:
            response = self.session.request("GET", url, params=dict(params or {}))
        except NotConnectedError as exc:
            raise ReconnectNeeded(exc.message, hint=exc.hint) from None
        status = response.status_code
        if status == 401:
            raise ReconnectNeeded(f"Salesforce no longer accepts the connection to org {self.session.alias!r}")
        if status >= 500 or status == 429:
            raise RetriableError(f"Salesforce answered {status} (org {self.session.alias!r})", hint="try again")
        if status == 404:
            raise NotFound(f"not found in org {self.session.alias!r}: {path.split('?')[0]}")
        if status in (400, 403):
            raise NoAccess(f"no access in org {self.session.alias!r}: {path.split('?')[0]}")
        response.raise_for_status()
        return response.json()

    def list_views(self, obj: str) -> Mapping[str, Any]:
        return self._get(f"list-info/{obj}", {"pageSize": 2000})  # type: ignore[no-any-return]

    def list_info(self, obj: str, list_view: str) -> Mapping[str, Any]:
        return self._get(f"list-info/{obj}/{list_view}")  # type: ignore[no-any-return]

    def list_records(self, obj: str, list_view: str, *, page_size: int, page_token: str | None) -> Mapping[str, Any]:
        params: dict[str, Any] = {"pageSize": page_size}
        if page_token is not None:
            params["pageToken"] = page_token
        return self._get(f"list-records/{obj}/{list_view}", params)  # type: ignore[no-any-return]

    def object_info(self, obj: str) -> Mapping[str, Any]:
        return self._get(f"object-info/{obj}")  # type: ignore[no-any-return]

    def record_ui(self, record_id: str) -> Mapping[str, Any]:
        return self._get(f"record-ui/{record_id}", {"layoutTypes": "Full", "modes": "View"})  # type: ignore[no-any-return]


class TabServices:
    """:class:`saleshome.app.home.HomeServices` over the core's services (one per app process)."""

    def __init__(self, services: Services, entry: Entry) -> None:
        self.services = services
        self.entry = entry

    def member(self, user_id: str) -> TabMember:
        member = self.services.member(user_id)
        return TabMember(user_id=user_id, locale=member.locale, tz=member.tz)

    def orgs(self, user_id: str) -> Sequence[OrgView]:
        member = self.services.member(user_id)
        views = []
        for org in member.connected_orgs:
            try:
                session = self.services.session(user_id, org.alias)
            except NotConnectedError:
                continue
            views.append(OrgView(alias=org.alias, label=org.org_name or org.alias, instance_url=session.instance_url,
                                 settings=load_org_settings(self.services.control, org.alias),
                                 currency=self.services.settings.default_currency))
        return views

    def ui_api(self, user_id: str, alias: str) -> MemberUiApi:
        try:
            return MemberUiApiSession(self.services.session(user_id, alias))
        except NotConnectedError as exc:
            raise ReconnectNeeded(exc.message, hint=exc.hint) from None

    def reconnect(self, user_id: str, client: WebClient) -> None:
        self.entry.publish_connect(user_id)
