"""A member without the "Slack Sales Home User" permission set (as last synced) sees one screen saying so and whom
to ask — the workspace's sales admins — and nothing else; in their Slack language (English, French)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from saleshome.pipeline import salesforce_users
from saleshome.publish.publisher import web_client
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.sync.users import refresh_user_map
from tests.fixtures.app import NO_ACCESS_SCREEN, MemberHome, event_body, post_event, start_app, wait_for
from tests.fixtures.workspace import ALIAS, People
from tests.sandbox.salesforce.members import logins

pytestmark = [pytest.mark.integration]


def member_without_access(home: MemberHome) -> str:
    """A Slack user mapped in ``acme`` to an active Salesforce user without the permission set."""
    rows = home.control.rows("SELECT slack_user_id FROM user_map WHERE alias = ? AND status = 'matched' "
                             "AND sales_home_user = ? ORDER BY slack_user_id", [ALIAS, False])
    assert rows, "the seed maps no Salesforce user without Sales Home to Slack"
    return str(rows[0]["slack_user_id"])


def texts(view: dict[str, Any]) -> str:
    return " ".join(str(e.get("text") if isinstance(e.get("text"), str) else (e.get("text") or {}).get("text", ""))
                    for b in view["blocks"] for e in [b, *b.get("elements", [])])


def open_home(home: MemberHome, slack: SlackSandbox, tmp_path: Path, user: str, event_id: str) -> dict[str, Any]:
    before = slack.home_view(user)
    app = start_app(tmp_path)
    try:
        assert post_event(app, event_body(user, event_id), home.signing_secret).status_code == 200
        return wait_for(lambda: (v := slack.home_view(user)) and v != before and v,  # type: ignore[no-any-return]
                        "the Home tab", app=app)
    finally:
        app.stop()


def assert_only_the_access_screen(view: dict[str, Any]) -> None:
    assert view["callback_id"] == NO_ACCESS_SCREEN
    assert {b["type"] for b in view["blocks"]} <= {"header", "section", "context"}
    assert not any(b.get("accessory") or b["type"] == "actions" for b in view["blocks"])  # nothing to click


def test_a_member_without_the_permission_set_sees_whom_to_ask_and_nothing_else(
        member_home: MemberHome, slack_sandbox: SlackSandbox, people: People, tmp_path: Path) -> None:
    user = member_without_access(member_home)
    view = open_home(member_home, slack_sandbox, tmp_path, user, "Ev0NOACCESS01")
    assert_only_the_access_screen(view)
    words = texts(view)
    assert "You do not have access to Sales Home." in words
    assert "“Slack Sales Home User” permission set" in words
    assert f"<@{people.sales_admin}>" in words  # whom to ask: the sales admins
    assert member_home.control.rows("SELECT * FROM oauth_states WHERE slack_user_id = ?", [user]) == []


def test_a_slack_user_no_org_maps_sees_the_access_screen(
        member_home: MemberHome, slack_sandbox: SlackSandbox, people: People, tmp_path: Path) -> None:
    mapped = {r["slack_user_id"] for r in member_home.control.rows("SELECT slack_user_id FROM user_map")}
    user = next(u.id for u in slack_sandbox.world.users.values()
                if u.person is not None and not u.deleted and u.id not in mapped)
    assert_only_the_access_screen(open_home(member_home, slack_sandbox, tmp_path, user, "Ev0NOACCESS02"))


def test_the_access_screen_reads_in_french_for_a_french_member(
        member_home: MemberHome, slack_sandbox: SlackSandbox, people: People, tmp_path: Path) -> None:
    user = member_without_access(member_home)
    was = slack_sandbox.world.users[user].locale or "en-US"
    slack_sandbox.set_locale(user, "fr-FR")
    try:
        assert member_home.settings.slack_bot_token is not None
        client, _ = web_client(member_home.settings.slack_bot_token.get_secret_value(),
                               base_url=member_home.settings.slack_api_url)
        refresh_user_map(member_home.control, ALIAS, salesforce_users(member_home.settings, ALIAS), client,
                         ttl=timedelta(0))  # the user-map step reads the member's locale again
        view = open_home(member_home, slack_sandbox, tmp_path, user, "Ev0NOACCESS03")
    finally:
        slack_sandbox.set_locale(user, was)  # the folder's sandbox is shared: as it was
    assert_only_the_access_screen(view)
    words = texts(view)
    assert "Vous n’avez pas accès à Sales Home." in words
    assert f"<@{people.sales_admin}>" in words


def test_the_user_map_step_records_who_holds_the_permission_set_as_salesforce_says(
        member_home: MemberHome, slack_sandbox: SlackSandbox, sf_sandbox: SalesforceSandbox) -> None:
    assert sf_sandbox.info is not None
    truth = {entry["user_id"][:15]: entry["sales_home_user"] for entry in logins(sf_sandbox.info)}  # the sandbox's own
    recorded = {r["sf_user_id"][:15]: r["sales_home_user"] for r in member_home.control.rows(
        "SELECT sf_user_id, sales_home_user FROM user_map WHERE alias = ?", [ALIAS])}
    assert truth and {u: recorded.get(u) for u in truth} == truth
    assert True in truth.values() and False in truth.values()
    # a later refresh records a change even for entries it does not look up again (within their TTL)
    users = salesforce_users(member_home.settings, ALIAS)
    holder = next(u for u in users if u.sales_home_user)
    assert member_home.settings.slack_bot_token is not None
    client, _ = web_client(member_home.settings.slack_bot_token.get_secret_value(),
                           base_url=member_home.settings.slack_api_url)
    changed = [replace(u, sales_home_user=False) if u.id == holder.id else u for u in users]
    report = refresh_user_map(member_home.control, ALIAS, changed, client)
    assert report.looked_up == 0
    assert member_home.control.rows("SELECT sales_home_user FROM user_map WHERE alias = ? AND sf_user_id = ?",
                                    [ALIAS, holder.id]) == [{"sales_home_user": False}]
