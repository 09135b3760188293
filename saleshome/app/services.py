"""What the Slack app's handlers are given, one per app process.

- ``settings``: the process's :class:`~saleshome.config.Settings`, read once at start;
- ``control``: the control store's one handle (:class:`~saleshome.warehouse.control.ControlDB`): the app
  reads it and writes only its own tables (events, connections, notices); handlers never open an org's warehouse
  (only the refresher after a save does, through the pipeline: :mod:`.refresh`);
- ``slack``: the bot's :class:`~slack_sdk.WebClient` (``views.publish``/``views.update``, ...);
- ``session(user_id, alias)``: Salesforce *as that member* (:class:`MemberSession`): the one UI API client
  (:meth:`MemberSession.ui_api`) with their own OAuth token, refreshed with their refresh token when Salesforce
  says the session is invalid; raises
  :class:`NotConnectedError` when they have no working connection to that org (reconnect);
- ``member(user_id)``: who a member is for Sales Home (:class:`Member`): their orgs, where they hold the
  permission set and where they are connected, their locale and time zone;
- ``connect_link(member, alias)``: a fresh single-use link to Salesforce's login for a "Connect Salesforce"
  button (:func:`saleshome.app.screens.connect_button`; :func:`~saleshome.app.screens.disconnect_button` is the
  way out, both handled by the core).

The Sales tab (:mod:`saleshome.app.home`) sees the app through its own protocol, ``HomeServices``, which
:class:`saleshome.app.tab.TabServices` implements over these.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from saleshome.errors import FatalError

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from saleshome.config import Settings
    from saleshome.salesforce.ui_api import UiApi
    from saleshome.warehouse.control import ControlDB

__all__ = ["Member", "MemberOrg", "MemberSession", "NotConnectedError", "Services"]


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
    tz: str | None = None  # their Slack time zone (dates shown in it)
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

    def ui_api(self) -> UiApi:
        """The User Interface API as this member (:class:`saleshome.salesforce.ui_api.UiApi`): an invalid session
        is refreshed once by the client and the call made again; the client's errors
        (:class:`~saleshome.salesforce.ui_api.MemberSessionExpired` when the member must connect again, ...)."""
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

