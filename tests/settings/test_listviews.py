"""List views: the client side (real HTTP against the Salesforce sandbox), their materialisation
into the org's DuckDB after a sync, and reading them back for ``saleshome lists show``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import duckdb
import pytest

from saleshome.config import Settings, load_settings
from saleshome.errors import ConfigurationError, ValidationError
from saleshome.salesforce import listviews as lv
from saleshome.salesforce.client import SalesforceClient
from saleshome.salesforce.login import connect
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from saleshome.settings.model import ListViewRef, ObjectLists, OrgSettings
from saleshome.settings.orgs import get_org
from saleshome.settings.store import write_lists
from saleshome.sync.engine import sync_org
from saleshome.sync.listviews import (
    list_view_rows,
    materialise_default_list_views,
    materialise_list_views,
    stored_list_views,
)
from saleshome.warehouse.control import ControlDB, control_db
from saleshome.warehouse.orgdb import OrgWarehouse
from tests.fixtures.control import ControlStores
from tests.fixtures.sandboxes import connect_org, settle
from tests.fixtures.sandboxes import sandbox_control as control

pytestmark = pytest.mark.integration

DEFAULTS = {
    "Opportunity": ["Won", "Open Pipeline", "AllOpportunities"],
    "Account": ["AllAccounts"],
    "Case": ["AllOpenCases", "Escalated"],  # Case views show CreatedDate: no repeated column in their SOQL
    "Lead": ["AllOpenLeads"],
}


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory,
           control_stores: ControlStores) -> Iterator[tuple[Settings, SalesforceSandbox]]:
    """One sandbox org, connected and synced once for the module (tests re-sync when they change it)."""
    home = tmp_path_factory.mktemp("lv") / "home"
    with pytest.MonkeyPatch.context() as patch, control_stores.fresh(home.parent, patch), \
            SalesforceSandbox(seed=11, opportunities=1200) as sandbox:
        patch.setenv("SALESHOME_HOME", str(home))
        settings = load_settings()
        connect_org(settings, sandbox, "acme", patch)
        assert sync_org(control_db(settings), settings, "acme").status == "completed"
        yield settings, sandbox


@pytest.fixture()
def client(synced: tuple[Settings, SalesforceSandbox]) -> SalesforceClient:
    return connect(get_org(control_db(synced[0]), synced[0], "acme"))


def _results(client: SalesforceClient, obj: str, view: lv.ListView) -> list[dict[str, str | None]]:
    return [r for page in lv.iter_results_pages(client, obj, view.id) for r in page.records]


def _same(ours: Any, theirs: str | None) -> bool:
    """Our typed JSON value against the results resource's text."""
    if ours is None or theirs is None:
        return ours is None and theirs is None
    if isinstance(ours, bool):
        return str(ours).lower() == theirs
    try:
        return Decimal(str(ours)) == Decimal(theirs)
    except InvalidOperation:
        return str(ours) == theirs


def _materialised(settings: Settings, obj: str, view_id: str) -> list[tuple[int, str, dict[str, Any]]]:
    with duckdb.connect(str(settings.org_db("acme")), read_only=True) as db:
        rows = db.execute(
            "SELECT position, record_id, data FROM list_view_results WHERE object = ? AND list_view_id = ? "
            "ORDER BY position", [obj, view_id],
        ).fetchall()
    return [(p, i, json.loads(d)) for p, i, d in rows]


def _assert_matches_results_resource(settings: Settings, client: SalesforceClient, obj: str, view: lv.ListView) -> int:
    theirs = _results(client, obj, view)
    ours = _materialised(settings, obj, view.id)
    assert [p for p, _, _ in ours] == list(range(1, len(ours) + 1))
    assert [i for _, i, _ in ours] == [r["Id"] for r in theirs], f"{obj}/{view.developer_name}: order or ids differ"
    for (_, _, data), record in zip(ours, theirs, strict=True):
        assert set(data) == set(record)
        bad = {k: (data[k], record[k]) for k in record if not _same(data[k], record[k])}
        assert not bad, f"{obj}/{view.developer_name} {record['Id']}: {bad}"
    return len(theirs)


