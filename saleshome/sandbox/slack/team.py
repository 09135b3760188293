"""``auth.test``, ``auth.teams.list`` and ``team.info``."""

from __future__ import annotations

from typing import Any

from .calls import Call, SlackError
from .ids import decode_cursor, encode_cursor
from .objects import team_json


def auth_test(call: Call) -> dict[str, Any]:
    """Every token of the sandbox belongs to an org-wide install: the "team" is the organisation."""
    org = call.world.enterprise
    body: dict[str, Any] = {
        "url": f"https://{org.domain}.enterprise.slack.com/",
        "team": org.name,
        "user": call.user.name,
        "team_id": org.id,
        "user_id": call.user.id,
    }
    if call.is_bot:
        body["bot_id"] = call.world.bot_id
    body.update({"enterprise_id": org.id, "is_enterprise_install": True})
    return body


def auth_teams_list(call: Call) -> dict[str, Any]:
    teams = [call.world.teams[t] for t in call.world.org_team_ids]
    limit = max(1, min(call.params.number("limit", 100), 1000))
    start = 0
    cursor = call.params.text("cursor")
    if cursor is not None:
        after = decode_cursor(cursor, "team")
        ids = [t.id for t in teams]
        if after is None or after not in ids:
            raise SlackError("invalid_cursor")
        start = ids.index(after)
    page = teams[start : start + limit]
    rest = teams[start + limit :]
    return {
        "teams": [{"id": t.id, "name": t.name} for t in page],
        "response_metadata": {"next_cursor": encode_cursor("team", rest[0].id) if rest else ""},
    }


def team_info(call: Call) -> dict[str, Any]:
    wanted = call.params.text("team") or call.params.text("domain") or call.world.org_team_ids[0]
    team = next((t for t in call.world.teams.values() if not t.external and wanted in (t.id, t.domain)), None)
    if team is None:
        raise SlackError("team_not_found")
    return {"team": team_json(team, call.world)}
