"""The analysts' door (``saleshome.open_warehouse``): an org's warehouse as pandas DataFrames, read-only, and
patient while a sync holds the file."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import duckdb
import pandas as pd
import pytest

import saleshome
from saleshome.config import Settings
from saleshome.errors import ConfigurationError, RetriableError, ValidationError
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from saleshome.sync.engine import sync_org
from saleshome.warehouse.control import control_db
from tests.fixtures.sandboxes import sandbox_control as control
from tests.fixtures.sandboxes import settle


def test_tables_queries_and_changes_as_dataframes(org: tuple[Settings, SalesforceSandbox]) -> None:
    settings, sandbox = org
    assert sync_org(control_db(settings), settings, "acme").status == "completed"
    control(sandbox, "simulate", {"changes": 60, "seed": 4})
    settle(sandbox, settings)
    second = sync_org(control_db(settings), settings, "acme")
    with duckdb.connect(str(settings.org_db("acme")), read_only=True) as db:
        expected = db.execute('SELECT "Id", "Amount" FROM sf."Opportunity" WHERE "Amount" > ? ORDER BY "Id"',
                              [50000]).df()
        logged = db.execute("SELECT count(*) FROM change_log WHERE run_id = ?", [second.run_id]).fetchone()
        started = db.execute("SELECT min(applied_at) FROM change_log WHERE run_id = ?", [second.run_id]).fetchone()
    assert logged and logged[0] > 0 and started

    with saleshome.open_warehouse("acme", settings=settings) as wh:
        assert "Opportunity" in wh.objects()
        big = wh.table("Opportunity", columns=["Id", "Amount"], where='"Amount" > ?', params=[50000])
        assert isinstance(big, pd.DataFrame) and len(big) > 0
        pd.testing.assert_frame_equal(big, expected)
        assert list(wh.table("Opportunity", limit=3).columns) == wh.columns("Opportunity")
        by_stage = wh.frame('SELECT "StageName", count(*) AS n FROM sf."Opportunity" GROUP BY 1')
        assert int(by_stage["n"].sum()) == len(wh.table("Opportunity", columns=["Id"]))
        changes = wh.changes(since=started[0])
        assert len(changes) == logged[0] and set(changes["run_id"]) == {second.run_id}
        assert set(wh.changes(since=started[0] - timedelta(days=3650), object="Opportunity")["object"]) == {
            "Opportunity"}

        # Names the warehouse does not have, and writes, are refused with a clear error; nothing changes.
        with pytest.raises(ValidationError, match="no synced object 'Opportunitty'"):
            wh.table("Opportunitty")
        with pytest.raises(ValidationError, match="no synced column 'Amont'"):
            wh.table("Opportunity", columns=["Amont"])
        before = len(wh.table("Opportunity", columns=["Id"]))
        with pytest.raises(ValidationError, match="read-only"):
            wh.frame('DELETE FROM sf."Opportunity"')
    with duckdb.connect(str(settings.org_db("acme")), read_only=True) as db:
        row = db.execute('SELECT count(*) FROM sf."Opportunity"').fetchone()
    assert row and row[0] == before > 0  # the refused write changed nothing

    with pytest.raises(ConfigurationError, match="no warehouse for org 'nope'"):
        saleshome.open_warehouse("nope", settings=settings)


HOLD = """
import sys, time, duckdb
conn = duckdb.connect(sys.argv[1])  # as a sync does: the file held for writing
conn.execute("BEGIN TRANSACTION")
conn.execute("CREATE TABLE sf.held_by_a_sync AS SELECT 42 AS answer")  # committed when the hold ends
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
conn.close()
"""


def test_a_reader_waits_for_a_sync_holding_the_file_then_reads(org: tuple[Settings, SalesforceSandbox]) -> None:
    settings, _ = org
    assert sync_org(control_db(settings), settings, "acme").status == "completed"
    path = str(settings.org_db("acme"))
    holder = subprocess.Popen([sys.executable, "-c", HOLD, path, "6"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        with pytest.raises(RetriableError, match="stayed held by a sync for 0s"):
            saleshome.open_warehouse("acme", settings=settings, wait=0.2)
        with saleshome.open_warehouse("acme", settings=settings, wait=120) as wh:  # waits, then reads
            assert len(wh.table("Opportunity", columns=["Id"])) > 0
            # what the holder committed when it let go: the reader waited for it, then read the committed state
            assert wh.frame("SELECT answer FROM sf.held_by_a_sync")["answer"].tolist() == [42]
    finally:
        holder.wait(timeout=60)
    assert holder.returncode == 0
