"""Celebrations in their readers' language, end to end (Salesforce sandbox → sync → celebrate → Slack sandbox).

The message is read in a channel: the workspace's default locale (set by a sales admin).  The
banner is read on the owner's profile: the owner's Slack locale (the seeded Slack sandbox has
members in French and in English; the user map keeps their locale).  Values from Salesforce
render literally, in the message (mrkdwn, seen through the sandbox's viewer) and in the banner.
"""

from __future__ import annotations

import re

import pytest
import requests

from saleshome.celebrate import apply_banners
from saleshome.sandbox.slack.messages import MessageRecord
from saleshome.settings.changes import set_celebrations, set_locale
from saleshome.warehouse.control import control_db

from .conftest import ALIAS, Celebrations, Owner

pytestmark = pytest.mark.integration

NBSP, NNBSP = "\u00a0", "\u202f"  # Babel's no-break spaces in French amounts
FRENCH_DATE = r"\d{1,2} (janv\.|févr\.|mars|avr\.|mai|juin|juil\.|août|sept\.|oct\.|nov\.|déc\.) \d{4}"


def _owner_reading(cel: Celebrations, language: str) -> Owner:
    """A Sales member whose Slack locale (as the seeded sandbox gives it, kept in the user map) is in ``language``."""
    locales = {r["sf_user_id"]: r["locale"] for r in cel.control.rows(
        "SELECT sf_user_id, locale FROM user_map WHERE alias = ? AND status = 'matched'", [ALIAS])}
    return next(o for o in cel.owners() if o.slack_id != cel.member_token_user
                and (locales.get(o.sf_id) or "").startswith(language + "-"))


def _mine(cel: Celebrations) -> list[MessageRecord]:
    keys = {o["key"] for o in cel.outbox("celebration")}
    return [m for m in cel.slack.messages(cel.channel)
            if ((m.metadata or {}).get("event_payload") or {}).get("key") in keys]


def _viewer(cel: Celebrations, path: str) -> str:
    assert cel.slack.info is not None
    session = requests.Session()
    session.trust_env = False
    return session.get(f"{cel.slack.info.viewer_url}{path}", timeout=10).text


def test_a_french_channel_reads_the_default_message_in_french_and_the_owner_their_own_banner(
    cel: Celebrations,
) -> None:
    set_locale(cel.ctx, cel.people.sales_admin, "fr-FR")  # the channels' language
    owner, [deal] = cel.deals(1, slack_user=_owner_reading(cel, "en").slack_id)  # an English-speaking owner
    assert owner.slack_id is not None
    cel.set(deal, {"Name": "*Big* _deal_", "Amount": 150000, "CurrencyIsoCode": "EUR", "CloseDate": "2026-12-03"})
    cel.win(deal)
    assert cel.celebrate(cel.sync()).celebrated == 1
    cel.publish()

    [message] = _mine(cel)
    amount = f"150{NNBSP}000,00{NBSP}€"
    assert message.text.startswith(f":tada: <@{owner.slack_id}> vient de remporter *")
    assert message.text.endswith(f"{NBSP}: {amount}{NNBSP}!")
    context = message.blocks[1]["elements"][0]["text"]
    assert re.fullmatch(f"Signée le {FRENCH_DATE}", context), context
    [button] = message.blocks[2]["elements"]
    assert button["text"]["text"] == "Voir dans Salesforce" and button["url"].endswith(f"/Opportunity/{deal}/view")

    # What a member sees in the channel: the deal's name in the template's bold, its own marks as text.
    page = _viewer(cel, f"channels/{cel.channel}")
    article = page.split(f'id="m{message.ts.replace(".", "")}"', 1)[1].split("<article", 1)[0]
    assert "<strong>\u2217Big\u2217 \u02cddeal\u02cd</strong>" in article and "<em>" not in article
    assert amount in article and "Voir dans Salesforce" in article

    # The banner is the owner's, in English: amount and deal first, the name exactly as in Salesforce.
    assert apply_banners(control_db(cel.settings), cel.settings).set == 1
    text, emoji, _ = cel.status(owner.slack_id)
    assert text.startswith("Just won €150,000.00: *Big* _deal_ — ") and len(text) <= 100 and emoji == ":tada:"
    profile = _viewer(cel, f"users/{owner.slack_id}")
    assert "Just won €150,000.00: *Big* _deal_" in profile


def test_an_admins_message_is_posted_as_written_with_french_values(cel: Celebrations) -> None:
    set_celebrations(cel.ctx, cel.people.sales_admin,
                     message=":rocket: {owner} a signé {opportunity} pour {amount}, clôture le {close_date} ({stage}).")
    set_locale(cel.ctx, cel.people.sales_admin, "fr-FR")
    owner, [deal] = cel.deals(1, slack_user=_owner_reading(cel, "fr").slack_id)  # a French-speaking owner
    assert owner.slack_id is not None
    cel.set(deal, {"Name": "Renouvellement Acme & fils", "Amount": 150000, "CurrencyIsoCode": "EUR",
                   "CloseDate": "2026-12-03"})
    cel.win(deal)
    assert cel.celebrate(cel.sync()).celebrated == 1
    cel.publish()

    [message] = _mine(cel)
    assert message.text == (f":rocket: <@{owner.slack_id}> a signé Renouvellement Acme &amp; fils pour "
                            f"150{NNBSP}000,00{NBSP}€, clôture le 3 déc. 2026 (Closed Won).")
    [row] = cel.celebrations()
    assert str(row["status_text"]).startswith(f"Vient de remporter 150{NNBSP}000,00{NBSP}€{NBSP}: Renouvellement Acme & fils")
    assert row["status_emoji"] == ":rocket:"
