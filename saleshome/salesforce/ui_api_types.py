"""Typed values of the Salesforce User Interface API answers the Slack app reads (parsing only, no I/O).

Each class is built from one response body of the "User Interface API Developer Guide" by its
``parse`` class method; ``raw`` keeps the body as it came (for what a class does not model, or for a
caller that works on the documented JSON itself).  A field
that is absent from an answer is one the member may not read (field-level security): it is absent
here too, never a ``None`` value — callers test ``name in record.fields``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MASTER_RECORD_TYPE_ID = "012000000000000AAA"


@dataclass(frozen=True)
class FieldValue:
    """One *Field Value*: the raw ``value``, the ``display`` value (formatted for the member's locale,
    null when there is nothing to format) and, for a relationship, the parent ``record``."""

    value: Any
    display: str | None = None
    record: Record | None = None

    @property
    def text(self) -> str | None:
        """What to show: the display value, else the raw value as text (booleans as ``true``/``false``)."""
        if self.display is not None:
            return self.display
        if self.value is None or isinstance(self.value, dict):
            return None
        if isinstance(self.value, bool):
            return "true" if self.value else "false"
        return str(self.value)

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> FieldValue:
        value = raw.get("value")
        nested = Record.parse(value) if isinstance(value, Mapping) and "apiName" in value else None
        return cls(value=None if nested is not None else value, display=raw.get("displayValue"), record=nested)


@dataclass(frozen=True)
class Record:
    """One *Record*: ``fields`` holds only what the member may read."""

    api_name: str
    id: str
    fields: Mapping[str, FieldValue]
    record_type_id: str | None = None
    last_modified_date: str | None = None
    system_modstamp: str | None = None
    weak_etag: int = 0
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> Record:
        return cls(
            api_name=str(raw["apiName"]), id=str(raw["id"]),
            fields={str(k): FieldValue.parse(v) for k, v in (raw.get("fields") or {}).items()},
            record_type_id=raw.get("recordTypeId"), last_modified_date=raw.get("lastModifiedDate"),
            system_modstamp=raw.get("systemModstamp"), weak_etag=int(raw.get("weakEtag") or 0), raw=raw,
        )

    def get(self, path: str) -> FieldValue | None:
        """The value at ``path`` (``"Amount"``, ``"Account.Name"``, ``"Opportunity.Account.Name"``);
        None when a step is absent (hidden, not requested) or a parent is empty."""
        parts = path.split(".")
        if len(parts) > 1 and parts[0] == self.api_name and parts[0] not in self.fields:
            parts = parts[1:]
        current: Record | None = self
        found: FieldValue | None = None
        for index, part in enumerate(parts):
            if current is None:
                return None
            found = current.fields.get(part)
            if found is None:
                return None
            current = found.record if index < len(parts) - 1 else None
        return found

    def text(self, path: str) -> str | None:
        """The shown text of ``path`` (display value, else raw value), None when absent or empty."""
        found = self.get(path)
        return found.text if found is not None else None


@dataclass(frozen=True)
class ListViewSummary:
    """One list view of *List Info Summary Collection* (``list-info/{object}``)."""

    api_name: str
    id: str
    label: str


@dataclass(frozen=True)
class ListViewsPage:
    """One page of an object's list views."""

    object_api_name: str
    lists: tuple[ListViewSummary, ...]
    page_size: int
    current_page_token: str | None
    next_page_token: str | None
    previous_page_token: str | None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> ListViewsPage:
        return cls(
            object_api_name=str(raw.get("objectApiName") or ""),
            lists=tuple(ListViewSummary(str(v["apiName"]), str(v["id"]), str(v["label"])) for v in raw.get("lists", [])),
            page_size=int(raw.get("pageSize") or 0), current_page_token=raw.get("currentPageToken"),
            next_page_token=raw.get("nextPageToken"), previous_page_token=raw.get("previousPageToken"), raw=raw,
        )


@dataclass(frozen=True)
class ListColumn:
    """One display column of a list view (``Name``, ``Account.Name``, ``Owner.Alias``)."""

    field_api_name: str
    label: str
    sortable: bool
    lookup_id: str | None = None


@dataclass(frozen=True)
class ListOrder:
    field_api_name: str
    ascending: bool
    label: str


