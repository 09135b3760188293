"""The Home tab's entry: which screen a member sees when they open Sales Home, and the connection actions.

``app_home_opened`` (tab ``home``; Events API) is acknowledged at once (Bolt acks an event before its listener
runs, the listener running on Bolt's executor), then: a member without the Sales Home permission set gets the
access screen; one with it but no connection, the Connect screen; one connected, the Sales tab
(:func:`saleshome.app.home.publish_home`, at its start; with the process's metadata cache, ``Entry.cache``, which
the Sales tab's clicks share: records are read afresh, object infos, list views and list infos kept a minute).
``connect_salesforce:*`` (a link button: the browser opens the URL; Slack also
sends the action, which must be acknowledged) and ``disconnect_salesforce:*`` (revoke, forget, publish the
Home tab again) are handled here too.
"""

from __future__ import annotations

import logging
import re
import threading
from concurrent.futures import Executor
from datetime import timedelta
from typing import Any

from slack_bolt import Ack, App

from saleshome.errors import ConfigurationError, SalesHomeError

from .connections import Connections
from .home import HomeServices, Nav, publish_home
from .home.cache import MetadataCache
from .members import sales_admins
from .oauth import authorize_url
from .screens import CONNECT_ACTION, DISCONNECT_ACTION, access_view, connect_view
from .services import Member, Services
from .tokens import TokenCipher

__all__ = ["Entry"]

log = logging.getLogger(__name__)


class Entry:
    """Publishes a member's Home tab; the connection actions."""

    def __init__(self, services: Services, connections: Connections, cipher: TokenCipher, redirect_uri: str) -> None:
        self.services = services
        self.connections = connections
        self.cipher = cipher
        self.redirect_uri = redirect_uri
        self.tab: HomeServices | None = None  # the Sales tab's services (set once they are made)
        self.cache = MetadataCache()  # the Sales tab's metadata, shared with its click handlers (server.build)
        self.readers: Executor | None = None  # the Sales tab's reading threads, shared likewise (server.build)
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self, user_id: str) -> threading.Lock:
        """One member's publishes in this process, one at a time: a slow Sales tab (read from Salesforce) never
        lands after the Connect screen a disconnect published meanwhile."""
        with self._guard:
            return self._locks.setdefault(user_id, threading.Lock())

    def register(self, app: App) -> None:
        app.event("app_home_opened")(self._home_opened)
        app.action(re.compile(f"^{CONNECT_ACTION}:"))(self._connect_clicked)
        app.action(re.compile(f"^{DISCONNECT_ACTION}:"))(ack=self._ack, lazy=[self._disconnect])

    # --- listeners ----------------------------------------------------------------------------------------
    def _home_opened(self, event: dict[str, Any]) -> None:
        if event.get("tab") == "home" and event.get("user"):
            shown = event.get("view")  # the Home tab the member was shown when they opened it (Slack sends it)
            self.publish(str(event["user"]), view_hash=shown.get("hash") if isinstance(shown, dict) else None)

    @staticmethod
    def _ack(ack: Ack) -> None:
        ack()

    def _connect_clicked(self, ack: Ack) -> None:
        ack()  # the link button opened Salesforce in the browser; nothing else to do here

    def _disconnect(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        user = str(body["user"]["id"])
        alias = str(action.get("value") or "")
        try:
            self.connections.disconnect(user, alias)
        except SalesHomeError as exc:
            log.warning("member %s could not disconnect org %s: %s", user, alias, exc.message)
        self.publish(user)

    # --- the screens --------------------------------------------------------------------------------------
    def publish(self, user_id: str, *, view_hash: str | None = None) -> None:
        """``views.publish`` the screen ``user_id`` should see now.  ``view_hash``: the hash of the Home tab an
        ``app_home_opened`` came with; the Sales tab is published with it, so an opening handled after the
        member's next click (a late or retried delivery) never overwrites the newer screen (``hash_conflict``:
        kept)."""
        with self._lock(user_id):
            member = self.services.member(user_id)
            if member.has_access and member.connected_orgs and self.tab is not None:
                publish_home(self.services.slack, self.tab, user_id, Nav(), view_hash, cache=self.cache,
                             readers=self.readers)
                return
            self.services.slack.views_publish(user_id=user_id, view=self.view(member))

    def publish_connect(self, user_id: str) -> None:
        """The Connect screen (the Sales tab's "Reconnect"): the orgs with access but no working connection."""
        with self._lock(user_id):
            self.services.slack.views_publish(user_id=user_id, view=self.view(self.services.member(user_id)))

    def view(self, member: Member) -> dict[str, Any]:
        """The access screen of ``member`` when they have no access anywhere, else their Connect screen."""
        settings = self.services.settings
        if not member.has_access:
            return access_view(member, sales_admins(self.services.control, settings.workspace),
                               settings.sales_home_permission_set)
        ttl = timedelta(seconds=settings.oauth_state_seconds)
        links = {}
        for org in member.orgs:
            if org.sales_home_user and not org.connected:
                try:
                    client = self.connections.org_client(org.alias)
                except ConfigurationError as exc:  # that org's credentials cannot be read: the others still show
                    log.warning("no Connect link for org %s: %s", org.alias, exc.message)
                    continue
                links[org.alias] = authorize_url(self.services.control, self.cipher, client, user_id=member.user_id,
                                                 team_id=member.team_id, redirect_uri=self.redirect_uri, ttl=ttl)
        return connect_view(member, links, self.connections.notices(member.user_id),
                            max(1, round(settings.oauth_state_seconds / 60)))
