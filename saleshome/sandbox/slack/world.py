"""The Slack organisation of the sandbox as data: enterprise, workspaces, users, conversations, tokens.

Built by :func:`saleshome.sandbox.slack.seed.build_world`; the API changes it under its lock
(direct messages opened, channels joined or added, profiles set).  Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Literal
from zoneinfo import ZoneInfo

from ..people import Person
from .ids import IdFactory

ConversationKind = Literal["public", "private", "im", "mpim"]
TokenKind = Literal["bot", "user"]

DEFAULT_TZ = "America/Los_Angeles"  # a user without a time zone of their own
# Slack's long time zone names (``tz_label``): (standard, daylight saving).
_TZ_LABELS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "America/Los_Angeles": ("Pacific Standard Time", "Pacific Daylight Time"),
        "America/Denver": ("Mountain Standard Time", "Mountain Daylight Time"),
        "America/Chicago": ("Central Standard Time", "Central Daylight Time"),
        "America/New_York": ("Eastern Standard Time", "Eastern Daylight Time"),
        "America/Sao_Paulo": ("Brasilia Standard Time", "Brasilia Summer Time"),
        "Europe/London": ("Greenwich Mean Time", "British Summer Time"),
        "Europe/Paris": ("Central European Time", "Central European Summer Time"),
        "Europe/Berlin": ("Central European Time", "Central European Summer Time"),
        "Asia/Kolkata": ("India Standard Time", "India Standard Time"),
        "Asia/Singapore": ("Singapore Standard Time", "Singapore Standard Time"),
        "Asia/Tokyo": ("Japan Standard Time", "Japan Standard Time"),
        "Australia/Sydney": ("Australian Eastern Standard Time", "Australian Eastern Daylight Time"),
    }
)


@dataclass(frozen=True)
class Enterprise:
    id: str
    name: str
    domain: str


@dataclass(frozen=True)
class Team:
    """A workspace (``T…``); ``external`` for the partner organisation of the Slack Connect channel."""

    id: str
    name: str
    domain: str
    email_domain: str
    enterprise_id: str | None
    enterprise_name: str | None
    external: bool = False


@dataclass
class Profile:
    """The mutable part of a user: names, title and custom status."""

    first_name: str
    last_name: str
    real_name: str
    display_name: str
    title: str
    email: str | None
    phone: str = ""
    pronouns: str = ""
    status_text: str = ""
    status_emoji: str = ""
    status_expiration: int = 0
    avatar_hash: str = ""

    def clear_expired_status(self, now: float) -> None:
        """Slack clears a custom status once its ``status_expiration`` has passed."""
        if self.status_expiration and self.status_expiration <= now:
            self.status_text, self.status_emoji, self.status_expiration = "", "", 0


@dataclass
class User:
    id: str
    name: str  # the username (email local part)
    team_id: str  # home workspace
    teams: list[str]
    profile: Profile
    tz: str | None
    color: str
    updated: int
    locale: str = "en-US"  # the language the user chose in Slack (``users.info`` with ``include_locale``)
    is_admin: bool = False
    is_owner: bool = False
    is_primary_owner: bool = False
    is_bot: bool = False
    deleted: bool = False
    bot_id: str | None = None
    app_id: str | None = None
    person: Person | None = None  # the sales team member this user is, when there is one

    @property
    def role_rank(self) -> int:
        """Primary owner > owner > admin > member (Slack's order for profile changes)."""
        if self.is_primary_owner:
            return 4
        if self.is_owner:
            return 3
        return 2 if self.is_admin else 1

    @property
    def zone(self) -> ZoneInfo:
        """The user's time zone (Slack's default when they set none): where the client shows and reads times."""
        return ZoneInfo(self.tz or DEFAULT_TZ)

    def tz_fields(self, now: float) -> tuple[str, str, int]:
        """``tz``, ``tz_label`` and ``tz_offset`` (seconds east of UTC) at ``now``."""
        zone = self.tz or DEFAULT_TZ
        moment = datetime.fromtimestamp(now, UTC).astimezone(ZoneInfo(zone))
        offset = moment.utcoffset()
        dst = moment.dst()
        standard, daylight = _TZ_LABELS.get(zone, (moment.tzname() or zone, moment.tzname() or zone))
        return zone, (daylight if dst else standard), int(offset.total_seconds()) if offset else 0


@dataclass
class Conversation:
    id: str
    name: str  # empty for direct messages
    kind: ConversationKind
    context_team_id: str
    created: int
    creator: str
    members: set[str] = field(default_factory=set)
    is_archived: bool = False
    is_general: bool = False
    shared_team_ids: list[str] = field(default_factory=list)
    connected_team_ids: list[str] = field(default_factory=list)
    is_ext_shared: bool = False
    is_org_shared: bool = False
    topic: str = ""
    purpose: str = ""
    im_user: str | None = None  # the other party of a direct message
    updated: int = 0

    @property
    def is_private(self) -> bool:
        return self.kind in ("private", "im", "mpim")

    @property
    def is_legacy_group(self) -> bool:
        """Private channels created before March 2021 have ``G`` ids, ``is_channel`` false, ``is_group`` true."""
        return self.kind == "private" and self.id.startswith("G")

    @property
    def teams(self) -> list[str]:
        """Every workspace of the organisation this conversation is visible in."""
        return list(dict.fromkeys([self.context_team_id, *self.shared_team_ids]))


@dataclass
class Token:
    value: str
    kind: TokenKind
    user_id: str
    scopes: frozenset[str]
    label: str  # "bot", "admin" or "member"
    revoked: bool = False


@dataclass
class World:
    """Everything the sandbox organisation holds (but messages: see ``messages.py``)."""

    seed: int
    enterprise: Enterprise
    teams: dict[str, Team]
    users: dict[str, User]
    conversations: dict[str, Conversation]
    tokens: dict[str, Token]
    bot_user_id: str
    bot_id: str
    app_id: str
    ids: IdFactory
    bot_token: str = ""
    admin_token: str = ""
    member_token: str = ""
    deactivated_user_id: str = ""
    primary_owner_id: str = ""

    # ------------------------------------------------------------------ lookups
    @property
    def org_team_ids(self) -> list[str]:
        """The workspaces of the organisation (the external partner aside), in order."""
        return [t.id for t in self.teams.values() if not t.external]

    @property
    def bot(self) -> User:
        return self.users[self.bot_user_id]

    def user_by_email(self, email: str) -> User | None:
        wanted = email.strip().lower()
        return next((u for u in self.users.values() if u.profile.email and u.profile.email.lower() == wanted), None)

    def channel_by_name(self, name: str, team_id: str | None = None) -> Conversation | None:
        wanted = name.removeprefix("#")
        return next(
            (
                c
                for c in self.conversations.values()
                if c.name == wanted and c.kind != "im" and (team_id is None or team_id in c.teams)
            ),
            None,
        )

    def conversations_of_team(self, team_id: str) -> Iterator[Conversation]:
        return (c for c in self.conversations.values() if team_id in c.teams)

    def im_with(self, user_id: str, other: str) -> Conversation | None:
        return next(
            (c for c in self.conversations.values() if c.kind == "im" and c.members == {user_id, other}),
            None,
        )

    # ------------------------------------------------------------------ changes
    def open_im(self, user_id: str, other: str, now: float) -> Conversation:
        """The direct message between ``user_id`` (the caller) and ``other``, created when missing."""
        existing = self.im_with(user_id, other)
        if existing is not None:
            return existing
        target = self.users[other]
        conv = Conversation(
            id=self.ids.new("D"),
            name="",
            kind="im",
            context_team_id=target.team_id,
            created=int(now),
            creator=user_id,
            members={user_id, other},
            im_user=other,
            updated=int(now * 1000),
        )
        self.conversations[conv.id] = conv
        return conv

    def add_channel(
        self,
        name: str,
        team_id: str,
        *,
        private: bool = False,
        bot_member: bool = True,
        members: Iterable[str] = (),
        now: float,
    ) -> Conversation:
        if team_id not in self.teams or self.teams[team_id].external:
            raise ValueError(f"unknown workspace {team_id!r}; choose one of {', '.join(self.org_team_ids)}")
        if self.channel_by_name(name, team_id) is not None:
            raise ValueError(f"#{name} already exists in {team_id}")
        people = set(members) | ({self.bot_user_id} if bot_member else set())
        conv = Conversation(
            id=self.ids.new("C"),
            name=name,
            kind="private" if private else "public",
            context_team_id=team_id,
            created=int(now),
            creator=self.primary_owner_id,
            members=people,
            shared_team_ids=[team_id],
            updated=int(now * 1000),
        )
        self.conversations[conv.id] = conv
        return conv

    def add_channels(
        self,
        count: int,
        *,
        team_id: str | None = None,
        prefix: str = "load",
        private: bool = False,
        bot_member: bool = True,
        now: float,
    ) -> list[str]:
        """``count`` more channels named ``<prefix>-0001``... (for load tests: the bot is a member)."""
        if count < 0:
            raise ValueError("count must not be negative")
        team = team_id or self.org_team_ids[0]
        made: list[str] = []
        n = 0
        while len(made) < count:
            n += 1
            name = f"{prefix}-{n:04d}"
            if self.channel_by_name(name, team) is None:
                made.append(self.add_channel(name, team, private=private, bot_member=bot_member, now=now).id)
        return made
