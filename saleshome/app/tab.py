"""The Sales tab's view of the app: :class:`TabServices` implements :class:`saleshome.app.home.HomeServices`
over the core's :class:`~.services.Services`.

- ``orgs(user_id)``: the orgs where the member holds the permission set and is connected, each with the admins'
  settings (objects, default list views, Slack record layouts) from the control store;
- ``ui_api(user_id, alias)``: the User Interface API through the one client
  (:class:`saleshome.salesforce.ui_api.UiApi`) with the member's own session
  (:meth:`.connections.ConnectedSession.ui_api`: refreshed once when Salesforce answers 401); its errors are
  the client's (the tab shows them: :func:`saleshome.app.home.screen.problem_of`); no working connection →
  :class:`~saleshome.salesforce.ui_api.MemberSessionExpired` ("Reconnect");
- ``reconnect(user_id, client)``: the Connect screen for the orgs the member has access to but no working
  connection (:meth:`.entry.Entry.publish_connect`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from slack_sdk import WebClient

from saleshome.salesforce.ui_api import MemberSessionExpired, UiApi
from saleshome.settings.store import load_org_settings

from .home import Member as TabMember
from .home import OrgView
from .services import NotConnectedError, Services

if TYPE_CHECKING:
    from .entry import Entry

__all__ = ["TabServices"]


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

    def ui_api(self, user_id: str, alias: str) -> UiApi:
        try:
            return self.services.session(user_id, alias).ui_api()
        except NotConnectedError as exc:
            raise MemberSessionExpired(exc.message, hint=exc.hint) from None

    def reconnect(self, user_id: str, client: WebClient) -> None:
        self.entry.publish_connect(user_id)