# ------------------------------------------------------------------------------------ client side
def test_list_views_describe_and_results_shapes(client: SalesforceClient) -> None:
    views = lv.list_views(client, "Opportunity")
    won = lv.find_list_view(views, "Opportunity", "Won")
    assert len(won.id) == 18 and won.id.startswith("00B") and won.label == "Won Opportunities"
    # by 15- or 18-character id, developer name or label
    for key in (won.id, won.id[:15], "Won", "Won Opportunities"):
        assert lv.find_list_view(views, "Opportunity", key) == won
    describe = lv.describe_list_view(client, "Opportunity", won.id)
    assert describe.id == won.id[:15] and describe.sobject == "Opportunity" and "IsWon = true" in describe.query
    assert describe.visible_fields[:3] == ["Name", "Account.Name", "Amount"]
    assert [c.field for c in describe.columns if c.hidden] == ["Id", "CreatedDate", "LastModifiedDate", "SystemModstamp"]
    page = lv.list_view_results(client, "Opportunity", won.id, limit=5)
    assert len(page.records) == 5 and page.size > 5 and not page.done
    assert list(page.records[0]) == [c.field for c in describe.columns]
    with pytest.raises(ValidationError):
        lv.list_view_results(client, "Opportunity", won.id, limit=2001)


def test_unknown_list_view_is_a_clear_error(client: SalesforceClient) -> None:
    views = lv.list_views(client, "Account")
    with pytest.raises(lv.ListViewNotFound) as caught:
        lv.find_list_view(views, "Account", "Platinum Accounts", alias="acme")
    assert isinstance(caught.value, ValidationError)
    assert "Account has no list view 'Platinum Accounts' in org 'acme'" in caught.value.message
    assert caught.value.hint is not None and "AllAccounts (All Accounts)" in caught.value.hint
    with pytest.raises(ValidationError):
        lv.describe_list_view(client, "Account", "00B'; DROP")


# ---------------------------------------------------------------------------------- materialisation
def test_materialised_rows_equal_the_results_resource(synced: tuple[Settings, SalesforceSandbox],
                                                      client: SalesforceClient) -> None:
    settings, _ = synced
    with OrgWarehouse(settings.org_db("acme")) as warehouse:
        report = materialise_list_views(client, warehouse, DEFAULTS, run_id="r1")
    assert all(r.error is None for r in report), [r.error for r in report if r.error]
    assert [(r.object, r.developer_name) for r in report] == [
        ("Opportunity", "Won"), ("Opportunity", "OpenPipeline"), ("Opportunity", "AllOpportunities"),
        ("Account", "AllAccounts"), ("Case", "AllOpenCases"), ("Case", "EscalatedCases"), ("Lead", "AllOpenLeads"),
    ]
    assert {r.source for r in report} == {"query"}
    for result in report:
        views = lv.list_views(client, result.object)
        view = lv.find_list_view(views, result.object, result.requested)
        assert _assert_matches_results_resource(settings, client, result.object, view) == result.rows
    stored = stored_list_views(settings, "acme", "Opportunity")
    assert [(v.developer_name, v.ordinal, v.row_count) for v in stored] == [
        (r.developer_name, i, r.rows) for i, r in enumerate(report[:3])
    ]


def test_results_resource_path_gives_the_same_rows(synced: tuple[Settings, SalesforceSandbox],
                                                   client: SalesforceClient) -> None:
    settings, _ = synced
    with OrgWarehouse(settings.org_db("acme")) as warehouse:
        report = materialise_list_views(client, warehouse, {"Opportunity": ["Won"], "Case": ["Escalated"]},
                                        prefer="results")
    assert {r.source for r in report} == {"results"} and all(r.error is None for r in report)
    for result in report:
        view = lv.find_list_view(lv.list_views(client, result.object), result.object, result.requested)
        _assert_matches_results_resource(settings, client, result.object, view)


