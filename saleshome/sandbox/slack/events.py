"""Events API delivery: ``url_verification`` when the app sets its Request URL, then event callbacks.

What Slack does (Events API, https://api.slack.com/events-api; the ``url_verification`` event,
https://api.slack.com/events/url_verification; ``app_home_opened``,
https://api.slack.com/events/app_home_opened) and this does too:

- Setting an event Request URL sends ``{"token", "challenge", "type": "url_verification"}``; the app
  answers the ``challenge`` (plain text, ``challenge=`` form or ``{"challenge": …}`` JSON) within 3 s,
  else the setting is refused with a reason (:func:`verify_event_url`; nothing changes).
- Each event is POSTed as JSON in the outer envelope: ``token``, ``team_id``, ``enterprise_id``,
  ``context_team_id``, ``api_app_id``, ``event``, ``type: event_callback``, ``event_id`` (``Ev…``),
  ``event_time``, ``authorizations`` (the org-wide bot install), ``is_ext_shared_channel`` and
  ``event_context``.  ``app_home_opened`` carries ``user``, ``channel`` (the app's DM with the user),
  ``tab: home``, ``event_ts`` and, when a Home tab was published, ``view``.
- Every request is signed (``signing.py``) with the real wall-clock time, since the app checks the
  timestamp against its own clock.
- An attempt not answered 2xx within 3 real seconds fails with a reason (``delivery.py``) and the
  event is retried up to 3 times: at once, after 1 minute, after 5 minutes ("Graceful retries"),
  with ``X-Slack-Retry-Num: 1..3`` and ``X-Slack-Retry-Reason``.  The two waits are divided by the
  sandbox's time scale (``ratelimit.py``), so a test with ``time_scale=1000`` sees them in 60 and
  300 ms; the 3-s answer window is never scaled (the app's real speed is what is tested).  A failing
  answer with ``X-Slack-No-Retry: 1`` stops the retries ("Turning retries off").

Deliveries run in background threads and never hold the API's lock: the app calls the sandbox back
(``views.publish``) while handling an event.  Every attempt is logged (:meth:`Events.attempts`,
``GET /_sandbox/deliveries``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from .clock import Clock
from .delivery import ACK_TIMEOUT, Answer, post_signed
from .ids import format_ts
from .ratelimit import RateLimiter
from .signing import AppConfig
from .view_store import ViewStore
from .views import view_object
from .world import World


class Host(Protocol):
    """What event delivery uses of the sandbox (:class:`~.api.SlackApi` is one; typed here so that
    ``api.py`` can hold the deliveries without this module importing it back)."""

    @property
    def lock(self) -> AbstractContextManager[Any]: ...
    @property
    def world(self) -> World: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def views(self) -> ViewStore: ...
    @property
    def app(self) -> AppConfig | None: ...
    @property
    def limiter(self) -> RateLimiter: ...
    @property
    def stopping(self) -> threading.Event: ...

RETRY_WAITS = (0.0, 60.0, 300.0)  # Slack's waits before retries 1, 2 and 3, in seconds (time-scaled)
MAX_LOGGED_ATTEMPTS = 5000
NO_EVENT_URL = "no_event_url"


def verification_token(app: AppConfig) -> str:
    """The app's (deprecated) verification token, sent as ``token`` in every payload: fixed per secret."""
    return hashlib.sha256(f"verification:{app.signing_secret}".encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Attempt:
    """One POST of an event: ``attempt`` 1 is the first, 2..4 the retries (``X-Slack-Retry-Num`` 1..3)."""

    event_id: str
    type: str  # the inner event's type (``app_home_opened``)
    attempt: int
    status: int  # the app's HTTP status, 0 when it did not answer
    reason: str | None  # None: delivered; else the X-Slack-Retry-Reason of the next retry
    seconds: float
    sent_at: float  # wall-clock time the attempt started

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Delivery:
    """An event on its way to the app; :meth:`wait` blocks until delivered or given up."""

    event_id: str
    type: str
    payload: dict[str, Any]
    attempts: list[Attempt] = field(default_factory=list)
    finished: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def delivered(self) -> bool:
        return any(a.reason is None for a in self.attempts)

    def wait(self, timeout: float) -> bool:
        """True once the delivery is over (delivered or every retry failed) within ``timeout`` seconds."""
        return self.finished.wait(timeout)

    def to_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "type": self.type,
            "delivered": self.delivered,
            "finished": self.finished.is_set(),
            "attempts": [a.to_dict() for a in list(self.attempts)],
        }


def _challenge_answered(answer: Answer, challenge: str) -> bool:
    text = answer.body.decode("utf-8", "replace").strip()
    if text == challenge:
        return True
    if "json" in answer.content_type:
        try:
            parsed = json.loads(text)
        except ValueError:
            return False
        return isinstance(parsed, dict) and parsed.get("challenge") == challenge
    return text == f"challenge={challenge}"


