"""Query results as Salesforce returns them: REST JSON records and Bulk API 2.0 CSV."""

from __future__ import annotations

import io
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
