"""UI API answers in the shapes the User Interface API Developer Guide documents ("Response Bodies":
List Info, List Record Collection, Record, Object Info, Record UI), built small for the builder tests.

They stand for Salesforce's answers in tests of pure functions (parsing and Block Kit); tests of the
tab as a member sees it read the Salesforce sandbox's own UI API instead.
"""

from __future__ import annotations

from typing import Any

OPPORTUNITY_FIELDS: dict[str, tuple[str, str]] = {  # name → (dataType, label)
    "Name": ("String", "Opportunity Name"),
    "Amount": ("Currency", "Amount"),
    "CloseDate": ("Date", "Close Date"),
    "StageName": ("Picklist", "Stage"),
    "AccountId": ("Reference", "Account ID"),
    "OwnerId": ("Reference", "Owner ID"),
    "IsPrivate": ("Boolean", "Private"),
    "LastModifiedDate": ("DateTime", "Last Modified Date"),
    "Probability": ("Percent", "Probability (%)"),
    "Description": ("TextArea", "Description"),
    "CurrencyIsoCode": ("Picklist", "Opportunity Currency"),
}


def object_info(name: str = "Opportunity", fields: dict[str, tuple[str, str]] | None = None) -> dict[str, Any]:
    fields = OPPORTUNITY_FIELDS if fields is None else fields
    return {
        "apiName": name, "label": name, "labelPlural": f"{name}s", "nameFields": ["Name"],
        "fields": {key: {"apiName": key, "dataType": kind, "label": label,
                         "referenceToInfos": [{"apiName": "Account", "nameFields": ["Name"]}] if key == "AccountId"
                         else [],
                         "relationshipName": "Account" if key == "AccountId" else None}
                   for key, (kind, label) in fields.items()},
    }


def field(value: Any, display: str | None = None) -> dict[str, Any]:
    return {"value": value, "displayValue": display}


def record(record_id: str, fields: dict[str, dict[str, Any]], api_name: str = "Opportunity",
           record_type_id: str = "012000000000000AAA") -> dict[str, Any]:
    return {"apiName": api_name, "id": record_id, "recordTypeId": record_type_id, "fields": fields,
            "childRelationships": {}, "eTag": "e"}


def account(account_id: str, name: str) -> dict[str, Any]:
    """A relationship field's entry: its value the related record, its display value the record's name."""
    return field(record(account_id, {"Name": field(name), "Id": field(account_id)}, "Account"), name)


def list_info(api_name: str, label: str, columns: list[tuple[str, str]], order: list[tuple[str, bool, str]],
              obj: str = "Opportunity") -> dict[str, Any]:
    return {
        "label": label,
        "listReference": {"objectApiName": obj, "listViewApiName": api_name, "id": "00B000000000001", "type": "listView"},
        "displayColumns": [{"fieldApiName": f, "label": lab, "sortable": True, "lookupId": None} for f, lab in columns],
        "orderedByInfo": [{"fieldApiName": f, "isAscending": asc, "label": lab} for f, asc, lab in order],
    }


def list_records(records: list[dict[str, Any]], *, current: str | None = "0", next_token: str | None = None,
                 previous: str | None = None) -> dict[str, Any]:
    return {"count": len(records), "currentPageToken": current, "nextPageToken": next_token,
            "previousPageToken": previous, "pageSize": 25, "records": records}


def list_views(*views: tuple[str, str]) -> dict[str, Any]:
    return {"lists": [{"apiName": a, "label": lab, "id": f"00B{i:012d}", "listUiUrl": ""}
                      for i, (a, lab) in enumerate(views)], "count": len(views)}


def record_ui(rec: dict[str, Any], info: dict[str, Any], sections: list[tuple[str, list[str]]]) -> dict[str, Any]:
    layout = {"id": "00h", "layoutType": "Full", "mode": "View", "sections": [
        {"heading": heading, "columns": 2, "layoutRows": [
            {"layoutItems": [{"label": name, "layoutComponents": [{"apiName": name, "componentType": "Field"}]}
                             for name in names[i:i + 2]]} for i in range(0, len(names), 2)]}
        for heading, names in sections]}
    return {"records": {rec["id"]: rec}, "objectInfos": {info["apiName"]: info},
            "layouts": {info["apiName"]: {rec["recordTypeId"]: {"Full": {"View": layout}}}}}
