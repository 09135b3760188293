"""The Sales tab as members see it: read from the Salesforce sandbox's UI API with each member's own session,
published to the Slack sandbox (which validates every view as Slack does).

A rep (Standard User, no Sales Analytics) and a manager (Sales Manager with Sales Analytics) of the seeded org:
the rep sees only the opportunities they may see, never the weighted amount (ExpectedRevenue, hidden from reps by
field-level security), and no Case; errors (expired session, Salesforce down, a list view that is gone) show in place.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from slack_sdk import WebClient

from saleshome.app.home import (
    Action,
    Member,
    Nav,
    OrgView,
    decode,
    home_view,
    next_nav,
)
from saleshome.app.home import load_screen as load
from saleshome.app.home.blocks import HomeScreen, ListContent, Problem, RecordContent
from saleshome.salesforce.ui_api import UiApi
from saleshome.salesforce.ui_api_types import Record
from saleshome.sandbox.salesforce.access import access_for
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.settings.model import Layout, ListViewRef, ObjectLists, OrgSettings
from saleshome.slack.text import escape
from tests.app.home.blockkit import texts
from tests.app.home.sessions import SandboxSession
from tests.fixtures.sandboxes import sandbox_session

pytestmark = [pytest.mark.integration, pytest.mark.sandboxes(seed=61, opportunities=300)]

SALES_HOME = "Slack_Sales_Home_User"
SLACK_LAYOUT = ["Name", "Amount", "ExpectedRevenue", "StageName", "CloseDate", "AccountId"]


@dataclass
class People:
    rep: str
    manager: str


@pytest.fixture(scope="module")
def people(sandbox: SalesforceSandbox) -> People:
    """A rep who sees more than one page of opportunities, and a manager with Sales Analytics."""
    assert sandbox.store is not None
    users = sandbox.store.read('SELECT "Id" FROM "User" WHERE "IsActive" ORDER BY "Id"').to_pylist()
    grants = {u["Id"]: access_for(sandbox.store, u["Id"]) for u in users}
    managers = [u for u, a in grants.items() if a.profile == "Sales Manager" and SALES_HOME in a.permission_sets
                and "Sales_Analytics" in a.permission_sets]
    reps = [u for u, a in grants.items() if a.profile == "Standard User" and SALES_HOME in a.permission_sets
            and "Sales_Analytics" not in a.permission_sets]
    rep = next(u for u in reps if len(_all_records(api(sandbox, u))) > 25)
    return People(rep=rep, manager=managers[0])


def api(sandbox: SalesforceSandbox, user_id: str) -> UiApi:
    """The member's UI API through the one client (as the app reads it), over a session of theirs on the sandbox."""
    assert sandbox.info is not None
    return SandboxSession("acme", user_id, sandbox.info.instance_url, sandbox.sessions.issue(user_id).token,
                          sandbox_session(sandbox.info.ca_file)).ui_api()


def _all_records(member: UiApi, list_view: str = "AllOpportunities") -> list[Record]:
    return list(member.list_records("Opportunity", list_view, page_size=2000).records)


@pytest.fixture(scope="module")
def org(sandbox: SalesforceSandbox) -> OrgView:
    assert sandbox.info is not None
    settings = OrgSettings(
        objects={"Opportunity": ObjectLists(default_lists=[ListViewRef(id="00B000000000001", developer_name=
                                                                       "ClosingThisMonth", label="Closing This Month")]),
                 "Case": ObjectLists(), "Account": ObjectLists()},
        layouts={"Opportunity": Layout(fields=SLACK_LAYOUT)})
    return OrgView("acme", "Acme", sandbox.info.instance_url, settings, "USD")


@pytest.fixture(scope="module")
def bot(slack: SlackSandbox) -> WebClient:
    assert slack.info is not None
    return WebClient(token=slack.info.bot_token, base_url=slack.info.api_url, timeout=10)


@pytest.fixture(scope="module")
def slack_member(slack: SlackSandbox) -> str:
    return next(u.id for u in slack.world.users.values() if u.person is not None and not u.deleted and not u.is_bot)


@pytest.fixture(autouse=True)
def _disarm(sandbox: SalesforceSandbox) -> Iterator[None]:
    yield
    sandbox.faults.clear()


