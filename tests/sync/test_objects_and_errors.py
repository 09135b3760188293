"""Per-object errors in `saleshome status`, and the objects a sync covers beyond the default set."""

from __future__ import annotations

import duckdb
import pytest
from typer.testing import CliRunner

from saleshome.cli import app
from saleshome.config import Settings
from saleshome.errors import SalesHomeError
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from saleshome.settings.model import Layout, ObjectLists, OrgSettings
from saleshome.settings.store import write_layout, write_lists
from saleshome.sync.engine import DEFAULT_OBJECTS, sync_org
from saleshome.sync.status import read_status
from saleshome.warehouse.control import ControlDB, control_db
from tests.fixtures.sandboxes import sandbox_control as control
from tests.sync.conftest import assert_same_as_org

pytestmark = pytest.mark.integration


def object_errors(settings: Settings, alias: str = "acme") -> dict[str, str | None]:
    (org,) = [o for o in read_status(control_db(settings), settings) if o.alias == alias]
    return {o.object: o.last_error for o in org.objects}


def test_a_failed_object_keeps_its_error_on_its_status_row_until_it_syncs_again(
    org: tuple[Settings, SalesforceSandbox], monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings, sandbox = org
    objects = ["Account", "Contact", "Opportunity"]
    assert sync_org(control_db(settings), settings, "acme", objects=objects).status == "completed"
    rows_before = {o.object: o.rows for o in read_status(control_db(settings), settings)[0].objects}
    cursor_before = {o.object: o.cursor for o in read_status(control_db(settings), settings)[0].objects}

    fault = sandbox.faults.add("status", status=400, path=r"/sobjects/Contact/describe", times=0,
                               error_code="INVALID_FIELD", message="No such column 'Secret__c' on entity 'Contact'")
    with pytest.raises(SalesHomeError, match="Secret__c"):
        sync_org(control_db(settings), settings, "acme", objects=objects)
    errors = object_errors(settings)
    assert errors["Contact"] is not None and "Secret__c" in errors["Contact"]
    assert errors["Account"] is None  # synced before the failure, in the same run
    (acme,) = read_status(control_db(settings), settings)
    contact = next(o for o in acme.objects if o.object == "Contact")
    assert contact.rows == rows_before["Contact"] and contact.cursor == cursor_before["Contact"]  # kept
    assert acme.last_run is not None and acme.last_run.status == "failed"

    monkeypatch.setenv("COLUMNS", "400")
    shown = CliRunner().invoke(app, ["status"])
    assert shown.exit_code == 0, shown.output
    line = next(li for li in shown.output.splitlines() if "│ Contact " in li)
    assert "Secret__c" in line
    assert "Secret__c" not in next(li for li in shown.output.splitlines() if "│ Account " in li)

    assert fault.fired >= 1
    sandbox.faults.clear()
    assert sync_org(control_db(settings), settings, "acme", objects=objects).status == "completed"
    assert object_errors(settings) == {"Account": None, "Contact": None, "Opportunity": None}


def test_an_object_that_never_synced_gets_a_status_row_with_its_error(
    org: tuple[Settings, SalesforceSandbox],
) -> None:
    settings, sandbox = org
    sandbox.faults.add("status", status=400, path=r"/sobjects/Lead/describe", times=0, error_code="INVALID_TYPE",
                       message="sObject type 'Lead' is not supported")
    with pytest.raises(SalesHomeError):
        sync_org(control_db(settings), settings, "acme", objects=["Account", "Lead"])
    (acme,) = read_status(control_db(settings), settings)
    lead = next(o for o in acme.objects if o.object == "Lead")
    assert lead.last_error is not None and "not supported" in lead.last_error
    assert lead.last_synced_at is None and lead.cursor is None
    sandbox.faults.clear()


# ---------------------------------------------------------------------------------------- objects from settings
def test_objects_referenced_by_settings_are_synced_after_the_default_set(
    org: tuple[Settings, SalesforceSandbox],
) -> None:
    settings, sandbox = org
    first = sync_org(control_db(settings), settings, "acme", objects=["Account"])
    assert [o.object for o in first.objects] == ["Account"]
    control(sandbox, "schema", {"object": "PermissionSetGroup", "queryable": False})
    ctl = ControlDB(settings.control_db)
    with ctl.transaction() as db:  # Sales Home shows UserRole (and an object the org lacks); two layouts
        write_lists(db, "acme", OrgSettings(objects={"Account": ObjectLists(), "UserRole": ObjectLists(),
                                                     "Nope__c": ObjectLists()}))
        write_layout(db, "acme", "OpportunityStage", Layout(fields=["MasterLabel"]))
        write_layout(db, "acme", "PermissionSetGroup", Layout(fields=["MasterLabel"]))

    result = sync_org(control_db(settings), settings, "acme")
    assert result.status == "completed"
    assert [o.object for o in result.objects] == [*DEFAULT_OBJECTS, "OpportunityStage", "UserRole"]
    assert_same_as_org(settings, "acme", sandbox, ["UserRole", "OpportunityStage"])
    assert next(o for o in result.objects if o.object == "UserRole").inserted > 0
    with duckdb.connect(str(settings.org_db("acme")), read_only=True) as db:
        tables = {r[0] for r in db.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'sf'").fetchall()}
    assert {"UserRole", "OpportunityStage"} <= tables
    assert not {"Nope__c", "PermissionSetGroup"} & tables
    rows = {o.object: o.rows for o in read_status(control_db(settings), settings)[0].objects}
    assert rows["UserRole"] and rows["OpportunityStage"]

    asked = sync_org(control_db(settings), settings, "acme", objects=["Account"])  # asked objects are exactly those
    assert [o.object for o in asked.objects] == ["Account"]
