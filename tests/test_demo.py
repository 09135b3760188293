"""``make demo`` end to end (``saleshome demo`` in a scratch directory): what it prints, the
static copy of the Slack viewer it writes with the messages it delivered, and the Slack app it starts: a
member's Sales tab, read with their own Salesforce access, and the access screen of a member without
the permission set (what the demo leaves in its home: the control store, the warehouse, the Home views);
with ``--keep-running``, the way it prints to open a member's Sales tab in the viewer works, and Ctrl-C
stops everything."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest
import requests

from saleshome.sandbox.salesforce.schema import catalog
from tests.fixtures.sandboxes import sandbox_session
from tests.message_scan import api_names, problems
from tests.sandbox.salesforce.members import hidden_inputs

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
MESSAGE_OBJECTS = ("Opportunity", "Account", "Contact", "Lead", "Case", "User")
DEMO_SECONDS = 280
# the demo as a terminal runs it: Ctrl-C raises KeyboardInterrupt (whatever SIGINT disposition the test runner gives)
KEEP_RUNNING = ("import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
                "from saleshome.cli import main; main()")


def test_the_demo_runs_end_to_end_and_leaves_a_static_viewer(tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("SALESHOME_HOME", None)
    demo = subprocess.run(
        [sys.executable, "-c", "from saleshome.cli import main; main()", "demo"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    out = demo.stdout
    assert "Initial sync" in out and out.count("Incremental sync") == 3
    assert "What the demo did" in out and "Demo done" in out
    summary = {m[1].strip(): int(m[2]) for m in re.finditer(r"│ ([a-z ]+?)\s+│ (\d+)\s+│", out)}
    assert summary["initial sync runs"] == 1 and summary["incremental sync runs"] == 3
    for delivered in ("notifications", "digests", "celebration messages", "profile banners"):
        assert summary.get(delivered, 0) >= 1, f"no {delivered} delivered: {summary}"
    snapshot = re.search(r"A static copy of the viewer, to open without the sandbox: (\S+)", out)
    assert snapshot, out[-2000:]
    index = Path(snapshot[1])
    assert index == (tmp_path / ".demo" / "slack-viewer" / "index.html").resolve() and index.is_file()
    pages = "".join(p.read_text() for p in (index.parent / "channels").glob("*.html"))
    assert "saleshome_message" in pages  # notification messages
    profiles = "".join(p.read_text() for p in (index.parent / "users").glob("*.html"))
    assert 'class="status-emoji"' in profiles, "no banner on any profile page"
    _assert_settings_imported_before_the_initial_sync(out)
    _assert_a_celebration_in_the_snapshot(out, index)
    _assert_messages_read_as_a_person_wrote_them(tmp_path / ".demo" / "slack-messages.json")
    _assert_the_sales_tab_of_a_member(out, tmp_path / ".demo")
    edited = _assert_an_edit_from_slack(out, tmp_path / ".demo")
    _assert_a_member_subscription(out, tmp_path / ".demo", edited)


def _assert_messages_read_as_a_person_wrote_them(log: Path) -> None:
    """No field API name, raw Salesforce Id or amount without its currency in what members read (issue 16)."""
    messages = json.loads(log.read_text())
    assert len(messages) > 10
    names = api_names(f for obj in catalog() if obj.name in MESSAGE_OBJECTS for f in obj.fields)
    found = {m["ts"]: problems(m, names) for m in messages}
    found = {ts: p for ts, p in found.items() if p}
    assert not found, "\n".join(f"{ts}: {p}" for ts, p in list(found.items())[:20])


def _assert_settings_imported_before_the_initial_sync(out: str) -> None:
    """The sales admin imports examples/sales-home.yaml, then the settings summary, then the initial sync."""
    imported = re.search(
        r"saleshome settings import sales-home\.yaml --as U\w+: (\d+) section\(s\) set, audited: ", out
    )
    assert imported, out[:3000]
    assert int(imported[1]) >= 1
    initial = out.index("\nInitial sync (silent")
    assert imported.start() < initial
    settings = out[imported.end() : initial]
    titles = ("Sales admins", "Salesforce lists shown in Sales Home", "Notification restrictions", "Deal celebrations")
    for title in titles:
        assert title in settings, f"no {title!r} table between the settings import and the initial sync"
    positions = [settings.index(t) for t in titles]
    assert positions == sorted(positions), "the settings summary tables are out of order"
    assert "#deals-won" in settings and "just won" in settings  # the celebration settings of the example file


def _assert_a_celebration_in_the_snapshot(out: str, index: Path) -> None:
    """A celebration message on #deals-won's page, and the banner on the owner's profile page."""
    root = index.parent
    deals_won = re.search(r'href="channels/([A-Z0-9]+)\.html">#deals-won</a>', index.read_text())
    assert deals_won, "no #deals-won in the snapshot's index"
    channel = deals_won[1]
    page = (root / "channels" / f"{channel}.html").read_text()
    # Each celebration the demo prints: its permalinks point at #deals-won messages the snapshot shows, and
    # when its banner was set, the owner's profile page (the printed link) shows it.
    section = out[out.index("\nCelebrations (") :]
    section = section[: section.index("\nWhat the demo did")] if "\nWhat the demo did" in section else section
    links: list[tuple[str, str]] = []
    banners: list[str] = []
    banner_set = False
    for line in section.splitlines()[1:]:
        if (found := re.match(r"\s+message: \S+/archives/([A-Z0-9]+)/p(\d+)$", line)) is not None:
            links.append((found[1], found[2]))
        elif (found := re.match(r"\s+profile: \S+/users/(U[A-Z0-9]+)$", line)) is not None:
            if banner_set:
                banners.append(found[1])
        elif " won " in line:
            banner_set = ", banner set" in line
    assert links and banners, section[:3000]
    for linked_channel, ts in links:
        assert linked_channel == channel
        assert f'id="m{ts}"' in page, f"message p{ts} not on the #deals-won page"
        article = page.split(f'id="m{ts}"', 1)[1].split("<article", 1)[0]
        assert "just won" in article or "vient de remporter" in article  # the default message, in en or fr
    for user in banners:
        profile = (root / "users" / f"{user}.html").read_text()
        status = re.search(r'<span class="status-emoji">[^<]+</span>\s*<span class="status-text">(.*?)</span>', profile)
        assert status, f"no status on the profile page of {user}"
        assert status[1].startswith(("Just won ", "Vient de remporter ")), status[1]  # the banner, in en or fr


