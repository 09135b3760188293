"""Surfaces through slack-sdk: ``views.publish``, ``views.open``, ``views.update``, ``views.push``.

Follows Slack's method reference pages (``views.*``: answers, ``hash_conflict``, ``not_found``,
``push_limit_reached``, ``duplicate_external_id``, ``view_too_large``, the trigger errors), "Modal
views" / "Home tab views" (limits) and "Sequencing interactions with triggers" (3 seconds, one use).
Triggers come from ``sandbox.mint_trigger``, as the interactivity of the sandbox will hand them out.
"""

from __future__ import annotations

import time
import urllib.error
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from saleshome.sandbox.slack.ratelimit import RateLimits
from saleshome.sandbox.slack.server import SlackSandbox, SlackSandboxInfo
from saleshome.sandbox.slack.view_store import TRIGGER_LIFETIME

from .conftest import control, web_client

SCHEMA_LINE = "[ERROR] failed to match all allowed schemas [json-pointer:/view]"


def _fail(call: Any) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as caught:
        call()
    return dict(caught.value.response.data)  # type: ignore[arg-type]


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _modal(heading: str = "Opportunity", **extra: Any) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "title": {"type": "plain_text", "text": heading},
        "close": {"type": "plain_text", "text": "Back"},
        "blocks": [_section("Acme — 120,000 €")],
    }
    view.update(extra)
    return view


def _input(element: dict[str, Any], block_id: str = "field") -> dict[str, Any]:
    return {"type": "input", "block_id": block_id, "label": {"type": "plain_text", "text": "Field"}, "element": element}


def _options(count: int) -> list[dict[str, Any]]:
    return [{"text": {"type": "plain_text", "text": f"Option {i}"}, "value": f"v{i}"} for i in range(count)]


@pytest.fixture()
def member_id(sandbox: SlackSandbox, info: SlackSandboxInfo) -> str:
    return sandbox.world.tokens[info.member_token].user_id


@pytest.fixture()
def opened(bot: WebClient, sandbox: SlackSandbox, member_id: str) -> dict[str, Any]:
    """A modal the member has open (its root view)."""
    view: dict[str, Any] = bot.views_open(trigger_id=sandbox.mint_trigger(member_id), view=_modal())["view"]
    return view


# ----------------------------------------------------------------------------- views.publish
def test_publish_the_home_tab(bot: WebClient, sandbox: SlackSandbox, member_id: str) -> None:
    home = {"type": "home", "callback_id": "sales_home", "private_metadata": "org=1", "blocks": [_section("*Sales*")]}
    view = bot.views_publish(user_id=member_id, view=home)["view"]
    assert view["id"].startswith("V") and view["type"] == "home"
    assert view["team_id"] == sandbox.world.users[member_id].team_id
    assert view["root_view_id"] == view["id"] and view["previous_view_id"] is None
    assert view["app_id"] == sandbox.world.app_id and view["bot_id"] == sandbox.world.bot_id
    assert view["close"] is None and view["submit"] is None and "title" not in view
    assert view["state"] == {"values": {}} and view["hash"] and view["external_id"] == ""
    assert view["callback_id"] == "sales_home" and view["private_metadata"] == "org=1"
    assert view["blocks"][0]["text"]["text"] == "*Sales*" and view["blocks"][0]["block_id"]
    assert sandbox.home_view(member_id) == {**home, "blocks": view["blocks"]}


def test_publishing_again_keeps_the_view_and_changes_its_hash(
    bot: WebClient, sandbox: SlackSandbox, member_id: str
) -> None:
    first = bot.views_publish(user_id=member_id, view={"type": "home", "blocks": [_section("one")]})["view"]
    second = bot.views_publish(
        user_id=member_id, view={"type": "home", "blocks": [_section("two")]}, hash=first["hash"]
    )
    assert second["view"]["id"] == first["id"] and second["view"]["hash"] != first["hash"]
    stale = _fail(lambda: bot.views_publish(user_id=member_id, view={"type": "home", "blocks": []}, hash=first["hash"]))
    assert stale["error"] == "hash_conflict"
    assert sandbox.home_view(member_id)["blocks"][0]["text"]["text"] == "two"  # type: ignore[index]


