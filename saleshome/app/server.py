"""The Slack app's process: Bolt for Python (sync ``App``) in HTTP mode, served by uvicorn through Bolt's Starlette
adapter, beside the Salesforce OAuth callback route.

Routes (one ASGI app, :func:`asgi_app`):

- ``POST /slack/events`` and ``POST /slack/interactivity``: Slack's requests, handed to Bolt.  Bolt verifies
  every request's signature first (``X-Slack-Signature``, ``X-Slack-Request-Timestamp``; Slack: "Verifying
  requests from Slack"): a bad signature or a timestamp more than 5 minutes away → 401 and nothing else is done.
  Then :class:`.events.EventDeduplication` drops retried events, then the listeners.  The Starlette adapter's
  ``to_bolt_request``/``to_starlette_response`` are used, with ``App.dispatch`` run in Starlette's thread pool
  (the adapter's own ``handle`` would run the sync dispatch on the event loop, holding every other request).
- ``GET /salesforce/oauth/callback``: the end of a member's OAuth web server flow (:mod:`.connections`): an HTML
  page saying the member is connected, or why not; their Home tab is published again.
- ``GET /healthz``: 200 ``ok``.

Stopping (SIGTERM): uvicorn stops accepting and answers the requests it has; then, in the app's lifespan
shutdown, Bolt's listener threads finish the work they were given after the acks (an event Slack got a 200
for is never resent, so that work must not be dropped); then the process ends.

Acknowledging within 3 seconds: Bolt (``process_before_response=False``) acknowledges events before their
listeners run, and actions as soon as a listener calls ``ack()``; slow work (Salesforce calls) runs after, on
Bolt's executor (lazy listeners for actions), then ``views.publish``/``views.update``.

After a member saves a record, :class:`.refresh.Refresher` (one per process, its own thread) reads it into the
org's warehouse through the pipeline's targeted read (``saleshome.pipeline.refresh_records``) and publishes what
it triggers.  That is the only time the process opens an org warehouse: through the pipeline, for one short
merge, waiting (bounded) for a sync that holds it; its own modules touch the control store only.  At shutdown
the refresher refreshes what waits, within a deadline, after Bolt's listener threads are done.  Logging never carries
a token: uvicorn's access log is off (the callback's query holds the authorization code), and the app's own
lines name members and orgs only.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import sys
from collections.abc import AsyncIterator, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from html import escape
from typing import Any

import uvicorn
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_sdk import WebClient
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from saleshome.config import Settings
from saleshome.errors import ConfigurationError, SalesHomeError, is_retriable
from saleshome.i18n import DEFAULT_LOCALE, messages
from saleshome.salesforce.credentials import Resolver
from saleshome.warehouse.control import ControlDB, control_db

from .connections import Connections, Refused
from .edit.form import derive_key
from .edit.handlers import register as register_edit
from .edit.save import RecordSaved, Saver
from .edit.save import register as register_save
from .entry import Entry
from .events import EventDeduplication
from .home import register as register_sales_tab
from .members import load_member
from .oauth import CALLBACK_PATH, authorize_url
from .refresh import Refresher
from .screens import refusal_text
from .services import Member, Services
from .subscriptions import AppSubsServices
from .subscriptions import register as register_subscriptions
from .tab import TabServices
from .tokens import TokenCipher

__all__ = ["EVENTS_PATH", "INTERACTIVITY_PATH", "SlackApp", "asgi_app", "build", "serve"]

EVENTS_PATH = "/slack/events"
INTERACTIVITY_PATH = "/slack/interactivity"
WORKERS = 16  # Bolt's listener threads: the work after the acks (Salesforce calls, views.publish)
SALES_TAB_READERS = 32  # the Sales tab's UI API calls at once, all screens together (threads kept, not per screen)

log = logging.getLogger(__name__)


@dataclass
class SlackApp:
    """One app process's parts: Bolt, the services handlers get, the Home tab's entry, the connections, the
    refresher the save path tells (``refresher.record_saved``)."""

    bolt: App
    services: Services
    entry: Entry
    connections: Connections
    redirect_uri: str
    executor: ThreadPoolExecutor  # Bolt's listener threads, also the callback's after-work
    refresher: Refresher


def _require(value: Any, setting: str, what: str) -> str:
    if value is None or not value.get_secret_value().strip():
        raise ConfigurationError(f"{setting} is not set: {what}", hint=f"set {setting} (see the README, the Slack app)")
    return str(value.get_secret_value()).strip()


def build(settings: Settings, *, base_url: str, secret_keys: str | None = None,
          resolvers: Mapping[str, Resolver] | None = None, control: ControlDB | None = None,
          record_saved: RecordSaved | None = None) -> SlackApp:
    """The Bolt app and what it needs, for ``settings``; ``base_url`` is where it is served (the OAuth callback's
    base when ``settings.app_url`` is unset); ``secret_keys`` replaces ``SALESHOME_SECRET_KEY`` (a Prefect Secret
    block the CLI read); ``record_saved`` is told of each record a member saved from Slack: by default the process's
    :class:`.refresh.Refresher` (the record read into the warehouse, its notifications sent)."""
    signing_secret = _require(settings.slack_signing_secret, "SALESHOME_SLACK_SIGNING_SECRET",
                              "the app cannot verify Slack's requests")
    bot_token = _require(settings.slack_bot_token, "SALESHOME_SLACK_BOT_TOKEN", "the app cannot call Slack")
    keys = secret_keys if secret_keys is not None else (
        settings.secret_key.get_secret_value() if settings.secret_key is not None else None)
    cipher = TokenCipher.from_text(keys)
    control = control or control_db(settings)
    slack = WebClient(token=bot_token, base_url=settings.slack_api_url) if settings.slack_api_url else \
        WebClient(token=bot_token)
    connections = Connections(control, cipher, resolvers)
    redirect_uri = (settings.app_url or base_url).rstrip("/") + CALLBACK_PATH

    def connect_link(member: Member, alias: str) -> str:
        return authorize_url(control, cipher, connections.org_client(alias), user_id=member.user_id,
                             team_id=member.team_id, redirect_uri=redirect_uri,
                             ttl=timedelta(seconds=settings.oauth_state_seconds))

    services = Services(settings=settings, control=control, slack=slack, session=connections.session,
                        member=lambda user_id: load_member(control, user_id), connect_link=connect_link)
    executor = ThreadPoolExecutor(WORKERS, "saleshome-app")
    bolt = App(signing_secret=signing_secret, client=slack, token_verification_enabled=False,
               process_before_response=False, listener_executor=executor,
               logger=logging.getLogger("saleshome.app.bolt"))
    bolt.use(EventDeduplication(control))
    entry = Entry(services, connections, cipher, redirect_uri)
    entry.register(bolt)
    entry.tab = TabServices(services, entry)
    entry.readers = ThreadPoolExecutor(SALES_TAB_READERS, "sales-tab")
    register_sales_tab(bolt, entry.tab, entry.cache, entry.readers)
    refresher = Refresher(control, settings, resolvers=resolvers)  # its thread starts with the first saved record
    edit_key = derive_key(signing_secret)
    register_edit(bolt, entry.tab, edit_key, entry.cache, entry.readers)  # Edit buttons, the edit modal
    saved = refresher if record_saved is None else record_saved
    register_save(bolt, Saver(entry.tab, control, edit_key, lambda user_id, alias: _sf_user(services, user_id, alias),
                              entry.cache, saved=saved))  # the edit modal's submission
    register_subscriptions(bolt, AppSubsServices(services, entry))
    bolt.event(re.compile(".*"))(_ignore)  # every other event is acknowledged (unhandled: 404, and Slack retries)
    return SlackApp(bolt, services, entry, connections, redirect_uri, executor, refresher)


def _sf_user(services: Services, user_id: str, alias: str) -> str | None:
    """The member's Salesforce user in ``alias`` (the user map)."""
    return next((o.sf_user_id for o in services.member(user_id).orgs if o.alias == alias), None)


