"""The sandboxes' shared HTTP server: each connection has Nagle's algorithm off (``TCP_NODELAY``), so a response's
body never waits for the client's delayed ACK of its headers (a stall of up to 40 ms no real API server shows)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from saleshome.sandbox.http import SandboxHandler, SandboxServer


@dataclass
class Answer:
    status: int = 200
    content_type: str = "text/plain"
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False


class RecordingHandler(SandboxHandler):
    """The shared handler, noting each connection's TCP_NODELAY as it serves a request on it."""

    nodelay: list[int] = []

    def _serve(self) -> None:
        self.nodelay.append(self.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        super()._serve()

    do_GET = _serve


class Api:
    def handle(self, request: Any) -> Answer:
        return Answer(body=b"hello " + request["path"].encode())


@pytest.fixture()
def server() -> Iterator[SandboxServer]:
    httpd = SandboxServer(0, dict, RecordingHandler)
    httpd.api = Api()
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)


def test_every_connection_has_nagle_off_and_is_kept_alive(server: SandboxServer) -> None:
    RecordingHandler.nodelay.clear()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    with requests.Session() as http:
        answers = [http.get(f"{url}/one", timeout=10), http.get(f"{url}/two", timeout=10)]
    assert [a.text for a in answers] == ["hello /one", "hello /two"]
    assert len(RecordingHandler.nodelay) == 2 and all(RecordingHandler.nodelay)
