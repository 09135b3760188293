"""Slack record layouts: per object, the fields members see in Slack and the ones they may edit.

An object without an explicit layout uses :func:`default_layout`: its name field plus the key
fields of the object (those the org's describe has), editable where describe says the field
is updateable.  Notifications render :func:`layout_for`; updates from Slack are limited to its
``editable`` fields.
"""

from __future__ import annotations

from typing import Any

from saleshome.warehouse.control import ControlDB

from .model import Layout
from .store import load_org_settings

MAX_FIELDS = 50
# The key fields of the standard objects, after the name field, in display order.
KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "Opportunity": ("AccountId", "Amount", "CloseDate", "StageName", "Probability", "OwnerId"),
    "Account": ("Type", "Industry", "Phone", "Website", "OwnerId"),
    "Contact": ("AccountId", "Title", "Email", "Phone", "OwnerId"),
    "Lead": ("Company", "Title", "Status", "Email", "Phone", "OwnerId"),
    "Case": ("Subject", "Status", "Priority", "AccountId", "ContactId", "OwnerId"),
}
_NOT_EDITABLE_BY_DEFAULT = {"OwnerId", "AccountId", "ContactId"}  # re-assigning records stays in Salesforce


def fields_by_name(describe: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The describe's fields by lower-case name."""
    return {f["name"].lower(): f for f in describe.get("fields", [])}


def default_layout(describe: dict[str, Any]) -> Layout:
    """Name field + key fields present in describe; editable: the updateable ones (not lookups)."""
    by_name = fields_by_name(describe)
    name_field = next((f["name"] for f in describe.get("fields", []) if f.get("nameField")), None)
    wanted = ([name_field] if name_field else []) + list(KEY_FIELDS.get(describe.get("name", ""), ("OwnerId",)))
    fields: list[str] = []
    for name in wanted:
        found = by_name.get(name.lower())
        if found is not None and found["name"] not in fields:
            fields.append(found["name"])
    editable = [f for f in fields
                if by_name[f.lower()].get("updateable") and f not in _NOT_EDITABLE_BY_DEFAULT and f != name_field]
    return Layout(fields=fields, editable=editable)


def layout_problems(describe: dict[str, Any], fields: list[str], editable: list[str],
                    path: str) -> tuple[Layout, list[str]]:
    """``fields``/``editable`` spelt as describe spells them, and what is wrong (``path: message``)."""
    by_name = fields_by_name(describe)
    obj = describe.get("name", "?")
    problems: list[str] = []
    shown: list[str] = []
    if not fields:
        problems.append(f"{path}.fields: a layout shows at least one field")
    if len(fields) > MAX_FIELDS:
        problems.append(f"{path}.fields[{MAX_FIELDS}]: at most {MAX_FIELDS} fields per layout")
    for i, name in enumerate(fields):
        found = by_name.get(name.lower())
        if found is None:
            problems.append(f"{path}.fields[{i}]: {obj} has no field {name!r}")
        elif found["name"] in shown:
            problems.append(f"{path}.fields[{i}]: {found['name']} is listed twice")
        else:
            shown.append(found["name"])
    edits: list[str] = []
    for i, name in enumerate(editable):
        found = by_name.get(name.lower())
        if found is None:
            problems.append(f"{path}.editable[{i}]: {obj} has no field {name!r}")
        elif found["name"] not in shown:
            problems.append(f"{path}.editable[{i}]: {found['name']} is not among the fields shown; add it to fields")
        elif not found.get("updateable"):
            problems.append(f"{path}.editable[{i}]: {obj}.{found['name']} is not updateable in Salesforce")
        elif found["name"] in edits:
            problems.append(f"{path}.editable[{i}]: {found['name']} is listed twice")
        else:
            edits.append(found["name"])
    return Layout(fields=shown, editable=edits), problems


def layout_for(control: ControlDB, alias: str, obj: str, describe: dict[str, Any]) -> Layout:
    """The layout notifications render for ``obj`` of org ``alias``: the one set, else the default."""
    explicit = load_org_settings(control, alias).layouts.get(obj)
    return explicit if explicit is not None else default_layout(describe)