@dataclass(frozen=True)
class ListInfo:
    """A list view's metadata (*List Info*): its columns (those the member may read) and its order."""

    object_api_name: str
    api_name: str
    id: str
    label: str
    columns: tuple[ListColumn, ...]
    order_by: tuple[ListOrder, ...]
    etag: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> ListInfo:
        ref = raw.get("listReference") or {}
        return cls(
            object_api_name=str(ref.get("objectApiName") or ""), api_name=str(ref.get("listViewApiName") or ""),
            id=str(ref.get("id") or ""), label=str(raw.get("label") or ""),
            columns=tuple(ListColumn(str(c["fieldApiName"]), str(c.get("label") or c["fieldApiName"]),
                                     bool(c.get("sortable")), c.get("lookupId")) for c in raw.get("displayColumns", [])),
            order_by=tuple(ListOrder(str(o["fieldApiName"]), bool(o.get("isAscending", True)), str(o.get("label") or ""))
                           for o in raw.get("orderedByInfo", [])),
            etag=raw.get("eTag"), raw=raw,
        )


@dataclass(frozen=True)
class ListRecordsPage:
    """One page of a list view's records (*List Record Collection*)."""

    records: tuple[Record, ...]
    page_size: int
    current_page_token: str | None
    next_page_token: str | None
    previous_page_token: str | None
    sort_by: str | None
    list_info_etag: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> ListRecordsPage:
        return cls(
            records=tuple(Record.parse(r) for r in raw.get("records", [])), page_size=int(raw.get("pageSize") or 0),
            current_page_token=raw.get("currentPageToken") or None, next_page_token=raw.get("nextPageToken") or None,
            previous_page_token=raw.get("previousPageToken") or None, sort_by=raw.get("sortBy"),
            list_info_etag=raw.get("listInfoETag"), raw=raw,
        )


@dataclass(frozen=True)
class FieldInfo:
    """One field of *Object Info* as the member may use it (``updateable``: their field-level security)."""

    api_name: str
    label: str
    data_type: str  # String, Picklist, Reference, Currency, Date, DateTime, Boolean, Int, Double, Percent...
    length: int = 0
    precision: int = 0
    scale: int = 0
    updateable: bool = False
    createable: bool = False
    required: bool = False
    name_field: bool = False
    sortable: bool = False
    relationship_name: str | None = None
    reference_to: tuple[str, ...] = ()

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> FieldInfo:
        return cls(
            api_name=str(raw["apiName"]), label=str(raw.get("label") or raw["apiName"]),
            data_type=str(raw.get("dataType") or "String"), length=int(raw.get("length") or 0),
            precision=int(raw.get("precision") or 0), scale=int(raw.get("scale") or 0),
            updateable=bool(raw.get("updateable")), createable=bool(raw.get("createable")),
            required=bool(raw.get("required")), name_field=bool(raw.get("nameField")),
            sortable=bool(raw.get("sortable")), relationship_name=raw.get("relationshipName"),
            reference_to=tuple(str(r["apiName"]) for r in raw.get("referenceToInfos") or []),
        )


@dataclass(frozen=True)
class ObjectInfo:
    """An object's metadata (*Object Info*): only the fields the member may read are in ``fields``."""

    api_name: str
    label: str
    label_plural: str
    key_prefix: str
    name_fields: tuple[str, ...]
    fields: Mapping[str, FieldInfo]
    default_record_type_id: str | None
    record_type_ids: tuple[str, ...]
    theme_color: str | None = None
    icon_url: str | None = None
    createable: bool = False
    updateable: bool = False
    deletable: bool = False
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> ObjectInfo:
        theme = raw.get("themeInfo") or {}
        return cls(
            api_name=str(raw["apiName"]), label=str(raw.get("label") or raw["apiName"]),
            label_plural=str(raw.get("labelPlural") or raw.get("label") or raw["apiName"]),
            key_prefix=str(raw.get("keyPrefix") or ""), name_fields=tuple(raw.get("nameFields") or ()),
            fields={str(k): FieldInfo.parse(v) for k, v in (raw.get("fields") or {}).items()},
            default_record_type_id=raw.get("defaultRecordTypeId"),
            record_type_ids=tuple((raw.get("recordTypeInfos") or {}).keys()),
            theme_color=theme.get("color"), icon_url=theme.get("iconUrl"), createable=bool(raw.get("createable")),
            updateable=bool(raw.get("updateable")), deletable=bool(raw.get("deletable")), raw=raw,
        )


