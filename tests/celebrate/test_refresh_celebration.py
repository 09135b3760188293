"""A deal won from Slack (a save, then ``saleshome.pipeline.refresh_records``) is celebrated at once, and once: the
scheduled sync that then brings the same version of the deal and its new ``OpportunityHistory`` row (which also
names the win) celebrates nothing more."""

from __future__ import annotations

import pytest

from saleshome.pipeline import refresh_records, run_org
from saleshome.warehouse.control import control_db
from tests.fixtures.sandboxes import settle
from tests.fixtures.workspace import ALIAS

from .conftest import Celebrations

pytestmark = pytest.mark.integration


def test_a_deal_won_from_slack_is_celebrated_at_once_and_not_again_by_the_scheduled_sync(cel: Celebrations) -> None:
    owner, (won,) = cel.deals(1)
    assert owner.slack_id is not None
    cel.win(won)

    summary = refresh_records(control_db(cel.settings), cel.settings, ALIAS, "Opportunity", [won])
    assert summary.celebrations is not None and summary.celebrations.celebrated == 1, summary.lines()
    assert summary.published is not None and summary.published.sent >= 1, summary.lines()
    keys = {o["key"] for o in cel.outbox("celebration")}
    assert len([m for m in cel.slack.messages(cel.channel)
                if ((m.metadata or {}).get("event_payload") or {}).get("key") in keys]) == 1

    settle(cel.sf, cel.settings)
    scheduled = run_org(control_db(cel.settings), cel.settings, ALIAS)
    assert scheduled.sync.status == "completed"
    assert scheduled.celebrations is not None and scheduled.celebrations.celebrated == 0
    assert scheduled.celebrations.already == 1  # a candidate again (its history row), refused: celebrated already
    cel.publish()
    assert [r["opportunity_id"] for r in cel.celebrations()] == [won]
    keys = {o["key"] for o in cel.outbox("celebration")}
    assert len([m for m in cel.slack.messages(cel.channel)
                if ((m.metadata or {}).get("event_payload") or {}).get("key") in keys]) == 1
