"""The Web API: request parsing, authentication, scopes, rate limits, faults and dispatch.

Transport-free: :meth:`SlackApi.handle` takes a :class:`Request` and returns a :class:`Response`;
``server.py`` puts it on HTTP.  Paths: ``/api/<method>`` (Slack's Web API), ``/_sandbox/...``
(control endpoints, ``control.py``), anything else (the viewer, ``viewer.py``).

What Slack does and this does too (docs "Using the Slack Web API"): any HTTP verb; arguments in
the query string, a form body (urlencoded or multipart) or a JSON body; the token in
``Authorization: Bearer`` or, except with JSON bodies, as a ``token`` argument; HTTP 200 with
``{"ok": false, "error": ...}`` for every failure but unknown methods (404) and rate limits
(429); ``warning`` plus ``response_metadata.warnings`` (the charset warnings below,
``already_in_channel``...); ``X-OAuth-Scopes`` / ``X-Accepted-OAuth-Scopes`` headers.

Charset warnings follow the "Warnings" table of Slack's method reference (e.g. ``chat.postMessage``):
``missing_charset`` when a body whose type recommends a charset (JSON) comes without one,
``superfluous_charset`` when a form-data body (urlencoded or multipart) names one.  slack-sdk sends
``application/json;charset=utf-8`` and bare form types, so it gets neither.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import HTTP
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qsl

from . import chat, conversations, team, users, views
from .calls import Call, Params, RateLimited, SlackError
from .clock import Clock
from .events import Events
from .faults import Fault, FaultPlan
from .messages import MessageStore
from .ratelimit import RateLimiter, retry_after_headers
from .response_urls import ResponseUrls
from .signing import AppConfig
from .view_store import ViewStore
from .world import Token, World

JSON_TYPE = "application/json; charset=utf-8"
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes = b""


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = JSON_TYPE
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering (fault injection)

    @staticmethod
    def of(status: int, payload: Any, **headers: str) -> Response:
        return Response(status, json.dumps(payload).encode(), headers=dict(headers))


@dataclass(frozen=True)
class MethodSpec:
    """A Web API method: its handler, rate-limit tier (None: ``chat.postMessage``'s own limits) and scopes.

    ``scopes`` are alternatives (any one will do); methods whose scope depends on the kind of
    conversation check it themselves.
    """

    handler: Callable[[Call], dict[str, Any]]
    tier: int | None
    scopes: tuple[str, ...] = ()
    user_token_only: bool = False


METHODS: Mapping[str, MethodSpec] = MappingProxyType(
    {
        "auth.test": MethodSpec(team.auth_test, 4),
        "auth.teams.list": MethodSpec(team.auth_teams_list, 2),
        "team.info": MethodSpec(team.team_info, 3, ("team:read",)),
        "conversations.list": MethodSpec(conversations.conversations_list, 2),
        "conversations.info": MethodSpec(conversations.conversations_info, 3),
        "conversations.history": MethodSpec(conversations.conversations_history, 3),
        "conversations.join": MethodSpec(conversations.conversations_join, 3),
        "chat.postMessage": MethodSpec(chat.chat_post_message, None, ("chat:write",)),
        "chat.update": MethodSpec(chat.chat_update, 3, ("chat:write",)),
        "chat.delete": MethodSpec(chat.chat_delete, 3, ("chat:write",)),
        "chat.getPermalink": MethodSpec(chat.chat_get_permalink, 4),
        "users.info": MethodSpec(users.users_info, 4, ("users:read",)),
        "users.list": MethodSpec(users.users_list, 2, ("users:read",)),
        "users.lookupByEmail": MethodSpec(users.users_lookup_by_email, 3, ("users:read.email",)),
        "users.profile.get": MethodSpec(users.users_profile_get, 4, ("users.profile:read",)),
        "users.profile.set": MethodSpec(users.users_profile_set, 3, ("users.profile:write",), user_token_only=True),
        "views.publish": MethodSpec(views.views_publish, 4),
        "views.open": MethodSpec(views.views_open, 4),
        "views.update": MethodSpec(views.views_update, 4),
        "views.push": MethodSpec(views.views_push, 4),
    }
)


def _multipart(content_type: str, body: bytes) -> dict[str, Any]:
    parsed = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    if not isinstance(parsed, EmailMessage) or not parsed.is_multipart():
        raise SlackError("invalid_form_data")
    values: dict[str, Any] = {}
    for part in parsed.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str) and not part.get_filename():
            payload = part.get_payload(decode=True)
            values[name] = payload.decode() if isinstance(payload, bytes) else ""
    return values


def charset_warning(content_type: str) -> str | None:
    """Slack's warning about the ``charset`` parameter of a body's ``Content-Type``, if any."""
    kind, *params = (part.strip().lower() for part in content_type.split(";"))
    has_charset = any(param.partition("=")[0].strip() == "charset" for param in params)
    if kind in FORM_TYPES:
        return "superfluous_charset" if has_charset else None
    return None if has_charset else "missing_charset"


def parse_arguments(req: Request) -> tuple[dict[str, Any], str | None, list[str]]:
    """(arguments, token from the arguments, warnings) of a Web API request."""
    values: dict[str, Any] = dict(req.query)
    warnings: list[str] = []
    body_token: str | None = values.get("token")
    if req.body:
        content_type = req.headers.get("content-type", "")
        kind = content_type.split(";")[0].strip().lower()
        if kind and (warning := charset_warning(content_type)):
            warnings.append(warning)
        if kind == "application/json":
            try:
                parsed = json.loads(req.body.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                raise SlackError("invalid_json") from None
            if not isinstance(parsed, dict):
                raise SlackError("json_not_object")
            values.update(parsed)
            return values, body_token, warnings  # a "token" inside a JSON body is not read, as in Slack
        if not kind:
            raise SlackError("missing_post_type")
        if kind == "application/x-www-form-urlencoded":
            try:
                form = dict(parse_qsl(req.body.decode("utf-8"), keep_blank_values=True, strict_parsing=False))
            except UnicodeDecodeError:
                raise SlackError("invalid_form_data") from None
        elif kind == "multipart/form-data":
            form = _multipart(content_type, req.body)
        else:
            raise SlackError("invalid_post_type")
        values.update(form)
        body_token = form.get("token", body_token)
    return values, body_token, warnings


class SlackApi:
    """Everything the sandbox answers (the viewer aside: see ``viewer.py``)."""

    def __init__(
        self,
        world: World,
        messages: MessageStore,
        faults: FaultPlan,
        limiter: RateLimiter,
        clock: Clock,
        viewer_url: str,
        stopping: threading.Event,
        view_store: ViewStore | None = None,
    ) -> None:
        self.world = world
        self.messages = messages
        self.faults = faults
        self.limiter = limiter
        self.clock = clock
        self.viewer_url = viewer_url
        self.stopping = stopping
        self.views = view_store if view_store is not None else ViewStore(world.ids)
        self.lock = threading.RLock()  # world changes and reads that span several objects
        self.app: AppConfig | None = None  # the app's request URLs and signing secret (``signing.py``)
        self.events = Events(self)  # Events API delivery to the app (``events.py``)
        self.response_urls = ResponseUrls()  # response_urls handed out in interaction payloads
        self.control: Callable[[Request], Response] | None = None
        self.viewer: Callable[[Request], Response] | None = None

    # ------------------------------------------------------------------------ dispatch
    def handle(self, req: Request) -> Response:
        if req.path.startswith("/api/"):
            return self._web_api(req.path.removeprefix("/api/").strip("/"), req)
        if req.path.startswith("/_sandbox/") and self.control is not None:
            return self.control(req)
        if self.viewer is not None:
            return self.viewer(req)
        return Response.of(404, {"ok": False, "error": "not_found"})

    def _web_api(self, method: str, req: Request) -> Response:
        fault = self.faults.take(method)
        if fault is not None:
            early = self._fault_before(fault)
            if early is not None:
                return early
        response, created = self._invoke(method, req)
        if fault is not None and fault.kind == "stored_then_dropped":
            for message in created:
                message.answer_dropped = True
            return Response(0, drop=True)
        return response

    def _fault_before(self, fault: Fault) -> Response | None:
        if fault.kind == "error":
            return Response.of(fault.status, {"ok": False, "error": fault.error_code})
        if fault.kind == "drop":
            return Response(0, drop=True)
        if fault.kind == "ratelimited":
            self.limiter.throttled["(fault)"] += 1
            return Response.of(
                429,
                {"ok": False, "error": "ratelimited"},
                **retry_after_headers(fault.retry_after, self.limiter.limits.time_scale),
            )
        if fault.kind == "timeout" and self.stopping.wait(fault.delay):
            return Response(0, drop=True)
        return None

    def _authenticate(self, req: Request, body_token: str | None) -> Token:
        header = req.headers.get("authorization", "")
        value = header[7:].strip() if header.lower().startswith("bearer ") else body_token
        if not value:
            raise SlackError("not_authed")
        token = self.world.tokens.get(value)
        if token is None:
            raise SlackError("invalid_auth")
        if token.revoked:
            raise SlackError("token_revoked")
        return token

    def _rate_team(self, params: Params) -> str:
        team_id = params.text("team_id")
        if team_id in self.world.teams:
            return team_id
        channel = self.world.conversations.get(params.text("channel") or "")
        return channel.context_team_id if channel is not None else self.world.org_team_ids[0]

    def _invoke(self, method: str, req: Request) -> tuple[Response, list[Any]]:
        spec = METHODS.get(method)
        if spec is None:
            return Response.of(404, {"ok": False, "error": "unknown_method", "req_method": method}), []
        headers: dict[str, str] = {"X-Accepted-OAuth-Scopes": ",".join(spec.scopes)}
        call: Call | None = None
        warnings: list[str] = []
        try:
            values, body_token, warnings = parse_arguments(req)
            token = self._authenticate(req, body_token)
            headers["X-OAuth-Scopes"] = ",".join(sorted(token.scopes))
            if spec.user_token_only and token.kind != "user":
                raise SlackError("not_allowed_token_type")
            params = Params(values)
            call = Call(
                method, token, params, self.world, self.messages, self.limiter, self.clock, self.viewer_url, self.views
            )
            call.require_scope(*spec.scopes)
            if spec.tier is not None:
                wait = self.limiter.acquire_tier(token.value, method, self._rate_team(params), spec.tier)
                if wait > 0:
                    raise RateLimited(wait)
            with self.lock:
                body: dict[str, Any] = {"ok": True, **spec.handler(call)}
        except SlackError as exc:
            body = exc.body()
        except RateLimited as exc:
            headers.update(retry_after_headers(exc.wait, self.limiter.limits.time_scale))
            return Response.of(429, {"ok": False, "error": "ratelimited"}, **headers), []
        warnings = warnings + (call.warnings if call is not None else [])
        if warnings:
            body["warning"] = ",".join(warnings)
            metadata = body.setdefault("response_metadata", {})
            metadata["warnings"] = warnings
        return Response.of(200, body, **headers), (call.created if call is not None else [])
