"""What a celebration says: amounts with their currency, the escaped message, the banner text (no sandbox)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from saleshome.celebrate.render import (
    STATUS_TEXT_MAX,
    Deal,
    banner,
    format_amount,
    message_blocks,
    message_text,
    opportunity_url,
)
from saleshome.settings.model import CelebrationSettings


def _deal(**changes: object) -> Deal:
    values: dict[str, object] = {
        "opportunity_id": "0068d0000000001AAA", "name": "Acme renewal", "stage": "Closed Won", "amount": 125000.0,
        "currency": "USD", "close_date": date(2025, 6, 30), "owner_id": "005000000000001AAA",
        "owner_name": "Ana Silva", "account_name": "Acme", "signed_at": datetime(2025, 6, 30, 12, tzinfo=UTC),
    }
    values.update(changes)
    return Deal(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(("amount", "currency", "shown"), [
    (125000.0, "USD", "$125,000.00"),
    (9900.5, "EUR", "€9,900.50"),
    (1200000.0, "JPY", "¥1,200,000"),
    (12000.0, "CHF", "12,000.00 CHF"),
    (-50.0, "GBP", "-£50.00"),
    (700.0, None, "700.00"),
    (None, "USD", ""),
])
def test_amounts_are_formatted_with_their_currency(amount: float | None, currency: str | None, shown: str) -> None:
    assert format_amount(amount, currency) == shown


def test_the_message_escapes_salesforce_text_and_mentions_the_owner() -> None:
    cfg = CelebrationSettings(message=":tada: {owner} won *{opportunity}* ({account}, {amount}, {stage}, {close_date}) {{x}}")
    deal = _deal(name="Big <!channel> & co", account_name="<@U123>")
    text = message_text(cfg, deal, "U999")
    assert text == (":tada: <@U999> won *Big &lt;!channel&gt; &amp; co* (&lt;@U123&gt;, $125,000.00, Closed Won, "
                    "2025-06-30) {x}")
    assert message_text(cfg, _deal(owner_name="Bob <b>"), None).startswith(":tada: Bob &lt;b&gt; won")
    url = opportunity_url("https://acme.my.salesforce.com/", deal.opportunity_id)
    assert url == "https://acme.my.salesforce.com/lightning/r/Opportunity/0068d0000000001AAA/view"
    blocks = message_blocks(text, url, deal)
    assert blocks[0]["text"]["text"] == text and f"<{url}|" in blocks[1]["elements"][0]["text"]


def test_the_banner_is_plain_text_of_at_most_100_characters() -> None:
    cfg = CelebrationSettings(message=":trophy: {owner} just won *{opportunity}* with {account}: {amount}!")
    text, emoji = banner(cfg, _deal(name="under_score *star*"))
    assert (text, emoji) == ("Ana Silva just won under_score *star* with Acme: $125,000.00!", ":trophy:")
    long_text, _ = banner(cfg, _deal(name="X" * 300))
    assert len(long_text) == STATUS_TEXT_MAX and long_text.endswith("…")
    assert banner(CelebrationSettings(message="{owner} closed {opportunity}"), _deal())[1] == ":tada:"


@given(st.text(max_size=300), st.text(max_size=200))
def test_any_deal_gives_a_valid_banner(name: str, owner: str) -> None:
    text, emoji = banner(CelebrationSettings(), _deal(name=name, owner_name=owner))
    assert 0 < len(text) <= STATUS_TEXT_MAX and emoji.startswith(":") and "\x00" not in text
