"""The viewer's Slack client over HTTP (no browser): who you are, the Home tab and modals rendered exactly
from the stored views and HTML-escaped, and the values sent in Slack's ``view.state.values`` shapes.

Follows the Block Kit reference ("Input block", the element pages: plain-text input ``multiline`` /
``min_length`` / ``max_length``, number input, date picker, static / external / users selects,
checkboxes, overflow, button ``url`` / ``style``) and the changelog "A full state on view submission and
block actions" (every stateful element is in ``state.values``).
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient

from saleshome.sandbox.slack.blocks import validate_blocks
from saleshome.sandbox.slack.server import SlackSandbox, SlackSandboxInfo
from saleshome.sandbox.slack.viewer_state import ClientInputError, input_problems, view_state

from .app_double import AppDouble

HOSTILE = "<img src=x onerror=alert(1)>"


def _text(text: str, kind: str = "plain_text") -> dict[str, Any]:
    return {"type": kind, "text": text}


def _option(text: str, value: str, **extra: Any) -> dict[str, Any]:
    return {"text": _text(text), "value": value, **extra}


def _fetch(
    info: SlackSandboxInfo, path: str, *, user: str | None = None, body: Any = None, form: str | None = None
) -> tuple[int, dict[str, str], str]:
    headers = {"Cookie": f"sandbox_slack_user={user}"} if user else {}
    data = None
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    elif form is not None:
        data, headers["Content-Type"] = form.encode(), "application/x-www-form-urlencoded"
    request = urllib.request.Request(f"{info.viewer_url}{path}", data=data, headers=headers)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any) -> None:
            return None

    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()


def _member(sandbox: SlackSandbox, info: SlackSandboxInfo) -> str:
    return sandbox.world.tokens[info.member_token].user_id


def _person_without_views(sandbox: SlackSandbox) -> str:
    """A person no view was published or opened for yet: the sandbox is shared by the session, and other tests
    leave the member's modals open, which a test of what the client shows must not see."""
    with sandbox.api.lock:
        busy = {view.user_id for view in sandbox.api.views.views.values()}
        people = sorted(u.id for u in sandbox.world.users.values()
                        if not u.deleted and not u.is_bot and u.id != "USLACKBOT" and u.id not in busy)
    assert people, "every person of the sandbox has a view already"
    return people[0]


HOME_BLOCKS: list[dict[str, Any]] = [
    {"type": "header", "text": _text(f"Hello {HOSTILE}")},
    {
        "type": "section",
        "block_id": "s1",
        "text": _text("*Deals* &lt;script&gt;", "mrkdwn"),
        "fields": [_text(f"Owner {HOSTILE}")],
        "accessory": {"type": "overflow", "action_id": "more",
                      "options": [_option("Docs", "docs", url="https://example.com/docs"), _option("Hide", "hide")]},
    },
    {"type": "actions", "block_id": "a1", "elements": [
        {"type": "button", "action_id": "go", "text": _text("Go <now>"), "value": "v\"1", "style": "danger"},
        {"type": "button", "action_id": "web", "text": _text("Web"), "url": "https://example.com/?a=1&b=2"},
        {"type": "users_select", "action_id": "who", "placeholder": _text("Pick someone")},
        {"type": "datepicker", "action_id": "day", "initial_date": "2026-01-31"},
    ]},
    {"type": "input", "block_id": "i1", "label": _text("Notes <b>"), "optional": True,
     "hint": _text("Say something"),
     "element": {"type": "plain_text_input", "action_id": "notes", "multiline": True, "initial_value": "</textarea>x"}},
    {"type": "input", "block_id": "i2", "label": _text("Amount"),
     "element": {"type": "number_input", "action_id": "amount", "is_decimal_allowed": False, "min_value": "1",
                 "max_value": "10", "initial_value": "5"}},
    {"type": "input", "block_id": "i3", "label": _text("Stage"),
     "element": {"type": "static_select", "action_id": "stage",
                 "option_groups": [{"label": _text("Open"), "options": [_option("Qualify", "q")]},
                                   {"label": _text("Closed"), "options": [_option("Won", "w")]}],
                 "initial_option": _option("Won", "w")}},
    {"type": "input", "block_id": "i4", "label": _text("Flags"), "optional": True,
     "element": {"type": "checkboxes", "action_id": "flags",
                 "options": [_option("Hot", "hot", description=_text("very")), _option("Cold", "cold")],
                 "initial_options": [_option("Cold", "cold")]}},
    {"type": "input", "block_id": "i5", "label": _text("Account"), "optional": True,
     "element": {"type": "external_select", "action_id": "account", "initial_option": _option("Acme \"A\"", "acme")}},
]