def verify_event_url(app: AppConfig, url: str) -> None:
    """Send ``url_verification`` to ``url``; raise ValueError with Slack's reason unless it is answered."""
    challenge = secrets.token_urlsafe(40)
    body = json.dumps(
        {"token": verification_token(app), "challenge": challenge, "type": "url_verification"}
    ).encode()
    answer = post_signed(app, url, body, "application/json")
    if answer.ok and _challenge_answered(answer, challenge):
        return
    detail: str = answer.reason if answer.reason is not None else "the answer did not hold the challenge"
    if answer.status:
        detail += f", HTTP {answer.status}"
    raise ValueError(f"Your URL didn't respond with the value of the challenge parameter ({detail}).")


def _event_context(event_type: str, team_id: str, app_id: str, channel: str) -> str:
    packed = json.dumps({"et": event_type, "tid": team_id, "aid": app_id, "cid": channel}, separators=(",", ":"))
    return "4-" + base64.urlsafe_b64encode(packed.encode()).decode().rstrip("=")


class Events:
    """The Events API side of the sandbox: builds event envelopes, delivers them, logs attempts."""

    def __init__(self, api: Host) -> None:
        self._api = api
        self._log_lock = threading.Lock()
        self._attempts: list[Attempt] = []
        self._deliveries: dict[str, Delivery] = {}

    # ------------------------------------------------------------------ events
    def app_home_opened(self, user_id: str) -> Delivery:
        """``user_id`` opens the app's Home tab: the event is sent (in the background) and returned."""
        api = self._api
        with api.lock:
            world = api.world
            user = world.users.get(user_id)
            if user is None or user.deleted or user.is_bot:
                raise ValueError(f"no active Slack user {user_id!r}")
            now = api.clock.now()
            channel = world.open_im(world.bot_user_id, user.id, now)
            event: dict[str, Any] = {
                "type": "app_home_opened",
                "user": user.id,
                "channel": channel.id,
                "tab": "home",
                "event_ts": format_ts(int(now * 1_000_000)),
            }
            home = api.views.views.get(api.views.home.get(user.id, ""))
            if home is not None:
                event["view"] = view_object(world, home)
            payload = self._envelope(event, user.team_id, channel.id, now)
        return self._send(payload)

    def _envelope(self, event: dict[str, Any], team_id: str, channel: str, now: float) -> dict[str, Any]:
        """Slack's outer event (caller holds the lock)."""
        api = self._api
        world = api.world
        app = api.app
        assert app is not None
        event_id = world.ids.new("Ev", 10)
        return {
            "token": verification_token(app),
            "team_id": team_id,
            "enterprise_id": world.enterprise.id,
            "context_team_id": team_id,
            "context_enterprise_id": world.enterprise.id,
            "api_app_id": world.app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(now),
            "authorizations": [
                {
                    "enterprise_id": world.enterprise.id,
                    "team_id": None,  # an org-wide install (Enterprise Grid)
                    "user_id": world.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": True,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": _event_context(event["type"], team_id, world.app_id, channel),
        }

    # ------------------------------------------------------------------ delivery
    def _send(self, payload: dict[str, Any]) -> Delivery:
        delivery = Delivery(payload["event_id"], payload["event"]["type"], payload)
        with self._log_lock:
            self._deliveries[delivery.event_id] = delivery
            while len(self._deliveries) > MAX_LOGGED_ATTEMPTS:  # dicts keep insertion order: drop the oldest
                del self._deliveries[next(iter(self._deliveries))]
        app = self._api.app
        if app is None or app.event_url is None:
            self._log(delivery, Attempt(delivery.event_id, delivery.type, 1, 0, NO_EVENT_URL, 0.0, time.time()))
            delivery.finished.set()
            return delivery
        thread = threading.Thread(
            target=self._run, args=(delivery, app, app.event_url), name=f"slack-event-{delivery.event_id}", daemon=True
        )
        thread.start()
        return delivery

    def _run(self, delivery: Delivery, app: AppConfig, url: str) -> None:
        body = json.dumps(delivery.payload).encode()
        try:
            reason: str | None = None
            for attempt in range(1, len(RETRY_WAITS) + 2):
                extra: dict[str, str] = {}
                if attempt > 1:
                    wait = RETRY_WAITS[attempt - 2] / self._api.limiter.limits.time_scale
                    if self._api.stopping.wait(wait):
                        return
                    extra = {"X-Slack-Retry-Num": str(attempt - 1), "X-Slack-Retry-Reason": reason or "unknown_error"}
                started = time.time()
                answer = post_signed(app, url, body, "application/json", extra, ACK_TIMEOUT)
                reason = answer.reason
                self._log(
                    delivery,
                    Attempt(delivery.event_id, delivery.type, attempt, answer.status, reason, answer.seconds, started),
                )
                if reason is None or answer.headers.get("x-slack-no-retry") == "1":
                    return
        finally:
            delivery.finished.set()

    def _log(self, delivery: Delivery, attempt: Attempt) -> None:
        with self._log_lock:
            delivery.attempts.append(attempt)
            self._attempts.append(attempt)
            del self._attempts[:-MAX_LOGGED_ATTEMPTS]

    # ------------------------------------------------------------------ reading
    def attempts(self, event_id: str | None = None) -> list[Attempt]:
        """Every attempt so far, oldest first (of one event when ``event_id`` is given)."""
        with self._log_lock:
            return [a for a in self._attempts if event_id is None or a.event_id == event_id]

    def delivery(self, event_id: str) -> Delivery | None:
        with self._log_lock:
            return self._deliveries.get(event_id)
