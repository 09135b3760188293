"""List views: ``sobjects/{Object}/listviews``, ``.../{id}/describe`` and ``.../{id}/results``.

Follows the REST API Developer Guide's "List Views", "List View Describe" and "List View
Results" resources.
"""

from __future__ import annotations

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceResourceNotFound


def _views(sf: Salesforce, obj: str) -> dict[str, dict[str, str]]:
    body = sf.restful(f"sobjects/{obj}/listviews")
    assert body["sobjectType"] == obj and body["done"] is True and body["size"] == len(body["listviews"])
    return {v["developerName"]: v for v in body["listviews"]}


@pytest.mark.parametrize("obj", ["Account", "Opportunity", "Lead", "Contact", "Case"])
def test_every_list_object_has_list_views(sf: Salesforce, obj: str) -> None:
    views = _views(sf, obj)
    assert views
    for view in views.values():
        assert view["id"].startswith("00B") and view["describeUrl"].endswith("/describe")


def test_describe_gives_query_columns_and_order(sf: Salesforce) -> None:
    view = _views(sf, "Opportunity")["Won"]
    describe = sf.restful(f"sobjects/Opportunity/listviews/{view['id']}/describe")
    assert describe["sobjectType"] == "Opportunity" and describe["scope"] == "everything"
    assert describe["query"].startswith("SELECT Name, Account.Name, Amount") and "IsWon = true" in describe["query"]
    assert [c["fieldNameOrPath"] for c in describe["columns"] if not c["hidden"]][:3] == ["Name", "Account.Name", "Amount"]
    assert describe["orderBy"][0] == {"fieldNameOrPath": "CloseDate", "nullsPosition": "last",
                                      "sortDirection": "descending"}
    assert describe["whereCondition"] == {"field": "IsWon", "operator": "equals", "values": ["1"]}
    # The describe query is itself valid SOQL that the org answers.
    assert sf.query(describe["query"])["totalSize"] > 0


def test_results_match_the_query_and_page(sf: Salesforce) -> None:
    view = _views(sf, "Opportunity")["Won"]
    results = sf.restful(f"sobjects/Opportunity/listviews/{view['id']}/results", params={"limit": 7})
    won = sf.query("SELECT COUNT() FROM Opportunity WHERE IsWon = true")["totalSize"]
    assert results["size"] == won and len(results["records"]) == 7 and results["done"] is False
    names = [c["fieldNameOrPath"] for c in results["records"][0]["columns"]]
    assert names[:2] == ["Name", "Account.Name"] and "Id" in names
    default = sf.restful(f"sobjects/Opportunity/listviews/{view['id']}/results")
    assert len(default["records"]) == min(25, won)
    second = sf.restful(f"sobjects/Opportunity/listviews/{view['id']}/results", params={"limit": 7, "offset": 7})
    first_ids = {c["value"] for r in results["records"] for c in r["columns"] if c["fieldNameOrPath"] == "Id"}
    second_ids = {c["value"] for r in second["records"] for c in r["columns"] if c["fieldNameOrPath"] == "Id"}
    assert first_ids.isdisjoint(second_ids)


def test_mine_scope_keeps_the_callers_records(sf: Salesforce) -> None:
    view = _views(sf, "Opportunity")["MyOpportunities"]
    describe = sf.restful(f"sobjects/Opportunity/listviews/{view['id']}/describe")
    assert describe["scope"] == "mine" and "OwnerId = '" in describe["query"]


def test_bad_list_view_requests(sf: Salesforce) -> None:
    view = _views(sf, "Account")["AllAccounts"]
    with pytest.raises(SalesforceMalformedRequest):
        sf.restful(f"sobjects/Account/listviews/{view['id']}/results", params={"limit": 2001})
    with pytest.raises(SalesforceResourceNotFound):
        sf.restful("sobjects/Account/listviews/00B8d0000000zzzAAA/describe")
