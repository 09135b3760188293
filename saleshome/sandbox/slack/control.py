"""The sandbox's control endpoints (not part of Slack's API), under ``/_sandbox/``; no token needed.

- ``GET /_sandbox/info``: organisation, workspaces, channels, rate limits, message count
- ``GET /_sandbox/messages?channel=C…&include_deleted=1&include_seeded=0&event_type=…``: the message
  log, oldest first; ``DELETE /_sandbox/messages`` forgets what was posted through the API
- ``GET|POST|DELETE /_sandbox/faults``: list, arm (``{"kind": "stored_then_dropped", "method":
  "chat.postMessage", "times": 1}``; see ``faults.py``), disarm every fault
- ``GET|POST /_sandbox/rate-limits``: read or change the limits (``{"time_scale": 50}``,
  ``{"enabled": false}``, ``{"reset": true}`` refills every bucket)
- ``POST /_sandbox/clock`` ``{"advance_seconds": 3600}``: move the sandbox clock forward
- ``POST /_sandbox/channels`` ``{"count": 200, "team_id": "T…", "prefix": "load"}``: more channels
- ``GET /_sandbox/users``: the directory, with the Salesforce email of each sales team member
- ``POST /_sandbox/users`` ``{"user": "U…", "locale": "fr-FR"}``: a user changes their Slack language
- ``POST /_sandbox/triggers`` ``{"user": "U…", "view_id": "V…"}``: a fresh ``trigger_id`` of an interaction
  by that user (inside that modal when ``view_id`` is given), for ``views.open``/``views.push``
- ``GET /_sandbox/views?user=U…`` (the user's Home tab) or ``?view_id=V…``: a stored view, as the app sent it
- ``GET|POST /_sandbox/app`` ``{"event_url": "http://127.0.0.1:3000/slack/events", "interactivity_url": …}``:
  read or change the app's request URLs (``signing.py``; the signing secret is read only, as the
  ready line prints it); a new ``event_url`` must answer Slack's ``url_verification`` (``events.py``)
- ``POST /_sandbox/response-urls/<token>``: a ``response_url`` of an interaction payload (``response_urls.py``);
  ``GET /_sandbox/ephemeral?user=U…``: the ephemeral messages sent through them
- ``GET /_sandbox/deliveries?event_id=Ev…``: every Events API delivery attempt (event_id, type, attempt,
  status, reason, seconds, sent_at), oldest first
- ``GET /_sandbox/publishes?user=U…&since=<unix time>``: the ``views.publish`` calls taken (the last 2,000),
  oldest first: view_id, user_id, hash, published_at (wall clock, as ``sent_at`` above), callback_id,
  private_metadata, blocks (how many)
- ``POST /_sandbox/client/{home_opened,block_actions,block_suggestion,view_submission,view_closed}``: the
  Slack client acting for a user (``interactivity.py``): ``{"user": "U…", "wait": 5}`` (home_opened: the
  delivery, after waiting up to ``wait`` s), ``{"user", "action": {"action_id": …, …}, "block_id",
  "view_id" | "channel"+"message_ts"}``, ``{"user", "view_id", "block_id", "action_id", "value"}`` →
  ``options``, ``{"user", "view_id", "values": {block_id: {action_id: {…}}}}``, ``{"user", "view_id"}``
  → ``outcome`` (ok, error, errors, view, view_id, closed, status, payload)
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import asdict, replace
from typing import Any

from .api import Request, Response, SlackApi
from .events import verify_event_url
from .interactivity import Interactions
from .ratelimit import RateLimits
from .response_url_posts import respond
from .response_urls import ResponseUrlError
from .signing import AppConfig


class ControlError(Exception):
    def __init__(self, status: int, error: str, detail: str = "") -> None:
        super().__init__(detail or error)
        self.status, self.error, self.detail = status, error, detail


def _flag(query: dict[str, str], name: str, default: bool) -> bool:
    value = query.get(name)
    return default if value is None else value.strip().lower() in ("1", "true", "yes")


def sandbox_summary(api: SlackApi) -> dict[str, Any]:
    world = api.world
    with api.lock:
        return {
            "enterprise": {"id": world.enterprise.id, "name": world.enterprise.name},
            "teams": [
                {"id": t.id, "name": t.name, "domain": t.domain, "external": t.external} for t in world.teams.values()
            ],
            "bot_user_id": world.bot_user_id,
            "bot_id": world.bot_id,
            "deactivated_user_id": world.deactivated_user_id,
            "channels": [
                {
                    "id": c.id,
                    "name": c.name,
                    "kind": c.kind,
                    "team_id": c.context_team_id,
                    "teams": c.teams,
                    "is_archived": c.is_archived,
                    "is_ext_shared": c.is_ext_shared,
                    "is_org_shared": c.is_org_shared,
                    "bot_member": world.bot_user_id in c.members,
                    "im_user": c.im_user,
                }
                for c in world.conversations.values()
            ],
            "users": len(world.users),
            "messages": len(api.messages.records()),
            "rate_limits": api.limiter.limits.to_dict(),
            "throttled": dict(api.limiter.throttled),
            "now": api.clock.now(),
        }


def user_directory(api: SlackApi) -> list[dict[str, Any]]:
    now = api.clock.now()
    found = []
    with api.lock:
        for u in api.world.users.values():
            u.profile.clear_expired_status(now)
            found.append(
                {
                    "id": u.id,
                    "name": u.name,
                    "real_name": u.profile.real_name,
                    "email": u.profile.email,
                    "teams": list(u.teams),
                    "deleted": u.deleted,
                    "is_bot": u.is_bot,
                    "is_admin": u.is_admin,
                    "is_owner": u.is_owner,
                    "is_primary_owner": u.is_primary_owner,
                    "tz": u.tz,
                    "locale": u.locale,
                    "status_text": u.profile.status_text,
                    "status_emoji": u.profile.status_emoji,
                    "status_expiration": u.profile.status_expiration,
                    "person_index": u.person.index if u.person else None,
                    "salesforce_email": u.person.salesforce_email if u.person else None,
                }
            )
    return found


def set_user_locale(api: SlackApi, user_id: str, locale: object) -> None:
    """``user_id`` picks another language in Slack (their ``updated`` time moves, as on a profile change)."""
    if not isinstance(locale, str) or not re.fullmatch(r"[a-z]{2}-[A-Z]{2}", locale):
        raise ValueError("locale must be a language tag like fr-FR")
    with api.lock:
        user = api.world.users.get(user_id)
        if user is None:
            raise ValueError(f"no user {user_id!r}")
        user.locale = locale
        user.updated = int(api.clock.now())


def mint_trigger(api: SlackApi, user_id: str, view_id: str | None = None) -> str:
    """A fresh ``trigger_id`` of an interaction by ``user_id`` (from inside modal ``view_id`` when given)."""
    with api.lock:
        user = api.world.users.get(user_id)
        if user is None:
            raise ValueError(f"no Slack user {user_id!r}")
        if view_id is not None and view_id not in api.views.views:
            raise ValueError(f"no view {view_id!r}")
        return api.views.mint_trigger(user.id, user.team_id, api.clock.now(), view_id)


def stored_view(api: SlackApi, *, user_id: str | None = None, view_id: str | None = None) -> dict[str, Any] | None:
    """A copy of the view ``view_id``, or of ``user_id``'s Home tab; None when there is none."""
    with api.lock:
        if view_id is None and user_id is not None:
            view_id = api.views.home.get(user_id)
        stored = api.views.views.get(view_id or "")
        return copy.deepcopy(stored.view) if stored is not None else None


