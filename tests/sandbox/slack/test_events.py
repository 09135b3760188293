"""Events API delivery from the Slack sandbox to a real app counterpart (``app_double.py``).

Follows the Events API page (https://api.slack.com/events-api: outer envelope, 3-second answer,
retries at once, after 1 and 5 minutes with ``X-Slack-Retry-Num``/``X-Slack-Retry-Reason``,
``X-Slack-No-Retry``), the ``url_verification`` and ``app_home_opened`` event pages, and "Verifying
requests from Slack" (every request checked by slack-sdk's ``SignatureVerifier``).  The sandbox runs at
time scale 200: the 1- and 5-minute waits take 0.3 and 1.5 s; the 3-s answer window stays real.
"""

from __future__ import annotations

import itertools
import threading
import urllib.error
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from saleshome.sandbox.slack.events import RETRY_WAITS
from saleshome.sandbox.slack.ratelimit import RateLimits
from saleshome.sandbox.slack.server import SlackSandbox

from .app_double import AppDouble, Received, Reply
from .conftest import control, web_client

SCALE = 200.0


def _pause(seconds: float) -> None:
    """Let time pass, to show that nothing more arrives (a bounded wait, not a guess at an arrival)."""
    threading.Event().wait(seconds)


@pytest.fixture(scope="module")
def events_sandbox() -> Iterator[SlackSandbox]:
    with SlackSandbox(seed=11, history=False, rate_limits=RateLimits(enabled=False, time_scale=SCALE)) as sb:
        yield sb


@pytest.fixture()
def app(events_sandbox: SlackSandbox) -> Iterator[AppDouble]:
    double = AppDouble(events_sandbox.app.signing_secret)
    with double.running():
        events_sandbox.configure_app(event_url=double.url)
        double.received.clear()  # the url_verification
        yield double
        events_sandbox.configure_app(event_url=None)


@pytest.fixture(scope="module")
def bot(events_sandbox: SlackSandbox) -> WebClient:
    assert events_sandbox.info is not None
    return web_client(events_sandbox.info, events_sandbox.info.bot_token)


@pytest.fixture(scope="module")
def member(events_sandbox: SlackSandbox) -> str:
    assert events_sandbox.info is not None
    return events_sandbox.world.tokens[events_sandbox.info.member_token].user_id


HOME = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*Sales*"}}]}


def test_setting_the_event_url_sends_a_signed_url_verification(events_sandbox: SlackSandbox) -> None:
    double = AppDouble(events_sandbox.app.signing_secret)
    with double.running():
        app = events_sandbox.configure_app(event_url=double.url)
        (got,) = double.wait_for(1)
        assert app.event_url == double.url
        assert got.signature_ok
        assert got.payload["type"] == "url_verification"
        assert set(got.payload) == {"token", "challenge", "type"} and len(got.payload["challenge"]) > 20
        events_sandbox.configure_app(event_url=None)


def test_an_app_that_does_not_echo_the_challenge_is_refused(events_sandbox: SlackSandbox) -> None:
    other = AppDouble("0" * 32)  # verifies with another secret: answers 401
    with other.running():
        with pytest.raises(ValueError, match=r"challenge parameter .*http_error, HTTP 401"):
            events_sandbox.configure_app(event_url=other.url)
        assert len(other.wait_for(1)) == 1
    with pytest.raises(ValueError, match="connection_failed"):
        events_sandbox.configure_app(event_url=other.url)  # nothing listens there any more
    assert events_sandbox.app.event_url is None  # nothing changed


def test_the_control_endpoint_refuses_an_unverified_url(events_sandbox: SlackSandbox) -> None:
    assert events_sandbox.info is not None
    other = AppDouble("0" * 32)
    with other.running():
        with pytest.raises(urllib.error.HTTPError) as caught:
            control(events_sandbox.info, "POST", "app", {"event_url": other.url})
        assert caught.value.code == 400
        assert "challenge" in caught.value.read().decode()
    assert control(events_sandbox.info, "GET", "app")["app"]["event_url"] is None


def test_app_home_opened_in_slacks_envelope(
    events_sandbox: SlackSandbox, app: AppDouble, bot: WebClient, member: str
) -> None:
    published = bot.views_publish(user_id=member, view=HOME)["view"]
    delivery = events_sandbox.interactions.home_opened(member)
    assert delivery.wait(10) and delivery.delivered
    (got,) = app.wait_for(1)
    assert got.signature_ok and "x-slack-retry-num" not in got.headers
    body = got.payload
    world = events_sandbox.world
    assert body["type"] == "event_callback"
    assert body["event_id"] == delivery.event_id and body["event_id"].startswith("Ev")
    assert body["api_app_id"] == world.app_id
    assert body["team_id"] == world.users[member].team_id
    assert body["authorizations"][0]["user_id"] == world.bot_user_id and body["authorizations"][0]["is_bot"]
    assert isinstance(body["event_time"], int) and body["token"] and body["event_context"]
    event = body["event"]
    dm = world.im_with(world.bot_user_id, member)
    assert dm is not None
    assert event["type"] == "app_home_opened" and event["tab"] == "home"
    assert event["user"] == member and event["channel"] == dm.id
    assert event["view"]["id"] == published["id"] and event["view"]["hash"] == published["hash"]
    assert float(event["event_ts"]) > 0


