"""Default list views, materialised into the org's DuckDB at each sync, and read back for display.

Two tables in the org database (created by :data:`LIST_VIEW_MIGRATIONS`):

``list_views``
    one row per materialised view: object, id (18 characters), developer name, label, its
    position among the object's defaults (``ordinal``), the describe's SOQL, columns, order,
    filter and scope, where the rows came from (``source``), how many rows, whether they were
    cut at ``max_rows``, and when.
``list_view_results``
    one row per record of a view, in the view's order: ``position`` (1-based), ``record_id``
    and ``data``, a JSON object ``{fieldNameOrPath: value}`` holding every column of the view
    (the hidden system columns too).

**Where the rows come from.**  The describe's ``query`` is run through the client's REST query
path (:meth:`SalesforceClient.query_pages`: cursor paging with ``nextRecordsUrl``, loop
detection, the retry and budget policy the sync uses).  We prefer it to the results resource
because (1) the values keep their JSON types (numbers, booleans) instead of the results
resource's localised text; (2) paging follows a server-side cursor, where ``results`` pages by
``offset`` (a record moving while we page is skipped or repeated); (3) it returns up to 2,000
records per call, the same as ``results``, and ``LIMIT`` keeps it at what we store.  The
results resource remains the fallback for a view Salesforce marks ``soqlCompatible: false``,
or whose query the org refuses.  Either way a page's records go to DuckDB as one JSON
document and are flattened there (no Python per record).

Each view is replaced in one transaction (its rows and its definition): a reader sees the
previous materialisation or the new one, never a mix.  A configured view that the org no
longer has is reported (and its old rows removed); it does not fail the sync unless
``strict``.  "Mine"-scoped views are materialised as the integration user sees them (its own
records): the definition keeps ``scope`` so the display can say so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from saleshome.config import Settings
from saleshome.errors import ConfigurationError, FatalError, RetriableError, ValidationError
from saleshome.salesforce.client import SalesforceClient
from saleshome.salesforce.listviews import (
    ListView,
    ListViewColumn,
    ListViewDescribe,
    ListViewNotFound,
    describe_list_view,
    find_list_view,
    iter_results_pages,
    list_views,
)
from saleshome.salesforce.schema import safe_name
from saleshome.settings.lists import default_list_views
from saleshome.settings.model import ListViewRef
from saleshome.warehouse.catalog import table_columns, table_exists
from saleshome.warehouse.connections import open_duckdb
from saleshome.warehouse.control import ControlDB
from saleshome.warehouse.migrations import apply_migrations
from saleshome.warehouse.orgdb import OrgWarehouse

__all__ = [
    "DEFAULT_MAX_ROWS",
    "LIST_VIEW_MIGRATIONS",
    "MaterialisedView",
    "StoredListView",
    "list_view_rows",
    "materialise_default_list_views",
    "materialise_list_views",
    "stored_list_views",
]

DEFAULT_MAX_ROWS = 2000  # rows kept per view (one REST page); more is flagged ``truncated``

LIST_VIEW_MIGRATIONS: tuple[tuple[str, str], ...] = (
    (
        "lv_0001_list_views",
        """
        CREATE TABLE IF NOT EXISTS list_views (
            object VARCHAR NOT NULL,
            list_view_id VARCHAR NOT NULL,     -- 18 characters, as the org lists it
            developer_name VARCHAR NOT NULL,
            label VARCHAR NOT NULL,
            ordinal INTEGER NOT NULL,          -- position among the object's default list views
            query VARCHAR NOT NULL,            -- the describe's SOQL
            columns JSON NOT NULL,             -- [{field, label, type, hidden, sortable}]
            order_by JSON,
            where_condition JSON,
            scope VARCHAR,                     -- everything, mine, queue, ...
            source VARCHAR NOT NULL,           -- query (describe SOQL) or results (the results resource)
            row_count BIGINT NOT NULL,
            truncated BOOLEAN NOT NULL,        -- the view holds more than the rows kept
            synced_at TIMESTAMPTZ NOT NULL,
            run_id VARCHAR,
            PRIMARY KEY (object, list_view_id)
        );
        CREATE TABLE IF NOT EXISTS list_view_results (
            object VARCHAR NOT NULL,
            list_view_id VARCHAR NOT NULL,
            list_view_name VARCHAR NOT NULL,   -- developer name
            position INTEGER NOT NULL,         -- 1-based, in the view's order
            record_id VARCHAR,
            data JSON NOT NULL,                -- {fieldNameOrPath: value} for every column of the view
            synced_at TIMESTAMPTZ NOT NULL
        );
        """,
    ),
)


@dataclass(frozen=True)
class MaterialisedView:
    """What one configured view gave at this sync (``error`` set when it could not be read)."""

    object: str
    requested: str  # as configured: id, developer name or label
    list_view_id: str | None = None
    developer_name: str | None = None
    label: str | None = None
    rows: int = 0
    source: str | None = None  # query or results
    truncated: bool = False
    error: str | None = None


@dataclass(frozen=True)
class StoredListView:
    """A materialised view's definition, read back from the org database."""

    object: str
    list_view_id: str
    developer_name: str
    label: str
    ordinal: int
    columns: tuple[ListViewColumn, ...]
    scope: str | None
    source: str
    row_count: int
    truncated: bool
    synced_at: datetime

    @property
    def visible_fields(self) -> list[str]:
        return [c.field for c in self.columns if not c.hidden]

    def matches(self, name_or_id: str) -> bool:
        return ListView(self.object, self.list_view_id, self.developer_name, self.label).matches(name_or_id)