def publishes(api: SlackApi, user_id: str | None = None, since: float | None = None) -> list[dict[str, Any]]:
    """The ``views.publish`` log (of ``user_id``; taken at or after the unix time ``since``), oldest first."""
    with api.lock:
        return [p.to_dict() for p in api.views.published
                if (user_id is None or p.user_id == user_id) and (since is None or p.published_at >= since)]


def _unix_time(raw: str | None) -> float | None:
    try:
        return None if raw is None else float(raw)
    except ValueError:
        raise ControlError(400, "invalid_arguments", f"since must be a unix time, got {raw!r}") from None


def configure_app(api: SlackApi, changes: dict[str, Any]) -> AppConfig:
    """Point the sandbox at the app: new ``event_url`` / ``interactivity_url`` (None clears one).

    A new ``event_url`` is verified first, as Slack does when the Request URL is saved: a signed
    ``url_verification`` whose ``challenge`` the app must echo (``events.py``), sent without holding the
    API's lock; unanswered → ValueError with the reason, nothing changed.
    """
    unknown = set(changes) - {"event_url", "interactivity_url"}
    if unknown:
        raise ValueError(f"unknown app setting(s): {', '.join(sorted(unknown))} (event_url, interactivity_url)")
    if any(v is not None and not isinstance(v, str) for v in changes.values()):
        raise ValueError("request URLs are strings (or null to clear one)")
    with api.lock:
        if api.app is None:
            raise ValueError("the Slack sandbox has no app configuration")
        candidate = replace(api.app, **changes)  # AppConfig checks the URLs: nothing changes on a bad one
        verify = candidate.event_url is not None and candidate.event_url != api.app.event_url
    if verify:
        assert candidate.event_url is not None
        verify_event_url(candidate, candidate.event_url)
    with api.lock:
        api.app = candidate
        return api.app


