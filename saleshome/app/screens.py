"""The Home tab's screens the app's core shows: connect Salesforce, and no access; in the member's language.

- **No access** (:func:`access_view`): the member holds the Sales Home permission set in none of their orgs (as
  last synced; or no org maps them): one screen saying so and whom to ask (the workspace's sales admins), and
  nothing else — no org, no list, no button.
- **Connect** (:func:`connect_view`): the member has access but has connected Salesforce in none of those orgs:
  a "Connect Salesforce" link button per org (a fresh single-use link, :mod:`.oauth`), and why an earlier
  attempt was refused (``member_notices``).

The Sales tab (:mod:`saleshome.app.home`) may show :func:`connect_button` for an org whose connection ended,
and :func:`disconnect_button` for a connected one (the core handles both actions).
Views follow Slack's "Reference: View objects" (type ``home``) and Block Kit's limits (a button's text ≤ 75
characters, a ``url`` ≤ 3,000).
"""

from __future__ import annotations

from typing import Any

from saleshome.i18n import Messages, messages

from .connections import Notice, Refusal
from .services import Member, MemberOrg

__all__ = [
    "CONNECT_ACTION", "DISCONNECT_ACTION", "access_view", "connect_button", "connect_view", "disconnect_button",
    "refusal_text",
]

CONNECT_ACTION = "connect_salesforce"
DISCONNECT_ACTION = "disconnect_salesforce"
PERMISSION_SET_LABEL = "Slack Sales Home User"


def _texts(locale: str) -> Messages:
    return messages(locale, "app")


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _escape(text: str) -> str:
    """Text from elsewhere (an org's name) shown as written: no mention, link or formatting (Slack's escaping)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _org_label(org: MemberOrg) -> str:
    return _escape(org.org_name or org.alias)


def access_view(member: Member, admins: list[str], permission_set: str = PERMISSION_SET_LABEL) -> dict[str, Any]:
    """The one screen of a member without the permission set."""
    m = _texts(member.locale)
    ask = (m.gettext("Ask a sales admin to have it assigned to you: {admins}.",
                     admins=", ".join(f"<@{a}>" for a in admins)) if admins else
           m.gettext("Ask your Salesforce administrator to assign it to you."))
    return {"type": "home", "callback_id": "sales_home_no_access", "blocks": [
        {"type": "header", "text": _plain(m.gettext("Sales Home"))},
        _section("*" + m.gettext("You do not have access to Sales Home.") + "*"),
        _section(m.gettext("Sales Home is for Salesforce users who hold the “{permission_set}” permission set.",
                           permission_set=_escape(permission_set)) + " " + ask),
        {"type": "context", "elements": [{"type": "mrkdwn", "text": m.gettext(
            "Once it is assigned, Sales Home appears here after the next Salesforce sync.")}]},
    ]}


def refusal_text(reason: Refusal, locale: str, org: str) -> str:
    """Why a connection was refused, for the member (org: the org's name as shown)."""
    m = _texts(locale)
    texts = {
        Refusal.LINK: m.gettext("That connection link had expired or was used already. Use a new one below."),
        Refusal.DENIED: m.gettext("Salesforce did not allow the connection to {org}. Try again, and allow access.",
                                  org=org),
        Refusal.OTHER_ORG: m.gettext("You logged in to another Salesforce org than {org}. Log in to {org}.", org=org),
        Refusal.NOT_MAPPED: m.gettext(
            "The Salesforce user you logged in as in {org} is not the one linked to your Slack account. Log in as "
            "the Salesforce user with your Slack email address, or ask a sales admin to approve your mapping.",
            org=org),
        Refusal.NO_ACCESS: m.gettext("You do not hold the Sales Home permission set in {org}.", org=org),
        Refusal.EXPIRED: m.gettext("Your connection to {org} has ended in Salesforce. Connect again.", org=org),
    }
    return texts[reason]


def connect_button(org: MemberOrg, url: str, locale: str) -> dict[str, Any]:
    """A link button to Salesforce's authorize page (Slack sends a block_actions too: the core acknowledges it)."""
    m = _texts(locale)
    return {"type": "button", "action_id": f"{CONNECT_ACTION}:{org.alias}", "value": org.alias, "url": url,
            "style": "primary", "text": _plain(m.gettext("Connect Salesforce"))}


def disconnect_button(org: MemberOrg, locale: str) -> dict[str, Any]:
    """Disconnect (revokes the member's token in Salesforce), with Slack's confirmation dialog."""
    m = _texts(locale)
    return {"type": "button", "action_id": f"{DISCONNECT_ACTION}:{org.alias}", "value": org.alias,
            "text": _plain(m.gettext("Disconnect Salesforce")),
            "confirm": {"title": _plain(m.gettext("Disconnect Salesforce?")),
                        "text": _plain(m.gettext("Sales Home will no longer read Salesforce as you in {org}.",
                                                 org=(org.org_name or org.alias)[:200])),
                        "confirm": _plain(m.gettext("Disconnect")), "deny": _plain(m.gettext("Cancel"))}}


def connect_view(member: Member, links: dict[str, str], notices: list[Notice],
                 link_minutes: int) -> dict[str, Any]:
    """The Connect screen: one button per org the member has access in (``links``: alias → authorize URL)."""
    m = _texts(member.locale)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(m.gettext("Sales Home"))},
        _section(m.gettext("Connect your Salesforce account to see your lists and records here, with your own "
                           "Salesforce access.")),
    ]
    names = {o.alias: _org_label(o) for o in member.orgs}
    for notice in notices:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": ":warning: " + refusal_text(
            notice.reason, member.locale, names.get(notice.alias, _escape(notice.alias)))}]})
    for org in member.orgs:
        if org.sales_home_user and not org.connected and org.alias in links:
            blocks.append({**_section("*" + _org_label(org) + "*"),
                           "accessory": connect_button(org, links[org.alias], member.locale)})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": m.ngettext(
        "A connection link is valid for {n} minute: open this tab again for a new one.",
        "A connection link is valid for {n} minutes: open this tab again for a new one.", link_minutes)}]})
    return {"type": "home", "callback_id": "sales_home_connect", "blocks": blocks}
