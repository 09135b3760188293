"""What a celebration says, in its reader's language: amounts with their currency, the neutralised message, the
banner text (no server; the Slack sandbox's mrkdwn renderer shows what a reader would see)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from saleshome.celebrate.render import (
    STATUS_TEXT_MAX,
    Deal,
    banner,
    message_blocks,
    message_text,
    opportunity_url,
)
from saleshome.sandbox.slack.mrkdwn import render_mrkdwn
from saleshome.settings.model import DEFAULT_MESSAGE, CelebrationSettings
from saleshome.slack.text import escape


def _deal(**changes: object) -> Deal:
    values: dict[str, object] = {
        "opportunity_id": "0068d0000000001AAA", "name": "Acme renewal", "stage": "Closed Won", "amount": 125000.0,
        "currency": "USD", "close_date": date(2025, 6, 30), "owner_id": "005000000000001AAA",
        "owner_name": "Ana Silva", "account_name": "Acme", "signed_at": datetime(2025, 6, 30, 12, tzinfo=UTC),
    }
    values.update(changes)
    return Deal(**values)  # type: ignore[arg-type]


NBSP, NNBSP = "\u00a0", "\u202f"  # Babel's no-break spaces in French amounts


@pytest.mark.parametrize(("amount", "currency", "locale", "shown"), [
    (125000.0, "USD", "en-US", "$125,000.00"),
    (9900.5, "EUR", "en-US", "€9,900.50"),
    (1200000.0, "JPY", "en-US", "¥1,200,000"),
    (-50.0, "GBP", "en-GB", "-£50.00"),
    (150000.0, "EUR", "fr-FR", f"150{NNBSP}000,00{NBSP}€"),
    (12000.0, "CHF", "fr-FR", f"12{NNBSP}000,00{NBSP}CHF"),
])
def test_amounts_are_formatted_with_their_currency_for_the_reader(
    amount: float, currency: str, locale: str, shown: str,
) -> None:
    text = message_text(CelebrationSettings(message="{amount}"), _deal(amount=amount, currency=currency), None,
                        locale=locale)
    assert text == shown


def test_the_message_escapes_salesforce_text_and_mentions_the_owner() -> None:
    cfg = CelebrationSettings(message=":tada: {owner} won *{opportunity}* ({account}, {amount}, {stage}, {close_date}) {{x}}")
    deal = _deal(name="Big <!channel> & co", account_name="<@U123>")
    text = message_text(cfg, deal, "U999", locale="en-US")
    assert text == (":tada: <@U999> won *Big &lt;!channel&gt; &amp; co* (&lt;@U123&gt;, $125,000.00, Closed Won, "
                    "Jun 30, 2025) {x}")
    assert message_text(cfg, _deal(owner_name="Bob <b>"), None, locale="en-US").startswith(":tada: Bob &lt;b&gt; won")
    url = opportunity_url("https://acme.my.salesforce.com/", deal.opportunity_id)
    assert url == "https://acme.my.salesforce.com/lightning/r/Opportunity/0068d0000000001AAA/view"
    blocks = message_blocks(text, url, deal, locale="en-US")
    assert blocks[0]["text"]["text"] == text
    assert blocks[1]["elements"][0]["text"] == "Signed Jun 30, 2025"
    [button] = blocks[2]["elements"]
    assert (button["url"], button["text"]["text"]) == (url, "View in Salesforce")


def test_the_default_message_speaks_the_channels_language() -> None:
    """The default template comes from the catalog; the same text written by an admin is that default."""
    deal = _deal(amount=150000.0, currency="EUR", account_name="Acme & Cie")
    assert CelebrationSettings().message == DEFAULT_MESSAGE
    fr = message_text(CelebrationSettings(), deal, "U1", locale="fr-FR")
    assert fr == f":tada: <@U1> vient de remporter *Acme renewal* avec Acme &amp; Cie{NBSP}: 150{NNBSP}000,00{NBSP}€{NNBSP}!"
    en = message_text(CelebrationSettings(), deal, "U1", locale="en-US")
    assert en == ":tada: <@U1> just won *Acme renewal* with Acme &amp; Cie: €150,000.00!"
    # Nothing to say about a missing account or amount: the sentence leaves it out.
    assert message_text(CelebrationSettings(), _deal(account_name=None, amount=None), None, locale="en-US") == (
        ":tada: Ana Silva just won *Acme renewal*!")
    assert message_text(CelebrationSettings(), _deal(account_name=" "), None, locale="fr-FR") == (
        f":tada: Ana Silva vient de remporter *Acme renewal*{NBSP}: 125{NNBSP}000,00{NBSP}$US{NNBSP}!")
    assert message_text(CelebrationSettings(), _deal(amount=None, owner_name=None), None, locale="fr-FR") == (
        f":tada: Un membre de l’équipe vient de remporter *Acme renewal* avec Acme{NNBSP}!")
    blocks = message_blocks(fr, "https://x.example/o", deal, locale="fr-FR")
    assert blocks[1]["elements"][0]["text"] == "Signée le 30 juin 2025"
    assert blocks[2]["elements"][0]["text"]["text"] == "Voir dans Salesforce"


def test_an_admins_message_is_used_as_written_with_values_for_the_reader() -> None:
    cfg = CelebrationSettings(message=":rocket: Bravo {owner}! {opportunity} ({account}) signé {amount}, "
                                      "clôture le {close_date}, étape {stage}.")
    deal = _deal(amount=150000.0, currency="EUR", close_date=date(2026, 12, 3), stage="Closed Won",
                 stage_label="Gagnée")
    assert message_text(cfg, deal, "U7", locale="fr-FR") == (
        f":rocket: Bravo <@U7>! Acme renewal (Acme) signé 150{NNBSP}000,00{NBSP}€, clôture le 3 déc. 2026, "
        "étape Gagnée.")
    assert message_text(cfg, deal, "U7", locale="en-US") == (
        ":rocket: Bravo <@U7>! Acme renewal (Acme) signé €150,000.00, clôture le Dec 3, 2026, étape Gagnée.")
    missing = message_text(cfg, _deal(account_name=None, close_date=None, stage=None), None, locale="en-US")
    assert "(—)" in missing and "clôture le —," in missing and "étape —." in missing


def test_a_deal_named_with_mrkdwn_marks_renders_literally() -> None:
    """``*Big* _deal_`` is neither bold nor italic, and the template's own bold still holds it."""
    deal = _deal(name="*Big* _deal_", account_name="~Acme~ `corp`")
    text = message_text(CelebrationSettings(), deal, "U1", locale="en-US")
    html = render_mrkdwn(text, lambda _: None, lambda _: None)
    assert html.count("<strong>") == 1 and "<em>" not in html and "<del>" not in html and "<code>" not in html
    shown = re.search(r"<strong>(.*?)</strong>", html)
    assert shown is not None and shown[1] == "\u2217Big\u2217 \u02cddeal\u02cd"  # ∗Big∗ ˍdealˍ: the marks, as text
    assert "\u223cAcme\u223c \u02cbcorp\u02cb" in html