def test_rematerialise_after_changes_in_the_org(synced: tuple[Settings, SalesforceSandbox],
                                                client: SalesforceClient) -> None:
    settings, sandbox = synced
    assert sandbox.store is not None
    with OrgWarehouse(settings.org_db("acme")) as warehouse:
        materialise_list_views(client, warehouse, {"Opportunity": ["Won"]})
    won = lv.find_list_view(lv.list_views(client, "Opportunity"), "Opportunity", "Won")
    before = {i for _, i, _ in _materialised(settings, "Opportunity", won.id)}
    open_one = sandbox.store.read(
        "SELECT \"Id\" FROM \"Opportunity\" WHERE NOT \"IsClosed\" AND NOT \"IsDeleted\" ORDER BY \"Id\" LIMIT 1"
    ).column("Id")[0].as_py()
    sandbox.store.update("Opportunity", open_one, {"StageName": "Closed Won"})
    control(sandbox, "simulate", {"changes": 300, "seed": 5})
    settle(sandbox, settings)
    assert sync_org(control_db(settings), settings, "acme").status == "completed"
    with OrgWarehouse(settings.org_db("acme")) as warehouse:
        report = materialise_list_views(client, warehouse, {"Opportunity": ["Won"]})
        duplicates = warehouse.conn.execute(
            "SELECT count(*) FROM (SELECT list_view_id, position FROM list_view_results GROUP BY ALL "
            "HAVING count(*) > 1)"
        ).fetchone()
    assert duplicates == (0,)
    after = {i for _, i, _ in _materialised(settings, "Opportunity", won.id)}
    assert open_one in after and open_one not in before and report[0].rows == len(after)
    _assert_matches_results_resource(settings, client, "Opportunity", won)


def test_unconfigured_and_unknown_views(synced: tuple[Settings, SalesforceSandbox], client: SalesforceClient) -> None:
    settings, _ = synced
    with OrgWarehouse(settings.org_db("acme")) as warehouse:
        materialise_list_views(client, warehouse, {"Opportunity": ["Won", "OpenPipeline"], "Lead": ["AllOpenLeads"]})
        report = materialise_list_views(client, warehouse, {"Opportunity": ["Won", "Platinum Deals"]})
        assert report[1].error is not None and "Platinum Deals" in report[1].error and report[1].rows == 0
        kept = warehouse.conn.execute(
            "SELECT DISTINCT list_view_name FROM list_view_results ORDER BY 1").fetchall()
        assert kept == [("Won",)]  # OpenPipeline and the Lead view are no longer configured: pruned
        with pytest.raises(lv.ListViewNotFound):
            materialise_list_views(client, warehouse, {"Opportunity": ["Platinum Deals"]}, strict=True)
        with pytest.raises(ValidationError):
            materialise_list_views(client, warehouse, {"Opportunity": ["Won"]}, max_rows=0)


def test_max_rows_keeps_the_first_rows_and_says_so(synced: tuple[Settings, SalesforceSandbox],
                                                   client: SalesforceClient) -> None:
    settings, _ = synced
    with OrgWarehouse(settings.org_db("acme")) as warehouse:
        report = materialise_list_views(client, warehouse, {"Opportunity": ["AllOpportunities"]}, max_rows=40)
    assert report[0].rows == 40 and report[0].truncated
    view = lv.find_list_view(lv.list_views(client, "Opportunity"), "Opportunity", "AllOpportunities")
    first = lv.list_view_results(client, "Opportunity", view.id, limit=40)
    assert [i for _, i, _ in _materialised(settings, "Opportunity", view.id)] == [r["Id"] for r in first.records]
    assert stored_list_views(settings, "acme", "Opportunity")[0].truncated


