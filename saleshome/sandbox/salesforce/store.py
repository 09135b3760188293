"""The sandbox org's records, in DuckDB: one table per object, plus the Recycle Bin log.

Writes go through :class:`OrgStore` so that Salesforce's own bookkeeping happens the way
it does in an org: audit fields and SystemModstamp move, Opportunity derives IsWon,
IsClosed and ForecastCategory from its stage and writes OpportunityHistory, deletes are
soft (Recycle Bin) until purged — except for objects without ``IsDeleted`` (User, permission
sets and their assignments, ...), whose deletes are hard deletes, as in Salesforce.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from .clock import Clock, to_ms
from .errors import ApiError, not_found
from .ids import is_valid_id, make_id, to_18
from .picklists import OrgPicklists
from .schema import STAGES, SYSTEM_FIELD_NAMES, Catalog, FieldDef, ObjectDef, catalog, parse_field
from .seed import INTEGRATION_USERNAME
from .validation import ValidationRules

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_HISTORY_TRACKED = ("StageName", "Amount", "Probability", "CloseDate", "ForecastCategory")
_STAGE_BY_NAME = {s["ApiName"]: s for s in STAGES}
_FORECAST = {"Pipeline": "Pipeline", "Best Case": "BestCase", "Commit": "Forecast", "Closed": "Closed", "Omitted": "Omitted"}
_AUDIT_NAMES = set(SYSTEM_FIELD_NAMES) - {"IsDeleted"}


def _id_number(record_id: str) -> int:
    n = 0
    for ch in record_id[5:15]:
        n = n * 62 + _BASE62.index(ch)
    return n


def _naive(moment: datetime) -> datetime:
    return to_ms(moment).replace(tzinfo=None)


class OrgStore:
    """A small Salesforce org held in DuckDB (in memory, or in ``path``)."""

    def __init__(self, path: Path | None = None, *, clock: Clock | None = None, cat: Catalog | None = None) -> None:
        self.catalog = (cat or catalog()).copy()  # its own: schema changes stay in this org
        self.clock = clock or Clock()
        self.path = path
        self.rules = ValidationRules.seeded(self.catalog)  # checked at every create and update (validation.py)
        self.picklists = OrgPicklists()  # record types, dependent picklists: checked at every save (picklists.py)
        self._db = duckdb.connect(str(path) if path else ":memory:")
        self._db.execute("SET enable_progress_bar = false")  # the CLI's stdout is its one JSON ready line
        self._lock = threading.RLock()
        self._next: dict[str, int] = {}
        self._integration_id: str | None = None
        # Moves at every committed write, load and schema change: caches of derived state (a user's
        # access) compare it to know they are stale.
        self.version = 0
        with self._lock:
            for obj in self.catalog:
                self._create_table(obj)
            self._db.execute(
                'CREATE TABLE IF NOT EXISTS "_recycle_bin" (object VARCHAR, "Id" VARCHAR, "deletedDate" TIMESTAMP)'
            )
        self._refresh_counters()

    @property
    def integration_user(self) -> tuple[str, str] | None:
        """(Id, Username) of the integration user the API logs in as."""
        rows = self.read('SELECT "Id", "Username" FROM "User" WHERE "Username" = ?', [INTEGRATION_USERNAME]).to_pylist()
        return (rows[0]["Id"], rows[0]["Username"]) if rows else None

    # ----------------------------------------------------------------------------- setup
    def _create_table(self, obj: ObjectDef) -> None:
        cols = ", ".join(
            f'"{f.name}" {f.storage_type}' + (" PRIMARY KEY" if f.name == "Id" else "") for f in obj.stored_fields
        )
        self._db.execute(f'CREATE TABLE IF NOT EXISTS "{obj.name}" ({cols})')

    def _refresh_counters(self) -> None:
        with self._lock:
            for obj in self.catalog:
                row = self._db.execute(f'SELECT max("Id") FROM "{obj.name}"').fetchone()
                self._next[obj.name] = (_id_number(row[0]) + 1) if row and row[0] else 1

    def load(self, tables: dict[str, pa.Table]) -> None:
        """Bulk-insert seed tables (columns named like stored fields; missing ones are null)."""
        with self._lock:
            for name, table in tables.items():
                obj = self._object(name)
                present = set(table.column_names)
                select = ", ".join(_load_expr(f, present) for f in obj.stored_fields)
                self._db.register("_seed_src", table)
                try:
                    self._db.execute(f'INSERT INTO "{obj.name}" SELECT {select} FROM _seed_src AS src')
                finally:
                    self._db.unregister("_seed_src")
            self.version += 1
        self._refresh_counters()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def change_schema(self, obj_name: str, *, add: str | None = None, remove: str | None = None,
                      retype: str | None = None, queryable: bool | None = None) -> None:
        """What a Salesforce admin does in Setup: add a field, delete one, change a field's type.

        ``add`` and ``retype`` take the catalog's field notation (``"Segment__c:string"``);
        a retyped field keeps its values (cast to the new type).  ``queryable=False`` makes the
        object one SOQL cannot read (as describeGlobal reports platform events, or an object the
        integration user's profile has no Read on); ``True`` puts it back.
        """
        obj = self._object(obj_name)
        fields = list(obj.fields)
        with self._lock:
            if add:
                new = parse_field(add)
                if obj.field(new.name):
                    raise ApiError(400, "DUPLICATE_DEVELOPER_NAME", f"{new.name} already exists on {obj.name}")
                audit = next((i for i, f in enumerate(fields) if f.name in _AUDIT_NAMES), len(fields))
                fields.insert(audit, new)
                if new.stored:  # a compound parent (address, location), base64 or formula has no column
                    self._db.execute(f'ALTER TABLE "{obj.name}" ADD COLUMN "{new.name}" {new.storage_type}')
            if remove:
                old = obj.field(remove)
                if old is None or (not old.custom and old.name in ("Id", "SystemModstamp", "IsDeleted")):
                    raise ApiError(400, "INVALID_FIELD", f"cannot delete {remove} on {obj.name}")
                fields = [f for f in fields if f.name != old.name]
                if old.stored:
                    self._db.execute(f'ALTER TABLE "{obj.name}" DROP COLUMN "{old.name}"')
            if retype:
                new = parse_field(retype)
                old = obj.field(new.name)
                if old is None:
                    raise ApiError(400, "INVALID_FIELD", f"no field {new.name} on {obj.name}")
                fields = [new if f.name == old.name else f for f in fields]
                if old.stored and new.stored:
                    self._db.execute(
                        f'ALTER TABLE "{obj.name}" ALTER COLUMN "{old.name}" TYPE {new.storage_type}'
                    )
                elif old.stored:
                    self._db.execute(f'ALTER TABLE "{obj.name}" DROP COLUMN "{old.name}"')
                elif new.stored:
                    self._db.execute(f'ALTER TABLE "{obj.name}" ADD COLUMN "{new.name}" {new.storage_type}')
            self.version += 1
            self.catalog.replace(ObjectDef(
                name=obj.name, label=obj.label, label_plural=obj.label_plural, key_prefix=obj.key_prefix,
                fields=tuple(fields), createable=obj.createable, updateable=obj.updateable,
                deletable=obj.deletable, has_list_views=obj.has_list_views,
                queryable=obj.queryable if queryable is None else queryable,
            ))

    def add_object(self, obj: ObjectDef) -> None:
        """An object the org did not have (RecordType, with the first record type): its table, its ids."""
        with self._lock:
            if self.catalog.get(obj.name) is not None:
                return
            self.catalog.replace(obj)
            self._create_table(obj)
            self._next[obj.name] = 1
            self.version += 1

    def add_record_type_row(self, obj: ObjectDef, developer_name: str, label: str) -> str:
        """The RecordType row of a new record type of ``obj`` (``picklists.add_record_type``); its id."""
        return self.create("RecordType", {"Name": label, "DeveloperName": developer_name, "SobjectType": obj.name,
                                          "IsActive": True})

    def touch(self) -> None:
        """The org's configuration changed (caches of derived state are stale)."""
        with self._lock:
            self.version += 1

    # ----------------------------------------------------------------------------- reads
    def read(self, sql: str, params: list[Any] | None = None) -> pa.Table:
        """Run read-only SQL on a cursor of its own (safe from any thread)."""
        with self._lock:
            cur = self._db.cursor()
        try:
            return cur.execute(sql, params or []).to_arrow_table()
        finally:
            cur.close()

    def json_rows(self, table: pa.Table, expression: str) -> list[str]:
        """``expression`` (JSON text, e.g. :func:`records.record_json_sql`) for each row of ``table``, in order
        (DuckDB keeps the insertion order of a projection)."""
        with self._lock:
            cur = self._db.cursor()
        try:
            cur.register("page", table)
            return [row[0] for row in cur.execute(f"SELECT {expression} FROM page").fetchall()]
        finally:
            cur.close()

    def org_id(self) -> str:
        rows = self.read('SELECT "Id" FROM "Organization" LIMIT 1').column("Id").to_pylist()
        if not rows:
            raise RuntimeError("the sandbox org has no Organization row: seed it first")
        return str(rows[0])

    def get_row(self, obj_name: str, record_id: str) -> dict[str, Any] | None:
        """The stored row of one record, deleted or not (None when it does not exist)."""
        obj = self._object(obj_name)
        table = self.read(f'SELECT * FROM "{obj.name}" WHERE "Id" = ?', [record_id])
        rows = table.to_pylist()
        return rows[0] if rows else None

    # ----------------------------------------------------------------------------- writes
    @contextmanager
    def _transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._lock:
            self._db.execute("BEGIN TRANSACTION")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            self.version += 1

    def _object(self, name: str) -> ObjectDef:
        obj = self.catalog.get(name)
        if obj is None:
            raise ApiError(404, "NOT_FOUND", f"The requested resource does not exist: sObject type '{name}'")
        return obj

    def new_id(self, obj: ObjectDef) -> str:
        with self._lock:
            number = self._next[obj.name]
            self._next[obj.name] = number + 1
        return make_id(obj.key_prefix, number)

    def _actor(self, user_id: str | None) -> str:
        if user_id:
            return user_id
        if self._integration_id is None:
            found = self.integration_user
            self._integration_id = found[0] if found else make_id("005", 1)
        return self._integration_id

    def create(
        self, obj_name: str, values: dict[str, Any], *, user_id: str | None = None, at: datetime | None = None,
        check_access: bool = False,
    ) -> str:
        """Insert one record; returns its id.  ``check_access`` applies the API's field rules."""
        obj = self._object(obj_name)
        if check_access and not obj.createable:
            raise ApiError(400, "INVALID_TYPE", f"entity type {obj.name} does not support insert")
        row = self._coerce(obj, values, creating=True, check_access=check_access)
        when = _naive(at or self.clock.now())
        actor = self._actor(user_id)
        with self._transaction() as db:
            record_id = self.new_id(obj)
            row.update({"Id": record_id, "SystemModstamp": when})
            if obj.soft_deletes:
                row["IsDeleted"] = False
            for f in ("CreatedDate", "LastModifiedDate"):
                if obj.field(f):
                    row[f] = when
            for f in ("CreatedById", "LastModifiedById"):
                if obj.field(f):
                    row[f] = actor
            if obj.field("OwnerId") and not row.get("OwnerId"):
                row["OwnerId"] = actor
            self._apply_defaults(obj, row)
            if obj.field("RecordTypeId") is not None and not row.get("RecordTypeId"):
                default = self.picklists.default_record_type(obj.name)
                row["RecordTypeId"] = default.id if default else None
            if obj.name == "Opportunity":
                self._derive_opportunity(row, {})
            if obj.name == "Case":
                self._derive_case(row, {}, when)
            if obj.name == "PermissionSetAssignment":
                row["IsActive"] = True
            self.picklists.check(obj, row, row.keys())
            self.rules.check(obj.name, row)
            self._insert(db, obj, row)
            if obj.name == "Opportunity":
                self._write_history(db, row, {}, when, actor)
        return record_id

    def update(
        self, obj_name: str, record_id: str, values: dict[str, Any], *, user_id: str | None = None,
        at: datetime | None = None, check_access: bool = False,
        precondition: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        """Update one record (moving LastModifiedDate and SystemModstamp).

        ``precondition`` sees the stored row inside the write transaction and raises to refuse the
        update (a conditional request's 412): checked and written atomically, nothing changes on refusal.
        The org's validation rules see the record as it would be stored, after Salesforce's derivations.
        """
        obj = self._object(obj_name)
        changes = self._coerce(obj, values, creating=False, check_access=check_access)
        when = _naive(at or self.clock.now())
        actor = self._actor(user_id)
        with self._transaction() as db:
            old = self._existing(db, obj, record_id)
            if precondition is not None:
                precondition(old)
            new = {**old, **changes}
            if obj.name == "Opportunity":
                self._derive_opportunity(new, changes)
            if obj.name == "Case":
                self._derive_case(new, changes, when)
            self.picklists.check(obj, new, changes.keys())
            self.rules.check(obj.name, new)
            new["SystemModstamp"] = when
            if obj.field("LastModifiedDate"):
                new["LastModifiedDate"] = when
                new["LastModifiedById"] = actor
            assignments = {k: v for k, v in new.items() if (k != "Id" and old.get(k) != v) or k == "SystemModstamp"}
            sets = ", ".join(f'"{k}" = ?' for k in assignments)
            db.execute(f'UPDATE "{obj.name}" SET {sets} WHERE "Id" = ?', [*assignments.values(), record_id])
            if obj.name == "Opportunity" and any(old.get(f) != new.get(f) for f in _HISTORY_TRACKED):
                self._write_history(db, new, old, when, actor)

    def delete(self, obj_name: str, record_id: str, *, at: datetime | None = None, check_access: bool = False) -> None:
        """Soft delete: the record goes to the Recycle Bin (IsDeleted = true, still in queryAll).

        An object without ``IsDeleted`` (a PermissionSetAssignment, ...) has no Recycle Bin: its
        record is removed outright, gone from queryAll and from ``/deleted`` (only an Id
        comparison finds it).
        """
        obj = self._object(obj_name)
        if check_access and not obj.deletable:
            raise ApiError(400, "INVALID_TYPE", f"entity type {obj.name} does not support delete")
        when = _naive(at or self.clock.now())
        with self._transaction() as db:
            self._existing(db, obj, record_id)
            if not obj.soft_deletes:
                db.execute(f'DELETE FROM "{obj.name}" WHERE "Id" = ?', [record_id])
                return
            db.execute(f'UPDATE "{obj.name}" SET "IsDeleted" = true, "SystemModstamp" = ? WHERE "Id" = ?', [when, record_id])
            db.execute('INSERT INTO "_recycle_bin" VALUES (?, ?, ?)', [obj.name, record_id, when])
            if obj.name == "Opportunity":
                db.execute(
                    'UPDATE "OpportunityHistory" SET "IsDeleted" = true, "SystemModstamp" = ? WHERE "OpportunityId" = ?',
                    [when, record_id],
                )

    def undelete(self, obj_name: str, record_id: str, *, at: datetime | None = None) -> None:
        """Restore a record from the Recycle Bin."""
        obj = self._object(obj_name)
        when = _naive(at or self.clock.now())
        if not obj.soft_deletes:
            raise ApiError(400, "INVALID_TYPE", f"entity type {obj.name} does not support undelete")
        with self._transaction() as db:
            row = db.execute(f'SELECT "IsDeleted" FROM "{obj.name}" WHERE "Id" = ?', [record_id]).fetchone()
            if row is None or not row[0]:
                raise ApiError(400, "UNDELETE_FAILED", f"Entity is not in the recycle bin: {record_id}")
            db.execute(f'UPDATE "{obj.name}" SET "IsDeleted" = false, "SystemModstamp" = ? WHERE "Id" = ?', [when, record_id])
            db.execute('DELETE FROM "_recycle_bin" WHERE "Id" = ?', [record_id])
            if obj.name == "Opportunity":
                db.execute(
                    'UPDATE "OpportunityHistory" SET "IsDeleted" = false, "SystemModstamp" = ? WHERE "OpportunityId" = ?',
                    [when, record_id],
                )

    def purge(self, obj_name: str, record_id: str) -> None:
        """Hard delete: gone from queryAll and from ``/deleted`` (only an Id comparison finds it)."""
        obj = self._object(obj_name)
        with self._transaction() as db:
            db.execute(f'DELETE FROM "{obj.name}" WHERE "Id" = ?', [record_id])
            db.execute('DELETE FROM "_recycle_bin" WHERE "Id" = ?', [record_id])
            if obj.name == "Opportunity":
                db.execute('DELETE FROM "OpportunityHistory" WHERE "OpportunityId" = ?', [record_id])

    # ----------------------------------------------------------------------------- helpers
    def _existing(self, db: duckdb.DuckDBPyConnection, obj: ObjectDef, record_id: str) -> dict[str, Any]:
        cur = db.execute(f'SELECT * FROM "{obj.name}" WHERE "Id" = ?', [record_id])
        names = [d[0] for d in cur.description or []]
        row = cur.fetchone()
        if row is None:
            raise not_found()
        record = dict(zip(names, row, strict=True))
        if record.get("IsDeleted"):
            raise ApiError(404, "ENTITY_IS_DELETED", "entity is deleted", [])
        return record

    def _insert(self, db: duckdb.DuckDBPyConnection, obj: ObjectDef, row: dict[str, Any]) -> None:
        names = [f.name for f in obj.stored_fields]
        cols = ", ".join(f'"{n}"' for n in names)
        marks = ", ".join("?" for _ in names)
        db.execute(f'INSERT INTO "{obj.name}" ({cols}) VALUES ({marks})', [row.get(n) for n in names])

    def _apply_defaults(self, obj: ObjectDef, row: dict[str, Any]) -> None:
        for f in obj.stored_fields:
            if f.type == "boolean" and row.get(f.name) is None:
                row[f.name] = f.name == "IsActive"
        if obj.field("CurrencyIsoCode") and not row.get("CurrencyIsoCode"):
            row["CurrencyIsoCode"] = "USD"
        if obj.name == "Case":
            row["Status"] = row.get("Status") or "New"
            last = self._db.execute('SELECT max(CAST("CaseNumber" AS BIGINT)) FROM "Case"').fetchone()
            row["CaseNumber"] = f"{(last[0] if last and last[0] else 0) + 1:08d}"
        if obj.name == "Lead" and not row.get("Status"):
            row["Status"] = "Open - Not Contacted"
        name = obj.field("Name")
        if name is not None and not name.updateable and obj.field("LastName"):
            row["Name"] = " ".join(p for p in (row.get("FirstName"), row.get("LastName")) if p)

    def _derive_opportunity(self, row: dict[str, Any], changes: dict[str, Any]) -> None:
        stage = _STAGE_BY_NAME.get(row.get("StageName") or "")
        if stage is None:
            return
        row["IsWon"] = stage["IsWon"]
        row["IsClosed"] = stage["IsClosed"]
        if "ForecastCategoryName" not in changes or "StageName" in changes:
            row["ForecastCategoryName"] = stage["ForecastCategoryName"]
        row["ForecastCategory"] = _FORECAST[row["ForecastCategoryName"]]
        if "Probability" not in changes and ("StageName" in changes or row.get("Probability") is None):
            row["Probability"] = float(stage["DefaultProbability"])

    @staticmethod
    def _derive_case(row: dict[str, Any], changes: dict[str, Any], when: datetime) -> None:
        closed = row.get("Status") == "Closed"
        if "IsClosed" not in changes:
            row["IsClosed"] = closed
        if "ClosedDate" not in changes:
            row["ClosedDate"] = (row.get("ClosedDate") or when) if closed else None

    def _write_history(
        self, db: duckdb.DuckDBPyConnection, new: dict[str, Any], old: dict[str, Any], when: datetime, actor: str
    ) -> None:
        hist = self._object("OpportunityHistory")
        amount, prob = new.get("Amount"), new.get("Probability")
        row = {
            "Id": self.new_id(hist),
            "IsDeleted": False,
            "OpportunityId": new["Id"],
            "StageName": new.get("StageName"),
            "Amount": amount,
            "ExpectedRevenue": None if amount is None or prob is None else amount * prob / 100,
            "CloseDate": new.get("CloseDate"),
            "Probability": prob,
            "ForecastCategory": new.get("ForecastCategory"),
            "PrevAmount": old.get("Amount"),
            "PrevCloseDate": old.get("CloseDate"),
            "CurrencyIsoCode": new.get("CurrencyIsoCode"),
            "CreatedDate": when,
            "CreatedById": actor,
            "SystemModstamp": when,
        }
        self._insert(db, hist, row)

    def _coerce(self, obj: ObjectDef, values: dict[str, Any], *, creating: bool, check_access: bool) -> dict[str, Any]:
        """Validate and convert JSON values to stored values, the way the REST API does."""
        out: dict[str, Any] = {}
        for key, value in values.items():
            f = obj.field(key)
            if f is None:
                raise ApiError(400, "INVALID_FIELD", f"No such column '{key}' on sobject of type {obj.name}")
            if (check_access or not f.stored) and not (f.stored and (f.createable if creating else f.updateable)):
                raise ApiError(
                    400,
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                    f"Unable to create/update fields: {f.name}. Please check the security settings of this field "
                    "and verify that it is read/write for your profile or permission set.",
                    [f.name],
                )
            out[f.name] = _coerce_value(obj, f, value)
            if f.type == "reference" and out[f.name] is not None:
                self._check_reference(obj, f, out[f.name])
            if check_access and not creating and out[f.name] is None and not f.nillable:
                raise ApiError(400, "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{f.name}]", [f.name])
        if creating and check_access:
            missing = [
                f.name for f in obj.stored_fields
                if not f.nillable and f.createable and not f.default_on_create and out.get(f.name) is None
            ]
            if missing:
                raise ApiError(400, "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]", missing)
        return out

    def _check_reference(self, obj: ObjectDef, f: FieldDef, value: str) -> None:
        target = self.catalog.by_key_prefix(value[:3])
        if target is None or target.name not in f.reference_to:
            raise ApiError(
                400, "FIELD_INTEGRITY_EXCEPTION",
                f"{f.label}: id value of incorrect type: {value}", [f.name],
            )
        live = ' AND NOT "IsDeleted"' if target.soft_deletes else ""
        found = self.read(f'SELECT 1 FROM "{target.name}" WHERE "Id" = ?{live}', [value]).num_rows
        if not found:
            raise ApiError(
                400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [f.name],
            )


def _load_expr(f: FieldDef, present: set[str]) -> str:
    if f.name not in present:
        return f"NULL::{f.storage_type}"
    cast = f'CAST(src."{f.name}" AS {f.storage_type})'
    # Salesforce has no empty strings: a blank text field is null.
    return f"NULLIF({cast}, '')" if f.storage_type == "VARCHAR" else cast


_JSON_TOKENS = {str: "STRING", int: "NUMBER_INT", float: "NUMBER_FLOAT", dict: "START_OBJECT", list: "START_ARRAY"}


def _type_error(f: FieldDef, value: Any, expected: str) -> ApiError:
    token = ("TRUE" if value else "FALSE") if isinstance(value, bool) else _JSON_TOKENS.get(type(value), "STRING")
    return ApiError(
        400,
        "JSON_PARSER_ERROR",
        f"Cannot deserialize instance of {expected} from VALUE_{token} value {value} "
        "or request may be missing a required field",
    )


def _coerce_value(obj: ObjectDef, f: FieldDef, value: Any) -> Any:
    if value is None:
        return None
    t = f.type
    if t in ("id", "reference"):
        if not isinstance(value, str) or not is_valid_id(value):
            raise ApiError(400, "MALFORMED_ID", f"{f.label}: id value of incorrect type: {value}", [f.name])
        return to_18(value)
    if t == "boolean":
        if not isinstance(value, bool):
            raise _type_error(f, value, "boolean")
        return value
    if t in ("currency", "percent", "double", "int", "long"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _type_error(f, value, t if t in ("int", "long") else "double")
        return int(value) if t in ("int", "long") else float(value)
    if t == "date":
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise ApiError(400, "JSON_PARSER_ERROR", f"Cannot deserialize value of type `date` from String \"{value}\"") from None
    if t == "datetime":
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise ApiError(400, "JSON_PARSER_ERROR", f"Cannot deserialize value of type `datetime` from String \"{value}\"") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return _naive(moment)
    if not isinstance(value, str):
        raise _type_error(f, value, "String")
    if value == "":
        return None  # Salesforce stores a blank text field as null
    if f.restricted_picklist and value not in f.picklist_values:
        raise ApiError(
            400, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", f"{f.label}: bad value for restricted picklist field: {value}",
            [f.name],
        )
    if f.length and len(value) > f.length:
        raise ApiError(
            400, "STRING_TOO_LONG", f"{f.label}: data value too large: {value[:40]} (max length={f.length})", [f.name]
        )
    return value
