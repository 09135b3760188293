"""A SOQL query and the org's catalog → one DuckDB statement with positional (``?``) parameters.

Tables are named as objects and columns as stored fields.  Every literal of the query is a
parameter; identifiers come only from catalog names.  Filters use Salesforce's two-valued logic:
a comparison with a null field is false (``!=`` and ``NOT IN`` are therefore true for nulls), text
comparisons, ``LIKE`` and text sorting are case-insensitive, and dates and datetimes are UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType
from typing import Any, Protocol

from ..ids import is_valid_id, to_18
from ..schema import Catalog, FieldDef, ObjectDef
from . import errors
from .errors import SoqlError
from .parser import (
    And,
    BoolValue,
    Comparison,
    Condition,
    DateLiteral,
    DateTimeValue,
    DateValue,
    FieldPath,
    InList,
    Not,
    NullValue,
    NumberValue,
    Or,
    OrderItem,
    Query,
    StringValue,
    Value,
    parse,
)

ROOT_ID_COLUMN = "rid"
COUNT_COLUMN = "expr0"
MAX_OFFSET = 2000

_TEXT_TYPES = frozenset({"string", "picklist", "multipicklist", "combobox", "textarea", "url", "email", "phone"})
_ID_TYPES = frozenset({"id", "reference"})
_COMPOUND_TYPES = MappingProxyType({"address": "Address", "location": "Location"})
# The type named in "value of filter criterion ... must be of type X" (the field's SOAP type).
_VALUE_TYPE_NAMES = MappingProxyType(
    {
        "currency": "double",
        "percent": "double",
        "double": "double",
        "int": "int",
        "long": "long",
        "boolean": "boolean",
        "date": "date",
        "datetime": "dateTime",
        "time": "time",
        "id": "id",
        "reference": "id",
    }
)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FORMULA_TOKEN = re.compile(r"'(?:[^'\\]|\\.)*'|[A-Za-z_][A-Za-z0-9_]*|\s+|.", re.S)
_EMPTY_CALL = re.compile(r"\s*\(\s*\)")

Params = list[Any]
Sql = tuple[str, Params]


class QueryAccess(Protocol):
    """The caller's access (``access.UserAccess`` satisfies it): what a query made with a member's token may read.

    An object the user cannot read is ``INVALID_TYPE`` and a field hidden by field-level security is
    ``INVALID_FIELD``, with the messages Salesforce gives for names that do not exist; rows are restricted by
    ``sharing_filter`` (a boolean SQL expression over the table aliased ``alias``; ``"TRUE"``: every row), on the
    queried object and on every parent a relationship reaches (an invisible parent reads as null).
    """

    def can_read(self, obj: ObjectDef) -> bool: ...

    def can_read_field(self, obj: ObjectDef, name: str) -> bool: ...

    def sharing_filter(self, obj: ObjectDef, alias: str | None = None) -> tuple[str, list[Any]]: ...


@dataclass(frozen=True)
class SelectItem:
    """One SELECT item and where its value is in the result row.

    ``path`` is the canonical spelling (``("Owner", "Email")``) and ``objects[i]`` the object on which
    ``path[i]`` is read (``(Account, User)``: the queried object, then each parent).  ``parent_id_columns[i]``
    is the result column holding the Id of the parent record ``objects[i + 1]`` (null when that relationship
    is empty, in which case Salesforce returns the relationship as null).  The value is in column ``column``; for a compound
    field (``components`` not empty, e.g. ``BillingAddress``) there is no ``column`` but one column per
    component, named ``f"{column}__{component.name}"`` (e.g. ``c3__BillingCity``, see :meth:`component_column`).
    """

    path: tuple[str, ...]
    objects: tuple[ObjectDef, ...] = dataclass_field(repr=False)
    field: FieldDef = dataclass_field(repr=False)
    column: str
    parent_id_columns: tuple[str, ...] = ()
    components: tuple[FieldDef, ...] = dataclass_field(default=(), repr=False)

    def component_column(self, component: FieldDef) -> str:
        return f"{self.column}__{component.name}"


@dataclass(frozen=True)
class CompiledQuery:
    """DuckDB ``sql`` and its ``params`` for one SOQL query.

    The SQL already applies WHERE, ORDER BY (then ``Id``, for stable pages), LIMIT and OFFSET.  Each
    row holds the root record's Id in ``id_column`` (``rid``), then the ``items`` columns, then the Id of
    every joined parent.  For ``COUNT()`` (``is_count``) it returns one row with one integer column
    ``expr0`` and ``items`` is empty.
    """

    object: ObjectDef = dataclass_field(repr=False)
    sql: str
    params: list[Any]
    items: list[SelectItem]
    is_count: bool
    limit: int | None
    offset: int | None
    id_column: str = ROOT_ID_COLUMN


def compile_query(
    soql: str, catalog: Catalog, *, now: datetime, include_deleted: bool, stable_order: bool = True,
    access: QueryAccess | None = None,
) -> CompiledQuery:
    """Compile ``soql`` against ``catalog``; ``now`` anchors date literals; ``include_deleted`` is queryAll.

    ``stable_order=False`` (Bulk API 2.0, which returns PK chunks in no promised order): a query
    without ORDER BY or LIMIT is not sorted by Id, its rows come in storage order.

    ``access``: the calling user's access (see :class:`QueryAccess`); None reads everything (the sandbox itself).

    Raises :class:`SoqlError` with Salesforce's error code and message when Salesforce would refuse it.
    """
    return _Compiler(soql, catalog, now, access).compile(parse(soql), include_deleted=include_deleted,
                                                 stable_order=stable_order)


def date_literal_range(name: str, n: int | None, today: date) -> tuple[date, date]:
    """The half-open range ``[first day, day after the last)`` of a SOQL date literal, relative to ``today``.

    Calendar weeks start on Sunday (en_US) and quarters are calendar quarters.  ``LAST_N_DAYS:n`` and
    ``LAST_90_DAYS`` include today; ``NEXT_N_DAYS:n`` and ``NEXT_90_DAYS`` are read as today plus the next
    n days (Salesforce's documentation has said both "from today" and "from tomorrow").
    """
    week = today - timedelta(days=(today.weekday() + 1) % 7)
    month = today.replace(day=1)
    quarter = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    year = date(today.year, 1, 1)
    day = timedelta(days=1)
    ranges: dict[str, tuple[date, date]] = {
        "YESTERDAY": (today - day, today),
        "TODAY": (today, today + day),
        "TOMORROW": (today + day, today + 2 * day),
        "LAST_WEEK": (week - 7 * day, week),
        "THIS_WEEK": (week, week + 7 * day),
        "NEXT_WEEK": (week + 7 * day, week + 14 * day),
        "LAST_MONTH": (_add_months(month, -1), month),
        "THIS_MONTH": (month, _add_months(month, 1)),
        "NEXT_MONTH": (_add_months(month, 1), _add_months(month, 2)),
        "LAST_90_DAYS": (today - 90 * day, today + day),
        "NEXT_90_DAYS": (today, today + 91 * day),
        "THIS_QUARTER": (quarter, _add_months(quarter, 3)),
        "LAST_QUARTER": (_add_months(quarter, -3), quarter),
        "NEXT_QUARTER": (_add_months(quarter, 3), _add_months(quarter, 6)),
        "THIS_YEAR": (year, _add_months(year, 12)),
        "LAST_YEAR": (_add_months(year, -12), year),
        "NEXT_YEAR": (_add_months(year, 12), _add_months(year, 24)),
    }
    if n is None:
        return ranges[name]
    if name.startswith("LAST_N_"):
        unit = name.removeprefix("LAST_N_")
        offset, count = -n, n + (unit == "DAYS")  # LAST_N_DAYS:n includes today
    elif name.startswith("NEXT_N_"):
        unit = name.removeprefix("NEXT_N_")
        offset, count = (0, n + 1) if unit == "DAYS" else (1, n)
    else:  # N_<UNIT>_AGO
        unit = name.removeprefix("N_").removesuffix("_AGO")
        offset, count = -n, 1
    if unit in ("DAYS", "WEEKS"):
        first, step = (today, day) if unit == "DAYS" else (week, 7 * day)
        return first + offset * step, first + (offset + count) * step
    first, months = {"MONTHS": (month, 1), "QUARTERS": (quarter, 3), "YEARS": (year, 12)}[unit]
    return _add_months(first, months * offset), _add_months(first, months * (offset + count))


def _add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _quote(name: str) -> str:
    if not _NAME.fullmatch(name):  # catalog names only; never user text
        raise ValueError(f"not a valid identifier: {name!r}")
    return f'"{name}"'


@dataclass(frozen=True)
class _Join:
    alias: str
    obj: ObjectDef
    sql: str
    id_column: str
    params: tuple[Any, ...] = ()


@dataclass(frozen=True)
class _Resolved:
    field: FieldDef
    obj: ObjectDef
    alias: str
    path: tuple[str, ...]
    objects: tuple[ObjectDef, ...]
    id_columns: tuple[str, ...]


class _Compiler:
    """Resolves names against the catalog and writes the SQL of one query (one instance per compilation)."""

    def __init__(self, soql: str, catalog: Catalog, now: datetime, access: QueryAccess | None = None) -> None:
        self._soql = soql
        self._access = access
        self._catalog = catalog
        self._now = now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo else now
        self._joins: dict[tuple[str, ...], _Join] = {}
        self._root: ObjectDef | None = None

    def _error(self, pos: int, code: str, detail: str) -> SoqlError:
        return SoqlError.at(self._soql, pos, code, detail)

    @property
    def root(self) -> ObjectDef:
        assert self._root is not None
        return self._root

    # -------------------------------------------------------------------------------- query
    def compile(self, query: Query, *, include_deleted: bool, stable_order: bool = True) -> CompiledQuery:
        root = self._catalog.get(query.object_name)
        unreadable = root is not None and self._access is not None and not self._access.can_read(root)
        if root is None or not root.queryable or unreadable:  # the same answer for an object SOQL cannot read
            raise self._error(query.object_pos, "INVALID_TYPE", errors.unsupported_object(query.object_name))
        self._root = root
        items, select_sql, select_params = self._select(query.fields)
        where_sql, where_params = self._condition(query.where) if query.where else ("", [])
        order_sql, order_params = self._order(query.order_by)
        if query.offset is not None and query.offset > MAX_OFFSET:
            raise self._error(query.offset_pos, "NUMBER_OUTSIDE_VALID_RANGE", errors.offset_too_large(root.name))
        # Objects without IsDeleted have no Recycle Bin: query and queryAll see the same rows.
        filters = [] if include_deleted or not root.soft_deletes else ['t0."IsDeleted" IS NOT TRUE']
        sharing_sql, sharing_params = self._access.sharing_filter(root, "t0") if self._access else ("TRUE", [])
        if sharing_sql != "TRUE":
            filters.append(f"({sharing_sql})")
        if where_sql:
            filters.append(f"({where_sql})")
        body = f"FROM {_quote(root.name)} AS t0" + "".join(j.sql for j in self._joins.values())
        join_params = [p for j in self._joins.values() for p in j.params]
        where_params = [*join_params, *sharing_params, *where_params]
        if filters:
            body += " WHERE " + " AND ".join(filters)
        paging = ""
        paging_params: list[Any] = []
        if query.limit is not None:
            paging += " LIMIT ?"
            paging_params.append(query.limit)
        if query.offset is not None:
            paging += " OFFSET ?"
            paging_params.append(query.offset)
        if query.is_count:
            inner = f"SELECT 1 {body}{paging}"
            sql = f'SELECT count(*) AS "{COUNT_COLUMN}" FROM ({inner}) AS q'
            params = [*where_params, *paging_params]
        else:
            columns = [f't0."Id" AS "{ROOT_ID_COLUMN}"', *select_sql]
            columns += [f'{j.alias}."Id" AS "{j.id_column}"' for j in self._joins.values()]
            unsorted = not stable_order and not query.order_by and query.limit is None
            sql = f"SELECT {', '.join(columns)} {body}{'' if unsorted else ' ORDER BY ' + order_sql}{paging}"
            params = [*select_params, *where_params, *order_params, *paging_params]
        return CompiledQuery(root, sql, params, items, query.is_count, query.limit, query.offset)

    def _select(self, paths: tuple[FieldPath, ...]) -> tuple[list[SelectItem], list[str], list[Any]]:
        items: list[SelectItem] = []
        columns: list[str] = []
        params: list[Any] = []
        seen: set[tuple[str, ...]] = set()
        for index, path in enumerate(paths):
            r = self._resolve(path)
            key = tuple(p.lower() for p in r.path)
            if key in seen:
                raise self._error(path.pos, "INVALID_FIELD", errors.duplicate_field(path.text))
            seen.add(key)
            components = tuple(f for f in r.obj.fields if f.compound_field_name == r.field.name)
            item = SelectItem(r.path, r.objects, r.field, f"c{index}", r.id_columns, components)
            for field, alias in [(c, item.component_column(c)) for c in components] or [(r.field, item.column)]:
                sql, sql_params = self._expr(r.obj, r.alias, field)
                columns.append(f'{sql} AS "{alias}"')
                params += sql_params
            items.append(item)
        return items, columns, params

    def _order(self, order_by: tuple[OrderItem, ...]) -> Sql:
        parts: list[str] = []
        params: list[Any] = []
        for item in order_by:
            r = self._resolve(item.path)
            if r.field.type in _COMPOUND_TYPES or not r.field.sortable:
                raise self._error(item.path.pos, "MALFORMED_QUERY", errors.not_sortable(r.field.name))
            sql, sql_params = self._expr(r.obj, r.alias, r.field)
            if r.field.type in _TEXT_TYPES:
                sql = f"lower({sql})"
            nulls_first = not item.descending if item.nulls_first is None else item.nulls_first
            direction = "DESC" if item.descending else "ASC"
            parts.append(f"{sql} {direction} NULLS {'FIRST' if nulls_first else 'LAST'}")
            params += sql_params
        parts.append('t0."Id" ASC')
        return ", ".join(parts), params

    # -------------------------------------------------------------------------------- names
    def _resolve(self, path: FieldPath) -> _Resolved:
        obj = self.root
        parts = path.parts
        if len(parts) > 1 and parts[0].lower() == obj.name.lower() and obj.relationship(parts[0]) is None:
            parts = parts[1:]  # "SELECT Account.Name FROM Account": the object's own name as a prefix
        alias = "t0"
        key: tuple[str, ...] = ()
        canonical: list[str] = []
        objects: list[ObjectDef] = [obj]
        id_columns: list[str] = []
        for name in parts[:-1]:
            ref = obj.relationship(name)
            target = self._catalog.get(ref.reference_to[0]) if ref and ref.reference_to else None
            hidden = self._access is not None and ref is not None and target is not None and not (
                self._access.can_read_field(obj, ref.name) and self._access.can_read(target)
            )
            if ref is None or target is None or ref.relationship_name is None or hidden:
                raise self._error(path.pos, "INVALID_FIELD", errors.bad_relationship(name))
            key = (*key, ref.relationship_name.lower())
            join = self._join(key, alias, ref, target)
            alias, obj = join.alias, target
            canonical.append(ref.relationship_name)
            objects.append(target)
            id_columns.append(join.id_column)
        field = obj.field(parts[-1])
        if field is None or (self._access is not None and not self._access.can_read_field(obj, field.name)):
            raise self._error(path.pos, "INVALID_FIELD", errors.no_such_column(parts[-1], obj.name))
        canonical.append(field.name)
        return _Resolved(field, obj, alias, tuple(canonical), tuple(objects), tuple(id_columns))

    def _join(self, key: tuple[str, ...], parent_alias: str, ref: FieldDef, target: ObjectDef) -> _Join:
        if key not in self._joins:
            number = len(self._joins) + 1
            alias = f"t{number}"
            sql = f' LEFT JOIN {_quote(target.name)} AS {alias} ON {alias}."Id" = {parent_alias}.{_quote(ref.name)}'
            visible, params = self._access.sharing_filter(target, alias) if self._access else ("TRUE", [])
            if visible != "TRUE":  # a parent the user cannot see reads as an empty relationship
                sql += f" AND ({visible})"
            self._joins[key] = _Join(alias, target, sql, f"j{number}", tuple(params))
        return self._joins[key]

    def _expr(self, obj: ObjectDef, alias: str, field: FieldDef) -> Sql:
        """The SQL value of ``field`` of the row ``alias``: its column, or its formula (TODAY()/NOW() from ``now``)."""
        if field.calculated and field.formula:
            sql, params = self._formula(obj, alias, field.formula)
            return f"CAST(({sql}) AS {field.storage_type or 'VARCHAR'})", params
        if field.stored:
            return f"{alias}.{_quote(field.name)}", []
        return "NULL", []

    def _formula(self, obj: ObjectDef, alias: str, formula: str) -> Sql:
        out: list[str] = []
        params: list[Any] = []
        pos = 0
        while pos < len(formula):
            token = _FORMULA_TOKEN.match(formula, pos)
            assert token is not None
            text, pos = token.group(0), token.end()
            call = _EMPTY_CALL.match(formula, pos)
            if text.upper() in ("TODAY", "NOW") and call:
                out.append("CAST(? AS DATE)" if text.upper() == "TODAY" else "CAST(? AS TIMESTAMP)")
                params.append(self._now.date() if text.upper() == "TODAY" else self._now)
                pos = call.end()
            elif _NAME.fullmatch(text) and (ref := obj.field(text)) is not None:
                sql, sql_params = self._expr(obj, alias, ref)
                out.append(sql)
                params += sql_params
            else:
                out.append(text)
        return "".join(out), params

    # -------------------------------------------------------------------------------- filters
    def _condition(self, cond: Condition) -> Sql:
        if isinstance(cond, And | Or):
            parts = [self._condition(item) for item in cond.items]
            glue = " AND " if isinstance(cond, And) else " OR "
            return glue.join(f"({sql})" for sql, _ in parts), [p for _, params in parts for p in params]
        if isinstance(cond, Not):
            sql, params = self._condition(cond.item)
            return f"NOT ({sql})", params
        if isinstance(cond, InList):
            return self._in_list(cond)
        return self._comparison(cond)

    def _filter_target(self, path: FieldPath, *, multipicklist_operator: bool = False) -> tuple[_Resolved, str, Params]:
        r = self._resolve(path)
        if r.field.type in _COMPOUND_TYPES:
            raise self._error(path.pos, "INVALID_FIELD", errors.compound_not_filterable(_COMPOUND_TYPES[r.field.type]))
        if multipicklist_operator and r.field.type != "multipicklist":
            raise self._error(path.pos, "INVALID_QUERY_FILTER_OPERATOR", errors.includes_on_wrong_field(r.field.name))
        if not r.field.filterable and not multipicklist_operator:
            raise self._error(path.pos, "INVALID_FIELD", errors.not_filterable(r.field.name))
        sql, params = self._expr(r.obj, r.alias, r.field)
        return r, sql, params

    def _comparison(self, cond: Comparison) -> Sql:
        r, expr, eparams = self._filter_target(cond.path)
        value, op = cond.value, cond.op
        if isinstance(value, NullValue):  # only = and != match anything
            if op in ("=", "!="):
                return f"{expr} IS {'NULL' if op == '=' else 'NOT NULL'}", eparams
            return "FALSE", []
        if isinstance(value, DateLiteral):
            low, high = self._range(r, value, cond.path)
            between = f"{expr} >= ? AND {expr} < ?", [*eparams, low, *eparams, high]
            bound = {"<": (low, "<"), "<=": (high, "<"), ">": (high, ">="), ">=": (low, ">=")}
            if op in bound:
                limit, cmp = bound[op]
                return f"({expr} {cmp} ?) IS TRUE", [*eparams, limit]
            if op == "LIKE":
                raise self._type_error(r, cond.path)
            return f"({between[0]}) {'IS TRUE' if op == '=' else 'IS NOT TRUE'}", between[1]
        text = r.field.type in _TEXT_TYPES
        left = f"lower({expr})" if text else expr
        right = "lower(?)" if text else "?"
        if op == "LIKE":
            if not isinstance(value, StringValue) or not (text or r.field.type in _ID_TYPES):
                raise self._type_error(r, cond.path)
            return f"({left} LIKE {right} ESCAPE '\\') IS TRUE", [*eparams, value.like_pattern]
        param = self._param(r, value, cond.path)
        if op == "!=":
            return f"({left} = {right}) IS NOT TRUE", [*eparams, param]
        return f"({left} {op} {right}) IS TRUE", [*eparams, param]

    def _in_list(self, cond: InList) -> Sql:
        if cond.op in ("INCLUDES", "EXCLUDES"):
            return self._includes(cond)
        r, expr, eparams = self._filter_target(cond.path)
        text = r.field.type in _TEXT_TYPES
        parts: list[str] = []
        params: Params = []
        plain = [v for v in cond.values if not isinstance(v, NullValue | DateLiteral)]
        if plain:
            holes = ", ".join("lower(?)" if text else "?" for _ in plain)
            parts.append(f"{f'lower({expr})' if text else expr} IN ({holes})")
            params += [*eparams, *(self._param(r, v, cond.path) for v in plain)]
        for literal in cond.values:
            if isinstance(literal, DateLiteral):
                low, high = self._range(r, literal, cond.path)
                parts.append(f"({expr} >= ? AND {expr} < ?)")
                params += [*eparams, low, *eparams, high]
            elif isinstance(literal, NullValue):
                parts.append(f"{expr} IS NULL")
                params += eparams
        sql = f"({' OR '.join(parts)}) IS TRUE"
        return (f"NOT ({sql})" if cond.op == "NOT IN" else sql), params

    def _includes(self, cond: InList) -> Sql:
        """``INCLUDES ('a;b', 'c')``: the multi-select value holds a and b, or holds c (case-insensitive)."""
        r, expr, eparams = self._filter_target(cond.path, multipicklist_operator=True)
        parts: list[str] = []
        params: Params = []
        for literal in cond.values:
            if not isinstance(literal, StringValue):
                raise self._type_error(r, cond.path)
            parts.append(f"list_has_all(string_split(lower({expr}), ';'), string_split(lower(?), ';'))")
            params += [*eparams, literal.value]
        sql = f"({' OR '.join(parts)}) IS TRUE"
        return (f"NOT ({sql})" if cond.op == "EXCLUDES" else sql), params

    # -------------------------------------------------------------------------------- values
    def _type_error(self, r: _Resolved, path: FieldPath) -> SoqlError:
        type_name = _VALUE_TYPE_NAMES.get(r.field.type, "string")
        detail = errors.wrong_value_type(r.field.name, type_name, quoted=type_name in ("string", "id"))
        return self._error(path.pos, "INVALID_FIELD", detail)

    def _param(self, r: _Resolved, value: Value, path: FieldPath) -> Any:
        """The parameter for ``value`` compared with field ``r`` (its type must fit the field's type)."""
        kind = r.field.type
        if kind in _ID_TYPES and isinstance(value, StringValue):
            if value.value and not is_valid_id(value.value):
                raise self._error(path.pos, "INVALID_QUERY_FILTER_OPERATOR", errors.invalid_id(value.value))
            return to_18(value.value) if value.value else value.value
        if (kind in _TEXT_TYPES or kind == "time") and isinstance(value, StringValue):
            return value.value
        if kind in ("currency", "percent", "double", "int", "long") and isinstance(value, NumberValue):
            if kind in ("int", "long") and value.is_integer and abs(value.value) < 2**63:
                return int(value.value)
            return float(value.value)
        if kind == "boolean" and isinstance(value, BoolValue):
            return value.value
        if kind == "date" and isinstance(value, DateValue):
            return value.value
        if kind == "datetime" and isinstance(value, DateTimeValue):
            return value.value.replace(tzinfo=None)
        raise self._type_error(r, path)

    def _range(self, r: _Resolved, literal: DateLiteral, path: FieldPath) -> tuple[date | datetime, date | datetime]:
        if r.field.type not in ("date", "datetime"):
            raise self._type_error(r, path)
        try:
            low, high = date_literal_range(literal.name, literal.n, self._now.date())
        except (OverflowError, ValueError):
            text = literal.name if literal.n is None else f"{literal.name}:{literal.n}"
            raise self._error(literal.pos, "MALFORMED_QUERY", errors.invalid_date(text)) from None
        if r.field.type == "date":
            return low, high
        return datetime.combine(low, datetime.min.time()), datetime.combine(high, datetime.min.time())
