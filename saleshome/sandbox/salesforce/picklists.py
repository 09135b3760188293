"""Record types and dependent picklists of the sandbox org: which picklist values a record may hold.

Salesforce (Salesforce Help, "Record Types", "Sales Processes", "Define Dependent Picklists"; Object
Reference, "RecordType"; REST API Developer Guide, "sObject Describe": ``recordTypeInfos``,
``dependentPicklist``, ``controllerName``, ``validFor``):

- A **record type** offers a subset of each picklist's values (for Opportunity, the StageName values
  come from the record type's *sales process*); a record carries ``RecordTypeId`` — none (the *master*
  record type, ``012000000000000AAA``) until an admin creates record types, and records that existed
  before keep the master type.  The object gains the ``RecordTypeId`` field, and the org the
  ``RecordType`` object, with the first record type: the seeded org has neither.
- A **dependent picklist** has a *controlling* field (a picklist or a checkbox); each of its values is
  valid for some of the controlling values.  Describe encodes that as ``validFor``: a base64 bitmap
  whose bit *i* (most significant bit first in each byte) stands for the controller's value *i*
  (a checkbox: 0 = unchecked, 1 = checked).

What a write may hold, as the API enforces it: the API accepts any value in an *unrestricted* picklist
(record types and dependencies only guide the UI); a **restricted** picklist refuses a value that is
not in its value set, not among its record type's values, or not valid for its controlling value,
with ``INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST`` ("bad value for restricted picklist field") on that
field.  A ``RecordTypeId`` that is not an active record type of the object is refused with
``INVALID_CROSS_REFERENCE_KEY`` ("Record Type ID: this ID value isn't valid for the user").  A new
record without ``RecordTypeId`` gets the object's default record type.

Configuration (``/_sandbox/record-types``, ``/_sandbox/picklist-dependencies``; ``control.py``): the
sandbox starts with neither, so seeded data and existing behaviour are unchanged; a field a dependency
needs can first be added with ``/_sandbox/schema`` (``"Sub_Region__c:picklist:restricted,vals=A|B"``),
and StageName made restricted with its ``retype``.

Invariants: a configuration is checked against the catalog when it is made (fields exist, are
picklists or a checkbox controller, values belong to the field), so checks never fail on it; a refused
write changes nothing (the store checks inside its write, before storing).
"""

from __future__ import annotations

import base64
import dataclasses
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from .errors import ApiError
from .schema import RECORD_TYPE_FIELD, Catalog, FieldDef, ObjectDef, record_type_object

MASTER_RECORD_TYPE_ID = "012000000000000AAA"
CHECKBOX_VALUES = ("false", "true")  # a checkbox controller's values, in validFor order


def _bad(message: str) -> ApiError:
    return ApiError(400, "INVALID_ARGUMENT", message)


@dataclass(frozen=True)
class RecordType:
    """One record type of one object: the picklist values it offers (a field it does not name: all)."""

    id: str
    object: str
    developer_name: str
    name: str
    values: Mapping[str, tuple[str, ...]]
    default: bool = False
    active: bool = True
    description: str | None = None

    def allowed(self, f: FieldDef) -> list[str]:
        """``f``'s values for this record type, in the field's order."""
        chosen = self.values.get(f.name)
        return f.picklist_values if chosen is None else [v for v in f.picklist_values if v in chosen]

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "object": self.object, "developer_name": self.developer_name, "name": self.name,
                "values": {k: list(v) for k, v in self.values.items()}, "default": self.default,
                "active": self.active, "description": self.description}


@dataclass(frozen=True)
class Dependency:
    """A dependent picklist: ``field``'s value ``v`` is valid when ``controller`` holds one of ``valid_for[v]``
    (a checkbox controller's values are ``"true"`` / ``"false"``); a value not in ``valid_for`` is valid for none."""

    object: str
    field: str
    controller: str
    valid_for: Mapping[str, tuple[str, ...]]

    def as_json(self) -> dict[str, Any]:
        return {"object": self.object, "field": self.field, "controller": self.controller,
                "valid_for": {k: list(v) for k, v in self.valid_for.items()}}


def controller_values(controller: FieldDef, record_type: RecordType | None = None) -> list[str]:
    """The controlling field's values in index order (a checkbox: ``false``, ``true``)."""
    if controller.type == "boolean":
        return list(CHECKBOX_VALUES)
    return record_type.allowed(controller) if record_type else controller.picklist_values