def test_a_2xx_answer_is_not_retried(events_sandbox: SlackSandbox, app: AppDouble, member: str) -> None:
    delivery = events_sandbox.interactions.home_opened(member)
    assert delivery.wait(10) and delivery.delivered
    app.wait_for(1)
    done = events_sandbox.deliveries(delivery.event_id)
    assert [(a.attempt, a.status, a.reason) for a in done] == [(1, 200, None)]
    # longer than every (scaled) retry wait: still one request
    _pause(sum(RETRY_WAITS) / SCALE + 0.3)
    assert len(app.received) == 1


def test_failed_answers_are_retried_at_once_then_after_1_and_5_minutes(
    events_sandbox: SlackSandbox, app: AppDouble, member: str
) -> None:
    app.answer(Reply(500), Reply(503), Reply(404), Reply(500))
    delivery = events_sandbox.interactions.home_opened(member)
    assert delivery.wait(10) and not delivery.delivered
    got = app.wait_for(4)
    assert all(r.signature_ok for r in got)
    assert [r.payload["event_id"] for r in got] == [delivery.event_id] * 4
    assert [r.headers.get("x-slack-retry-num") for r in got] == [None, "1", "2", "3"]
    assert [r.headers.get("x-slack-retry-reason") for r in got] == [None, "http_error", "http_error", "http_error"]
    gaps = [b.at - a.at for a, b in itertools.pairwise(got)]
    assert gaps[0] < 60 / SCALE * 0.8  # at once
    assert gaps[1] >= 60 / SCALE * 0.9 and gaps[2] >= 300 / SCALE * 0.9  # 1 and 5 minutes, time-scaled
    assert [(a.attempt, a.status, a.reason) for a in events_sandbox.deliveries(delivery.event_id)] == [
        (1, 500, "http_error"), (2, 503, "http_error"), (3, 404, "http_error"), (4, 500, "http_error")
    ]
    _pause(1.0)
    assert len(app.received) == 4  # three retries at most


def test_a_slow_answer_is_retried_after_three_seconds_without_waiting_for_it(
    events_sandbox: SlackSandbox, app: AppDouble, member: str
) -> None:
    app.answer(Reply(200, delay=3.6))
    delivery = events_sandbox.interactions.home_opened(member)
    first, second = app.wait_for(2, timeout=15)
    assert delivery.wait(10) and delivery.delivered
    assert second.headers["x-slack-retry-num"] == "1" and second.headers["x-slack-retry-reason"] == "http_timeout"
    assert 2.9 <= second.at - first.at < 3.6  # the retry went out before the slow answer came
    attempts = events_sandbox.deliveries(delivery.event_id)
    assert [(a.attempt, a.reason) for a in attempts] == [(1, "http_timeout"), (2, None)]


def test_an_app_that_went_away_is_retried_with_connection_failed(events_sandbox: SlackSandbox, member: str) -> None:
    double = AppDouble(events_sandbox.app.signing_secret)
    with double.running():
        events_sandbox.configure_app(event_url=double.url)
    try:
        delivery = events_sandbox.interactions.home_opened(member)
        assert delivery.wait(10) and not delivery.delivered
        assert [(a.attempt, a.status, a.reason) for a in events_sandbox.deliveries(delivery.event_id)] == [
            (1, 0, "connection_failed"), (2, 0, "connection_failed"), (3, 0, "connection_failed"),
            (4, 0, "connection_failed"),
        ]
    finally:
        events_sandbox.configure_app(event_url=None)


def test_x_slack_no_retry_stops_the_retries(events_sandbox: SlackSandbox, app: AppDouble, member: str) -> None:
    app.answer(Reply(500, headers={"X-Slack-No-Retry": "1"}))
    delivery = events_sandbox.interactions.home_opened(member)
    assert delivery.wait(10) and not delivery.delivered
    _pause(0.2)
    assert len(app.received) == 1


def test_the_app_can_publish_while_handling_the_event(
    events_sandbox: SlackSandbox, app: AppDouble, bot: WebClient, member: str
) -> None:
    """Deliveries never hold the sandbox's lock: an app that publishes before answering is not stuck."""

    def publish(got: Received) -> Reply:
        user = got.payload["event"]["user"]
        bot.views_publish(user_id=user, view={**HOME, "private_metadata": "published in the handler"})
        return Reply(200)

    app.handler = publish
    delivery = events_sandbox.interactions.home_opened(member)
    assert delivery.wait(10) and delivery.delivered
    assert [a.reason for a in events_sandbox.deliveries(delivery.event_id)] == [None]
    home = events_sandbox.home_view(member)
    assert home is not None and home["private_metadata"] == "published in the handler"


def test_control_endpoints_open_the_home_tab_and_list_deliveries(
    events_sandbox: SlackSandbox, app: AppDouble, member: str
) -> None:
    assert events_sandbox.info is not None
    answer = control(events_sandbox.info, "POST", "client/home_opened", {"user": member, "wait": 10})
    delivery = answer["delivery"]
    assert delivery["delivered"] and delivery["type"] == "app_home_opened"
    listed = control(events_sandbox.info, "GET", f"deliveries?event_id={delivery['event_id']}")["deliveries"]
    assert [(d["event_id"], d["type"], d["attempt"], d["status"], d["reason"]) for d in listed] == [
        (delivery["event_id"], "app_home_opened", 1, 200, None)
    ]
    assert app.wait_for(1)[0].payload["event_id"] == delivery["event_id"]