# ------------------------------------------------------------------------------------------ write
def _conn(target: OrgWarehouse | duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    return target.conn if isinstance(target, OrgWarehouse) else target


def _json_path(field: str) -> str:
    """``Account.Name`` → ``$."Account"."Name"`` (a record of the REST query nests relationships)."""
    parts = field.split(".")
    if not all(parts) or any('"' in p or "\\" in p for p in parts):
        raise FatalError(f"refusing an unexpected list view column {field!r}")
    return "$." + ".".join(f'"{p}"' for p in parts)


def _distinct_columns(columns: Sequence[ListViewColumn]) -> tuple[list[str], list[int]]:
    """Column fields without repeats, and their 1-based positions in ``columns``."""
    keys: list[str] = []
    positions: list[int] = []
    for i, c in enumerate(columns, start=1):
        if c.field not in keys:
            keys.append(c.field)
            positions.append(i)
    return keys, positions


_HAS_LIMIT = re.compile(r"\bLIMIT\s+\d+\s*(OFFSET\s+\d+\s*)?$", re.IGNORECASE)


def _limited(query: str, max_rows: int) -> str:
    """The view's SOQL asking for one row more than we keep (so we know when it was cut)."""
    return query if _HAS_LIMIT.search(query) else f"{query.rstrip()} LIMIT {max_rows + 1}"


def _stage_pages(conn: duckdb.DuckDBPyConnection, pages: Iterator[list[dict[str, Any]]]) -> None:
    conn.execute("CREATE OR REPLACE TEMP TABLE _lv_pages (page INTEGER, body JSON)")
    for number, records in enumerate(pages):
        conn.execute("INSERT INTO _lv_pages VALUES (?, ?)", [number, json.dumps(records, default=str)])


def _fetch_by_query(client: SalesforceClient, conn: duckdb.DuckDBPyConnection, describe: ListViewDescribe,
                    max_rows: int) -> None:
    """Stage the view's records from its SOQL as ``_lv_rows(position, record_id, data)``."""
    keys, _ = _distinct_columns(describe.columns)
    paths = [_json_path(k) for k in keys]
    _stage_pages(conn, client.query_pages(_limited(describe.query, max_rows), include_deleted=False))
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE _lv_rows AS "
        "WITH recs AS (SELECT page, unnest(json_extract(body, '$[*]')) AS r, "
        "generate_subscripts(json_extract(body, '$[*]'), 1) AS i FROM _lv_pages) "
        "SELECT CAST(row_number() OVER (ORDER BY page, i) AS INTEGER) AS position, "
        "json_extract_string(r, '$.Id') AS record_id, "
        "to_json(map($keys::VARCHAR[], json_extract(r, $paths::VARCHAR[]))) AS data FROM recs",
        {"keys": keys, "paths": paths},
    )


