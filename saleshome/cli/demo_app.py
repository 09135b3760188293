"""The demo's Slack app: ``saleshome demo`` starts Sales Home's Slack app beside the sandboxes and shows a member's
Sales tab end to end, as a member meets it in Slack.

1. :func:`start_app`: the app (:func:`saleshome.app.build`, Bolt in HTTP mode behind uvicorn, as ``saleshome app
   serve`` runs it) in a thread of the demo's process, on 127.0.0.1 and a free port, with a fresh Fernet key for
   members' tokens (in memory only, never written) and the Slack sandbox's signing secret.  Its OAuth callback
   URL is registered with the org's connected app in the Salesforce sandbox (``POST /_sandbox/connected-app``),
   then the Slack sandbox is pointed at its events and interactivity URLs (``configure_app``: Slack verifies the
   events URL with a signed ``url_verification`` first, so the app is up before).
2. :func:`show_sales_tab`: a rep mapped to their Slack user and holding the Sales Home permission set opens
   **Sales** (the Slack sandbox delivers a signed ``app_home_opened``) and gets the Connect screen; they follow its
   "Connect Salesforce" link through the Salesforce sandbox's login form and consent page (with ``requests``, as a
   browser would), the app's callback keeps their tokens and publishes their Sales tab, read from Salesforce
   with their own token: the demo prints what they see (org, list, records).  A member without the permission
   set opens Sales too and gets the access screen.  The Home views published are kept in
   ``.demo/home-tabs.json``.
3. :func:`print_try_it` (``--keep-running``): how to open a member's Sales tab in the viewer's Slack client
   (``/client``): which person to choose, that member's Salesforce sandbox login for the Connect screen, and
   what to try there (Edit on a deal, My notifications).

Every wait is bounded (:data:`WAIT_SECONDS`); a screen that does not come is a :class:`DemoAppError` naming what
was awaited.  :meth:`DemoApp.stop` ends the server, then waits for the app's listener threads.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from saleshome.errors import SalesHomeError

if TYPE_CHECKING:
    import requests
    import uvicorn
    from rich.console import Console

    from saleshome.app import SlackApp
    from saleshome.config import Settings
    from saleshome.sandbox.salesforce.server import SandboxInfo
    from saleshome.sandbox.slack.server import SlackSandbox
    from saleshome.warehouse.control import ControlDB

__all__ = ["DemoApp", "DemoAppError", "Login", "plain_blocks", "plain_text", "print_try_it", "sandbox_session", "show_sales_tab",
           "start_app", "wait_for"]

WAIT_SECONDS = 60.0  # a screen the app publishes, the server starting or stopping: bounded waits
POLL_SECONDS = 0.05
RECORDS_SHOWN = 5  # rows of the member's list printed
CONNECT_SCREEN, NO_ACCESS_SCREEN, SALES_TAB = "sales_home_connect", "sales_home_no_access", "sales_home"
OPEN_RECORD = "sales_home_open_record"  # the action id of a record row's "Open" button (saleshome.app.home)
HOME_TABS = "home-tabs.json"
MANAGER_ROLES = ("Sales Manager", "Sales Director", "VP of Sales")  # the seeded org's roles with reports


class DemoAppError(SalesHomeError):
    """The demo's Slack app did not do what the demo shows (a screen never came, a login failed)."""


@dataclass
class DemoApp:
    """The app serving in this process: its URLs, its parts, and how to stop it."""

    app: SlackApp
    server: uvicorn.Server
    thread: threading.Thread
    urls: dict[str, str]

    def stop(self) -> None:
        """Stop accepting, let uvicorn finish, then wait for the work the app accepted (Bolt's listeners)."""
        self.server.should_exit = True
        self.thread.join(WAIT_SECONDS)
        self.app.executor.shutdown(wait=True, cancel_futures=True)


@dataclass(frozen=True)
class Login:
    """A member as the demo shows them: Slack user, Salesforce user and their sandbox login."""

    slack_user_id: str
    name: str
    sf_user_id: str
    username: str
    password: str
    role: str


@dataclass
class Shown:
    """What the demo showed of the app (for ``--keep-running`` and the JSON kept in the home)."""

    member: Login
    try_it: Login | None
    views: dict[str, dict[str, Any]] = field(default_factory=dict)


