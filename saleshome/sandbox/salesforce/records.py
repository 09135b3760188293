"""Query results as Salesforce returns them: REST JSON records and Bulk API 2.0 CSV."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

if TYPE_CHECKING:
    from .soql import CompiledQuery

_ADDRESS_KEYS = {
    "Street": "street", "City": "city", "State": "state", "PostalCode": "postalCode",
    "Country": "country", "Latitude": "latitude", "Longitude": "longitude",
}


def format_datetime(value: datetime) -> str:
    """Salesforce's REST datetime format: ``2024-01-31T10:00:00.000+0000`` (UTC)."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


def json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return value


def record_url(api_version: str, obj: str, record_id: str) -> str:
    return f"/services/data/v{api_version}/sobjects/{obj}/{record_id}"


def json_records(table: pa.Table, query: CompiledQuery, api_version: str) -> list[dict[str, Any]]:
    """Rows of ``table`` (the compiled query's result) as nested REST records with ``attributes``.

    A parent relationship whose record is missing (a null lookup) is ``null``, as in Salesforce.
    """
    out = []
    for row in table.to_pylist():
        record: dict[str, Any] = {
            "attributes": {"type": query.object.name, "url": record_url(api_version, query.object.name, row[query.id_column])}
        }
        for item in query.items:
            node: dict[str, Any] | None = record
            for depth, rel in enumerate(item.path[:-1]):
                assert node is not None
                parent_id = row[item.parent_id_columns[depth]]
                if parent_id is None:
                    node[rel] = None
                    node = None
                    break
                if node.get(rel) is None:
                    target = item.objects[depth + 1].name
                    node[rel] = {"attributes": {"type": target, "url": record_url(api_version, target, parent_id)}}
                node = node[rel]
            if node is None:
                continue
            if item.components:
                prefix = item.field.name.removesuffix("Address")
                parts = {
                    _ADDRESS_KEYS.get(c.name.removeprefix(prefix), c.name): row[item.component_column(c)]
                    for c in item.components
                }
                value: Any = None if all(v is None for v in parts.values()) else {"geocodeAccuracy": None, **parts}
            else:
                value = json_value(row[item.column])
            node[item.path[-1]] = value
        out.append(record)
    return out


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_value(column: str, kind: pa.DataType) -> str:
    """A result column as :func:`json_value` writes it, in DuckDB SQL."""
    ref = '"' + column.replace('"', '""') + '"'
    if pa.types.is_timestamp(kind):
        return f"strftime({ref}, '%Y-%m-%dT%H:%M:%S.%g+0000')"
    if pa.types.is_date(kind):
        return f"CAST({ref} AS VARCHAR)"
    if pa.types.is_time(kind):
        return f"strftime(DATE '2000-01-01' + {ref}, '%H:%M:%S.%g') || 'Z'"
    return ref


@dataclass
class _Node:
    """One JSON object of a record: the root or a parent relationship, with its keys in order."""

    type: str
    id_column: str
    keys: dict[str, str | _Node] = field(default_factory=dict)

    def sql(self, api_version: str) -> str:
        url = _sql_text(record_url(api_version, self.type, "")) + f' || "{self.id_column}"'
        parts = [f"'attributes': {{'type': {_sql_text(self.type)}, 'url': {url}}}"]
        for key, value in self.keys.items():
            inner = value.sql(api_version) if isinstance(value, _Node) else value
            if isinstance(value, _Node):
                inner = f'CASE WHEN "{value.id_column}" IS NULL THEN NULL ELSE {inner} END'
            parts.append(f"{_sql_text(key)}: {inner}")
        return "{" + ", ".join(parts) + "}"


def record_json_sql(query: CompiledQuery, schema: pa.Schema, api_version: str) -> str:
    """A DuckDB expression writing one row of the query's result as its REST record (JSON text).

    The same records as :func:`json_records`, written by DuckDB instead of Python per value
    (the sandbox serves REST pages of 2,000 records: Python took most of its time on them).
    """
    root = _Node(query.object.name, query.id_column)
    for item in query.items:
        node = root
        for depth, rel in enumerate(item.path[:-1]):
            child = node.keys.get(rel)
            if not isinstance(child, _Node):
                child = _Node(item.objects[depth + 1].name, item.parent_id_columns[depth])
                node.keys[rel] = child
            node = child
        if item.components:
            prefix = item.field.name.removesuffix("Address")
            columns = [item.component_column(c) for c in item.components]
            parts = ", ".join(
                f"{_sql_text(_ADDRESS_KEYS.get(c.name.removeprefix(prefix), c.name))}: "
                f"{_sql_value(column, schema.field(column).type)}"
                for c, column in zip(item.components, columns, strict=True)
            )
            empty = " AND ".join(f'"{column}" IS NULL' for column in columns)
            node.keys[item.path[-1]] = f"CASE WHEN {empty} THEN NULL ELSE {{'geocodeAccuracy': NULL, {parts}}} END"
        else:
            node.keys[item.path[-1]] = _sql_value(item.column, schema.field(item.column).type)
    return f"to_json({root.sql(api_version)})"


def _csv_column(column: Any) -> Any:
    """A column formatted the way Bulk API 2.0 writes it (``2024-01-31T10:00:00.000Z``, ``true``)."""
    t = column.type
    # Arrow's casts to text are ISO 8601 and several times faster than its strftime.
    if pa.types.is_timestamp(t):  # "2024-01-31 10:00:00.000" (UTC, milliseconds) -> "2024-01-31T10:00:00.000Z"
        text = pc.cast(pc.cast(column, pa.timestamp("ms")), pa.string())
        return pc.binary_join_element_wise(pc.replace_substring(text, " ", "T", max_replacements=1), "Z", "")
    if pa.types.is_boolean(t):
        return pc.if_else(column, "true", "false")
    if pa.types.is_date(t):  # "2024-01-31"
        return pc.cast(column, pa.string())
    if pa.types.is_time(t):  # Bulk writes a time as 10:30:00.000Z
        return pa.array([None if v is None else json_value(v) for v in column.to_pylist()], pa.string())
    return column


def csv_page(table: pa.Table, query: CompiledQuery) -> bytes:
    """One Bulk API 2.0 result set: a header of field paths, every value quoted, nulls empty."""
    columns = [_csv_column(table.column(item.column)) for item in query.items]
    names = [".".join(item.path) for item in query.items]
    out = io.BytesIO()
    pacsv.write_csv(
        pa.table(columns, names=names),
        out,
        write_options=pacsv.WriteOptions(quoting_style="all_valid", include_header=True),
    )
    return out.getvalue()
