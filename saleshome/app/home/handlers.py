"""The Sales tab in the app: Bolt action handlers (ack at once, then Salesforce as the member, then publish).

Slack wants every interaction acknowledged within 3 seconds ("Handling user interaction":
``ack()``); reading Salesforce can take longer, so each action is registered as a Bolt *lazy
listener* (Bolt for Python, "Lazy listeners"): ``ack`` answers at once, the lazy function then
computes where the member goes (:func:`next_nav`, pure), reads that screen with their own
Salesforce session (``services.session``: their token, refreshed; :mod:`.session`) and publishes it
with ``views.publish`` and the view's ``hash``: a screen computed from a view Slack no longer shows
never overwrites the newer one (``hash_conflict``: the newer stays).

Where the member is comes from the view Slack sends back (``view.private_metadata``, :mod:`.state`):
the app keeps no per-member navigation state.  "View in Salesforce" and "Reconnect" are link buttons:
Slack opens the URL and still sends the action, which is only acknowledged.

The core (:mod:`saleshome.app.entry`) publishes the tab when a member with access and a connection
opens it (:meth:`SalesHome.publish`); the connect and no-access screens are the core's.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from slack_bolt import Ack, App
from slack_sdk.errors import SlackApiError

from saleshome.app.services import Member as AppMember
from saleshome.app.services import NotConnectedError, SalesTab, Services
from saleshome.settings.store import load_org_settings

from .blocks import Action, Problem, home_view, parse_list_option_value
from .screen import Member, OrgView, ReconnectNeeded, load_screen
from .session import CachedUiApi, MetadataCache, SessionUiApi, instance_urls, member_zone
from .state import Nav, decode

__all__ = ["SalesHome", "next_nav", "register"]

log = logging.getLogger(__name__)
LINKS = (Action.VIEW_IN_SALESFORCE, Action.RECONNECT)  # link buttons: the browser opens them, the app only acks


def _selected(action: Mapping[str, Any]) -> str:
    option = action.get("selected_option") or {}
    return str(option.get("value") or action.get("value") or "")


def next_nav(action: Mapping[str, Any], nav: Nav) -> Nav:
    """Where the member goes after ``action`` (one entry of a ``block_actions`` payload's ``actions``) from ``nav``."""
    kind = action.get("action_id")
    if kind == Action.SWITCH_ORG:
        return nav.switch_org(_selected(action)) if _selected(action) else nav
    if kind == Action.OPEN_LIST:
        obj, list_view = parse_list_option_value(_selected(action))
        return nav.open_list(obj, list_view) if obj and list_view else nav
    if kind == Action.NEXT_PAGE:
        return nav.next_page() or nav
    if kind == Action.PREVIOUS_PAGE:
        return nav.previous_page() or nav
    if kind == Action.OPEN_RECORD:
        return nav.open_record(_selected(action)) if _selected(action) else nav
    if kind == Action.BACK_TO_LIST:
        return nav.close_record()
    return nav  # retry: the same place again


class SalesHome(SalesTab):
    """The Sales tab of the app's members (what :func:`register` returns to the core)."""

    def __init__(self, services: Services, cache: MetadataCache | None = None) -> None:
        self.services = services
        self.cache = cache if cache is not None else MetadataCache()

    def orgs(self, member: AppMember) -> list[OrgView]:
        """The member's connected orgs with the admins' settings of each (lists, Slack record layouts)."""
        urls = instance_urls(self.services.control)
        return [OrgView(org.alias, org.org_name or org.alias, urls.get(org.alias, ""),
                        load_org_settings(self.services.control, org.alias), self.services.settings.default_currency)
                for org in member.connected_orgs if org.alias in urls]

    def api(self, member: AppMember, alias: str) -> CachedUiApi:
        """The member's UI API on ``alias`` (:class:`.screen.ReconnectNeeded` when they have no working connection)."""
        try:
            session = self.services.session(member.user_id, alias)
        except NotConnectedError as error:
            raise ReconnectNeeded(error.message, hint=error.hint) from None
        return CachedUiApi(SessionUiApi(session), self.cache, member.user_id, alias)

    def publish(self, member: AppMember, nav: Nav | None = None, view_hash: str | None = None) -> None:
        """Read ``nav``'s screen (the tab's start when None) as ``member`` and publish it as their Home tab."""
        orgs = self.orgs(member)
        if not orgs:
            return  # the core shows the connect screen to members without a connection
        if nav is None:  # the member opened their tab: what they may see is read afresh
            self.cache.forget(member.user_id)
        reader = Member(member.user_id, member.locale, member_zone(self.services.control, member.user_id))
        screen = load_screen(lambda alias: self.api(member, alias), reader, orgs, nav or Nav())
        if isinstance(screen.content, Problem) and screen.content.kind == "reconnect" and screen.nav.org:
            link = self.services.connect_link(member, screen.nav.org)
            screen = replace(screen, content=replace(screen.content, url=link))
        try:
            self.services.slack.views_publish(user_id=member.user_id, view=home_view(screen),
                                              **({"hash": view_hash} if view_hash else {}))
        except SlackApiError as error:
            if error.response.get("error") != "hash_conflict":
                raise
            log.info("the Sales tab of %s changed meanwhile: the newer screen is kept", member.user_id)

    def act(self, body: dict[str, Any]) -> None:
        """After the ack: the member's next screen, published."""
        view = body.get("view") or {}
        action = (body.get("actions") or [{}])[0]
        member = self.services.member(str(body["user"]["id"]))
        if not member.connected_orgs:
            return
        self.publish(member, next_nav(action, decode(view.get("private_metadata"))), view.get("hash"))


def _ack(ack: Ack) -> None:
    ack()


def register(app: App, services: Services) -> SalesTab:
    """Listen to the Sales tab's actions on ``app`` (ack at once, the work in a lazy listener); return the tab."""
    tab = SalesHome(services)

    def act(body: dict[str, Any]) -> None:
        tab.act(body)

    for action in Action:
        if action in LINKS:
            app.action(action.value)(_ack)
        else:
            app.action(action.value)(ack=_ack, lazy=[act])
    return tab
