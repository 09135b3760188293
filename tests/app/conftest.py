"""The Slack app as Slack and a member's browser meet it: ``saleshome app serve`` in a subprocess (uvicorn, the real
Bolt app), requests signed as Slack signs them, the sandboxes of this folder (org ``acme``, its Slack workspace).

- ``member_home``: a Sales Home with ``acme`` connected, its users and permission set assignments synced and the
  user-map step run (``user_map.sales_home_user`` filled), the workspace ready (a sales admin); the Slack app's
  settings (signing secret, a Fernet key) in the environment.
- ``AppServer``: one app process on a free port (``start_app``); ``stop`` ends it with SIGTERM and waits, so every
  piece of work it had accepted (Bolt's listener threads) has finished when it returns.
- ``signed``: a request body signed with the app's signing secret (slack-sdk's ``SignatureVerifier``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from cryptography.fernet import Fernet
from slack_sdk.signature import SignatureVerifier

from saleshome.config import Settings, load_settings
from saleshome.pipeline import refresh_org_users
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.sync.engine import sync_org
from saleshome.warehouse.control import ControlDB
from tests.fixtures.sandboxes import sandbox_session
from tests.fixtures.workspace import ALIAS, People, make_ready
from tests.sandbox.salesforce.members import logins, register_callback, submit

START_SECONDS = 60  # an app process prints its URLs within this (imports take a few seconds on a busy machine)
STOP_SECONDS = 60


@dataclass
class AppServer:
    """One ``saleshome app serve --port 0`` process."""

    process: subprocess.Popen[str]
    urls: dict[str, str]
    log: Path

    def stop(self) -> None:
        """SIGTERM, then wait: uvicorn stops accepting, Bolt's listener threads finish what they began."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=STOP_SECONDS)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def start_app(tmp_path: Path, env: dict[str, str] | None = None, name: str = "app") -> AppServer:
    """Start the app with the test's environment (``env`` overrides); returns once it printed its URLs."""
    script = Path(sys.executable).with_name("saleshome")
    log = tmp_path / f"{name}.log"
    process = subprocess.Popen([str(script), "app", "serve", "--port", "0"], env={**os.environ, **(env or {})},
                               stdout=subprocess.PIPE, stderr=log.open("w"), text=True)
    assert process.stdout is not None
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(process.stdout.readline() if process.stdout else ""),
                              daemon=True)
    reader.start()
    reader.join(START_SECONDS)
    if not lines or not lines[0].strip():
        process.kill()
        process.wait(10)
        raise AssertionError(f"the app did not start: {log.read_text(errors='replace')[-3000:]}")
    return AppServer(process, json.loads(lines[0]), log)


def signed(body: str, secret: str, *, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack sends with ``body``: its timestamp (default: now) and ``v0=`` signature."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    assert signature is not None
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}


def event_body(user: str, event_id: str, *, team_id: str = "T0", tab: str = "home") -> str:
    return json.dumps({"type": "event_callback", "team_id": team_id, "api_app_id": "A0SALESHOME", "event_id": event_id,
                       "event_time": int(time.time()),
                       "event": {"type": "app_home_opened", "user": user, "channel": "D0", "tab": tab,
                                 "event_ts": f"{time.time():.6f}"}})