def test_without_a_choice_the_client_asks_who_you_are(info: SlackSandboxInfo, sandbox: SlackSandbox) -> None:
    status, headers, _ = _fetch(info, "client")
    assert status == 303 and headers["Location"] == "/client/who"
    status, _, page = _fetch(info, "client/who")
    assert status == 200
    active = [u for u in sandbox.world.users.values() if not u.deleted and not u.is_bot and u.id != "USLACKBOT"]
    for user in active:
        assert f'<option value="{user.id}">' in page
    for nobody in (sandbox.world.bot_user_id, sandbox.world.deactivated_user_id, "USLACKBOT"):
        assert f'value="{nobody}"' not in page
    assert _fetch(info, "client/api/surface")[0] == 401


def test_choosing_a_user_sets_the_cookie_and_refuses_others(info: SlackSandboxInfo, sandbox: SlackSandbox) -> None:
    member = _member(sandbox, info)
    status, headers, _ = _fetch(info, "client/who", form=f"user={member}")
    assert status == 303 and headers["Location"] == "/client/apps/sales"
    assert headers["Set-Cookie"].startswith(f"sandbox_slack_user={member};") and "HttpOnly" in headers["Set-Cookie"]
    for refused in (sandbox.world.bot_user_id, sandbox.world.deactivated_user_id, "USLACKBOT", "U0NOPE"):
        assert _fetch(info, "client/who", form=f"user={refused}")[0] == 400
    status, _, page = _fetch(info, "client", user=member)
    assert status == 200 and ">Sales</a>" in page and sandbox.world.users[member].profile.real_name in page


def test_the_home_tab_renders_every_element_from_the_stored_view_escaped(
    bot: WebClient, info: SlackSandboxInfo, sandbox: SlackSandbox
) -> None:
    member = _person_without_views(sandbox)
    view_id = bot.views_publish(user_id=member, view={"type": "home", "blocks": HOME_BLOCKS})["view"]["id"]
    status, _, page = _fetch(info, "client/apps/sales", user=member)
    assert status == 200 and "window.SANDBOX_HOME_OPENED=true" in page
    home = page.split('<div id="home"', 1)[1].split('<div id="modal-root"', 1)[0]
    assert f'data-view-id="{view_id}"' in home
    assert "<img src=x" not in home and "Hello &lt;img src=x onerror=alert(1)&gt;" in home
    assert "<strong>Deals</strong> &lt;script&gt;" in home and "Owner &lt;img" in home
    assert '<option value="docs" data-url="https://example.com/docs">Docs</option>' in home
    assert 'class="b-button danger"' in home and 'data-value="v&quot;1"' in home and "Go &lt;now&gt;" in home
    assert 'href="https://example.com/?a=1&amp;b=2" target="_blank" rel="noopener noreferrer"' in home
    assert 'aria-label="Pick someone"' in home and f'<option value="{member}">' in home
    assert 'type="date"' in home and 'value="2026-01-31"' in home
    assert "<textarea" in home and "&lt;/textarea&gt;x</textarea>" in home and "Notes &lt;b&gt;" in home
    assert "(optional)" in home and "Say something" in home and 'data-error-for="i1"' in home
    assert 'type="number" class="b-number" step="1" min="1" max="10"' in home and 'value="5"' in home
    assert '<optgroup label="Open"><option value="q">Qualify</option></optgroup>' in home
    assert '<option value="w" selected>Won</option>' in home
    assert '<input type="checkbox" value="cold" checked> Cold' in home and '<input type="checkbox" value="hot"> Hot' in home
    assert 'value="Acme &quot;A&quot;"' in home and "&quot;acme&quot;" in home  # the chosen option, as data
    status, _, surface = _fetch(info, "client/api/surface", user=member)
    body = json.loads(surface)
    assert body["home"]["view_id"] == view_id and body["home"]["version"] == sandbox.api.views.views[view_id].hash  # type: ignore[union-attr]
    assert body["modal"] is None


