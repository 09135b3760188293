"""The seeded organisation: its shape, its determinism, and its match with the Salesforce sandbox.

Follows the Slack API docs "Enterprise organizations" (an org with several workspaces, org-wide
users), "Slack Connect" (``is_ext_shared``, ``connected_team_ids``), "The conversation object"
and "The user object" (``tz``, ``deleted``, ``is_bot``; ``USLACKBOT``), and the contract of
``saleshome/sandbox/people.py`` shared with the Salesforce sandbox.
"""

from __future__ import annotations

import pytest

from saleshome.sandbox.people import sales_team, team_size
from saleshome.sandbox.slack.blocks import KNOWN_BLOCK_TYPES, fallback_text, validate_blocks
from saleshome.sandbox.slack.objects import conversation_json
from saleshome.sandbox.slack.seed import build_world

NOW = 1_750_000_000.0


def test_shape_of_the_organisation() -> None:
    world = build_world(9, 2000, NOW)
    assert world.enterprise.id.startswith("E") and len(world.org_team_ids) == 2
    kinds = {c.kind for c in world.conversations.values()}
    assert kinds == {"public", "private", "mpim", "im"}
    assert any(c.is_archived for c in world.conversations.values())
    assert any(c.is_ext_shared and len(c.connected_team_ids) == 2 for c in world.conversations.values())
    assert any(c.is_org_shared for c in world.conversations.values())
    assert any(c.is_legacy_group for c in world.conversations.values())
    not_in = [c for c in world.conversations.values() if world.bot_user_id not in c.members]
    assert {c.kind for c in not_in} == {"public", "private"}
    for team_id in world.org_team_ids:
        assert sum(1 for c in world.conversations_of_team(team_id) if c.is_general) == 1
    assert sum(u.is_primary_owner for u in world.users.values()) == 1
    assert sum(u.deleted for u in world.users.values()) == 1
    assert world.users["USLACKBOT"].is_bot is False and world.bot.is_bot is True


def test_a_group_dm_and_an_existing_dm_are_seeded_as_slack_conversation_objects() -> None:
    """"The conversation object": a group DM is ``is_mpim`` (and ``is_group``, never ``is_channel``), a DM is
    ``is_im`` with the other party in ``user``; both private, both with the bot as a member."""
    world = build_world(9, 2000, NOW)
    [mpim] = [c for c in world.conversations.values() if c.kind == "mpim"]
    [im] = [c for c in world.conversations.values() if c.kind == "im"]
    bot = world.bot_user_id
    assert len(mpim.members) == 3 and bot in mpim.members
    assert all(not world.users[u].deleted for u in mpim.members)
    assert mpim.name.startswith("mpdm-") and mpim.name.endswith("-1")
    shown = conversation_json(mpim, world, bot)
    assert (shown["is_mpim"], shown["is_im"], shown["is_channel"], shown["is_group"], shown["is_private"]) == (
        True, False, False, True, True)
    assert shown["is_member"] is True and shown["context_team_id"] == world.org_team_ids[0]
    assert im.id.startswith("D") and bot in im.members and im.im_user in im.members
    assert im.im_user is not None and not world.users[im.im_user].deleted
    assert world.im_with(bot, im.im_user) is im  # posting to that user reuses it
    dm = conversation_json(im, world, bot)
    assert (dm["is_im"], dm["is_mpim"], dm["is_channel"], dm["is_private"], dm["user"]) == (
        True, False, False, True, im.im_user)
    assert dm["is_user_deleted"] is False
    again = build_world(9, 2000, NOW)
    assert [(c.id, c.name, sorted(c.members)) for c in again.conversations.values() if c.kind in ("im", "mpim")] == [
        (c.id, c.name, sorted(c.members)) for c in world.conversations.values() if c.kind in ("im", "mpim")]


def test_every_user_has_a_time_zone_and_a_unique_email() -> None:
    world = build_world(9, 40_000, NOW)
    people = [u for u in world.users.values() if u.person is not None]
    assert len(people) == sum(p.in_slack for p in sales_team(9, team_size(40_000)))
    emails = [u.profile.email for u in world.users.values() if u.profile.email]
    assert len(emails) == len(set(emails))
    for user in people:
        tz, label, offset = user.tz_fields(NOW)
        assert tz == user.person.time_zone and label and -12 * 3600 <= offset <= 14 * 3600  # type: ignore[union-attr]


def test_tokens_are_distinct_and_typed() -> None:
    world = build_world(9, 2000, NOW)
    assert world.bot_token.startswith("xoxb-") and world.admin_token.startswith("xoxp-")
    assert len({world.bot_token, world.admin_token, world.member_token}) == 3
    admin = world.users[world.tokens[world.admin_token].user_id]
    assert admin.is_owner and not admin.is_primary_owner
    member = world.users[world.tokens[world.member_token].user_id]
    assert member.role_rank == 1 and not member.deleted


def test_block_types_and_fallback_text() -> None:
    assert {"section", "header", "context", "divider", "actions", "image", "rich_text", "input"} <= KNOWN_BLOCK_TYPES
    assert validate_blocks([{"type": "divider"}, {"type": "rich_text", "elements": []}]) == []
    assert validate_blocks("not a list") == ["must provide an array [json-pointer:/blocks]"]
    assert fallback_text([{"type": "header", "text": {"type": "plain_text", "text": "H"}}, {"type": "divider"}]) == "H"


@pytest.mark.slow
@pytest.mark.integration
def test_slack_users_match_the_salesforce_sandbox_users() -> None:
    """The real Salesforce sandbox of the same seed: most of its users are Slack users by email."""
    from saleshome.sandbox.salesforce.server import SalesforceSandbox

    with SalesforceSandbox(seed=7, opportunities=200) as salesforce:
        assert salesforce.store is not None
        rows = salesforce.store.read('SELECT Email FROM "User" WHERE IsActive').to_pylist()
    world = build_world(7, 200, NOW)
    slack = {u.profile.email for u in world.users.values() if u.profile.email and not u.deleted}
    emails = [r["Email"] for r in rows]
    matched = [e for e in emails if e in slack]
    assert len(matched) >= 0.8 * (len(emails) - 1)  # the integration user aside
    assert len(matched) < len(emails)  # and not all: some have no Slack account or another address