@dataclass(frozen=True)
class LayoutItem:
    """One cell of a layout row: a label and the field(s) it shows."""

    label: str
    fields: tuple[str, ...]
    editable: bool = False
    required: bool = False


@dataclass(frozen=True)
class LayoutSection:
    heading: str
    columns: int
    rows: tuple[tuple[LayoutItem, ...], ...]

    @property
    def fields(self) -> list[str]:
        """The section's field API names, row by row (what a record view shows, in order)."""
        return [name for row in self.rows for item in row for name in item.fields]


@dataclass(frozen=True)
class RecordLayout:
    """A page layout (*Record Layout*): fields the member may not read are not in it."""

    object_api_name: str
    layout_type: str
    mode: str
    sections: tuple[LayoutSection, ...]
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def fields(self) -> list[str]:
        return [name for section in self.sections for name in section.fields]

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> RecordLayout:
        sections = []
        for s in raw.get("sections", []):
            rows = tuple(
                tuple(
                    LayoutItem(
                        label=str(item.get("label") or ""),
                        fields=tuple(str(c["apiName"]) for c in item.get("layoutComponents", [])
                                     if c.get("componentType") == "Field" and c.get("apiName")),
                        editable=bool(item.get("editableForUpdate")), required=bool(item.get("required")),
                    )
                    for item in row.get("layoutItems", [])
                )
                for row in s.get("layoutRows", [])
            )
            sections.append(LayoutSection(str(s.get("heading") or ""), int(s.get("columns") or 1), rows))
        return cls(object_api_name=str(raw.get("objectApiName") or ""), layout_type=str(raw.get("layoutType") or ""),
                   mode=str(raw.get("mode") or ""), sections=tuple(sections), raw=raw)


@dataclass(frozen=True)
class RecordView:
    """What a record screen needs (*Record UI* of one record): the record, its layout, its object info."""

    record: Record
    layout: RecordLayout
    object_info: ObjectInfo
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)  # the whole Record UI answer

    @classmethod
    def parse(cls, raw: Mapping[str, Any], *, layout_type: str = "Full") -> RecordView:
        """The first record of a *Record UI* answer, the ``View`` mode of its ``layout_type`` layout for its record
        type (else the first the answer holds), and its object's info."""
        record = Record.parse(next(iter((raw.get("records") or {}).values())))
        per_type = (raw.get("layouts") or {}).get(record.api_name) or {}
        layouts: Mapping[str, Any] = per_type.get(record.record_type_id or MASTER_RECORD_TYPE_ID) or next(
            iter(per_type.values()), {})
        layout = RecordLayout.parse(((layouts.get(layout_type) or {}).get("View")) or {})
        info = ObjectInfo.parse((raw.get("objectInfos") or {})[record.api_name])
        return cls(record=record, layout=layout, object_info=info, raw=raw)


@dataclass(frozen=True)
class PicklistValue:
    """One value of a picklist: ``valid_for`` holds the indexes (into the controller's ``controllerValues``)
    of the controlling values this value is valid for — empty for a picklist that depends on nothing."""

    value: str
    label: str
    attributes: Mapping[str, Any] | None = None
    valid_for: tuple[int, ...] = ()


@dataclass(frozen=True)
class PicklistValues:
    """A picklist field's values for one record type (*Picklist Values*).

    A dependent picklist has ``controller_values`` (the controlling field's values, or ``"false"`` /
    ``"true"`` for a checkbox, each with its index) and each value's ``valid_for``; :meth:`valid_for`
    gives the values a record may hold for a given controlling value.
    """

    values: tuple[PicklistValue, ...]
    default_value: str | None = None
    controller_values: Mapping[str, int] = field(default_factory=dict)
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def dependent(self) -> bool:
        return bool(self.controller_values)

    def valid_for(self, controlling_value: str | bool | None) -> tuple[PicklistValue, ...]:
        """The values valid when the controlling field holds ``controlling_value`` (a checkbox's ``True`` /
        ``False`` or a picklist value): every value of a picklist that depends on nothing, none when the
        controlling field is blank or holds a value the controller does not list (as a Salesforce page
        disables the dependent picklist then)."""
        if not self.dependent:
            return self.values
        if isinstance(controlling_value, bool):
            controlling_value = "true" if controlling_value else "false"
        index = self.controller_values.get(controlling_value) if controlling_value is not None else None
        if index is None:
            return ()
        return tuple(v for v in self.values if index in v.valid_for)

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> PicklistValues:
        default = raw.get("defaultValue")
        return cls(
            values=tuple(PicklistValue(str(v["value"]), str(v.get("label") or v["value"]), v.get("attributes"),
                                       tuple(int(i) for i in v.get("validFor") or ()))
                         for v in raw.get("values", [])),
            default_value=str(default["value"]) if isinstance(default, Mapping) and "value" in default else None,
            controller_values={str(k): int(i) for k, i in (raw.get("controllerValues") or {}).items()},
            raw=raw,
        )


