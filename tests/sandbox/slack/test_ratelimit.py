"""Rate limits: method tiers, chat.postMessage per channel and per workspace, 429 + Retry-After,
the time scale, and slack-sdk's RateLimitErrorRetryHandler recovering.

Follows the Slack API docs: "Rate limits" (tiers per method per workspace per app; posting
messages about 1 per second per channel with short bursts and a workspace-wide limit; HTTP 429
with ``Retry-After``) and the tier listed on each method's page (``users.list`` Tier 2,
``chat.postMessage`` special).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from saleshome.sandbox.slack.ratelimit import RateLimiter, RateLimits, retry_after_headers
from saleshome.sandbox.slack.server import SlackSandbox

from .conftest import control, web_client

SCALE = 2.0  # refills every 0.5 s: four posts in a row stay quicker than that on a busy machine


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


# ------------------------------------------------------------------------------ the buckets
def test_post_bucket_allows_a_burst_of_three_then_one_per_second() -> None:
    clock = FakeMonotonic()
    limiter = RateLimiter(RateLimits(), monotonic=clock)
    assert [limiter.acquire_post("t", "T1", "C1") for _ in range(3)] == [0, 0, 0]
    assert limiter.acquire_post("t", "T1", "C1") == pytest.approx(1.0)
    assert limiter.acquire_post("t", "T1", "C2") == 0  # another channel has its own bucket
    clock.now += 1.0
    assert limiter.acquire_post("t", "T1", "C1") == 0
    assert limiter.acquire_post("t", "T1", "C1") == pytest.approx(1.0)
    assert limiter.throttled["chat.postMessage"] == 2


def test_time_scale_speeds_up_the_refill_not_the_burst() -> None:
    clock = FakeMonotonic()
    limiter = RateLimiter(RateLimits(time_scale=50), monotonic=clock)
    assert [limiter.acquire_post("t", "T1", "C1") for _ in range(3)] == [0, 0, 0]
    assert limiter.acquire_post("t", "T1", "C1") == pytest.approx(1 / 50)
    clock.now += 1 / 50
    assert limiter.acquire_post("t", "T1", "C1") == 0


def test_workspace_cap_spans_channels() -> None:
    clock = FakeMonotonic()
    limiter = RateLimiter(RateLimits(workspace_posts_per_minute=240), monotonic=clock)  # 4/s
    assert [limiter.acquire_post("t", "T1", f"C{i}") for i in range(4)] == [0] * 4
    assert limiter.acquire_post("t", "T1", "C9") == pytest.approx(0.25)
    assert limiter.acquire_post("t", "T2", "C9") == 0  # another workspace


def test_tier_two_allows_twenty_a_minute_per_workspace() -> None:
    clock = FakeMonotonic()
    limiter = RateLimiter(RateLimits(), monotonic=clock)
    assert all(limiter.acquire_tier("t", "users.list", "T1", 2) == 0 for _ in range(20))
    assert limiter.acquire_tier("t", "users.list", "T1", 2) == pytest.approx(3.0)
    assert limiter.acquire_tier("t", "users.list", "T2", 2) == 0
    assert limiter.acquire_tier("t", "users.info", "T1", 4) == 0
    assert limiter.acquire_tier("other-token", "users.list", "T1", 2) == 0


def test_disabled_limits_never_wait() -> None:
    limiter = RateLimiter(RateLimits(enabled=False))
    assert all(limiter.acquire_post("t", "T1", "C1") == 0 for _ in range(50))


def test_retry_after_headers_round_up_to_whole_seconds() -> None:
    assert retry_after_headers(0.02, 50) == {"Retry-After": "1", "Retry-After-Ms": "20", "X-Sandbox-Time-Scale": "50"}
    assert retry_after_headers(2.0001, 1)["Retry-After"] == "3"


def test_post_rate_bound() -> None:
    assert RateLimits(time_scale=10).post_rate_bound(5) == 50
    assert RateLimits(workspace_posts_per_minute=600).post_rate_bound(100) == 10


def test_invalid_limits() -> None:
    with pytest.raises(ValueError):
        RateLimits(time_scale=0)
    with pytest.raises(ValueError):
        RateLimiter().configure(no_such_limit=1)


# ------------------------------------------------------------------------------ over HTTP
@pytest.fixture()
def scaled() -> Iterator[SlackSandbox]:
    with SlackSandbox(seed=2, time_scale=SCALE) as sb:
        yield sb


def _bare_client(sandbox: SlackSandbox) -> WebClient:
    assert sandbox.info is not None
    client = web_client(sandbox.info, sandbox.info.bot_token)
    client.retry_handlers.clear()
    return client


def test_fourth_quick_post_to_a_channel_is_a_429(scaled: SlackSandbox) -> None:
    client = _bare_client(scaled)
    channel = scaled.channel_id("sales")
    for i in range(3):
        client.chat_postMessage(channel=channel, text=f"burst {i}")
    with pytest.raises(SlackApiError) as caught:
        client.chat_postMessage(channel=channel, text="one too many")
    response = caught.value.response
    assert response.status_code == 429 and response.data == {"ok": False, "error": "ratelimited"}
    assert response.headers["Retry-After"] == "1"
    wait_ms = int(response.headers["Retry-After-Ms"])
    assert 0 < wait_ms <= 1000 / SCALE + 1
    assert response.headers["X-Sandbox-Time-Scale"] == f"{SCALE:g}"
    assert client.chat_postMessage(channel=scaled.channel_id("deals-won"), text="other channel")["ok"]
    time.sleep(wait_ms / 1000)
    assert client.chat_postMessage(channel=channel, text="after the wait")["ok"]
    assert [r.text for r in scaled.messages(channel)] == ["burst 0", "burst 1", "burst 2", "after the wait"]


def test_slack_sdk_retry_handler_recovers(scaled: SlackSandbox) -> None:
    assert scaled.info is not None
    client = web_client(scaled.info, scaled.info.bot_token)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=3))
    channel = scaled.channel_id("amer-pipeline")
    for i in range(5):
        assert client.chat_postMessage(channel=channel, text=f"message {i}")["ok"]
    assert scaled.rate_limiter.throttled["chat.postMessage"] >= 1
    assert [r.text for r in scaled.messages(channel)] == [f"message {i}" for i in range(5)]


def test_tier_two_method_over_the_limit(scaled: SlackSandbox) -> None:
    client = _bare_client(scaled)
    assert scaled.info is not None
    team = scaled.info.teams[0]["id"]
    status = []
    for _ in range(25):
        try:
            client.users_list(team_id=team, limit=1)
            status.append(200)
        except SlackApiError as exc:
            status.append(exc.response.status_code)
            break
    assert status[-1] == 429 and len(status) >= 21
    assert client.users_list(team_id=scaled.info.teams[1]["id"], limit=1)["ok"]  # per workspace
    assert client.users_info(user="USLACKBOT")["ok"]  # Tier 4, another bucket


def test_limits_change_through_the_control_endpoint(scaled: SlackSandbox) -> None:
    assert scaled.info is not None
    changed = control(scaled.info, "POST", "rate-limits", {"time_scale": 1000, "reset": True})
    assert changed["limits"]["time_scale"] == 1000
    client = _bare_client(scaled)
    channel = scaled.channel_id("sales")
    for i in range(10):
        try:
            client.chat_postMessage(channel=channel, text=f"fast {i}")
        except SlackApiError as exc:
            assert exc.response.status_code == 429
            time.sleep(int(exc.response.headers["Retry-After-Ms"]) / 1000)
    assert len(scaled.messages(channel)) >= 9
    off = control(scaled.info, "POST", "rate-limits", {"enabled": False})
    assert off["limits"]["enabled"] is False
    assert all(client.chat_postMessage(channel=channel, text="free")["ok"] for _ in range(6))
    assert control(scaled.info, "GET", "rate-limits")["limits"]["enabled"] is False
