"""A real app counterpart for the Slack sandbox's Events API and interactivity tests.

It listens on 127.0.0.1, verifies every request with slack-sdk's ``SignatureVerifier`` (what Bolt
uses), answers ``url_verification`` challenges as Bolt does, and records what it received.  Tests tell
it how to answer the next requests (:meth:`AppDouble.answer`: a status, a body, a delay) or give it a
``handler`` that acts like an app listener (e.g. calls ``views.open`` with the payload's trigger_id).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from slack_sdk.signature import SignatureVerifier


@dataclass
class Received:
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    signature_ok: bool
    at: float  # monotonic

    @property
    def payload(self) -> dict[str, Any]:
        """The JSON event, or the ``payload=`` form field of an interaction."""
        if self.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return dict(json.loads(parse_qs(self.body.decode())["payload"][0]))
        return dict(json.loads(self.body))


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    delay: float = 0.0  # seconds before answering
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Received], Reply | None]


class AppDouble:
    def __init__(self, signing_secret: str) -> None:
        self.verifier = SignatureVerifier(signing_secret)
        self.received: list[Received] = []
        self.replies: list[Reply] = []  # used first, in order; then ``handler``; then 200 with no body
        self.handler: Handler | None = None
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._request_handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/slack/events"

    def answer(self, *replies: Reply) -> None:
        with self._lock:
            self.replies.extend(replies)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """The first ``count`` requests, waiting up to ``timeout`` seconds for them."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"the app received {len(self.received)} requests, expected {count}")
                self._arrived.wait(left)
            return list(self.received[:count])

    def _reply_for(self, got: Received) -> Reply:
        if not got.signature_ok:
            return Reply(401, b'{"error": "invalid signature"}')
        payload = got.payload
        if payload.get("type") == "url_verification":
            return Reply(200, str(payload["challenge"]).encode(), content_type="text/plain")
        with self._lock:
            if self.replies:
                return self.replies.pop(0)
        if self.handler is not None:
            reply = self.handler(got)
            if reply is not None:
                return reply
        return Reply()

    def _request_handler(self) -> type[BaseHTTPRequestHandler]:
        app = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                got = Received(self.path, headers, body, app.verifier.is_valid_request(body, headers), time.monotonic())
                with app._arrived:
                    app.received.append(got)
                    app._arrived.notify_all()
                reply = app._reply_for(got)
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.content_type)
                    self.send_header("Content-Length", str(len(reply.body)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(reply.body)
                except OSError:
                    pass  # the sandbox gave up waiting (http_timeout) and closed the connection

        return _Handler

    @contextmanager
    def running(self) -> Iterator[AppDouble]:
        thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()
            thread.join(timeout=10)


def json_reply(body: dict[str, Any], **options: Any) -> Reply:
    return Reply(body=json.dumps(body).encode(), **options)