def test_every_publish_is_logged_with_its_wall_clock_time(
    bot: WebClient, sandbox: SlackSandbox, info: SlackSandboxInfo, member_id: str
) -> None:
    before = time.time()
    first = bot.views_publish(user_id=member_id, view={"type": "home", "callback_id": "one", "blocks": []})["view"]
    second = bot.views_publish(user_id=member_id, view={"type": "home", "callback_id": "two", "private_metadata": "p=2",
                                                        "blocks": [_section("a"), _section("b")]})["view"]
    after = time.time()
    logged = sandbox.publishes(member_id, since=before)
    assert [(p["view_id"], p["hash"], p["callback_id"], p["private_metadata"], p["blocks"]) for p in logged] == [
        (first["id"], first["hash"], "one", "", 0), (second["id"], second["hash"], "two", "p=2", 2)]
    assert before <= logged[0]["published_at"] <= logged[1]["published_at"] <= after
    assert control(info, "GET", f"/publishes?user={member_id}&since={before}")["publishes"] == logged
    assert sandbox.publishes(member_id, since=after + 1) == []
    with pytest.raises(urllib.error.HTTPError) as refused:
        control(info, "GET", "/publishes?since=yesterday")
    assert refused.value.code == 400


def test_every_update_is_logged_with_its_wall_clock_time(bot: WebClient, sandbox: SlackSandbox,
                                                         member_id: str) -> None:
    opened = bot.views_open(trigger_id=sandbox.mint_trigger(member_id), view=_modal())["view"]
    assert sandbox.api is not None
    before = time.time()
    updated = bot.views_update(view_id=opened["id"], view=_modal("Saved", callback_id="outcome"))["view"]
    after = time.time()
    [logged] = [u for u in sandbox.api.views.updated if u.view_id == opened["id"]]  # views.open is not logged
    assert (logged.user_id, logged.hash, logged.view["callback_id"]) == (member_id, updated["hash"], "outcome")
    assert before <= logged.updated_at <= after
    _fail(lambda: bot.views_update(view_id=opened["id"], view=_modal(), hash="1.stale"))
    assert [u.view_id for u in sandbox.api.views.updated].count(opened["id"]) == 1  # a refused update is not


def test_publish_refuses_an_unknown_user_and_a_modal(bot: WebClient, member_id: str) -> None:
    unknown = _fail(lambda: bot.views_publish(user_id="U0NOBODY00", view={"type": "home", "blocks": []}))
    assert unknown["error"] == "invalid_arguments"
    assert unknown["response_metadata"]["messages"] == ["invalid `user_id`"]
    modal = _fail(lambda: bot.views_publish(user_id=member_id, view=_modal()))
    assert modal["error"] == "invalid_arguments"
    assert "[ERROR] must be home [json-pointer:/view/type]" in modal["response_metadata"]["messages"]


# ----------------------------------------------------------------------------- views.open
def test_open_a_modal(bot: WebClient, sandbox: SlackSandbox, member_id: str) -> None:
    submit = {"type": "plain_text", "text": "Save"}
    modal = _modal(
        submit=submit, callback_id="edit", notify_on_close=True, blocks=[_input({"type": "plain_text_input"})]
    )
    view = bot.views_open(trigger_id=sandbox.mint_trigger(member_id), view=modal)["view"]
    assert view["type"] == "modal" and view["title"] == modal["title"] and view["submit"] == submit
    assert view["root_view_id"] == view["id"] and view["previous_view_id"] is None
    assert view["notify_on_close"] is True and view["clear_on_close"] is False and view["callback_id"] == "edit"
    assert view["team_id"] == sandbox.world.users[member_id].team_id and view["hash"]
    assert sandbox.view_stack(view["id"]) == [view["id"]]


