"""The views the Slack sandbox holds: views, each user's Home tab, modal stacks and triggers (plain data, changed
under the API's lock by :mod:`.views`, which holds Slack's rules for them; nothing here does I/O)."""

from __future__ import annotations

import hashlib
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

from .ids import IdFactory

ViewType = Literal["home", "modal"]

MAX_VIEW_BLOCKS = 100
MAX_TITLE = 24
MAX_BUTTON_LABEL = 24
MAX_PRIVATE_METADATA = 3000
MAX_CALLBACK_ID = 255
MAX_EXTERNAL_ID = 255
# "Error returned if the provided view is greater than 250kb": the sandbox counts 250,000 bytes of
# compact JSON, a bound no stricter Slack reading (250 KiB) can undercut.
MAX_VIEW_BYTES = 250_000
TRIGGER_LIFETIME = 3.0  # seconds of the sandbox clock
MAX_PUSHED = 2  # views pushed above the root: a stack of at most 3
MAX_PUBLISHED = 2000  # entries of the views.publish log kept (the oldest go first)


@dataclass
class Trigger:
    """A ``trigger_id`` handed to the app in an interaction payload, for one user and one exchange."""

    id: str
    user_id: str
    team_id: str
    issued_at: float
    view_id: str | None = None  # the modal the interaction came from (what ``views.push`` pushes onto)
    exchanged: bool = False


@dataclass
class StoredView:
    id: str
    type: ViewType
    team_id: str
    user_id: str
    view: dict[str, Any]  # what the app sent, block ids filled in
    hash: str
    root_view_id: str
    previous_view_id: str | None = None
    state: dict[str, dict[str, Any]] = field(default_factory=dict)  # block_id → action_id → value
    closed: bool = False

    @property
    def external_id(self) -> str:
        value = self.view.get("external_id")
        return value if isinstance(value, str) else ""


@dataclass(frozen=True)
class Published:
    """One ``views.publish`` the sandbox took: when (``time.time()``, the wall clock the Events API's delivery
    attempts log as ``sent_at``), for whom, and the view as stored then (the same object, never copied)."""

    view_id: str
    user_id: str
    hash: str
    published_at: float
    view: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The log entry as ``GET /_sandbox/publishes`` returns it (the view's callback_id and private_metadata,
        how many blocks it has; not the blocks)."""
        return {"view_id": self.view_id, "user_id": self.user_id, "hash": self.hash,
                "published_at": self.published_at, "callback_id": self.view.get("callback_id", ""),
                "private_metadata": self.view.get("private_metadata", ""),
                "blocks": len(self.view.get("blocks") or [])}


@dataclass(frozen=True)
class Updated:
    """One ``views.update`` the sandbox took: when (``time.time()``, the clock of :class:`Published`), which view,
    whose, and the view as stored then (the same object, never copied)."""

    view_id: str
    user_id: str
    hash: str
    updated_at: float
    view: dict[str, Any]


class ViewStore:
    """Every view published or opened, the Home tab of each user, modal stacks and triggers."""

    def __init__(self, ids: IdFactory) -> None:
        self._ids = ids
        self.views: dict[str, StoredView] = {}
        self.home: dict[str, str] = {}  # user id → view id
        self.stacks: dict[str, list[str]] = {}  # root view id → view ids, bottom first
        self.triggers: dict[str, Trigger] = {}
        self.published: deque[Published] = deque(maxlen=MAX_PUBLISHED)  # every views.publish taken, oldest first
        self.updated: deque[Updated] = deque(maxlen=MAX_PUBLISHED)  # every views.update taken, oldest first
        self._serial = 0

    def mint_trigger(self, user_id: str, team_id: str, now: float, view_id: str | None = None) -> str:
        """A fresh ``trigger_id`` (Slack's shape ``"132456.7890123.abcdef"``)."""
        self._serial += 1
        value = f"{int(now)}.{self._ids.digits(13)}.{hashlib.sha1(f'{now}:{self._serial}'.encode()).hexdigest()[:32]}"
        self.triggers[value] = Trigger(value, user_id, team_id, now, view_id)
        return value

    def new_hash(self, now: float) -> str:
        self._serial += 1
        return f"{int(now)}.{hashlib.sha1(f'hash:{now}:{self._serial}'.encode()).hexdigest()[:8]}"

    def new_id(self) -> str:
        return self._ids.new("V", 10)

    def by_external_id(self, external_id: str) -> StoredView | None:
        return next((v for v in self.views.values() if not v.closed and v.external_id == external_id), None)

    def stack_of(self, view: StoredView) -> list[str]:
        return self.stacks.get(view.root_view_id, [])