def test_the_top_of_the_users_modal_stack_is_shown_with_its_title_and_buttons(
    bot: WebClient, info: SlackSandboxInfo, sandbox: SlackSandbox
) -> None:
    member = _person_without_views(sandbox)
    modal = {"type": "modal", "title": _text("Deal <1>"), "submit": _text("Save"), "close": _text("Back"),
             "blocks": [{"type": "section", "text": _text("first")}]}
    first = bot.views_open(trigger_id=sandbox.mint_trigger(member), view=modal)["view"]["id"]
    pushed = dict(modal, title=_text("Step 2"), blocks=[{"type": "section", "text": _text("second")}])
    second = bot.views_push(trigger_id=sandbox.mint_trigger(member, view_id=first), view=pushed)["view"]["id"]
    body = json.loads(_fetch(info, "client/api/surface", user=member)[2])
    assert body["modal"]["view_id"] == second and body["modal"]["version"].startswith(f"{second}:")
    html = body["modal"]["html"]
    assert 'role="dialog"' in html and "Step 2" in html and "second" in html and "first" not in html
    assert '>Back</button><button type="button" class="b-button primary modal-submit">Save</button>' in html
    other = sandbox.world.tokens[info.admin_token].user_id
    assert json.loads(_fetch(info, "client/api/surface", user=other)[2])["modal"] is None
    first_page = json.loads(_fetch(info, "client/api/surface", user=member)[2])["modal"]["html"]
    assert "Deal &lt;1&gt;" not in first_page  # the pushed view hides the root
    for view_id in (second, first):  # no app configured: the view closes all the same
        assert json.loads(_fetch(info, "client/api/close", user=member, body={"view_id": view_id})[2])["ok"]
    assert json.loads(_fetch(info, "client/api/surface", user=member)[2])["modal"] is None


def test_a_submission_the_client_refuses_is_never_sent(
    bot: WebClient, info: SlackSandboxInfo, sandbox: SlackSandbox
) -> None:
    member = _member(sandbox, info)
    modal = {"type": "modal", "title": _text("Check"), "submit": _text("Save"),
             "blocks": [b for b in HOME_BLOCKS if b["type"] == "input"]}
    view_id = bot.views_open(trigger_id=sandbox.mint_trigger(member), view=modal)["view"]["id"]
    raw = {"i2": {"amount": "11"}, "i3": {"stage": ""}}
    status, _, answer = _fetch(info, "client/api/submit", user=member, body={"view_id": view_id, "values": raw})
    assert status == 200
    assert json.loads(answer) == {"ok": False, "error": None, "closed": False,
                                  "errors": {"i2": "Please enter a number at most 10.",
                                             "i3": "Please complete this required field."}}
    bad = {"i3": {"stage": "nope"}}
    status, _, answer = _fetch(info, "client/api/submit", user=member, body={"view_id": view_id, "values": bad})
    assert status == 400 and "offers no option 'nope'" in json.loads(answer)["error"]
    other = sandbox.world.tokens[info.admin_token].user_id
    status, _, _ = _fetch(info, "client/api/submit", user=other, body={"view_id": view_id, "values": {}})
    assert status == 400  # someone else's modal
    assert sandbox.view_stack(view_id) == [view_id]  # nothing changed
    _fetch(info, "client/api/close", user=member, body={"view_id": view_id})


