"""The sandbox's REST API driven through simple-salesforce over HTTPS.

Shapes follow the Salesforce REST API Developer Guide: "Query" and "QueryAll"
(``totalSize/done/nextRecordsUrl/records``), "sObject Describe", "sObject Rows", "sObject
Get Updated" / "Get Deleted", "Limits", and "Status Codes and Error Responses".
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from saleshome.sandbox.salesforce.ids import is_valid_id
from saleshome.sandbox.salesforce.records import json_records
from saleshome.sandbox.salesforce.server import SalesforceSandbox, SandboxInfo
from saleshome.sandbox.salesforce.soql import compile_query
from tests.fixtures.sandboxes import sandbox_session as https_session

from .conftest import OPPORTUNITIES, client


def _error(exc: pytest.ExceptionInfo[Exception]) -> dict[str, str]:
    content = exc.value.content  # type: ignore[attr-defined]
    assert isinstance(content, list) and len(content) == 1, content
    return content[0]  # type: ignore[no-any-return]


def test_versions_and_resources(sf: Salesforce, info: SandboxInfo) -> None:
    versions = https_session(info.ca_file).get(f"{info.instance_url}/services/data/", timeout=10).json()
    assert {"label": "Winter '25", "url": "/services/data/v62.0", "version": "62.0"} in versions
    resources = sf.restful("")
    assert resources["query"] == "/services/data/v62.0/query"
    assert resources["sobjects"] == "/services/data/v62.0/sobjects"


def test_query_pages_with_next_records_url(sf: Salesforce) -> None:
    first = sf.query("SELECT Id, Name, Amount, CloseDate, Owner.Email FROM Opportunity ORDER BY Id")
    assert first["done"] is False
    assert len(first["records"]) == 2000  # the default batch size
    assert first["nextRecordsUrl"].startswith("/services/data/v62.0/query/01g")
    assert first["nextRecordsUrl"].endswith("-2000")
    record = first["records"][0]
    assert record["attributes"] == {"type": "Opportunity", "url": f"/services/data/v62.0/sobjects/Opportunity/{record['Id']}"}
    assert record["Owner"]["attributes"]["type"] == "User"
    assert "@" in record["Owner"]["Email"]
    every = sf.query_all("SELECT Id FROM Opportunity")
    assert every["totalSize"] == len(every["records"])
    ids = [r["Id"] for r in every["records"]]
    assert len(set(ids)) == len(ids) and all(is_valid_id(i) for i in ids)


def test_batch_size_header_is_clamped_to_200_2000(sf: Salesforce) -> None:
    page = sf.query("SELECT Id FROM Opportunity", headers={"Sforce-Query-Options": "batchSize=500"})
    assert len(page["records"]) == 500 and page["nextRecordsUrl"].endswith("-500")
    small = sf.query("SELECT Id FROM Opportunity", headers={"Sforce-Query-Options": "batchSize=10"})
    assert len(small["records"]) == 200
    rest = sf.query_more(page["nextRecordsUrl"], identifier_is_url=True)
    assert len(rest["records"]) == 500
    assert {r["Id"] for r in rest["records"]}.isdisjoint({r["Id"] for r in page["records"]})


def test_query_all_includes_soft_deleted(sf: Salesforce) -> None:
    account = sf.Account.create({"Name": "Recycle Bin Ltd"})
    sf.Account.delete(account["id"])
    soql = f"SELECT Id, IsDeleted FROM Account WHERE Id = '{account['id']}'"
    assert sf.query(soql)["totalSize"] == 0
    deleted = sf.query_all(soql, include_deleted=True)
    assert deleted["records"][0]["IsDeleted"] is True


def test_count_query(sf: Salesforce) -> None:
    every = sf.query_all("SELECT Id FROM Opportunity")["totalSize"]
    assert sf.query("SELECT COUNT() FROM Opportunity") == {"totalSize": every, "done": True, "records": []}
    assert every >= OPPORTUNITIES


def test_unknown_or_expired_locator(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query_more("01g8d0000000XYZAAW-2000")
    assert _error(exc)["errorCode"] == "INVALID_QUERY_LOCATOR"


def test_describe_global_and_object(sf: Salesforce) -> None:
    names = {o["name"] for o in sf.describe()["sobjects"]}
    assert {"Account", "Contact", "Lead", "Case", "Opportunity", "OpportunityHistory", "OpportunityStage", "User",
            "PermissionSet", "PermissionSetAssignment", "ListView", "Organization"} <= names
    describe = sf.Opportunity.describe()
    fields = {f["name"]: f for f in describe["fields"]}
    assert describe["keyPrefix"] == "006"
    assert fields["StageName"]["type"] == "picklist"
    assert "Contract Signed" in [v["value"] for v in fields["StageName"]["picklistValues"]]
    assert fields["Amount"]["type"] == "currency" and fields["Amount"]["precision"] == 18
    assert fields["OwnerId"]["referenceTo"] == ["User"] and fields["OwnerId"]["relationshipName"] == "Owner"
    assert fields["Region__c"]["custom"] is True
    assert fields["Days_To_Close__c"]["calculated"] is True
    assert fields["IsWon"]["updateable"] is False
    assert fields["SystemModstamp"]["filterable"] is True
    account = {f["name"]: f for f in sf.Account.describe()["fields"]}
    assert account["BillingAddress"]["type"] == "address"
    assert account["BillingCity"]["compoundFieldName"] == "BillingAddress"


def test_won_flags_come_from_opportunity_stage(sf: Salesforce) -> None:
    stages = sf.query("SELECT ApiName, IsWon, IsClosed FROM OpportunityStage")["records"]
    flags = {s["ApiName"]: (s["IsWon"], s["IsClosed"]) for s in stages}
    assert flags["Closed Won"] == (True, True)
    assert flags["Closed Lost"] == (False, True)
    assert flags["Contract Signed"] == (False, False)


def test_record_crud_moves_system_modstamp(sf: Salesforce) -> None:
    account = sf.Account.create({"Name": "Globex", "Industry": "Energy"})
    assert account["success"] is True and account["id"].startswith("001")
    opp = sf.Opportunity.create(
        {"Name": "Globex - Expansion", "StageName": "Prospecting", "CloseDate": "2027-01-15", "Amount": 1200.5,
         "AccountId": account["id"]}
    )
    before = sf.Opportunity.get(opp["id"])
    assert before["IsWon"] is False and before["Probability"] == 10
    assert before["ExpectedRevenue"] == pytest.approx(120.05)
    assert sf.Opportunity.update(opp["id"], {"StageName": "Closed Won"}) == 204
    after = sf.Opportunity.get(opp["id"])
    assert after["IsWon"] is True and after["IsClosed"] is True and after["ForecastCategory"] == "Closed"
    assert after["SystemModstamp"] > before["SystemModstamp"]
    assert after["LastModifiedDate"] == after["SystemModstamp"]
    history = sf.query(
        f"SELECT StageName, PrevAmount FROM OpportunityHistory WHERE OpportunityId = '{opp['id']}' ORDER BY CreatedDate"
    )["records"]
    assert [h["StageName"] for h in history] == ["Prospecting", "Closed Won"]
    assert sf.Opportunity.delete(opp["id"]) == 204
    with pytest.raises(SalesforceResourceNotFound) as exc:
        sf.Opportunity.get(opp["id"])
    assert _error(exc)["errorCode"] == "ENTITY_IS_DELETED"


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"IsWon": True}, "INVALID_FIELD_FOR_INSERT_UPDATE"),
        ({"Amount": "lots"}, "JSON_PARSER_ERROR"),
        ({"NoSuchField__c": 1}, "INVALID_FIELD"),
        ({"AccountId": "001bad"}, "MALFORMED_ID"),
        ({"Name": "x" * 121}, "STRING_TOO_LONG"),
    ],
)
def test_write_validation_errors(sf: Salesforce, values: dict[str, object], code: str) -> None:
    opp_id = sf.query("SELECT Id FROM Opportunity LIMIT 1")["records"][0]["Id"]
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Opportunity.update(opp_id, values)
    assert _error(exc)["errorCode"] == code


def test_create_requires_required_fields(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Opportunity.create({"Name": "No stage"})
    err = _error(exc)
    assert err["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert set(err["fields"]) == {"StageName", "CloseDate"}  # type: ignore[arg-type]


def test_unknown_record_and_object(sf: Salesforce) -> None:
    with pytest.raises(SalesforceResourceNotFound) as exc:
        sf.Account.get("001000000000000AAA")
    assert _error(exc)["errorCode"] == "NOT_FOUND"
    with pytest.raises(SalesforceResourceNotFound):
        sf.restful("sobjects/NoSuchObject__c/describe")


@pytest.mark.parametrize(
    ("soql", "code"),
    [
        ("SELECT Id FROM Opportunity WHERE", "MALFORMED_QUERY"),
        ("SELECT Nope FROM Opportunity", "INVALID_FIELD"),
        ("SELECT Id FROM Nope__c", "INVALID_TYPE"),
    ],
)
def test_soql_errors(sf: Salesforce, soql: str, code: str) -> None:
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query(soql)
    err = _error(exc)
    assert err["errorCode"] == code
    assert "ERROR at Row:1:Column:" in err["message"]


def test_updated_and_deleted_windows(sandbox: SalesforceSandbox, sf: Salesforce) -> None:
    assert sandbox.store is not None
    now = sandbox.store.clock.now()
    start = now - timedelta(minutes=5)
    account = sf.Account.create({"Name": "Initech"})
    sandbox.store.clock.advance(120)
    end = sandbox.store.clock.now() + timedelta(minutes=1)
    updated = sf.Account.updated(start, end)
    assert account["id"] in updated["ids"]
    assert updated["latestDateCovered"].endswith(":00.000+0000")
    sf.Account.delete(account["id"])
    sandbox.store.clock.advance(120)
    deleted = sf.Account.deleted(start, sandbox.store.clock.now())
    assert account["id"] in [d["id"] for d in deleted["deletedRecords"]]
    assert {"earliestDateAvailable", "latestDateCovered"} <= set(deleted)
    # A purged record is gone from /deleted: only an Id comparison finds hard deletes.
    sandbox.store.purge("Account", account["id"])
    deleted = sf.Account.deleted(start, sandbox.store.clock.now())
    assert account["id"] not in [d["id"] for d in deleted["deletedRecords"]]


@pytest.mark.parametrize(
    ("start_ago", "end_ago", "resource"),
    [
        (timedelta(days=31), timedelta(days=1), "updated"),
        (timedelta(days=16), timedelta(days=1), "deleted"),
        (timedelta(minutes=10), timedelta(minutes=9, seconds=30), "updated"),
    ],
)
def test_replication_window_errors(
    sandbox: SalesforceSandbox, sf: Salesforce, start_ago: timedelta, end_ago: timedelta, resource: str
) -> None:
    assert sandbox.store is not None
    now = sandbox.store.clock.now()
    with pytest.raises(SalesforceMalformedRequest) as exc:
        getattr(sf.Account, resource)(now - start_ago, now - end_ago)
    assert _error(exc)["errorCode"] == "INVALID_REPLICATION_DATE"


def test_limits_and_usage_header(sandbox: SalesforceSandbox, sf: Salesforce) -> None:
    sandbox.budget.set(used=10, daily_max=500)
    limits = sf.limits()
    assert limits["DailyApiRequests"] == {"Max": 500, "Remaining": 489}
    assert "DailyBulkV2QueryJobs" in limits
    sf.query("SELECT Id FROM Account LIMIT 1")
    assert sf.api_usage["api-usage"].used == 12 and sf.api_usage["api-usage"].total == 500


def test_budget_exhaustion_is_request_limit_exceeded(sandbox: SalesforceSandbox, sf: Salesforce) -> None:
    sandbox.budget.set(used=0, daily_max=3)
    for _ in range(3):
        sf.query("SELECT Id FROM Account LIMIT 1")
    with pytest.raises(SalesforceRefusedRequest) as exc:
        sf.query("SELECT Id FROM Account LIMIT 1")
    assert exc.value.status == 403  # type: ignore[attr-defined]
    assert _error(exc)["errorCode"] == "REQUEST_LIMIT_EXCEEDED"


def test_expired_session_is_invalid_session_id(sandbox: SalesforceSandbox, info: SandboxInfo) -> None:
    sf = client(info)
    sandbox.sessions.expire_all()
    with pytest.raises(SalesforceExpiredSession) as exc:
        sf.query("SELECT Id FROM Account LIMIT 1")
    assert _error(exc) == {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}


def test_token_lifetime_expires_sessions(info: SandboxInfo) -> None:
    with SalesforceSandbox(seed=3, opportunities=20, token_lifetime_seconds=0.3) as short:
        assert short.info is not None
        sf = client(short.info)
        sf.query("SELECT Id FROM Account LIMIT 1")
        import time

        time.sleep(0.5)
        with pytest.raises(SalesforceExpiredSession):
            sf.query("SELECT Id FROM Account LIMIT 1")


@pytest.mark.parametrize(("status", "code"), [(500, "UNKNOWN_EXCEPTION"), (503, "SERVER_UNAVAILABLE")])
def test_injected_server_errors(sandbox: SalesforceSandbox, sf: Salesforce, status: int, code: str) -> None:
    sandbox.faults.add("status", status=status, path="/query", times=1)
    with pytest.raises(SalesforceGeneralError) as exc:
        sf.query("SELECT Id FROM Account LIMIT 1")
    assert exc.value.status == status  # type: ignore[attr-defined]
    assert _error(exc)["errorCode"] == code
    assert sf.query("SELECT Id FROM Account LIMIT 1")["totalSize"] == 1  # fired once only


def test_injected_dropped_connection_and_slow_response(sandbox: SalesforceSandbox, sf: Salesforce) -> None:
    sandbox.faults.add("drop", path="/query", times=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        sf.query("SELECT Id FROM Account LIMIT 1")
    sandbox.faults.add("slow", path="/limits", delay=0.4, times=1)
    started = datetime.now(UTC)
    sf.limits()
    assert (datetime.now(UTC) - started).total_seconds() >= 0.4


def test_injected_limit_and_locator_faults(sandbox: SalesforceSandbox, sf: Salesforce) -> None:
    first = sf.query("SELECT Id FROM Opportunity")
    sandbox.faults.add("invalid_locator", path="/query/01g", times=1)
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert _error(exc)["errorCode"] == "INVALID_QUERY_LOCATOR"
    sandbox.faults.add("limit_exceeded", times=1)
    with pytest.raises(SalesforceRefusedRequest) as exc2:
        sf.limits()
    assert _error(exc2)["errorCode"] == "REQUEST_LIMIT_EXCEEDED"


def _every_field_soql(sandbox: SalesforceSandbox, name: str) -> str:
    """Every field of ``name`` (compound ones included) and the name of each single-target parent."""
    assert sandbox.store is not None
    obj = sandbox.store.catalog.get(name)
    assert obj is not None
    fields = [f.name for f in obj.fields if f.type != "base64"]
    fields += [f"{f.relationship_name}.Name" for f in obj.fields if f.relationship_name and len(f.reference_to) == 1
               and f.reference_to[0] in ("User", "Account")]
    if name == "Opportunity":
        fields += ["Account.Owner.Email", "Account.Industry"]
    return f"SELECT {', '.join(fields)} FROM {name}"


@pytest.mark.parametrize("name", ["Opportunity", "Account", "Contact", "Lead", "Case", "User", "OpportunityHistory"])
def test_query_pages_hold_the_reference_records(
    sandbox: SalesforceSandbox, info: SandboxInfo, sf: Salesforce, name: str,
) -> None:
    """REST pages are written by DuckDB: the same records, value for value, as the Python reference
    (``json_records``: datetimes, dates, numbers, booleans, nulls, addresses, parents and grandparents)."""
    assert sandbox.store is not None
    soql = _every_field_soql(sandbox, name)
    served = sf.query_all(soql)["records"]
    query = compile_query(soql, sandbox.store.catalog, now=sandbox.store.clock.now(), include_deleted=False)
    reference = json_records(sandbox.store.read(query.sql, query.params), query, info.api_version)
    assert len(served) == len(reference) > 0
    assert served == reference
    assert list(served[0]) == list(reference[0])  # keys in Salesforce's order: attributes, then as selected
