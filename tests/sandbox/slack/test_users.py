"""Users, the directory matching the Salesforce sandbox, profiles and custom status.

Follows the Slack API docs: ``users.info``, ``users.list`` (cursor paging, ``team_id`` for
org-wide apps), ``users.lookupByEmail`` (``users_not_found`` for deactivated or unknown
addresses), ``users.profile.get``, ``users.profile.set`` (user tokens only; ``user=`` for
admins and owners of a higher role; ``status_text`` up to 100 characters; ``status_expiration``),
"The user object" (``tz``, ``tz_label``, ``tz_offset``, ``deleted``, ``is_bot``),
"Setting a user's custom status" and ``include_locale`` on ``users.info``/``users.list`` (changelog
2017-09 "Locale locale locale": a ``locale`` such as ``en-US`` only when asked for).
"""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from saleshome.sandbox.people import sales_team, team_size
from saleshome.sandbox.slack.seed import build_world
from saleshome.sandbox.slack.server import SlackSandbox, SlackSandboxInfo
from saleshome.sandbox.slack.world import User

from .conftest import SEED, control, web_client


def _fail(call: Any) -> str:
    with pytest.raises(SlackApiError) as caught:
        call()
    return str(caught.value.response["error"])


def _people(sandbox: SlackSandbox) -> list[User]:
    return [u for u in sandbox.world.users.values() if u.person is not None]


def test_users_match_the_salesforce_team_by_email(sandbox: SlackSandbox, bot: WebClient) -> None:
    team = sales_team(SEED, team_size(sandbox.opportunities))
    by_email = {u.profile.email: u for u in _people(sandbox)}
    assert {p.email for p in team if p.in_slack} == set(by_email)
    assert not [p for p in team if not p.in_slack and p.email in by_email]
    matched = [p for p in team if p.in_slack and p.salesforce_email == p.email]
    assert len(matched) >= len(team) * 0.8
    for person in matched[:5]:
        found = bot.users_lookupByEmail(email=person.salesforce_email.upper())["user"]
        assert found["profile"]["real_name"] == person.name and found["tz"] == person.time_zone


def test_people_without_a_match(sandbox: SlackSandbox, bot: WebClient) -> None:
    team = sales_team(SEED, team_size(sandbox.opportunities))
    missing = [p for p in team if not p.in_slack] + [p for p in team if p.salesforce_email != p.email]
    deactivated = sandbox.world.users[sandbox.world.deactivated_user_id]
    assert missing or deactivated.deleted
    for person in missing:
        assert _fail(lambda p=person: bot.users_lookupByEmail(email=p.salesforce_email)) == "users_not_found"
    email = deactivated.profile.email or ""
    assert _fail(lambda: bot.users_lookupByEmail(email=email)) == "users_not_found"
    assert _fail(lambda: bot.users_lookupByEmail(email="nobody@example.com")) == "users_not_found"


def test_the_world_is_deterministic_by_seed() -> None:
    one, two, other = build_world(5, 2000, 1.7e9), build_world(5, 2000, 1.7e9), build_world(6, 2000, 1.7e9)
    assert list(one.users) == list(two.users) and list(one.conversations) == list(two.conversations)
    assert one.bot_token == two.bot_token and one.enterprise.id == two.enterprise.id
    assert list(one.users) != list(other.users)


def test_users_info_with_time_zone_and_roles(bot: WebClient, sandbox: SlackSandbox) -> None:
    person = next(u for u in _people(sandbox) if u.person is not None and u.person.region == "EMEA")
    user = bot.users_info(user=person.id, include_locale=True)["user"]
    assert user["tz"] == person.tz and user["tz_label"] and isinstance(user["tz_offset"], int)
    assert user["profile"]["email"] == person.profile.email and user["locale"]
    assert user["team_id"] == sandbox.info.teams[1]["id"]  # type: ignore[union-attr]
    assert user["enterprise_user"]["enterprise_id"] == sandbox.world.enterprise.id
    bot_user = bot.users_info(user=sandbox.world.bot_user_id)["user"]
    assert bot_user["is_bot"] is True and bot_user["profile"]["bot_id"] == sandbox.world.bot_id
    owner = bot.users_info(user=sandbox.world.primary_owner_id)["user"]
    assert owner["is_primary_owner"] is True and owner["is_owner"] is True


def test_deactivated_user_is_still_described(bot: WebClient, sandbox: SlackSandbox) -> None:
    assert bot.users_info(user=sandbox.world.deactivated_user_id)["user"]["deleted"] is True


