"""Bulk API 2.0 query jobs through simple-salesforce's ``bulk2`` over HTTPS.

Follows the Bulk API 2.0 and Bulk API Developer Guide: "Create a Query Job", "Get
Information About a Query Job", "Get Results for a Query Job" (CSV, ``Sforce-Locator``
with the string ``null`` on the last set, ``Sforce-NumberOfRecords``), "Abort a Query Job",
"Delete a Query Job".
"""

from __future__ import annotations

import csv
import io
import re
import time
from typing import Any, cast

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceOperationError

from saleshome.sandbox.salesforce.server import SalesforceSandbox

from .conftest import bulk2


def _wait(sf: Salesforce, job_id: str) -> dict[str, Any]:
    states = []
    for _ in range(200):
        info = sf.restful(f"jobs/query/{job_id}")
        states.append(info["state"])
        if info["state"] in ("JobComplete", "Failed", "Aborted"):
            return {"info": info, "states": states}
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} never finished: {states}")


def _create(sf: Salesforce, soql: str, operation: str = "query") -> dict[str, Any]:
    return cast(dict[str, Any], sf.restful("jobs/query", method="POST", json={"operation": operation, "query": soql}))


def test_job_lifecycle_and_locator_paging(sf: Salesforce) -> None:
    job = _create(sf, "SELECT Id, Name, Amount, CloseDate, IsWon, SystemModstamp, Owner.Email FROM Opportunity")
    assert job["state"] == "UploadComplete" and job["object"] == "Opportunity" and job["id"].startswith("750")
    done = _wait(sf, job["id"])
    assert done["info"]["state"] == "JobComplete"
    total = done["info"]["numberRecordsProcessed"]
    url = f"{sf.bulk2_url}query/{job['id']}/results"
    rows: list[dict[str, str]] = []
    locator, pages = "", 0
    while True:
        params: dict[str, str | int] = {"maxRecords": 1000, **({"locator": locator} if locator else {})}
        response = sf.session.get(url, headers=sf.headers, params=params, timeout=30)
        assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
        page = list(csv.DictReader(io.StringIO(response.text)))
        assert int(response.headers["Sforce-NumberOfRecords"]) == len(page)
        rows += page
        pages += 1
        locator = response.headers["Sforce-Locator"]
        if locator == "null":
            break
    assert pages == -(-total // 1000) and len(rows) == total
    assert response.text.splitlines()[0] == '"Id","Name","Amount","CloseDate","IsWon","SystemModstamp","Owner.Email"'
    assert {r["IsWon"] for r in rows} <= {"true", "false"}
    assert rows[0]["SystemModstamp"].endswith("Z") and len(rows[0]["SystemModstamp"]) == 24
    assert len({r["Id"] for r in rows}) == total


def test_csv_values_are_formatted_as_bulk_writes_them(sf: Salesforce) -> None:
    """Datetimes ``2024-01-31T10:00:00.000Z`` (UTC, milliseconds), dates ``2024-01-31``, booleans ``true``/
    ``false``, nulls empty: the same values REST gives (``...000+0000``)."""
    soql = "SELECT Id, CloseDate, IsWon, SystemModstamp, LastActivityDate FROM Opportunity"
    rows = [r for page in bulk2(sf, "Opportunity").query(soql) for r in csv.DictReader(io.StringIO(str(page)))]
    rest = {r["Id"]: r for r in sf.query_all(soql)["records"]}
    assert rows and len(rows) == len(rest)
    for row in rows:
        want = rest[row["Id"]]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", row["SystemModstamp"])
        assert row["SystemModstamp"] == want["SystemModstamp"].replace("+0000", "Z")
        assert row["CloseDate"] == want["CloseDate"] and re.fullmatch(r"\d{4}-\d\d-\d\d", row["CloseDate"])
        assert row["IsWon"] == str(want["IsWon"]).lower()
        assert row["LastActivityDate"] == (want["LastActivityDate"] or "")
    assert any(r["LastActivityDate"] == "" for r in rows) and any(r["LastActivityDate"] for r in rows)


def test_order_is_only_what_the_query_asks(sf: Salesforce) -> None:
    """Bulk 2.0 promises no order without ORDER BY (results come in PK chunks); ORDER BY is applied."""
    def names(soql: str) -> list[str]:
        return [r["Name"] for page in bulk2(sf, "Account").query(soql) for r in csv.DictReader(io.StringIO(str(page)))]

    unordered = names("SELECT Id, Name FROM Account")
    ordered = names("SELECT Id, Name FROM Account ORDER BY Name DESC")
    assert ordered == sorted(unordered, key=str.lower, reverse=True) and sorted(ordered) == sorted(unordered)


def test_bulk2_client_query_yields_csv_pages(sf: Salesforce) -> None:
    pages = list(bulk2(sf, "Account").query("SELECT Id, Name FROM Account", max_records=250))
    rows = [r for page in pages for r in csv.DictReader(io.StringIO(str(page)))]
    expected = sf.query("SELECT COUNT() FROM Account")["totalSize"]
    assert len(rows) == expected and len(pages) == -(-expected // 250)


def test_query_all_operation_includes_deleted(sf: Salesforce) -> None:
    account = sf.Account.create({"Name": "Bulk Deleted Co"})
    sf.Account.delete(account["id"])
    soql = f"SELECT Id, IsDeleted FROM Account WHERE Id = '{account['id']}'"
    plain = "".join(str(page) for page in bulk2(sf, "Account").query(soql))
    every = "".join(str(page) for page in bulk2(sf, "Account").query_all(soql))
    assert account["id"] not in plain
    assert f'"{account["id"]}","true"' in every


def test_compound_fields_are_refused(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as exc:
        _create(sf, "SELECT Id, BillingAddress FROM Account")
    assert exc.value.content[0] == {  # type: ignore[attr-defined]
        "message": "Selecting compound data not supported in Bulk Query", "errorCode": "FUNCTIONALITY_NOT_ENABLED",
    }
    with pytest.raises(SalesforceMalformedRequest) as exc2:
        _create(sf, "SELECT Id FROM Account WHERE", "query")
    assert exc2.value.content[0]["errorCode"] == "MALFORMED_QUERY"  # type: ignore[attr-defined]


def test_abort_and_delete(sf: Salesforce) -> None:
    job = _create(sf, "SELECT Id FROM Opportunity")
    aborted = sf.restful(f"jobs/query/{job['id']}", method="PATCH", json={"state": "Aborted"})
    assert aborted["state"] == "Aborted"
    assert sf.restful(f"jobs/query/{job['id']}")["state"] == "Aborted"
    sf.restful(f"jobs/query/{job['id']}", method="DELETE")
    with pytest.raises(Exception, match="NOT_FOUND"):
        sf.restful(f"jobs/query/{job['id']}")


def test_failed_job_reports_its_error(sandbox: SalesforceSandbox, sf: Salesforce) -> None:
    sandbox.faults.add("job_failed", path="/jobs/query$", method="POST")
    with pytest.raises(SalesforceOperationError, match="QUERY_TIMEOUT"):
        list(bulk2(sf, "Account").query("SELECT Id FROM Account"))