def controlling_key(value: Any) -> str | None:
    """A stored controlling value as ``valid_for`` names it (a checkbox's ``true``/``false``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return None if value is None else str(value)


def valid_for_bitmap(valid: Iterable[str], controller: Sequence[str]) -> str:
    """Describe's ``validFor``: base64 of a bitmap, bit *i* (MSB first in each byte) for controller value *i*."""
    chosen = set(valid)
    bits = bytearray((len(controller) + 7) // 8 or 1)
    for index, value in enumerate(controller):
        if value in chosen:
            bits[index // 8] |= 0x80 >> (index % 8)
    return base64.b64encode(bytes(bits)).decode()


def _restricted_error(f: FieldDef, value: Any) -> ApiError:
    return ApiError(400, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                    f"{f.label}: bad value for restricted picklist field: {value}", [f.name])


@dataclass
class OrgPicklists:
    """The org's record types and dependent picklists (thread-safe); :meth:`check` is what every save calls."""

    _types: dict[str, RecordType] = field(default_factory=dict)  # by id
    _dependencies: dict[tuple[str, str], Dependency] = field(default_factory=dict)  # (object, field)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ---------------------------------------------------------------------------- reading
    def record_types(self, obj: str) -> list[RecordType]:
        """The object's record types (active or not), in the order they were created."""
        with self._lock:
            return [t for t in self._types.values() if t.object == obj]

    def record_type(self, obj: str, record_type_id: str | None) -> RecordType | None:
        """The record type of ``obj`` with this id (15 or 18 characters), None for the master or an unknown id."""
        if not record_type_id:
            return None
        with self._lock:
            found = next((t for t in self._types.values()
                          if t.object == obj and (t.id == record_type_id or t.id[:15] == record_type_id)), None)
        return found

    def default_record_type(self, obj: str) -> RecordType | None:
        """The record type a new record gets (the one marked default, else the first active one)."""
        active = [t for t in self.record_types(obj) if t.active]
        return next((t for t in active if t.default), active[0] if active else None)

    def dependency(self, obj: str, field_name: str) -> Dependency | None:
        with self._lock:
            return self._dependencies.get((obj, field_name))

    def dependencies(self, obj: str) -> list[Dependency]:
        with self._lock:
            return [d for (o, _), d in self._dependencies.items() if o == obj]

    # ---------------------------------------------------------------------------- configuring
    def put_record_type(self, record_type: RecordType) -> None:
        with self._lock:
            if record_type.default:  # one default per object
                for key, other in list(self._types.items()):
                    if other.object == record_type.object and other.default and key != record_type.id:
                        self._types[key] = dataclasses.replace(other, default=False)
            self._types[record_type.id] = record_type

    def put_dependency(self, dependency: Dependency) -> None:
        with self._lock:
            self._dependencies[(dependency.object, dependency.field)] = dependency

    def remove_dependency(self, obj: str, field_name: str) -> bool:
        with self._lock:
            return self._dependencies.pop((obj, field_name), None) is not None

    # ---------------------------------------------------------------------------- checking a save
    def check(self, obj: ObjectDef, row: dict[str, Any], changed: Iterable[str]) -> None:
        """Refuse a save of ``row`` (the record as it would be stored) whose written fields ``changed`` hold a
        record type or picklist values the API refuses (see the module docstring)."""
        names = set(changed)
        record_type: RecordType | None = None
        if obj.field("RecordTypeId") is not None:
            raw = row.get("RecordTypeId")
            record_type = self.record_type(obj.name, raw)
            if "RecordTypeId" in names and raw and (record_type is None or not record_type.active):
                raise ApiError(400, "INVALID_CROSS_REFERENCE_KEY",
                               f"Record Type ID: this ID value isn't valid for the user: {raw}", ["RecordTypeId"])
        if record_type is not None:
            for f in obj.fields:
                written = f.name in names or "RecordTypeId" in names
                value = row.get(f.name)
                if written and f.restricted_picklist and value is not None and value not in record_type.allowed(f):
                    raise _restricted_error(f, value)
        for dependency in self.dependencies(obj.name):
            if not names & {dependency.field, dependency.controller}:
                continue
            dependent = obj.field(dependency.field)
            value = row.get(dependency.field)
            if dependent is None or not dependent.restricted_picklist or value is None:
                continue
            controlling = controlling_key(row.get(dependency.controller))
            if controlling is None or controlling not in dependency.valid_for.get(value, ()):
                raise _restricted_error(dependent, value)


# -------------------------------------------------------------------------------- configuration
class OrgStore(Protocol):
    """What configuring needs of the org (``store.OrgStore``, which imports this module)."""

    catalog: Catalog
    picklists: OrgPicklists

    def add_object(self, obj: ObjectDef) -> None: ...

    def change_schema(self, obj_name: str, *, add: str | None = None) -> None: ...

    def add_record_type_row(self, obj: ObjectDef, developer_name: str, label: str) -> str: ...

    def touch(self) -> None: ...


def _names(spec: Mapping[str, Any], key: str) -> list[str]:
    value = spec.get(key)
    if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise _bad(f"{key} must be a list of strings")
    return list(value)


def _text(spec: Mapping[str, Any], key: str, *, required: bool = True) -> str | None:
    value = spec.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _bad(f"{key} must be a non-empty string")
    return value.strip()


def _object(store: OrgStore, spec: Mapping[str, Any]) -> ObjectDef:
    name = _text(spec, "object") or ""
    obj = store.catalog.get(name)
    if obj is None or obj.name == "RecordType":
        raise _bad(f"no object {name!r} for a record type or dependent picklist")
    return obj


def _picklist(obj: ObjectDef, name: str, key: str) -> FieldDef:
    f = obj.field(name)
    if f is None or f.type != "picklist":
        raise _bad(f"{key}: {name!r} is not a picklist field of {obj.name}")
    return f


def add_record_type(store: OrgStore, spec: Mapping[str, Any]) -> RecordType:
    """Create (or, with the ``developer_name`` of an existing one, change) a record type of ``spec["object"]``:
    ``{"object", "developer_name", "name"?, "values": {field: [value, ...]}?, "default"?, "active"?,
    "description"?}``.  The first record type of an object adds the ``RecordTypeId`` field to it (and the
    ``RecordType`` object to the org); existing records keep the master record type."""
    obj = _object(store, spec)
    developer_name = _text(spec, "developer_name") or ""
    if not developer_name.replace("_", "").isalnum():
        raise _bad("developer_name must be letters, digits and underscores")
    label = _text(spec, "name", required=False) or developer_name.replace("_", " ")
    raw_values = spec.get("values", {})
    if not isinstance(raw_values, dict):
        raise _bad("values must map picklist fields to lists of values")
    values: dict[str, tuple[str, ...]] = {}
    for name in raw_values:
        f = _picklist(obj, str(name), "values")
        listed = _names(raw_values, str(name))
        unknown = [v for v in listed if v not in f.picklist_values]
        if unknown or not listed:
            raise _bad(f"values: {f.name} has no value {unknown[0]!r}" if unknown else f"values: {f.name} needs a value")
        values[f.name] = tuple(listed)
    flags = {k: spec.get(k, d) for k, d in (("default", False), ("active", True))}
    if not all(isinstance(v, bool) for v in flags.values()):
        raise _bad("default and active must be true or false")
    picklists = store.picklists
    ensure_record_type_schema(store, obj)
    existing = next((t for t in picklists.record_types(obj.name) if t.developer_name == developer_name), None)
    record_type_id = existing.id if existing else store.add_record_type_row(obj, developer_name, label)
    record_type = RecordType(id=record_type_id, object=obj.name, developer_name=developer_name, name=label,
                             values=values, default=bool(flags["default"]), active=bool(flags["active"]),
                             description=_text(spec, "description", required=False))
    picklists.put_record_type(record_type)
    store.touch()
    return record_type


def ensure_record_type_schema(store: OrgStore, obj: ObjectDef) -> None:
    """Give the org the RecordType object and ``obj`` its ``RecordTypeId`` field (once)."""
    if store.catalog.get("RecordType") is None:
        store.add_object(record_type_object())
    if obj.field("RecordTypeId") is None:
        store.change_schema(obj.name, add=RECORD_TYPE_FIELD)


def add_dependency(store: OrgStore, spec: Mapping[str, Any]) -> Dependency:
    """Make ``spec["field"]`` depend on ``spec["controller"]``: ``{"object", "field", "controller",
    "valid_for": {dependent value: [controlling value, ...]}}`` (a checkbox controller: ``"true"``/``"false"``)."""
    obj = _object(store, spec)
    dependent = _picklist(obj, _text(spec, "field") or "", "field")
    controller = obj.field(_text(spec, "controller") or "")
    if controller is None or controller.type not in ("picklist", "boolean") or controller.name == dependent.name:
        raise _bad(f"controller: {spec.get('controller')!r} is not a picklist or checkbox field of {obj.name}")
    raw = spec.get("valid_for")
    if not isinstance(raw, dict) or not raw:
        raise _bad("valid_for must map the dependent field's values to lists of controlling values")
    choices = controller_values(controller)
    valid_for: dict[str, tuple[str, ...]] = {}
    for value in raw:
        if value not in dependent.picklist_values:
            raise _bad(f"valid_for: {dependent.name} has no value {value!r}")
        listed = _names(raw, value)
        unknown = [c for c in listed if c not in choices]
        if unknown:
            raise _bad(f"valid_for: {controller.name} has no value {unknown[0]!r}")
        valid_for[value] = tuple(listed)
    dependency = Dependency(object=obj.name, field=dependent.name, controller=controller.name, valid_for=valid_for)
    store.picklists.put_dependency(dependency)
    store.touch()
    return dependency
