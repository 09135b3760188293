"""Bolt action handlers of the Sales tab: ack at once, then read Salesforce as the member and publish.

Slack wants every interaction acknowledged within 3 seconds ("Handling user interaction":
``ack()``); reading Salesforce can take longer, so each action is registered as a Bolt *lazy
listener* (Bolt for Python, "Lazy listeners"): ``ack`` answers at once, the lazy function then
computes where the member goes (:func:`next_nav`, pure), reads that screen with their own
Salesforce session (:class:`HomeServices`, :func:`.screen.load_screen`) and publishes it with
``views.publish`` and the view's ``hash``: a screen computed from a view Slack no longer shows never
overwrites the newer one (Slack answers ``hash_conflict``; the newer screen stays).

Where the member is comes from the view Slack sends back (``view.private_metadata``, :mod:`.state`):
the app keeps no per-member navigation state; object infos, list views and list infos are kept a
minute (:mod:`.cache`, one per app process: :func:`register` is given the one the core's
``app_home_opened`` publishes with), records never.  "View in Salesforce" is a
link button: Slack opens the URL and still sends the action, which is only acknowledged.
"Reconnect" hands the member to the core's connect screen (:meth:`HomeServices.reconnect`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from .blocks import Action, home_view, parse_list_option_value
from .cache import CachedUiApi, MetadataCache
from .screen import Member, MemberUiApi, OrgView, load_screen
from .state import Nav, decode

__all__ = ["HomeServices", "next_nav", "publish_home", "register"]

log = logging.getLogger(__name__)


class HomeServices(Protocol):
    """What the Sales tab needs from the app (``saleshome.app.tab.TabServices`` implements it)."""

    def member(self, user_id: str) -> Member:
        """The Slack user's locale and time zone."""
        ...

    def orgs(self, user_id: str) -> Sequence[OrgView]:
        """The orgs the member has connected, with the admins' settings of each (empty: none connected)."""
        ...

    def ui_api(self, user_id: str, alias: str) -> MemberUiApi:
        """The member's own UI API session on ``alias`` (the client's ``MemberSessionExpired`` when it no longer works)."""
        ...

    def reconnect(self, user_id: str, client: WebClient) -> None:
        """Show the member the screen that connects (or reconnects) their Salesforce account."""
        ...


class BoltApp(Protocol):
    """The part of ``slack_bolt.App`` used here: ``app.action(action_id)(ack=..., lazy=[...])``."""

    def action(self, constraints: str) -> Callable[..., Any]: ...


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


def publish_home(client: WebClient, services: HomeServices, user_id: str, nav: Nav, view_hash: str | None = None,
                 *, cache: MetadataCache | None = None, readers: Executor | None = None) -> None:
    """Read ``nav``'s screen as the member and publish it as their Home tab (the connect screen when they have
    no org connected).  ``cache``: metadata kept from earlier screens (:mod:`.cache`; None: all read now);
    ``readers``: the app's threads for the screen's independent calls (:func:`.screen.load_screen`).
    A ``hash_conflict`` means a newer screen is already there: it is kept."""
    orgs = services.orgs(user_id)
    if not orgs:
        services.reconnect(user_id, client)
        return

    def api_for(alias: str) -> MemberUiApi:
        api = services.ui_api(user_id, alias)
        return api if cache is None else CachedUiApi(api, cache, user_id, alias)

    screen = load_screen(api_for, services.member(user_id), orgs, nav, readers=readers)
    try:
        client.views_publish(user_id=user_id, view=home_view(screen), **({"hash": view_hash} if view_hash else {}))
    except SlackApiError as error:
        if error.response.get("error") != "hash_conflict":
            raise
        log.info("the Sales tab of %s changed meanwhile: the newer screen is kept", user_id)


def _ack(ack: Callable[[], None]) -> None:
    ack()


def register(app: BoltApp, services: HomeServices, cache: MetadataCache | None = None,
             readers: Executor | None = None) -> None:
    """Listen to every action of the Sales tab on ``app`` (ack at once, the work in a lazy listener)."""
    kept = cache if cache is not None else MetadataCache()

    def act(body: dict[str, Any], client: WebClient) -> None:
        user_id = str(body["user"]["id"])
        view = body.get("view") or {}
        action = (body.get("actions") or [{}])[0]
        if action.get("action_id") == Action.RECONNECT:
            services.reconnect(user_id, client)
            return
        nav = next_nav(action, decode(view.get("private_metadata")))
        publish_home(client, services, user_id, nav, view.get("hash"), cache=kept, readers=readers)

    for action in Action:
        if action is Action.VIEW_IN_SALESFORCE:
            app.action(action.value)(_ack)  # a link: Slack opens it, the app only acknowledges
        else:
            app.action(action.value)(ack=_ack, lazy=[act])
