"""Fixtures for publishing tests: a Slack sandbox, a control database, a publisher."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from saleshome.publish.publisher import Publisher, web_client
from saleshome.sandbox.slack.ratelimit import RateLimits
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.settings.restrictions import Restrictions
from saleshome.warehouse.control import ControlDB
from saleshome.warehouse.outbox import OutboxMessage, enqueue, idempotency_key


@pytest.fixture()
def slack() -> Iterator[SlackSandbox]:
    with SlackSandbox(seed=7, rate_limits=RateLimits(time_scale=50)) as sandbox:
        yield sandbox


@pytest.fixture()
def control(tmp_path: Path) -> ControlDB:
    return ControlDB(tmp_path / "control.duckdb")


def publisher(slack: SlackSandbox, control: ControlDB, **options: object) -> Publisher:
    assert slack.info is not None
    client, handler = web_client(slack.info.bot_token, base_url=slack.info.api_url, timeout=3)
    defaults: dict[str, object] = {"channel_interval": 1 / 50, "backoff": 0.05, "restrictions": Restrictions()}
    defaults.update(options)
    return Publisher(control, client, rate_handler=handler, **defaults)  # type: ignore[arg-type]


def messages_for(channel: str, n: int, prefix: str = "m") -> list[OutboxMessage]:
    return [
        OutboxMessage(key=idempotency_key(prefix, channel, i), kind="notification", channel=channel,
                      text=f"{prefix} {i} for {channel}",
                      blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": f"*{prefix}* {i}"}}])
        for i in range(n)
    ]


def put(control: ControlDB, messages: list[OutboxMessage]) -> int:
    with control.transaction() as db:
        return enqueue(db, messages)


def drain(pub: Publisher, seconds: float = 60) -> None:
    """Publish until nothing is left pending or sending (transient failures back off, a timed-out
    post waits twice the client timeout before its history check), for at most ``seconds``."""
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pub.publish()
        left = pub.control.rows("SELECT count(*) AS n FROM outbox WHERE state IN ('pending', 'sending')")[0]["n"]
        if not left:
            return
        time.sleep(0.1)
    left_rows = pub.control.rows(
        "SELECT key, state, attempts, next_attempt_at, last_error FROM outbox WHERE state IN ('pending', 'sending')")
    raise AssertionError(f"the outbox did not drain in {seconds:.0f}s: {left_rows}")
