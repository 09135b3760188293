"""The Salesforce lists shown in Sales Home, as the rest of the pipeline reads them.

``shown_objects(control, alias)``: the objects shown for an org, in order (the five standard
ones until a sales admin changes them).  ``default_list_views(control, alias)``: per shown
object, the default list views suggested to members (at most 25 each), with their ids.
"""

from __future__ import annotations

from saleshome.warehouse.control import ControlDB, Tx

from .model import ListViewRef
from .store import load_org_settings, org_settings_in


def shown_objects(control: ControlDB, alias: str) -> list[str]:
    return list(load_org_settings(control, alias).objects)


def default_list_views(control: ControlDB, alias: str) -> dict[str, list[ListViewRef]]:
    with control.transaction() as db:
        return default_list_views_in(db, alias)


def default_list_views_in(db: Tx, alias: str) -> dict[str, list[ListViewRef]]:
    """:func:`default_list_views`, in the caller's transaction on the control database."""
    return {obj: list(lists.default_lists) for obj, lists in org_settings_in(db, alias).objects.items()}
