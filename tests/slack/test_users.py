"""User mapping: Salesforce users of the sandbox org matched to Slack sandbox users by email."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from saleshome.errors import ConfigurationError
from saleshome.publish.publisher import web_client
from saleshome.sandbox.salesforce.seed import generate_org
from saleshome.sandbox.slack.seed import BOT_SCOPES
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.sync.users import SalesforceUser, refresh_user_map, slack_user, unmapped_users
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


def _locales(control: ControlDB, alias: str) -> dict[str, str | None]:
    return {r["slack_user_id"]: r["locale"] for r in control.rows(
        "SELECT slack_user_id, locale FROM user_map WHERE alias = ? AND status = 'matched'", [alias])}


def test_the_map_keeps_each_members_slack_locale_and_refreshes_a_changed_one(
    slack: SlackSandbox, control: ControlDB,
) -> None:
    assert slack.info is not None
    people = [u for u in slack.world.users.values() if u.person is not None and not u.deleted and u.profile.email]
    users = [SalesforceUser(f"005{i:03d}", u.profile.email, True) for i, u in enumerate(people)]
    client, _ = web_client(slack.info.bot_token, base_url=slack.info.api_url)
    report = refresh_user_map(control, "acme", users, client)
    assert report.matched == len(people)
    assert _locales(control, "acme") == {u.id: u.locale for u in people}  # read with users.info include_locale
    assert {"fr-FR", "en-US", "en-GB"} <= set(_locales(control, "acme").values())
    assert report.locales == {loc: sum(u.locale == loc for u in people) for loc in {u.locale for u in people}}
    cached = refresh_user_map(control, "acme", users, client)
    assert cached.looked_up == 0 and cached.locales == report.locales  # counted from the map, no call

    switching = next(u for u in people if u.locale == "en-US")
    slack.set_locale(switching.id, "fr-FR")
    assert _locales(control, "acme")[switching.id] == "en-US", "within the TTL the map is not re-read"
    later = refresh_user_map(control, "acme", users, client, now=datetime.now(UTC) + timedelta(days=2))
    assert later.looked_up == len(people)
    assert _locales(control, "acme") == {u.id: ("fr-FR" if u.id == switching.id else u.locale) for u in people}
    assert later.locales["fr-FR"] == report.locales["fr-FR"] + 1


def test_without_users_read_the_locale_cannot_be_read_a_configuration_error_and_nothing_written(
    control: ControlDB,
) -> None:
    with SlackSandbox(seed=7, bot_scopes=BOT_SCOPES - {"users:read"}) as slack:
        assert slack.info is not None
        active = next(u for u in slack.world.users.values() if u.person is not None and not u.deleted)
        client, _ = web_client(slack.info.bot_token, base_url=slack.info.api_url)
        with pytest.raises(ConfigurationError, match=r"users\.info: missing_scope") as refused:
            refresh_user_map(control, "acme", [SalesforceUser("005A", active.profile.email, True)], client)
    assert refused.value.hint and "users:read" in refused.value.hint
    assert control.rows("SELECT * FROM user_map") == []
