"""Slack cursor pagination: every page of a real list method of the Slack sandbox, in order, once."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient

from saleshome.errors import RetriableError
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.slack.pages import next_cursor, page_items, pages


def _bot(slack: SlackSandbox) -> WebClient:
    assert slack.info is not None
    return WebClient(token=slack.info.bot_token, base_url=slack.info.api_url, timeout=5)


def _team(client: WebClient) -> str:
    return str(client.auth_teams_list(limit=100)["teams"][0]["id"])  # an org-wide install: lists name a team


def test_pages_follow_the_cursor_to_the_end(slack: SlackSandbox) -> None:
    client = _bot(slack)
    team = _team(client)
    everyone = [m["id"] for m in client.users_list(team_id=team)["members"]]  # no limit: the whole list in one page
    assert len(everyone) > 20
    cursors: list[str | None] = []
    paged: list[str] = []
    for page in pages(client.users_list, limit=7, team_id=team):
        paged += [m["id"] for m in page["members"]]
        cursors.append(next_cursor(page))
    assert paged == everyone  # each member once, in Slack's order
    assert len(cursors) == -(-len(everyone) // 7) and cursors[-1] is None and all(cursors[:-1])
    assert [m["id"] for m in page_items(client.users_list, "members", limit=7, team_id=team)] == everyone


def test_page_items_of_conversations_match_one_big_page(slack: SlackSandbox) -> None:
    client = _bot(slack)
    team = _team(client)
    params: dict[str, Any] = {"team_id": team, "types": "public_channel,private_channel"}
    one_page = client.conversations_list(limit=1000, **params)
    assert not next_cursor(one_page)
    small = [c["id"] for c in page_items(client.conversations_list, "channels", limit=2, **params)]
    assert small == [c["id"] for c in one_page["channels"]] and len(small) > 2


def test_a_cursor_given_twice_stops_the_listing(slack: SlackSandbox) -> None:
    """A server going round in circles (here: one that ignores the cursor) cannot loop the caller for ever."""
    client = _bot(slack)
    calls: list[dict[str, Any]] = []

    def first_page_again(**params: Any) -> Any:
        calls.append(dict(params))
        params.pop("cursor", None)
        return client.users_list(**params)

    with pytest.raises(RetriableError, match="twice"):
        list(pages(first_page_again, limit=5, team_id=_team(client)))
    assert len(calls) == 2 and "cursor" not in calls[0] and calls[1]["cursor"]  # the 2nd page gave it again


def test_max_pages_bounds_the_listing(slack: SlackSandbox) -> None:
    with pytest.raises(RetriableError, match="past 2 pages"):
        list(pages(_bot(slack).users_list, limit=3, max_pages=2, team_id=_team(_bot(slack))))
