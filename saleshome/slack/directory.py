"""What settings need to know from Slack: users and their roles, workspaces, conversations.

Read through slack-sdk's ``WebClient`` with the Sales Home bot token (``users:read``,
``team:read``, ``channels:read``, ``groups:read``), and kept in memory for the life of one
:class:`SlackDirectory` (one command, one import): who is primary owner or admin can change
in Slack at any time, so nothing here is written to disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from saleshome.config import Settings
from saleshome.errors import ConfigurationError, ValidationError
from saleshome.slack.errors import SlackRefusedError, slack_error
from saleshome.slack.pages import page_items

# The directory's own hint for a missing scope (the bot token's other AUTH hints are the classifier's).
DIRECTORY_HINTS = {"missing_scope": "the Sales Home app needs users:read, team:read, channels:read and groups:read"}


@dataclass(frozen=True)
class SlackUser:
    """A Slack user as ``users.info`` reports it (the fields roles depend on)."""

    id: str
    name: str
    real_name: str
    is_primary_owner: bool
    is_owner: bool
    is_admin: bool
    is_bot: bool
    deleted: bool

    @property
    def label(self) -> str:
        return f"{self.real_name or self.name} ({self.id})"


@dataclass(frozen=True)
class SlackTeam:
    id: str
    name: str


@dataclass(frozen=True)
class SlackChannel:
    """A conversation the bot can see: its id, name, kind and whether the bot is in it."""

    id: str
    name: str
    kind: str  # public, private, direct
    team_id: str | None
    is_archived: bool
    is_member: bool
    is_ext_shared: bool
    info: dict[str, Any]

    @property
    def label(self) -> str:
        return f"#{self.name}" if self.name else self.id


class SlackDirectory:
    """Cached look-ups of users, workspaces and conversations through one ``WebClient``."""

    def __init__(self, client: WebClient) -> None:
        self.client = client
        self._users: dict[str, SlackUser] = {}
        self._teams: list[SlackTeam] | None = None
        self._channels: dict[str, SlackChannel] = {}
        self._by_name: dict[str, list[SlackChannel]] | None = None

    @staticmethod
    def from_settings(settings: Settings) -> SlackDirectory:
        if settings.slack_bot_token is None:
            raise ConfigurationError(
                "no Slack bot token: settings are checked against Slack (users, workspaces, channels)",
                hint="set SALESHOME_SLACK_BOT_TOKEN to the Sales Home app's bot token (xoxb-…)",
            )
        kwargs: dict[str, Any] = {
            "token": settings.slack_bot_token.get_secret_value(), "timeout": 30,
            # Look-ups are few (one command); wait out a rate limit (Retry-After) rather than fail.
            "retry_handlers": [RateLimitErrorRetryHandler(max_retry_count=3)],
        }
        if settings.slack_api_url:
            kwargs["base_url"] = settings.slack_api_url
        return SlackDirectory(WebClient(**kwargs))

    def _call(self, method: str, **params: Any) -> dict[str, Any]:
        """One Web API call; a refusal raises :func:`~saleshome.slack.errors.slack_error`'s error (callers
        turn the codes they understand, ``SlackRefusedError.code``, into a more specific one)."""
        try:
            response = self.client.api_call(method, http_verb="GET", params=params)
        except (SlackApiError, SlackClientError, OSError) as exc:
            raise slack_error(exc, method, hints=DIRECTORY_HINTS) from None
        return dict(response.data) if isinstance(response.data, dict) else {}

    def _list(self, method: str, key: str, **params: Any) -> list[dict[str, Any]]:
        """Every item under ``key`` of every page of a list method."""
        return list(page_items(lambda **p: self._call(method, **p), key, **params))

    # ------------------------------------------------------------------ users
    def user(self, user_id: str) -> SlackUser:
        """The Slack user ``user_id``; a :class:`ValidationError` when Slack does not know it."""
        if user_id in self._users:
            return self._users[user_id]
        if not user_id or user_id[0] not in "UW" or not user_id.isalnum():
            raise ValidationError(f"{user_id!r} is not a Slack user id",
                                  hint="give the member ID (U…) from the user's Slack profile")
        try:
            body = self._call("users.info", user=user_id)["user"]
        except SlackRefusedError as refusal:
            if refusal.code in ("user_not_found", "user_not_visible"):
                raise ValidationError(f"unknown Slack user {user_id}",
                                      hint="give the member ID (U…) from the user's Slack profile") from None
            raise
        user = SlackUser(
            id=body["id"], name=body.get("name", ""), real_name=body.get("real_name") or "",
            is_primary_owner=bool(body.get("is_primary_owner")), is_owner=bool(body.get("is_owner")),
            is_admin=bool(body.get("is_admin")), is_bot=bool(body.get("is_bot")), deleted=bool(body.get("deleted")),
        )
        self._users[user_id] = user
        return user

    # ------------------------------------------------------------------ workspaces
    def teams(self) -> list[SlackTeam]:
        """The workspaces the bot is installed in (``auth.teams.list``: every workspace of an org-wide install)."""
        if self._teams is None:
            teams = [SlackTeam(t["id"], t.get("name", "")) for t in self._list("auth.teams.list", "teams", limit=100)]
            if not teams:  # a single-workspace install: auth.test names the workspace
                test = self._call("auth.test")
                teams = [SlackTeam(test["team_id"], test.get("team", ""))]
            self._teams = teams
        return self._teams

    def team(self, ref: str) -> SlackTeam:
        """A workspace by id (T…) or name."""
        known = self.teams()
        found = next((t for t in known if ref in (t.id, t.name)), None)
        if found is None:
            names = ", ".join(f"{t.id} ({t.name})" for t in known) or "none"
            raise ValidationError(f"unknown Slack workspace {ref!r}", hint=f"the workspaces of the organisation: {names}")
        return found

    # ------------------------------------------------------------------ conversations
    def channel(self, ref: str, team_ids: list[str] | None = None) -> SlackChannel:
        """A conversation by id (C…, G…) or name (``#name``), as the bot sees it."""
        ref = ref.strip()
        if ref.startswith("#") or not (ref[:1] in "CGD" and ref[1:].isalnum() and ref.upper() == ref):
            return self._channel_by_name(ref.removeprefix("#"), team_ids)
        if ref in self._channels:
            return self._channels[ref]
        try:
            info = self._call("conversations.info", channel=ref)["channel"]
        except SlackRefusedError as refusal:
            if refusal.code in ("channel_not_found", "missing_scope"):
                raise ValidationError(
                    f"unknown Slack channel {ref}",
                    hint="check the channel id; a private channel must have the Sales Home app as a member",
                ) from None
            raise
        channel = _channel(info)
        self._channels[channel.id] = channel
        return channel

    def _channel_by_name(self, name: str, team_ids: list[str] | None) -> SlackChannel:
        if self._by_name is None:
            self._by_name = {}
            teams = team_ids or [t.id for t in self.teams()]
            seen: set[str] = set()
            for team in teams:
                for info in self._list("conversations.list", "channels", team_id=team,
                                       types="public_channel,private_channel", limit=1000):
                    if info["id"] in seen:
                        continue
                    seen.add(info["id"])
                    channel = _channel(info)
                    self._channels[channel.id] = channel
                    self._by_name.setdefault(channel.name, []).append(channel)
        matches = self._by_name.get(name, [])
        if not matches:
            raise ValidationError(
                f"unknown Slack channel #{name}",
                hint="check the name; a private channel must have the Sales Home app as a member",
            )
        if len(matches) > 1:
            raise ValidationError(
                f"#{name} names {len(matches)} channels ({', '.join(c.id for c in matches)})",
                hint="give the channel id instead of its name",
            )
        return matches[0]


def _channel(info: dict[str, Any]) -> SlackChannel:
    if info.get("is_im") or info.get("is_mpim"):
        kind = "direct"
    else:
        kind = "private" if info.get("is_private") else "public"
    return SlackChannel(
        id=info["id"], name=info.get("name") or "", kind=kind, team_id=info.get("context_team_id"),
        is_archived=bool(info.get("is_archived")), is_member=bool(info.get("is_member")),
        is_ext_shared=bool(info.get("is_ext_shared")), info=info,
    )
