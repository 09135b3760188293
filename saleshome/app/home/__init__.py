"""The Sales tab (helper ``sales-tab`` builds it: this placeholder is replaced by its branch).

The hook the app's core calls (:data:`saleshome.app.services.HomeHook`): ``register(app, services)`` registers
the tab's listeners on the Bolt app and returns the :class:`~saleshome.app.services.SalesTab` that publishes a
connected member's tab.  Until the real tab lands, it publishes the member's connected orgs with a Disconnect
button each.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from saleshome.app.screens import disconnect_button
from saleshome.app.services import Member, SalesTab, Services

__all__ = ["register"]


class _Placeholder:
    def __init__(self, services: Services) -> None:
        self.services = services

    def publish(self, member: Member) -> None:
        blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": "Sales Home"}}]
        for org in member.connected_orgs:
            blocks.append({"type": "section", "text": {"type": "plain_text", "text": org.org_name or org.alias},
                           "accessory": disconnect_button(org, member.locale)})
        self.services.slack.views_publish(user_id=member.user_id, view={"type": "home", "blocks": blocks})


def register(app: App, services: Services) -> SalesTab:
    return _Placeholder(services)
