"""The org's schema as one member sees it, read through their own UI API session (field-level security applied).

:class:`UiSchema` gives the REST describe shape :func:`saleshome.settings.notifications.validate.check_spec`
reads (``name``, ``fields``: ``name``, ``type``, ``label``, ``picklistValues``, ``nameField``, ``calculated``)
from *Object Info* and *Picklist Values* as the member: a field the member may not read is absent from Object
Info, so a subscription's condition on it is refused as an unknown field — a member's conditions are only on
fields they can see.
"""

from __future__ import annotations

from typing import Any

from saleshome.errors import ValidationError
from saleshome.salesforce.ui_api import UiApi, UiNotFound
from saleshome.salesforce.ui_api_types import ObjectInfo, PicklistValues

__all__ = ["UiSchema", "describe_of"]


def describe_of(info: ObjectInfo, picklists: dict[str, PicklistValues]) -> dict[str, Any]:
    """Object Info (and its master record type's picklist values) in the REST describe shape."""
    fields = []
    for name, f in info.fields.items():
        raw = info.raw.get("fields", {}).get(name, {}) if isinstance(info.raw.get("fields"), dict) else {}
        values = picklists.get(name)
        fields.append({
            "name": name, "type": f.data_type.lower(), "label": f.label, "nameField": f.name_field,
            "calculated": bool(raw.get("calculated")), "updateable": f.updateable,
            "picklistValues": [{"value": v.value, "label": v.label, "active": True}
                               for v in (values.values if values else ())],
        })
    return {"name": info.api_name, "label": info.label, "fields": fields}


class UiSchema:
    """A :class:`~saleshome.settings.subscriptions.MemberSchema` over the member's UI API session (one org),
    cached per object for the life of the object (one form, one save)."""

    def __init__(self, ui: UiApi) -> None:
        self.ui = ui
        self._cache: dict[str, dict[str, Any]] = {}

    def describe(self, alias: str, name: str) -> dict[str, Any]:
        key = name.lower()
        if key not in self._cache:
            try:
                info = self.ui.object_info(name)
            except UiNotFound:
                raise ValidationError(f"org {alias!r} has no object {name!r} you can read",
                                      hint="use the object's API name (e.g. Opportunity)") from None
            self._cache[key] = describe_of(info, self.ui.picklist_values(info.api_name))
        return self._cache[key]
