"""User mapping: Salesforce users of the sandbox org matched to Slack sandbox users by email."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from saleshome.sandbox.salesforce.seed import generate_org
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.slack.publisher import web_client
from saleshome.slack.users import SalesforceUser, refresh_user_map, slack_user, unmapped_users
from saleshome.warehouse.control import ControlDB


def test_users_map_by_email_with_time_zones_and_a_ttl(slack: SlackSandbox, control: ControlDB) -> None:
    assert slack.info is not None
    users_table = generate_org(7, 2000, datetime.now(UTC))["User"]  # the Slack sandbox is seeded alike
    users = [SalesforceUser(r["Id"], r["Email"], r["IsActive"]) for r in users_table.to_pylist()]
    client, _ = web_client(slack.info.bot_token, base_url=slack.info.api_url)
    report = refresh_user_map(control, "acme", users, client)
    assert report.matched >= len(users) * 0.6 and report.unmatched >= 1 and report.looked_up > 0
    assert report.matched + report.unmatched + report.deactivated + report.inactive == len(users)
    by_email = {u.profile.email.lower(): u for u in slack.world.users.values() if u.profile.email}
    matched = [u for u in users if slack_user(control, "acme", u.id)]
    assert len(matched) == report.matched
    for sf_user in matched:  # each keeps its Slack user's id and time zone
        slack_id, tz = slack_user(control, "acme", sf_user.id) or ("", None)
        expected = by_email[str(sf_user.email).lower()]
        assert (slack_id, tz) == (expected.id, expected.tz_fields(time.time())[0])
        assert tz and not expected.deleted
    again = refresh_user_map(control, "acme", users, client)
    assert again.looked_up == 0 and again.cached > 0  # within the TTL nothing is looked up again
    assert (again.matched, again.unmatched, again.deactivated) == (report.matched, report.unmatched, report.deactivated)
    later = refresh_user_map(control, "acme", users, client, now=datetime.now(UTC) + timedelta(days=2))
    assert later.looked_up == report.looked_up
    listed = unmapped_users(control, "acme")
    assert len(listed) == report.unmatched + report.deactivated + report.inactive
    assert {r["status"] for r in listed} <= {"unmatched", "deactivated", "inactive"}


def test_deactivated_slack_users_are_told_apart_from_unknown_emails(slack: SlackSandbox, control: ControlDB) -> None:
    assert slack.info is not None
    gone = slack.world.users[slack.world.deactivated_user_id]
    assert gone.deleted and gone.profile.email
    active = next(u for u in slack.world.users.values() if u.person is not None and not u.deleted)
    users = [
        SalesforceUser("005GONE", gone.profile.email.upper(), True),  # emails compare case-insensitively
        SalesforceUser("005NOBODY", "nobody.here@example.invalid", True),
        SalesforceUser("005ACTIVE", active.profile.email, True),
        SalesforceUser("005LEFT", active.profile.email, False),
    ]
    client, _ = web_client(slack.info.bot_token, base_url=slack.info.api_url)
    report = refresh_user_map(control, "acme", users, client)
    assert (report.matched, report.unmatched, report.deactivated, report.inactive) == (1, 1, 1, 1)
    assert {r["sf_user_id"]: r["status"] for r in unmapped_users(control, "acme")} == {
        "005GONE": "deactivated", "005NOBODY": "unmatched", "005LEFT": "inactive"}
    assert slack_user(control, "acme", "005GONE") is None
    assert slack_user(control, "acme", "005ACTIVE") == (active.id, active.tz_fields(time.time())[0])
