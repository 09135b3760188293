"""The Sales tab's view of the app: :class:`TabServices` implements :class:`saleshome.app.home.HomeServices`
over the core's :class:`~.services.Services`, and :class:`MemberUiApiSession` is the UI API as one member.

- ``orgs(user_id)``: the orgs where the member holds the permission set and is connected, each with the admins'
  settings (objects, default list views, Slack record layouts) from the control store;
- ``ui_api(user_id, alias)``: the User Interface API through :class:`saleshome.salesforce.ui_api.UiApi` (its one
  transport and error classification) with the member's token; when Salesforce answers 401 the token is refreshed
  with the member's refresh token and the call made once more.  Errors as the tab shows them: the connection
  ended (refresh refused, or 401 again) → ``ReconnectNeeded``; 5xx, limits or unreachable → retriable
  (:class:`~saleshome.errors.RetriableError`); 404 → ``NotFound``; 403 or another refusal (``INVALID_TYPE``) →
  ``NoAccess``;
- ``reconnect(user_id, client)``: the Connect screen for the orgs the member has access to but no working
  connection (:meth:`.entry.Entry.publish_connect`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient

from saleshome.salesforce.auth import http_session
from saleshome.salesforce.ui_api import MemberSession as UiMember
from saleshome.salesforce.ui_api import (
    MemberSessionExpired,
    UiAccessDenied,
    UiApi,
    UiNotFound,
    UiRequestRefused,
)
from saleshome.settings.store import load_org_settings

from .home import Member as TabMember
from .home import MemberUiApi, NoAccess, NotFound, OrgView, ReconnectNeeded
from .services import MemberConnection, NotConnectedError, Services

if TYPE_CHECKING:
    from .entry import Entry

__all__ = ["MemberUiApiSession", "TabServices"]


class MemberUiApiSession:
    """The UI API as one member, in the shapes the Sales tab reads (the documented JSON; see the module docstring)."""

    def __init__(self, connection: MemberConnection) -> None:
        self.connection = connection
        self._http = http_session(connection.ca_file)

    def __repr__(self) -> str:
        return f"MemberUiApiSession(alias={self.connection.alias!r})"

    def _api(self, token: str) -> UiApi:
        c = self.connection
        return UiApi(UiMember(c.instance_url, token, c.ca_file, c.api_version), http=self._http)

    def _get(self, what: str, *parts: str, params: Mapping[str, str | int] | None = None) -> Any:
        alias = self.connection.alias
        try:
            token = self.connection.access_token()
            for attempt in (1, 2):
                try:
                    return self._api(token).get(what, *parts, params=params)
                except MemberSessionExpired:
                    if attempt == 2:
                        raise ReconnectNeeded(f"Salesforce no longer accepts the connection to org {alias!r}") from None
                    token = self.connection.refreshed(token)
        except NotConnectedError as exc:
            raise ReconnectNeeded(exc.message, hint=exc.hint) from None
        except UiNotFound as exc:
            raise NotFound(exc.message) from None
        except (UiAccessDenied, UiRequestRefused) as exc:
            raise NoAccess(exc.message) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def list_views(self, obj: str) -> Mapping[str, Any]:
        return self._get(f"the list views of {obj}", "list-info", obj,  # type: ignore[no-any-return]
                         params={"pageSize": 2000})

    def list_info(self, obj: str, list_view: str) -> Mapping[str, Any]:
        return self._get(f"list view {obj}/{list_view}", "list-info", obj, list_view)  # type: ignore[no-any-return]

    def list_records(self, obj: str, list_view: str, *, page_size: int, page_token: str | None) -> Mapping[str, Any]:
        params: dict[str, str | int] = {"pageSize": page_size}
        if page_token is not None:
            params["pageToken"] = page_token
        return self._get(f"the records of list view {obj}/{list_view}",  # type: ignore[no-any-return]
                         "list-records", obj, list_view, params=params)

    def object_info(self, obj: str) -> Mapping[str, Any]:
        return self._get(f"object {obj}", "object-info", obj)  # type: ignore[no-any-return]

    def record_ui(self, record_id: str) -> Mapping[str, Any]:
        return self._get(f"record {record_id}", "record-ui", record_id,  # type: ignore[no-any-return]
                         params={"layoutTypes": "Full", "modes": "View"})


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
