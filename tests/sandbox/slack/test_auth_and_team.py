"""Authentication, scopes, request formats and the organisation, through slack-sdk's WebClient.

Follows the Slack API docs: "Using the Slack Web API" (methods, arguments, tokens, errors,
warnings), "Scopes and permissions" (``missing_scope``), ``auth.test``, ``auth.teams.list``,
``team.info``, and "Enterprise: changes to API methods for org-wide apps" (``team_id``).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from saleshome.sandbox.slack.seed import BOT_SCOPES
from saleshome.sandbox.slack.server import SlackSandbox, SlackSandboxInfo

from .conftest import web_client


def test_auth_test_describes_the_org_wide_bot(bot: WebClient, sandbox: SlackSandbox, info: SlackSandboxInfo) -> None:
    answer = bot.auth_test()
    assert answer["ok"] is True
    assert answer["user_id"] == sandbox.world.bot_user_id and answer["bot_id"].startswith("B")
    assert answer["team_id"] == answer["enterprise_id"] == info.enterprise_id
    assert answer["is_enterprise_install"] is True
    assert answer["url"].endswith(".enterprise.slack.com/")


def test_auth_test_with_a_user_token_has_no_bot_id(admin: WebClient, sandbox: SlackSandbox) -> None:
    answer = admin.auth_test()
    assert "bot_id" not in answer.data
    assert sandbox.world.users[answer["user_id"]].is_owner


def test_no_token_is_not_authed(info: SlackSandboxInfo) -> None:
    with pytest.raises(SlackApiError) as caught:
        web_client(info, None).auth_test()
    assert caught.value.response["error"] == "not_authed"


def test_unknown_token_is_invalid_auth(info: SlackSandboxInfo) -> None:
    with pytest.raises(SlackApiError) as caught:
        web_client(info, "xoxb-1-2-nope").auth_test()
    assert caught.value.response["error"] == "invalid_auth"
    assert caught.value.response.status_code == 200


def test_token_as_a_form_argument(info: SlackSandboxInfo) -> None:
    answer = web_client(info, None).api_call("auth.test", params={"token": info.bot_token})
    assert answer["ok"] is True


def test_token_inside_a_json_body_is_not_read(info: SlackSandboxInfo) -> None:
    """Slack reads tokens from JSON bodies only in the Authorization header (slack-sdk moves it there)."""
    request = urllib.request.Request(
        f"{info.api_url}auth.test",
        data=json.dumps({"token": info.bot_token}).encode(),
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.loads(response.read())["error"] == "not_authed"


def test_slack_sdk_gets_no_charset_warning(bot: WebClient, sandbox: SlackSandbox, info: SlackSandboxInfo) -> None:
    """slack-sdk sends forms without a charset and JSON with one: what Slack asks, so no warning either way."""
    form = bot.users_info(user="USLACKBOT")  # application/x-www-form-urlencoded
    posted = bot.chat_postMessage(channel=sandbox.channel_id("sales"), text="json")  # application/json;charset=utf-8
    multipart = web_client(info, info.bot_token).api_call("auth.test", data={"x": "1"})  # multipart/form-data
    for answer in (form, posted, multipart):
        assert answer["ok"] is True
        assert "warning" not in answer.data and "response_metadata" not in answer.data  # type: ignore[operator]


def _raw_post(info: SlackSandboxInfo, content_type: str, body: bytes) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{info.api_url}users.info", data=body, method="POST",
        headers={"Authorization": f"Bearer {info.bot_token}", "Content-Type": content_type},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        answer: dict[str, Any] = json.loads(response.read())
        return answer


_MULTIPART = b'--XyZ\r\nContent-Disposition: form-data; name="user"\r\n\r\nUSLACKBOT\r\n--XyZ--\r\n'


@pytest.mark.parametrize(
    ("content_type", "body", "warning"),
    [
        # Slack's method reference, "Warnings": a charset is recommended for non-form types (JSON)...
        ("application/json", b'{"user": "USLACKBOT"}', "missing_charset"),
        ("application/json; charset=utf-8", b'{"user": "USLACKBOT"}', None),
        ("Application/JSON;Charset=UTF-8", b'{"user": "USLACKBOT"}', None),
        # ...and superfluous for form-data types.
        ("application/x-www-form-urlencoded; charset=utf-8", b"user=USLACKBOT", "superfluous_charset"),
        ("application/x-www-form-urlencoded", b"user=USLACKBOT", None),
        ("multipart/form-data; charset=utf-8; boundary=XyZ", _MULTIPART, "superfluous_charset"),
        ("multipart/form-data; boundary=XyZ", _MULTIPART, None),
    ],
)
def test_charset_warnings_follow_slacks_rule(
    info: SlackSandboxInfo, content_type: str, body: bytes, warning: str | None
) -> None:
    answer = _raw_post(info, content_type, body)
    assert answer["ok"] is True and answer["user"]["id"] == "USLACKBOT"  # a warning never stops the call
    if warning is None:
        assert "warning" not in answer and "response_metadata" not in answer
    else:
        assert answer["warning"] == warning and answer["response_metadata"] == {"warnings": [warning]}


def test_scopes_are_in_the_headers(bot: WebClient) -> None:
    answer = bot.users_info(user="USLACKBOT")
    assert set(answer.headers["X-OAuth-Scopes"].split(",")) == set(BOT_SCOPES)
    assert answer.headers["X-Accepted-OAuth-Scopes"] == "users:read"


def test_missing_scope_names_needed_and_provided(info: SlackSandboxInfo) -> None:
    with SlackSandbox(seed=3, bot_scopes=["chat:write"]) as narrow:
        assert narrow.info is not None
        client = web_client(narrow.info, narrow.info.bot_token)
        with pytest.raises(SlackApiError) as caught:
            client.users_info(user="USLACKBOT")
        assert caught.value.response.data == {
            "ok": False,
            "error": "missing_scope",
            "needed": "users:read",
            "provided": "chat:write",
        }
        with pytest.raises(SlackApiError) as listing:
            client.conversations_list(types="public_channel,im", team_id=narrow.info.teams[0]["id"])
        assert listing.value.response["needed"] == "channels:read,im:read"


def test_revoked_token(info: SlackSandboxInfo) -> None:
    with SlackSandbox(seed=3) as fresh:
        assert fresh.info is not None
        fresh.revoke_token(fresh.info.member_token)
        with pytest.raises(SlackApiError) as caught:
            web_client(fresh.info, fresh.info.member_token).auth_test()
        assert caught.value.response["error"] == "token_revoked"


def test_unknown_method_is_a_404(bot: WebClient) -> None:
    with pytest.raises(SlackApiError) as caught:
        bot.api_call("chat.postMessages")
    assert caught.value.response.status_code == 404
    assert caught.value.response["error"] == "unknown_method"


def test_query_string_arguments_on_a_get(info: SlackSandboxInfo) -> None:
    url = f"{info.api_url}users.info?user=USLACKBOT"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {info.bot_token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        body = json.loads(response.read())
    assert body["ok"] is True and body["user"]["name"] == "slackbot"


def test_unsupported_post_type(info: SlackSandboxInfo) -> None:
    request = urllib.request.Request(
        f"{info.api_url}auth.test",
        data=b"<xml/>",
        method="POST",
        headers={"Authorization": f"Bearer {info.bot_token}", "Content-Type": "text/xml"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.loads(response.read())["error"] == "invalid_post_type"


def test_invalid_json_body(info: SlackSandboxInfo) -> None:
    request = urllib.request.Request(
        f"{info.api_url}auth.test",
        data=b"{not json",
        method="POST",
        headers={"Authorization": f"Bearer {info.bot_token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.loads(response.read())["error"] == "invalid_json"


def test_multipart_form_arguments(info: SlackSandboxInfo, sandbox: SlackSandbox) -> None:
    answer = web_client(info, info.bot_token).api_call(
        "chat.postMessage",
        data={"channel": sandbox.channel_id("sales"), "text": "from a multipart form"},
    )
    assert answer["ok"] is True
    assert sandbox.messages(answer["channel"])[-1].text == "from a multipart form"


def test_auth_teams_list_pages_through_the_workspaces(bot: WebClient, info: SlackSandboxInfo) -> None:
    first = bot.auth_teams_list(limit=1)
    assert [t["id"] for t in first["teams"]] == [info.teams[0]["id"]]
    second = bot.auth_teams_list(limit=1, cursor=first["response_metadata"]["next_cursor"])
    assert [t["id"] for t in second["teams"]] == [info.teams[1]["id"]]
    assert second["response_metadata"]["next_cursor"] == ""


def test_team_info(bot: WebClient, info: SlackSandboxInfo) -> None:
    team = bot.team_info(team=info.teams[1]["id"])["team"]
    assert team["id"] == info.teams[1]["id"] and team["name"] == info.teams[1]["name"]
    assert team["enterprise_id"] == info.enterprise_id
    assert bot.team_info()["team"]["id"] == info.teams[0]["id"]
    with pytest.raises(SlackApiError) as caught:
        bot.team_info(team="T0NOPE")
    assert caught.value.response["error"] == "team_not_found"


def test_member_token_lacks_team_read(member: WebClient) -> None:
    with pytest.raises(SlackApiError) as caught:
        member.team_info()
    assert caught.value.response["error"] == "missing_scope"
    assert caught.value.response["needed"] == "team:read"


def test_the_world_has_two_workspaces_of_one_enterprise(info: SlackSandboxInfo) -> None:
    assert info.enterprise_id.startswith("E")
    assert len(info.teams) >= 2 and all(t["id"].startswith("T") for t in info.teams)


def test_urlopen_error_shape_of_unknown_paths(info: SlackSandboxInfo) -> None:
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{info.viewer_url}nothing-here", timeout=10)
    assert caught.value.code == 404