def screen_for(sandbox: SalesforceSandbox, user_id: str, org: OrgView, nav: Nav, locale: str = "en-US") -> HomeScreen:
    member_api = api(sandbox, user_id)
    return load(lambda alias: member_api, Member("U1", locale, "Europe/Paris"), [org], nav)


def published(bot: WebClient, slack_member: str, screen: HomeScreen) -> dict[str, Any]:
    answer = bot.views_publish(user_id=slack_member, view=home_view(screen))
    assert answer["ok"] is True
    view: dict[str, Any] = answer["view"]
    return view


def _ids(screen: HomeScreen) -> list[str]:
    assert isinstance(screen.content, ListContent), screen.content
    return [r.id for r in screen.content.page.records]


def _rows(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for b in view["blocks"] if b.get("accessory", {}).get("action_id") == Action.OPEN_RECORD]


# -------------------------------------------------------------------------------------------------- the tab
def test_the_admins_objects_the_member_may_use_with_default_lists_first(
        sandbox: SalesforceSandbox, people: People, org: OrgView, bot: WebClient, slack_member: str) -> None:
    screen = screen_for(sandbox, people.rep, org, Nav())
    assert [o.object for o in screen.tab.objects] == ["Opportunity", "Account"]  # a rep has no Case
    assert isinstance(screen.content, ListContent)  # opened on the first object's first default list
    assert (screen.nav.object, screen.nav.list, screen.content.info.api_name) == ("Opportunity", "ClosingThisMonth",
                                                                                    "ClosingThisMonth")
    opportunities = screen.tab.objects[0]
    defaults, own = opportunities.ordered()
    assert [d.api_name for d in defaults] == ["ClosingThisMonth"]
    assert "AllOpportunities" in [v.api_name for v in own] and "ClosingThisMonth" not in [v.api_name for v in own]
    view = published(bot, slack_member, screen)
    select = next(b["accessory"] for b in view["blocks"] if b.get("accessory", {}).get("action_id") == Action.OPEN_LIST)
    assert select["option_groups"][0]["options"][0]["value"] == "Opportunity/ClosingThisMonth"
    manager = screen_for(sandbox, people.manager, org, Nav())
    assert [o.object for o in manager.tab.objects] == ["Opportunity", "Case", "Account"]


def test_a_list_pages_25_records_at_a_time_with_only_what_the_member_may_see(
        sandbox: SalesforceSandbox, people: People, org: OrgView, bot: WebClient, slack_member: str) -> None:
    visible = {r.id for r in _all_records(api(sandbox, people.rep))}
    everyone = {r.id for r in _all_records(api(sandbox, people.manager))}
    assert 25 < len(visible) < len(everyone)
    first = screen_for(sandbox, people.rep, org, Nav(org="acme").open_list("Opportunity", "AllOpportunities"))
    assert len(_ids(first)) == 25 and set(_ids(first)) <= visible
    view = published(bot, slack_member, first)
    rows = [b for b in view["blocks"] if b.get("accessory", {}).get("action_id") == Action.OPEN_RECORD]
    assert [r["accessory"]["value"] for r in rows] == _ids(first)
    labels = {f["text"].split("\n")[0].strip("*") for f in rows[0]["fields"]}
    assert {"Account Name", "Amount", "Close Date", "Stage"} <= labels  # the list view's columns, by label
    amount = next(f["text"] for f in rows[0]["fields"] if f["text"].startswith("*Amount*"))
    assert amount.split("\n")[1].startswith("$")

    after = next_nav({"action_id": Action.NEXT_PAGE, "value": "next"}, decode(view["private_metadata"]))
    second = screen_for(sandbox, people.rep, org, after)
    assert second.nav.page == 2 and set(_ids(second)) == visible - set(_ids(first))
    second_view = published(bot, slack_member, second)
    assert "Records 26–" in str(second_view["blocks"])
    assert Action.NEXT_PAGE not in str(second_view["blocks"])  # the last page
    back = next_nav({"action_id": Action.PREVIOUS_PAGE, "value": "previous"}, decode(second_view["private_metadata"]))
    assert _ids(screen_for(sandbox, people.rep, org, back)) == _ids(first)