def test_a_trigger_is_needed_and_is_used_once(bot: WebClient, sandbox: SlackSandbox, member_id: str) -> None:
    missing = _fail(lambda: bot.api_call("views.open", json={"view": _modal()}))
    assert missing["error"] == "invalid_arguments"
    assert _fail(lambda: bot.views_open(trigger_id="1.2.abc", view=_modal()))["error"] == "invalid_trigger_id"
    trigger = sandbox.mint_trigger(member_id)
    assert bot.views_open(trigger_id=trigger, view=_modal())["ok"]
    assert _fail(lambda: bot.views_open(trigger_id=trigger, view=_modal()))["error"] == "exchanged_trigger_id"


def test_a_trigger_expires_after_three_seconds(bot: WebClient, sandbox: SlackSandbox, member_id: str) -> None:
    trigger = sandbox.mint_trigger(member_id)
    sandbox.clock.advance(TRIGGER_LIFETIME + 0.5)
    assert _fail(lambda: bot.views_open(trigger_id=trigger, view=_modal()))["error"] == "expired_trigger_id"


def test_a_refused_view_leaves_the_trigger_unused(bot: WebClient, sandbox: SlackSandbox, member_id: str) -> None:
    trigger = sandbox.mint_trigger(member_id)
    assert _fail(lambda: bot.views_open(trigger_id=trigger, view=_modal("x" * 25)))["error"] == "invalid_arguments"
    assert bot.views_open(trigger_id=trigger, view=_modal())["ok"]


def test_external_ids_are_unique(bot: WebClient, sandbox: SlackSandbox, member_id: str) -> None:
    bot.views_open(trigger_id=sandbox.mint_trigger(member_id), view=_modal(external_id="opp-0061"))
    again = _fail(
        lambda: bot.views_open(trigger_id=sandbox.mint_trigger(member_id), view=_modal(external_id="opp-0061"))
    )
    assert again["error"] == "duplicate_external_id"


# ----------------------------------------------------------------------------- views.push
def test_push_at_most_two_views(bot: WebClient, sandbox: SlackSandbox, member_id: str, opened: dict[str, Any]) -> None:
    root = opened["id"]
    first = bot.views_push(trigger_id=sandbox.mint_trigger(member_id, view_id=root), view=_modal("Step 2"))["view"]
    assert first["root_view_id"] == root and first["previous_view_id"] == root
    second = bot.views_push(trigger_id=sandbox.mint_trigger(member_id, view_id=first["id"]), view=_modal("Step 3"))
    assert second["view"]["previous_view_id"] == first["id"] and second["view"]["root_view_id"] == root
    assert sandbox.view_stack(root) == [root, first["id"], second["view"]["id"]]
    full = _fail(lambda: bot.views_push(trigger_id=sandbox.mint_trigger(member_id, view_id=root), view=_modal("4")))
    assert full["error"] == "push_limit_reached"
    assert sandbox.view_stack(root) == [root, first["id"], second["view"]["id"]]


def test_push_needs_a_trigger_from_an_open_modal(bot: WebClient, sandbox: SlackSandbox, member_id: str) -> None:
    home_trigger = sandbox.mint_trigger(member_id)
    assert _fail(lambda: bot.views_push(trigger_id=home_trigger, view=_modal()))["error"] == "not_found"


# ----------------------------------------------------------------------------- views.update
def test_update_by_view_id_and_external_id(
    bot: WebClient, sandbox: SlackSandbox, member_id: str, opened: dict[str, Any]
) -> None:
    by_id = bot.views_update(view_id=opened["id"], view=_modal("Updated", external_id="upd-1"))["view"]
    assert by_id["id"] == opened["id"] and by_id["title"]["text"] == "Updated" and by_id["hash"] != opened["hash"]
    assert by_id["root_view_id"] == opened["id"] and by_id["external_id"] == "upd-1"
    by_external = bot.views_update(external_id="upd-1", view=_modal("Again", external_id="upd-1"), hash=by_id["hash"])
    assert by_external["view"]["id"] == opened["id"]
    assert sandbox.view(opened["id"])["title"]["text"] == "Again"


