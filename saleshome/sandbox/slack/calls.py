"""What a Web API method handler receives (:class:`Call`) and how it fails (:class:`SlackError`).

Handlers are plain functions ``(call) -> dict`` returning the body of a successful answer (the
API adds ``"ok": true``); they raise :class:`SlackError` for ``{"ok": false, "error": ...}`` and
:class:`RateLimited` for a 429.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .clock import Clock
from .messages import MessageStore, StoredMessage
from .ratelimit import RateLimiter
from .world import Conversation, Token, User, World

if TYPE_CHECKING:
    from .view_store import ViewStore

# The scope that lets a token read (…:read) or read the history of (…:history) each kind of conversation.
READ_SCOPES: Mapping[str, str] = MappingProxyType(
    {"public": "channels:read", "private": "groups:read", "im": "im:read", "mpim": "mpim:read"}
)
HISTORY_SCOPES: Mapping[str, str] = MappingProxyType(
    {"public": "channels:history", "private": "groups:history", "im": "im:history", "mpim": "mpim:history"}
)


class SlackError(Exception):
    """An ``ok: false`` answer: ``error`` plus optional extra keys (``needed``, ``provided``, ``errors``...)."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"ok": False, "error": self.error, **self.extra}


class RateLimited(Exception):
    """Over a rate limit: HTTP 429 after ``wait`` real seconds."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"rate limited for {wait:.3f}s")
        self.wait = wait


class Params:
    """The arguments of a call, from a form, a JSON body or the query string."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "")

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        return value if isinstance(value, str) else json.dumps(value) if isinstance(value, dict | list) else str(value)

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name)
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            return value != 0
        if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes"):
            return True
        if isinstance(value, str) and value.strip().lower() in ("0", "false", "no"):
            return False
        return default

    def optional_flag(self, name: str) -> bool | None:
        return self.flag(name) if self.has(name) else None

    def number(self, name: str, default: int, *, error: str = "invalid_arguments") -> int:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        try:
            return int(str(value).strip())
        except ValueError:
            raise SlackError(error) from None

    def parsed(self, name: str) -> Any:
        """A JSON argument: parsed when it came as a string (a form), as is when it came in a JSON body.

        Raises ``ValueError`` when the string is not JSON (the caller picks the error code).
        """
        value = self.values.get(name)
        if isinstance(value, str):
            return json.loads(value)
        return value


@dataclass
class Call:
    method: str
    token: Token
    params: Params
    world: World
    messages: MessageStore
    limiter: RateLimiter
    clock: Clock
    viewer_url: str
    views: ViewStore
    created: list[StoredMessage] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def user(self) -> User:
        return self.world.users[self.token.user_id]

    @property
    def is_bot(self) -> bool:
        return self.token.kind == "bot"

    def now(self) -> float:
        return self.clock.now()

    def missing_scope(self, *needed: str) -> SlackError:
        return SlackError("missing_scope", needed=",".join(needed), provided=",".join(sorted(self.token.scopes)))

    def require_scope(self, *any_of: str) -> None:
        """Fail with ``missing_scope`` unless the token holds one of ``any_of``."""
        if any_of and not self.token.scopes.intersection(any_of):
            raise self.missing_scope(*any_of)

    def team_param(self, *, required: bool) -> str | None:
        """``team_id``: needed for listing methods, since every token here belongs to an org-wide install."""
        team_id = self.params.text("team_id")
        if team_id is None:
            if required:
                raise SlackError(
                    "missing_argument",
                    response_metadata={
                        "messages": ["[ERROR] team_id is required for org-wide installs (see auth.teams.list)"],
                    },
                )
            return None
        team = self.world.teams.get(team_id)
        if team is None or team.external:
            raise SlackError("team_not_found")
        return team_id

    def conversation(self, name: str = "channel", *, allow_names: bool = False) -> Conversation:
        """The conversation of argument ``name`` as the token's user can see it, else ``channel_not_found``.

        Private channels and direct messages are invisible to non-members (Slack answers
        ``channel_not_found`` for them, not ``not_in_channel``).
        """
        value = self.params.text(name)
        if value is None:
            raise SlackError("channel_not_found")
        conv = self.world.conversations.get(value)
        if conv is None and allow_names:
            conv = self.world.channel_by_name(value)
        if conv is None or not self.can_see(conv):
            raise SlackError("channel_not_found")
        return conv

    def can_see(self, conv: Conversation) -> bool:
        if not set(conv.teams) & set(self.world.org_team_ids):
            return False
        return not conv.is_private or self.token.user_id in conv.members

    def user_arg(self, name: str = "user", *, default_self: bool = False) -> User:
        value = self.params.text(name)
        if value is None:
            if default_self:
                return self.user
            raise SlackError("user_not_found")
        user = self.world.users.get(value)
        if user is None:
            raise SlackError("user_not_found")
        return user

    def with_email(self) -> bool:
        return "users:read.email" in self.token.scopes
