"""List views of the sandbox org: definitions, and the three list view resources.

Shapes follow the REST API guide's "List Views", "List View Describe" and "List View
Results" resources.  A list view is a SOQL filter, a column list and an order; "mine"
views keep the records owned by the calling user.  Run by a member, a list view shows only the
records they may see and drops the columns field-level security hides from them (``visible``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .schema import ObjectDef


@dataclass(frozen=True)
class ListViewDef:
    sobject: str
    developer_name: str
    label: str
    columns: tuple[str, ...]
    where: str | None = None
    mine: bool = False
    order_by: str = "Name"
    descending: bool = False
    where_condition: dict[str, Any] | None = None


_OPP_COLS = ("Name", "Account.Name", "Amount", "CloseDate", "StageName", "Owner.Alias")
_ACC_COLS = ("Name", "BillingState", "Phone", "Type", "Owner.Alias")
_CON_COLS = ("Name", "Account.Name", "Title", "Phone", "Email", "Owner.Alias")
_LEAD_COLS = ("Name", "Title", "Company", "State", "Email", "Status", "Owner.Alias")
_CASE_COLS = ("CaseNumber", "Subject", "Status", "Priority", "CreatedDate", "Owner.Alias")


def _eq(field: str, value: str) -> dict[str, Any]:
    return {"field": field, "operator": "equals", "values": [value]}


LIST_VIEWS: tuple[ListViewDef, ...] = (
    ListViewDef("Opportunity", "AllOpportunities", "All Opportunities", _OPP_COLS),
    ListViewDef("Opportunity", "MyOpportunities", "My Opportunities", _OPP_COLS, mine=True),
    ListViewDef("Opportunity", "ClosingThisMonth", "Closing This Month", _OPP_COLS,
                where="CloseDate = THIS_MONTH AND IsClosed = false", order_by="CloseDate",
                where_condition={"conditions": [_eq("CloseDate", "THIS_MONTH"), _eq("IsClosed", "0")],
                                 "conjunction": "and"}),
    ListViewDef("Opportunity", "Won", "Won Opportunities", _OPP_COLS, where="IsWon = true",
                order_by="CloseDate", descending=True, where_condition=_eq("IsWon", "1")),
    ListViewDef("Opportunity", "NewThisWeek", "New This Week", _OPP_COLS, where="CreatedDate = THIS_WEEK",
                where_condition=_eq("CreatedDate", "THIS_WEEK")),
    ListViewDef("Opportunity", "OpenPipeline", "Open Pipeline", _OPP_COLS, where="IsClosed = false",
                order_by="Amount", descending=True, where_condition=_eq("IsClosed", "0")),
    ListViewDef("Account", "AllAccounts", "All Accounts", _ACC_COLS),
    ListViewDef("Account", "MyAccounts", "My Accounts", _ACC_COLS, mine=True),
    ListViewDef("Account", "NewThisWeek", "New This Week", _ACC_COLS, where="CreatedDate = THIS_WEEK",
                where_condition=_eq("CreatedDate", "THIS_WEEK")),
    ListViewDef("Contact", "AllContacts", "All Contacts", _CON_COLS),
    ListViewDef("Contact", "MyContacts", "My Contacts", _CON_COLS, mine=True),
    ListViewDef("Lead", "AllOpenLeads", "All Open Leads", _LEAD_COLS, where="IsConverted = false",
                where_condition=_eq("IsConverted", "0")),
    ListViewDef("Lead", "MyUnreadLeads", "My Unread Leads", _LEAD_COLS, mine=True,
                where="Status = 'Open - Not Contacted'", where_condition=_eq("Status", "Open - Not Contacted")),
    ListViewDef("Lead", "TodaysLeads", "Today's Leads", _LEAD_COLS, where="CreatedDate = TODAY",
                where_condition=_eq("CreatedDate", "TODAY")),
    ListViewDef("Case", "AllOpenCases", "All Open Cases", _CASE_COLS, where="IsClosed = false",
                order_by="CaseNumber", descending=True, where_condition=_eq("IsClosed", "0")),
    ListViewDef("Case", "MyCases", "My Cases", _CASE_COLS, mine=True, order_by="CaseNumber", descending=True),
    ListViewDef("Case", "EscalatedCases", "Escalated", _CASE_COLS, where="IsEscalated = true",
                order_by="CaseNumber", descending=True, where_condition=_eq("IsEscalated", "1")),
    ListViewDef("User", "ActiveUsers", "Active Users", ("Name", "Alias", "Username", "Title", "Email"),
                where="IsActive = true", where_condition=_eq("IsActive", "1")),
    # a list view without its object's name column (Salesforce lets an admin remove it): the Sales tab still
    # names each row (list-records' optionalFields); last, so the views above keep their seeded Ids
    ListViewDef("Opportunity", "PipelineByStage", "Pipeline by Stage",
                ("StageName", "Amount", "CloseDate", "Account.Name", "Owner.Alias"), where="IsClosed = false",
                order_by="CloseDate", where_condition=_eq("IsClosed", "0")),
)


def find(sobject: str, developer_name: str) -> ListViewDef | None:
    return next(
        (v for v in LIST_VIEWS if v.sobject.lower() == sobject.lower() and v.developer_name == developer_name), None
    )


_SYSTEM_COLUMNS = ("Id", "CreatedDate", "LastModifiedDate", "SystemModstamp")


Visible = Callable[[str], bool]


def _everything(path: str) -> bool:
    return True


def _selected(view: ListViewDef, visible: Visible = _everything) -> list[str]:
    """The view's columns the user may read, then the hidden system columns it does not show already
    (SOQL refuses a repeat)."""
    return [*(c for c in view.columns if visible(c)), *(c for c in _SYSTEM_COLUMNS if c not in view.columns)]


def soql(view: ListViewDef, user_id: str, visible: Visible = _everything) -> str:
    """The list view's query (user ids are validated 18-character ids, safe to inline)."""
    fields = _selected(view, visible)
    conditions = [c for c in (view.where, f"OwnerId = '{user_id}'" if view.mine else None) if c]
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    direction = "DESC NULLS LAST" if view.descending else "ASC NULLS FIRST"
    return f"SELECT {', '.join(fields)} FROM {view.sobject}{where} ORDER BY {view.order_by} {direction}, Id ASC NULLS FIRST"