def post_event(app: AppServer, body: str, secret: str, *, retry: int | None = None,
               timestamp: int | None = None) -> requests.Response:
    headers = {"Content-Type": "application/json", **signed(body, secret, timestamp=timestamp)}
    if retry is not None:
        headers.update({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"})
    return requests.post(app.urls["events"], data=body, headers=headers, timeout=30)


def post_action(app: AppServer, user: str, action_id: str, value: str, secret: str) -> requests.Response:
    """A ``block_actions`` payload from the Home tab (form-encoded ``payload=``, as Slack posts it)."""
    payload = {"type": "block_actions", "user": {"id": user, "team_id": "T0"}, "team": {"id": "T0"},
               "api_app_id": "A0SALESHOME", "trigger_id": "1.2.3", "container": {"type": "view", "view_id": "V0"},
               "view": {"id": "V0", "type": "home", "private_metadata": "", "hash": "h"},
               "actions": [{"type": "button", "action_id": action_id, "block_id": "b", "value": value,
                            "action_ts": f"{time.time():.6f}"}]}
    body = urlencode({"payload": json.dumps(payload)})
    headers = {"Content-Type": "application/x-www-form-urlencoded", **signed(body, secret)}
    return requests.post(app.urls["interactivity"], data=body, headers=headers, timeout=30)


def wait_for(check: Any, what: str, seconds: float = 30, app: AppServer | None = None) -> Any:
    """Poll ``check()`` until it returns something truthy (bounded); on time-out, the app's log says why."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}" + (f"; the app's log:\n{app.output()[-4000:]}"
                                                                     if app else ""))
        time.sleep(0.05)


@dataclass(frozen=True)
class MemberHome:
    settings: Settings
    control: ControlDB
    signing_secret: str
    key: str  # the Fernet key the app encrypts with (SALESHOME_SECRET_KEY)
    sales_admin: str


@pytest.fixture()
def member_home(home: Settings, people: People, sf_sandbox: SalesforceSandbox, slack_sandbox: SlackSandbox,
                monkeypatch: pytest.MonkeyPatch) -> Iterator[MemberHome]:
    """Org ``acme`` synced (users, permission set assignments) and mapped; the app's settings in the environment."""
    assert slack_sandbox.info is not None
    ctx = make_ready(home, people)
    result = sync_org(ctx.control, home, ALIAS, objects=["User", "PermissionSetAssignment"])
    assert result.status == "completed", result
    assert refresh_org_users(ctx.control, home, ALIAS) is not None
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("SALESHOME_SLACK_SIGNING_SECRET", slack_sandbox.info.signing_secret)
    monkeypatch.setenv("SALESHOME_SECRET_KEY", key)
    yield MemberHome(load_settings(), ctx.control, slack_sandbox.info.signing_secret, key, people.sales_admin)


CONNECT_SCREEN, NO_ACCESS_SCREEN, SALES_TAB = "sales_home_connect", "sales_home_no_access", "sales_home"


def member_with_access(home: MemberHome) -> tuple[str, str]:
    """(Slack user, Salesforce user) mapped in ``acme``, the Salesforce user holding the Sales Home permission set."""
    rows = home.control.rows("SELECT slack_user_id, sf_user_id FROM user_map WHERE alias = ? AND status = 'matched' "
                             "AND sales_home_user ORDER BY slack_user_id", [ALIAS])
    assert rows, "the seed maps no Sales Home user"
    return str(rows[0]["slack_user_id"]), str(rows[0]["sf_user_id"])


def login_of(sf_sandbox: SalesforceSandbox, sf_user_id: str) -> dict[str, Any]:
    """The sandbox login (username, password) of a Salesforce user."""
    assert sf_sandbox.info is not None
    found = [entry for entry in logins(sf_sandbox.info) if entry["user_id"][:15] == sf_user_id[:15]]
    assert found, f"{sf_user_id} cannot log in on the sandbox's login page"
    return found[0]


def connect_url(view: dict[str, Any], alias: str = ALIAS) -> str:
    """The "Connect Salesforce" link of ``alias`` on a Connect screen."""
    for block in view["blocks"]:
        accessory = block.get("accessory") or {}
        if accessory.get("value") == alias and accessory.get("url"):
            return str(accessory["url"])
    raise AssertionError(f"no Connect button for {alias} in {view['blocks']}")


def log_in_and_allow(sf_sandbox: SalesforceSandbox, url: str, login: dict[str, Any], action: str = "allow") -> str:
    """Follow the link as a browser does: the sandbox's login form, its consent page (``action``: allow or deny);
    returns where Salesforce redirects (the app's callback URL with ``code`` and ``state``, or ``error``)."""
    assert sf_sandbox.info is not None
    browser = sandbox_session(sf_sandbox.info.ca_file)
    page = browser.get(url, allow_redirects=False, timeout=30)
    assert page.status_code == 200 and 'name="password"' in page.text, page.text[:500]
    consent = submit(browser, sf_sandbox.info, page.text, username=login["username"], password=login["password"])
    if consent.status_code == 302:  # allowed before: Salesforce does not ask again
        return str(consent.headers["Location"])
    assert consent.status_code == 200 and "Allow" in consent.text, consent.text[:500]
    allowed = submit(browser, sf_sandbox.info, consent.text, action=action)
    assert allowed.status_code == 302, allowed.text[:500]
    return str(allowed.headers["Location"])


def open_home(app: AppServer, home: MemberHome, user: str, event_id: str) -> None:
    response = post_event(app, event_body(user, event_id), home.signing_secret)
    assert response.status_code == 200, response.text


def connect(app: AppServer, home: MemberHome, slack: SlackSandbox, sf_sandbox: SalesforceSandbox, user: str,
            login: dict[str, Any], event_id: str) -> requests.Response:
    """The member opens the Home tab, clicks "Connect Salesforce", logs in as ``login``: the callback's answer."""
    assert sf_sandbox.info is not None
    register_callback(sf_sandbox.info, app.urls["oauth_callback"])
    before = slack.home_view(user)  # the view as last sent (each Connect screen carries a fresh link)
    open_home(app, home, user, event_id)
    view = wait_for(lambda: (v := slack.home_view(user)) and v.get("callback_id") == CONNECT_SCREEN
                    and v != before and v, "the Connect screen", app=app)
    callback = log_in_and_allow(sf_sandbox, connect_url(view), login)
    assert callback.startswith(app.urls["oauth_callback"] + "?"), callback
    return requests.get(callback, timeout=60)