# ------------------------------------------------------------------------------------------------ the app
def start_app(settings: Settings, control: ControlDB, slack: SlackSandbox, sf_info: SandboxInfo) -> DemoApp:
    """Serve the Slack app on 127.0.0.1 (a free port) in a thread; register its callback with the org's connected
    app and point the Slack sandbox at it.  Stops what it started when a step fails."""
    import socket

    import uvicorn
    from cryptography.fernet import Fernet
    from pydantic import SecretStr

    from saleshome.app import asgi_app, build
    from saleshome.app.server import EVENTS_PATH, INTERACTIVITY_PATH

    assert slack.info is not None
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    base_url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    # served where it listens (an SALESHOME_APP_URL of the environment is not the demo's), signed as the sandbox signs
    app_settings = settings.model_copy(update={"slack_signing_secret": SecretStr(slack.info.signing_secret),
                                               "app_url": None})
    try:
        app = build(app_settings, base_url=base_url, secret_keys=Fernet.generate_key().decode(), control=control)
    except BaseException:
        listener.close()
        raise
    config = uvicorn.Config(asgi_app(app), log_config=None, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, name="saleshome-app", daemon=True)
    thread.start()
    urls = {"url": base_url, "events": base_url + EVENTS_PATH, "interactivity": base_url + INTERACTIVITY_PATH,
            "oauth_callback": app.redirect_uri}
    running = DemoApp(app, server, thread, urls)
    try:
        wait_for(lambda: server.started or not thread.is_alive(), "the Slack app to listen")
        if not server.started:
            raise DemoAppError(f"the Slack app did not start on {base_url}")
        _post_json(sf_info, "connected-app", {"callback_urls": [app.redirect_uri]})
        try:
            slack.configure_app(event_url=urls["events"], interactivity_url=urls["interactivity"])
        except ValueError as exc:  # Slack's url_verification was not answered
            raise DemoAppError(f"the Slack sandbox refused the app's request URL: {exc}") from None
    except BaseException:
        running.stop()
        listener.close()
        raise
    return running


def _post_json(sf_info: SandboxInfo, action: str, body: dict[str, Any]) -> Any:
    response = sandbox_session(sf_info).post(f"{sf_info.instance_url}/_sandbox/{action}", json=body, timeout=30)
    if response.status_code != 200:
        raise DemoAppError(f"the Salesforce sandbox answered {response.status_code} to /_sandbox/{action}")
    return response.json()


def sandbox_session(sf_info: SandboxInfo) -> requests.Session:
    """A browser of the Salesforce sandbox: trusting its CA (trust_env off: REQUESTS_CA_BUNDLE would win)."""
    import requests

    session = requests.Session()
    session.trust_env = False
    session.verify = sf_info.ca_file
    return session


def wait_for(check: Callable[[], Any], what: str, seconds: float = WAIT_SECONDS) -> Any:
    """Poll ``check()`` until it returns something truthy, at most ``seconds``."""
    deadline = time.monotonic() + seconds
    while not (value := check()):
        if time.monotonic() > deadline:
            raise DemoAppError(f"timed out after {seconds:.0f}s waiting for {what}")
        time.sleep(POLL_SECONDS)
    return value


# ------------------------------------------------------------------------------------------------ members
def _members(control: ControlDB, alias: str, sf_info: SandboxInfo) -> tuple[list[Login], list[Login]]:
    """(members with the permission set, members without), mapped to a Slack user in ``alias`` by email, with
    their sandbox logins; reps first, then by name."""
    logins = {str(entry["user_id"])[:15]: entry for entry in sandbox_session(sf_info).get(
        f"{sf_info.instance_url}/_sandbox/logins", timeout=30).json()["logins"]}
    rows = control.rows("SELECT slack_user_id, sf_user_id, sales_home_user FROM user_map WHERE alias = ? "
                        "AND status = 'matched' AND slack_user_id IS NOT NULL", [alias])
    access: list[Login] = []
    others: list[Login] = []
    for row in rows:
        entry = logins.get(str(row["sf_user_id"])[:15])
        if entry is None or not entry.get("active", True):
            continue
        login = Login(str(row["slack_user_id"]), str(entry["name"]), str(row["sf_user_id"]), str(entry["username"]),
                      str(entry["password"]), str(entry.get("role") or ""))
        (access if row["sales_home_user"] else others).append(login)

    def order(login: Login) -> tuple[bool, str]:
        return ("Rep" not in login.role, login.name)

    return sorted(access, key=order), sorted(others, key=order)


