"""What the Sales tab shows, as typed values parsed from the UI API's documented shapes.

Every UI API answer is made with the member's own session, so what is parsed here is already
what the member may see: a field hidden from them by field-level security is absent from the
record's ``fields`` (User Interface API Developer Guide, "Record", "Record UI": "fields the user
doesn't have access to aren't returned"), a record they may not read is not in the list.

Shapes (User Interface API Developer Guide, "Response Bodies"):

- List Info Collection (``GET ui-api/list-info/{object}``): ``{"lists": [{"apiName", "id",
  "label", "listUiUrl"}], ...}``.
- List Info (``GET ui-api/list-info/{object}/{listViewApiName}``): ``{"label", "displayColumns":
  [{"fieldApiName", "label", "sortable", "lookupId"}], "orderedByInfo": [{"fieldApiName",
  "isAscending", "label"}], "listReference": {"objectApiName", "listViewApiName", "id"}}``.
- List Record Collection (``GET ui-api/list-records/{object}/{listViewApiName}``): ``{"count",
  "currentPageToken", "nextPageToken", "previousPageToken", "pageSize", "records": [Record]}``.
- Record: ``{"apiName", "id", "recordTypeId", "fields": {name: {"value", "displayValue"}}}``; a
  relationship's value is itself a Record (``fields.Account.value.fields.Name``), which is how a
  list column such as ``Account.Name`` is read.
- Object Info (``GET ui-api/object-info/{object}``): ``{"apiName", "label", "labelPlural",
  "nameFields", "fields": {name: {"apiName", "dataType", "label", "referenceToInfos":
  [{"apiName"}], "relationshipName"}}}``.
- Record UI (``GET ui-api/record-ui/{recordIds}``): ``{"records": {id: Record}, "objectInfos":
  {object: Object Info}, "layouts": {object: {recordTypeId: {"Full": {"View": {"sections":
  [{"heading", "layoutRows": [{"layoutItems": [{"label", "layoutComponents": [{"apiName",
  "componentType"}]}]}]}]}}}}}}``.

Parsing is tolerant of missing optional keys and strict on what the screen cannot do without
(an id, an API name): :class:`UiApiShapeError` then says which answer was malformed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from saleshome.errors import FatalError


class UiApiShapeError(FatalError):
    """A UI API answer lacks what its documented shape promises (which answer, which key)."""


def _need(data: Mapping[str, Any], key: str, what: str) -> Any:
    value = data.get(key)
    if value is None or value == "":
        raise UiApiShapeError(f"{what}: no {key!r} in the UI API answer")
    return value


# ------------------------------------------------------------------------------------------- list views
@dataclass(frozen=True)
class ListViewSummary:
    """One list view of an object (an entry of the List Info Collection, or an admins' default)."""

    api_name: str
    label: str
    id: str = ""


def parse_list_views(data: Mapping[str, Any]) -> list[ListViewSummary]:
    """The ``lists`` of a List Info Collection, in the order Salesforce gives them."""
    return [ListViewSummary(str(_need(entry, "apiName", "list views")), str(entry.get("label") or entry["apiName"]),
                            str(entry.get("id") or ""))
            for entry in data.get("lists") or []]


# ------------------------------------------------------------------------------------------- list info
@dataclass(frozen=True)
class Column:
    field: str  # fieldApiName: a field (``Amount``) or a path through a relationship (``Account.Name``)
    label: str
    sortable: bool = False


@dataclass(frozen=True)
class SortOrder:
    field: str
    ascending: bool
    label: str


@dataclass(frozen=True)
class ListInfo:
    object: str
    api_name: str
    label: str
    columns: tuple[Column, ...]
    order: tuple[SortOrder, ...] = ()


def parse_list_info(data: Mapping[str, Any]) -> ListInfo:
    ref = data.get("listReference") or {}
    columns = tuple(Column(str(_need(c, "fieldApiName", "list info column")), str(c.get("label") or c["fieldApiName"]),
                           bool(c.get("sortable"))) for c in data.get("displayColumns") or [])
    order = tuple(SortOrder(str(_need(o, "fieldApiName", "list info order")), bool(o.get("isAscending", True)),
                            str(o.get("label") or o["fieldApiName"])) for o in data.get("orderedByInfo") or [])
    return ListInfo(object=str(_need(ref, "objectApiName", "list info")),
                    api_name=str(_need(ref, "listViewApiName", "list info")),
                    label=str(data.get("label") or ref["listViewApiName"]), columns=columns, order=order)


# ------------------------------------------------------------------------------------------- records
@dataclass(frozen=True)
class FieldValue:
    """A field of a record as the UI API gives it: its raw ``value`` and Salesforce's ``displayValue``."""

    value: Any
    display: str | None = None


@dataclass(frozen=True)
class Record:
    object: str
    id: str
    fields: Mapping[str, FieldValue]
    record_type_id: str | None = None

    def at(self, path: str) -> FieldValue | None:
        """The field ``path`` (``Amount``, or ``Account.Name`` through the relationship), None when absent."""
        head, _, rest = path.partition(".")
        found = self.fields.get(head)
        if found is None or not rest:
            return found
        related = found.value
        return related.at(rest) if isinstance(related, Record) else None

    def related_names(self) -> Iterator[tuple[str, str]]:
        """(related record id, its name) for each relationship of this record whose name is shown."""
        for value in self.fields.values():
            if isinstance(value.value, Record) and value.display:
                yield value.value.id, value.display


def parse_record(data: Mapping[str, Any]) -> Record:
    fields: dict[str, FieldValue] = {}
    for name, raw in (data.get("fields") or {}).items():
        if not isinstance(raw, Mapping):
            continue
        value = raw.get("value")
        if isinstance(value, Mapping) and "fields" in value:
            value = parse_record(value)
        display = raw.get("displayValue")
        fields[str(name)] = FieldValue(value, None if display is None else str(display))
    return Record(object=str(data.get("apiName") or ""), id=str(_need(data, "id", "record")), fields=fields,
                  record_type_id=data.get("recordTypeId"))


@dataclass(frozen=True)
class RecordPage:
    """One page of a list's records, with the tokens of the pages around it (None: no such page)."""

    records: tuple[Record, ...]
    current_token: str | None = None
    next_token: str | None = None
    previous_token: str | None = None
    count: int = 0


def _token(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def parse_record_page(data: Mapping[str, Any]) -> RecordPage:
    records = tuple(parse_record(r) for r in data.get("records") or [])
    return RecordPage(records=records, current_token=_token(data.get("currentPageToken")),
                      next_token=_token(data.get("nextPageToken")),
                      previous_token=_token(data.get("previousPageToken")),
                      count=int(data.get("count") or len(records)))


# ------------------------------------------------------------------------------------------- object info
@dataclass(frozen=True)
class FieldMeta:
    name: str
    data_type: str  # as the UI API spells it: Currency, Date, DateTime, Reference, Picklist, ...
    label: str
    reference_to: tuple[str, ...] = ()
    relationship: str | None = None  # ``Account`` for ``AccountId``


@dataclass(frozen=True)
class ObjectInfo:
    name: str
    label: str
    label_plural: str
    name_fields: tuple[str, ...]
    fields: Mapping[str, FieldMeta] = field(default_factory=dict)

    @property
    def name_field(self) -> str:
        return self.name_fields[0] if self.name_fields else "Name"

    def label_of(self, name: str) -> str:
        meta = self.fields.get(name)
        return meta.label if meta is not None else name


def parse_object_info(data: Mapping[str, Any]) -> ObjectInfo:
    name = str(_need(data, "apiName", "object info"))
    fields = {
        str(key): FieldMeta(str(key), str(raw.get("dataType") or "String"), str(raw.get("label") or key),
                            tuple(str(t.get("apiName")) for t in raw.get("referenceToInfos") or [] if t.get("apiName")),
                            raw.get("relationshipName"))
        for key, raw in (data.get("fields") or {}).items() if isinstance(raw, Mapping)
    }
    return ObjectInfo(name=name, label=str(data.get("label") or name),
                      label_plural=str(data.get("labelPlural") or data.get("label") or name),
                      name_fields=tuple(str(n) for n in data.get("nameFields") or ()), fields=fields)


# ------------------------------------------------------------------------------------------- record layout
@dataclass(frozen=True)
class LayoutSection:
    heading: str
    fields: tuple[str, ...]  # API names, in the layout's order (row by row, left to right)


@dataclass(frozen=True)
class RecordUi:
    """One record with its object's info and its page layout (``View`` mode of the ``Full`` layout)."""

    record: Record
    object: ObjectInfo
    sections: tuple[LayoutSection, ...]


def parse_layout_sections(layout: Mapping[str, Any]) -> tuple[LayoutSection, ...]:
    sections: list[LayoutSection] = []
    for section in layout.get("sections") or []:
        names: list[str] = []
        for row in section.get("layoutRows") or []:
            for item in row.get("layoutItems") or []:
                for component in item.get("layoutComponents") or []:
                    api_name = component.get("apiName")
                    if component.get("componentType", "Field") == "Field" and api_name and api_name not in names:
                        names.append(str(api_name))
        sections.append(LayoutSection(str(section.get("heading") or ""), tuple(names)))
    return tuple(sections)


def _first(mapping: Any, *keys: str) -> Mapping[str, Any]:
    """``mapping[key]`` for the first of ``keys`` present, else its first value; empty when there is none."""
    if not isinstance(mapping, Mapping):
        return {}
    found = next((mapping[k] for k in keys if k in mapping), None)
    if found is None:
        found = next(iter(mapping.values()), {})
    return found if isinstance(found, Mapping) else {}


def _view_layout(layouts: Mapping[str, Any], obj: str, record_type_id: str | None) -> Mapping[str, Any]:
    """The ``View`` mode of the ``Full`` layout of the record's type (else whichever the answer holds)."""
    by_type = layouts.get(obj) or {}
    return _first(_first(_first(by_type, record_type_id or ""), "Full"), "View")


def parse_record_ui(data: Mapping[str, Any], record_id: str) -> RecordUi:
    records = data.get("records") or {}
    raw = records.get(record_id) or next((r for key, r in records.items() if key[:15] == record_id[:15]), None)
    if raw is None:
        raise UiApiShapeError(f"record UI: record {record_id} is not in the answer")
    record = parse_record(raw)
    info = parse_object_info(_need(data.get("objectInfos") or {}, record.object, "record UI object infos"))
    sections = parse_layout_sections(_view_layout(data.get("layouts") or {}, record.object, record.record_type_id))
    return RecordUi(record=record, object=info, sections=sections)


def sections_for(layout_fields: Sequence[str] | None, ui: RecordUi, heading: str) -> tuple[LayoutSection, ...]:
    """The sections a record shows: the admins' Slack layout (one section of its fields) when set, else the
    UI API's page layout.  Either way, only the fields the record holds (the member may see) remain."""
    chosen = (LayoutSection(heading, tuple(layout_fields)),) if layout_fields else ui.sections
    kept = (LayoutSection(s.heading, tuple(f for f in s.fields if f in ui.record.fields)) for s in chosen)
    return tuple(s for s in kept if s.fields)
