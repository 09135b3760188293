"""The viewer as a Slack client: choose who you are, open the app's Home tab, use its blocks and modals.

Routes (under the viewer's URL):

- ``GET /client/who``: the picker (every active person of the organisation: not bots, not Slackbot);
  ``POST /client/who`` (form ``user=U…``) remembers the choice in the ``sandbox_slack_user`` cookie.
- ``GET /client``: the client — a sidebar with the workspace, who you are, channels and the app (**Sales**);
  ``GET /client/apps/sales``: the app's Home tab.  Opening it delivers ``app_home_opened`` to the app
  (``POST /client/api/home-opened``) and shows what the app published for this user with
  ``views.publish``; the app publishes after its ack, so the page asks ``GET /client/api/surface``
  (the user's Home tab and the top of their modal stack, each with a version: its ``hash``; with
  ``?channel=`` that channel's messages too) a few times
  a second for a bounded while after every interaction and redraws what changed.
- ``GET /client/channels/<id>``: a channel the user can read (``viewer_messages.py``), its messages'
  blocks live; the sidebar lists those channels.
- ``POST /client/api/action`` ``{view_id | channel + message_ts, block_id, action_id, value}``: a
  button, select, overflow, checkbox, date or date-time picker of an actions block or a section accessory, in a
  view or a message → ``block_actions``;
  ``POST /client/api/suggest`` ``{view_id, block_id, action_id, value}`` → ``block_suggestion``, the
  options the app offered; ``POST /client/api/submit`` ``{view_id, values}`` → the checks Slack's
  client makes (``viewer_state.input_problems``), then ``view_submission``; ``POST /client/api/close``
  ``{view_id}`` → the modal closes (``view_closed`` when it asked ``notify_on_close``).  Answers are
  ``{"ok", "error", "errors", "closed"}``: ``error`` is the text Slack shows (e.g. when the app did not
  answer within 3 seconds), ``errors`` the per-block messages shown under the input blocks.

Payloads are built and sent by ``interactivity.Interactions``; this module reads the view store under
the API's lock and never holds it while the app is being called (the app calls ``views.*`` back on
another server thread).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qsl

from .api import Request, Response, SlackApi
from .ids import parse_ts
from .interactivity import Interactions
from .view_store import StoredView
from .viewer_blocks import esc
from .viewer_messages import can_read, channel_part, message_blocks, visible_channels
from .viewer_script import CLIENT_CSS, CLIENT_JS
from .viewer_state import ClientInputError, action_input, find_element, input_problems, view_state
from .viewer_surface import SurfaceRenderer
from .world import User

HTML_TYPE = "text/html; charset=utf-8"
COOKIE = "sandbox_slack_user"
SLACKBOT = "USLACKBOT"
APP_NAME = "Sales"  # the app's name in the sidebar (the Sales Home app's App Home)
PageFn = Callable[[str, str], Response]


def can_sign_in(user: User | None) -> bool:
    """A person who can use Slack: active, not a bot, not Slackbot."""
    return user is not None and not user.deleted and not user.is_bot and user.id != SLACKBOT


def _json(payload: Any, status: int = 200) -> Response:
    return Response.of(status, payload)


def _redirect(location: str, **headers: str) -> Response:
    return Response(303, b"", content_type=HTML_TYPE, headers={"Location": location, **headers})


class ClientRoutes:
    """The ``/client`` pages and JSON endpoints of one sandbox."""

    def __init__(self, api: SlackApi, page: PageFn, interactions: Interactions | None = None) -> None:
        self.api = api
        self.page = page
        self.interactions = interactions if interactions is not None else Interactions(api)

    # ------------------------------------------------------------------ who is using the client
    def viewer(self, req: Request) -> User | None:
        try:
            jar = SimpleCookie(req.headers.get("cookie", ""))
        except CookieError:
            return None
        morsel = jar.get(COOKIE)
        user = self.api.world.users.get(morsel.value) if morsel is not None else None
        return user if can_sign_in(user) else None

    def handle(self, req: Request) -> Response:
        path = req.path.rstrip("/")
        if path == "/client/who":
            return self.choose(req) if req.method == "POST" else self.picker()
        user = self.viewer(req)
        if path.startswith("/client/api/"):
            if user is None:
                return _json({"ok": False, "error": "choose who you are first (/client/who)"}, 401)
            return self.api_call(req, user, path.removeprefix("/client/api/"))
        if user is None:
            return _redirect("/client/who")
        if path == "/client":
            return self.shell(user, None)
        if path == "/client/apps/sales":
            return self.shell(user, "home")
        if path.startswith("/client/channels/"):
            with self.api.lock:
                conv = can_read(self.api, user, path.removeprefix("/client/channels/"))
            if conv is not None:
                return self.shell(user, conv.id)
        response = self.page("Not found", f"<h1>Not found</h1><p>No page {esc(path)} you can open.</p>")
        response.status = 404
        return response

    def picker(self) -> Response:
        with self.api.lock:
            people = sorted(
                (u for u in self.api.world.users.values() if can_sign_in(u)),
                key=lambda u: u.profile.real_name.lower(),
            )
            options = "".join(
                f'<option value="{esc(u.id)}">{esc(u.profile.real_name)} — {esc(u.profile.title)} '
                f"({esc(self.api.world.teams[u.team_id].name)})</option>"
                for u in people
            )
        body = (
            '<h1>Who are you?</h1><form method="post" action="/client/who" class="picker">'
            '<label for="who">Use Slack as</label> <select id="who" name="user">'
            f'{options}</select> <button type="submit" class="b-button primary">Sign in</button></form>'
        )
        return self.page("Choose who you are", body)

    def choose(self, req: Request) -> Response:
        form = dict(parse_qsl(req.body.decode("utf-8", "replace")))
        user = self.api.world.users.get(form.get("user", ""))
        if user is None or not can_sign_in(user):
            response = self.page("Choose who you are", "<h1>No such person</h1><p>Pick someone from the list.</p>")
            response.status = 400
            return response
        cookie = f"{COOKIE}={user.id}; Path=/; HttpOnly; SameSite=Lax"
        return _redirect("/client/apps/sales", **{"Set-Cookie": cookie})

    # ------------------------------------------------------------------ the client page
    def shell(self, user: User, tab: str | None) -> Response:
        """The client page: the sidebar, then the Home tab (``tab="home"``), a channel (its id) or a greeting."""
        with self.api.lock:
            team = self.api.world.teams[user.team_id]
            channel = tab if tab not in (None, "home") else None
            surface = self.surface(user, channel)
            channels = visible_channels(self.api, user)
        here = ' aria-current="page"'
        links = "".join(
            f'<a class="channel-link" href="/client/channels/{esc(c.id)}"{here if c.id == tab else ""}>'
            f'{"🔒 " if c.is_private else "# "}{esc(c.name)}</a>'
            for c in channels
        )
        current = ' aria-current="page"' if tab == "home" else ""
        sidebar = (
            f'<aside class="sidebar"><div class="ws-name">{esc(team.name)}</div>'
            f'<div class="me">You are <strong id="me">{esc(user.profile.real_name)}</strong> · '
            f'<a href="/client/who">switch</a></div><div class="side-title">Channels</div>{links}'
            f'<div class="side-title">Apps</div><a class="app-link" href="/client/apps/sales"{current}>{esc(APP_NAME)}</a>'
            "</aside>"
        )
        pane = self._pane(tab, surface)
        modal = surface["modal"]
        root = (
            f'<div id="modal-root" data-version="{esc(modal["version"] if modal else "")}">'
            f'{modal["html"] if modal else ""}</div>'
        )
        opened = "true" if tab == "home" else "false"
        body = (
            f'<div class="client">{sidebar}{pane}</div>{root}'
            f"<style>{CLIENT_CSS}</style><script>window.SANDBOX_HOME_OPENED={opened};{CLIENT_JS}</script>"
        )
        return self.page(f"{APP_NAME} · {user.profile.real_name}", body)

    def _pane(self, tab: str | None, surface: dict[str, Any]) -> str:
        error = '<div id="client-error" role="alert"></div>'
        if tab == "home":
            home = surface["home"]
            return (
                f'<section class="pane"><header class="app-head"><h1>{esc(APP_NAME)}</h1>'
                f'<nav class="tabs"><span class="tab active">Home</span></nav></header>{error}'
                f'<div id="home" data-version="{esc(home["version"] if home else "")}">{home["html"] if home else ""}</div>'
                "</section>"
            )
        part = surface.get("channel")
        if part is not None:
            with self.api.lock:
                name = self.api.world.conversations[part["channel"]].name
            return (
                f'<section class="pane"><header class="app-head"><h1># {esc(name)}</h1></header>{error}'
                f'<div id="channel" data-channel="{esc(part["channel"])}" data-version="{esc(part["version"])}">'
                f'{part["html"]}</div></section>'
            )
        return f'<section class="pane"><p class="hello">Open <strong>{esc(APP_NAME)}</strong> in the sidebar.</p>{error}</section>'

    # ------------------------------------------------------------------ what the user sees (caller holds the lock)
    def _modal_top(self, user: User) -> StoredView | None:
        store = self.api.views
        top: StoredView | None = None
        for stack in store.stacks.values():
            views = [store.views[v] for v in stack if v in store.views and not store.views[v].closed]
            if views and views[0].user_id == user.id and views[0].type == "modal":
                top = views[-1]  # stacks in opening order: the latest one is in front
        return top

    def surface(self, user: User, channel: str | None = None) -> dict[str, Any]:
        """The user's Home tab, the top of their modal stack and, when asked, a channel they can read."""
        store = self.api.views
        home = store.views.get(store.home.get(user.id, ""))
        modal = self._modal_top(user)
        conv = can_read(self.api, user, channel) if channel else None
        return {
            "user": user.id,
            "home": self._home_json(user, home) if home is not None else None,
            "modal": self._modal_json(user, modal) if modal is not None else None,
            "channel": channel_part(self.api, user, conv) if conv is not None else None,
        }

    def _renderer(self, user: User, stored: StoredView) -> SurfaceRenderer:
        return SurfaceRenderer(self.api.world, user.team_id, stored.state, prefix=stored.id, zone=user.zone)

    def _home_json(self, user: User, stored: StoredView) -> dict[str, Any]:
        html = f'<div class="surface home-view" data-view-id="{esc(stored.id)}">{self._renderer(user, stored).surface(stored.view)}</div>'
        return {"view_id": stored.id, "version": stored.hash, "html": html}

    def _modal_json(self, user: User, stored: StoredView) -> dict[str, Any]:
        view = stored.view
        renderer = self._renderer(user, stored)
        title = renderer.text_object(view.get("title"))
        close = renderer.text_object(view.get("close")) if view.get("close") else "Cancel"
        submit = (
            f'<button type="button" class="b-button primary modal-submit">{renderer.text_object(view["submit"])}</button>'
            if view.get("submit")
            else ""
        )
        html = (
            '<div class="modal-backdrop"><div class="modal surface" role="dialog" aria-modal="true" '
            f'aria-labelledby="modal-title" data-view-id="{esc(stored.id)}">'
            f'<header class="modal-head"><h2 id="modal-title">{title}</h2>'
            '<button type="button" class="modal-x" aria-label="Close">×</button></header>'
            f'<div class="modal-body">{renderer.surface(view)}</div>'
            '<div class="modal-error" role="alert"></div>'
            f'<footer class="modal-foot"><button type="button" class="b-button modal-close">{close}</button>{submit}'
            "</footer></div></div>"
        )
        return {"view_id": stored.id, "version": f"{stored.id}:{stored.hash}", "html": html}

    # ------------------------------------------------------------------ JSON endpoints
    def api_call(self, req: Request, user: User, name: str) -> Response:
        if name == "surface" and req.method == "GET":
            with self.api.lock:
                return _json(self.surface(user, req.query.get("channel") or None))
        if req.method != "POST":
            return _json({"ok": False, "error": f"{req.method} /client/api/{name} is not served"}, 405)
        try:
            body = json.loads(req.body or b"{}")
            if not isinstance(body, dict):
                raise ClientInputError("the body is a JSON object")
            handler = {
                "home-opened": self.home_opened,
                "action": self.action,
                "suggest": self.suggest,
                "submit": self.submit,
                "close": self.close,
            }.get(name)
            if handler is None:
                return _json({"ok": False, "error": f"no endpoint /client/api/{name}"}, 404)
            return _json(handler(user, body))
        except ValueError as exc:  # ClientInputError, bad JSON, and the Interactions' refusals
            return _json({"ok": False, "error": str(exc)}, 400)

    def _own_view(self, user: User, body: dict[str, Any]) -> StoredView:
        """The open view the body names, if it is this user's (caller holds the lock)."""
        stored = self.api.views.views.get(str(body.get("view_id", "")))
        if stored is None or stored.closed or stored.user_id != user.id:
            raise ClientInputError(f"{user.id} has no open view {body.get('view_id')!r}")
        return stored

    def _user_exists(self, user_id: str) -> bool:
        found = self.api.world.users.get(user_id)
        return found is not None and not found.deleted

    def home_opened(self, user: User, body: dict[str, Any]) -> dict[str, Any]:
        self.interactions.home_opened(user.id)
        return {"ok": True}

    def action(self, user: User, body: dict[str, Any]) -> dict[str, Any]:
        """An element of a view (``view_id``) or of a message (``channel`` and ``message_ts``) was used."""
        block_id, action_id = str(body.get("block_id", "")), str(body.get("action_id", ""))
        channel, message_ts = body.get("channel"), body.get("message_ts")
        with self.api.lock:
            if body.get("view_id") is None and isinstance(channel, str) and isinstance(message_ts, str):
                ts_us = parse_ts(message_ts)
                blocks = message_blocks(self.api, channel, ts_us) if can_read(self.api, user, channel) and ts_us else None
                if blocks is None:
                    raise ClientInputError(f"no message {message_ts} that {user.id} can read in {channel}")
                view: dict[str, Any] = {"blocks": blocks}
                where: dict[str, Any] = {"channel": channel, "message_ts": message_ts}
            else:
                stored = self._own_view(user, body)
                view, where = stored.view, {"view_id": stored.id}
            _block, element = find_element(view, block_id, action_id)
            action = action_input(element, action_id, body.get("value"), self._user_exists, user.zone)
        outcome = self.interactions.block_action(user.id, action=action, block_id=block_id, **where)
        return {"ok": outcome.ok, "error": outcome.error, "errors": outcome.errors, "closed": outcome.closed}

    def suggest(self, user: User, body: dict[str, Any]) -> dict[str, Any]:
        options = self.interactions.suggestions(
            user.id,
            view_id=str(body.get("view_id", "")),
            block_id=str(body.get("block_id", "")),
            action_id=str(body.get("action_id", "")),
            value=str(body.get("value", "")),
        )
        return {"ok": True, "options": options}

    def submit(self, user: User, body: dict[str, Any]) -> dict[str, Any]:
        raw = body.get("values")
        with self.api.lock:
            stored = self._own_view(user, body)
            values = view_state(stored.view, raw if isinstance(raw, dict) else {}, self._user_exists, user.zone)
            problems = input_problems(stored.view, values)
            view_id = stored.id
        if problems:  # Slack's client refuses before anything is sent
            return {"ok": False, "error": None, "errors": problems, "closed": False}
        sent = {b: {a: {k: v for k, v in entry.items() if k != "type"} for a, entry in by.items()} for b, by in values.items()}
        outcome = self.interactions.submit(user.id, view_id=view_id, values=sent)
        return {"ok": outcome.ok, "error": outcome.error, "errors": outcome.errors, "closed": outcome.closed}

    def close(self, user: User, body: dict[str, Any]) -> dict[str, Any]:
        outcome = self.interactions.close(user.id, view_id=str(body.get("view_id", "")))
        return {"ok": outcome.ok, "error": outcome.error, "errors": outcome.errors, "closed": outcome.closed}
