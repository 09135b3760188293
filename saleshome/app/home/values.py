"""A record's values as a member reads them: formatted as Sales Home's messages format them.

One formatter for the whole product: the UI API's field types (``dataType``: ``Currency``,
``Date``, ``DateTime``, ``Reference``, ...) are the describe types lower-cased, so the object
info (:class:`saleshome.salesforce.ui_api_types.ObjectInfo`) becomes a
:class:`saleshome.notify.fields.Describe` and every value goes through
:meth:`saleshome.notify.fields.Values.show` — amounts with their currency (the record's
``CurrencyIsoCode``, else the org's), dates and date-times in the member's locale and time
zone, booleans as words, lookups as the related record's name linked to it.  Salesforce's own
``displayValue`` is used where it carries what the type alone cannot: a picklist value's label,
and the name of a related record reached through a column path (``Account.Name``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from saleshome.i18n import Formatter, Messages
from saleshome.notify.fields import EMPTY, Describe, FieldInfo, Related, Shown, Values
from saleshome.salesforce.ui_api_types import ObjectInfo, Record

PICKLISTS = ("picklist", "multipicklist", "combobox")


def name_field(info: ObjectInfo) -> str:
    """The object's (first) name field: ``Name``, ``CaseNumber``, ..."""
    return info.name_fields[0] if info.name_fields else "Name"


def describe_of(info: ObjectInfo) -> Describe:
    """The object info as the describe notifications format with (types lower-cased, as describe spells them)."""
    fields = {name: FieldInfo(name, meta.data_type.lower(), meta.label, meta.reference_to)
              for name, meta in info.fields.items()}
    return Describe({info.api_name: fields}, {info.api_name: name_field(info)})


def values_for(info: ObjectInfo, records: Iterable[Record], formatter: Formatter, words: Messages, *,
               instance_url: str, currency: str) -> Values:
    """A formatter of ``records`` (of ``info``'s object) for one member: their related records' names included."""
    names: dict[str, Related] = {}
    for record in records:
        for name, value in record.fields.items():
            if value.record is not None and value.display:
                names[value.record.id] = Related(value.display, value.record.api_name or name)
    return Values(describe_of(info), formatter, words, instance_url, currency, names=names)


def _plain(record: Record) -> dict[str, Any]:
    return {name: value.value for name, value in record.fields.items() if value.record is None}


def show(values: Values, info: ObjectInfo, record: Record, path: str) -> Shown:
    """The value of ``path`` on ``record`` (a field, or ``Relationship.Field``), formatted for its reader."""
    found = record.get(path)
    if found is None or found.value is None or found.value == "":
        return EMPTY
    if "." in path:
        relationship = record.fields.get(path.split(".", 1)[0])
        related = relationship.record if relationship is not None else None
        text = found.display or str(found.value)
        if related is not None and path.count(".") == 1 and path.endswith(".Name"):
            return Shown(text, url=f"{values.instance_url.rstrip('/')}/{related.id}")  # the related record
        return Shown(text)
    meta = info.fields.get(path)
    if meta is not None and meta.data_type.lower() in PICKLISTS and found.display:
        return Shown(found.display)
    return values.show(info.api_name, path, found.value, _plain(record))


def record_name(info: ObjectInfo, record: Record) -> str:
    """The record's name (its object's name field), never its Id unless it has no name at all."""
    for name in (*info.name_fields, "Name"):
        found = record.fields.get(name)
        if found is not None and found.value not in (None, ""):
            return str(found.display or found.value)
    return record.id