# ---------------------------------------------------------------------------------------- reading
def test_list_view_rows_for_display(synced: tuple[Settings, SalesforceSandbox], client: SalesforceClient) -> None:
    settings, _ = synced
    with OrgWarehouse(settings.org_db("acme")) as warehouse:
        materialise_list_views(client, warehouse, {"Opportunity": ["OpenPipeline", "Won"]})
    view = lv.find_list_view(lv.list_views(client, "Opportunity"), "Opportunity", "OpenPipeline")
    theirs = lv.list_view_results(client, "Opportunity", view.id, limit=10).records
    # default: the object's first default view, its visible columns
    columns, rows = list_view_rows(settings, "acme", "Opportunity", limit=10)
    assert columns == ["Name", "Account.Name", "Amount", "CloseDate", "StageName", "Owner.Alias"]
    assert [r[0] for r in rows] == [t["Name"] for t in theirs]
    assert [r[1] for r in rows] == [t["Account.Name"] for t in theirs]
    # layout fields: from the view when it has them, else from the synced table by record id
    columns, rows = list_view_rows(settings, "acme", "opportunity", "Won Opportunities",
                                   ["Name", "StageName", "Probability", "IsWon"])
    assert columns == ["Name", "StageName", "Probability", "IsWon"] and rows
    assert {r[3] for r in rows} == {"true"} and {r[2] for r in rows} == {"100"}
    by_id, _ = list_view_rows(settings, "acme", "Opportunity", view.id[:15], ["Name"], limit=1)
    assert by_id == ["Name"]


def test_list_view_rows_bad_input(synced: tuple[Settings, SalesforceSandbox], client: SalesforceClient,
                                  tmp_path: Path) -> None:
    settings, _ = synced
    with OrgWarehouse(settings.org_db("acme")) as warehouse:
        materialise_list_views(client, warehouse, {"Opportunity": ["Won"]})
    with pytest.raises(ValidationError, match="no materialised list view 'Nope'") as caught:
        list_view_rows(settings, "acme", "Opportunity", "Nope")
    assert caught.value.hint is not None and "Won (Won Opportunities)" in caught.value.hint
    with pytest.raises(ValidationError, match="Colour__c: not a column of list view"):
        list_view_rows(settings, "acme", "Opportunity", "Won", ["Name", "Colour__c"])
    with pytest.raises(ValidationError, match="no list view of Contact is materialised"):
        list_view_rows(settings, "acme", "Contact")
    other = Settings(home=tmp_path / "elsewhere")
    with pytest.raises(ConfigurationError, match="has no synced data yet"):
        list_view_rows(other, "acme", "Opportunity")



def test_the_sync_step_reads_the_configured_defaults(synced: tuple[Settings, SalesforceSandbox],
                                                      client: SalesforceClient) -> None:
    settings, _ = synced
    views = {v.developer_name: v for v in lv.list_views(client, "Opportunity")}
    control_db = ControlDB(settings.control_db)
    refs = [ListViewRef(id=views[n].id[:15], developer_name=n, label=views[n].label) for n in ("OpenPipeline", "Won")]
    with control_db.transaction() as db:  # as `saleshome lists` stores them (15-character ids)
        write_lists(db, "acme", OrgSettings(objects={"Opportunity": ObjectLists(default_lists=refs),
                                                     "Account": ObjectLists()}))
    with OrgWarehouse(settings.org_db("acme")) as warehouse:
        report = materialise_default_list_views(client, warehouse, control_db, "acme", run_id="run-1")
    assert [(r.developer_name, r.error) for r in report] == [("OpenPipeline", None), ("Won", None)]
    assert [v.developer_name for v in stored_list_views(settings, "acme")] == ["OpenPipeline", "Won"]
    assert list_view_rows(settings, "acme", "Opportunity")[1] == list_view_rows(settings, "acme", "Opportunity",
                                                                                "OpenPipeline")[1]
