"""Describe → the columns we keep, with their DuckDB types.

| Salesforce type                                   | DuckDB type                                     |
|---------------------------------------------------|-------------------------------------------------|
| id, reference                                     | VARCHAR                                         |
| string, picklist, combobox, textarea, url, email, phone, encryptedstring | VARCHAR                  |
| multipicklist                                     | VARCHAR[] (split on ``;``)                      |
| currency, percent, double                         | DECIMAL(precision, scale) when precision <= 38, else DOUBLE |
| int                                               | INTEGER (digits <= 9), else BIGINT              |
| long                                              | BIGINT                                          |
| boolean                                           | BOOLEAN                                         |
| date                                              | DATE                                            |
| datetime                                          | TIMESTAMPTZ                                     |
| time                                              | TIME                                            |
| address, location (compound parents)              | skipped — their components are kept             |
| base64                                            | skipped                                         |
| formula fields (``calculated``)                   | skipped by default: they do not move SystemModstamp |

Formula fields are left out by default (like Fivetran): a formula such as ``CloseDate -
TODAY()`` changes without SystemModstamp moving, so an incremental copy would silently go
stale.  Compute them in SQL from the synced fields instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from saleshome.errors import FatalError

SKIPPED_TYPES = {"address", "location", "base64", "anyType", "complexvalue"}
CURSOR_FIELDS = ("SystemModstamp", "LastModifiedDate", "CreatedDate")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$")

# Parent fields synced with an object, as extra columns named by their path.
EXTRA_PATHS: dict[str, tuple[tuple[str, str], ...]] = {
    "PermissionSetAssignment": (("PermissionSet.Name", "string"),),
}


def duck_type(field: dict[str, Any]) -> str | None:
    """The DuckDB type of one described field (None: not synced)."""
    t = field["type"]
    if t in SKIPPED_TYPES:
        return None
    if t in ("currency", "percent", "double"):
        precision, scale = int(field.get("precision") or 0), int(field.get("scale") or 0)
        if 0 < precision <= 38 and 0 <= scale <= precision:
            return f"DECIMAL({precision},{scale})"
        return "DOUBLE"
    if t == "int":
        return "INTEGER" if int(field.get("digits") or 9) <= 9 else "BIGINT"
    return {
        "long": "BIGINT",
        "boolean": "BOOLEAN",
        "date": "DATE",
        "datetime": "TIMESTAMPTZ",
        "time": "TIME",
        "multipicklist": "VARCHAR[]",
    }.get(t, "VARCHAR")


def safe_name(name: str) -> str:
    """A field name or path we put in SOQL or SQL (only validated names reach a query)."""
    if not _NAME.match(name) or len(name) > 255:
        raise FatalError(f"refusing an unexpected Salesforce field or object name {name!r}")
    return name


@dataclass(frozen=True)
class Column:
    name: str  # field name, or a parent path such as PermissionSet.Name
    sf_type: str
    duck_type: str
    # What messages show of it (kept in the warehouse's ``columns`` table at each sync):
    label: str | None = None  # describe's label
    reference_to: tuple[str, ...] = ()  # a lookup's target objects
    name_field: bool = False  # the object's name field (a record's title, a lookup's text)
    picklist: tuple[tuple[str, str], ...] = ()  # (value, label) of a picklist's values


def _column(f: dict[str, Any], dtype: str) -> Column:
    values = tuple((str(v["value"]), str(v.get("label") or v["value"])) for v in f.get("picklistValues") or []
                   if v.get("value") is not None)
    return Column(safe_name(f["name"]), f["type"], dtype, label=f.get("label") or None,
                  reference_to=tuple(str(r) for r in f.get("referenceTo") or []),
                  name_field=bool(f.get("nameField")), picklist=values)


@dataclass(frozen=True)
class ObjectSchema:
    """What we sync of one object: its columns and its cursor field."""

    name: str
    columns: tuple[Column, ...]
    cursor_field: str
    deletable: bool = True  # describe's ``deletable``: False for objects whose records are never deleted (User)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def hard_deletes_only(self) -> bool:
        """Records can be deleted, and a delete leaves no trace but a missing Id (no ``IsDeleted``)."""
        return self.deletable and not self.soft_deletes

    @property
    def soft_deletes(self) -> bool:
        """Whether the object has ``IsDeleted`` (a Recycle Bin, seen by queryAll).

        Setup objects such as PermissionSetAssignment and User have none: their deletes are
        hard deletes, visible only by comparing Id sets (``reconcile_object``).
        """
        return "IsDeleted" in self.names

    def soql(self, where: str = "") -> str:
        fields = ", ".join(safe_name(c.name) for c in self.columns)
        return f"SELECT {fields} FROM {safe_name(self.name)}" + (f" WHERE {where}" if where else "")


def object_schema(describe: dict[str, Any], *, include_formulas: bool = False) -> ObjectSchema:
    """The columns and cursor of an object from its describe."""
    name = safe_name(str(describe["name"]))
    fields = {f["name"]: f for f in describe["fields"]}
    columns = []
    for f in describe["fields"]:
        if f.get("calculated") and not include_formulas:
            continue
        dtype = duck_type(f)
        if dtype is not None:
            columns.append(_column(f, dtype))
    for path, sf_type in EXTRA_PATHS.get(name, ()):
        columns.append(Column(safe_name(path), sf_type, "VARCHAR", label=path))
    cursor = next((c for c in CURSOR_FIELDS if c in fields and fields[c].get("filterable")), None)
    if cursor is None:
        raise FatalError(
            f"{name} has no filterable SystemModstamp, LastModifiedDate or CreatedDate to sync incrementally",
            hint="remove it from the org's objects",
        )
    if "Id" not in fields:
        raise FatalError(f"{name} has no Id field; it cannot be synced")
    return ObjectSchema(name=name, columns=tuple(columns), cursor_field=cursor,
                        deletable=bool(describe.get("deletable", True)))
