"""The member's Sales tab in Slack: their orgs, the admins' lists, list views, records, a record's layout.

Pure parts (the UI API's answers are typed by the one client, :mod:`saleshome.salesforce.ui_api`):
:mod:`.values` (formatted as messages are), :mod:`.layout` (which fields a record shows),
:mod:`.state` (where the member is, in ``private_metadata``), :mod:`.blocks` (the Home view within
Slack's limits); :mod:`.screen` reads Salesforce as the member; :mod:`.handlers` wires Bolt's actions
(ack at once, then Salesforce and ``views.publish``), with :mod:`.cache` keeping object infos and
list views between clicks.  Prefect-free: an entrance of its own.
"""

from __future__ import annotations

from .blocks import Action, HomeScreen, home_view
from .handlers import HomeServices, next_nav, publish_home, register
from .screen import Member, MemberUiApi, OrgView, load_screen
from .state import Nav, decode, encode

__all__ = ["Action", "HomeScreen", "HomeServices", "Member", "MemberUiApi", "Nav", "OrgView", "decode", "encode",
           "home_view", "load_screen", "next_nav", "publish_home", "register"]
