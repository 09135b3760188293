"""The publish flow on a Prefect test server: it drains the outbox and reports in an artifact; it refuses
to send anything when the workspace's plan lacks Sales Home."""

from __future__ import annotations

from pathlib import Path

import pytest

from saleshome.config import load_settings
from saleshome.sandbox.slack.ratelimit import RateLimits
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.settings.context import SettingsContext
from saleshome.settings.workspace import Plan, SalesHomeUnavailableError, set_plan
from saleshome.slack.outbox import OutboxMessage, counts, enqueue, idempotency_key
from saleshome.slack.publisher import METADATA_EVENT
from saleshome.warehouse.control import ControlDB
from tests.slack_workspace import make_ready


def test_publish_flow_sends_and_reports(prefect_harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.client.orchestration import get_client

    from flows.publish import publish

    with SlackSandbox(seed=3, rate_limits=RateLimits(time_scale=50)) as slack:
        assert slack.info is not None
        monkeypatch.setenv("SALESHOME_HOME", str(tmp_path))
        monkeypatch.setenv("SALESHOME_SLACK_BOT_TOKEN", slack.info.bot_token)
        monkeypatch.setenv("SALESHOME_SLACK_API_URL", slack.info.api_url)
        monkeypatch.setenv("SALESHOME_SLACK_POSTS_PER_SECOND", "50")
        settings = load_settings()
        make_ready(settings, slack)  # Enterprise+: Sales Home is available
        sales, archived = slack.channel_id("sales"), slack.channel_id("q3-2023-push")
        with ControlDB(settings.control_db).transaction() as db:
            enqueue(db, [OutboxMessage(idempotency_key("flow", i), "notification", sales, f"hello {i}") for i in range(5)]
                    + [OutboxMessage(idempotency_key("flow-dead"), "notification", archived, "never")])
        stats = publish()
        assert stats.sent == 5 and stats.dead == 1
        assert [m.text for m in slack.messages(sales) if m.event_type == METADATA_EVENT] == [f"hello {i}" for i in range(5)]

    import asyncio

    async def artifacts() -> dict[str, object]:
        async with get_client() as client:
            found = {}
            for key in ("publish-summary", "dead-letters"):
                artifact = await client.read_latest_artifacts()  # newest of each key
                found.update({a.key: a.data for a in artifact if a.key == key})
            return found

    data = asyncio.run(artifacts())
    assert "publish-summary" in data and "is_archived" in str(data.get("dead-letters"))


def test_publish_flow_refuses_when_the_plan_lacks_sales_home(
    prefect_harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flows.publish import publish

    with SlackSandbox(seed=3, rate_limits=RateLimits(time_scale=50)) as slack:
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

        ctx = SettingsContext(settings)
        set_plan(ctx.control, ctx.directory, ctx.workspace, actor=slack.world.primary_owner_id, plan=Plan.FREE,
                 teams=[ctx.directory.teams()[0].id])
        state = publish(return_state=True)
        assert state.is_failed()
        assert "Sales Home is not available on the Free plan" in (state.message or "")
        with pytest.raises(SalesHomeUnavailableError):
            state.result()
        assert [m for m in slack.messages(sales) if m.event_type == METADATA_EVENT] == []
        assert counts(control) == {"pending": 2}
