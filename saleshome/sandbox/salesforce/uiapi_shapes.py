"""User Interface API response bodies of the sandbox org, built from the catalog (no I/O here).

Shapes follow the "User Interface API Developer Guide" (API 62.0), "Response Bodies":

- *Object Info* and *Field* (``ui_api_responses_object_info.htm``, ``ui_api_responses_field.htm``):
  ``apiName, label, labelPlural, keyPrefix, nameFields, fields{apiName: Field}, recordTypeInfos,
  defaultRecordTypeId, themeInfo{color, iconUrl}, childRelationships, createable, updateable,
  deletable...``; a field's ``dataType`` is one of ``String, Picklist, Reference, Currency, Date,
  DateTime, Boolean, Int, Double, Percent, TextArea, Url, Email, Phone, Address...``.
- *Field Value* (``ui_api_responses_field_value.htm``): ``{"value", "displayValue"}``; the value
  in its raw form (dates and datetimes in ISO 8601), the display value non-null only when the value
  is localized (a picklist's label), a date, a datetime or a currency formatted for the context
  user's locale (en_US: ``7/13/2019``, ``6/17/2015 3:17 PM``, ``$350,000,000.00``), or a related
  record (its name).
- *Picklist Values* (``ui_api_responses_picklist_values.htm``): ``{controllerValues, defaultValue,
  eTag, url, values[{attributes, label, validFor, value}]}``; Stage values carry the stage's
  ``closed, won, defaultProbability, forecastCategoryName`` attributes.
- *Record Layout* (``ui_api_responses_record_layout.htm``): ``{id, layoutType, mode, objectApiName,
  recordTypeId, saveOptions, sections[{heading, columns, layoutRows[{layoutItems[{label,
  layoutComponents[{apiName, componentType, label}], editableForUpdate, required...}]}]}]}``.

Every builder takes the set of fields the context user may read: a field outside it is absent
(not null, not present at all), as field-level security hides it in Salesforce.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from .ids import make_id
from .picklists import MASTER_RECORD_TYPE_ID, RecordType
from .schema import STAGES, Catalog, FieldDef, ObjectDef

# An object's record types are picklists.py's (the master one, MASTER_RECORD_TYPE_ID, until configured).
_SUPPORTED = ("Account", "Contact", "Lead", "Opportunity", "Case", "User")

DATA_TYPES = {
    "id": "String", "reference": "Reference", "string": "String", "picklist": "Picklist",
    "multipicklist": "MultiPicklist", "combobox": "ComboBox", "textarea": "TextArea", "url": "Url",
    "email": "Email", "phone": "Phone", "currency": "Currency", "percent": "Percent", "double": "Double",
    "int": "Int", "long": "Long", "boolean": "Boolean", "date": "Date", "datetime": "DateTime", "time": "Time",
    "address": "Address", "location": "Location", "base64": "Base64",
}
# Standard objects' colours (Lightning Design System standard icons).
_THEME = {"Account": ("7F8DE1", "account"), "Contact": ("A094ED", "contact"), "Lead": ("F88962", "lead"),
          "Opportunity": ("FCB95B", "opportunity"), "Case": ("F2CF5B", "case"), "User": ("65CAE4", "user")}
_CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "AUD": "A$"}


def supported(obj: ObjectDef) -> bool:
    """Whether the UI API serves this object ("Supported Objects": the sandbox's list view objects)."""
    return obj.name in _SUPPORTED


def etag(payload: Any) -> str:
    return hashlib.md5(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


# ------------------------------------------------------------------------------------------ values
@dataclass(frozen=True)
class UserLocale:
    """What display values depend on: the context user's locale and time zone."""

    locale: str = "en_US"
    time_zone: str = "America/Los_Angeles"

    def date(self, value: date) -> str:
        d, m, y = value.day, value.month, value.year
        if self.locale in ("en_US", "en_PH"):
            return f"{m}/{d}/{y}"
        if self.locale == "de_DE":
            return f"{d:02d}.{m:02d}.{y}"
        if self.locale == "ja_JP":
            return f"{y}/{m:02d}/{d:02d}"
        return f"{d:02d}/{m:02d}/{y}"

    def datetime(self, value: datetime) -> str:
        local = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(ZoneInfo(self.time_zone))
        if self.locale in ("en_US", "en_PH", "en_AU", "en_IN"):
            hour = local.hour % 12 or 12
            return f"{self.date(local.date())} {hour}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"
        return f"{self.date(local.date())} {local.hour:02d}:{local.minute:02d}"

    def currency(self, value: float, iso_code: str | None, scale: int) -> str:
        text = f"{abs(value):,.{scale}f}"
        symbol = _CURRENCY_SYMBOLS.get(iso_code or "USD", iso_code or "")
        sign = "-" if value < 0 else ""
        if self.locale in ("fr_FR", "de_DE", "pt_BR"):
            sep = "\u00a0" if self.locale == "fr_FR" else "."
            text = text.replace(",", "\x00").replace(".", ",").replace("\x00", sep)
            return f"{sign}{text}\u00a0{symbol}"
        return f"{sign}{symbol}{text}"


def raw_value(f: FieldDef, value: Any) -> Any:
    """A stored value in the UI API's raw form (ISO 8601 dates and times, ``...Z`` datetimes)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    if f.type in ("int", "long") and isinstance(value, float):
        return int(value)
    return value


def display_value(f: FieldDef, value: Any, locale: UserLocale, iso_code: str | None) -> str | None:
    """The Field Value's ``displayValue``: null unless the value is localized or formatted."""
    if value is None:
        return None
    if f.type in ("picklist", "multipicklist"):
        return str(value)  # the label (the sandbox's labels are its values)
    if f.type == "date" and isinstance(value, date):
        return locale.date(value)
    if f.type == "datetime" and isinstance(value, datetime):
        return locale.datetime(value)
    if f.type == "currency" and isinstance(value, int | float):
        return locale.currency(float(value), iso_code, f.scale)
    return None


def field_value(f: FieldDef, value: Any, locale: UserLocale, iso_code: str | None) -> dict[str, Any]:
    return {"displayValue": display_value(f, value, locale, iso_code), "value": raw_value(f, value)}


# ------------------------------------------------------------------------------------------ object info
def field_info(f: FieldDef, catalog: Catalog, *, editable: bool, controller: str | None = None) -> dict[str, Any]:
    """One *Field* of Object Info (``updateable``/``createable`` as the context user may; ``controller``: the
    field controlling this dependent picklist)."""
    targets = [catalog.get(name) for name in f.reference_to]
    required = not f.nillable and f.createable and not f.default_on_create and f.type not in ("boolean", "id")
    return {
        "apiName": f.name,
        "calculated": f.calculated,
        "compound": f.type in ("address", "location"),
        "compoundComponentName": _component_name(f),
        "compoundFieldName": f.compound_field_name,
        "controllerName": controller,
        "controllingFields": [controller] if controller else [],
        "createable": f.createable and editable,
        "custom": f.custom,
        "dataType": DATA_TYPES.get(f.type, "String"),
        "externalId": False,
        "extraTypeInfo": "PlainTextArea" if f.type == "textarea" else None,
        "filterable": f.filterable,
        "filteredLookupInfo": None,
        "highScaleNumber": False,
        "htmlFormatted": False,
        "inlineHelpText": None,
        "label": f.label,
        "length": f.length,
        "maskType": None,
        "nameField": f.name_field,
        "polymorphicForeignKey": len(f.reference_to) > 1,
        "precision": f.precision or f.digits,
        "reference": f.type == "reference",
        "referenceTargetField": None,
        "referenceToInfos": [
            {"apiName": t.name, "nameFields": name_fields(t)} for t in targets if t is not None
        ],
        "relationshipName": f.relationship_name,
        "required": required,
        "scale": f.scale,
        "searchPrefilterable": False,
        "sortable": f.sortable,
        "unique": f.name == "Username",
        "updateable": f.updateable and editable,
    }


def _component_name(f: FieldDef) -> str | None:
    if not f.compound_field_name:
        return None
    prefix = f.compound_field_name.removesuffix("Address")
    return f.name.removeprefix(prefix) if prefix else f.name


def name_fields(obj: ObjectDef) -> list[str]:
    """The object's name fields (a person's name is FirstName, LastName and Name)."""
    names = [f.name for f in obj.fields if f.name_field]
    if obj.field("FirstName") and obj.field("LastName") and names == ["Name"]:
        return ["FirstName", "LastName", "Name"]
    return names


def record_type_info(record_type: RecordType | None, *, default: bool) -> dict[str, Any]:
    """One *Record Type Info* (``record_type`` None: the master record type)."""
    if record_type is None:
        return {"available": True, "defaultRecordTypeMapping": default, "master": True, "name": "Master",
                "recordTypeId": MASTER_RECORD_TYPE_ID}
    return {"available": record_type.active, "defaultRecordTypeMapping": default, "master": False,
            "name": record_type.name, "recordTypeId": record_type.id}


def record_type_infos(types: Sequence[RecordType] = (), default_id: str = MASTER_RECORD_TYPE_ID) -> dict[str, Any]:
    """Object Info's ``recordTypeInfos``: the object's record types and the master one, by id."""
    infos = {t.id: record_type_info(t, default=t.id == default_id) for t in types}
    infos[MASTER_RECORD_TYPE_ID] = record_type_info(None, default=default_id == MASTER_RECORD_TYPE_ID)
    return infos


def dependent_fields(controllers: Mapping[str, str]) -> dict[str, Any]:
    """Object Info's ``dependentFields``: each controlling field's tree of dependent fields."""
    def tree(name: str, seen: frozenset[str]) -> dict[str, Any]:
        return {d: tree(d, seen | {d}) for d, c in controllers.items() if c == name and d not in seen}

    roots = {c for c in controllers.values() if c not in controllers}
    return {root: tree(root, frozenset({root})) for root in sorted(roots)}


def object_info(
    obj: ObjectDef, catalog: Catalog, instance_url: str, *, readable: Collection[str], editable: Collection[str],
    object_editable: bool, object_creatable: bool, object_deletable: bool, record_types: Sequence[RecordType] = (),
    default_record_type_id: str = MASTER_RECORD_TYPE_ID, controllers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """``/ui-api/object-info/{objectApiName}``: only the fields in ``readable`` appear; ``controllers`` maps each
    dependent picklist to its controlling field."""
    color, icon = _THEME.get(obj.name, ("A094ED", "custom"))
    controllers = {d: c for d, c in (controllers or {}).items() if d in readable and c in readable}
    fields = {f.name: field_info(f, catalog, editable=f.name in editable, controller=controllers.get(f.name))
              for f in obj.fields if f.name in readable}
    children = [
        {"childObjectApiName": c["childSObject"], "fieldName": c["field"], "junctionIdListNames": [],
         "junctionReferenceTo": [], "relationshipName": c["relationshipName"]}
        for c in catalog.child_relationships(obj.name) if c["relationshipName"]
    ]
    body: dict[str, Any] = {
        "apiName": obj.name,
        "associateEntityType": None,
        "associateParentEntity": None,
        "childRelationships": children,
        "compactLayoutable": True,
        "createable": obj.createable and object_creatable,
        "custom": False,
        "defaultRecordTypeId": default_record_type_id,
        "deletable": obj.deletable and object_deletable,
        "dependentFields": dependent_fields(controllers),
        "feedEnabled": obj.name in _SUPPORTED,
        "fields": fields,
        "keyPrefix": obj.key_prefix,
        "label": obj.label,
        "labelPlural": obj.label_plural,
        "layoutable": True,
        "mruEnabled": True,
        "nameFields": [n for n in name_fields(obj) if n in readable],
        "queryable": obj.queryable,
        "recordTypeInfos": record_type_infos(record_types, default_record_type_id),
        "searchLayoutable": True,
        "searchable": True,
        "themeInfo": {"color": color, "iconUrl": f"{instance_url}/img/icon/t4v35/standard/{icon}_120.png"},
        "updateable": obj.updateable and object_editable,
    }
    body["eTag"] = etag(body)
    return body


# ------------------------------------------------------------------------------------------ picklists
def _stage_attributes(value: str) -> dict[str, Any] | None:
    stage = next((s for s in STAGES if s["ApiName"] == value), None)
    if stage is None:
        return None
    return {"closed": stage["IsClosed"], "defaultProbability": stage["DefaultProbability"],
            "forecastCategoryName": stage["ForecastCategoryName"],
            "picklistAtrributesValueType": "OpportunityStage", "won": stage["IsWon"]}


def picklist_values(
    obj: ObjectDef, f: FieldDef, api_version: str, *, record_type_id: str = MASTER_RECORD_TYPE_ID,
    values: Sequence[str] | None = None, controller_values: Sequence[str] = (),
    valid_for: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """``/ui-api/object-info/{object}/picklist-values/{recordTypeId}/{field}`` (*Picklist Values*): ``values``
    those of the record type (default: all); a dependent picklist has its controller's ``controller_values``
    (``controllerValues``: value -> index) and each value's ``validFor`` (the indexes it is valid for)."""
    index = {c: i for i, c in enumerate(controller_values)}
    entries: list[dict[str, Any]] = [
        {"attributes": _stage_attributes(v) if obj.name == "Opportunity" and f.name == "StageName" else None,
         "label": v, "validFor": sorted(index[c] for c in (valid_for or {}).get(v, ()) if c in index), "value": v}
        for v in (f.picklist_values if values is None else values)
    ]
    body: dict[str, Any] = {
        "controllerValues": index,
        "defaultValue": None,
        "url": f"/services/data/v{api_version}/ui-api/object-info/{obj.name}/picklist-values/"
               f"{record_type_id}/{f.name}",
        "values": entries,
    }
    body["eTag"] = etag(body)
    return body


# ------------------------------------------------------------------------------------------ layouts
# The org's page layouts (Setup > Object Manager > Page Layouts): sections of field names, in order.
# A field the object no longer has (an admin deleted it) is left out of the layout.
LAYOUTS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "Opportunity": (
        ("Opportunity Information", ("Name", "AccountId", "CloseDate", "StageName", "Amount", "Probability",
                                     "ExpectedRevenue", "Type", "LeadSource", "NextStep", "ForecastCategoryName",
                                     "Region__c", "OwnerId")),
        ("Description Information", ("Description",)),
        ("System Information", ("CreatedById", "LastModifiedById")),
    ),
    "Account": (
        ("Account Information", ("Name", "Type", "ParentId", "Industry", "AnnualRevenue", "NumberOfEmployees",
                                 "Rating", "Phone", "Website", "AccountSource", "OwnerId")),
        ("Address Information", ("BillingStreet", "BillingCity", "BillingState", "BillingPostalCode",
                                 "BillingCountry")),
        ("Description Information", ("Description",)),
        ("System Information", ("CreatedById", "LastModifiedById")),
    ),
    "Contact": (
        ("Contact Information", ("Name", "AccountId", "Title", "Department", "Phone", "Email", "LeadSource",
                                 "OwnerId")),
        ("Address Information", ("MailingStreet", "MailingCity", "MailingState", "MailingPostalCode",
                                 "MailingCountry")),
        ("System Information", ("CreatedById", "LastModifiedById")),
    ),
    "Lead": (
        ("Lead Information", ("Name", "Company", "Title", "Status", "LeadSource", "Industry", "Rating", "Phone",
                              "Email", "Website", "AnnualRevenue", "NumberOfEmployees", "OwnerId")),
        ("Address Information", ("Street", "City", "State", "PostalCode", "Country")),
        ("System Information", ("CreatedById", "LastModifiedById")),
    ),
    "Case": (
        ("Case Information", ("CaseNumber", "Status", "Priority", "Origin", "Type", "Reason", "AccountId",
                              "ContactId", "IsEscalated", "OwnerId")),
        ("Description Information", ("Subject", "Description")),
        ("System Information", ("CreatedById", "LastModifiedById", "ClosedDate")),
    ),
    "User": (
        ("User Information", ("Name", "Alias", "Username", "Email", "Title", "Department", "CompanyName",
                              "UserRoleId", "ManagerId", "IsActive")),
        ("Locale Settings", ("TimeZoneSidKey", "LocaleSidKey", "LanguageLocaleKey")),
    ),
}
LAYOUT_TYPES = ("Full", "Compact")
MODES = ("View", "Edit", "Create")
COMPACT_FIELDS = 4  # a compact layout: the first fields of the full one


def layout_fields(obj: ObjectDef, layout_type: str = "Full") -> list[tuple[str, list[FieldDef]]]:
    """The layout's sections and their fields (the object's fields that still exist)."""
    spec = LAYOUTS.get(obj.name) or (
        (f"{obj.label} Information", tuple(f.name for f in obj.fields if f.type not in ("id", "address", "location"))),
    )
    sections = [(heading, [f for f in (obj.field(n) for n in names) if f is not None]) for heading, names in spec]
    if layout_type == "Compact":
        first = [f for _, fields in sections for f in fields][:COMPACT_FIELDS]
        return [("", first)]
    return [(heading, fields) for heading, fields in sections if fields]


def record_layout(
    obj: ObjectDef, layout_type: str, mode: str, *, readable: Collection[str], editable: Collection[str],
    record_type_id: str = MASTER_RECORD_TYPE_ID,
) -> dict[str, Any]:
    """``/ui-api/layout/{object}`` (*Record Layout*): items of hidden fields are left out."""
    sections = []
    number = LAYOUT_TYPES.index(layout_type) * 10 + 1
    for index, (heading, fields) in enumerate(layout_fields(obj, layout_type)):
        shown = [f for f in fields if f.name in readable and (mode == "View" or not f.calculated)]
        columns = 1 if layout_type == "Compact" else 2
        rows = [shown[i : i + columns] for i in range(0, len(shown), columns)]
        sections.append({
            "collapsible": False,
            "columns": columns,
            "heading": heading,
            "id": make_id("01B", number + index),
            "layoutRows": [{"layoutItems": [_layout_item(f, editable) for f in row]} for row in rows],
            "rows": len(rows),
            "useHeading": bool(heading),
        })
    body: dict[str, Any] = {
        "id": make_id("00h", number),
        "layoutType": layout_type,
        "mode": mode,
        "objectApiName": obj.name,
        "recordTypeId": record_type_id,
        "saveOptions": [],
        "sections": sections,
    }
    body["eTag"] = etag(body)
    return body


def _layout_item(f: FieldDef, editable: Collection[str]) -> dict[str, Any]:
    required = not f.nillable and f.createable and not f.default_on_create and f.type not in ("boolean", "id")
    return {
        "editableForNew": f.createable and f.name in editable,
        "editableForUpdate": f.updateable and f.name in editable,
        "label": f.label.removesuffix(" ID") if f.type == "reference" else f.label,
        "layoutComponents": [{"apiName": f.name, "componentType": "Field", "label": f.label}],
        "lookupIdApiName": f.name if f.type == "reference" else ("Id" if f.name_field else None),
        "required": required,
        "sortable": False,
    }
