"""Messages a salesperson can read (issue 16.1 and 16.3, notifications and digests).

End to end against the sandboxes: an opportunity's card in a French DM and in an English channel
(labels from describe, the account's name, the owner mentioned, amounts in the record's currency,
dates as each reader writes them, a "View in Salesforce" button); a digest under the notification's
title, its lines readable, its footer the recipient's local day; a 500-item digest within the
~12,000 characters Slack accepts in a message's blocks; Salesforce text that cannot format a message.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from saleshome.config import Settings
from saleshome.i18n import Formatter, messages
from saleshome.notify.digest import run_digests
from saleshome.notify.evaluate import evaluate
from saleshome.notify.fields import Shown
from saleshome.notify.render import ChangeLine, DigestGroup, RenderedRecord, digest_line, digest_message, list_url
from saleshome.notify.render import notification_message as card
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from saleshome.sandbox.slack.blocks import validate_blocks
from saleshome.sandbox.slack.mrkdwn import render_mrkdwn
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.settings.context import SettingsContext
from saleshome.settings.members import eligible_users
from saleshome.settings.notifications.catalog import NotificationSpec
from saleshome.settings.notifications.store import create_notification
from saleshome.settings.restrictions import Restrictions
from saleshome.slack.text import BLOCKS_TEXT_MAX, blocks_text_length, escape
from saleshome.sync.engine import sync_org
from saleshome.warehouse.control import ControlDB, control_db
from saleshome.warehouse.orgdb import OrgWarehouse
from tests.fixtures.outbox import drain, publisher
from tests.fixtures.sandboxes import settle
from tests.fixtures.workspace import ALIAS, People

from .conftest import initial_sync_and_map

EN = messages("en-US", "notify")
FR = messages("fr-FR", "notify")
INSTANCE = "https://acme.my.salesforce.com"
API_NAMES = ("AccountId", "OwnerId", "StageName", "CloseDate", "CurrencyIsoCode", "IsClosed")
SALESFORCE_ID = re.compile(r"\b[a-zA-Z0-9]{3}[0-9][a-zA-Z0-9]{11}(?:[a-zA-Z0-9]{3})?\b")


def _texts(blocks: list[dict[str, Any]]) -> str:
    """Every text of ``blocks`` a member reads, links reduced to their labels and mentions kept."""
    out: list[str] = []
    stack: list[Any] = list(blocks)
    while stack:
        item = stack.pop(0)
        if isinstance(item, dict):
            out += [v for k, v in item.items() if k == "text" and isinstance(v, str)]
            stack += [v for k, v in item.items() if k != "url" and not isinstance(v, str)]
        elif isinstance(item, list):
            stack += item
    return re.sub(r"<https?://[^|>]+\|([^>]*)>", r"\1", "\n".join(out))


def _outbox(settings: Settings) -> list[dict[str, Any]]:
    return ControlDB(settings.control_db).rows("SELECT o.key, o.kind, o.channel, o.text, o.blocks, o.state, e.record_id FROM outbox o "
                         "LEFT JOIN notification_events e ON e.key = o.key ORDER BY o.seq")


def _french_member(ready: SettingsContext, tz: str) -> tuple[str, str]:
    """A Sales member mapped to Slack, made French-speaking in ``tz``: (Salesforce Id, Slack Id)."""
    settings = ready.settings
    with OrgWarehouse(settings.org_db(ALIAS)) as wh:
        members = eligible_users(wh, settings.sales_home_permission_set)
    mapped = {r["sf_user_id"]: r["slack_user_id"] for r in ready.control.rows(
        "SELECT sf_user_id, slack_user_id FROM user_map WHERE alias = ? AND status = 'matched'", [ALIAS])}
    owner = sorted(members & set(mapped))[-1]
    with ready.control.transaction() as db:  # what the user-map refresh keeps of Slack's users.info
        db.execute("UPDATE user_map SET locale = 'fr-FR', tz = ? WHERE alias = ? AND sf_user_id = ?", [tz, ALIAS, owner])
    return owner, mapped[owner]


def _open_deals(settings: Settings, n: int, offset: int) -> list[dict[str, Any]]:
    with OrgWarehouse(settings.org_db(ALIAS)) as wh:
        cur = wh.conn.execute(
            'SELECT o."Id", o."AccountId", a."Name" AS account, o."CloseDate", o."StageName" FROM sf."Opportunity" o '
            'JOIN sf."Account" a ON a."Id" = o."AccountId" WHERE NOT o."IsClosed" AND NOT o."IsDeleted" '
            f'AND o."Amount" < 90000 ORDER BY o."Id" LIMIT {n} OFFSET {offset}')
        names = [d[0] for d in cur.description or []]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


@pytest.mark.integration
def test_a_card_in_a_french_dm_and_an_english_channel(ready: SettingsContext, people: People,
                                                      sf_sandbox: SalesforceSandbox, slack_sandbox: SlackSandbox) -> None:
    settings = ready.settings
    initial_sync_and_map(settings)
    owner, slack_owner = _french_member(ready, "Europe/Paris")
    create_notification(ready, people.sales_admin, ALIAS, "big-deals", NotificationSpec.model_validate(
        {"template": "threshold_crossed", "options": {"field": "Amount", "value": 100000, "direction": "up"},
         "recipients": {"owner": True, "channels": ["#sales"]}, "title": "Deal over 100k",
         "fields": ["Name", "AccountId", "OwnerId", "StageName", "Amount", "CloseDate", "Probability"]}))
    euro, dollar = _open_deals(settings, 2, offset=40)
    assert sf_sandbox.store is not None and sf_sandbox.info is not None
    sf_sandbox.store.update("Opportunity", euro["Id"], {"Amount": 153600, "CurrencyIsoCode": "EUR", "OwnerId": owner,
                                                       "Name": "*Acme* _renewal_ `x` ~y~"})
    sf_sandbox.store.update("Opportunity", dollar["Id"], {"Amount": 153600, "CurrencyIsoCode": "USD", "OwnerId": owner})
    settle(sf_sandbox, settings)
    summary = evaluate(control_db(settings), settings, ALIAS, sync_org(control_db(settings), settings, ALIAS).run_id)
    assert not summary.warnings, summary.warnings

    sent = {(o["record_id"], o["channel"]): o for o in _outbox(settings) if o["kind"] == "notification"}
    sales = slack_sandbox.channel_id("sales")
    assert {(euro["Id"], slack_owner), (euro["Id"], sales), (dollar["Id"], slack_owner), (dollar["Id"], sales)} \
        <= set(sent)
    fr, en = Formatter.for_reader("fr-FR", "Europe/Paris"), Formatter.for_reader("en-US", None)
    opportunity = sf_sandbox.store.catalog.get("Opportunity")
    assert opportunity is not None
    labels = {f: opportunity.field(f).label for f in ("AccountId", "OwnerId", "StageName", "Amount", "CloseDate",  # type: ignore[union-attr]
                                                      "Probability")}
    assert labels["AccountId"] == "Account ID" and labels["CloseDate"] == "Close Date"  # describe's labels
    labels.update(AccountId="Account Name", OwnerId="Owner")  # a lookup's label, as Salesforce's layouts show it
    instance = sf_sandbox.info.instance_url.rstrip("/")
    for (record, channel), words, money, formatter in (
            ((euro["Id"], slack_owner), FR, "153\u202f600,00\xa0€", fr),
            ((euro["Id"], sales), EN, "€153,600.00", en),
            ((dollar["Id"], sales), EN, "$153,600.00", en),
            ((dollar["Id"], slack_owner), FR, "153\u202f600,00\xa0$US", fr)):
        deal = euro if record == euro["Id"] else dollar
        blocks = json.loads(str(sent[(record, channel)]["blocks"]))
        shown = _texts(blocks)
        assert blocks[0]["text"]["text"] == "Deal over 100k"  # the admin's title, as written
        button = blocks[1]["accessory"]
        assert (button["text"]["text"], button["url"]) == (words.gettext("View in Salesforce"), f"{instance}/{record}")
        for label in labels.values():
            assert f"*{label}*" in shown, (label, shown)
        assert f"*Account Name*\n{escape(deal['account'])}" in shown  # the account's name, linked to it
        assert f"<{instance}/{deal['AccountId']}|" in json.dumps(blocks, ensure_ascii=False)
        assert f"*Owner*\n<@{slack_owner}>" in shown
        assert money in shown and formatter.date(deal["CloseDate"]) in shown
        assert not [name for name in API_NAMES if name in shown]
        assert not SALESFORCE_ID.findall(re.sub(r"<@[A-Z0-9]+>", "", shown)), shown
        assert validate_blocks(blocks) == []
    # the deal named with mrkdwn: shown as written, the template's bold intact
    name_section = json.loads(str(sent[(euro["Id"], sales)]["blocks"]))[1]["text"]["text"]
    html = render_mrkdwn(name_section, lambda _: None, lambda _: None)
    assert html == "<strong>\u2217Acme\u2217 \u02cdrenewal\u02cd \u02cbx\u02cb \u223cy\u223c</strong>"

    drain(publisher(slack_sandbox, ready.control, restrictions=Restrictions()))
    assert {o["state"] for o in _outbox(settings)} == {"sent"}


@pytest.mark.integration
def test_a_digest_under_its_title_with_readable_lines_and_the_recipients_day(
        ready: SettingsContext, people: People, sf_sandbox: SalesforceSandbox, slack_sandbox: SlackSandbox) -> None:
    settings = ready.settings
    initial_sync_and_map(settings)
    owner, slack_owner = _french_member(ready, "Pacific/Auckland")
    create_notification(ready, people.sales_admin, ALIAS, "wins-digest", NotificationSpec.model_validate(
        {"template": "deal_closed", "options": {"outcome": "won"}, "recipients": {"owner": True},
         "delivery": {"mode": "digest", "frequency": "daily", "hour": 9}, "title": "Nos victoires",
         "fields": ["Amount", "StageName", "CloseDate"]}))
    [deal] = _open_deals(settings, 1, offset=50)
    assert sf_sandbox.store is not None
    sf_sandbox.store.update("Opportunity", deal["Id"], {"Amount": 91800, "CurrencyIsoCode": "EUR", "OwnerId": owner})
    settle(sf_sandbox, settings)
    sync_org(control_db(settings), settings, ALIAS)
    evaluate(control_db(settings), settings, ALIAS)
    sf_sandbox.store.update("Opportunity", deal["Id"], {"Amount": 153600, "StageName": "Closed Won"})
    settle(sf_sandbox, settings)
    summary = evaluate(control_db(settings), settings, ALIAS, sync_org(control_db(settings), settings, ALIAS).run_id)
    assert summary.digest_items == 1, summary

    # 21:00 UTC is 10:00 the next day in Auckland: the recipient's 9:00 has come, on their next day
    today = datetime.now(UTC).date()
    moment = datetime.combine(today, time(21), UTC)
    assert run_digests(control_db(settings), settings, moment).sent == 1
    [digest] = [o for o in _outbox(settings) if o["kind"] == "digest"]
    assert digest["channel"] == slack_owner
    blocks = json.loads(str(digest["blocks"]))
    assert blocks[0]["text"]["text"] == "Votre résumé Sales Home"
    assert blocks[1]["text"]["text"] == "*Nos victoires* (1)"  # the notification's title, not its slug
    [line] = blocks[2]["text"]["text"].split("\n")
    assert sf_sandbox.info is not None
    assert line.startswith(f"• <{sf_sandbox.info.instance_url.rstrip('/')}/{deal['Id']}|")
    changes = line.split(" — ", 1)[1].split(", ")
    assert changes[0] == "*Amount*: 91\u202f800,00\xa0€ → 153\u202f600,00\xa0€"  # the amount first
    assert sf_sandbox.store is not None
    stage = sf_sandbox.store.catalog.get("Opportunity").field("StageName").label  # type: ignore[union-attr]
    assert changes[1] == f"*{stage}*: {deal['StageName']} → Closed Won"  # what fired it, by its label
    assert len(changes) <= 3 and not [c for c in changes if c.startswith("*Closed*")]  # the stage says it
    next_day = Formatter.for_reader("fr-FR", "Pacific/Auckland").date(today + timedelta(days=1))
    assert blocks[-1]["elements"][0]["text"] == f"{next_day} · 1 mise à jour · org {ALIAS}"

    drain(publisher(slack_sandbox, ready.control, restrictions=Restrictions()))
    assert [o["state"] for o in _outbox(settings) if o["kind"] == "digest"] == ["sent"]


def _item(i: int, g: int) -> str:
    """A digest line as evaluation renders it: a long deal name, three changes."""
    r = RenderedRecord(
        title="Stage changed", record_name=f"Northwind Traders {g}-{i} — Platform Expansion Renewal FY27",
        url=f"{INSTANCE}/006{g:03d}{i:09d}AAA",
        changes=[ChangeLine("Amount", Shown("€91,800.00"), Shown("€153,600.00")),
                 ChangeLine("Stage", Shown("Negotiation/Review"), Shown("Closed Won")),
                 ChangeLine("Close Date", Shown("May 10, 2027"), Shown("Dec 7, 2026"))],
        fields=[], context="")
    return digest_line(r)


@pytest.mark.parametrize("notifications", [1, 25, 500])
def test_a_500_item_digest_stays_within_slacks_text_limit_and_reads_well(notifications: int) -> None:
    per = 500 // notifications
    groups = [DigestGroup(f"Deals moving {g}", [_item(i, g) for i in range(per)], list_url(INSTANCE, "Opportunity"))
              for g in range(notifications)]
    text, blocks = digest_message("Your Sales Home digest", groups, "Dec 7, 2026 · 500 updates · org acme", EN)
    assert blocks_text_length(blocks) <= BLOCKS_TEXT_MAX
    assert validate_blocks(blocks) == []
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    heads = [s for s in sections if re.fullmatch(r"\*Deals moving \d+\* \(\d+\)", s)]
    assert heads and heads[0] == f"*Deals moving 0* ({per})"
    first = sections[1].split("\n")
    assert first[0] == _item(0, 0) and (per == 1 or first[-1].startswith("…and "))  # whole lines, then how many more
    bodies = "\n".join(sections[1:2 * len(heads):2])
    shown = len(re.findall(r"^• <", bodies, re.M))
    more = sum(int(m) for m in re.findall(r"^…and (\d+) more · ", bodies, re.M))
    assert shown + more == per * len(heads)
    if len(heads) < notifications:  # the other notifications: how many items, from how many
        assert sections[-1].startswith(f"…and {per * (notifications - len(heads))} more from "
                                       f"{notifications - len(heads)} other notification")
    assert text.startswith("Your Sales Home digest: 500 updates from Deals moving 0")


@pytest.mark.integration
def test_a_500_item_digest_passes_slack(ready: SettingsContext, slack_sandbox: SlackSandbox) -> None:
    settings = ready.settings
    channel = slack_sandbox.channel_id("sales")
    now = datetime.now(UTC)
    with ControlDB(settings.control_db).transaction() as db:
        db.executemany("INSERT INTO digest_items VALUES (?, ?, ?, ?, ?, NULL, NULL, 'daily@00', ?, ?, NULL)", [
            [f"item-{g}-{i}", f"n_{g}", f"notification-{g}", ALIAS, channel, _item(i, g), now]
            for g in range(25) for i in range(20)])
    assert run_digests(control_db(settings), settings, now).items == 500
    [digest] = [o for o in _outbox(settings) if o["kind"] == "digest"]
    assert blocks_text_length(json.loads(str(digest["blocks"]))) <= BLOCKS_TEXT_MAX
    drain(publisher(slack_sandbox, ready.control, restrictions=Restrictions()))
    assert [o["state"] for o in _outbox(settings) if o["kind"] == "digest"] == ["sent"]


def test_salesforce_text_cannot_format_a_message() -> None:
    name, note = "*bold*", "_x_ `code` ~gone~ *b*"
    r = RenderedRecord(title="Deal over 100k", record_name=name, url=f"{INSTANCE}/006000000000001AAA",
                       changes=[ChangeLine("Next Step", Shown(note), Shown("> quoted"))],
                       fields=[("Next Step", Shown(note)), ("Owner", Shown("Ana", mention="U0ANA"))], context="")
    _, blocks = card(r, EN)
    html = [render_mrkdwn(t, lambda _: "Ana", lambda _: None) for t in (
        blocks[1]["text"]["text"], blocks[2]["text"]["text"], blocks[3]["fields"][0]["text"], digest_line(r))]
    assert html[0] == "<strong>\u2217bold\u2217</strong>"  # the template's bold, the name as written
    assert html[1] == ("<strong>Next Step</strong>: \u02cdx\u02cd \u02cbcode\u02cb \u223cgone\u223c \u2217b\u2217 → "
                       "\u00ad&gt; quoted")
    assert html[2] == "<strong>Next Step</strong><br>\u02cdx\u02cd \u02cbcode\u02cb \u223cgone\u223c \u2217b\u2217"
    assert "<em>" not in html[3] and "<code>" not in html[3] and "<del>" not in html[3]
    assert html[3].count("<strong>") == 1  # the label's
    assert blocks[3]["fields"][1]["text"] == "*Owner*\n<@U0ANA>"  # our own mention stays a mention
    assert escape("a & b <!here> *c*") == "a &amp; b &lt;!here&gt; \u2217c\u2217"


def test_a_weekly_period_and_a_day_as_the_reader_writes_them() -> None:
    from saleshome.notify.render import period_text

    assert period_text("2026-12-07", Formatter.for_reader("fr-FR", None), FR) == "7 déc. 2026"
    assert period_text("2026-W50", Formatter.for_reader("en-US", None), EN) == "week of Dec 7, 2026"
    assert date.fromisocalendar(2026, 50, 1) == date(2026, 12, 7)


def test_values_by_type_for_their_reader() -> None:
    from decimal import Decimal

    from saleshome.notify.fields import Describe, FieldInfo, Related, Values

    info = {f.name: f for f in (
        FieldInfo("Amount", "currency", "Amount"), FieldInfo("Probability", "percent", "Probability (%)"),
        FieldInfo("StageName", "picklist", "Stage", picklist={"Closed Won": "Won (closed)"}),
        FieldInfo("Region__c", "multipicklist", "Regions", picklist={"EMEA": "Europe", "APAC": "Asia"}),
        FieldInfo("IsWon", "boolean", "Won"), FieldInfo("Seen__c", "datetime", "Seen"),
        FieldInfo("AccountId", "reference", "Account ID", ("Account",)),
        FieldInfo("OwnerId", "reference", "Owner ID", ("User",)), FieldInfo("Seats__c", "double", "Seats"))}
    describe = Describe({"Opportunity": info}, {"Account": "Name"})
    values = Values(describe, Formatter.for_reader("fr-FR", "Europe/Paris"), FR, INSTANCE, "GBP",
                    {"001A": Related("Acme & Co", "Account"), "005B": Related("Ana Lima", "User")}, {"005B": "U0ANA"})
    record: dict[str, Any] = {"CurrencyIsoCode": None}

    def show(field: str, value: Any) -> Shown:
        return values.show("Opportunity", field, value, record)

    assert show("Amount", Decimal("91800.00")).text == "91\u202f800,00\xa0£GB"  # no record currency: the org's
    assert show("Amount", "91800.00").text == "91\u202f800,00\xa0£GB"  # a change-log value, read back first
    record["CurrencyIsoCode"] = "EUR"
    assert show("Amount", "153600").text == "153\u202f600,00\xa0€"
    assert show("Probability", "25").text == "25\xa0%"
    assert show("StageName", "Closed Won").text == "Won (closed)"  # a picklist value by its label
    assert show("Region__c", "[EMEA, APAC]").text == "Europe; Asia"
    assert (show("IsWon", "true").text, show("IsWon", False).text, show("IsWon", None).text) == ("Oui", "Non", "—")
    assert show("Seen__c", "2026-12-07 23:30:00+00").text == "8 déc. 2026, 00:30"  # in the reader's zone
    assert show("Seats__c", "1234.5").text == "1\u202f234,5"
    account = show("AccountId", "001A")
    assert (account.text, account.url, account.mrkdwn()) == ("Acme & Co", f"{INSTANCE}/001A",
                                                             f"<{INSTANCE}/001A|Acme &amp; Co>")
    assert show("OwnerId", "005B").mrkdwn() == "<@U0ANA>"
    assert show("AccountId", "001Z").mrkdwn() == f"<{INSTANCE}/001Z|Voir la fiche>"  # not synced: no raw Id
    assert show("Amount", "").text == "—"
    assert describe.label("Opportunity", "AccountId") == "Account Name"
    assert describe.label("Opportunity", "OwnerId") == "Owner"
    assert describe.label("Opportunity", "Probability") == "Probability (%)"
    assert describe.label("Opportunity", "Missing", {"Missing": "Kept at save time"}) == "Kept at save time"


@pytest.mark.integration
def test_each_sync_keeps_describe_labels_lookups_and_picklists(ready: SettingsContext) -> None:
    """A warehouse synced before labels were kept (or whose org renamed a field) is brought up to date by the
    next sync, in one statement, for the columns whose description changed."""
    settings = ready.settings
    assert sync_org(control_db(settings), settings, ALIAS).status == "completed"
    query = ("SELECT name, label, reference_to, name_field, CAST(picklist AS VARCHAR) FROM columns "
             "WHERE object = 'Opportunity' AND name IN ('AccountId', 'Name', 'StageName') ORDER BY name")
    with OrgWarehouse(settings.org_db(ALIAS)) as wh:
        fresh = wh.conn.execute(query).fetchall()
        wh.conn.execute("UPDATE columns SET label = NULL, reference_to = NULL, name_field = NULL, picklist = NULL")
    account, name, stage = fresh
    assert account[1:4] == ("Account ID", ["Account"], False)
    assert name[1:4] == ("Name", None, True)
    assert {"value": "Closed Won", "label": "Closed Won"} in json.loads(stage[4])
    assert sync_org(control_db(settings), settings, ALIAS).status == "completed"
    with OrgWarehouse(settings.org_db(ALIAS)) as wh:
        assert wh.conn.execute(query).fetchall() == fresh
        assert wh.conn.execute("SELECT count(*) FROM columns WHERE removed_at IS NULL AND label IS NULL").fetchone() \
            == (0,)
