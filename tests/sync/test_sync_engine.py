"""The sync engine against the Salesforce sandbox: exact copies, the change log, deletes, ties, late commits."""

from __future__ import annotations

import duckdb

from saleshome.config import Settings
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from saleshome.sync.engine import DEFAULT_OBJECTS, sync_org
from saleshome.warehouse.control import control_db
from tests.fixtures.sandboxes import sandbox_control as control
from tests.fixtures.sandboxes import settle

from .conftest import assert_same_as_org, change_log_duplicates, our_rows


def test_initial_then_incremental_sync_is_an_exact_copy(org: tuple[Settings, SalesforceSandbox]) -> None:
    settings, sandbox = org
    seen: list[tuple[str, int, int]] = []
    first = sync_org(control_db(settings), settings, "acme", progress=lambda o, d, t: seen.append((o, d, t)))
    assert first.status == "completed" and first.kind == "initial"
    paths = {o.object: o.path for o in first.objects}
    assert paths["Opportunity"] in ("bulk", "mixed") and paths["User"] == "rest"
    assert any(o == "Opportunity" and d == t > 0 for o, d, t in seen)
    assert_same_as_org(settings, "acme", sandbox, list(DEFAULT_OBJECTS))
    for _ in range(3):  # ties and late commits, several rounds
        control(sandbox, "simulate", {"changes": 250, "late_commits": True})
        settle(sandbox, settings)
        result = sync_org(control_db(settings), settings, "acme")
        assert result.status == "completed" and result.kind == "incremental"
        assert_same_as_org(settings, "acme", sandbox, list(DEFAULT_OBJECTS))
    assert change_log_duplicates(settings, "acme") == 0


def test_change_log_records_old_and_new_values(org: tuple[Settings, SalesforceSandbox]) -> None:
    settings, sandbox = org
    sync_org(control_db(settings), settings, "acme")
    assert sandbox.store is not None
    opp = sandbox.store.read(
        'SELECT "Id", "StageName", "Amount" FROM "Opportunity" WHERE NOT "IsClosed" AND "Amount" IS NOT NULL LIMIT 1'
    ).to_pylist()[0]
    sandbox.store.update("Opportunity", opp["Id"], {"StageName": "Closed Won", "Amount": 123456.0})
    leads = sandbox.store.read('SELECT "Id" FROM "Lead" WHERE NOT "IsDeleted" LIMIT 2')
    gone = [str(i) for i in leads.column("Id").to_pylist()]
    sandbox.store.delete("Lead", gone[0])
    sandbox.store.delete("Lead", gone[1])
    sandbox.store.purge("Lead", gone[1])
    settle(sandbox, settings)
    run = sync_org(control_db(settings), settings, "acme")
    with duckdb.connect(str(settings.org_db("acme")), read_only=True) as db:
        changes = db.execute(
            "SELECT field, old_value, new_value, operation, initial FROM change_log WHERE run_id = ? AND record_id = ? "
            "ORDER BY field", [run.run_id, opp["Id"]]).fetchall()
        lead_ops = dict(db.execute(
            "SELECT record_id, list(operation || coalesce(':' || new_value, '')) FROM change_log "
            "WHERE run_id = ? AND object = 'Lead' GROUP BY record_id", [run.run_id]).fetchall())
        initial_flags = db.execute("SELECT DISTINCT initial FROM change_log WHERE run_id <> ?", [run.run_id]).fetchall()
    by_field = {c[0]: c for c in changes}
    assert by_field["StageName"][1:3] == (opp["StageName"], "Closed Won")
    assert float(by_field["Amount"][2]) == 123456.0
    assert by_field["IsWon"][1:3] == ("false", "true")
    assert {c[3] for c in changes} == {"update"} and {c[4] for c in changes} == {False}
    assert lead_ops[gone[0]] == ["delete"]
    assert lead_ops[gone[1]] == ["delete:purged"]
    assert initial_flags == [(True,)]  # the initial sync is silent
    _, ours = our_rows(settings, "acme", "Lead")
    assert ours[gone[0]]["IsDeleted"] is True and gone[1] not in ours


def test_formula_fields_are_not_synced(org: tuple[Settings, SalesforceSandbox]) -> None:
    settings, _ = org
    sync_org(control_db(settings), settings, "acme", objects=["Opportunity"])
    columns, _ = our_rows(settings, "acme", "Opportunity")
    assert "Days_To_Close__c" not in columns and "ExpectedRevenue" not in columns
    assert {"StageName", "Amount", "CloseDate", "SystemModstamp", "Region__c"} <= set(columns)


def test_schema_evolution_keeps_every_value(org: tuple[Settings, SalesforceSandbox]) -> None:
    settings, sandbox = org
    sync_org(control_db(settings), settings, "acme", objects=["Opportunity"])
    _, before = our_rows(settings, "acme", "Opportunity")
    control(sandbox, "schema", {"object": "Opportunity", "add": "Segment__c:string:len=40"})
    control(sandbox, "schema", {"object": "Opportunity", "remove": "NextStep"})
    control(sandbox, "schema", {"object": "Opportunity", "retype": "Probability:double:p=18,s=2"})
    settle(sandbox, settings)
    result = sync_org(control_db(settings), settings, "acme", objects=["Opportunity"])
    changes = result.objects[0].schema_changes
    assert any("added Segment__c" in c for c in changes)
    assert any("NextStep left" in c for c in changes)
    assert any("changed Probability from DECIMAL(3,0) to DECIMAL(18,2)" in c for c in changes)
    with duckdb.connect(str(settings.org_db("acme")), read_only=True) as db:
        kept = dict(db.execute('SELECT "Id", "NextStep" FROM sf."Opportunity"').fetchall())
        old_prob = dict(db.execute('SELECT "Id", "Probability__was_decimal_3_0" FROM sf."Opportunity"').fetchall())
        new_prob = dict(db.execute('SELECT "Id", CAST("Probability" AS DOUBLE) FROM sf."Opportunity"').fetchall())
        removed = db.execute("SELECT removed_at IS NOT NULL FROM columns WHERE name = 'NextStep'").fetchone()
    assert removed == (True,)
    assert all(kept[i] == before[i]["NextStep"] for i in before)
    assert all((old_prob[i] is None and before[i]["Probability"] is None) or float(old_prob[i]) == before[i]["Probability"]
               for i in before)
    assert all(new_prob[i] == before[i]["Probability"] for i in before)
    assert_same_as_org(settings, "acme", sandbox, ["Opportunity"])
