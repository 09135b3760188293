"""The sandbox TLS material works with a real HTTPS server and a real `requests` client."""

from __future__ import annotations

import http.client
import http.server
import ssl
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from saleshome.sandbox.tls import TlsMaterial, generate_tls_material, server_context


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"hello": "sandbox"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def _https_server(material: TlsMaterial) -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    server.socket = server_context(material).wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def material(tmp_path: Path) -> TlsMaterial:
    return generate_tls_material(tmp_path / "tls")


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would otherwise override Session.verify
    return session


def test_files_are_written_and_key_is_private(material: TlsMaterial) -> None:
    assert material.ca_file.name == "ca.pem"
    assert material.cert_file.name == "server.pem"
    assert material.key_file.name == "server.key"
    assert material.ca_file.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    assert b"PRIVATE KEY" in material.key_file.read_bytes()
    assert stat.S_IMODE(material.key_file.stat().st_mode) == 0o600


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_requests_trusts_the_sandbox_through_the_ca_file(material: TlsMaterial, host: str) -> None:
    with _https_server(material) as port, _session() as session:
        session.verify = str(material.ca_file)
        response = session.get(f"https://{host}:{port}/", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"hello": "sandbox"}


def test_a_client_without_the_ca_refuses_the_certificate(material: TlsMaterial, tmp_path: Path) -> None:
    other = generate_tls_material(tmp_path / "other")
    with _https_server(material) as port, _session() as session:
        session.verify = str(other.ca_file)
        with pytest.raises(requests.exceptions.SSLError):
            session.get(f"https://127.0.0.1:{port}/", timeout=10)


def test_the_stdlib_client_verifies_hostname_and_chain(material: TlsMaterial) -> None:
    client = ssl.create_default_context(cafile=str(material.ca_file))
    with _https_server(material) as port:
        conn = http.client.HTTPSConnection("localhost", port, context=client, timeout=10)
        try:
            conn.request("GET", "/")
            assert conn.getresponse().status == 200
        finally:
            conn.close()


def test_each_call_makes_a_new_ca(tmp_path: Path) -> None:
    first = generate_tls_material(tmp_path / "a")
    second = generate_tls_material(tmp_path / "b")
    assert first.ca_file.read_bytes() != second.ca_file.read_bytes()
