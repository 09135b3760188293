"""The Salesforce sandbox on HTTPS at 127.0.0.1, and :class:`SalesforceSandbox` to run it.

``with SalesforceSandbox(opportunities=500) as sandbox:`` starts it on a free port in a
background thread (TLS material and a seeded org included) and stops it on exit;
``sandbox.info`` holds what a client needs (the same keys ``saleshome sandbox salesforce``
prints as its ready line).
"""

from __future__ import annotations

import email.utils
import json
import ssl
import tempfile
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..http import SandboxHandler, SandboxServer
from ..tls import TlsMaterial, generate_tls_material, server_context
from .api import API_VERSION, Request, SalesforceApi
from .auth import Credentials, SessionRegistry, TokenEndpoint
from .clock import Clock
from .policy import ApiBudget, FaultPlan
from .seed import generate_org
from .store import OrgStore

if TYPE_CHECKING:
    from .oauth_web import WebServerFlow


@dataclass(frozen=True)
class SandboxInfo:
    """How to reach and log in to a running sandbox org."""

    instance_url: str
    token_url: str
    client_id: str
    client_secret: str
    username: str
    password: str
    security_token: str
    refresh_token: str
    ca_file: str
    jwt_key_file: str
    org_id: str
    api_version: str

    def to_json(self) -> str:
        return json.dumps(asdict(self))


class _Handler(SandboxHandler):
    server: _HttpsServer

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The ``Date`` header in the org's time (clients read Salesforce server time from it)."""
        if timestamp is None:
            timestamp = self.server.api.store.clock.now().timestamp()
        return email.utils.formatdate(timestamp, usegmt=True)


class _HttpsServer(SandboxServer):
    api: SalesforceApi

    def __init__(self, port: int, context: ssl.SSLContext) -> None:
        super().__init__(port, Request, _Handler)
        self.context = context

    def finish_request(self, request: Any, client_address: Any) -> None:
        """TLS handshake in the worker thread, so a slow client never blocks accept()."""
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        super().finish_request(tls, client_address)


class SalesforceSandbox:
    """A small Salesforce org on ``https://127.0.0.1:PORT``."""

    def __init__(
        self, *, port: int = 0, seed: int = 1, opportunities: int = 200, state_dir: Path | None = None,
        token_lifetime_seconds: float = 7200, daily_api_limit: int = 100_000, callback_urls: tuple[str, ...] = (),
    ) -> None:
        self._port = port
        self.seed = seed
        self.opportunities = opportunities
        self.state_dir = state_dir
        self.token_lifetime_seconds = token_lifetime_seconds
        self.daily_api_limit = daily_api_limit
        self.callback_urls = tuple(callback_urls)
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._httpd: _HttpsServer | None = None
        self._thread: threading.Thread | None = None
        self.store: OrgStore | None = None
        self.api: SalesforceApi | None = None
        self.info: SandboxInfo | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> SandboxInfo:
        if self.state_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="sf-sandbox-")
            directory = Path(self._tmp.name)
        else:
            directory = self.state_dir
            directory.mkdir(parents=True, exist_ok=True)
        tls: TlsMaterial = generate_tls_material(directory / "tls")
        clock = Clock()
        db_path = directory / "org.duckdb" if self.state_dir is not None else None
        fresh = db_path is None or not db_path.exists()
        store = OrgStore(db_path, clock=clock)
        if fresh:
            store.load(generate_org(self.seed, self.opportunities, clock.now()))
        org_id = store.org_id()
        integration = store.integration_user
        if integration is None:
            raise RuntimeError("the seeded org has no integration user")
        user_id, username = integration
        creds = Credentials.generate(username)
        key_file = directory / "jwt-private-key.pem"
        key_file.write_text(creds.jwt_private_key_pem)
        key_file.chmod(0o600)
        httpd = _HttpsServer(self._port, server_context(tls))
        port = httpd.server_address[1]
        instance_url = f"https://127.0.0.1:{port}"
        sessions = SessionRegistry(org_id, self.token_lifetime_seconds)
        from .control import control_handler
        from .oauth_web import WebServerFlow

        web = WebServerFlow(store, sessions, creds.client_id)
        web.set_callback_urls(list(self.callback_urls))
        tokens = TokenEndpoint(creds, sessions, user_id, login_url=instance_url, web=web)
        api = SalesforceApi(store, tokens, sessions, ApiBudget(self.daily_api_limit), FaultPlan(), instance_url)
        api.oauth = web

        api.control = control_handler(api, self.seed)
        httpd.api = api
        self.store, self.api, self._httpd = store, api, httpd
        self.info = SandboxInfo(
            instance_url=instance_url,
            token_url=f"{instance_url}/services/oauth2/token",
            client_id=creds.client_id,
            client_secret=creds.client_secret,
            username=creds.username,
            password=creds.password,
            security_token=creds.security_token,
            refresh_token=creds.refresh_token,
            ca_file=str(tls.ca_file),
            jwt_key_file=str(key_file),
            org_id=org_id,
            api_version=API_VERSION,
        )
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()
        return self.info

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self.store is not None:
            self.store.close()
            self.store = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> SalesforceSandbox:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ test conveniences
    @property
    def faults(self) -> FaultPlan:
        assert self.api is not None, "start the sandbox first"
        return self.api.faults

    @property
    def budget(self) -> ApiBudget:
        assert self.api is not None, "start the sandbox first"
        return self.api.budget

    @property
    def web(self) -> WebServerFlow:
        """The web server flow (login passwords, callback URLs, codes)."""
        assert self.api is not None and self.api.oauth is not None, "start the sandbox first"
        return self.api.oauth

    @property
    def sessions(self) -> SessionRegistry:
        assert self.api is not None, "start the sandbox first"
        return self.api.sessions