def _fetch_by_results(client: SalesforceClient, conn: duckdb.DuckDBPyConnection, describe: ListViewDescribe,
                      view: ListView, max_rows: int) -> None:
    """Stage the view's records from the results resource (text values, offset paging)."""
    pages = iter_results_pages(client, view.sobject, view.id, max_rows=max_rows + 1)
    first_columns: list[tuple[ListViewColumn, ...]] = []

    def records() -> Iterator[list[dict[str, Any]]]:
        for page in pages:
            if not first_columns:
                first_columns.append(page.columns or describe.columns)
            yield page.raw_records

    _stage_pages(conn, records())
    keys, positions = _distinct_columns(first_columns[0] if first_columns else describe.columns)
    record_id = f"json_extract_string(v[{keys.index('Id') + 1}], '$')" if "Id" in keys else "NULL"
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE _lv_rows AS "
        "WITH recs AS (SELECT page, unnest(json_extract(body, '$[*]')) AS r, "
        "generate_subscripts(json_extract(body, '$[*]'), 1) AS i FROM _lv_pages), "
        "vals AS (SELECT page, i, list_select(json_extract(r, '$.columns[*].value'), $positions::INTEGER[]) AS v "
        "FROM recs) "
        "SELECT CAST(row_number() OVER (ORDER BY page, i) AS INTEGER) AS position, "
        f"{record_id} AS record_id, to_json(map($keys::VARCHAR[], v)) AS data FROM vals",
        {"keys": keys, "positions": positions},
    )


def _columns_json(columns: Sequence[ListViewColumn]) -> str:
    return json.dumps([
        {"field": c.field, "label": c.label, "type": c.type, "hidden": c.hidden, "sortable": c.sortable}
        for c in columns
    ])