def test_update_errors(bot: WebClient, sandbox: SlackSandbox, opened: dict[str, Any]) -> None:
    stale = _fail(lambda: bot.views_update(view_id=opened["id"], view=_modal("Late"), hash="1.stale"))
    assert stale["error"] == "hash_conflict"
    assert sandbox.view(opened["id"])["title"]["text"] == "Opportunity"
    assert _fail(lambda: bot.views_update(view_id="V0NOTHERE0", view=_modal()))["error"] == "not_found"
    assert _fail(lambda: bot.views_update(external_id="no-such", view=_modal()))["error"] == "not_found"
    neither = _fail(lambda: bot.api_call("views.update", json={"view": _modal()}))
    assert neither["error"] == "invalid_arguments"
    home = _fail(lambda: bot.views_update(view_id=opened["id"], view={"type": "home", "blocks": []}))
    assert "[ERROR] must be modal [json-pointer:/view/type]" in home["response_metadata"]["messages"]


# ----------------------------------------------------------------------------- validation
def _problems(bot: WebClient, sandbox: SlackSandbox, member_id: str, view: dict[str, Any]) -> list[str]:
    answer = _fail(lambda: bot.views_open(trigger_id=sandbox.mint_trigger(member_id), view=view))
    assert answer["error"] == "invalid_arguments"
    messages: list[str] = answer["response_metadata"]["messages"]
    assert messages[0] == SCHEMA_LINE
    return messages[1:]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            {"title": {"type": "plain_text", "text": "x" * 25}},
            "must be less than 25 characters [json-pointer:/view/title/text]",
        ),
        ({"title": {"type": "mrkdwn", "text": "*T*"}}, "must be one of: plain_text [json-pointer:/view/title/type]"),
        (
            {"close": {"type": "plain_text", "text": "c" * 25}},
            "must be less than 25 characters [json-pointer:/view/close/text]",
        ),
        ({"private_metadata": "m" * 3001}, "must be less than 3001 characters [json-pointer:/view/private_metadata]"),
        ({"callback_id": "c" * 256}, "must be less than 256 characters [json-pointer:/view/callback_id]"),
        ({"external_id": "e" * 256}, "must be less than 256 characters [json-pointer:/view/external_id]"),
        ({"blocks": [_section("b")] * 101}, "no more than 100 items allowed [json-pointer:/view/blocks]"),
        (
            {"blocks": [_input({"type": "plain_text_input"})]},
            "must define `submit` to use an `input` block in modals [json-pointer:/view/blocks/0]",
        ),
    ],
)
def test_view_limits(
    bot: WebClient, sandbox: SlackSandbox, member_id: str, change: dict[str, Any], problem: str
) -> None:
    assert _problems(bot, sandbox, member_id, _modal(**change)) == [f"[ERROR] {problem}"]


def test_views_at_their_limits_pass(bot: WebClient, sandbox: SlackSandbox, member_id: str) -> None:
    modal = _modal(
        "x" * 24,
        private_metadata="m" * 3000,
        callback_id="c" * 255,
        external_id="limits-" + "e" * 248,
        blocks=[_section(f"row {i}") for i in range(100)],
    )
    assert len(bot.views_open(trigger_id=sandbox.mint_trigger(member_id), view=modal)["view"]["blocks"]) == 100


def test_a_view_over_250_kb_is_too_large(bot: WebClient, sandbox: SlackSandbox, member_id: str) -> None:
    big = _modal(blocks=[_section("x" * 3000) for _ in range(90)])  # every block valid, 270 kB together
    assert (
        _fail(lambda: bot.views_open(trigger_id=sandbox.mint_trigger(member_id), view=big))["error"] == "view_too_large"
    )


