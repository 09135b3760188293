"""List view resources keep the real API's shapes: 18-character ids in the list and basic-information
resources, 15-character ones in describe and results, and every view's SOQL is one the org accepts
(REST API Developer Guide: "List Views for an Object", "List View Basic Information",
"List View Describe", "List View Results")."""

from __future__ import annotations

import pytest
from simple_salesforce import Salesforce

from saleshome.sandbox.salesforce.listviews import LIST_VIEWS

OBJECTS = sorted({v.sobject for v in LIST_VIEWS})


def test_list_and_basic_information_give_18_character_ids(sf: Salesforce) -> None:
    body = sf.restful("sobjects/Account/listviews")
    for view in body["listviews"]:
        assert len(view["id"]) == 18
        assert view["url"].endswith(f"/listviews/{view['id']}")
        assert view["describeUrl"].endswith(f"/listviews/{view['id']}/describe")
        assert view["resultsUrl"].endswith(f"/listviews/{view['id']}/results")
        basic = sf.restful(f"sobjects/Account/listviews/{view['id']}")
        assert basic["id"] == view["id"] and basic["developerName"] == view["developerName"]
        # describe and results answer to both forms of the id, and give the 15-character one
        assert sf.restful(f"sobjects/Account/listviews/{view['id'][:15]}/describe")["id"] == view["id"][:15]
        assert sf.restful(f"sobjects/Account/listviews/{view['id']}/results", params={"limit": 1})["id"] == view["id"][:15]


@pytest.mark.parametrize("obj", OBJECTS)
def test_every_views_query_is_valid_soql_without_repeated_columns(sf: Salesforce, obj: str) -> None:
    for view in sf.restful(f"sobjects/{obj}/listviews")["listviews"]:
        describe = sf.restful(f"sobjects/{obj}/listviews/{view['id']}/describe")
        fields = [c["fieldNameOrPath"] for c in describe["columns"]]
        assert len(fields) == len(set(fields)), f"{view['developerName']}: a column repeats"
        assert [c["fieldNameOrPath"] for c in describe["columns"] if c["hidden"]] == [
            f for f in ("Id", "CreatedDate", "LastModifiedDate", "SystemModstamp")
            if f not in [c["fieldNameOrPath"] for c in describe["columns"] if not c["hidden"]]
        ]
        total = sf.query(describe["query"])["totalSize"]
        results = sf.restful(f"sobjects/{obj}/listviews/{view['id']}/results", params={"limit": 5})
        assert results["size"] == total and len(results["records"]) == min(5, total)