@dataclass(frozen=True)
class RecordTypeInfo:
    """One record type of an object as the member may use it (*Record Type Info*): ``available`` says the
    member's profile may give records this type; ``default`` is the member's default for new records."""

    record_type_id: str
    name: str
    available: bool = True
    default: bool = False
    master: bool = False

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> RecordTypeInfo:
        return cls(record_type_id=str(raw["recordTypeId"]), name=str(raw.get("name") or ""),
                   available=bool(raw.get("available")), default=bool(raw.get("defaultRecordTypeMapping")),
                   master=bool(raw.get("master")))


def record_type_infos(raw: Mapping[str, Any]) -> dict[str, RecordTypeInfo]:
    """An *Object Info*'s ``recordTypeInfos`` (record type id -> info), typed."""
    return {str(k): RecordTypeInfo.parse(v) for k, v in (raw.get("recordTypeInfos") or {}).items()}


def record_type_of(record: Record) -> RecordTypeInfo | None:
    """The record's *Record Type Info* (``recordTypeInfo``): None for a record of the master record type
    on an object without record types (Salesforce then answers null)."""
    info = record.raw.get("recordTypeInfo")
    return RecordTypeInfo.parse(info) if isinstance(info, Mapping) else None


def controller_of(info: ObjectInfo, field_name: str) -> str | None:
    """The field that controls ``field_name`` (*Field* ``controllerName``), None when it depends on nothing."""
    found = (info.raw.get("fields") or {}).get(field_name)
    return str(found["controllerName"]) if isinstance(found, Mapping) and found.get("controllerName") else None


def picklist_choices(picklists: Mapping[str, PicklistValues], info: ObjectInfo, field_name: str,
                     values: Mapping[str, Any]) -> tuple[PicklistValue, ...]:
    """The values ``field_name`` may take on a record whose fields hold ``values`` (field -> raw value, e.g. the
    record's current values or a form's): ``picklists`` is the record type's *Picklist Values Collection*
    (``UiApi.picklist_values(obj, record_type_id=record.record_type_id)``); a dependent picklist gets the values
    valid for its controller's value in ``values``; a field without values for that record type, none."""
    found = picklists.get(field_name)
    if found is None:
        return ()
    controller = controller_of(info, field_name)
    if controller is None or not found.dependent:
        return found.values
    return found.valid_for(values.get(controller))


@dataclass(frozen=True)
class LookupHit:
    """One suggestion of a lookup search (a *Record* of *Lookup Results*): the record's id, its name
    (what to show), its object, and the secondary text the UI API gives to tell like names apart."""

    id: str
    name: str
    api_name: str
    secondary: str | None = None

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> LookupHit:
        fields = raw.get("fields") or {}

        def text(name: str) -> str | None:
            entry = fields.get(name)
            if not isinstance(entry, Mapping):
                return None
            value = entry.get("displayValue") if entry.get("displayValue") is not None else entry.get("value")
            return None if value is None else str(value)

        return cls(id=str(raw["id"]), name=text("Name") or str(raw["id"]), api_name=str(raw.get("apiName") or ""),
                   secondary=text("DisambiguationField"))


def lookup_hits(raw: Mapping[str, Any]) -> list[LookupHit]:
    """The records of a lookups answer, in order: ``{lookupResults: {target: {records}}}`` (every target) or
    the one target's ``{records}`` (``lookups/{object}/{field}/{target}``)."""
    if "lookupResults" in raw:
        pages = [p for p in (raw.get("lookupResults") or {}).values() if isinstance(p, Mapping)]
    else:
        pages = [raw]
    return [LookupHit.parse(r) for page in pages for r in page.get("records") or []]
