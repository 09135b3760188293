"""User mapping: Salesforce users of the sandbox org matched to Slack sandbox users by email."""

from __future__ import annotations

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
    assert report.matched + report.unmatched + report.inactive == len(users)
    mapped = next(u for u in users if slack_user(control, "acme", u.id))
    slack_id, tz = slack_user(control, "acme", mapped.id) or ("", None)
    assert slack_id == slack.user_id(str(mapped.email).lower()) and tz
    again = refresh_user_map(control, "acme", users, client)
    assert again.looked_up == 0 and again.cached > 0  # within the TTL nothing is looked up again
    later = refresh_user_map(control, "acme", users, client, now=datetime.now(UTC) + timedelta(days=2))
    assert later.looked_up == report.looked_up
    listed = unmapped_users(control, "acme")
    assert len(listed) == report.unmatched + report.inactive
    assert {r["status"] for r in listed} <= {"unmatched", "inactive"}