def _with_reports(members: list[Login]) -> Login | None:
    """The member to try the Sales tab with: a manager (then a director, the VP: the role hierarchy gives them their
    reports' records), else anyone with access."""
    for role in MANAGER_ROLES:
        found = next((m for m in members if m.role.startswith(role)), None)
        if found is not None:
            return found
    return members[0] if members else None


# ------------------------------------------------------------------------------------------------ screens
def plain_text(text: str, slack: SlackSandbox) -> str:
    """mrkdwn as a terminal shows it: mentions by name, links by their label, no bold."""
    users = slack.world.users
    text = re.sub(r"<@(U[A-Z0-9]+)>", lambda m: "@" + (users[m[1]].profile.real_name if m[1] in users else m[1]),
                  text)
    text = re.sub(r"<[^<>|]*\|([^<>]*)>", r"\1", text).replace("*", "")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def plain_blocks(blocks: list[dict[str, Any]], slack: SlackSandbox) -> list[str]:
    """Block Kit as a terminal shows it (rich markup escaped): links by their label, mentions by name, buttons in
    brackets."""
    from rich.markup import escape

    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        text = block.get("text")
        if isinstance(text, dict):
            lines.append(plain_text(str(text.get("text", "")), slack))
        for field_ in block.get("fields") or []:
            lines.append("  " + plain_text(str(field_.get("text", "")), slack).replace("\n", ": ", 1))
        accessory = block.get("accessory")
        if isinstance(accessory, dict) and isinstance(accessory.get("text"), dict):
            lines.append(f"[ {accessory['text'].get('text')} ]")
        for element in block.get("elements") or []:
            label = element.get("text")
            if kind == "actions" and isinstance(label, dict):
                lines.append(f"[ {label.get('text')} ]")
            elif kind == "context" and isinstance(label, str):
                lines.append(plain_text(label, slack))
    return [escape(line) for line in lines if line.strip()]


def _texts(view: dict[str, Any], slack: SlackSandbox) -> list[str]:
    """The section texts of a view, plain."""
    return [plain_text(str(b["text"]["text"]), slack) for b in view.get("blocks") or []
            if b.get("type") == "section" and isinstance(b.get("text"), dict)]


def _open_home(slack: SlackSandbox, user_id: str, screen: str) -> tuple[dict[str, Any], str]:
    """``user_id`` opens Sales in Slack: the signed ``app_home_opened`` delivery, then the screen the app
    publishes (``callback_id`` ``screen``); returns (view, a line saying how the event was delivered)."""
    delivery = slack.interactions.home_opened(user_id)
    if not delivery.wait(WAIT_SECONDS) or not delivery.delivered:
        raise DemoAppError(f"the app did not take app_home_opened {delivery.event_id}: {delivery.to_dict()}")
    attempt = delivery.attempts[-1]
    line = (f"app_home_opened {delivery.event_id} delivered signed to the app: HTTP {attempt.status} in "
            f"{attempt.seconds * 1000:.0f} ms (attempt {attempt.attempt})")
    view = wait_for(lambda: (v := slack.home_view(user_id)) and v.get("callback_id") == screen and v,
                 f"the {screen} Home view of {user_id}")
    return view, line


def _connect_link(view: dict[str, Any], alias: str) -> str:
    for block in view.get("blocks") or []:
        accessory = block.get("accessory") or {}
        if accessory.get("value") == alias and accessory.get("url"):
            return str(accessory["url"])
    raise DemoAppError(f"no \"Connect Salesforce\" button for {alias} on the Connect screen")


def _hidden(page: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page))