def _client_call(api: SlackApi, action: str, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /_sandbox/client/<action>``: the Slack client acting for ``body["user"]`` (``interactivity.py``)."""
    interactions = Interactions(api)
    user = str(body.get("user", ""))
    if action == "home_opened":
        delivery = interactions.home_opened(user)
        if body.get("wait"):
            delivery.wait(float(body["wait"]))
        return {"delivery": delivery.to_dict()}
    if action == "block_actions":
        action_body = body.get("action")
        if not isinstance(action_body, dict):
            raise ValueError("action must be an object with an action_id")
        outcome = interactions.block_action(
            user,
            action=action_body,
            block_id=str(body.get("block_id", "")),
            view_id=_optional_text(body, "view_id"),
            channel=_optional_text(body, "channel"),
            message_ts=_optional_text(body, "message_ts"),
        )
        return {"outcome": outcome.to_dict()}
    if action == "block_suggestion":
        options = interactions.suggestions(
            user,
            view_id=str(body.get("view_id", "")),
            block_id=str(body.get("block_id", "")),
            action_id=str(body.get("action_id", "")),
            value=str(body.get("value", "")),
        )
        return {"options": options}
    if action == "view_submission":
        values = body.get("values", {})
        if not isinstance(values, dict):
            raise ValueError("values is {block_id: {action_id: {…}}}")
        return {"outcome": interactions.submit(user, view_id=str(body.get("view_id", "")), values=values).to_dict()}
    if action == "view_closed":
        return {"outcome": interactions.close(user, view_id=str(body.get("view_id", ""))).to_dict()}
    raise KeyError(action)


def _optional_text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    return str(value) if value is not None else None


def control_handler(api: SlackApi) -> Callable[[Request], Response]:
    def handle(req: Request) -> Response:
        try:
            return _route(api, req)
        except ControlError as exc:
            return Response.of(exc.status, {"ok": False, "error": exc.error, "detail": exc.detail})

    return handle


def _body(req: Request) -> dict[str, Any]:
    if not req.body:
        return {}
    try:
        body = json.loads(req.body)
    except ValueError:
        raise ControlError(400, "invalid_json", "the control body must be JSON") from None
    if not isinstance(body, dict):
        raise ControlError(400, "invalid_json", "the control body must be a JSON object")
    return body


def _route(api: SlackApi, req: Request) -> Response:
    action = req.path.removeprefix("/_sandbox/").strip("/")
    verb = req.method
    query = req.query
    if action == "info" and verb == "GET":
        return Response.of(200, {"ok": True, **sandbox_summary(api)})
    if action == "messages" and verb == "GET":
        records = api.messages.records(
            query.get("channel") or None,
            include_deleted=_flag(query, "include_deleted", True),
            include_seeded=_flag(query, "include_seeded", False),
            event_type=query.get("event_type") or None,
        )
        return Response.of(200, {"ok": True, "messages": [r.to_dict() for r in records]})
    if action == "messages" and verb == "DELETE":
        return Response.of(200, {"ok": True, "removed": api.messages.clear(source="api")})
    if action == "faults":
        return _faults(api, verb, _body(req))
    if action == "rate-limits":
        return _rate_limits(api, verb, _body(req))
    if action == "clock" and verb == "POST":
        seconds = _body(req).get("advance_seconds")
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
            raise ControlError(400, "invalid_arguments", "advance_seconds must be a non-negative number")
        return Response.of(200, {"ok": True, "now": api.clock.advance(float(seconds))})
    if action == "channels" and verb == "POST":
        body = _body(req)
        count = body.get("count", 1)
        if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= 10_000:
            raise ControlError(400, "invalid_arguments", "count must be an integer between 0 and 10000")
        try:
            with api.lock:
                made = api.world.add_channels(
                    count,
                    team_id=body.get("team_id"),
                    prefix=str(body.get("prefix", "load")),
                    private=bool(body.get("private", False)),
                    bot_member=bool(body.get("bot_member", True)),
                    now=api.clock.now(),
                )
        except ValueError as exc:
            raise ControlError(400, "invalid_arguments", str(exc)) from None
        return Response.of(200, {"ok": True, "channels": made})
    if action == "users" and verb == "GET":
        return Response.of(200, {"ok": True, "users": user_directory(api)})
    if action == "users" and verb == "POST":
        body = _body(req)
        try:
            set_user_locale(api, str(body.get("user", "")), body.get("locale"))
        except ValueError as exc:
            raise ControlError(400, "invalid_arguments", str(exc)) from None
        return Response.of(200, {"ok": True})
    if action == "triggers" and verb == "POST":
        body = _body(req)
        view_id = body.get("view_id")
        try:
            trigger = mint_trigger(api, str(body.get("user", "")), str(view_id) if view_id is not None else None)
        except ValueError as exc:
            raise ControlError(400, "invalid_arguments", str(exc)) from None
        return Response.of(200, {"ok": True, "trigger_id": trigger})
    if action == "views" and verb == "GET":
        view = stored_view(api, user_id=query.get("user") or None, view_id=query.get("view_id") or None)
        if view is None:
            raise ControlError(404, "not_found", "no such view (give ?user=U… or ?view_id=V…)")
        return Response.of(200, {"ok": True, "view": view})
    if action == "app" and verb in ("GET", "POST"):
        try:
            app = configure_app(api, _body(req)) if verb == "POST" else api.app
        except ValueError as exc:
            raise ControlError(400, "invalid_arguments", str(exc)) from None
        if app is None:
            raise ControlError(404, "not_found", "the Slack sandbox has no app configuration")
        return Response.of(200, {"ok": True, "app": asdict(app)})
    if action.startswith("response-urls/") and verb == "POST":
        try:
            done = respond(api, action.removeprefix("response-urls/"), req.body)
        except ResponseUrlError as exc:
            return Response(exc.status, exc.error.encode(), content_type="text/plain; charset=utf-8")
        return Response(200, b"ok", content_type="text/plain; charset=utf-8", headers={"X-Sandbox-Done": done})
    if action == "ephemeral" and verb == "GET":
        with api.lock:
            shown = [m for m in api.response_urls.ephemeral if query.get("user") in (None, "", m["user"])]
            return Response.of(200, {"ok": True, "messages": copy.deepcopy(shown)})
    if action == "deliveries" and verb == "GET":
        attempts = api.events.attempts(query.get("event_id") or None)
        return Response.of(200, {"ok": True, "deliveries": [a.to_dict() for a in attempts]})
    if action == "publishes" and verb == "GET":
        return Response.of(200, {"ok": True, "publishes": publishes(api, query.get("user") or None,
                                                                       _unix_time(query.get("since") or None))})
    if action.startswith("client/") and verb == "POST":
        try:
            return Response.of(200, {"ok": True, **_client_call(api, action.removeprefix("client/"), _body(req))})
        except KeyError:
            raise ControlError(404, "not_found", f"no client action {action!r}") from None
        except ValueError as exc:
            raise ControlError(400, "invalid_arguments", str(exc)) from None
    raise ControlError(404, "not_found", f"no control endpoint {verb} /_sandbox/{action}")


def _faults(api: SlackApi, verb: str, body: dict[str, Any]) -> Response:
    if verb == "GET":
        return Response.of(200, {"ok": True, "faults": [f.to_dict() for f in api.faults.list()]})
    if verb == "DELETE":
        api.faults.clear()
        return Response.of(200, {"ok": True})
    if verb == "POST":
        options = {k: v for k, v in body.items() if k not in ("kind", "method")}
        try:
            fault = api.faults.add(str(body.get("kind", "")), str(body.get("method", "*")), **options)
        except (TypeError, ValueError) as exc:
            raise ControlError(400, "invalid_arguments", str(exc)) from None
        return Response.of(200, {"ok": True, "fault": fault.to_dict()})
    raise ControlError(405, "method_not_allowed", "use GET, POST or DELETE")


def _rate_limits(api: SlackApi, verb: str, body: dict[str, Any]) -> Response:
    if verb == "POST":
        reset = bool(body.pop("reset", False))
        unknown = set(body) - RateLimits.field_names()
        if unknown:
            raise ControlError(400, "invalid_arguments", f"unknown setting(s): {', '.join(sorted(unknown))}")
        try:
            if body:
                api.limiter.configure(**body)
        except (TypeError, ValueError) as exc:
            raise ControlError(400, "invalid_arguments", str(exc)) from None
        if reset:
            api.limiter.reset()
    elif verb != "GET":
        raise ControlError(405, "method_not_allowed", "use GET or POST")
    return Response.of(
        200, {"ok": True, "limits": api.limiter.limits.to_dict(), "throttled": dict(api.limiter.throttled)}
    )
