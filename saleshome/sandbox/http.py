"""HTTP plumbing shared by the sandboxes: a threaded server on 127.0.0.1 and a handler that turns each
request into the sandbox's transport-free ``Request`` and writes back its ``Response``.

Connections are kept alive (HTTP/1.1) with Nagle's algorithm off (``TCP_NODELAY``, the stdlib's
``disable_nagle_algorithm``): a response goes out as two writes, the headers then the body, and with Nagle on
the body waits for the client's ACK of the headers, which a client may delay up to 40 ms (delayed ACK) — a stall
no real API server shows, which would be measured as the sandbox's latency (``python -m bench app_home``)."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


class SandboxHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # TCP_NODELAY on each connection (see the module docstring)
    server: SandboxServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: requests carry tokens."""

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = self.server.request_type(
            method=self.command,
            path=parts.path,
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
        )
        response = self.server.api.handle(request)
        if response.drop:  # fault injection: close without answering
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve


class SandboxServer(ThreadingHTTPServer):
    """Binds 127.0.0.1 only; ``api`` (with ``handle(request) -> response``) is set right after binding."""

    daemon_threads = True
    request_queue_size = 256  # the stdlib default (5) resets connections under load
    allow_reuse_address = True

    def __init__(self, port: int, request_type: Callable[..., Any],
                 handler: type[SandboxHandler] = SandboxHandler) -> None:
        super().__init__(("127.0.0.1", port), handler)
        self.request_type = request_type
        self.api: Any = None

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Dropped and abandoned connections are part of the game (faults, client timeouts)."""
