"""The publish flow on a Prefect test server: it drains the outbox and reports in an artifact; it refuses
to send anything when the workspace's plan lacks Sales Home."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from saleshome.config import load_settings
from saleshome.publish.publisher import METADATA_EVENT
from saleshome.sandbox.slack.ratelimit import RateLimits
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.settings.context import SettingsContext
from saleshome.settings.workspace import Plan, SalesHomeUnavailableError, set_plan
from saleshome.warehouse.control import ControlDB, control_db
from saleshome.warehouse.outbox import OutboxMessage, counts, enqueue, idempotency_key
from tests.fixtures.slack_workspace import make_ready


def test_publish_flow_sends_and_reports(prefect_harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.client.orchestration import get_client

    from flows.publish import publish

    # 10 posts/s per channel after a burst of 3: the 8 posts trip it unless each takes over 0.1 s
    # (at x50 a loaded machine posting slower than 20 ms each never saw a 429).
    with SlackSandbox(seed=3, rate_limits=RateLimits(time_scale=10)) as slack:
        assert slack.info is not None
        monkeypatch.setenv("SALESHOME_HOME", str(tmp_path))
        monkeypatch.setenv("SALESHOME_SLACK_BOT_TOKEN", slack.info.bot_token)
        monkeypatch.setenv("SALESHOME_SLACK_API_URL", slack.info.api_url)
        # Faster than the sandbox's 10 posts/s per channel (x10): Slack's 429s are waited out, and counted.
        monkeypatch.setenv("SALESHOME_SLACK_POSTS_PER_SECOND", "1000")
        settings = load_settings()
        make_ready(settings, slack)  # Enterprise+: Sales Home is available
        sales, archived = slack.channel_id("sales"), slack.channel_id("q3-2023-push")
        external = next(c.id for c in slack.world.conversations.values() if c.is_ext_shared)  # excluded by default
        with ControlDB(settings.control_db).transaction() as db:
            enqueue(db, [OutboxMessage(idempotency_key("flow", i), "notification", sales, f"hello {i}") for i in range(8)]
                    + [OutboxMessage(idempotency_key("flow-dead"), "notification", archived, "never"),
                       OutboxMessage(idempotency_key("flow-blocked"), "notification", external, "not outside")])
        stats = publish()
        assert stats.sent == 8 and stats.dead == 1 and stats.blocked == 1
        assert stats.rate_limit_waits > 0
        assert [m.text for m in slack.messages(sales) if m.event_type == METADATA_EVENT] == [f"hello {i}" for i in range(8)]

    import asyncio

    async def artifacts() -> dict[str, object]:
        async with get_client() as client:
            return {a.key: a.data for a in await client.read_latest_artifacts() if a.key}  # newest of each key

    data = asyncio.run(artifacts())

    def table(key: str) -> list[dict[str, object]]:
        raw = data[key]
        rows = json.loads(raw) if isinstance(raw, str) else raw
        assert isinstance(rows, list)
        return rows

    summary = {str(r["outcome"]): r["count"] for r in table("publish-summary")}
    blocked_reason = "restricted: Slack Connect external channels are excluded"
    assert summary == {
        "sent": 8,
        "already sent (confirmed in Slack history)": 0,
        "retried later": 0,
        "rate-limit waits": stats.rate_limit_waits,
        "dead-lettered": 1,
        "blocked by restrictions": 1,
        "dead: is_archived": 1,
        f"blocked: {blocked_reason}": 1,
    }
    dead = {str(r["key"]): (r["state"], r["last_error"], r["channel"]) for r in table("dead-letters")}
    assert dead == {
        idempotency_key("flow-dead"): ("dead", "is_archived", archived),
        idempotency_key("flow-blocked"): ("blocked", blocked_reason, external),
    }


def test_publish_flow_refuses_when_the_plan_lacks_sales_home(
    prefect_harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flows.publish import publish

    # 10 posts/s per channel after a burst of 3: the 8 posts trip it unless each takes over 0.1 s
    # (at x50 a loaded machine posting slower than 20 ms each never saw a 429).
    with SlackSandbox(seed=3, rate_limits=RateLimits(time_scale=10)) as slack:
        assert slack.info is not None
        monkeypatch.setenv("SALESHOME_HOME", str(tmp_path))
        monkeypatch.setenv("SALESHOME_SLACK_BOT_TOKEN", slack.info.bot_token)
        monkeypatch.setenv("SALESHOME_SLACK_API_URL", slack.info.api_url)
        settings = load_settings()
        sales = slack.channel_id("sales")
        control = ControlDB(settings.control_db)
        with control.transaction() as db:
            enqueue(db, [OutboxMessage(idempotency_key("refused", i), "notification", sales, f"no {i}") for i in range(2)])

        state = publish(return_state=True)  # no plan declared yet
        assert state.is_failed() and "no Slack plan is set" in (state.message or "")

        ctx = SettingsContext(control_db(settings), settings)
        set_plan(ctx.control, ctx.directory, ctx.workspace, actor=slack.world.primary_owner_id, plan=Plan.FREE,
                 teams=[ctx.directory.teams()[0].id])
        state = publish(return_state=True)
        assert state.is_failed()
        assert "Sales Home is not available on the Free plan" in (state.message or "")
        with pytest.raises(SalesHomeUnavailableError):
            state.result()
        assert [m for m in slack.messages(sales) if m.event_type == METADATA_EVENT] == []
        assert counts(control) == {"pending": 2}
