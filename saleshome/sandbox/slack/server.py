"""The Slack sandbox on ``http://127.0.0.1:PORT``, and :class:`SlackSandbox` to run it.

``with SlackSandbox(seed=7, time_scale=50) as sandbox:`` starts it on a free port in a
background thread and stops it on exit; ``sandbox.info`` holds what a client needs (the keys
``saleshome sandbox slack`` prints as its ready line)::

    client = WebClient(token=sandbox.info.bot_token, base_url=sandbox.info.api_url)

Tests drive it through its Python API: :meth:`SlackSandbox.messages` (the message log),
:meth:`SlackSandbox.inject` / :attr:`SlackSandbox.faults` (fault injection),
:attr:`SlackSandbox.rate_limiter` (limits and time scale), :meth:`SlackSandbox.channel_id`,
:meth:`SlackSandbox.user_id`, :meth:`SlackSandbox.add_channels`, :meth:`SlackSandbox.set_locale`,
:attr:`SlackSandbox.clock`, and for surfaces :meth:`SlackSandbox.mint_trigger` (the ``trigger_id`` of an
interaction), :meth:`SlackSandbox.home_view`, :meth:`SlackSandbox.view` and :meth:`SlackSandbox.view_stack`;
the app's side: :meth:`SlackSandbox.configure_app`, :attr:`SlackSandbox.interactions` (a user opening the
Home tab, clicking, submitting: ``interactivity.py``) and :meth:`SlackSandbox.deliveries` (``events.py``).
The same is reachable over HTTP under ``/_sandbox/`` (``control.py``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..http import SandboxServer
from .api import Request, SlackApi
from .clock import Clock
from .control import configure_app, control_handler, mint_trigger, publishes, set_user_locale, stored_view
from .events import Attempt
from .faults import Fault, FaultKind, FaultPlan
from .interactivity import Interactions
from .messages import MessageRecord, MessageStore, StoredMessage
from .ratelimit import RateLimiter, RateLimits
from .seed import build_world, seed_history
from .signing import SIGNING_SECRET_LENGTH, AppConfig
from .viewer import viewer_handler, write_snapshot
from .views import view_object
from .world import World


@dataclass(frozen=True)
class SlackSandboxInfo:
    """How to reach a running Slack sandbox (throwaway tokens of a local organisation)."""

    api_url: str  # ends with /api/: WebClient(base_url=api_url)
    bot_token: str  # xoxb: the Sales Home bot (org-wide install)
    admin_token: str  # xoxp of an owner (the Salesforce administrator): may set other users' status
    member_token: str  # xoxp of a regular member: may set only their own status
    viewer_url: str
    control_url: str
    enterprise_id: str
    teams: list[dict[str, str]] = field(default_factory=list)  # the workspaces: id, name, domain
    time_scale: float = 1.0
    seed: int = 1
    signing_secret: str = ""  # the app's: what Slack signs its requests to the app with
    event_url: str | None = None  # the app's Events API request URL, when configured
    interactivity_url: str | None = None  # the app's interactivity request URL, when configured

    def to_json(self) -> str:
        return json.dumps(asdict(self))


class _HttpServer(SandboxServer):
    api: SlackApi

    def __init__(self, port: int) -> None:
        super().__init__(port, Request)


class SlackSandbox:
    """A Slack Enterprise organisation on ``http://127.0.0.1:PORT``.

    ``seed`` and ``opportunities`` pick the people exactly as the Salesforce sandbox does
    (``sales_team(seed, team_size(opportunities))``), so users match by email.  ``time_scale``
    speeds every rate limit up (see ``ratelimit.py``); ``rate_limits`` replaces them all.
    ``bot_scopes`` replaces the bot token's scopes (to test ``missing_scope``).  ``signing_secret``
    (32 hex digits; drawn from the seed when None), ``event_url`` and ``interactivity_url`` are the
    app's configuration (``signing.py``).
    """

    def __init__(
        self,
        *,
        seed: int = 1,
        opportunities: int = 2000,
        port: int = 0,
        time_scale: float = 1.0,
        rate_limits: RateLimits | None = None,
        bot_scopes: Iterable[str] | None = None,
        history: bool = True,
        signing_secret: str | None = None,
        event_url: str | None = None,
        interactivity_url: str | None = None,
    ) -> None:
        self.seed = seed
        self.opportunities = opportunities
        self._port = port
        self._limits = rate_limits if rate_limits is not None else RateLimits(time_scale=time_scale)
        self._bot_scopes = frozenset(bot_scopes) if bot_scopes is not None else None
        self._history = history
        self._app_urls = (event_url, interactivity_url)
        self._signing_secret = signing_secret
        # refuse a bad configuration before anything starts (a None secret is drawn at start)
        AppConfig(signing_secret if signing_secret is not None else "0" * SIGNING_SECRET_LENGTH, *self._app_urls)
        self._httpd: _HttpServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self.api: SlackApi | None = None
        self.info: SlackSandboxInfo | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> SlackSandboxInfo:
        clock = Clock()
        world = build_world(self.seed, self.opportunities, clock.now())
        if self._bot_scopes is not None:
            world.tokens[world.bot_token].scopes = self._bot_scopes
        store = MessageStore()
        if self._history:
            for channel, user, text, ts_us in seed_history(world, clock.now()):
                conv = world.conversations[channel]
                store.add(
                    StoredMessage(
                        channel=channel,
                        team_id=conv.context_team_id,
                        ts_us=ts_us,
                        user=user,
                        text=text,
                        blocks=None,
                        metadata=None,
                        posted_at=ts_us / 1e6,
                        source="seed",
                    )
                )
        httpd = _HttpServer(self._port)
        base = f"http://127.0.0.1:{httpd.server_address[1]}/"
        self._stopping.clear()
        api = SlackApi(world, store, FaultPlan(), RateLimiter(self._limits), clock, base, self._stopping)
        api.app = AppConfig(
            self._signing_secret if self._signing_secret is not None else world.ids.hex(SIGNING_SECRET_LENGTH),
            *self._app_urls,
        )
        api.control = control_handler(api)
        api.viewer = viewer_handler(api)
        httpd.api = api
        self._httpd, self.api = httpd, api
        org = [world.teams[t] for t in world.org_team_ids]
        self.info = SlackSandboxInfo(
            api_url=f"{base}api/",
            bot_token=world.bot_token,
            admin_token=world.admin_token,
            member_token=world.member_token,
            viewer_url=base,
            control_url=f"{base}_sandbox/",
            enterprise_id=world.enterprise.id,
            teams=[{"id": t.id, "name": t.name, "domain": t.domain} for t in org],
            time_scale=self._limits.time_scale,
            seed=self.seed,
            signing_secret=api.app.signing_secret,
            event_url=api.app.event_url,
            interactivity_url=api.app.interactivity_url,
        )
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="slack-sandbox",
            daemon=True,
        )
        self._thread.start()
        return self.info

    def stop(self) -> None:
        self._stopping.set()  # wakes requests sleeping in a "timeout" fault
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def __enter__(self) -> SlackSandbox:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ test conveniences
    def _api(self) -> SlackApi:
        if self.api is None:
            raise RuntimeError("start the Slack sandbox first (use it as a context manager)")
        return self.api

    @property
    def world(self) -> World:
        return self._api().world

    @property
    def clock(self) -> Clock:
        return self._api().clock

    @property
    def faults(self) -> FaultPlan:
        return self._api().faults

    @property
    def rate_limiter(self) -> RateLimiter:
        return self._api().limiter

    def inject(self, kind: FaultKind, method: str = "*", **options: Any) -> Fault:
        """Arm a fault: ``inject("stored_then_dropped", "chat.postMessage", times=1)`` (see ``faults.py``)."""
        return self.faults.add(kind, method, **options)

    def set_time_scale(self, time_scale: float) -> RateLimits:
        return self.rate_limiter.configure(time_scale=time_scale)

    def messages(
        self,
        channel: str | None = None,
        *,
        include_deleted: bool = True,
        include_seeded: bool = False,
        event_type: str | None = None,
    ) -> list[MessageRecord]:
        """The message log, oldest first: what the API stored (seeded history only when asked)."""
        return self._api().messages.records(
            channel,
            include_deleted=include_deleted,
            include_seeded=include_seeded,
            event_type=event_type,
        )

    def write_viewer_snapshot(self, directory: Path) -> Path:
        """The viewer's pages as static HTML files under ``directory``; returns ``index.html``'s path."""
        return write_snapshot(self._api(), directory)

    def clear_messages(self) -> int:
        """Forget every message posted through the API (the seeded history stays)."""
        return self._api().messages.clear(source="api")

    def channel_id(self, name: str, team_id: str | None = None) -> str:
        """The id of channel ``name`` (``"sales"`` or ``"#sales"``), in ``team_id`` when given."""
        api = self._api()
        with api.lock:
            conv = api.world.channel_by_name(name, team_id)
        if conv is None:
            raise KeyError(f"no channel #{name.removeprefix('#')}" + (f" in {team_id}" if team_id else ""))
        return conv.id

    def user_id(self, email: str) -> str:
        api = self._api()
        with api.lock:
            user = api.world.user_by_email(email)
        if user is None:
            raise KeyError(f"no Slack user with email {email}")
        return user.id

    def add_channels(
        self,
        count: int,
        *,
        team_id: str | None = None,
        prefix: str = "load",
        private: bool = False,
        bot_member: bool = True,
    ) -> list[str]:
        """Create ``count`` channels (the bot a member by default), e.g. for a publishing benchmark."""
        api = self._api()
        with api.lock:
            return api.world.add_channels(
                count, team_id=team_id, prefix=prefix, private=private, bot_member=bot_member, now=api.clock.now()
            )

    def set_locale(self, user_id: str, locale: str) -> None:
        """``user_id`` switches Slack to another language (``fr-FR``, ``en-GB``...)."""
        set_user_locale(self._api(), user_id, locale)

    def mint_trigger(self, user_id: str, *, view_id: str | None = None) -> str:
        """A fresh ``trigger_id`` of an interaction by ``user_id`` (from inside modal ``view_id`` when given):
        valid for 3 seconds of the sandbox clock and one ``views.open``/``views.push``."""
        return mint_trigger(self._api(), user_id, view_id)

    def home_view(self, user_id: str) -> dict[str, Any] | None:
        """The Home tab the app last published for ``user_id`` (the view as sent, block ids filled), if any."""
        return stored_view(self._api(), user_id=user_id)

    def surface(self, user_id: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """What ``user_id``'s Slack client shows: (their Home tab, the top of their newest open modal stack), each as
        an interaction payload's ``view`` (``id``, ``hash``, ``callback_id``, blocks, state), None when there is none."""
        api = self._api()
        with api.lock:
            store = api.views
            home = store.views.get(store.home.get(user_id, ""))
            top = None
            for stack in store.stacks.values():  # in opening order: the latest stack is in front
                views = [store.views[v] for v in stack if v in store.views and not store.views[v].closed]
                if views and views[0].user_id == user_id and views[0].type == "modal":
                    top = views[-1]
            return (view_object(api.world, home) if home is not None else None,
                    view_object(api.world, top) if top is not None else None)

    def view(self, view_id: str) -> dict[str, Any]:
        """A stored view (Home tab or modal) as the app last sent it, block ids filled."""
        view = stored_view(self._api(), view_id=view_id)
        if view is None:
            raise KeyError(f"no view {view_id}")
        return view

    def view_stack(self, view_id: str) -> list[str]:
        """The ids of the modal stack ``view_id`` belongs to, root first."""
        api = self._api()
        with api.lock:
            return list(api.views.stack_of(api.views.views[view_id]))

    @property
    def app(self) -> AppConfig:
        """The app's configuration: ``sandbox.app.sign(body, timestamp)`` gives Slack's signature headers."""
        app = self._api().app
        if app is None:
            raise RuntimeError("the Slack sandbox has no app configuration")
        return app

    def configure_app(self, **changes: str | None) -> AppConfig:
        """Change the app's request URLs (``event_url=``, ``interactivity_url=``; None clears one).

        A new ``event_url`` must answer Slack's ``url_verification`` challenge, else ValueError (nothing
        changes); URLs given to the constructor are not verified (the app may start later)."""
        return configure_app(self._api(), dict(changes))

    @property
    def interactions(self) -> Interactions:
        """The Slack client's side: ``home_opened``, ``block_action``, ``suggestions``, ``submit``, ``close``."""
        return Interactions(self._api())

    def deliveries(self, event_id: str | None = None) -> list[Attempt]:
        """Every Events API delivery attempt so far, oldest first (``events.py``)."""
        return self._api().events.attempts(event_id)

    def publishes(self, user_id: str | None = None, since: float | None = None) -> list[dict[str, Any]]:
        """The ``views.publish`` calls taken so far (of ``user_id``, at or after ``since``), oldest first
        (``control.publishes``)."""
        return publishes(self._api(), user_id, since)

    def revoke_token(self, token: str) -> None:
        """Revoke a token: its calls then fail with ``token_revoked``."""
        api = self._api()
        with api.lock:
            api.world.tokens[token].revoked = True