def test_unknown_user(bot: WebClient) -> None:
    assert _fail(lambda: bot.users_info(user="U0NOBODY00")) == "user_not_found"
    assert _fail(lambda: bot.users_profile_get(user="U0NOBODY00")) == "user_not_found"


def test_email_needs_the_email_scope(member: WebClient, sandbox: SlackSandbox) -> None:
    person = _people(sandbox)[0]
    assert "email" not in member.users_info(user=person.id)["user"]["profile"]
    assert _fail(lambda: member.users_lookupByEmail(email=person.profile.email or "")) == "missing_scope"


def test_users_list_pages(bot: WebClient, main_team: str, sandbox: SlackSandbox) -> None:
    with pytest.raises(SlackApiError) as caught:
        bot.users_list()
    assert caught.value.response["error"] == "missing_argument"
    everyone = bot.users_list(team_id=main_team)
    assert everyone["response_metadata"]["next_cursor"] == ""
    ids: list[str] = []
    cursor = None
    for _ in range(100):
        page = bot.users_list(team_id=main_team, limit=7, cursor=cursor)
        assert len(page["members"]) <= 7
        ids += [m["id"] for m in page["members"]]
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert ids == [m["id"] for m in everyone["members"]]
    members = {m["id"]: m for m in everyone["members"]}
    assert "USLACKBOT" in members and sandbox.world.bot_user_id in members
    assert members[sandbox.world.deactivated_user_id]["deleted"] is True
    assert _fail(lambda: bot.users_list(team_id=main_team, cursor="dXNlcjpub3BlCg==")) == "invalid_cursor"


def test_second_workspace_lists_its_members(bot: WebClient, emea_team: str, sandbox: SlackSandbox) -> None:
    members = bot.users_list(team_id=emea_team)["members"]
    people = [m for m in members if sandbox.world.users[m["id"]].person is not None]
    assert people and all(emea_team in sandbox.world.users[m["id"]].teams for m in people)


def test_profile_get_defaults_to_the_caller(member: WebClient, info: SlackSandboxInfo, sandbox: SlackSandbox) -> None:
    me = sandbox.world.users[sandbox.world.tokens[info.member_token].user_id]
    assert member.users_profile_get()["profile"]["real_name"] == me.profile.real_name


def _member_user(sandbox: SlackSandbox, info: SlackSandboxInfo) -> str:
    return sandbox.world.tokens[info.member_token].user_id


def test_members_set_their_own_status(
    member: WebClient, info: SlackSandboxInfo, sandbox: SlackSandbox, admin: WebClient
) -> None:
    answer = member.users_profile_set(profile={"status_text": "In a QBR", "status_emoji": ":calendar:"})
    assert answer["profile"]["status_text"] == "In a QBR"
    shown = admin.users_profile_get(user=_member_user(sandbox, info))["profile"]
    assert shown["status_emoji"] == ":calendar:" and shown["status_expiration"] == 0


def test_admin_sets_another_users_status_until_it_expires(admin: WebClient, info: SlackSandboxInfo) -> None:
    with SlackSandbox(seed=SEED, opportunities=2000) as fresh:
        assert fresh.info is not None
        client = web_client(fresh.info, fresh.info.admin_token)
        target = _member_user(fresh, fresh.info)
        until = int(fresh.clock.now()) + 3 * 86400
        profile = {"status_text": "Closed Won: Acme (120k)", "status_emoji": ":trophy:", "status_expiration": until}
        assert client.users_profile_set(user=target, profile=profile)["profile"]["status_expiration"] == until
        assert client.users_info(user=target)["user"]["profile"]["status_text"] == "Closed Won: Acme (120k)"
        fresh.clock.advance(3 * 86400 + 1)
        expired = client.users_profile_get(user=target)["profile"]
        assert (expired["status_text"], expired["status_emoji"], expired["status_expiration"]) == ("", "", 0)


def test_profile_set_by_name_and_value(member: WebClient) -> None:
    assert member.users_profile_set(name="status_text", value="Heads down")["profile"]["status_text"] == "Heads down"