def test_a_record_shows_the_slack_layout_as_the_member_may_see_it(
        sandbox: SalesforceSandbox, people: People, org: OrgView, bot: WebClient, slack_member: str) -> None:
    record_id = _all_records(api(sandbox, people.rep))[0].id
    nav = Nav(org="acme", object="Opportunity", list="AllOpportunities", record=record_id)
    rep = screen_for(sandbox, people.rep, org, nav, "fr-FR")
    manager = screen_for(sandbox, people.manager, org, nav, "fr-FR")
    assert isinstance(rep.content, RecordContent) and isinstance(manager.content, RecordContent)
    assert [s.fields for s in manager.content.sections] == [tuple(SLACK_LAYOUT)]
    assert [s.fields for s in rep.content.sections] == [tuple(f for f in SLACK_LAYOUT if f != "ExpectedRevenue")]
    view = published(bot, slack_member, rep)
    text = " ".join(texts(view["blocks"]))  # what the member reads
    assert "Expected" not in text and record_id not in text  # its name, not its Id
    assert "Voir dans Salesforce" in text and "Ventes" in text
    assert f"{org.instance_url}/{record_id}" in str(view["blocks"])  # the button's URL
    amount = next(f["text"] for b in view["blocks"] for f in b.get("fields", []) if f["text"].startswith("*Amount*"))
    assert amount.endswith("$US")  # French format of a USD amount: "4 400,00 $US"


def test_rows_are_named_even_when_the_list_view_has_no_name_column(
        sandbox: SalesforceSandbox, people: People, org: OrgView, bot: WebClient, slack_member: str) -> None:
    names = {r.id: r.text("Name") for r in _all_records(api(sandbox, people.rep), "OpenPipeline")}
    screen = screen_for(sandbox, people.rep, org, Nav(org="acme").open_list("Opportunity", "PipelineByStage"))
    assert isinstance(screen.content, ListContent)
    assert "Name" not in [c.field_api_name for c in screen.content.info.columns]  # the view shows no name
    view = published(bot, slack_member, screen)
    rows = _rows(view)
    assert rows and len(rows) == len(_ids(screen))
    for row in rows:
        record_id = row["accessory"]["value"]
        title = row["text"]["text"]
        assert record_id not in title  # each row is named by its record's name, never its Id
        assert names[record_id] and title == f"*{escape(names[record_id] or '')}*"
        labels = {f["text"].split("\n")[0].strip("*") for f in row["fields"]}
        assert {"Stage", "Amount", "Close Date", "Account Name"} <= labels and "Opportunity Name" not in labels


# -------------------------------------------------------------------------------------------------- problems
def test_an_expired_session_offers_to_reconnect(sandbox: SalesforceSandbox, people: People, org: OrgView,
                                                bot: WebClient, slack_member: str) -> None:
    member_api = api(sandbox, people.rep)
    sandbox.sessions.expire_all()
    screen = load(lambda alias: member_api, Member("U1", "en-US"), [org], Nav(org="acme"))
    assert screen.content == Problem("reconnect")
    assert Action.RECONNECT in str(published(bot, slack_member, screen)["blocks"])


def test_salesforce_down_offers_to_retry_and_retrying_shows_the_list(
        sandbox: SalesforceSandbox, people: People, org: OrgView, bot: WebClient, slack_member: str) -> None:
    nav = Nav(org="acme").open_list("Opportunity", "AllOpportunities")
    sandbox.faults.add("status", status=503, path="/ui-api/list-records/", times=1)
    down = screen_for(sandbox, people.rep, org, nav)
    assert down.content == Problem("unavailable")
    assert [o.object for o in down.tab.objects] == ["Opportunity", "Account"]  # the rest of the tab stays
    view = published(bot, slack_member, down)
    assert Action.RETRY in str(view["blocks"])
    again = screen_for(sandbox, people.rep, org, next_nav({"action_id": Action.RETRY}, decode(view["private_metadata"])))
    assert len(_ids(again)) == 25


def test_a_list_view_that_is_gone_is_said_so(sandbox: SalesforceSandbox, people: People, org: OrgView,
                                             bot: WebClient, slack_member: str) -> None:
    screen = screen_for(sandbox, people.rep, org, Nav(org="acme").open_list("Opportunity", "DeletedYesterday"), "fr-FR")
    assert screen.content == Problem("list_gone", "DeletedYesterday")
    assert "DeletedYesterday n’existe plus" in str(published(bot, slack_member, screen)["blocks"])