def _log_in(sf_info: SandboxInfo, link: str, login: Login) -> str:
    """Follow the Connect link as a browser: the login form, then the consent page (Allow); where Salesforce
    redirects (the app's callback)."""
    browser = sandbox_session(sf_info)
    authorize = f"{sf_info.instance_url}/services/oauth2/authorize"
    page = browser.get(link, allow_redirects=False, timeout=30)
    if page.status_code != 200 or 'name="password"' not in page.text:
        raise DemoAppError(f"the Salesforce sandbox's login page did not open (HTTP {page.status_code})")
    answer = browser.post(authorize, data={**_hidden(page.text), "username": login.username,
                                           "password": login.password}, allow_redirects=False, timeout=30)
    if answer.status_code == 200 and 'value="allow"' in answer.text:  # the consent page
        answer = browser.post(authorize, data={**_hidden(answer.text), "action": "allow"}, allow_redirects=False,
                              timeout=30)
    if answer.status_code != 302:
        raise DemoAppError(f"logging in as {login.username} did not redirect to the app (HTTP {answer.status_code})")
    return str(answer.headers["Location"])


def _callback(url: str) -> requests.Response:
    import requests

    session = requests.Session()
    session.trust_env = False  # 127.0.0.1: never through a proxy
    return session.get(url, timeout=60)


@dataclass(frozen=True)
class _Tab:
    org: str
    obj: str
    list_label: str
    rows: list[tuple[str, list[tuple[str, str]]]]  # (record name, [(column, value)])
    more: bool  # a next page


def _sales_tab(view: dict[str, Any], slack: SlackSandbox) -> _Tab:
    """What a published Sales tab shows: its org, object and list, and the records of the list."""
    nav = json.loads(view.get("private_metadata") or "{}")
    blocks = view.get("blocks") or []
    label = next((plain_text(str(b["text"]["text"]), slack) for b in blocks if b.get("block_id") == "sales_home_list"),
                 "")
    rows = []
    for block in blocks:
        if (block.get("accessory") or {}).get("action_id") == OPEN_RECORD:
            cells = [plain_text(str(f["text"]), slack).split("\n", 1) for f in block.get("fields") or []]
            rows.append((plain_text(str(block["text"]["text"]), slack), [(c[0], c[-1]) for c in cells]))
    more = any(e.get("action_id") == "sales_home_next_page" for b in blocks if b.get("block_id") == "sales_home_paging"
               for e in b.get("elements") or [])
    return _Tab(str(nav.get("org") or ""), str(nav.get("object") or ""), label, rows, more)


def _print_tab(console: Console, member: Login, org_name: str, tab: _Tab) -> None:
    from rich.markup import escape
    from rich.table import Table

    count = f"{len(tab.rows)} record(s)" + (" (the first page: more on the next)" if tab.more else "")
    console.print(f"  Their [bold]Sales tab[/], read from Salesforce with their own token: org [bold]"
                  f"{escape(org_name)}[/], {tab.obj} list [bold]{escape(tab.list_label)}[/]: {count}, as "
                  f"{escape(member.name)} sees them.", soft_wrap=True, highlight=False)
    if not tab.rows:
        return
    columns = [label for label, _ in tab.rows[0][1]][:4]
    table = Table(title=f"{tab.list_label}, as {member.name} sees it in Slack (first {min(RECORDS_SHOWN, len(tab.rows))})")
    table.add_column("Name")
    for column in columns:
        table.add_column(column)
    for name, cells in tab.rows[:RECORDS_SHOWN]:
        values = dict(cells)
        table.add_row(escape(name), *(escape(values.get(c, "")) for c in columns))
    console.print(table)


