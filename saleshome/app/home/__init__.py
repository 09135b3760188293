"""The member's Sales tab in Slack: their orgs, the admins' lists, list views, records, a record's layout.

Pure parts: :mod:`.model` (UI API answers as values), :mod:`.values` (formatted as messages are),
:mod:`.state` (where the member is, in ``private_metadata``), :mod:`.blocks` (the Home view within
Slack's limits); :mod:`.screen` reads Salesforce as the member (:mod:`.session`: over their own
session); :mod:`.handlers` is the hook the app's core calls, ``register(app, services)``: Bolt's
actions (ack at once, then Salesforce and ``views.publish``) and the tab's publisher.
"""

from __future__ import annotations

from .blocks import Action, HomeScreen, home_view
from .handlers import SalesHome, next_nav, register
from .screen import Member, MemberUiApi, NoAccess, NotFound, OrgView, ReconnectNeeded, load_screen
from .state import Nav, decode, encode

__all__ = ["Action", "HomeScreen", "Member", "MemberUiApi", "Nav", "NoAccess", "NotFound", "OrgView",
           "ReconnectNeeded", "SalesHome", "decode", "encode", "home_view", "load_screen", "next_nav", "register"]
