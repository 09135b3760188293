"""Interactivity from the Slack sandbox to a real app counterpart (``app_double.py``).

Follows "Handling user interaction" (form-encoded ``payload=``, signed, 3-second acknowledgement), the
payload references (``block_actions``, ``block_suggestion``, ``view_submission``, ``view_closed``) and
"Modals" (``response_action`` ``errors``/``update``/``push``/``clear``; an empty answer closes the
current view).  The app verifies every request with slack-sdk's ``SignatureVerifier``; it calls the
sandbox back with slack-sdk's ``WebClient`` as an app would.
"""

from __future__ import annotations

import json
import urllib.error
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from saleshome.sandbox.slack.interactivity import REQUIRED, TROUBLE
from saleshome.sandbox.slack.ratelimit import RateLimits
from saleshome.sandbox.slack.server import SlackSandbox

from .app_double import AppDouble, Received, Reply, json_reply
from .conftest import control, web_client


@pytest.fixture(scope="module")
def sandbox_i() -> Iterator[SlackSandbox]:
    with SlackSandbox(seed=13, history=False, rate_limits=RateLimits(enabled=False)) as sb:
        yield sb


@pytest.fixture()
def app(sandbox_i: SlackSandbox) -> Iterator[AppDouble]:
    double = AppDouble(sandbox_i.app.signing_secret)
    with double.running():
        sandbox_i.configure_app(interactivity_url=double.url)
        yield double
        sandbox_i.configure_app(interactivity_url=None)


@pytest.fixture(scope="module")
def bot(sandbox_i: SlackSandbox) -> WebClient:
    assert sandbox_i.info is not None
    return web_client(sandbox_i.info, sandbox_i.info.bot_token)


@pytest.fixture(scope="module")
def user(sandbox_i: SlackSandbox) -> str:
    assert sandbox_i.info is not None
    return sandbox_i.world.tokens[sandbox_i.info.member_token].user_id


