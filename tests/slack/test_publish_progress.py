"""Progress of a drain: the publisher's running stats, the rate-limit waits in flight, and how
``saleshome outbox publish`` shows them (a bar on a terminal, a plain line now and then otherwise)."""

from __future__ import annotations

import io
import threading
import time

from rich.console import Console
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from saleshome.operations.console import PublishProgress
from saleshome.publish.publisher import CountingRateLimitHandler, PublishStats
from saleshome.sandbox.slack.ratelimit import RateLimits
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.warehouse.control import ControlDB
from tests.fixtures.outbox import messages_for, publisher, put


def test_a_drain_reports_running_stats_from_the_start_to_the_end(control: ControlDB) -> None:
    with SlackSandbox(seed=3, rate_limits=RateLimits(time_scale=10)) as slack:
        sales, general = slack.channel_id("sales"), slack.channel_id("general")
        put(control, messages_for(sales, 8) + messages_for(general, 3))
        seen: list[PublishStats] = []
        stats = publisher(slack, control, channel_interval=0.001).publish(on_progress=seen.append)
    assert stats.sent == 11
    assert seen and {s.to_send for s in seen} == {11}  # what the drain found queued, from the first report
    assert seen[0].sent == 0  # reported before anything was sent
    sent = [s.sent for s in seen]
    assert sent == sorted(sent) and sent[-1] == 11
    assert seen[-1].rate_limit_waits == stats.rate_limit_waits and seen[-1].waiting_for_rate_limit == 0
    assert all(s is not stats for s in seen)  # copies: a report never changes under the reader


def test_the_rate_limit_handler_counts_the_calls_waiting_now() -> None:
    handler = CountingRateLimitHandler()
    request = HttpRequest(method="POST", url="https://127.0.0.1/api/chat.postMessage", headers={})
    response = HttpResponse(status_code=429, headers={"Retry-After-Ms": "400"})
    waiter = threading.Thread(target=lambda: handler.prepare_for_next_attempt(
        state=RetryState(), request=request, response=response))
    waiter.start()
    deadline = time.monotonic() + 5
    while handler.waiting == 0 and waiter.is_alive() and time.monotonic() < deadline:
        time.sleep(0.005)
    assert (handler.waiting, handler.waits) == (1, 1)  # sleeping on the Retry-After
    waiter.join(5)
    assert (handler.waiting, handler.waits) == (0, 1) and handler.waited_seconds == 0.4


def _stats(sent: int, *, reconciled: int = 0, retried: int = 0, dead: int = 0, rate_limit_waits: int = 0,
           waiting_for_rate_limit: int = 0) -> PublishStats:
    return PublishStats(sent=sent, reconciled=reconciled, retried=retried, dead=dead, to_send=10,
                        rate_limit_waits=rate_limit_waits, waiting_for_rate_limit=waiting_for_rate_limit)


def test_without_a_terminal_a_plain_line_at_most_every_interval_when_something_changed() -> None:
    out = io.StringIO()
    clock = [100.0]
    with PublishProgress(Console(file=out, force_terminal=False, width=200), interval=5, clock=lambda: clock[0]) as p:
        p(_stats(0))  # at the start: nothing to say yet
        clock[0] = 106
        p(_stats(4, retried=1, rate_limit_waits=3, waiting_for_rate_limit=2))
        clock[0] = 108
        p(_stats(6))  # too soon after the last line
        clock[0] = 114
        p(_stats(6))
        clock[0] = 120
        p(_stats(6))  # nothing changed since the last line
    assert out.getvalue().splitlines() == [
        "publishing: 4/10 — sent 4 · retried 1 · waiting for rate limit 2 (3 waits) · dead 0",
        "publishing: 6/10 — sent 6 · retried 0 · waiting for rate limit 0 (0 waits) · dead 0",
    ]


def test_on_a_terminal_a_bar_with_sent_retried_rate_limit_and_dead() -> None:
    out = io.StringIO()
    with PublishProgress(Console(file=out, force_terminal=True, width=160)) as p:
        p(_stats(0))
        p(_stats(9, reconciled=1, dead=1, rate_limit_waits=2))
    shown = out.getvalue()
    assert "━" in shown and "11/11" in shown  # more done than found at the start: the total follows
    assert "sent 9 · already sent 1 · retried 0 · waiting for rate limit 0 (2 waits) · dead 1" in shown
