"""What a celebration says, in its reader's language: the channel message and the owner's profile banner.

**The message** (read in a channel: the workspace's default locale).  The admin's template
(``settings.celebrations.message``) is used as written; the default template — the one admins
get when they write none (:data:`saleshome.settings.model.DEFAULT_MESSAGE`) — comes from the
``celebrate`` catalog in the channel's language (a variant without the account or the amount
when the deal has none).  Either way the placeholders are filled with values formatted for that
locale: the amount with its currency (``CurrencyIsoCode``, else the org's default), the close
date as a date, the stage by its label, the owner as a mention when they have a Slack account.
Every value from Salesforce is neutralised (:func:`saleshome.slack.text.escape`): it cannot
mention, link or format.  Under it, the day of the signature and a "View in Salesforce" button.

**The banner** (read on the owner's profile: the owner's Slack locale).  Plain text from the
catalog — amount and deal first, the account last — at most :data:`STATUS_TEXT_MAX` characters,
cut at a word boundary with an ellipsis, so what is lost first is the end of the account name.
Its emoji is the one the admin's template starts with (``:tada:`` by default).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from saleshome.i18n import Formatter, Messages, messages
from saleshome.i18n.formatting import NULL
from saleshome.settings.model import DEFAULT_MESSAGE, CelebrationSettings
from saleshome.settings.templates import render_template
from saleshome.slack.text import SECTION_TEXT_MAX, escape, truncate

DOMAIN = "celebrate"
# The banner is set with users.profile.set (https://api.slack.com/methods/users.profile.set: "Set a user's
# profile information, including custom status"); Slack's custom-status guide (https://api.slack.com/docs/presence)
# says status_text is "a string of no more than 100 characters; does not support markup or other formatting,
# like user mentions" — so the banner is plain text, values as written.
STATUS_TEXT_MAX = 100
DEFAULT_EMOJI = ":tada:"
ELLIPSIS = "…"
OPEN_ACTION = "celebration_open_opportunity"
_LEADING_EMOJI = re.compile(r"^\s*(:[a-z0-9_+'-]+:)")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DANGLING = " :,;—–-·("  # separators a cut may leave at the end


def opportunity_url(instance_url: str, opportunity_id: str) -> str:
    """The opportunity's page in Lightning Experience."""
    return f"{instance_url.rstrip('/')}/lightning/r/Opportunity/{opportunity_id}/view"


@dataclass(frozen=True)
class Deal:
    """One won opportunity, as the detection query returns it."""

    opportunity_id: str
    name: str | None
    stage: str | None  # the API value (StageName)
    amount: float | None
    currency: str | None  # CurrencyIsoCode, else the org's default
    close_date: date | None
    owner_id: str | None
    owner_name: str | None
    account_name: str | None
    signed_at: datetime
    stage_label: str | None = None  # the stage's label when the warehouse knows it

    @staticmethod
    def from_row(row: dict[str, Any]) -> Deal:
        return Deal(
            opportunity_id=row["opportunity_id"], name=row["name"], stage=row["stage"],
            amount=None if row["amount"] is None else float(row["amount"]), currency=row["currency"],
            close_date=row["close_date"], owner_id=row["owner_id"], owner_name=row["owner_name"],
            account_name=row["account_name"], signed_at=row["signed_at"], stage_label=row.get("stage_label"),
        )


def _clean(value: str | None) -> str:
    """A value from Salesforce on one line (control characters and runs of spaces as one space)."""
    return " ".join(_CONTROL.sub(" ", value or "").split())


def _default_template(m: Messages, deal: Deal) -> str:
    """The default message in ``m``'s language: the catalog's variant for what the deal has."""
    if deal.amount is None and not _clean(deal.account_name):
        return m.gettext(":tada: {owner} just won *{opportunity}*!")
    if deal.amount is None:
        return m.gettext(":tada: {owner} just won *{opportunity}* with {account}!")
    if not _clean(deal.account_name):
        return m.gettext(":tada: {owner} just won *{opportunity}*: {amount}!")
    return m.gettext(":tada: {owner} just won *{opportunity}* with {account}: {amount}!")


def message_text(settings: CelebrationSettings, deal: Deal, slack_user_id: str | None, *, locale: str) -> str:
    """The celebration message as mrkdwn for readers of ``locale``: values formatted and neutralised."""
    m, f = messages(locale, DOMAIN), Formatter.for_reader(locale, None)

    def text(value: str | None) -> str:
        return escape(_clean(value)) or NULL

    owner = f"<@{slack_user_id}>" if slack_user_id else (text(deal.owner_name) if _clean(deal.owner_name)
                                                         else m.gettext("A teammate"))
    values = {
        "owner": owner,
        "opportunity": text(deal.name),
        "account": text(deal.account_name),
        "amount": escape(f.money(deal.amount, deal.currency)),
        "close_date": f.date(deal.close_date),
        "stage": text(deal.stage_label or deal.stage),
    }
    template = _default_template(m, deal) if settings.message == DEFAULT_MESSAGE else settings.message
    return truncate(render_template(template, values), SECTION_TEXT_MAX)


def message_blocks(text: str, url: str, deal: Deal, *, locale: str) -> list[dict[str, Any]]:
    """The message, the day of the signature, and a button to the opportunity (labels in ``locale``)."""
    m, f = messages(locale, DOMAIN), Formatter.for_reader(locale, None)
    signed = f.date(deal.signed_at.astimezone(f.tz).date())
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": m.gettext("Signed {date}", date=signed)}]},
        {"type": "actions", "elements": [{
            "type": "button", "action_id": OPEN_ACTION, "url": url,
            "text": {"type": "plain_text", "text": m.gettext("View in Salesforce")},
        }]},
    ]


def shorten(text: str, limit: int) -> str:
    """At most ``limit`` characters: cut at the last space that fits, with an ellipsis.

    When that would drop more than a third of the room (one very long word), the word is cut
    inside instead, so a deal named so still shows; a separator the cut leaves at the end
    (``:``, ``—``) is dropped.
    Only the ASCII space is a boundary: the no-break spaces inside ``150 000,00 €`` never are.
    """
    if len(text) <= limit:
        return text
    room = limit - len(ELLIPSIS)
    head = text[:room]
    boundary = head.rfind(" ")
    if text[room] != " " and boundary >= room * 2 // 3:
        head = head[:boundary]
    return (head.rstrip(_DANGLING) or head) + ELLIPSIS


def banner(settings: CelebrationSettings, deal: Deal, *, locale: str) -> tuple[str, str]:
    """(status_text, status_emoji) for the owner's profile, in the owner's ``locale``: plain text, at most
    :data:`STATUS_TEXT_MAX` characters, amount and deal before the account (cut first)."""
    m, f = messages(locale, DOMAIN), Formatter.for_reader(locale, None)
    name, account = _clean(deal.name) or NULL, _clean(deal.account_name)
    amount = f.money(deal.amount, deal.currency)
    if deal.amount is not None and account:
        text = m.gettext("Just won {amount}: {opportunity} — {account}", amount=amount, opportunity=name,
                         account=account)
    elif deal.amount is not None:
        text = m.gettext("Just won {amount}: {opportunity}", amount=amount, opportunity=name)
    elif account:
        text = m.gettext("Just won {opportunity} — {account}", opportunity=name, account=account)
    else:
        text = m.gettext("Just won {opportunity}", opportunity=name)
    leading = _LEADING_EMOJI.match(settings.message)
    emoji = leading.group(1) if leading else DEFAULT_EMOJI
    return shorten(text, STATUS_TEXT_MAX), emoji