def columns(view: ListViewDef, obj: ObjectDef, resolve: Any, visible: Visible = _everything) -> list[dict[str, Any]]:
    """The ``columns`` array of describe and results (hidden system columns included)."""
    out = []
    names = _selected(view, visible)
    shown = len([c for c in view.columns if visible(c)])
    for index, path in enumerate(names):
        f = resolve(obj, path)
        sort_index = 0 if path == view.order_by else None
        out.append({
            "ascendingLabel": "Z-A" if f.type in ("string", "picklist") else "Low to High",
            "descendingLabel": "A-Z" if f.type in ("string", "picklist") else "High to Low",
            "fieldNameOrPath": path,
            "hidden": index >= shown,
            "label": f.label,
            "searchable": f.type in ("string", "email", "phone"),
            "selectListItem": path,
            "sortDirection": ("descending" if view.descending else "ascending") if sort_index is not None else None,
            "sortIndex": sort_index,
            "sortable": f.sortable,
            "type": f.type,
        })
    return out


def describe(view: ListViewDef, view_id: str, obj: ObjectDef, user_id: str, resolve: Any,
             visible: Visible = _everything) -> dict[str, Any]:
    return {
        "columns": columns(view, obj, resolve, visible),
        "id": view_id[:15],
        "orderBy": [
            {"fieldNameOrPath": view.order_by, "nullsPosition": "last" if view.descending else "first",
             "sortDirection": "descending" if view.descending else "ascending"},
            {"fieldNameOrPath": "Id", "nullsPosition": "first", "sortDirection": "ascending"},
        ],
        "query": soql(view, user_id, visible),
        "relatedEntityId": None,
        "scope": "mine" if view.mine else "everything",
        "scopeEntityId": None,
        "sobjectType": view.sobject,
        "whereCondition": view.where_condition or {"conditions": [], "conjunction": "and"},
    }