def _text(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _option(value: str) -> dict[str, Any]:
    return {"text": _text(value.title()), "value": value}


def _input(block_id: str, element: dict[str, Any], *, optional: bool = False) -> dict[str, Any]:
    return {"type": "input", "block_id": block_id, "label": _text(block_id), "element": element, "optional": optional}


FORM_BLOCKS = [
    _input("name", {"type": "plain_text_input", "action_id": "name_in"}),
    _input("amount", {"type": "number_input", "action_id": "amount_in", "is_decimal_allowed": True}, optional=True),
    _input("close", {"type": "datepicker", "action_id": "close_in"}, optional=True),
    _input("stage", {"type": "static_select", "action_id": "stage_in", "options": [_option("prospecting"),
                                                                                    _option("closed_won")]},
           optional=True),
    _input("flags", {"type": "checkboxes", "action_id": "flags_in", "options": [_option("hot"), _option("cold")]},
           optional=True),
    _input("owner", {"type": "users_select", "action_id": "owner_in"}, optional=True),
    _input("account", {"type": "external_select", "action_id": "account_in", "min_query_length": 1}, optional=True),
    {"type": "actions", "block_id": "more", "elements": [
        {"type": "button", "action_id": "details", "text": _text("Details"), "value": "d1"},
        {"type": "static_select", "action_id": "sort", "options": [_option("name"), _option("amount")]},
    ]},
]


def _modal(title: str = "Opportunity", blocks: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    return {"type": "modal", "title": _text(title), "submit": _text("Save"), "close": _text("Cancel"),
            "blocks": blocks if blocks is not None else FORM_BLOCKS, **extra}


def _open(sandbox: SlackSandbox, bot: WebClient, user: str, view: dict[str, Any] | None = None) -> dict[str, Any]:
    return dict(bot.views_open(trigger_id=sandbox.mint_trigger(user), view=view or _modal())["view"])


def _home(bot: WebClient, user: str) -> dict[str, Any]:
    view = {"type": "home", "blocks": [{"type": "actions", "block_id": "nav", "elements": [
        {"type": "button", "action_id": "open_list", "text": _text("Opportunities"), "value": "opps"}]}]}
    return dict(bot.views_publish(user_id=user, view=view)["view"])


def _stored(sandbox: SlackSandbox, view_id: str) -> Any:
    assert sandbox.api is not None
    return sandbox.api.views.views[view_id]


# ---------------------------------------------------------------------------- block_actions
def test_a_home_tab_button_sends_block_actions_whose_trigger_opens_one_modal(
    sandbox_i: SlackSandbox, app: AppDouble, bot: WebClient, user: str
) -> None:
    home = _home(bot, user)
    opened: list[str] = []

    def open_modal(got: Received) -> Reply:
        opened.append(bot.views_open(trigger_id=got.payload["trigger_id"], view=_modal("List"))["view"]["id"])
        return Reply(200)

    app.handler = open_modal
    outcome = sandbox_i.interactions.block_action(user, action={"action_id": "open_list"}, block_id="nav",
                                                  view_id=home["id"])
    assert outcome.ok and outcome.error is None and outcome.view_id == home["id"]
    (got,) = app.wait_for(1)
    assert got.signature_ok and got.headers["content-type"] == "application/x-www-form-urlencoded"
    payload = got.payload
    assert payload["type"] == "block_actions" and payload["user"]["id"] == user
    assert payload["container"] == {"type": "view", "view_id": home["id"]}
    assert payload["view"]["id"] == home["id"] and payload["view"]["type"] == "home"
    (action,) = payload["actions"]
    assert action["type"] == "button" and action["action_id"] == "open_list" and action["block_id"] == "nav"
    assert action["value"] == "opps" and action["text"]["text"] == "Opportunities" and action["action_ts"]
    assert payload["api_app_id"] == sandbox_i.world.app_id
    assert len(opened) == 1 and sandbox_i.view(opened[0])["title"]["text"] == "List"
    with pytest.raises(SlackApiError) as caught:  # a trigger opens one modal
        bot.views_open(trigger_id=payload["trigger_id"], view=_modal("Again"))
    assert caught.value.response["error"] == "exchanged_trigger_id"


def test_a_select_in_a_modal_sends_its_value_and_its_trigger_can_push(
    sandbox_i: SlackSandbox, app: AppDouble, bot: WebClient, user: str
) -> None:
    view = _open(sandbox_i, bot, user)
    outcome = sandbox_i.interactions.block_action(
        user, action={"action_id": "sort", "selected_option": {"value": "amount"}}, block_id="more", view_id=view["id"]
    )
    assert outcome.ok
    payload = app.wait_for(1)[0].payload
    (action,) = payload["actions"]
    assert action["type"] == "static_select" and action["selected_option"] == _option("amount")
    values = payload["view"]["state"]["values"]
    assert values["more"]["sort"] == {"type": "static_select", "selected_option": _option("amount")}
    assert values["name"]["name_in"] == {"type": "plain_text_input", "value": None}
    assert values["flags"]["flags_in"] == {"type": "checkboxes", "selected_options": []}
    assert _stored(sandbox_i, view["id"]).state["more"]["sort"]["selected_option"]["value"] == "amount"
    pushed = bot.views_push(trigger_id=payload["trigger_id"], view=_modal("Pushed", []))["view"]
    assert sandbox_i.view_stack(view["id"]) == [view["id"], pushed["id"]]


def test_a_message_button_sends_the_message_and_a_response_url(
    sandbox_i: SlackSandbox, app: AppDouble, bot: WebClient, user: str
) -> None:
    channel = sandbox_i.channel_id("sales")
    posted = bot.chat_postMessage(channel=channel, text="Deal won", blocks=[
        {"type": "actions", "block_id": "deal", "elements": [
            {"type": "button", "action_id": "congrats", "text": _text("Congrats"), "value": "006A"}]}])
    outcome = sandbox_i.interactions.block_action(user, action={"action_id": "congrats"}, block_id="deal",
                                                  channel=channel, message_ts=posted["ts"])
    assert outcome.ok and outcome.view is None
    payload = app.wait_for(1)[0].payload
    assert payload["container"] == {"type": "message", "message_ts": posted["ts"], "channel_id": channel,
                                    "is_ephemeral": False}
    assert payload["channel"]["id"] == channel and payload["message"]["ts"] == posted["ts"]
    assert payload["message"]["text"] == "Deal won" and payload["response_url"].startswith("http://127.0.0.1:")
    assert payload["actions"][0]["value"] == "006A" and "view" not in payload


def test_the_response_url_replaces_posts_whispers_and_deletes_five_times_at_most(
    sandbox_i: SlackSandbox, app: AppDouble, bot: WebClient, user: str
) -> None:
    channel = sandbox_i.channel_id("sales")
    posted = bot.chat_postMessage(channel=channel, text="Deal won", blocks=[
        {"type": "actions", "block_id": "deal", "elements": [
            {"type": "button", "action_id": "congrats", "text": _text("Congrats"), "value": "006A"}]}])
    sandbox_i.interactions.block_action(user, action={"action_id": "congrats"}, block_id="deal",
                                        channel=channel, message_ts=posted["ts"])
    hook = WebhookClient(app.wait_for(1)[0].payload["response_url"])  # what Bolt's respond() uses

    def shown(ts: str) -> Any:
        return next(m for m in sandbox_i.messages(channel) if m.ts == ts)

    replaced = hook.send(text="Congratulated", replace_original=True)
    assert replaced.status_code == 200 and replaced.body == "ok"
    assert shown(posted["ts"]).text == "Congratulated" and shown(posted["ts"]).blocks is None
    assert hook.send(text="Well done team", response_type="in_channel").status_code == 200
    assert sandbox_i.messages(channel)[-1].text == "Well done team"
    assert hook.send(text="Only you see this").status_code == 200
    assert sandbox_i.info is not None
    whispers = control(sandbox_i.info, "GET", f"ephemeral?user={user}")["messages"]
    assert [(m["channel"], m["text"]) for m in whispers] == [(channel, "Only you see this")]
    assert hook.send(delete_original=True).status_code == 200 and shown(posted["ts"]).deleted
    assert hook.send(text="Fifth").status_code == 200
    refused = hook.send(text="Sixth")
    assert refused.status_code == 404 and refused.body == "used_url"


def test_an_unknown_element_is_refused_before_anything_is_sent(
    sandbox_i: SlackSandbox, app: AppDouble, bot: WebClient, user: str
) -> None:
    home = _home(bot, user)
    with pytest.raises(ValueError, match="no element"):
        sandbox_i.interactions.block_action(user, action={"action_id": "nope"}, block_id="nav", view_id=home["id"])
    with pytest.raises(ValueError, match="not one of the element's options"):
        view = _open(sandbox_i, bot, user)
        sandbox_i.interactions.block_action(
            user, action={"action_id": "sort", "selected_option": {"value": "x"}}, block_id="more", view_id=view["id"]
        )
    assert app.received == []


# ---------------------------------------------------------------------------- block_suggestion
def test_an_external_select_gets_the_apps_options(
    sandbox_i: SlackSandbox, app: AppDouble, bot: WebClient, user: str
) -> None:
    view = _open(sandbox_i, bot, user)
    app.answer(json_reply({"options": [_option("acme"), _option("acme_eu")]}),
               json_reply({"options": [_option(f"a{i}") for i in range(101)]}))
    found = sandbox_i.interactions.suggestions(user, view_id=view["id"], block_id="account", action_id="account_in",
                                               value="ac")
    assert found == [_option("acme"), _option("acme_eu")]
    payload = app.wait_for(1)[0].payload
    assert payload["type"] == "block_suggestion" and payload["value"] == "ac"
    assert payload["action_id"] == "account_in" and payload["block_id"] == "account"
    assert payload["view"]["id"] == view["id"]
    assert sandbox_i.interactions.suggestions(user, view_id=view["id"], block_id="account",
                                              action_id="account_in", value="a") == []  # over 100: none shown


# ---------------------------------------------------------------------------- view_submission
FILLED: dict[str, dict[str, dict[str, Any]]] = {
    "name": {"name_in": {"value": "Acme renewal"}},
    "amount": {"amount_in": {"value": "1200.50"}},
    "close": {"close_in": {"selected_date": "2026-12-31"}},
    "stage": {"stage_in": {"selected_option": {"value": "closed_won"}}},
    "flags": {"flags_in": {"selected_options": [{"value": "hot"}]}},
    "account": {"account_in": {"selected_option": _option("acme")}},
}


def test_a_submission_sends_every_input_in_slacks_shapes_and_an_empty_answer_closes_the_modal(
    sandbox_i: SlackSandbox, app: AppDouble, bot: WebClient, user: str
) -> None:
    view = _open(sandbox_i, bot, user)
    outcome = sandbox_i.interactions.submit(user, view_id=view["id"],
                                            values={**FILLED, "owner": {"owner_in": {"selected_user": user}}})
    assert outcome.ok and outcome.closed and outcome.view is None
    payload = app.wait_for(1)[0].payload
    assert payload["type"] == "view_submission" and payload["trigger_id"] and payload["response_urls"] == []
    assert payload["view"]["id"] == view["id"]
    assert payload["view"]["state"]["values"] == {
        "name": {"name_in": {"type": "plain_text_input", "value": "Acme renewal"}},
        "amount": {"amount_in": {"type": "number_input", "value": "1200.50"}},
        "close": {"close_in": {"type": "datepicker", "selected_date": "2026-12-31"}},
        "stage": {"stage_in": {"type": "static_select", "selected_option": _option("closed_won")}},
        "flags": {"flags_in": {"type": "checkboxes", "selected_options": [_option("hot")]}},
        "owner": {"owner_in": {"type": "users_select", "selected_user": user}},
        "account": {"account_in": {"type": "external_select", "selected_option": _option("acme")}},
        "more": {"sort": {"type": "static_select", "selected_option": None}},
    }
    assert _stored(sandbox_i, view["id"]).closed and sandbox_i.view_stack(view["id"]) == []
    with pytest.raises(SlackApiError) as caught:
        bot.views_update(view_id=view["id"], view=_modal())
    assert caught.value.response["error"] == "not_found"


def test_a_required_input_left_empty_is_refused_by_the_client(
    sandbox_i: SlackSandbox, app: AppDouble, bot: WebClient, user: str
) -> None:
    view = _open(sandbox_i, bot, user)
    outcome = sandbox_i.interactions.submit(user, view_id=view["id"], values={"name": {"name_in": {"value": ""}}})
    assert not outcome.ok and outcome.errors == {"name": REQUIRED} and outcome.payload is None
    assert app.received == [] and not _stored(sandbox_i, view["id"]).closed


def test_response_action_errors_keeps_the_modal_and_the_values_survive_views_update(
    sandbox_i: SlackSandbox, app: AppDouble, bot: WebClient, user: str
) -> None:
    view = _open(sandbox_i, bot, user)
    app.answer(json_reply({"response_action": "errors", "errors": {"amount": "Must be positive"}}))
    outcome = sandbox_i.interactions.submit(user, view_id=view["id"], values=FILLED)
    assert outcome.ok and outcome.errors == {"amount": "Must be positive"} and not outcome.closed
    assert outcome.view_id == view["id"] and sandbox_i.view_stack(view["id"]) == [view["id"]]
    updated = bot.views_update(view_id=view["id"], view=_modal("Check the amount"))["view"]
    assert updated["state"]["values"]["name"]["name_in"] == {"type": "plain_text_input", "value": "Acme renewal"}
    assert updated["state"]["values"]["amount"]["amount_in"]["value"] == "1200.50"


def test_response_action_update_replaces_the_view_as_views_update_would(
    sandbox_i: SlackSandbox, app: AppDouble, bot: WebClient, user: str
) -> None:
    view = _open(sandbox_i, bot, user)
    app.answer(json_reply({"response_action": "update", "view": _modal("Saved", [])}))
    outcome = sandbox_i.interactions.submit(user, view_id=view["id"], values=FILLED)
    assert outcome.ok and outcome.view is not None
    assert outcome.view_id == view["id"] and outcome.view["title"]["text"] == "Saved"
    assert outcome.view["hash"] != view["hash"]
    before = sandbox_i.view(view["id"])
    app.answer(json_reply({"response_action": "update", "view": _modal("A title far longer than 24 chars", [])}))
    refused = sandbox_i.interactions.submit(user, view_id=view["id"], values={})
    assert not refused.ok and refused.error == TROUBLE and sandbox_i.view(view["id"]) == before


def test_response_action_push_pushes_up_to_the_limit_and_clear_closes_the_stack(
    sandbox_i: SlackSandbox, app: AppDouble, bot: WebClient, user: str
) -> None:
    view = _open(sandbox_i, bot, user)
    second = _modal("Second", [_input("note", {"type": "plain_text_input", "action_id": "note_in"}, optional=True)])
    app.answer(json_reply({"response_action": "push", "view": second}))
    pushed = sandbox_i.interactions.submit(user, view_id=view["id"], values=FILLED)
    assert pushed.ok and pushed.view is not None and pushed.view["title"]["text"] == "Second"
    assert pushed.view["previous_view_id"] == view["id"] and pushed.view["root_view_id"] == view["id"]
    app.answer(json_reply({"response_action": "push", "view": _modal("Third", [])}))
    third = sandbox_i.interactions.submit(user, view_id=str(pushed.view_id), values={})
    assert third.ok and len(sandbox_i.view_stack(view["id"])) == 3
    with pytest.raises(ValueError, match="not on top"):  # only the top view can be submitted
        sandbox_i.interactions.submit(user, view_id=view["id"], values={})
    app.answer(json_reply({"response_action": "push", "view": _modal("Fourth", [])}))
    over = sandbox_i.interactions.submit(user, view_id=str(third.view_id), values={})
    assert not over.ok and over.error == TROUBLE and len(sandbox_i.view_stack(view["id"])) == 3
    app.answer(Reply(200))  # empty answer on a pushed view: back to the one below
    back = sandbox_i.interactions.submit(user, view_id=str(third.view_id), values={})
    assert back.ok and back.view_id == pushed.view_id and not back.closed
    app.answer(json_reply({"response_action": "clear"}))
    cleared = sandbox_i.interactions.submit(user, view_id=str(pushed.view_id), values={})
    assert cleared.ok and cleared.closed and cleared.view is None
    assert sandbox_i.view_stack(view["id"]) == [] and _stored(sandbox_i, view["id"]).closed


@pytest.mark.parametrize("reply", [Reply(200, delay=3.4), Reply(500), Reply(200, b"{not json")],
                         ids=["silent for 3 s", "HTTP 500", "bad JSON"])
def test_an_unacknowledged_submission_changes_nothing(
    sandbox_i: SlackSandbox, app: AppDouble, bot: WebClient, user: str, reply: Reply
) -> None:
    view = _open(sandbox_i, bot, user)
    before = sandbox_i.view(view["id"])
    app.answer(reply)
    outcome = sandbox_i.interactions.submit(user, view_id=view["id"], values=FILLED)
    assert not outcome.ok and outcome.error == TROUBLE == "We had some trouble connecting. Try again?"
    assert outcome.view_id == view["id"] and not outcome.closed
    stored = _stored(sandbox_i, view["id"])
    assert not stored.closed and stored.state == {} and sandbox_i.view(view["id"]) == before
    assert sandbox_i.view_stack(view["id"]) == [view["id"]]


def test_a_silent_block_action_records_nothing(
    sandbox_i: SlackSandbox, app: AppDouble, bot: WebClient, user: str
) -> None:
    view = _open(sandbox_i, bot, user)
    app.answer(Reply(200, delay=3.4))
    outcome = sandbox_i.interactions.block_action(
        user, action={"action_id": "sort", "selected_option": {"value": "name"}}, block_id="more", view_id=view["id"]
    )
    assert not outcome.ok and outcome.error == TROUBLE and _stored(sandbox_i, view["id"]).state == {}


# ---------------------------------------------------------------------------- view_closed
def test_closing_notifies_only_when_the_view_asks(
    sandbox_i: SlackSandbox, app: AppDouble, bot: WebClient, user: str
) -> None:
    quiet = _open(sandbox_i, bot, user)
    assert sandbox_i.interactions.close(user, view_id=quiet["id"]).closed
    assert app.received == []
    noisy = _open(sandbox_i, bot, user, _modal(notify_on_close=True))
    outcome = sandbox_i.interactions.close(user, view_id=noisy["id"])
    assert outcome.ok and outcome.closed and outcome.status == 200
    payload = app.wait_for(1)[0].payload
    assert payload["type"] == "view_closed" and payload["view"]["id"] == noisy["id"] and payload["is_cleared"] is False
    assert _stored(sandbox_i, noisy["id"]).closed


def test_without_an_interactivity_url_nothing_is_sent(sandbox_i: SlackSandbox, bot: WebClient, user: str) -> None:
    home = _home(bot, user)
    outcome = sandbox_i.interactions.block_action(user, action={"action_id": "open_list"}, block_id="nav",
                                                  view_id=home["id"])
    assert not outcome.ok and outcome.error and "interactivity" in outcome.error


# ---------------------------------------------------------------------------- control endpoints
def test_the_client_control_endpoints(sandbox_i: SlackSandbox, app: AppDouble, bot: WebClient, user: str) -> None:
    info = sandbox_i.info
    assert info is not None
    view = _open(sandbox_i, bot, user)
    app.answer(json_reply({"response_action": "errors", "errors": {"name": "Taken"}}))
    answer = control(info, "POST", "client/view_submission", {"user": user, "view_id": view["id"], "values": FILLED})
    assert answer["outcome"]["ok"] and answer["outcome"]["errors"] == {"name": "Taken"}
    assert answer["outcome"]["view_id"] == view["id"]
    app.answer(json_reply({"options": [_option("acme")]}))
    options = control(info, "POST", "client/block_suggestion",
                      {"user": user, "view_id": view["id"], "block_id": "account", "action_id": "account_in",
                       "value": "a"})["options"]
    assert options == [_option("acme")]
    acted = control(info, "POST", "client/block_actions",
                    {"user": user, "view_id": view["id"], "block_id": "more", "action": {"action_id": "details"}})
    assert acted["outcome"]["ok"]
    closed = control(info, "POST", "client/view_closed", {"user": user, "view_id": view["id"]})
    assert closed["outcome"]["closed"]
    with pytest.raises(urllib.error.HTTPError) as caught:
        control(info, "POST", "client/view_submission", {"user": user, "view_id": view["id"], "values": {}})
    assert caught.value.code == 400 and "no open view" in json.loads(caught.value.read())["detail"]