def _replace_view(
    conn: duckdb.DuckDBPyConnection, view: ListView, describe: ListViewDescribe, *, ordinal: int, source: str,
    max_rows: int, now: datetime, run_id: str | None,
) -> tuple[int, bool]:
    """Swap the staged rows and the definition of one view in, in one transaction."""
    row = conn.execute("SELECT count(*) FROM _lv_rows").fetchone()
    fetched = int(row[0]) if row else 0
    kept, truncated = min(fetched, max_rows), fetched > max_rows
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.execute("DELETE FROM list_view_results WHERE object = ? AND list_view_id = ?", [view.sobject, view.id])
        conn.execute(
            "INSERT INTO list_view_results SELECT ?, ?, ?, position, record_id, data, ? FROM _lv_rows "
            "WHERE position <= ?",
            [view.sobject, view.id, view.developer_name, now, max_rows],
        )
        conn.execute(
            "INSERT INTO list_views VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (object, list_view_id) DO UPDATE SET developer_name = excluded.developer_name, "
            "label = excluded.label, ordinal = excluded.ordinal, query = excluded.query, "
            "columns = excluded.columns, order_by = excluded.order_by, where_condition = excluded.where_condition, "
            "scope = excluded.scope, source = excluded.source, row_count = excluded.row_count, "
            "truncated = excluded.truncated, synced_at = excluded.synced_at, run_id = excluded.run_id",
            [view.sobject, view.id, view.developer_name, view.label, ordinal, describe.query,
             _columns_json(describe.columns), json.dumps(list(describe.order_by)),
             json.dumps(describe.where_condition), describe.scope, source, kept, truncated, now, run_id],
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return kept, truncated


def _prune(conn: duckdb.DuckDBPyConnection, keep: set[tuple[str, str]]) -> None:
    """Remove the views (and their rows) no longer configured or no longer in the org."""
    stored = conn.execute("SELECT object, list_view_id FROM list_views").fetchall()
    gone = [(o, i) for o, i in stored if (o, i) not in keep]
    if not gone:
        return
    conn.execute("BEGIN TRANSACTION")
    try:
        for obj, view_id in gone:
            conn.execute("DELETE FROM list_view_results WHERE object = ? AND list_view_id = ?", [obj, view_id])
            conn.execute("DELETE FROM list_views WHERE object = ? AND list_view_id = ?", [obj, view_id])
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def materialise_list_views(
    client: SalesforceClient,
    warehouse: OrgWarehouse | duckdb.DuckDBPyConnection,
    objects_and_views: Mapping[str, Sequence[str]],
    *,
    now: datetime | None = None,
    run_id: str | None = None,
    max_rows: int = DEFAULT_MAX_ROWS,
    prune: bool = True,
    strict: bool = False,
    prefer: str = "query",
) -> list[MaterialisedView]:
    """Store the results of each object's default list views in the org database.

    ``objects_and_views`` maps an object to its default views (ids, developer names or labels),
    in the order the admin set.  Costs one ``listviews`` call per object, then per view one
    ``describe`` and one REST query page per 2,000 rows (``max_rows`` at most).  A view that
    cannot be found or read is reported in the result (``strict``: raised); what the client
    raises as retriable (quota, budget, 5xx) always propagates.  With ``prune``, views no longer
    configured lose their stored rows.  ``prefer="results"`` reads every view through the
    results resource instead of its SOQL.
    """
    if prefer not in ("query", "results"):
        raise ValidationError(f"prefer must be 'query' or 'results', not {prefer!r}")
    if max_rows < 1:
        raise ValidationError(f"max_rows must be at least 1, not {max_rows}")
    conn = _conn(warehouse)
    moment = now or datetime.now(UTC)
    conn.execute("BEGIN TRANSACTION")
    apply_migrations(conn, LIST_VIEW_MIGRATIONS)
    conn.execute("COMMIT")
    results: list[MaterialisedView] = []
    keep: set[tuple[str, str]] = set()
    for raw_obj, wanted in objects_and_views.items():
        obj = safe_name(raw_obj)
        if not wanted:
            continue
        try:
            views = list_views(client, obj)
        except RetriableError:
            raise
        except FatalError as exc:
            if strict:
                raise
            results.extend(MaterialisedView(obj, str(name), error=exc.message) for name in wanted)
            continue
        for ordinal, name in enumerate(wanted):
            try:
                view = find_list_view(views, obj, str(name), alias=client.conn.alias)
            except ListViewNotFound as exc:
                if strict:
                    raise
                results.append(MaterialisedView(obj, str(name), error=str(exc)))
                continue
            keep.add((view.sobject, view.id))
            try:
                results.append(_materialise_one(client, conn, view, str(name), ordinal=ordinal, max_rows=max_rows,
                                                now=moment, run_id=run_id, by_query=prefer == "query"))
            except RetriableError:
                raise
            except FatalError as exc:
                if strict:
                    raise
                results.append(MaterialisedView(obj, str(name), view.id, view.developer_name, view.label,
                                                error=exc.message))
    if prune:
        _prune(conn, keep)
    return results


def materialise_default_list_views(
    client: SalesforceClient,
    warehouse: OrgWarehouse | duckdb.DuckDBPyConnection,
    control: ControlDB,
    alias: str,
    *,
    run_id: str | None = None,
    max_rows: int = DEFAULT_MAX_ROWS,
    views: Mapping[str, Sequence[ListViewRef]] | None = None,
) -> list[MaterialisedView]:
    """The sync's step: materialise the org's configured default list views (the admin's order).

    ``views``: those views, when the caller has read them already (``default_list_views``).
    """
    views = default_list_views(control, alias) if views is None else views
    wanted = {obj: [ref.id for ref in refs] for obj, refs in views.items()}
    return materialise_list_views(client, warehouse, wanted, run_id=run_id, max_rows=max_rows)


def _materialise_one(
    client: SalesforceClient, conn: duckdb.DuckDBPyConnection, view: ListView, requested: str, *, ordinal: int,
    max_rows: int, now: datetime, run_id: str | None, by_query: bool = True,
) -> MaterialisedView:
    describe = describe_list_view(client, view.sobject, view.id)
    source = "query"
    if by_query and view.soql_compatible and describe.query:
        try:
            _fetch_by_query(client, conn, describe, max_rows)
        except RetriableError:
            raise
        except FatalError:  # the org refuses the view's own SOQL: its results resource still answers
            source = "results"
    else:
        source = "results"
    if source == "results":
        _fetch_by_results(client, conn, describe, view, max_rows)
    try:
        rows, truncated = _replace_view(conn, view, describe, ordinal=ordinal, source=source, max_rows=max_rows,
                                        now=now, run_id=run_id)
    finally:
        conn.execute("DROP TABLE IF EXISTS _lv_rows")
        conn.execute("DROP TABLE IF EXISTS _lv_pages")
    return MaterialisedView(view.sobject, requested, view.id, view.developer_name, view.label, rows, source, truncated)


# ------------------------------------------------------------------------------------------- read
@contextmanager
def _reading(
    source: Settings | OrgWarehouse | duckdb.DuckDBPyConnection, alias: str,
) -> Iterator[duckdb.DuckDBPyConnection]:
    if not isinstance(source, Settings):
        yield _conn(source)
        return
    path = source.org_db(alias)
    if not path.exists():
        raise ConfigurationError(f"org {alias!r} has no synced data yet", hint=f"run `saleshome sync --org {alias}` first")
    conn = open_duckdb(path, timeout=source.lock_timeout_seconds, read_only=True)
    try:
        yield conn
    finally:
        conn.close()


def _stored(conn: duckdb.DuckDBPyConnection, obj: str | None) -> list[StoredListView]:
    if not table_exists(conn, "list_views", schema="main"):
        return []
    rows = conn.execute(
        "SELECT object, list_view_id, developer_name, label, ordinal, columns, scope, source, row_count, truncated, "
        "synced_at FROM list_views WHERE ? IS NULL OR lower(object) = lower(?) ORDER BY object, ordinal, label",
        [obj, obj],
    ).fetchall()
    return [
        StoredListView(
            r[0], r[1], r[2], r[3], int(r[4]),
            tuple(ListViewColumn(c["field"], c["label"], c["type"], bool(c["hidden"]), bool(c["sortable"]))
                  for c in json.loads(r[5])),
            r[6], r[7], int(r[8]), bool(r[9]), r[10],
        )
        for r in rows
    ]


def stored_list_views(
    source: Settings | OrgWarehouse | duckdb.DuckDBPyConnection, alias: str = "", obj: str | None = None,
) -> list[StoredListView]:
    """The materialised views (of ``obj``, or all), in the admin's order per object."""
    with _reading(source, alias) as conn:
        return _stored(conn, obj)


def list_view_rows(
    source: Settings | OrgWarehouse | duckdb.DuckDBPyConnection,
    alias: str,
    obj: str,
    list_view: str | None = None,
    fields: Sequence[str] | None = None,
    *,
    limit: int | None = None,
) -> tuple[list[str], list[tuple[str | None, ...]]]:
    """The materialised rows of one view as ``(fields, rows)`` of text, in the view's order.

    ``list_view`` is an id, developer name or label (default: the object's first default view).
    ``fields`` default to the view's visible columns; a field the view does not have (a record
    layout field, say) is read from the synced ``sf.<Object>`` table by record id.  An unknown
    view or field is a :class:`ValidationError` that names the known ones.
    """
    with _reading(source, alias) as conn:
        views = _stored(conn, obj)
        where = f" of org {alias!r}" if alias else ""
        if not views:
            raise ValidationError(
                f"no list view of {obj} is materialised{where}",
                hint="add default list views for the object, then sync the org",
            )
        if list_view is None:
            view = views[0]
        else:
            matching = [v for v in views if v.matches(list_view)]
            if len(matching) != 1:
                known = ", ".join(f"{v.developer_name} ({v.label})" for v in views)
                raise ValidationError(
                    f"{obj} has no materialised list view {list_view!r}{where}" if not matching
                    else f"{len(matching)} materialised list views of {obj} are called {list_view!r}{where}",
                    hint=f"use an id, developer name or label among: {known}",
                )
            view = matching[0]
        wanted = list(fields) if fields is not None else view.visible_fields
        in_view = {c.field for c in view.columns}
        table = view.object
        synced = table_columns(conn, table)
        unknown = [f for f in wanted if f not in in_view and f not in synced]
        if unknown:
            raise ValidationError(
                f"{', '.join(unknown)}: not a column of list view {view.label!r} nor a synced field of {table}",
                hint="list view columns: " + ", ".join(c.field for c in view.columns),
            )
        params: list[Any] = []
        selects = []
        for f in wanted:
            if f in in_view:
                selects.append("json_extract_string(r.data, ?)")
                params.append("$." + json.dumps(f))
            else:
                selects.append(f'CAST(o."{safe_name(f)}" AS VARCHAR)')
        join = (f' LEFT JOIN sf."{safe_name(table)}" o ON o."Id" = r.record_id'
                if any(f not in in_view for f in wanted) else "")
        sql = (f"SELECT {', '.join(selects) or 'NULL'} FROM list_view_results r{join} "
               "WHERE r.object = ? AND r.list_view_id = ? ORDER BY r.position")
        params += [view.object, view.list_view_id]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        rows = conn.execute(sql, params).fetchall()
        return wanted, [tuple(r) for r in rows]
