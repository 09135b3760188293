"""The read window ``[cursor - lookback, signpost)``: late commits, SystemModstamp ties, the signpost.

The simulator never stamps a change before the previous cursor, so these changes are made
through the sandbox store with an explicit SystemModstamp (``at=``), as a transaction that
committed late would appear in Salesforce.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pytest

from saleshome.config import Settings, load_settings
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from saleshome.sync.engine import sync_org
from saleshome.warehouse.control import control_db
from tests.fixtures.sandboxes import settle

from .conftest import assert_same_as_org, org_rows, our_rows

OBJ = "Account"


def _accounts(sandbox: SalesforceSandbox, n: int) -> list[dict[str, Any]]:
    assert sandbox.store is not None
    return sandbox.store.read(
        f'SELECT "Id", "Name", "SystemModstamp" FROM "{OBJ}" WHERE NOT "IsDeleted" ORDER BY "Id" LIMIT {n}'
    ).to_pylist()


def _newest_stamp(sandbox: SalesforceSandbox, before: datetime) -> datetime:
    assert sandbox.store is not None
    row = sandbox.store.read(f'SELECT max("SystemModstamp") AS m FROM "{OBJ}" WHERE "SystemModstamp" < ?',
                             [before.astimezone(UTC).replace(tzinfo=None)]).to_pylist()[0]
    stamp = row["m"]
    assert isinstance(stamp, datetime)
    return stamp.replace(tzinfo=UTC)


def _late_and_tied_changes(settings: Settings, sandbox: SalesforceSandbox) -> tuple[datetime, dict[str, str]]:
    """Sync, then make three changes the previous run could not have seen; returns (cursor, id → new Name).

    Before the sync one record is changed a minute ago (before the signpost, inside the lookback):
    the run reads it; afterwards another record gets its exact SystemModstamp (a tie that
    committed after the read).
    """
    assert sandbox.store is not None
    recent = _accounts(sandbox, 4)[3]["Id"]
    sandbox.store.update(OBJ, recent, {"Name": "Read Before The Tie"}, at=sandbox.store.clock.now() - timedelta(minutes=1))
    first = sync_org(control_db(settings), settings, "acme", objects=[OBJ])
    assert first.status == "completed"
    assert first.objects[0].cursor_after is not None
    cursor = first.objects[0].cursor_after.astimezone(UTC)
    tied_with = _newest_stamp(sandbox, cursor)  # an already-synced row's exact millisecond
    assert tied_with == org_rows(sandbox, OBJ, ["Id", "SystemModstamp"])[recent]["SystemModstamp"].replace(tzinfo=UTC)
    assert our_rows(settings, "acme", OBJ)[1][recent]["Name"] == "Read Before The Tie"
    late, tie_row, tie_signpost = (a["Id"] for a in _accounts(sandbox, 3))
    names = {late: "Late Commit Ltd", tie_row: "Same Millisecond Inc", tie_signpost: "At The Signpost plc"}
    sandbox.store.update(OBJ, late, {"Name": names[late]}, at=cursor - timedelta(minutes=5))
    sandbox.store.update(OBJ, tie_row, {"Name": names[tie_row]}, at=tied_with)
    sandbox.store.update(OBJ, tie_signpost, {"Name": names[tie_signpost]}, at=cursor)
    stamps = {r["Id"]: r["SystemModstamp"] for r in org_rows(sandbox, OBJ, ["Id", "SystemModstamp"]).values()}
    assert stamps[late] == (cursor - timedelta(minutes=5)).replace(tzinfo=None)
    assert stamps[tie_row] == tied_with.replace(tzinfo=None) and stamps[tie_signpost] == cursor.replace(tzinfo=None)
    settle(sandbox, settings)
    return cursor, names


def test_late_commit_and_ties_are_caught_by_the_next_run(org: tuple[Settings, SalesforceSandbox]) -> None:
    settings, sandbox = org
    assert settings.lookback_seconds == 600
    cursor, names = _late_and_tied_changes(settings, sandbox)
    second = sync_org(control_db(settings), settings, "acme", objects=[OBJ])
    assert second.status == "completed" and second.objects[0].cursor_before == cursor
    _, ours = our_rows(settings, "acme", OBJ)
    assert {i: ours[i]["Name"] for i in names} == names
    assert second.objects[0].updated == 3
    assert_same_as_org(settings, "acme", sandbox, [OBJ])


def test_without_lookback_the_late_commit_is_missed(org: tuple[Settings, SalesforceSandbox]) -> None:
    """The same changes with ``lookback_seconds=0``: what the lookback is for (the test above can fail)."""
    _, sandbox = org
    settings = load_settings(bulk_threshold=400, chunk_rows=3000, reconcile_hours=1e6, lookback_seconds=0)
    _, names = _late_and_tied_changes(settings, sandbox)
    late, tie_row, tie_signpost = names
    sync_org(control_db(settings), settings, "acme", objects=[OBJ])
    _, ours = our_rows(settings, "acme", OBJ)
    assert ours[late]["Name"] != names[late]  # stamped before the cursor: never read again
    assert ours[tie_row]["Name"] != names[tie_row]  # tied with a row already read: missed too
    assert ours[tie_signpost]["Name"] == names[tie_signpost]  # the window is closed at its start: >= cursor
    with pytest.raises(AssertionError, match="records differ"):
        assert_same_as_org(settings, "acme", sandbox, [OBJ])


def _change_after_the_signpost(settings: Settings, sandbox: SalesforceSandbox) -> tuple[str, list[str]]:
    """Sync; change a record now (after the next run's signpost); sync twice. Returns (id, its Names)."""
    assert sandbox.store is not None
    sync_org(control_db(settings), settings, "acme", objects=[OBJ])
    settle(sandbox, settings)
    record = _accounts(sandbox, 1)[0]["Id"]
    # Stamped now: inside the safety lag of the next run, so after its signpost.
    sandbox.store.update(OBJ, record, {"Name": "After The Signpost GmbH"})
    stamp = org_rows(sandbox, OBJ, ["Id", "SystemModstamp"])[record]["SystemModstamp"]
    run = sync_org(control_db(settings), settings, "acme", objects=[OBJ])
    after = run.objects[0].cursor_after
    assert after is not None and after.astimezone(UTC).replace(tzinfo=None) <= stamp  # stops at the signpost
    names = [our_rows(settings, "acme", OBJ)[1].get(record, {}).get("Name", "<missing>")]
    settle(sandbox, settings)
    sync_org(control_db(settings), settings, "acme", objects=[OBJ])
    names.append(our_rows(settings, "acme", OBJ)[1][record]["Name"])
    assert_same_as_org(settings, "acme", sandbox, [OBJ])
    return record, names


def test_a_change_stamped_after_the_signpost_is_read_by_the_next_run(org: tuple[Settings, SalesforceSandbox]) -> None:
    _, sandbox = org
    settings = load_settings(bulk_threshold=400, chunk_rows=3000, reconcile_hours=1e6)
    _, names = _change_after_the_signpost(settings, sandbox)
    assert names[0] not in ("After The Signpost GmbH", "<missing>")  # not read by the run it postdates ...
    assert names[1] == "After The Signpost GmbH"  # ... nor lost: the next run reads it


def test_reconcile_keeps_a_record_stamped_after_the_signpost(org: tuple[Settings, SalesforceSandbox]) -> None:
    """The Id reconciliation of a run must not take a record changed after its signpost for a hard delete."""
    settings, sandbox = org  # reconciles every run
    record, names = _change_after_the_signpost(settings, sandbox)
    assert names == [names[0], "After The Signpost GmbH"] and names[0] != "<missing>"
    with duckdb.connect(str(settings.org_db("acme")), read_only=True) as db:
        ops = [r[0] for r in db.execute(
            "SELECT operation FROM change_log WHERE record_id = ? AND NOT initial ORDER BY system_modstamp", [record]
        ).fetchall()]
    assert "delete" not in ops and "insert" not in ops, ops