@pytest.mark.parametrize(
    ("token", "target", "error"),
    [
        ("bot", "member", "not_allowed_token_type"),
        ("member", "admin", "not_admin"),
        ("admin", "primary_owner", "cannot_update_admin_user"),
        ("admin", "deactivated", "user_not_found"),
    ],
)
def test_profile_set_permissions(
    info: SlackSandboxInfo, sandbox: SlackSandbox, token: str, target: str, error: str
) -> None:
    tokens = {"bot": info.bot_token, "member": info.member_token, "admin": info.admin_token}
    users = {
        "member": _member_user(sandbox, info),
        "admin": sandbox.world.tokens[info.admin_token].user_id,
        "primary_owner": sandbox.world.primary_owner_id,
        "deactivated": sandbox.world.deactivated_user_id,
    }
    client = web_client(info, tokens[token])
    assert _fail(lambda: client.users_profile_set(user=users[target], profile={"status_text": "x"})) == error


def test_admin_may_update_another_admin(admin: WebClient, sandbox: SlackSandbox) -> None:
    vp = next(u for u in _people(sandbox) if u.person is not None and u.person.level == "vp")
    assert vp.is_admin and not vp.is_owner
    assert admin.users_profile_set(user=vp.id, profile={"status_text": "Board meeting"})["ok"] is True


@pytest.mark.parametrize(
    "profile",
    [
        {"status_text": "x" * 101},
        {"status_emoji": "tada"},
        {"status_expiration": "tomorrow"},
        {"status_expiration": -5},
    ],
)
def test_invalid_profile(member: WebClient, profile: dict[str, Any]) -> None:
    assert _fail(lambda: member.users_profile_set(profile=profile)) == "invalid_profile"


def test_status_text_of_exactly_100_characters(member: WebClient) -> None:
    assert member.users_profile_set(profile={"status_text": "x" * 100})["ok"] is True


def test_profile_must_be_a_json_object(info: SlackSandboxInfo) -> None:
    client = web_client(info, info.member_token)
    assert _fail(lambda: client.api_call("users.profile.set", params={"profile": "{not json"})) == "invalid_profile"


def test_include_locale_adds_the_users_slack_language_and_only_then(
    bot: WebClient, main_team: str, sandbox: SlackSandbox
) -> None:
    people = [u for u in _people(sandbox) if not u.deleted]
    by_locale = {locale: [u for u in people if u.locale == locale] for locale in ("fr-FR", "en-US", "en-GB")}
    assert all(by_locale.values()), "the seed has French, American and British English speakers"
    assert all(u.person is not None and u.person.time_zone == "Europe/Paris" for u in by_locale["fr-FR"][:1])
    for locale, users in by_locale.items():
        user = users[0]
        assert bot.users_info(user=user.id, include_locale=True)["user"]["locale"] == locale
        assert "locale" not in bot.users_info(user=user.id)["user"]
        assert "locale" not in bot.users_info(user=user.id, include_locale=False)["user"]
    listed = bot.users_list(team_id=main_team, include_locale=True)["members"]
    assert {m["id"]: m["locale"] for m in listed} == {
        u.id: u.locale for u in sandbox.world.users.values() if main_team in u.teams}
    assert all("locale" not in m for m in bot.users_list(team_id=main_team)["members"])
    paged = bot.users_list(team_id=main_team, limit=5, include_locale=True)["members"]
    assert [m["locale"] for m in paged] == [m["locale"] for m in listed[:5]]


def test_the_locales_are_deterministic_by_seed_and_every_seed_has_all_three() -> None:
    for seed in (SEED, 11, 42):
        one, two = build_world(seed, 2000, 1.7e9), build_world(seed, 2000, 1.7e9)
        assert [u.locale for u in one.users.values()] == [u.locale for u in two.users.values()]
        sellers = {u.locale for u in one.users.values()
                   if u.person is not None and u.person.level == "ic" and not u.deleted}
        assert sellers == {"fr-FR", "en-US", "en-GB"}, seed


def test_a_user_switches_language(bot: WebClient, info: SlackSandboxInfo, sandbox: SlackSandbox) -> None:
    user = next(u for u in _people(sandbox) if u.locale == "en-US" and not u.deleted)
    try:
        assert control(info, "POST", "users", {"user": user.id, "locale": "fr-FR"})["ok"]
        assert bot.users_info(user=user.id, include_locale=True)["user"]["locale"] == "fr-FR"
        with pytest.raises(Exception, match="400"):
            control(info, "POST", "users", {"user": user.id, "locale": "French"})
    finally:
        sandbox.set_locale(user.id, "en-US")
    assert bot.users_info(user=user.id, include_locale=True)["user"]["locale"] == "en-US"
