"""What the Slack app's handlers are given: the seam between the app's core and the Sales tab.

The core (:mod:`saleshome.app.server`) builds one :class:`Services` per process and hands it to every
handler, and to the Sales tab's hook (:data:`HomeHook`, provided by :mod:`saleshome.app.home`):

- ``settings``: the process's :class:`~saleshome.config.Settings`, read once at start;
- ``control``: the control store's one handle (:class:`~saleshome.warehouse.control.ControlDB`): the app
  reads it and writes only its own tables (events, connections, notices); it never opens an org's warehouse;
- ``slack``: the bot's :class:`~slack_sdk.WebClient` (``views.publish``/``views.update``, ...);
- ``session(user_id, alias)``: a Salesforce session *as that member* (:class:`MemberSession`): their own
  OAuth token, refreshed with their refresh token when Salesforce says the session is invalid; raises
  :class:`NotConnectedError` when they have no connection to that org (or it was revoked: reconnect);
- ``member(user_id)``: who a member is for Sales Home (:class:`Member`): their orgs, where they hold the
  permission set and where they are connected, their locale;
- ``connect_link(member, alias)``: a fresh single-use link to Salesforce's login for a "Connect Salesforce"
  button (e.g. when a connection ended: :func:`saleshome.app.screens.connect_button` builds the button, and
  :func:`~saleshome.app.screens.disconnect_button` the way out).

The Sales tab's hook, ``register(app, services) -> SalesTab``, registers its own listeners (actions, options,
view submissions) on the Bolt ``app`` and returns what the core calls when a member with access and a
connection opens the Home tab: ``SalesTab.publish(member)``.  It is called after the ack (never within
Slack's 3 seconds), so it may call Salesforce.  The core itself shows the two other screens (connect
Salesforce; no access) and handles ``connect_salesforce``/``disconnect_salesforce`` actions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from saleshome.errors import FatalError

if TYPE_CHECKING:
    from slack_bolt import App
    from slack_sdk import WebClient

    from saleshome.config import Settings
    from saleshome.warehouse.control import ControlDB

__all__ = [
    "HomeHook", "Member", "MemberOrg", "MemberSession", "NotConnectedError", "SalesTab", "Services",
]


class NotConnectedError(FatalError):
    """The member has no (working) Salesforce connection to this org: they must connect (again)."""

    def __init__(self, message: str, *, alias: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint or "choose \"Connect Salesforce\" in Sales Home's Home tab")
        self.alias = alias


@dataclass(frozen=True)
class MemberOrg:
    """One org a Slack user is mapped in (``user_map``)."""

    alias: str
    org_name: str | None
    sf_user_id: str
    sales_home_user: bool  # holds the Sales Home permission set, as last synced
    connected: bool  # has a Salesforce connection (a refresh token) to this org


@dataclass(frozen=True)
class Member:
    """A Slack user as Sales Home knows them."""

    user_id: str  # Slack (U…)
    team_id: str | None
    locale: str  # BCP 47 (en-US, fr-FR): the language of their screens
    orgs: tuple[MemberOrg, ...] = field(default_factory=tuple)

    @property
    def has_access(self) -> bool:
        """Holds the permission set in at least one org."""
        return any(o.sales_home_user for o in self.orgs)

    @property
    def connected_orgs(self) -> tuple[MemberOrg, ...]:
        """The orgs the Sales tab shows: with the permission set and a connection."""
        return tuple(o for o in self.orgs if o.sales_home_user and o.connected)


class MemberSession(Protocol):
    """Salesforce as one member (their token): every call sees only what their access allows."""

    alias: str
    sf_user_id: str
    instance_url: str
    api_version: str  # the org's (vNN.N without the v: "62.0")

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET ``path`` (``/services/data/v62.0/ui-api/...`` or a full URL on the instance) as JSON; an invalid
        session is refreshed once and the call made again; raises :class:`NotConnectedError` when the refresh
        token is refused, :class:`~saleshome.errors.RetriableError` when Salesforce cannot be reached."""
        ...

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Any call (``requests.Response``), with the same refresh as :meth:`get_json`; the caller reads errors."""
        ...


class SalesTab(Protocol):
    """What the Sales tab's hook gives the core."""

    def publish(self, member: Member) -> None:
        """``views.publish`` the member's Sales tab (they have access and at least one connection)."""
        ...


@dataclass(frozen=True)
class Services:
    """What every handler gets (one per app process; see the module docstring)."""

    settings: Settings
    control: ControlDB
    slack: WebClient
    session: Callable[[str, str], MemberSession]  # (Slack user id, org alias) → their Salesforce session
    member: Callable[[str], Member]  # Slack user id → who they are for Sales Home
    connect_link: Callable[[Member, str], str]  # (member, org alias) → a fresh "Connect Salesforce" link (single use)


HomeHook = Callable[["App", Services], SalesTab]
"""``saleshome.app.home.register``: registers the Sales tab's listeners, returns what publishes it."""
