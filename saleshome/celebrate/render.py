"""What a celebration says: the channel message (escaped mrkdwn, with a link) and the profile banner.

The message is the admin's template (``settings.celebrations.message``) with every value escaped
for Slack first; the owner is a mention when they have a Slack account, their Salesforce name
otherwise.  The banner is the same template rendered with plain values, stripped of mrkdwn and
emoji codes, at most 100 characters (``users.profile.set``'s limit); its emoji is the one the
template starts with (``:tada:`` by default).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from saleshome.settings.celebrations import render_message
from saleshome.settings.model import CelebrationSettings
from saleshome.slack.text import SECTION_TEXT_MAX, escape, link, truncate

STATUS_TEXT_MAX = 100  # users.profile.set: status_text is at most 100 characters
DEFAULT_EMOJI = ":tada:"
_EMOJI = re.compile(r":[a-z0-9_+'-]+:")
_LEADING_EMOJI = re.compile(r"^\s*(:[a-z0-9_+'-]+:)")
_MRKDWN_MARKS = re.compile(r"[*_~`]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# ISO 4217 code → (symbol written before the amount, decimals).  Other codes: "1,234.00 CHF".
_CURRENCIES: dict[str, tuple[str, int]] = {
    "USD": ("$", 2), "EUR": ("€", 2), "GBP": ("£", 2), "JPY": ("¥", 0), "AUD": ("A$", 2), "CAD": ("CA$", 2),
    "NZD": ("NZ$", 2), "INR": ("₹", 2), "CNY": ("CN¥", 2), "KRW": ("₩", 0), "BRL": ("R$", 2),
}
_ZERO_DECIMALS = {"JPY", "KRW", "CLP", "ISK", "VND", "XOF", "XAF", "HUF"}


def format_amount(amount: float | None, currency: str | None) -> str:
    """``$125,000.00``, ``€9,900.50``, ``¥1,200,000``, ``12,000.00 CHF``; empty when there is no amount."""
    if amount is None:
        return ""
    code = (currency or "").strip().upper()
    symbol, decimals = _CURRENCIES.get(code, ("", 0 if code in _ZERO_DECIMALS else 2))
    sign = "-" if amount < 0 else ""
    number = f"{abs(amount):,.{decimals}f}"
    if symbol:
        return f"{sign}{symbol}{number}"
    return f"{sign}{number} {code}".rstrip()


def opportunity_url(instance_url: str, opportunity_id: str) -> str:
    """The opportunity's page in Lightning Experience."""
    return f"{instance_url.rstrip('/')}/lightning/r/Opportunity/{opportunity_id}/view"


@dataclass(frozen=True)
class Deal:
    """One won opportunity, as the detection query returns it."""

    opportunity_id: str
    name: str | None
    stage: str | None
    amount: float | None
    currency: str | None
    close_date: date | None
    owner_id: str | None
    owner_name: str | None
    account_name: str | None
    signed_at: datetime

    @staticmethod
    def from_row(row: dict[str, Any]) -> Deal:
        return Deal(
            opportunity_id=row["opportunity_id"], name=row["name"], stage=row["stage"],
            amount=None if row["amount"] is None else float(row["amount"]), currency=row["currency"],
            close_date=row["close_date"], owner_id=row["owner_id"], owner_name=row["owner_name"],
            account_name=row["account_name"], signed_at=row["signed_at"],
        )


def _values(deal: Deal, owner: str) -> dict[str, str]:
    return {
        "owner": owner,
        "opportunity": deal.name or deal.opportunity_id,
        "account": deal.account_name or "",
        "amount": format_amount(deal.amount, deal.currency),
        "close_date": deal.close_date.isoformat() if deal.close_date else "",
        "stage": deal.stage or "",
    }


def message_text(settings: CelebrationSettings, deal: Deal, slack_user_id: str | None) -> str:
    """The celebration message as mrkdwn: every Salesforce value escaped, the owner mentioned."""
    owner = f"<@{slack_user_id}>" if slack_user_id else escape(deal.owner_name or "A teammate")
    values = {k: (v if k == "owner" else escape(v)) for k, v in _values(deal, owner).items()}
    return truncate(render_message(settings, values), SECTION_TEXT_MAX)


def message_blocks(text: str, url: str, deal: Deal) -> list[dict[str, Any]]:
    """A section with the message, and a context line with the link to the opportunity."""
    signed = deal.signed_at.strftime("%Y-%m-%d")
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {"type": "context", "elements": [
            {"type": "mrkdwn", "text": f"{link(url, 'Open the opportunity in Salesforce')} · signed {signed}"},
        ]},
    ]


def banner(settings: CelebrationSettings, deal: Deal) -> tuple[str, str]:
    """(status_text, status_emoji) for the owner's profile: plain text, at most 100 characters."""
    values = _values(deal, deal.owner_name or "")
    # The template's own markup (emoji codes, *bold*, _italics_) is dropped; the values stay verbatim.
    marks = {name: f"\x00{i}\x00" for i, name in enumerate(values)}
    shape = render_message(settings, marks)
    shape = _MRKDWN_MARKS.sub("", _EMOJI.sub("", shape))
    text = " ".join(shape.split()).strip(" :-–—,")
    for name, mark in marks.items():
        text = text.replace(mark, " ".join(_CONTROL.sub(" ", values[name]).split()))
    leading = _LEADING_EMOJI.match(settings.message)
    emoji = leading.group(1) if leading else DEFAULT_EMOJI
    return truncate(text.strip() or "Won a deal!", STATUS_TEXT_MAX), emoji
