"""Setup objects as Salesforce describes them: PermissionSetAssignment has only its real fields (no
IsDeleted, no Created*/LastModified*), and deleting one is a hard delete (no Recycle Bin).

Field lists: Object Reference and Field Reference, PermissionSetAssignment (Id, AssigneeId,
PermissionSetId, PermissionSetGroupId, IsActive, IsRevoked, ExpirationDate, SystemModstamp
"Date Assigned"); PermissionSet, User, UserRole, ListView and OpportunityStage have no IsDeleted;
UserRole has no CreatedDate/CreatedById.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceResourceNotFound

from saleshome.sandbox.salesforce.errors import ApiError
from saleshome.sandbox.salesforce.seed import SALES_HOME_PERMISSION_SET
from saleshome.sandbox.salesforce.server import SalesforceSandbox

PSA_FIELDS = {"Id", "AssigneeId", "PermissionSetId", "PermissionSetGroupId", "IsActive", "IsRevoked", "ExpirationDate",
              "SystemModstamp"}


def _error(exc: pytest.ExceptionInfo[Exception]) -> dict[str, str]:
    content = exc.value.content  # type: ignore[attr-defined]
    assert isinstance(content, list) and len(content) == 1, content
    return content[0]  # type: ignore[no-any-return]


def test_permission_set_assignment_describes_its_real_fields(sf: Salesforce) -> None:
    describe = sf.PermissionSetAssignment.describe()
    fields = {f["name"]: f for f in describe["fields"]}
    assert set(fields) == PSA_FIELDS
    assert fields["SystemModstamp"]["label"] == "Date Assigned" and fields["SystemModstamp"]["type"] == "datetime"
    assert fields["PermissionSetGroupId"]["referenceTo"] == ["PermissionSetGroup"]
    assert fields["PermissionSetGroupId"]["nillable"] and fields["PermissionSetGroupId"]["createable"]
    revoked, active = fields["IsRevoked"], fields["IsActive"]
    assert (revoked["type"], revoked["createable"], revoked["updateable"], revoked["defaultedOnCreate"]) == (
        "boolean", False, True, True)
    assert (active["createable"], active["updateable"], active["defaultedOnCreate"]) == (False, False, True)
    assert fields["ExpirationDate"]["updateable"] and fields["ExpirationDate"]["nillable"]
    assert (describe["deletable"], describe["undeletable"]) == (True, False)  # no Recycle Bin


@pytest.mark.parametrize(
    ("obj", "absent"),
    [
        ("PermissionSet", {"IsDeleted"}),
        ("User", {"IsDeleted"}),
        ("UserRole", {"IsDeleted", "CreatedDate", "CreatedById"}),
        ("ListView", {"IsDeleted"}),
        ("OpportunityStage", {"IsDeleted"}),
    ],
)
def test_setup_objects_have_no_is_deleted(sf: Salesforce, obj: str, absent: set[str]) -> None:
    names = {f["name"] for f in sf.restful(f"sobjects/{obj}/describe")["fields"]}
    assert not names & absent and "SystemModstamp" in names and "LastModifiedDate" in names
    assert "IsDeleted" in {f["name"] for f in sf.Account.describe()["fields"]}  # records in the Recycle Bin


@pytest.mark.parametrize("field", ["IsDeleted", "CreatedDate", "LastModifiedById"])
def test_selecting_a_field_the_assignment_lacks_is_invalid_field(sf: Salesforce, field: str) -> None:
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query_all(f"SELECT Id, {field} FROM PermissionSetAssignment", include_deleted=True)
    err = _error(exc)
    assert err["errorCode"] == "INVALID_FIELD"
    assert f"No such column '{field}' on entity 'PermissionSetAssignment'" in err["message"]


def test_assignment_query_reads_the_real_fields(sf: Salesforce) -> None:
    rows = sf.query(
        "SELECT Id, AssigneeId, PermissionSet.Name, PermissionSetGroupId, IsActive, IsRevoked, ExpirationDate, "
        f"SystemModstamp FROM PermissionSetAssignment WHERE PermissionSet.Name = '{SALES_HOME_PERMISSION_SET}'"
    )["records"]
    assert rows and all(r["IsRevoked"] is False and r["PermissionSetGroupId"] is None for r in rows)
    assert all(r["SystemModstamp"] and r["PermissionSet"]["Name"] == SALES_HOME_PERMISSION_SET for r in rows)


def test_deleting_an_assignment_is_a_hard_delete(sandbox: SalesforceSandbox, sf: Salesforce) -> None:
    assert sandbox.store is not None
    home = sf.query(f"SELECT Id FROM PermissionSet WHERE Name = '{SALES_HOME_PERMISSION_SET}'")["records"][0]["Id"]
    holders = {r["AssigneeId"] for r in sf.query_all(
        f"SELECT AssigneeId FROM PermissionSetAssignment WHERE PermissionSetId = '{home}'")["records"]}
    user = next(r["Id"] for r in sf.query_all("SELECT Id FROM User WHERE IsActive = true")["records"]
                if r["Id"] not in holders)
    start = sandbox.store.clock.now() - timedelta(minutes=5)
    created = sf.PermissionSetAssignment.create({"AssigneeId": user, "PermissionSetId": home})
    record = sf.PermissionSetAssignment.get(created["id"])
    assert (record["IsActive"], record["IsRevoked"]) == (True, False) and "IsDeleted" not in record
    assert sf.PermissionSetAssignment.update(created["id"], {"IsRevoked": True}) == 204
    assert sf.PermissionSetAssignment.delete(created["id"]) == 204
    soql = f"SELECT Id FROM PermissionSetAssignment WHERE Id = '{created['id']}'"
    assert sf.query_all(soql, include_deleted=True)["totalSize"] == 0  # not even queryAll has it
    with pytest.raises(SalesforceResourceNotFound) as exc:
        sf.PermissionSetAssignment.get(created["id"])
    assert _error(exc)["errorCode"] == "NOT_FOUND"
    sandbox.store.clock.advance(120)
    deleted = sf.PermissionSetAssignment.deleted(start, sandbox.store.clock.now())
    assert created["id"] not in [d["id"] for d in deleted["deletedRecords"]]
    with pytest.raises(ApiError, match="does not support undelete"):
        sandbox.store.undelete("PermissionSetAssignment", created["id"])


def test_an_assignment_cannot_be_created_revoked(sf: Salesforce) -> None:
    user = sf.query("SELECT Id FROM User LIMIT 1")["records"][0]["Id"]
    home = sf.query(f"SELECT Id FROM PermissionSet WHERE Name = '{SALES_HOME_PERMISSION_SET}'")["records"][0]["Id"]
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.PermissionSetAssignment.create({"AssigneeId": user, "PermissionSetId": home, "IsRevoked": True})
    assert _error(exc)["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
