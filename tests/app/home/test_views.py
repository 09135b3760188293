"""The Sales tab's views: published to the Slack sandbox, which validates them as Slack does (100 blocks, text
lengths, select options, private_metadata, 250 kB), for long lists, long values, many objects and every problem.

Pure builders from UI API answers in their documented shapes (``shapes.py``), typed by the one UI API client's
types (``saleshome.salesforce.ui_api_types``); the words in English and French.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from slack_sdk import WebClient

from saleshome.app.home import Action, HomeScreen, Nav, home_view
from saleshome.app.home.blocks import (
    ListContent,
    ObjectLists,
    OrgChoice,
    Problem,
    RecordContent,
    Tab,
    view_bytes,
)
from saleshome.app.home.layout import sections_for
from saleshome.app.home.state import decode
from saleshome.app.home.values import values_for
from saleshome.i18n import Formatter, Messages
from saleshome.salesforce.ui_api_types import ListInfo, ListRecordsPage, ListViewSummary, ObjectInfo, RecordView
from saleshome.sandbox.slack.server import SlackSandbox
from tests.app.home import shapes
from tests.app.home.blockkit import action_ids, texts

pytestmark = [pytest.mark.integration, pytest.mark.sandboxes(seed=61, opportunities=60)]

LONG = "Ç'est très long & <b>*gras*</b> 🚀 " * 400  # ~14,000 characters, escapes, emoji (4 bytes in UTF-8)


@pytest.fixture(scope="module")
def bot(slack: SlackSandbox) -> WebClient:
    assert slack.info is not None
    return WebClient(token=slack.info.bot_token, base_url=slack.info.api_url, timeout=10)


@pytest.fixture(scope="module")
def member(slack: SlackSandbox) -> str:
    return next(u.id for u in slack.world.users.values() if u.person is not None and not u.deleted and not u.is_bot)


def publish(bot: WebClient, member: str, view: dict[str, Any]) -> dict[str, Any]:
    """Publish ``view`` as the member's Home tab; the sandbox refuses it (SlackApiError) where Slack would."""
    answer = bot.views_publish(user_id=member, view=view)
    assert answer["ok"] is True
    published: dict[str, Any] = answer["view"]
    return published


def words(locale: str = "en-US") -> Messages:
    return Messages(locale, "app")


def summary(api_name: str, label: str) -> ListViewSummary:
    return ListViewSummary(api_name=api_name, id="", label=label)


def many_objects(n: int, lists: int) -> list[ObjectLists]:
    return [ObjectLists(f"Object{i}__c", f"Objects {i} " + LONG[:200],
                        defaults=[summary(f"Default{j}", LONG[:120]) for j in range(30)],
                        own=[summary(f"Mine{j}", f"Mine {j} " + LONG[:100]) for j in range(lists)])
            for i in range(n)]


def long_list(columns: int = 15, rows: int = 25) -> ListContent:
    info_json = shapes.object_info()
    extra = {f"Text{i}__c": ("String", f"Text column {i} " + LONG[:300]) for i in range(columns)}
    info_json = shapes.object_info(fields={**shapes.OPPORTUNITY_FIELDS, **extra})
    cols = [("Name", "Opportunity Name"), *[(f, lab) for f, (_, lab) in extra.items()]]
    records = [shapes.record(f"006{i:015d}", {"Name": shapes.field(LONG), **{f: shapes.field(LONG) for f in extra}})
               for i in range(rows)]
    obj = ObjectInfo.parse(info_json)
    page = ListRecordsPage.parse(shapes.list_records(records, next_token="25"))
    values = values_for(obj, page.records, Formatter(), words(), instance_url="https://sf.test", currency="USD")
    return ListContent(ListInfo.parse(shapes.list_info("AllOpportunities", LONG, cols, [("Name", True, LONG)])),
                       page, obj, values)


