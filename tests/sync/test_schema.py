"""Describe → DuckDB: the type table (docs/adr/0002), the cursor fallback, and the types end to end."""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from typing import Any

import duckdb
import pytest

from saleshome.config import Settings, load_settings
from saleshome.errors import FatalError
from saleshome.salesforce.schema import duck_type, object_schema
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from saleshome.sync.engine import sync_org
from saleshome.warehouse.control import control_db
from tests.fixtures.sandboxes import connect_org, settle
from tests.fixtures.sandboxes import sandbox_control as control

from .conftest import assert_same_as_org


def _field(name: str, sf_type: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": sf_type, "filterable": True, "calculated": False, **extra}


@pytest.mark.parametrize(("sf_type", "extra", "expected"), [
    ("id", {}, "VARCHAR"),
    ("reference", {}, "VARCHAR"),
    ("string", {"length": 80}, "VARCHAR"),
    ("picklist", {}, "VARCHAR"),
    ("combobox", {}, "VARCHAR"),
    ("textarea", {}, "VARCHAR"),
    ("url", {}, "VARCHAR"),
    ("email", {}, "VARCHAR"),
    ("phone", {}, "VARCHAR"),
    ("encryptedstring", {}, "VARCHAR"),
    ("multipicklist", {}, "VARCHAR[]"),
    ("currency", {"precision": 18, "scale": 2}, "DECIMAL(18,2)"),
    ("percent", {"precision": 3, "scale": 0}, "DECIMAL(3,0)"),
    ("double", {"precision": 18, "scale": 15}, "DECIMAL(18,15)"),
    ("double", {"precision": 0, "scale": 0}, "DOUBLE"),  # no precision in describe
    ("double", {"precision": 40, "scale": 2}, "DOUBLE"),  # wider than DuckDB's DECIMAL
    ("currency", {"precision": 5, "scale": 8}, "DOUBLE"),  # inconsistent describe
    ("int", {"digits": 9}, "INTEGER"),
    ("int", {"digits": 18}, "BIGINT"),
    ("int", {}, "INTEGER"),
    ("long", {"digits": 18}, "BIGINT"),
    ("boolean", {}, "BOOLEAN"),
    ("date", {}, "DATE"),
    ("datetime", {}, "TIMESTAMPTZ"),
    ("time", {}, "TIME"),
    ("address", {}, None),
    ("location", {}, None),
    ("base64", {}, None),
])
def test_type_table(sf_type: str, extra: dict[str, Any], expected: str | None) -> None:
    assert duck_type(_field("X__c", sf_type, **extra)) == expected


def _describe(*fields: dict[str, Any], name: str = "Thing__c") -> dict[str, Any]:
    return {"name": name, "deletable": True, "fields": [_field("Id", "id"), *fields]}


def test_compound_parents_are_skipped_and_their_components_kept() -> None:
    schema = object_schema(_describe(
        _field("SystemModstamp", "datetime"),
        _field("BillingStreet", "textarea", compoundFieldName="BillingAddress"),
        _field("BillingLatitude", "double", precision=18, scale=15, compoundFieldName="BillingAddress"),
        _field("BillingAddress", "address"),
        _field("Geo__Latitude__s", "double", precision=18, scale=15, compoundFieldName="Geo__c"),
        _field("Geo__Longitude__s", "double", precision=18, scale=15, compoundFieldName="Geo__c"),
        _field("Geo__c", "location"),
        _field("Logo__c", "base64"),
        _field("Days__c", "int", digits=9, calculated=True),
    ))
    assert {c.name: c.duck_type for c in schema.columns} == {
        "Id": "VARCHAR", "SystemModstamp": "TIMESTAMPTZ", "BillingStreet": "VARCHAR",
        "BillingLatitude": "DECIMAL(18,15)", "Geo__Latitude__s": "DECIMAL(18,15)",
        "Geo__Longitude__s": "DECIMAL(18,15)",
    }
    assert "Days__c" in {c.name for c in object_schema(_describe(
        _field("SystemModstamp", "datetime"), _field("Days__c", "int", calculated=True)), include_formulas=True).columns}


# ------------------------------------------------------------------------------------------- the cursor
@pytest.mark.parametrize(("present", "expected"), [
    ({"SystemModstamp": True, "LastModifiedDate": True, "CreatedDate": True}, "SystemModstamp"),
    ({"SystemModstamp": False, "LastModifiedDate": True, "CreatedDate": True}, "LastModifiedDate"),
    ({"LastModifiedDate": True, "CreatedDate": True}, "LastModifiedDate"),
    ({"SystemModstamp": False, "LastModifiedDate": False, "CreatedDate": True}, "CreatedDate"),
    ({"CreatedDate": True}, "CreatedDate"),
])
def test_cursor_falls_back_to_the_first_filterable_field(present: dict[str, bool], expected: str) -> None:
    fields = [_field(name, "datetime", filterable=filterable) for name, filterable in present.items()]
    assert object_schema(_describe(*fields)).cursor_field == expected


@pytest.mark.parametrize("present", [
    {},
    {"SystemModstamp": False, "LastModifiedDate": False, "CreatedDate": False},
    {"CreatedDate": False},
])
def test_an_object_without_a_filterable_cursor_is_refused(present: dict[str, bool]) -> None:
    fields = [_field(name, "datetime", filterable=filterable) for name, filterable in present.items()]
    fields.append(_field("Name", "string"))
    with pytest.raises(FatalError, match=r"Thing__c has no filterable SystemModstamp, LastModifiedDate or CreatedDate") \
            as caught:
        object_schema(_describe(*fields))
    assert caught.value.hint == "remove it from the org's objects"


# ------------------------------------------------------------------------------------------- end to end
NEW_FIELDS = [
    "Tags__c:multipicklist", "Opens_At__c:time", "Score__c:double:p=0", "Ratio__c:percent:p=5,s=2",
    "Fee__c:currency:p=16,s=2", "Seats__c:int", "Views__c:int:digits=18", "Events__c:long",
    "Active__c:boolean", "Renewal__c:date", "Touched__c:datetime", "Site__c:url", "Mail__c:email",
    "Fax__c:phone", "Notes__c:textarea", "Tier__c:picklist", "Code__c:string:len=20",
    "HQ__Latitude__s:double:comp=HQ__c,p=18,s=15", "HQ__Longitude__s:double:comp=HQ__c,p=18,s=15",
    "HQ__c:location:ro", "Logo__c:base64",
]
EXPECTED_TYPES = {
    "Tags__c": "VARCHAR[]", "Opens_At__c": "TIME", "Score__c": "DOUBLE", "Ratio__c": "DECIMAL(5,2)",
    "Fee__c": "DECIMAL(16,2)", "Seats__c": "INTEGER", "Views__c": "BIGINT", "Events__c": "BIGINT",
    "Active__c": "BOOLEAN", "Renewal__c": "DATE", "Touched__c": "TIMESTAMP WITH TIME ZONE", "Site__c": "VARCHAR",
    "Mail__c": "VARCHAR", "Fax__c": "VARCHAR", "Notes__c": "VARCHAR", "Tier__c": "VARCHAR", "Code__c": "VARCHAR",
    "HQ__Latitude__s": "DECIMAL(18,15)", "HQ__Longitude__s": "DECIMAL(18,15)",
    "Id": "VARCHAR", "ParentId": "VARCHAR",
}
VALUES: dict[str, Any] = {
    "Tags__c": "Gold;Silver;Bronze", "Opens_At__c": "08:30:15.250Z", "Score__c": 0.125, "Ratio__c": 12.5,
    "Fee__c": 1234.56, "Seats__c": 42, "Views__c": 9_000_000_000, "Events__c": 123_456_789_012,
    "Active__c": True, "Renewal__c": "2027-03-31", "Touched__c": "2026-01-02T03:04:05.678Z",
    "Site__c": "https://example.com", "Mail__c": "a@example.com", "Fax__c": "+1 555 0100",
    "Notes__c": "line one\nline \"two\", three", "Tier__c": "Gold", "Code__c": "X-1",
    "HQ__Latitude__s": 48.858844, "HQ__Longitude__s": 2.294351,
}


@pytest.mark.parametrize("path", ["rest", "bulk"])
def test_every_type_arrives_typed_in_duckdb(home: Settings, monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    settings = load_settings(bulk_threshold=1 if path == "bulk" else 100_000, chunk_rows=3000, reconcile_hours=1e6)
    with SalesforceSandbox(seed=5, opportunities=50) as sandbox:
        assert sandbox.store is not None
        connect_org(settings, sandbox, "acme", monkeypatch)
        for spec in NEW_FIELDS:
            control(sandbox, "schema", {"object": "Account", "add": spec})
        record = sandbox.store.read('SELECT "Id" FROM "Account" ORDER BY "Id" LIMIT 1').column("Id")[0].as_py()
        sandbox.store.update("Account", record, VALUES)
        settle(sandbox, settings)
        run = sync_org(control_db(settings), settings, "acme", objects=["Account"])
        assert run.status == "completed" and run.objects[0].path == path
        with duckdb.connect(str(settings.org_db("acme")), read_only=True) as db:
            types = dict(db.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'sf' "
                "AND table_name = 'Account'").fetchall())
            names = list(VALUES)
            row = db.execute(f'SELECT {", ".join(chr(34) + n + chr(34) for n in names)}, '
                             f'strftime("Touched__c" AT TIME ZONE \'UTC\', \'%Y-%m-%dT%H:%M:%S.%g\') '
                             'FROM sf."Account" WHERE "Id" = ?', [record]).fetchone()
            empty = db.execute('SELECT "Tags__c", "Opens_At__c" FROM sf."Account" WHERE "Id" <> ? LIMIT 1',
                               [record]).fetchone()
        assert {k: types.get(k) for k in EXPECTED_TYPES} == EXPECTED_TYPES
        assert not {"HQ__c", "Logo__c"} & set(types)  # compound parent and base64 skipped
        assert row is not None
        got = dict(zip([*names, "touched"], row, strict=True))
        assert got["Tags__c"] == ["Gold", "Silver", "Bronze"]
        assert got["Opens_At__c"] == time(8, 30, 15, 250_000)
        assert got["touched"] == "2026-01-02T03:04:05.678"
        assert got["Score__c"] == 0.125 and got["Ratio__c"] == Decimal("12.50") and got["Fee__c"] == Decimal("1234.56")
        assert (got["Seats__c"], got["Views__c"], got["Events__c"]) == (42, 9_000_000_000, 123_456_789_012)
        assert got["Active__c"] is True and str(got["Renewal__c"]) == "2027-03-31"
        assert got["Notes__c"] == VALUES["Notes__c"] and got["Site__c"] == VALUES["Site__c"]
        assert (got["Mail__c"], got["Fax__c"], got["Tier__c"], got["Code__c"]) == (
            "a@example.com", "+1 555 0100", "Gold", "X-1")
        assert got["HQ__Latitude__s"] == Decimal("48.858844000000000") and float(got["HQ__Longitude__s"]) == 2.294351
        assert empty == (None, None)
        assert_same_as_org(settings, "acme", sandbox, ["Account"])