def _rows(home: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{home / 'control.sqlite'}?mode=ro", uri=True) as db:
        return db.execute(sql, params).fetchall()


def _assert_the_sales_tab_of_a_member(out: str, home: Path) -> None:
    """The demo starts the Slack app and the Slack sandbox delivers signed events to it; a rep connects Salesforce
    through the sandbox's login page and their Sales tab lists their own records; a member without the permission
    set gets the access screen."""
    app = re.search(r"The Slack app \(`saleshome app serve`, in this process\) listens on (http://127\.0\.0\.1:\d+): "
                    r"the Slack sandbox sends its events to (\S+) ", out)
    assert app and app[2] == app[1] + "/slack/events", out[-6000:]
    opened = re.search(r"\(\S[^()]*, Slack (U\w+)\) opens Sales in Slack: app_home_opened (Ev\w+) delivered signed to "
                       r"the app: HTTP 200 .*the app publishes the Connect screen", out)
    refused = re.search(r"\(Slack (U\w+), no Sales Home permission set\) opens Sales: app_home_opened (Ev\w+) delivered "
                        r"signed to the app: HTTP 200 .*; the access screen: “.+”", out)
    assert opened and refused, out[-6000:]
    member, outsider = opened[1], refused[1]
    # the app took both events (it verified their signatures first: an unsigned request is answered 401)
    events = _rows(home, "SELECT event_id, event_type FROM app_events ORDER BY event_id")
    assert sorted(events) == sorted([(opened[2], "app_home_opened"), (refused[2], "app_home_opened")])
    # the member connected as their own Salesforce user, tokens encrypted (Fernet tokens start with gAAAAA)
    assert re.search(r"the app's callback answers “[^”]+” and keeps their tokens", out), out[-6000:]
    connections = _rows(home, "SELECT slack_user_id, alias, sf_user_id, refresh_token FROM member_connections")
    mapped = dict(_rows(home, "SELECT slack_user_id, sf_user_id FROM user_map WHERE alias = 'demo-org' "
                              "AND status = 'matched'"))
    assert [c[:3] for c in connections] == [(member, "demo-org", mapped[member])]
    assert str(connections[0][3]).startswith("gAAAAA")
    access = dict(_rows(home, "SELECT slack_user_id, sales_home_user FROM user_map WHERE alias = 'demo-org'"))
    assert access[member] and not access[outsider]
    # the Sales tab as published: the printed list, its records the member's own opportunities, though the
    # org has others' in the same months (read with the member's access, not the integration user's)
    views = json.loads((home / "home-tabs.json").read_text())
    assert views[outsider]["callback_id"] == "sales_home_no_access"
    tab = views[member]
    assert tab["callback_id"] == "sales_home" and json.loads(tab["private_metadata"])["org"] == "demo-org"
    ids = [b["accessory"]["value"] for b in tab["blocks"]
           if (b.get("accessory") or {}).get("action_id") == "sales_home_open_record"]
    summary = re.search(r"Their Sales tab, read from Salesforce with their own token: org .+?, Opportunity list "
                        r"(.+?): (\d+) record\(s\)", out)
    assert summary and int(summary[2]) == len(ids) > 0, out[-6000:]
    with duckdb.connect(str(home / "orgs" / "demo-org.duckdb"), read_only=True) as db:
        shown = db.execute('SELECT "Id", "Name", "OwnerId", date_trunc(\'month\', "CloseDate") FROM sf."Opportunity" '
                           'WHERE "Id" IN (SELECT unnest(?))', [ids]).fetchall()
        months = sorted({r[3] for r in shown})
        others = db.execute('SELECT count(*) FROM sf."Opportunity" WHERE "OwnerId" <> ? '
                            'AND date_trunc(\'month\', "CloseDate") IN (SELECT unnest(?))',
                            [mapped[member], months]).fetchone()
    assert len(shown) == len(ids) and {r[2] for r in shown} == {mapped[member]}
    assert others is not None and others[0] > 0
    names = {r[0]: r[1] for r in shown}
    assert names[ids[0]] in out  # the printed table: the list's first record, by name


def _sent(home: Path, keys: set[str]) -> list[dict[str, Any]]:
    """The messages of the demo's log (what Slack holds) telling the notification events ``keys``."""
    messages = json.loads((home / "slack-messages.json").read_text())
    return [m for m in messages if ((m.get("metadata") or {}).get("event_payload") or {}).get("key") in keys]


def _assert_an_edit_from_slack(out: str, home: Path) -> str:
    """The rep edits Stage and Amount of one of their deals from the Sales tab: the printed outcome is what Salesforce
    holds (the warehouse's row, read by the app's targeted read after the save), each notification it triggered was
    posted once (not again after the next sync), and the edit is in the audit as printed.  Returns the record id."""
    step = out[out.index("\nAn edit from Slack: "):out.index("\nA notification a member sets up: ")]
    opened = re.search(r"An edit from Slack: (.+?) clicks Open on (.+?) in their Sales tab, then Edit\.", step)
    stage = re.search(r"• Stage: (.+?) → (.+)", step)
    amount = re.search(r"• Amount: (\S+) → (\S+)", step)
    now = re.search(r"Salesforce now \(read back through the REST API\): Stage (.+?), Amount (\S+), last modified by "
                    r"(.+?)\.\n", step)
    assert opened and stage and amount and now, step
    member, name = opened[1], opened[2]
    assert (now[1], now[2], now[3]) == (stage[2], amount[2], member)  # Salesforce holds what the modal said
    assert stage[1] != stage[2] and amount[2].endswith("120,000.00")
    [edit] = _rows(home, "SELECT record_id, record_name, changes, outcome, sf_user_name FROM record_edits")
    record, changes = edit[0], {c["field"]: (c["before"], c["after"]) for c in json.loads(edit[2])}
    assert (edit[1], edit[3], edit[4]) == (name, "saved", member)
    assert changes == {"StageName": (stage[1], stage[2]), "Amount": (amount[1], amount[2])}
    audit = step[step.index("saleshome settings audit --edits:"):]
    assert "Edits from Slack" in audit and name in audit and f"Stage: {stage[1]} → {stage[2]}" in audit
    with duckdb.connect(str(home / "orgs" / "demo-org.duckdb"), read_only=True) as db:
        row = db.execute('SELECT "StageName", "Amount" FROM sf."Opportunity" WHERE "Id" = ?', [record]).fetchone()
        logged = db.execute("SELECT run_id, new_value FROM change_log WHERE record_id = ? AND field = 'StageName' "
                            "AND new_value = ?", [record, stage[2]]).fetchall()
    assert row == (stage[2], 120000)
    [(run, _)] = logged  # read once, by the app's targeted read after the save (not again by the later sync)
    assert run.startswith("refresh-")
    events = _rows(home, "SELECT key, recipient FROM notification_events WHERE record_id = ? AND run_id = ? "
                         "AND delivery = 'immediate'", (record, run))
    sent = _sent(home, {k for k, _ in events})
    assert len(events) >= 1 and sorted(m["metadata"]["event_payload"]["key"] for m in sent) == sorted(
        k for k, _ in events)  # each once
    sales = [m for m in sent if not m["channel"].startswith("D")]  # not a DM
    assert len(sales) == 1 and step.count("─ #sales (") == 1  # the channel's message, printed
    assert name in sales[0]["text"] and stage[2] in json.dumps(sales[0]["blocks"])
    printed = re.search(r"the notifications it triggered were published: (\d+) message\(s\), once each", step)
    assert printed and int(printed[1]) == len(sent), step
    return str(record)


def _assert_a_member_subscription(out: str, home: Path, edited: str) -> None:
    """The admin allows "Stage changed" for members, the rep subscribes from My notifications; a deal of theirs moves
    back in Salesforce; the next sync DMs them once, in their language, and the edit's messages are not sent again."""
    step = out[out.index("\nA notification a member sets up: "):]
    allowed = _rows(home, "SELECT alias, template, allowed FROM member_template_settings")
    assert allowed == [("demo-org", "stage_changed", 1)], allowed
    [sub] = _rows(home, "SELECT id, slack_user_id, template, scope, delivery, paused FROM member_subscriptions")
    assert sub[2:] == ("stage_changed", "mine", "immediate", 0)
    moved = re.search(r"In Salesforce, (.+?) \(theirs\) moves back from (.+?) to (.+?) \(", step)
    assert moved, step
    with duckdb.connect(str(home / "orgs" / "demo-org.duckdb"), read_only=True) as db:
        deal = db.execute('SELECT "Id", "StageName", "OwnerId" FROM sf."Opportunity" WHERE "Name" = ?',
                          [moved[1]]).fetchall()
    owner = dict(_rows(home, "SELECT slack_user_id, sf_user_id FROM user_map WHERE alias = 'demo-org'"))[sub[1]]
    assert len(deal) == 1 and deal[0][1:] == (moved[3], owner)
    events = _rows(home, "SELECT key, notification_id, recipient FROM notification_events WHERE record_id = ?",
                   (deal[0][0],))
    mine = [k for k, notification, _ in events if notification == sub[0]]
    [dm] = _sent(home, set(mine))  # one DM of the subscription
    [(locale,)] = _rows(home, "SELECT locale FROM user_map WHERE slack_user_id = ?", (sub[1],))
    title = "Changement d'étape" if str(locale).startswith("fr") else "Stage changed"
    assert dm["channel"].startswith("D") and dm["blocks"][0]["text"]["text"] == title
    assert f"{moved[2]} → {moved[3]}" in dm["text"]
    assert re.search(rf"The DM .+ received, in their language \({re.escape(str(locale))}\):", step), step
    assert title in step
    # the edit before: still one message per event after this sync
    keys = {k for k, _ in _rows(home, "SELECT key, run_id FROM notification_events WHERE record_id = ? "
                                      "AND delivery = 'immediate'", (edited,))}
    assert len(_sent(home, keys)) == len(keys)
    assert "its " in step and "were not sent again" in step


def _read_until(process: subprocess.Popen[str], lines: list[str], marker: str, seconds: float) -> threading.Thread:
    """Read the process's output into ``lines`` on a thread (until it ends); return once a line holds ``marker``,
    the output ends, or ``seconds`` have passed."""
    assert process.stdout is not None
    stdout = process.stdout
    seen = threading.Event()

    def read() -> None:
        for line in stdout:
            lines.append(line)
            if marker in line:
                seen.set()
        seen.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    seen.wait(seconds)
    return reader


def _wait_view(viewer: str, user: str, callback_id: str) -> dict[str, Any]:
    """The Home tab the app published for ``user`` with ``callback_id`` (the Slack sandbox's /_sandbox/views)."""
    deadline = time.monotonic() + 60
    while True:
        answer = requests.get(f"{viewer}_sandbox/views", params={"user": user}, timeout=30)
        if answer.status_code == 200 and answer.json()["view"].get("callback_id") == callback_id:
            return answer.json()["view"]  # type: ignore[no-any-return]
        assert time.monotonic() < deadline, f"no {callback_id} view for {user}: {answer.text[:2000]}"
        time.sleep(0.1)


def test_keep_running_says_how_to_open_a_members_sales_tab_and_ctrl_c_stops_everything(tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("SALESHOME_HOME", None)
    process = subprocess.Popen([sys.executable, "-c", KEEP_RUNNING, "demo", "--keep-running"], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    reader = _read_until(process, lines, "press Ctrl-C to stop", DEMO_SECONDS)
    try:
        out = "".join(lines)
        assert "Sandboxes and the Slack app running; press Ctrl-C to stop." in out, out[-4000:]
        how = out[out.index("\nTry the Sales tab"):]
        client = re.search(r"open (http://127\.0\.0\.1:\d+/)client, choose who you are", how)
        manager = re.search(r"• .+? \((U\w+); Sales Manager .+?\) sees the Connect screen: .+ username (\S+) and "
                            r"password (\S+) \(then Allow\)", how)
        ca = re.search(r"certificate authority \((\S+)\)", how)
        app = re.search(r"listens on (http://127\.0\.0\.1:\d+)", out)
        assert client and manager and ca and app, how
        connected = re.search(r"• .+? \((U\w+)\) is connected already: their Sales tab shows at once\. Try Edit on a "
                              r"deal .+ and My notifications at the bottom of the tab", how)
        assert connected, how  # what to try: the demo's rep, whose edit and subscription it showed
        assert _rows(tmp_path / ".demo", "SELECT slack_user_id FROM member_subscriptions") == [(connected[1],)]
        viewer, user, username, password = client[1], manager[1], manager[2], manager[3]
        assert requests.get(viewer + "client/who", timeout=30).status_code == 200
        # what the viewer's client does when the manager opens Sales; then the Connect link as a browser follows it
        opened = requests.post(f"{viewer}_sandbox/client/home_opened", json={"user": user, "wait": 30}, timeout=60)
        assert opened.status_code == 200 and opened.json()["delivery"]["delivered"], opened.text
        connect = _wait_view(viewer, user, "sales_home_connect")
        link = next(b["accessory"]["url"] for b in connect["blocks"] if (b.get("accessory") or {}).get("url"))
        browser = sandbox_session(ca[1])
        page = browser.get(link, allow_redirects=False, timeout=30)
        authorize = link.split("?")[0]
        consent = browser.post(authorize, data={**hidden_inputs(page.text), "username": username,
                                                "password": password}, allow_redirects=False, timeout=30)
        assert consent.status_code == 200 and 'value="allow"' in consent.text, consent.text[:1000]
        allowed = browser.post(authorize, data={**hidden_inputs(consent.text), "action": "allow"},
                               allow_redirects=False, timeout=30)
        assert allowed.status_code == 302, allowed.text[:1000]
        callback = requests.get(allowed.headers["Location"], timeout=60)
        assert callback.status_code == 200, callback.text
        # the manager's Sales tab: records of their reports too (the role hierarchy), not only their own
        tab = _wait_view(viewer, user, "sales_home")
        owners = {f["text"].split("\n", 1)[1] for b in tab["blocks"] for f in b.get("fields") or []
                  if f["text"].startswith("*Opportunity Owner Alias*")}
        assert len(owners) > 1, owners
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)  # Ctrl-C
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
            raise
    reader.join(30)
    out = "".join(lines)
    assert process.returncode == 0, out[-4000:]
    assert "Traceback" not in out, out[-4000:]
    for stopped in (viewer + "client/who", app[1] + "/healthz"):
        with pytest.raises(requests.ConnectionError):
            requests.get(stopped, timeout=10)