# ----------------------------------------------------------------------------------------------- limits
def test_a_long_list_with_many_objects_and_orgs_fits_slacks_limits(bot: WebClient, member: str) -> None:
    orgs = [OrgChoice(f"org-{i}", LONG[:300]) for i in range(120)]
    screen = HomeScreen(Nav(org="org-1", object="Object0__c", list="Default0", page=2, token="25", previous="0"),
                        Tab(orgs, many_objects(90, 150)), long_list(), words("fr-FR"))
    view = home_view(screen)
    published = publish(bot, member, view)
    blocks = published["blocks"]
    assert len(blocks) <= 100
    records = [b for b in blocks if b.get("accessory", {}).get("action_id") == Action.OPEN_RECORD]
    assert len(records) == 25  # the whole page, whatever else had to give way
    assert all(len(b["fields"]) <= 10 for b in records)
    assert "…et" in " ".join(texts(blocks))  # the objects without room are counted
    assert view_bytes(view) <= 250_000
    assert Action.PREVIOUS_PAGE in action_ids(published) and Action.NEXT_PAGE in action_ids(published)
    assert decode(published["private_metadata"]).token == "25"


def test_a_record_with_a_huge_layout_fits_and_counts_what_is_left_out(bot: WebClient, member: str) -> None:
    fields = {f"Long{i}__c": ("TextArea", f"Long field {i} " + LONG[:50]) for i in range(1000)}
    info = shapes.object_info(fields={"Name": ("String", "Opportunity Name"), **fields})
    rec = shapes.record("006000000000000001", {"Name": shapes.field(LONG), **{f: shapes.field(LONG) for f in fields}})
    ui = RecordView.parse(shapes.record_ui(rec, info, [(f"Section {s} " + LONG[:100], list(fields)[s::8])
                                                       for s in range(8)]))
    values = values_for(ui.object_info, [ui.record], Formatter(), words(), instance_url="https://sf.test", currency="USD")
    content = RecordContent(ui, sections_for(None, ui, "Details"), values, "https://sf.test/006000000000000001")
    view = home_view(HomeScreen(Nav(org="a", object="Opportunity", list="All", record=rec["id"]),
                                Tab([OrgChoice("a", "A")], many_objects(5, 10)), content, words()))
    published = publish(bot, member, view)
    assert len(published["blocks"]) <= 100
    assert view_bytes(view) <= 250_000
    pickers = [b for b in published["blocks"] if b.get("accessory", {}).get("action_id") == Action.OPEN_LIST]
    assert len(pickers) == 5  # the objects keep their room beside a long record
    header = published["blocks"][1 + 5 + 1]  # the tab's header, 5 objects, the divider, then the record
    assert header["type"] == "header" and len(header["text"]["text"]) <= 150
    assert any(t.startswith("…and ") for t in texts(published["blocks"]))
    button = next(b["accessory"] for b in published["blocks"]
                  if b.get("accessory", {}).get("action_id") == Action.VIEW_IN_SALESFORCE)
    assert button["url"] == "https://sf.test/006000000000000001"
    assert button["text"]["text"] == "View in Salesforce"
    last = published["blocks"][-1]  # the way out: the core's Disconnect (revokes the member's token)
    assert [e["action_id"] for e in last["elements"]] == ["disconnect_salesforce:a"]


@pytest.mark.parametrize("kind", ["reconnect", "unavailable", "list_gone", "record_gone", "no_objects"])
@pytest.mark.parametrize("locale", ["en-US", "fr-FR"])
def test_every_problem_is_shown_in_place_with_what_to_do(bot: WebClient, member: str, kind: Any, locale: str) -> None:
    screen = HomeScreen(Nav(org="a", object="Opportunity", list="Gone"), Tab([OrgChoice("a", "A")],
                        many_objects(2, 3)), Problem(kind, "Gone"), words(locale))
    published = publish(bot, member, home_view(screen))
    text = " ".join(texts(published["blocks"]))
    expected = {
        ("reconnect", "en-US"): ("Reconnect", Action.RECONNECT),
        ("reconnect", "fr-FR"): ("Se reconnecter", Action.RECONNECT),
        ("unavailable", "en-US"): ("Retry", Action.RETRY),
        ("unavailable", "fr-FR"): ("Réessayer", Action.RETRY),
        ("record_gone", "en-US"): ("Back to the list", Action.BACK_TO_LIST),
        ("record_gone", "fr-FR"): ("Retour à la liste", Action.BACK_TO_LIST),
    }.get((kind, locale))
    if expected is not None:
        assert expected[0] in text and expected[1] in action_ids(published)
    if kind == "list_gone":
        assert "Gone" in text and ("no longer exists" in text if locale == "en-US" else "n’existe plus" in text)
    if kind == "no_objects":
        assert ("sales admin" in text) if locale == "en-US" else ("admin des ventes" in text)
    assert text.startswith("Sales" if locale == "en-US" else "Ventes")


