"""A small real Slack app for the client's browser tests: Bolt for Python (``slack_bolt``) in HTTP mode,
served by uvicorn through Bolt's Starlette adapter on 127.0.0.1, talking to the Slack sandbox.

It does what a Home-tab app does (Bolt docs "Listening to events", "Listening & responding to actions",
"Listening & responding to options", "Listening to views"): on ``app_home_opened`` it publishes the
user's Home tab after its ack; the "New deal" button opens a modal with inputs of every kind; the
account external select is answered from :data:`ACCOUNTS`; "Approve" in a message updates the message
(``chat.update``); a submission named "Taken" gets
``response_action: errors``, one named "Slow" is acknowledged after 3.5 s (too late for Slack); any
other closes the modal and republishes the Home tab.  Everything received is recorded in
:attr:`BoltApp.seen` for the tests to assert on.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from slack_bolt import Ack, App
from slack_bolt.adapter.starlette import SlackRequestHandler
from slack_sdk import WebClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

ACCOUNTS = ["Northwind Traders", "Northwind Health", "Contoso Ltd", "Fabrikam <Inc>"]
STAGES = ["Prospecting", "Negotiation", "Closed Won"]


def _text(text: str, kind: str = "plain_text") -> dict[str, Any]:
    return {"type": kind, "text": text}


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": _text(text), "value": value}


def home_view(user_name: str, saved: str | None) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _text(f"Sales for {user_name}")},
        {
            "type": "section",
            "block_id": "intro",
            "text": _text("Your *pipeline* &lt;b&gt;today&lt;/b&gt; &amp; tomorrow", "mrkdwn"),
            "fields": [_text("*Open deals*\n3", "mrkdwn"), _text("*Won*\n$42,000", "mrkdwn")],
            "accessory": {
                "type": "overflow",
                "action_id": "more",
                "options": [_option("Refresh", "refresh"), _option("Help", "help")],
            },
        },
        {"type": "context", "elements": [_text("Updated just now", "mrkdwn")]},
        {"type": "divider"},
        {
            "type": "actions",
            "block_id": "home_actions",
            "elements": [
                {"type": "button", "action_id": "new_deal", "text": _text("New deal"), "value": "nd", "style": "primary"},
                {"type": "button", "action_id": "open_sf", "text": _text("Open Salesforce"),
                 "url": "https://example.com/salesforce"},
                {"type": "static_select", "action_id": "stage_filter", "placeholder": _text("Filter by stage"),
                 "options": [_option(s, s.lower().replace(" ", "_")) for s in STAGES]},
            ],
        },
        {"type": "image", "image_url": "https://example.com/chart.png", "alt_text": "pipeline chart"},
    ]
    if saved is not None:
        blocks.append({"type": "section", "block_id": "saved", "text": _text(f"Saved: {saved}")})
    return {"type": "home", "blocks": blocks}


def deal_modal() -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "deal",
        "notify_on_close": True,
        "title": _text("New deal"),
        "submit": _text("Save"),
        "close": _text("Cancel"),
        "blocks": [
            {"type": "input", "block_id": "name_block", "label": _text("Deal name"),
             "element": {"type": "plain_text_input", "action_id": "name", "min_length": 3, "max_length": 40}},
            {"type": "input", "block_id": "notes_block", "label": _text("Notes"), "optional": True,
             "element": {"type": "plain_text_input", "action_id": "notes", "multiline": True}},
            {"type": "input", "block_id": "amount_block", "label": _text("Amount"),
             "element": {"type": "number_input", "action_id": "amount", "is_decimal_allowed": True, "min_value": "0"}},
            {"type": "input", "block_id": "close_block", "label": _text("Close date"),
             "element": {"type": "datepicker", "action_id": "close_date"}},
            {"type": "input", "block_id": "call_block", "label": _text("Next call"), "optional": True,
             "element": {"type": "datetimepicker", "action_id": "next_call", "initial_date_time": 1628633820}},
            {"type": "input", "block_id": "stage_block", "label": _text("Stage"),
             "element": {"type": "static_select", "action_id": "stage",
                         "options": [_option(s, s.lower().replace(" ", "_")) for s in STAGES]}},
            {"type": "input", "block_id": "account_block", "label": _text("Account"),
             "element": {"type": "external_select", "action_id": "account", "min_query_length": 2,
                         "placeholder": _text("Search accounts")}},
            {"type": "input", "block_id": "flags_block", "label": _text("Flags"), "optional": True,
             "element": {"type": "checkboxes", "action_id": "flags",
                         "options": [_option("Strategic", "strategic"), _option("Renewal", "renewal")]}},
            {"type": "input", "block_id": "owner_block", "label": _text("Owner"),
             "element": {"type": "users_select", "action_id": "owner"}},
        ],
    }


class BoltApp:
    """The app, its HTTP server and what it saw (``seen[kind]``: the bodies of each kind, in order)."""

    def __init__(self, api_url: str, bot_token: str, signing_secret: str) -> None:
        self.client = WebClient(token=bot_token, base_url=api_url, timeout=10)
        self.app = App(client=self.client, signing_secret=signing_secret)
        self.seen: dict[str, list[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self._listen()
        handler = SlackRequestHandler(self.app)

        async def events(request: Request) -> Response:
            return await handler.handle(request)

        self.asgi = Starlette(routes=[Route("/slack/events", events, methods=["POST"])])
        self.url = ""

    def record(self, kind: str, body: dict[str, Any]) -> None:
        with self._lock:
            self.seen.setdefault(kind, []).append(body)

    def got(self, kind: str) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.seen.get(kind, []))

    def _listen(self) -> None:
        app = self.app

        @app.event("app_home_opened")
        def opened(event: dict[str, Any], client: WebClient) -> None:
            self.record("app_home_opened", event)
            user = client.users_info(user=event["user"])["user"]
            saved = [b for b in self.got("saved") if b["user"] == event["user"]]
            client.views_publish(
                user_id=event["user"], view=home_view(user["real_name"], saved[-1]["name"] if saved else None)
            )

        @app.action("new_deal")
        def new_deal(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
            ack()
            self.record("new_deal", body)
            client.views_open(trigger_id=body["trigger_id"], view=deal_modal())

        for action_id in ("open_sf", "stage_filter", "more"):
            app.action(action_id)(self._recorder(action_id))

        @app.options("account")
        def accounts(ack: Ack, body: dict[str, Any]) -> None:
            self.record("block_suggestion", body)
            typed = body["value"].lower()
            ack(options=[_option(name, f"acc-{i}") for i, name in enumerate(ACCOUNTS) if typed in name.lower()])

        @app.view("deal")
        def submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
            self.record("view_submission", body)
            name = view["state"]["values"]["name_block"]["name"]["value"]
            if name == "Taken":
                ack(response_action="errors", errors={"name_block": "A deal named Taken already exists"})
                return
            if name == "Slow":
                time.sleep(3.5)
                ack()
                return
            ack()
            self.record("saved", {"user": body["user"]["id"], "name": name})
            user = client.users_info(user=body["user"]["id"])["user"]
            client.views_publish(user_id=body["user"]["id"], view=home_view(user["real_name"], name))

        @app.action("approve")
        def approve(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
            ack()
            self.record("approve", body)
            client.chat_update(
                channel=body["channel"]["id"],
                ts=body["message"]["ts"],
                text="Approved",
                blocks=[{"type": "section", "block_id": "done", "text": _text(f"Approved by <@{body['user']['id']}>", "mrkdwn")}],
            )

        @app.view_closed("deal")
        def closed(ack: Ack, body: dict[str, Any]) -> None:
            ack()
            self.record("view_closed", body)

    def _recorder(self, kind: str) -> Callable[..., None]:
        def acted(ack: Ack, body: dict[str, Any]) -> None:
            ack()
            self.record(kind, body)

        return acted

    @contextmanager
    def running(self) -> Iterator[BoltApp]:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}/slack/events"
        server = uvicorn.Server(uvicorn.Config(self.asgi, log_level="warning", lifespan="off"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="bolt-app", daemon=True)
        thread.start()
        deadline = time.monotonic() + 15
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the Bolt app did not start")
            time.sleep(0.05)
        try:
            yield self
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            sock.close()
