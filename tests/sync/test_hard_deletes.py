"""Objects without IsDeleted (PermissionSetAssignment, User): they sync on the REST and Bulk paths, and
a deleted assignment (a hard delete: no Recycle Bin, not in queryAll) leaves the warehouse at the
next incremental run — the Id reconciliation runs at every sync for such small objects, not daily."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from saleshome.config import load_settings
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from saleshome.sync.engine import sync_org
from saleshome.sync.results import ObjectResult, SyncResult
from saleshome.warehouse.control import control_db
from tests.fixtures.sandboxes import connect_org, settle
from tests.fixtures.sandboxes import sandbox_control as control

from .conftest import assert_same_as_org, our_rows

OBJECTS = ["User", "PermissionSetAssignment"]
PSA_COLUMNS = {"Id", "AssigneeId", "PermissionSetId", "PermissionSetGroupId", "IsActive", "IsRevoked",
               "ExpirationDate", "SystemModstamp", "PermissionSet.Name"}


def _object(result: SyncResult, name: str) -> ObjectResult:
    return next(o for o in result.objects if o.object == name)


@pytest.mark.parametrize("path", ["rest", "bulk"])
def test_assignments_sync_and_a_deleted_one_leaves_at_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str,
) -> None:
    monkeypatch.setenv("SALESHOME_HOME", str(tmp_path / "home"))
    settings = load_settings(bulk_threshold=1 if path == "bulk" else 100_000)  # reconcile_hours: the default 24
    with SalesforceSandbox(seed=5, opportunities=120) as sandbox:
        assert sandbox.store is not None
        connect_org(settings, sandbox, "acme", monkeypatch)
        first = sync_org(control_db(settings), settings, "acme", objects=OBJECTS)
        assert first.status == "completed"
        assignments = _object(first, "PermissionSetAssignment")
        assert assignments.path == path == _object(first, "User").path
        columns, ours = our_rows(settings, "acme", "PermissionSetAssignment")
        assert set(columns) == PSA_COLUMNS  # no IsDeleted, no Created*/LastModified*: the real fields
        assert "IsDeleted" not in our_rows(settings, "acme", "User")[0]
        assert assignments.inserted == len(ours) > 0 and assignments.deleted == 0
        assert_same_as_org(settings, "acme", sandbox, OBJECTS)

        report = control(sandbox, "simulate", {"changes": 3, "seed": 1, "kinds": {"revoke_assignment": 1}})
        revoked = report["touched"]["PermissionSetAssignment"]
        policy = next(i for i in sorted(ours) if i not in revoked)
        sandbox.store.update("PermissionSetAssignment", policy, {"IsRevoked": True})
        settle(sandbox, settings)
        second = sync_org(control_db(settings), settings, "acme", objects=OBJECTS)
        assert second.status == "completed" and second.kind == "incremental"
        assignments = _object(second, "PermissionSetAssignment")
        assert (assignments.purged, assignments.updated, assignments.deleted) == (3, 1, 0)
        assert assignments.path == path
        assert _object(second, "User").purged == 0  # users cannot be deleted: not reconciled at every run
        assert_same_as_org(settings, "acme", sandbox, OBJECTS)
        with duckdb.connect(str(settings.org_db("acme")), read_only=True) as db:
            logged = db.execute(
                "SELECT record_id, operation, field, old_value, new_value FROM change_log "
                "WHERE run_id = ? AND object = 'PermissionSetAssignment' ORDER BY record_id", [second.run_id],
            ).fetchall()
        assert sorted(logged) == sorted(
            [(i, "delete", None, None, "purged") for i in revoked] + [(policy, "update", "IsRevoked", "false", "true")]
        )