def _ignore() -> None:
    return None


def _page(title: str, text: str, locale: str) -> str:
    return (f'<!doctype html><html lang="{escape(locale.split("-")[0])}"><head><meta charset="utf-8">'
            f"<title>{escape(title)}</title></head><body><h1>{escape(title)}</h1><p>{escape(text)}</p></body></html>")


def asgi_app(app: SlackApp) -> Starlette:
    """The ASGI application uvicorn serves."""
    bolt = app.bolt

    async def slack(request: Request) -> Response:
        body = await request.body()
        response = await run_in_threadpool(bolt.dispatch, to_bolt_request(request, body))
        return to_starlette_response(response)

    async def callback(request: Request) -> Response:
        query = request.query_params
        state = query.get("state") or ""
        result = await run_in_threadpool(_complete, app, state, query.get("code"), query.get("error"))
        status, title, text, locale = result
        return HTMLResponse(_page(title, text, locale), status_code=status,
                            headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        # shutting down (SIGTERM): the server has answered what it accepted; the work after those acks (Salesforce
        # reads, views.publish) finishes now — once the server returns, uvicorn raises SIGTERM again, which ends
        # the process, and Slack does not resend an event it got a 200 for
        await run_in_threadpool(app.executor.shutdown, True)
        await run_in_threadpool(app.refresher.close)  # the records saved until now, refreshed (bounded)

    return Starlette(routes=[
        Route(EVENTS_PATH, slack, methods=["POST"]),
        Route(INTERACTIVITY_PATH, slack, methods=["POST"]),
        Route(CALLBACK_PATH, callback, methods=["GET"]),
        Route("/healthz", health, methods=["GET"]),
    ], lifespan=lifespan)


def _complete(app: SlackApp, state: str, code: str | None, error: str | None) -> tuple[int, str, str, str]:
    """The callback's work (in a worker thread): (HTTP status, page title, page text, locale)."""
    try:
        connected = app.connections.complete(state, code, error, app.redirect_uri)
    except Refused as refused:
        locale = app.services.member(refused.user_id).locale if refused.user_id else DEFAULT_LOCALE
        m = messages(locale, "app")
        if refused.user_id:
            _republish(app, refused.user_id)
        org = _org_name(app, refused.alias) if refused.alias else ""
        return 403, m.gettext("Salesforce is not connected"), refusal_text(refused.reason, locale, org), locale
    except SalesHomeError as exc:
        log.warning("a Salesforce connection could not be completed: %s", exc.message)
        m = messages(DEFAULT_LOCALE, "app")
        if is_retriable(exc):
            return 503, m.gettext("Salesforce is not connected"), m.gettext(
                "Salesforce could not be reached. Open Sales Home in Slack and try again."), DEFAULT_LOCALE
        return 500, m.gettext("Salesforce is not connected"), m.gettext(
            "Sales Home could not complete the connection. Ask a sales admin to check how the org is connected."
        ), DEFAULT_LOCALE
    locale = app.services.member(connected.user_id).locale
    m = messages(locale, "app")
    _republish(app, connected.user_id)
    return 200, m.gettext("Salesforce is connected"), m.gettext(
        "You can close this page and go back to Sales Home in Slack."), locale


def _org_name(app: SlackApp, alias: str) -> str:
    rows = app.services.control.rows("SELECT org_name FROM orgs WHERE alias = ?", [alias])
    return str(rows[0]["org_name"] or alias) if rows else alias


def _republish(app: SlackApp, user_id: str) -> None:
    """The member's Home tab again, after the page is answered (on Bolt's executor)."""
    app.executor.submit(_publish_quietly, app, user_id)


def _publish_quietly(app: SlackApp, user_id: str) -> None:
    try:
        app.entry.publish(user_id)
    except Exception as exc:  # a background step: logged (its type and message; never a token), never raised
        log.warning("the Home tab of %s could not be published: %s", user_id, getattr(exc, "message", type(exc).__name__))


def serve(settings: Settings, *, host: str = "127.0.0.1", port: int = 3000,
          secret_keys: str | None = None, resolvers: Mapping[str, Resolver] | None = None,
          announce: Callable[[dict[str, str]], None] | None = None) -> None:
    """Serve the app on ``host:port`` (0: a free port) until interrupted; ``announce`` gets its URLs once it
    listens (the CLI prints them as one JSON line)."""
    listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as exc:
        raise ConfigurationError(f"cannot listen on {host}:{port}: {exc.strerror}",
                                 hint="choose another --port, or stop what listens there") from None
    listener.listen(128)  # connections wait in the backlog until uvicorn accepts them
    bound = listener.getsockname()[1]
    base_url = f"http://{host}:{bound}"
    app = build(settings, base_url=base_url, secret_keys=secret_keys, resolvers=resolvers)
    config = uvicorn.Config(asgi_app(app), log_level="info", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    urls = {"url": base_url, "events": base_url + EVENTS_PATH, "interactivity": base_url + INTERACTIVITY_PATH,
            "oauth_callback": app.redirect_uri}
    (announce or _print_json)(urls)
    server.run(sockets=[listener])


def _print_json(urls: dict[str, str]) -> None:
    sys.stdout.write(json.dumps(urls) + "\n")
    sys.stdout.flush()
