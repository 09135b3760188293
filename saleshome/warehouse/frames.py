"""The analyst's door: an org's warehouse read as pandas DataFrames, read-only.

    >>> from saleshome import open_warehouse
    >>> with open_warehouse("acme") as wh:
    ...     big = wh.table("Opportunity", columns=["Name", "Amount", "StageName"], where='"Amount" > ?', params=[1e5])
    ...     moved = wh.changes(since=datetime(2026, 12, 1, tzinfo=UTC), object="Opportunity")
    ...     by_stage = wh.frame('SELECT "StageName", sum("Amount") AS amount FROM sf."Opportunity" GROUP BY 1')

The file is opened read-only (DuckDB refuses any write through it) and DataFrames come from DuckDB's
own conversion; the sync, the evaluation and publishing keep DuckDB and Arrow.  DuckDB lets one
process hold a file for writing and no other process open it meanwhile: while a sync writes the
org's file, :func:`open_warehouse` **waits** for it (up to ``wait`` seconds, saying so in the log)
and then reads the last committed state; past ``wait`` it raises a :class:`RetriableError` that
says so — never a raw lock error.  Object and column names are checked against what the sync
keeps (``columns``): a name the warehouse does not have is a :class:`ValidationError` naming it.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from saleshome.config import Settings, load_settings
from saleshome.errors import ConfigurationError, RetriableError, ValidationError

from .connections import is_lock_error, open_duckdb
from .orgdb import q

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)
DEFAULT_WAIT = 30.0  # seconds a reader waits for a sync holding the file


class WarehouseReader:
    """One org's warehouse, open read-only; close it (or use ``with``) to let the next sync write."""

    def __init__(self, alias: str, conn: duckdb.DuckDBPyConnection) -> None:
        self.alias = alias
        self.conn = conn

    def __enter__(self) -> WarehouseReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()

    def objects(self) -> list[str]:
        """The synced objects, by name."""
        return [r[0] for r in self.conn.execute(
            "SELECT DISTINCT object FROM columns WHERE removed_at IS NULL ORDER BY object").fetchall()]

    def columns(self, obj: str) -> list[str]:
        """The synced columns of ``obj`` (a ValidationError when the warehouse has no such object)."""
        found = [r[0] for r in self.conn.execute(
            "SELECT name FROM columns WHERE object = ? AND removed_at IS NULL ORDER BY name", [obj]).fetchall()]
        if not found:
            known = ", ".join(self.objects()) or "none yet: sync the org first"
            raise ValidationError(f"org {self.alias!r} has no synced object {obj!r}", hint=f"synced objects: {known}")
        return found

    def frame(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """Any read-only query (``?`` parameters) as a DataFrame; a write is refused, nothing changed."""
        try:
            with warnings.catch_warnings():  # DuckDB's conversion still passes pandas' deprecated `inplace`
                warnings.filterwarnings("ignore", message="The inplace keyword", category=Warning)
                return self.conn.execute(sql, list(params or [])).df()
        except duckdb.InvalidInputException as exc:
            if "read-only" in str(exc).lower():
                raise ValidationError(f"the warehouse of {self.alias!r} is opened read-only: {exc}",
                                      hint="analysts read; only the sync writes") from None
            raise ValidationError(f"query refused: {exc}") from None
        except duckdb.Error as exc:
            raise ValidationError(f"query refused: {exc}") from None

    def table(self, obj: str, *, columns: Sequence[str] | None = None, where: str | None = None,
              params: Sequence[Any] | None = None, limit: int | None = None) -> pd.DataFrame:
        """Rows of a synced object: ``columns`` (default: every synced column), ``where`` a filter in SQL with
        ``?`` parameters, ``limit`` at most that many rows (ordered by Id)."""
        have = self.columns(obj)
        chosen = list(columns) if columns is not None else have
        unknown = [c for c in chosen if c not in have]
        if unknown:
            raise ValidationError(f"{obj} has no synced column {', '.join(map(repr, unknown))}",
                                  hint=f"its columns: {', '.join(have)}")
        sql = f"SELECT {', '.join(q(c) for c in chosen)} FROM sf.{q(obj)}"
        if where:
            sql += f" WHERE {where}"
        sql += ' ORDER BY "Id"' if "Id" in have else ""
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return self.frame(sql, params)

    def changes(self, *, since: datetime | None = None, object: str | None = None) -> pd.DataFrame:
        """The change log (one row per record event, one per changed field, old and new values as text), in the
        order the changes were applied; ``since``: applied at or after that moment; ``object``: of that object."""
        filters: list[str] = []
        params: list[Any] = []
        if since is not None:
            filters.append("applied_at >= ?")
            params.append(since)
        if object is not None:
            self.columns(object)
            filters.append("object = ?")
            params.append(object)
        where = f" WHERE {' AND '.join(filters)}" if filters else ""
        return self.frame("SELECT run_id, object, record_id, system_modstamp, operation, field, old_value, new_value, "
                          f"initial, applied_at FROM change_log{where} ORDER BY commit_seq NULLS FIRST, applied_at",
                          params)


def open_warehouse(alias: str, *, settings: Settings | None = None, wait: float = DEFAULT_WAIT) -> WarehouseReader:
    """Org ``alias``'s warehouse, read-only (see the module docstring)."""
    settings = settings or load_settings()
    path: Path = settings.org_db(alias)
    if not path.exists():
        raise ConfigurationError(f"no warehouse for org {alias!r} at {path}",
                                 hint="connect it with `saleshome org add` and sync it with `saleshome sync`")
    try:
        conn = duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as exc:
        if not is_lock_error(exc):
            raise
        log.warning("%s is being written by a sync: waiting up to %.0fs for it to finish", path.name, wait)
        try:
            conn = open_duckdb(path, timeout=wait, read_only=True)
        except RetriableError:
            raise RetriableError(f"the warehouse of {alias!r} stayed held by a sync for {wait:.0f}s",
                                 hint="read it when the sync finishes (`saleshome status` shows it), or wait longer "
                                      "(open_warehouse(..., wait=120))") from None
    return WarehouseReader(alias, conn)
