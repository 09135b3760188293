"""The control store's side of a save, on SQLite and PostgreSQL: a view state claimed by one submission (its ack and
its lazy listener agree; a second submission never holds it; the save begins once even when the holder's payload is
delivered again), old claims pruned; the edit audit written and read back in order, filtered and limited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from saleshome.app.edit.save import CLAIM_KEEP, claim, claim_key, start
from saleshome.settings.edit_audit import EditOutcome, FieldChange, RecordEdit, read_edits, record_edit
from saleshome.warehouse.control import ControlDB
from tests.app.test_store import control  # noqa: F401  (the SQLite and PostgreSQL control stores)

NOW = datetime(2026, 12, 7, 20, 0, tzinfo=UTC)


def test_a_view_state_is_held_by_one_submission_and_saved_once(control: ControlDB) -> None:  # noqa: F811
    key = claim_key("V1", "hash-1")
    assert key != claim_key("V1", "hash-2") and key != claim_key("V2", "hash-1")
    assert claim(control, key, trigger_id="t-first", user_id="U1", now=NOW)
    assert claim(control, key, trigger_id="t-first", user_id="U1", now=NOW)  # its lazy listener: the same holder
    assert not claim(control, key, trigger_id="t-second", user_id="U1", now=NOW)  # a double click
    assert not start(control, key, trigger_id="t-second", now=NOW)
    assert start(control, key, trigger_id="t-first", now=NOW)
    assert not start(control, key, trigger_id="t-first", now=NOW)  # the same payload again: begun already
    later = NOW + CLAIM_KEEP + timedelta(seconds=1)
    assert claim(control, claim_key("V9", "h"), trigger_id="t-other", user_id="U2", now=later)  # prunes the old one
    assert claim(control, key, trigger_id="t-second", user_id="U1", now=later)


def _edit(record_id: str, outcome: EditOutcome, at: datetime) -> RecordEdit:
    return RecordEdit(alias="acme", object="Opportunity", record_id=record_id, record_name="Big deal",
                      slack_user_id="U1", slack_user_name="ana", sf_user_id="005A", sf_user_name="Ana Chopra",
                      changes=(FieldChange("StageName", "Stage", "Prospecting", "Closed Won"),
                               FieldChange("Amount", "Amount", None, "$1,000.00")),
                      outcome=outcome, detail=None if outcome is EditOutcome.SAVED else "why", edited_at=at)


def test_the_edit_audit_reads_back_oldest_first(control: ControlDB) -> None:  # noqa: F811
    record_edit(control, _edit("006A", EditOutcome.CONFLICT, NOW))
    record_edit(control, _edit("006A", EditOutcome.SAVED, NOW + timedelta(minutes=1)))
    record_edit(control, _edit("006B", EditOutcome.REFUSED, NOW + timedelta(minutes=2)))
    every = read_edits(control)
    assert [(e.record_id, e.outcome) for e in every] == [
        ("006A", EditOutcome.CONFLICT), ("006A", EditOutcome.SAVED), ("006B", EditOutcome.REFUSED)]
    assert every[1].changes == _edit("006A", EditOutcome.SAVED, NOW).changes and every[1].edited_at == NOW + timedelta(
        minutes=1)
    assert [e.outcome for e in read_edits(control, record_id="006A")] == [EditOutcome.CONFLICT, EditOutcome.SAVED]
    assert [e.record_id for e in read_edits(control, since=NOW + timedelta(seconds=30))] == ["006A", "006B"]
    assert [e.record_id for e in read_edits(control, limit=1)] == ["006B"]
    assert read_edits(control, alias="other") == []
