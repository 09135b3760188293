"""A Slack user's profile as a member's entry in the user map keeps it: team, time zone and locale.

Read with ``users.info`` and ``include_locale=true`` (https://api.slack.com/methods/users.info: ``locale`` only
when asked for; ``tz`` always).  A user Slack no longer knows or shows (``user_not_found``, ``user_not_visible``)
and a deactivated one (``deleted: true``) have no profile here: they cannot be linked to a Salesforce user.
"""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from .errors import error_code, slack_error

__all__ = ["MemberProfile", "member_profile"]


@dataclass(frozen=True)
class MemberProfile:
    id: str
    team_id: str | None
    tz: str | None
    locale: str | None  # null when Slack gives none


def member_profile(client: WebClient, slack_user_id: str) -> MemberProfile | None:
    """The active Slack user ``slack_user_id``'s profile; None when Slack does not know them or they are
    deactivated.  Any other refusal is a configuration problem (a missing scope...)."""
    try:
        found = client.users_info(user=slack_user_id, include_locale=True)["user"] or {}
    except SlackApiError as exc:
        if error_code(exc) in ("user_not_found", "user_not_visible"):
            return None
        raise slack_error(exc, "users.info", hint="the app needs the users:read scope") from None
    if found.get("deleted"):
        return None
    return MemberProfile(id=str(found.get("id") or slack_user_id), team_id=found.get("team_id"), tz=found.get("tz"),
                         locale=str(found["locale"]) if found.get("locale") else None)