def show_sales_tab(console: Console, app: DemoApp, control: ControlDB, slack: SlackSandbox, sf_info: SandboxInfo,
                   alias: str, home: Path) -> Shown:
    """A member opens Sales, connects Salesforce and sees their Sales tab; one without the permission set gets the
    access screen.  The views are kept in ``home/home-tabs.json``."""
    from rich.markup import escape

    access, others = _members(control, alias, sf_info)
    if not access:
        raise DemoAppError(f"no member of {alias} mapped to Slack holds the Sales Home permission set")
    member = access[0]
    org_name = str(control.rows("SELECT org_name FROM orgs WHERE alias = ?", [alias])[0]["org_name"] or alias)
    console.print(f"\n[bold]The Slack app[/] (`saleshome app serve`, in this process) listens on {app.urls['url']}: "
                  f"the Slack sandbox sends its events to {app.urls['events']} and interactivity to "
                  f"{app.urls['interactivity']} (signed with its signing secret; the events URL answered Slack's "
                  f"url_verification), and {app.urls['oauth_callback']} is a callback URL of the org's connected app.",
                  soft_wrap=True, highlight=False)
    shown = Shown(member, _with_reports(access[1:]))
    connect, line = _open_home(slack, member.slack_user_id, CONNECT_SCREEN)
    console.print(f"[bold]{escape(member.name)}[/] ({escape(member.role)}, Slack {member.slack_user_id}) opens "
                  f"[bold]Sales[/] in Slack: {line}; the app publishes the Connect screen: "
                  f"“{escape(_texts(connect, slack)[0])}” [ Connect Salesforce ]", soft_wrap=True, highlight=False)
    callback = _log_in(sf_info, _connect_link(connect, alias), member)
    page = _callback(callback)
    if page.status_code != 200:
        raise DemoAppError(f"the app's OAuth callback answered {page.status_code}: {page.text[:300]}")
    title = re.search(r"<h1>(.*?)</h1>", page.text)
    console.print(f"  They log in on the Salesforce sandbox's login page as {escape(member.username)} and allow "
                  f"access; the app's callback answers “{escape(title[1] if title else page.reason)}” and keeps their "
                  "tokens, encrypted.", soft_wrap=True, highlight=False)
    tab_view = wait_for(lambda: (v := slack.home_view(member.slack_user_id)) and v.get("callback_id") == SALES_TAB and v,
                     f"the Sales tab of {member.slack_user_id}")
    _print_tab(console, member, org_name, _sales_tab(tab_view, slack))
    shown.views[member.slack_user_id] = tab_view
    if others:
        outsider = others[0]
        screen, line = _open_home(slack, outsider.slack_user_id, NO_ACCESS_SCREEN)
        console.print(f"[bold]{escape(outsider.name)}[/] (Slack {outsider.slack_user_id}, no Sales Home permission "
                      f"set) opens Sales: {line}; the access screen: “{escape(' '.join(_texts(screen, slack)))}”",
                      soft_wrap=True, highlight=False)
        shown.views[outsider.slack_user_id] = screen
    (home / HOME_TABS).write_text(json.dumps(shown.views, ensure_ascii=False, indent=1))
    return shown


def print_try_it(console: Console, shown: Shown, viewer_url: str, sf_info: SandboxInfo) -> None:
    """How to open a member's Sales tab in the viewer's Slack client (``--keep-running``)."""
    from rich.markup import escape

    client = viewer_url.rstrip("/") + "/client"
    console.print(f"\n[bold]Try the Sales tab[/] in the Slack sandbox's client: open [link]{client}[/link], choose who "
                  f"you are, then [bold]Sales[/] in the sidebar.", soft_wrap=True, highlight=False)
    console.print(f"  • [bold]{escape(shown.member.name)}[/] ({shown.member.slack_user_id}) is connected already: "
                  "their Sales tab shows at once. Try [bold]Edit[/] on a deal (a list row, the open record, or a "
                  "notification message in #sales or their DMs): change its Stage, submit, and the stage-change "
                  "notification reaches Slack within seconds; and [bold]My notifications[/] at the bottom of the tab: "
                  "their “Stage changed” subscription, to pause, edit or delete, or a new one.",
                  soft_wrap=True, highlight=False)
    if shown.try_it is not None:
        other = shown.try_it
        console.print(f"  • [bold]{escape(other.name)}[/] ({other.slack_user_id}; {escape(other.role)} in Salesforce: "
                      "their reports' records too) sees the Connect screen: choose \"Connect Salesforce\"; on the "
                      f"Salesforce sandbox's login page, username [bold]{escape(other.username)}[/] and password "
                      f"[bold]{escape(other.password)}[/] (then Allow).", soft_wrap=True, highlight=False)
    console.print(f"  The login page is HTTPS with the sandbox's own certificate authority ({sf_info.ca_file}): "
                  "accept the browser's warning, or trust that file.", soft_wrap=True, highlight=False)