def test_escape_escapes_and_breaks_every_mark() -> None:
    assert escape("a & <b> *c* _d_ ~e~ `f`") == "a &amp; &lt;b&gt; \u2217c\u2217 \u02cdd\u02cd \u223ce\u223c \u02cbf\u02cb"
    assert escape("Plain deal 42") == "Plain deal 42"


@given(st.text(max_size=80))
def test_no_value_can_format_the_message(name: str) -> None:
    html = render_mrkdwn(message_text(CelebrationSettings(), _deal(name=name), "U1", locale="en-US"),
                         lambda _: None, lambda _: None)
    assert html.count("<strong>") <= 1 and not re.search(r"<(em|del|code|pre|a|blockquote)\b", html)


@pytest.mark.parametrize(("locale", "prefix"), [
    ("en-US", "Just won $125,000.00: "),
    ("fr-FR", f"Vient de remporter 125{NNBSP}000,00{NBSP}$US{NBSP}: "),
])
def test_a_long_banner_keeps_amount_and_deal_and_cuts_the_account_at_a_word(locale: str, prefix: str) -> None:
    name = "Enterprise platform renewal, premium support"
    account = "International Consolidated Widgets and Gadgets Manufacturing Holdings Limited"
    text, emoji = banner(CelebrationSettings(), _deal(name=name, account_name=account), locale=locale)
    whole = f"{prefix}{name} — {account}"
    assert len(whole) > STATUS_TEXT_MAX >= len(text) and emoji == ":tada:"
    assert text.startswith(f"{prefix}{name} — International") and text.endswith("…")
    kept = text[:-1]
    assert whole.startswith(kept) and whole[len(kept)] == " " and not kept.endswith(" ")  # cut between two words
    assert len(text) > STATUS_TEXT_MAX - len(" Manufacturing…")  # not cut shorter than it has to be


def test_the_banner_is_plain_text_of_at_most_100_characters() -> None:
    cfg = CelebrationSettings(message=":trophy: {owner} just won *{opportunity}* with {account}: {amount}!")
    text, emoji = banner(cfg, _deal(name="under_score *star*"), locale="en-US")
    assert (text, emoji) == ("Just won $125,000.00: under_score *star* — Acme", ":trophy:")  # no markup in a status
    long_text, _ = banner(cfg, _deal(name="X" * 300), locale="en-US")  # one long word: cut inside it
    assert len(long_text) == STATUS_TEXT_MAX and long_text.startswith("Just won $125,000.00: XXX")
    assert long_text.endswith("X…")
    assert banner(CelebrationSettings(message="{owner} closed {opportunity}"), _deal(), locale="en-US")[1] == ":tada:"
    assert banner(cfg, _deal(account_name=None, amount=None), locale="fr-FR")[0] == "Vient de remporter Acme renewal"
    assert banner(cfg, _deal(amount=None), locale="en-US")[0] == "Just won Acme renewal — Acme"


@given(st.text(max_size=300), st.text(max_size=200), st.sampled_from(["en-US", "fr-FR"]))
def test_any_deal_gives_a_valid_banner(name: str, account: str, locale: str) -> None:
    text, emoji = banner(CelebrationSettings(), _deal(name=name, account_name=account), locale=locale)
    assert 0 < len(text) <= STATUS_TEXT_MAX and emoji.startswith(":") and "\x00" not in text
    assert text.startswith(("Just won $125,000.00", "Vient de remporter 125"))
