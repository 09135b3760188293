"""The "My notifications" screen of the Home tab: a member's own subscriptions, readable, each with Pause/Resume,
Edit and Delete (Slack's confirmation dialog first).

Pure: :func:`listing_view` makes the Home view of :class:`Listed` rows (what :mod:`.handlers` read from the
settings API — the acting member's subscriptions only — and labelled as the member reads Salesforce).
Invariants: every word from the ``app`` catalog in the member's language; every name from Salesforce escaped
(:mod:`saleshome.slack.text`); at most 100 blocks (rows beyond the room are counted); a button's value is the
subscription's id only (the handlers check it is the acting member's before anything changes);
``private_metadata`` keeps where the member was in the Sales tab, for "Back".
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from saleshome.i18n import Messages
from saleshome.slack.text import HEADER_TEXT_MAX, SECTION_TEXT_MAX, escape, escape_within, truncate

from ..home.blocks import MY_NOTIFICATIONS_ACTION
from .words import OPERATOR_LABELS, delivery_label, hour_label, scope_label, template_label

__all__ = ["CALLBACK_ID", "Listed", "ListedCondition", "SubsAction", "back_of", "listing_view"]

CALLBACK_ID = "sales_home_subscriptions"
MAX_VIEW_BLOCKS = 100
BUTTON_TEXT_MAX = 75
META_VERSION = 1


class SubsAction(StrEnum):
    """The ``action_id`` of every element of the screen and of the Sales tab's entry to it."""

    OPEN = MY_NOTIFICATIONS_ACTION  # the Sales tab's button (saleshome.app.home.blocks)
    NEW = "sales_home_subs_new"
    EDIT = "sales_home_subs_edit"
    PAUSE = "sales_home_subs_pause"
    RESUME = "sales_home_subs_resume"
    DELETE = "sales_home_subs_delete"
    BACK = "sales_home_subs_back"


@dataclass(frozen=True)
class ListedCondition:
    field: str  # the field's label, as the member reads it
    op: str
    value: str  # already formatted for the member


@dataclass(frozen=True)
class Listed:
    """One subscription as the member reads it."""

    id: str
    org: str  # the org's label
    template: str
    object: str  # the object's label
    scope: str
    conditions: Sequence[ListedCondition]
    delivery: str
    hour: int
    paused: bool
    options: str = ""  # the template's options, in words ("Closed Won, Negotiation")


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(text or "—", limit), "emoji": True}


def _button(text: str, action: SubsAction, value: str, *, style: str | None = None,
            confirm: dict[str, Any] | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {"type": "button", "action_id": action.value, "value": value,
                              "text": _plain(text, BUTTON_TEXT_MAX)}
    if style:
        button["style"] = style
    if confirm:
        button["confirm"] = confirm
    return button


def describe(item: Listed, words: Messages, *, several_orgs: bool) -> str:
    """The row's text: what, on which records, how it is delivered."""
    head = f"*{escape(template_label(item.template, words))}* · {escape_within(item.object, 200)}"
    if several_orgs:
        head += f" · {escape_within(item.org, 200)}"
    lines = [head]
    if item.options:
        lines.append(escape_within(item.options, 1000))
    scope = scope_label(item.scope, words)
    if item.conditions:
        tests = [f"{escape_within(c.field, 200)} {OPERATOR_LABELS[c.op](words) if c.op in OPERATOR_LABELS else c.op}"
                 + (f" {escape_within(c.value, 300)}" if c.value else "") for c in item.conditions]
        scope += words.gettext(": {conditions}", conditions=words.gettext(" and ").join(tests))
    lines.append(scope)
    delivery = delivery_label(item.delivery, words)
    if item.delivery == "digest":
        delivery = words.gettext("In my daily digest at {hour}", hour=hour_label(item.hour, words))
    lines.append(delivery)
    if item.paused:
        lines.append("_" + words.gettext("Paused") + "_")
    return truncate("\n".join(lines), SECTION_TEXT_MAX)


def _row(item: Listed, words: Messages, several_orgs: bool) -> list[dict[str, Any]]:
    confirm = {"title": _plain(words.gettext("Delete this notification?"), 100),
               "text": _plain(words.gettext("You will no longer receive it. This cannot be undone."), 300),
               "confirm": _plain(words.gettext("Delete"), 30), "deny": _plain(words.gettext("Cancel"), 30),
               "style": "danger"}
    pause = (_button(words.gettext("Resume"), SubsAction.RESUME, item.id) if item.paused
             else _button(words.gettext("Pause"), SubsAction.PAUSE, item.id))
    return [{"type": "section", "block_id": f"subs_item_{item.id}"[:255],
             "text": {"type": "mrkdwn", "text": describe(item, words, several_orgs=several_orgs)}},
            {"type": "actions", "block_id": f"subs_actions_{item.id}"[:255], "elements": [
                pause, _button(words.gettext("Edit"), SubsAction.EDIT, item.id),
                _button(words.gettext("Delete"), SubsAction.DELETE, item.id, style="danger", confirm=confirm)]}]


def encode_back(back: str | None) -> str:
    return json.dumps({"subs": META_VERSION, **({"back": back} if back else {})}, separators=(",", ":"))


def back_of(private_metadata: str | None) -> str | None:
    """The Sales tab's place kept by the screen (its own ``private_metadata``), None when there is none."""
    try:
        data: Any = json.loads(private_metadata or "")
    except ValueError:
        return None
    back = data.get("back") if isinstance(data, dict) and data.get("subs") == META_VERSION else None
    return back if isinstance(back, str) else None


def listing_view(items: Sequence[Listed], words: Messages, *, back: str | None = None,
                 notice: str | None = None, several_orgs: bool = False) -> dict[str, Any]:
    """The Home view listing ``items`` (the member's own), with "New notification" and "Back to Sales"."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(words.gettext("My notifications"), HEADER_TEXT_MAX)},
        {"type": "section", "block_id": "subs_intro", "text": {"type": "mrkdwn", "text": escape(words.gettext(
            "Notifications you set up for yourself, about the records you can see in Salesforce."))}},
        {"type": "actions", "block_id": "subs_top", "elements": [
            _button(words.gettext("New notification"), SubsAction.NEW, "new", style="primary"),
            _button(words.gettext("Back to Sales"), SubsAction.BACK, "back")]},
    ]
    if notice:
        blocks.append({"type": "context", "block_id": "subs_notice",
                       "elements": [{"type": "mrkdwn", "text": ":warning: " + escape(notice)}]})
    blocks.append({"type": "divider"})
    if not items:
        blocks.append({"type": "section", "block_id": "subs_none", "text": {"type": "mrkdwn", "text": escape(
            words.gettext("You have no notifications yet. Choose “New notification” to set one up."))}})
    room = MAX_VIEW_BLOCKS - len(blocks) - 1
    shown = 0
    for item in items:
        if room < 2:
            break
        blocks += _row(item, words, several_orgs)
        room -= 2
        shown += 1
    if shown < len(items):
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape(words.gettext(
            "…and {n} more", n=len(items) - shown))}]})
    return {"type": "home", "callback_id": CALLBACK_ID, "private_metadata": encode_back(back), "blocks": blocks}


def notice_text(kind: str, words: Messages) -> str:
    """What the member is told at the top of the screen after something did not happen."""
    if kind == "not_yours":
        return words.gettext("That notification does not exist, or is not yours: nothing was changed.")
    if kind == "unavailable":
        return words.gettext("Salesforce is not answering right now. Try again in a moment.")
    return words.gettext("Your Salesforce session has expired. Reconnect to see your lists again.")