def test_list_views_the_admins_chose_come_before_the_members_own(bot: WebClient, member: str) -> None:
    lists = ObjectLists("Opportunity", "Opportunities",
                        defaults=[summary("ClosingThisMonth", "Closing this month"),
                                  *[summary(f"D{i}", f"Default {i}") for i in range(30)]],
                        own=[summary("MyOpportunities", "My opportunities"),
                             summary("ClosingThisMonth", "Closing this month"),
                             *[summary(f"M{i}", f"Mine {i}") for i in range(200)]])
    screen = HomeScreen(Nav(org="a", object="Opportunity", list="M3"), Tab([OrgChoice("a", "A"),
                        OrgChoice("b", "B")], [lists]), None, words("fr-FR"))
    published = publish(bot, member, home_view(screen))
    select = next(b["accessory"] for b in published["blocks"] if b.get("accessory", {}).get("type") == "static_select")
    suggested, yours = select["option_groups"]
    assert suggested["label"]["text"] == "Listes suggérées" and yours["label"]["text"] == "Vos listes"
    assert [o["value"] for o in suggested["options"]][:2] == ["Opportunity/ClosingThisMonth", "Opportunity/D0"]
    assert len(suggested["options"]) == 25  # at most 25 defaults
    mine = [o["value"] for o in yours["options"]]
    assert mine[0] == "Opportunity/MyOpportunities" and "Opportunity/ClosingThisMonth" not in mine  # each list once
    assert len(suggested["options"]) + len(yours["options"]) == 100
    assert select["initial_option"]["value"] == "Opportunity/M3"
    orgs = next(b for b in published["blocks"] if b["type"] == "actions")["elements"][0]
    assert orgs["action_id"] == Action.SWITCH_ORG and orgs["initial_option"]["value"] == "a"


# ----------------------------------------------------------------------------------------------- values
def test_a_list_shows_labels_and_values_formatted_for_the_member(bot: WebClient, member: str) -> None:
    info = ObjectInfo.parse(shapes.object_info())
    rec = shapes.record("006000000000000042", {
        "Name": shapes.field("Big *deal* <!channel>"),
        "Amount": shapes.field(150000, "$150,000.00"),
        "CurrencyIsoCode": shapes.field("EUR", "EUR - Euro"),
        "CloseDate": shapes.field("2026-12-03", "12/3/2026"),
        "LastModifiedDate": shapes.field("2026-12-03T16:04:00.000Z", "12/3/2026 8:04 AM"),
        "StageName": shapes.field("Closed Won", "Gagnée"),
        "IsPrivate": shapes.field(False),
        "AccountId": shapes.field("001000000000000007"),
        "Account": shapes.account("001000000000000007", "Acme & Co"),
    })
    columns = [("Name", "Opportunity Name"), ("Account.Name", "Account Name"), ("Amount", "Amount"),
               ("CloseDate", "Close Date"), ("LastModifiedDate", "Last Modified"), ("StageName", "Stage"),
               ("IsPrivate", "Private")]
    page = ListRecordsPage.parse(shapes.list_records([rec]))
    formatter = Formatter.for_reader("fr-FR", "Europe/Paris")
    values = values_for(info, page.records, formatter, words("fr-FR"), instance_url="https://sf.test", currency="USD")
    content = ListContent(ListInfo.parse(shapes.list_info("Mine", "Mes opportunités", columns,
                                                           [("CloseDate", False, "Date de clôture")])),
                          page, info, values)
    published = publish(bot, member, home_view(HomeScreen(Nav(org="a", object="Opportunity", list="Mine"),
                                                          Tab([OrgChoice("a", "A")]), content, words("fr-FR"))))
    row = next(b for b in published["blocks"] if b.get("accessory", {}).get("action_id") == Action.OPEN_RECORD)
    cells = {c["text"].split("\n")[0].strip("*"): c["text"].split("\n", 1)[1] for c in row["fields"]}
    assert cells["Amount"] == "150\u202f000,00\u00a0€"  # the record's currency, French format (not displayValue)
    assert cells["Close Date"] == "3 déc. 2026"
    assert cells["Last Modified"] == "3 déc. 2026, 17:04"  # 16:04 UTC in Paris
    assert cells["Stage"] == "Gagnée"  # the picklist's label
    assert cells["Private"] == "Non"
    assert cells["Account Name"] == "<https://sf.test/001000000000000007|Acme &amp; Co>"
    assert "<!channel>" not in row["text"]["text"] and "&lt;!channel&gt;" in row["text"]["text"]
    assert row["accessory"]["value"] == "006000000000000042"
    assert row["accessory"]["text"]["text"] == "Ouvrir"
    context = " ".join(texts(published["blocks"]))
    assert "Enregistrements 1 à 1" in context and "Trié par Date de clôture ↓" in context


