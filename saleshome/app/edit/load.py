"""The fields a member may edit on one record, read as the member through the UI API.

Offered: the admins' Slack record layout's ``editable`` fields (:func:`editable_fields`: the org's layout for the
object, else :func:`saleshome.settings.layouts.default_layout` — what ``layout_for`` gives) ∩ the fields the
member's object info says they may update (``updateable`` as them: field-level security; a field they may not read
is not in their object info at all, so it never appears) ∩ the kinds Slack can edit (:func:`.form.kind_of`).  The
object itself must be ``updateable`` for them; otherwise, or when nothing is left to offer, :class:`ReadOnly`.

The record is read with ``optionalFields`` (Salesforce leaves out what the member may not read), each lookup with its
relationship (``Opportunity.Account.Id``: its ``displayValue`` is the related record's name), the controlling
field of each dependent picklist, and its name.  Picklist values come from ``picklist-values/{recordTypeId}``
for the *record's* record type (a value of another record type is never offered), with ``controllerValues`` and
each value's ``validFor`` (the UI API's *Picklist Values*) for dependent picklists.  Object infos and picklist
values go through the caller's API (the Sales tab's :class:`saleshome.app.home.cache.CachedUiApi` keeps them a
minute); the record is read every time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from saleshome.errors import PermissionDeniedError
from saleshome.salesforce.ui_api_types import (
    MASTER_RECORD_TYPE_ID,
    ObjectInfo,
    PicklistValues,
    Record,
    controller_of,
)
from saleshome.settings.layouts import default_layout
from saleshome.settings.model import Layout, OrgSettings

from .form import EditField, EditRef, Kind, Option, kind_of

__all__ = ["EditForm", "EditUiApi", "ReadOnly", "can_edit", "editable_fields", "load_form", "offered", "picklist_options"]


class ReadOnly(PermissionDeniedError):
    """The member may not edit this record (their object permissions, field-level security or the layout)."""


class EditUiApi(Protocol):
    """The UI API calls the edit modal makes as the member (:class:`saleshome.salesforce.ui_api.UiApi`'s)."""

    def object_info(self, obj: str) -> ObjectInfo: ...

    def record(self, record_id: str, *, fields: Sequence[str] = (), optional_fields: Sequence[str] = (),
               layout_types: Sequence[str] = ()) -> Record: ...

    def picklist_values(self, obj: str, *, record_type_id: str = ...) -> dict[str, PicklistValues]: ...


@dataclass(frozen=True)
class EditForm:
    """What the modal shows: the reference (signed into it), the fields, the object's label and the record's name."""

    ref: EditRef
    fields: tuple[EditField, ...]
    object_label: str
    record_name: str


def describe_of(info: ObjectInfo) -> dict[str, Any]:
    """The object info as the describe :func:`saleshome.settings.layouts.default_layout` reads."""
    return {"name": info.api_name, "fields": [
        {"name": f.api_name, "nameField": f.name_field or f.api_name in info.name_fields[:1],
         "updateable": f.updateable} for f in info.fields.values()]}


def editable_fields(settings: OrgSettings, info: ObjectInfo) -> tuple[str, ...]:
    """The layout's ``editable`` fields for ``info``'s object: the admins' layout, else the default one."""
    layout: Layout | None = settings.layouts.get(info.api_name)
    if layout is None:
        layout = default_layout(describe_of(info))
    return tuple(layout.editable)


def offered(info: ObjectInfo, editable: Sequence[str]) -> tuple[str, ...]:
    """``editable`` ∩ what the member may update (in their object info, ``updateable``) ∩ what Slack can edit."""
    if not info.updateable:
        return ()
    out = []
    for name in dict.fromkeys(editable):
        meta = info.fields.get(name)
        if meta is not None and meta.updateable and kind_of(meta.data_type) is not None:
            out.append(name)
    return tuple(out)


def can_edit(info: ObjectInfo, editable: Sequence[str]) -> bool:
    """Whether the member may edit records of ``info``'s object from Slack (an Edit button is shown)."""
    return bool(offered(info, editable))


def picklist_options(values: PicklistValues | None) -> tuple[Option, ...]:
    """The values valid for the record type; a dependent picklist's with the controlling values each is valid for."""
    if values is None:
        return ()
    if not values.dependent:
        return tuple(Option(v.value, v.label) for v in values.values)
    by_index = {i: k for k, i in values.controller_values.items()}
    return tuple(Option(v.value, v.label, tuple(by_index[i] for i in v.valid_for if i in by_index))
                 for v in values.values)


def _field(info: ObjectInfo, record: Record, name: str, picklists: Mapping[str, PicklistValues]) -> EditField:
    meta = info.fields[name]
    kind = kind_of(meta.data_type)
    assert kind is not None
    found = record.fields.get(name)
    current = found.value if found is not None else None
    display = found.display if found is not None else None
    controlling = controller_of(info, name)
    controlling_value = None
    if controlling:
        controller = record.fields.get(controlling)
        controlling_value = controller.value if controller is not None else None
    if kind is Kind.LOOKUP and meta.relationship_name:
        related = record.fields.get(meta.relationship_name)
        if related is not None and related.display:
            display = related.display
    length = meta.length
    if kind is Kind.TEXT and length > 255:  # a long String is edited as a multi-line text too
        kind = Kind.TEXTAREA
    return EditField(
        api_name=name, label=meta.label, kind=kind, required=meta.required, length=length,
        precision=meta.precision, scale=meta.scale,
        options=picklist_options(picklists.get(name)) if kind is Kind.PICKLIST else (), current=current, display=display,
        controlling=controlling or None, controlling_value=controlling_value, reference_to=meta.reference_to,
    )


def record_fields(info: ObjectInfo, names: Sequence[str]) -> list[str]:
    """The ``optionalFields`` read for the modal: ``names``, lookups' relationships, controlling fields, name fields."""
    wanted: list[str] = list(names)
    for name in names:
        meta = info.fields.get(name)
        if meta is not None and meta.relationship_name and kind_of(meta.data_type) is Kind.LOOKUP:
            wanted.append(f"{meta.relationship_name}.Id")
        controller = controller_of(info, name)
        if controller is not None and controller in info.fields:
            wanted.append(controller)
    wanted += [n for n in info.name_fields if n in info.fields]
    return [f"{info.api_name}.{n}" for n in dict.fromkeys(wanted)]


def record_name(info: ObjectInfo, record: Record) -> str:
    for name in (*info.name_fields, "Name"):
        found = record.fields.get(name)
        if found is not None and found.value not in (None, ""):
            return str(found.display or found.value)
    return record.id


def load_form(api: EditUiApi, *, alias: str, obj: str, record_id: str, user_id: str,
              settings: OrgSettings) -> EditForm:
    """The modal's content for ``record_id`` read as the member (:class:`ReadOnly` when they may edit none of it;
    the client's errors — ``UiNotFound``, ``UiAccessDenied``, ``MemberSessionExpired``… — as they come)."""
    info = api.object_info(obj)
    names = offered(info, editable_fields(settings, info))
    if not names:
        raise ReadOnly(f"the member may edit no field of {obj} {record_id} from Slack")
    record = api.record(record_id, optional_fields=record_fields(info, names))
    if record.api_name != obj:
        raise ReadOnly(f"{record_id} is a {record.api_name}, not a {obj}")
    picklists: dict[str, PicklistValues] = {}
    if any(kind_of(info.fields[n].data_type) is Kind.PICKLIST for n in names):
        picklists = api.picklist_values(obj, record_type_id=record.record_type_id or MASTER_RECORD_TYPE_ID)
    fields = tuple(_field(info, record, n, picklists) for n in names)
    ref = EditRef(alias=alias, object=obj, record_id=record.id, slack_user_id=user_id,
                  last_modified=record.last_modified_date or "", fields=names, record_type_id=record.record_type_id)
    return EditForm(ref, fields, info.label, record_name(info, record))