EVERY_ELEMENT: list[dict[str, Any]] = [
    _input({"type": "plain_text_input", "action_id": "name", "max_length": 120, "multiline": True}, "name"),
    _input({"type": "number_input", "action_id": "amount", "is_decimal_allowed": True, "min_value": "0"}, "amount"),
    _input({"type": "datepicker", "action_id": "close", "initial_date": "2026-12-31"}, "close"),
    _input({"type": "static_select", "action_id": "stage", "options": _options(100)}, "stage"),
    _input({"type": "external_select", "action_id": "account", "min_query_length": 2}, "account"),
    _input({"type": "checkboxes", "action_id": "flags", "options": _options(10)}, "flags"),
    _input({"type": "users_select", "action_id": "owner", "initial_user": "U0NOBODY00"}, "owner"),
    {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "More"},
        "accessory": {"type": "overflow", "action_id": "more", "options": _options(5)},
    },
    {
        "type": "actions",
        "elements": [{"type": "button", "action_id": "open", "text": {"type": "plain_text", "text": "Open"}}],
    },
]


def test_every_element_the_app_uses_is_accepted(bot: WebClient, sandbox: SlackSandbox, member_id: str) -> None:
    modal = _modal(submit={"type": "plain_text", "text": "Save"}, blocks=EVERY_ELEMENT)
    view = bot.views_open(trigger_id=sandbox.mint_trigger(member_id), view=modal)["view"]
    assert [b["block_id"] for b in view["blocks"][:7]] == [
        "name",
        "amount",
        "close",
        "stage",
        "account",
        "flags",
        "owner",
    ]


@pytest.mark.parametrize(
    ("element", "problem"),
    [
        (
            {"type": "static_select"},
            "must provide exactly one of options or option_groups [json-pointer:/view/blocks/0/element]",
        ),
        (
            {"type": "static_select", "options": _options(101)},
            "no more than 100 items allowed [json-pointer:/view/blocks/0/element/options]",
        ),
        (
            {"type": "checkboxes", "options": _options(11)},
            "no more than 10 items allowed [json-pointer:/view/blocks/0/element/options]",
        ),
        (
            {"type": "static_select", "options": [{"text": {"type": "plain_text", "text": "o" * 76}, "value": "v"}]},
            "must be less than 76 characters [json-pointer:/view/blocks/0/element/options/0/text/text]",
        ),
        (
            {"type": "static_select", "options": [{"text": {"type": "plain_text", "text": "o"}, "value": "v" * 151}]},
            "must be less than 151 characters [json-pointer:/view/blocks/0/element/options/0/value]",
        ),
        ({"type": "number_input"}, "missing required field: is_decimal_allowed [json-pointer:/view/blocks/0/element]"),
        (
            {"type": "datepicker", "initial_date": "31/12/2026"},
            "must match the format YYYY-MM-DD [json-pointer:/view/blocks/0/element/initial_date]",
        ),
        (
            {"type": "plain_text_input", "max_length": 3001},
            "must be an integer from 1 to 3000 [json-pointer:/view/blocks/0/element/max_length]",
        ),
        (
            {"type": "external_select", "placeholder": {"type": "plain_text", "text": "p" * 151}},
            "must be less than 151 characters [json-pointer:/view/blocks/0/element/placeholder/text]",
        ),
        (
            {"type": "button", "text": {"type": "plain_text", "text": "Go"}},
            "unsupported element type 'button' [json-pointer:/view/blocks/0/element/type]",
        ),
        (
            {"type": "overflow", "options": _options(2)},
            "unsupported element type 'overflow' [json-pointer:/view/blocks/0/element/type]",
        ),
    ],
)
def test_input_elements_are_checked(
    bot: WebClient, sandbox: SlackSandbox, member_id: str, element: dict[str, Any], problem: str
) -> None:
    modal = _modal(submit={"type": "plain_text", "text": "Save"}, blocks=[_input(element)])
    assert _problems(bot, sandbox, member_id, modal) == [f"[ERROR] {problem}"]


