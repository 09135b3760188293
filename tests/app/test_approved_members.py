"""Mappings a sales admin approved (`saleshome org approve-member | revoke-member | members`), on the sandboxes: the
seed's Salesforce user whose email is on a legacy domain (no Slack account has it) linked to their Slack user; the
user-map step keeping an approval across refreshes (cached or looked up again) even against the emails; a
revocation unlinking at once and the next refresh mapping by email again; every refusal named, nothing changed.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from saleshome.notify.readers import read_readers
from saleshome.pipeline import refresh_org_users
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.settings.audit import read_audit
from saleshome.settings.locales import member_locales
from saleshome.sync.users import slack_user as slack_user_of
from tests.fixtures.app import MemberHome, legacy_email_member
from tests.fixtures.cli import Cli
from tests.fixtures.workspace import ALIAS, People

pytestmark = [pytest.mark.integration]

LATER = timedelta(days=2)  # past the user map's TTL: every entry is looked up again


def entry(home: MemberHome, sf_user: str) -> dict[str, object]:
    rows = home.control.rows("SELECT slack_user_id, tz, locale, status FROM user_map WHERE alias = ? "
                             "AND sf_user_id = ?", [ALIAS, sf_user])
    assert len(rows) == 1
    return rows[0]


def test_an_approved_mapping_links_the_user_across_refreshes_and_a_revocation_returns_them_to_their_email(
        cli: Cli, member_home: MemberHome, slack_sandbox: SlackSandbox, people: People) -> None:
    sf_user, slack_user = legacy_email_member(member_home, slack_sandbox)
    admin = member_home.sales_admin
    approved = cli("org", "approve-member", ALIAS, "--salesforce-user", sf_user[:15], "--slack-user", slack_user,
                   "--as", admin)
    assert approved.code == 0, approved.text
    assert f"is now linked to {slack_user}" in approved.out
    expected = slack_sandbox.world.users[slack_user]
    linked = {"slack_user_id": slack_user, "tz": expected.tz_fields(time.time())[0], "locale": expected.locale,
              "status": "approved"}
    assert entry(member_home, sf_user) == linked  # at once, with the Slack user's time zone and locale
    # what addresses a member's messages sees the link too: notifications and celebrations reach them
    assert slack_user_of(member_home.control, ALIAS, sf_user) == (slack_user, linked["tz"])
    assert sf_user in member_locales(member_home.control, ALIAS)
    with member_home.control.reading() as db:
        assert slack_user in read_readers(db, member_home.settings.workspace).members
    # the user-map step keeps it: within the TTL (cached) and past it (looked up again)
    for now in (None, datetime.now(UTC) + LATER):
        report = refresh_org_users(member_home.control, member_home.settings, ALIAS, now=now)
        assert report is not None and report.approved == 1
        assert entry(member_home, sf_user) == linked
    # a Salesforce user whose email matches another Slack user: the approval wins, the emails come back after it
    email_match = member_home.control.rows(
        "SELECT sf_user_id, slack_user_id FROM user_map WHERE alias = ? AND status = 'matched' AND slack_user_id <> ? "
        "ORDER BY sf_user_id", [ALIAS, admin])[0]
    owner = people.primary_owner  # a Slack user the emails map to nobody in the org
    assert cli("org", "approve-member", ALIAS, "--salesforce-user", email_match["sf_user_id"], "--slack-user", owner,
               "--as", admin).code == 0
    assert refresh_org_users(member_home.control, member_home.settings, ALIAS,
                             now=datetime.now(UTC) + LATER) is not None
    assert entry(member_home, email_match["sf_user_id"])["slack_user_id"] == owner
    assert entry(member_home, email_match["sf_user_id"])["status"] == "approved"
    # shown apart: `org members` and `saleshome status`
    listed = cli("org", "members", ALIAS)
    assert listed.code == 0 and slack_user in listed.out and owner in listed.out and admin in listed.out
    status = cli("status")
    assert status.code == 0, status.text
    assert "2 Salesforce users linked to Slack by a sales admin's approval" in status.out
    email = member_home.control.rows("SELECT email FROM user_map WHERE sf_user_id = ?", [sf_user])[0]["email"]
    unmapped = [line for line in status.out.splitlines() if "have no Slack match" in line]
    assert unmapped and all(email not in line for line in unmapped)  # not listed as unmapped any more
    # revoked: unlinked in user_map at once (the app refuses at once); the next refresh maps by email
    for user in (sf_user, email_match["sf_user_id"]):
        revoked = cli("org", "revoke-member", ALIAS, "--salesforce-user", user, "--as", admin)
        assert revoked.code == 0 and "is removed" in revoked.out, revoked.text
        assert entry(member_home, user) == {"slack_user_id": None, "tz": None, "locale": None, "status": "unmatched"}
    # within the TTL: revoked entries are looked up anyway
    report = refresh_org_users(member_home.control, member_home.settings, ALIAS)
    assert report is not None and report.approved == 0
    assert entry(member_home, sf_user)["status"] == "unmatched"  # no Slack account has their email
    assert entry(member_home, email_match["sf_user_id"])["slack_user_id"] == email_match["slack_user_id"]
    assert entry(member_home, email_match["sf_user_id"])["status"] == "matched"
    again = cli("org", "revoke-member", ALIAS, "--salesforce-user", sf_user, "--as", admin)
    assert again.code == 0 and "had no approved mapping" in again.out
    audit = [(e.action, e.target) for e in read_audit(member_home.control, member_home.settings.workspace)
             if e.action.startswith("members.")]
    assert audit == [("members.approve", f"members.{ALIAS}.{sf_user}"),
                     ("members.approve", f"members.{ALIAS}.{email_match['sf_user_id']}"),
                     ("members.revoke", f"members.{ALIAS}.{sf_user}"),
                     ("members.revoke", f"members.{ALIAS}.{email_match['sf_user_id']}")]


def test_bad_approvals_are_refused_with_the_reason_and_change_nothing(
        cli: Cli, member_home: MemberHome, slack_sandbox: SlackSandbox, people: People) -> None:
    sf_user, slack_user = legacy_email_member(member_home, slack_sandbox)
    inactive = member_home.control.rows("SELECT sf_user_id FROM user_map WHERE alias = ? AND status = 'inactive' "
                                        "ORDER BY sf_user_id", [ALIAS])[0]["sf_user_id"]
    admin = member_home.sales_admin
    before = entry(member_home, sf_user)
    cases = [
        (("nope", sf_user, slack_user, admin), "no org called 'nope' (connected: acme)"),
        ((ALIAS, "005000000000000AAA", slack_user, admin), "no Salesforce user '005000000000000AAA' in org 'acme'"),
        ((ALIAS, inactive, slack_user, admin), "is inactive in org 'acme'"),
        ((ALIAS, sf_user, "U0NOBODY00", admin), "unknown Slack user U0NOBODY00"),
        ((ALIAS, sf_user, people.deactivated, admin), "is deactivated in Slack"),
        ((ALIAS, sf_user, people.bot, admin), "is a bot in Slack"),
        ((ALIAS, sf_user, people.member, admin), "is already linked to Salesforce user"),  # matched by email
        ((ALIAS, sf_user, slack_user, people.member), "is not a sales admin"),
    ]
    for (alias, sf, slack, actor), message in cases:
        refused = cli("org", "approve-member", alias, "--salesforce-user", sf, "--slack-user", slack, "--as", actor)
        assert refused.code == 1 and message in refused.err, (message, refused.text)
        assert "Traceback" not in refused.text
    assert cli("org", "approve-member", ALIAS, "--salesforce-user", sf_user, "--slack-user", slack_user,
               "--as", admin).code == 0
    other = member_home.control.rows("SELECT sf_user_id FROM user_map WHERE alias = ? AND status = 'unmatched' "
                                     "AND sf_user_id <> ? ORDER BY sf_user_id", [ALIAS, sf_user])[0]["sf_user_id"]
    taken = cli("org", "approve-member", ALIAS, "--salesforce-user", other, "--slack-user", slack_user, "--as", admin)
    assert taken.code == 1 and f"already linked to Salesforce user {sf_user}" in taken.err, taken.text
    assert "revoke-member" in taken.err  # the hint says how
    not_admin = cli("org", "revoke-member", ALIAS, "--salesforce-user", sf_user, "--as", people.member)
    assert not_admin.code == 1 and "is not a sales admin" in not_admin.err
    rows = member_home.control.rows("SELECT sf_user_id, slack_user_id, approved_by FROM approved_members")
    assert rows == [{"sf_user_id": sf_user, "slack_user_id": slack_user, "approved_by": admin}]
    assert entry(member_home, other)["status"] == "unmatched" and before["status"] == "unmatched"
    assert [e.action for e in read_audit(member_home.control, member_home.settings.workspace)
            if e.action.startswith("members.")] == ["members.approve"]