def test_channels_are_those_the_person_can_read(bot: WebClient, info: SlackSandboxInfo, sandbox: SlackSandbox) -> None:
    member = _member(sandbox, info)
    user = sandbox.world.users[member]
    public = sandbox.channel_id("deals-won")
    hidden = next(
        c for c in sandbox.world.conversations.values()
        if c.kind == "private" and member not in c.members and not c.is_archived
    )
    status, _, page = _fetch(info, "client", user=member)
    assert f'href="/client/channels/{public}"' in page and f'href="/client/channels/{hidden.id}"' not in page
    assert _fetch(info, f"client/channels/{hidden.id}", user=member)[0] == 404
    blocks = [{"type": "actions", "elements": [
        {"type": "button", "action_id": "b", "text": _text(f"Press {HOSTILE}"), "value": "1"}]}]
    ts = bot.chat_postMessage(channel=public, text="x", blocks=blocks)["ts"]
    status, _, page = _fetch(info, f"client/channels/{public}", user=member)
    assert status == 200 and f'data-channel="{public}" data-ts="{ts}"' in page
    assert "Press &lt;img src=x" in page and f"Press {HOSTILE}" not in page
    surface = json.loads(_fetch(info, f"client/api/surface?channel={public}", user=member)[2])
    assert surface["channel"]["channel"] == public and f'data-ts="{ts}"' in surface["channel"]["html"]
    assert json.loads(_fetch(info, f"client/api/surface?channel={hidden.id}", user=member)[2])["channel"] is None
    refused = {"channel": hidden.id, "message_ts": ts, "block_id": "x", "action_id": "b", "value": None}
    status, _, answer = _fetch(info, "client/api/action", user=member, body=refused)
    assert status == 400 and "can read" in json.loads(answer)["error"]
    assert user.team_id in sandbox.world.conversations[public].teams


# ---------------------------------------------------------------------------- state shapes and checks
FORM = {"blocks": [b for b in HOME_BLOCKS if b["type"] in ("input", "actions")]}