def test_a_record_shows_only_the_layout_fields_the_member_may_see(bot: WebClient, member: str) -> None:
    info = shapes.object_info()
    # Salesforce leaves out of the answer the fields the member may not see (here Description and Probability)
    rec = shapes.record("006000000000000043", {
        "Name": shapes.field("Renewal"), "Amount": shapes.field(5000), "StageName": shapes.field("Prospecting", "Prospecting"),
        "CloseDate": shapes.field("2027-01-15"), "OwnerId": shapes.field("005000000000000001")})
    ui = RecordView.parse(shapes.record_ui(rec, info, [("Opportunity Information", ["Name", "Amount", "Description"]),
                                                       ("Other", ["Probability", "StageName"])]))
    slack_layout = ["Amount", "Probability", "CloseDate", "Description"]  # the admins' Slack record layout
    sections = sections_for(slack_layout, ui, "Details")
    assert [s.fields for s in sections] == [("Amount", "CloseDate")]
    assert [s.fields for s in sections_for(None, ui, "Details")] == [("Name", "Amount"), ("StageName",)]
    values = values_for(ui.object_info, [ui.record], Formatter(), words(), instance_url="https://sf.test", currency="USD")
    view = home_view(HomeScreen(Nav(org="a", record=rec["id"]), Tab([OrgChoice("a", "A")]),
                                RecordContent(ui, sections, values, "https://sf.test/006000000000000043"), words()))
    published = publish(bot, member, view)
    text = " ".join(texts(published["blocks"]))
    assert "Renewal" in text and "006000000000000043" not in text  # the record's name, not its Id
    assert "*Amount*\n$5,000.00" in text and "*Close Date*\nJan 15, 2027" in text
    assert "Description" not in text and "Probability" not in text and "Stage" not in text


def test_the_first_and_last_pages_offer_only_the_way_that_exists(bot: WebClient, member: str) -> None:
    content = long_list(columns=1, rows=3)
    last = ListContent(content.info, ListRecordsPage.parse(shapes.list_records([], current="50", previous="25")),
                       content.object, content.values)
    first = publish(bot, member, home_view(HomeScreen(Nav(org="a", object="Opportunity", list="All"),
                                                      Tab([OrgChoice("a", "A")]), content, words())))
    assert Action.NEXT_PAGE in action_ids(first) and Action.PREVIOUS_PAGE not in action_ids(first)
    end = publish(bot, member, home_view(HomeScreen(Nav(org="a", object="Opportunity", list="All", page=3, token="50"),
                                                    Tab([OrgChoice("a", "A")]), last, words())))
    assert Action.NEXT_PAGE not in action_ids(end) and Action.PREVIOUS_PAGE in action_ids(end)
    assert "No records in this list." in " ".join(texts(end["blocks"]))
    assert datetime.now(UTC)  # the views are pure: nothing above depended on the clock