def test_overflow_menus_hold_at_most_five_options(bot: WebClient, sandbox: SlackSandbox, member_id: str) -> None:
    section = {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "x"},
        "accessory": {"type": "overflow", "options": _options(6)},
    }
    assert _problems(bot, sandbox, member_id, _modal(blocks=[section])) == [
        "[ERROR] no more than 5 items allowed [json-pointer:/view/blocks/0/accessory/options]"
    ]


def test_update_keeps_the_input_a_user_typed_where_block_and_action_ids_remain(
    bot: WebClient, sandbox: SlackSandbox, member_id: str
) -> None:
    submit = {"type": "plain_text", "text": "Save"}
    name = _input({"type": "plain_text_input", "action_id": "name"}, "name")
    amount = _input({"type": "number_input", "action_id": "amount", "is_decimal_allowed": False}, "amount")
    view = bot.views_open(trigger_id=sandbox.mint_trigger(member_id), view=_modal(submit=submit, blocks=[name, amount]))
    typed = {"name": {"name": {"type": "plain_text_input", "value": "Acme"}}, "amount": {"amount": {"value": "3"}}}
    assert sandbox.api is not None
    with sandbox.api.lock:  # what the viewer's input will record once interactivity exists
        sandbox.api.views.views[view["view"]["id"]].state = typed
    renamed = _input({"type": "number_input", "action_id": "amount_eur", "is_decimal_allowed": False}, "amount")
    updated = bot.views_update(view_id=view["view"]["id"], view=_modal(submit=submit, blocks=[name, renamed]))["view"]
    assert updated["state"] == {"values": {"name": typed["name"]}}


# ----------------------------------------------------------------------------- control endpoints and limits
def test_control_endpoints_mint_triggers_and_show_views(bot: WebClient, info: SlackSandboxInfo, member_id: str) -> None:
    trigger = control(info, "POST", "triggers", {"user": member_id})["trigger_id"]
    view = bot.views_open(trigger_id=trigger, view=_modal("Over HTTP"))["view"]
    inner = control(info, "POST", "triggers", {"user": member_id, "view_id": view["id"]})["trigger_id"]
    assert bot.views_push(trigger_id=inner, view=_modal("Pushed"))["view"]["previous_view_id"] == view["id"]
    assert control(info, "GET", f"views?view_id={view['id']}")["view"]["title"]["text"] == "Over HTTP"
    bot.views_publish(user_id=member_id, view={"type": "home", "blocks": [_section("over HTTP")]})
    assert control(info, "GET", f"views?user={member_id}")["view"]["blocks"][0]["text"]["text"] == "over HTTP"
    with pytest.raises(urllib.error.HTTPError) as refused:
        control(info, "POST", "triggers", {"user": "U0NOBODY00"})
    assert refused.value.code == 400


def test_views_methods_are_tier_4() -> None:
    limits = RateLimits(tier4_per_minute=2)
    with SlackSandbox(seed=3, history=False, rate_limits=limits) as sandbox:
        assert sandbox.info is not None
        client = web_client(sandbox.info, sandbox.info.bot_token)
        user = sandbox.world.tokens[sandbox.info.member_token].user_id
        home = {"type": "home", "blocks": []}
        assert [client.views_publish(user_id=user, view=home)["ok"] for _ in range(2)] == [True, True]
        with pytest.raises(SlackApiError) as caught:
            client.views_publish(user_id=user, view=home)
        assert caught.value.response.status_code == 429 and caught.value.response.headers["Retry-After"]
        assert sandbox.rate_limiter.throttled["views.publish"] == 1