def test_raw_values_become_slacks_state_shapes() -> None:
    raw = {
        "a1": {"who": "U1", "day": ""},
        "i1": {"notes": "hi\nthere"},
        "i2": {"amount": "7"},
        "i3": {"stage": "q"},
        "i4": {"flags": ["hot", "cold"]},
        "i5": {"account": {"text": _text("Acme"), "value": "acme", "extra": 1}},
    }
    state = view_state(FORM, raw, lambda user_id: user_id == "U1")
    assert state == {
        "a1": {"who": {"type": "users_select", "selected_user": "U1"},
               "day": {"type": "datepicker", "selected_date": None}},
        "i1": {"notes": {"type": "plain_text_input", "value": "hi\nthere"}},
        "i2": {"amount": {"type": "number_input", "value": "7"}},
        "i3": {"stage": {"type": "static_select", "selected_option": _option("Qualify", "q")}},
        "i4": {"flags": {"type": "checkboxes", "selected_options": [
            _option("Hot", "hot", description=_text("very")), _option("Cold", "cold")]}},
        "i5": {"account": {"type": "external_select", "selected_option": {"text": _text("Acme"), "value": "acme"}}},
    }
    assert input_problems(FORM, state) == {}
    empty = view_state(FORM, {}, lambda user_id: True)
    assert empty["i1"]["notes"] == {"type": "plain_text_input", "value": None}
    assert empty["i4"]["flags"] == {"type": "checkboxes", "selected_options": []}
    assert input_problems(FORM, empty) == {"i2": "Please complete this required field.",
                                           "i3": "Please complete this required field."}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"a1": {"who": "U404"}}, "no user"),
        ({"a1": {"day": "31/01/2026"}}, "YYYY-MM-DD"),
        ({"i4": {"flags": ["warm"]}}, "no option 'warm'"),
        ({"i5": {"account": "acme"}}, "option object"),
        ({"i1": {"notes": 3}}, "string"),
    ],
)
def test_values_an_element_cannot_hold_are_refused(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(ClientInputError, match=message):
        view_state(FORM, raw, lambda user_id: user_id == "U1")


@pytest.mark.parametrize(
    ("element", "text", "message"),
    [
        ({"type": "plain_text_input", "action_id": "t", "min_length": 3}, "ab", "Please enter at least 3 characters."),
        ({"type": "plain_text_input", "action_id": "t", "max_length": 3}, "abcd", "Please enter no more than 3 characters."),
        ({"type": "number_input", "action_id": "t", "is_decimal_allowed": False}, "1.5", "Please enter a whole number."),
        ({"type": "number_input", "action_id": "t", "is_decimal_allowed": True, "min_value": "2"}, "1.5",
         "Please enter a number at least 2."),
        ({"type": "number_input", "action_id": "t", "is_decimal_allowed": True}, "1e", "Please enter a number."),
    ],
)
def test_the_clients_own_checks(element: dict[str, Any], text: str, message: str) -> None:
    view = {"blocks": [{"type": "input", "block_id": "b", "label": _text("L"), "element": element}]}
    assert input_problems(view, view_state(view, {"b": {"t": text}}, lambda user_id: True)) == {"b": message}


CHOICES: dict[str, Any] = {"blocks": [  # the shapes of the notification modal of the Sales tab (issue 20 §2)
    {"type": "input", "block_id": "scope", "label": _text("Which records"), "dispatch_action": True,
     "element": {"type": "radio_buttons", "action_id": "scope",
                 "options": [_option("Mine", "mine"), _option("My team's", "team", description=_text("below me"))],
                 "initial_option": _option("Mine", "mine")}},
    {"type": "input", "block_id": "stages", "label": _text("Stages"), "optional": True,
     "element": {"type": "multi_static_select", "action_id": "stages", "placeholder": _text("Any stage"),
                 "options": [_option("Qualify", "q"), _option("Won", "w")], "initial_options": [_option("Won", "w")]}},
    {"type": "input", "block_id": "note", "label": _text("Note"), "dispatch_action": True,
     "element": {"type": "plain_text_input", "action_id": "note"}},
    {"type": "input", "block_id": "plain", "label": _text("Plain"),
     "element": {"type": "static_select", "action_id": "plain", "options": [_option("A", "a")]}},
]}


def test_radio_buttons_multi_selects_and_dispatching_inputs(
    bot: WebClient, info: SlackSandboxInfo, sandbox: SlackSandbox
) -> None:
    """Block Kit reference, "Radio button group element" (``selected_option``), "Multi-select menu element"
    (``selected_options``) and "Input block" (``dispatch_action``: using the element sends ``block_actions``)."""
    member = _person_without_views(sandbox)
    bot.views_publish(user_id=member, view={"type": "home", "blocks": CHOICES["blocks"]})
    status, _, page = _fetch(info, "client/apps/sales", user=member)
    assert status == 200
    home = page.split('<div id="home"', 1)[1].split('<div id="modal-root"', 1)[0]
    assert re.search(r'<input type="radio" name="[^"]+" value="mine" checked> Mine', home)
    assert re.search(r'<input type="radio" name="[^"]+" value="team"> My team', home)
    assert 'role="radiogroup"' in home and "below me" in home
    assert 'multiple title="Any stage"' in home and '<option value="w" selected>Won</option>' in home
    assert '<option value="q">Qualify</option>' in home
    kinds = {k: ("data-dispatch" in home.split(f'data-kind="{k}"', 1)[1].split(">", 1)[0])
             for k in ("radio_buttons", "plain_text_input", "static_select", "multi_static_select")}
    assert kinds == {"radio_buttons": True, "plain_text_input": True, "static_select": False,
                     "multi_static_select": False}  # only the elements of blocks with dispatch_action

    state = view_state(CHOICES, {"scope": {"scope": "team"}, "stages": {"stages": ["q", "w"]}, "plain": {"plain": "a"}},
                       lambda user_id: True)
    assert state["scope"] == {"scope": {"type": "radio_buttons", "selected_option": _option(
        "My team's", "team", description=_text("below me"))}}
    assert state["stages"] == {"stages": {"type": "multi_static_select",
                                          "selected_options": [_option("Qualify", "q"), _option("Won", "w")]}}
    assert input_problems(CHOICES, view_state(CHOICES, {}, lambda user_id: True)) == {
        "scope": "Please complete this required field.", "note": "Please complete this required field.",
        "plain": "Please complete this required field."}
    with pytest.raises(ClientInputError, match="no option 'x'"):
        view_state(CHOICES, {"stages": {"stages": ["x"]}}, lambda user_id: True)
    with pytest.raises(ClientInputError, match="no option 'all'"):
        view_state(CHOICES, {"scope": {"scope": "all"}}, lambda user_id: True)


# ---------------------------------------------------------------------------- datetime picker
WHEN = 1628633820  # "August 10th, 2021 at 03:17pm PST" (Block Kit reference, "Datetime picker element")
DATE_TIMES: dict[str, Any] = {"type": "modal", "title": _text("Next call"), "submit": _text("Save"), "blocks": [
    {"type": "input", "block_id": "next", "label": _text("Next call"),
     "element": {"type": "datetimepicker", "action_id": "when", "initial_date_time": WHEN}},
    {"type": "actions", "block_id": "act", "elements": [{"type": "datetimepicker", "action_id": "remind"}]},
]}


@pytest.fixture()
def in_paris(sandbox: SlackSandbox) -> Iterator[str]:
    """A person without views whose Slack time zone is Paris (CET, UTC+1 in January; CEST, UTC+2 in August)."""
    person = _person_without_views(sandbox)
    user = sandbox.world.users[person]
    before, user.tz = user.tz, "Europe/Paris"
    try:
        yield person
    finally:
        user.tz = before


def test_a_datetime_picker_shows_and_sends_the_time_in_the_viewers_zone(
    bot: WebClient, info: SlackSandboxInfo, sandbox: SlackSandbox, in_paris: str
) -> None:
    """Block Kit reference, "Datetime picker element": ``initial_date_time`` and ``selected_date_time`` are UNIX
    timestamps in seconds, shown in the user's time zone; every stateful element is in ``state.values``."""
    view_id = bot.views_open(trigger_id=sandbox.mint_trigger(in_paris), view=DATE_TIMES)["view"]["id"]
    html = json.loads(_fetch(info, "client/api/surface", user=in_paris)[2])["modal"]["html"]
    shown = html.split('data-kind="datetimepicker"', 1)[1].split(">", 1)[0]
    assert 'value="2021-08-11T00:17"' in shown  # 22:17 UTC is 00:17 the next day in Paris (summer time)
    assert 'type="datetime-local"' in html.split('data-kind="datetimepicker"', 1)[0].rsplit("<input", 1)[1]
    assert "Europe/Paris" in html
    empty = {"next": {"when": ""}}
    status, _, answer = _fetch(info, "client/api/submit", user=in_paris, body={"view_id": view_id, "values": empty})
    assert json.loads(answer)["errors"] == {"next": "Please complete this required field."}  # nothing sent
    bad = {"next": {"when": "2027-01-15 10:00"}}
    status, _, answer = _fetch(info, "client/api/submit", user=in_paris, body={"view_id": view_id, "values": bad})
    assert status == 400 and "YYYY-MM-DDTHH:MM" in json.loads(answer)["error"]

    double = AppDouble(sandbox.app.signing_secret)
    with double.running():
        sandbox.configure_app(interactivity_url=double.url)
        try:
            typed = {"next": {"when": "2027-01-15T10:00"}, "act": {"remind": ""}}
            status, _, answer = _fetch(info, "client/api/submit", user=in_paris,
                                       body={"view_id": view_id, "values": typed})
            [got] = double.wait_for(1)
        finally:
            sandbox.configure_app(interactivity_url=None)
    assert status == 200 and json.loads(answer)["ok"], answer
    assert got.payload["type"] == "view_submission"
    assert got.payload["view"]["state"]["values"] == {
        "next": {"when": {"type": "datetimepicker",
                          "selected_date_time": int(datetime(2027, 1, 15, 9, 0, tzinfo=UTC).timestamp())}},
        "act": {"remind": {"type": "datetimepicker", "selected_date_time": None}},
    }
    assert sandbox.view_stack(view_id) == []  # the app's empty answer closed it


def test_datetime_values_and_views_slack_refuses() -> None:
    state = view_state(DATE_TIMES, {"next": {"when": "2027-07-15T10:00:30"}}, lambda user_id: True,
                       ZoneInfo("Europe/Paris"))
    assert state["next"]["when"]["selected_date_time"] == int(datetime(2027, 7, 15, 8, 0, 30, tzinfo=UTC).timestamp())
    with pytest.raises(ClientInputError, match="no such date-time"):
        view_state(DATE_TIMES, {"next": {"when": "2027-02-30T10:00"}}, lambda user_id: True)
    element = DATE_TIMES["blocks"][0]["element"]
    for wrong in ("1628633820", 1628633820.5, 16286338200):
        problems = validate_blocks([{**DATE_TIMES["blocks"][0], "element": {**element, "initial_date_time": wrong}}])
        assert problems and "initial_date_time" in problems[0]
    accessory = {"type": "section", "text": _text("When"), "accessory": element}
    assert validate_blocks([accessory]) == ["unsupported element type 'datetimepicker' [json-pointer:/blocks/0/accessory/type]"]
    assert validate_blocks(DATE_TIMES["blocks"]) == []
