"""After a save from the edit modal (the real app process, the Slack sandbox's client submitting the form): the app's
refresher reads the record into the warehouse and the stage-change notification reaches #sales within seconds —
once, and still once after the scheduled pipeline (sync, evaluation, publisher) has run.

The harness (a connected member, the app serving, the form opened from a message's Edit button) is the save
tests' (:mod:`tests.app.edit.test_save`)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from saleshome.app.edit import Action
from saleshome.pipeline import run_org
from saleshome.publish.publisher import METADATA_EVENT
from saleshome.settings.context import SettingsContext
from saleshome.settings.notifications.catalog import NotificationSpec
from saleshome.settings.notifications.store import create_notification
from saleshome.sync.engine import sync_org
from saleshome.warehouse.orgdb import OrgWarehouse
from tests.app.edit import test_save
from tests.app.edit.test_save import EDITABLE, Editing
from tests.fixtures.app import wait_for
from tests.fixtures.outbox import drain, publisher
from tests.fixtures.sandboxes import settle
from tests.fixtures.workspace import ALIAS

pytestmark = [pytest.mark.integration]

editing = test_save.editing  # the save tests' fixture: a connected member, the app serving

STAGE_MOVES = NotificationSpec.model_validate(
    {"template": "stage_changed", "options": {"direction": "any"}, "recipients": {"channels": ["#sales"]}})


def _selected(form: dict[str, Any], field: str, value: str) -> dict[str, Any]:
    """What a member's choice of ``value`` in the form's ``field`` select submits."""
    block = next(b for b in form["blocks"] if b.get("block_id") == field)
    return {"selected_option": next(o for o in block["element"]["options"] if o["value"] == value)}


def _posted(e: Editing, record: str, notification_id: str) -> int:
    keys = {r["key"] for r in e.home.control.rows(
        "SELECT key FROM notification_events WHERE record_id = ? AND notification_id = ?", [record, notification_id])}
    return sum(1 for m in e.slack.messages(event_type=METADATA_EVENT)
               if (m.metadata or {}).get("event_payload", {}).get("key") in keys)


def _stage_log(e: Editing, record: str) -> list[tuple[str, str]]:
    with OrgWarehouse(e.home.settings.org_db(ALIAS)) as wh:
        return [(str(r[0]), str(r[1])) for r in wh.conn.execute(
            "SELECT run_id, new_value FROM change_log WHERE record_id = ? AND field = 'StageName' ORDER BY commit_seq",
            [record]).fetchall()]


def test_a_stage_saved_from_slack_is_notified_within_seconds_and_once(editing: Editing) -> None:
    e = editing
    settings = e.home.settings
    assert sync_org(e.home.control, settings, ALIAS).status == "completed"  # the org loaded (initial: silent)
    moves = create_notification(SettingsContext(e.home.control, settings), e.home.sales_admin, ALIAS, "stage-moves",
                                STAGE_MOVES)
    opp = e.own_open_opportunity(skip=2)
    form = e.open_form(opp)
    before = e.row(opp)["StageName"]
    stage = "Negotiation/Review" if before != "Negotiation/Review" else "Qualification"
    assert "StageName" in EDITABLE

    started = time.perf_counter()
    outcome = e.slack.interactions.submit(e.user, view_id=form["id"], values={
        "StageName": {Action.INPUT: _selected(form, "StageName", stage)}})
    assert outcome.ok and not outcome.errors, outcome
    wait_for(lambda: _posted(e, opp, moves.id), "the stage-change notification in #sales", seconds=15, app=e.app)
    print(f"submit → notification in Slack: {time.perf_counter() - started:.2f}s")  # informal (run with -s)
    assert e.row(opp)["StageName"] == stage
    [(run, new)] = _stage_log(e, opp)
    assert run.startswith("refresh-") and new == stage  # read by the app's targeted read

    # the scheduled pipeline then reads the same version: nothing logged, nothing sent again
    settle(e.sf, settings)
    scheduled = run_org(e.home.control, settings, ALIAS)
    assert scheduled.sync.status == "completed", scheduled.sync
    drain(publisher(e.slack, e.home.control))
    assert _stage_log(e, opp) == [(run, new)]
    assert _posted(e, opp, moves.id) == 1
