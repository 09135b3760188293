"""The control store: orgs, runs, settings, roles, audit, notifications, outbox, user map, celebrations.

One schema (:mod:`.control_tables`, built by Alembic revisions) on one of two backends:

- **SQLite** (the default): ``control.sqlite`` in the home, in WAL mode (readers never wait for a
  writer), ``busy_timeout`` so a writer waits its turn instead of failing, every write transaction
  in ``BEGIN IMMEDIATE`` (it takes the write lock first, so two writers never deadlock on upgrade);
- **PostgreSQL** when ``SALESHOME_DATABASE_URL=postgresql+psycopg://…`` is set: several processes
  on several machines, each with its own pool.

Connections are pooled per process (one engine per URL, made on first use, never at import).
Queries are SQL text with ``?`` placeholders, written in the subset both backends share; the few
places where the backends differ (the outbox claim) ask :attr:`Tx.dialect`.  Values read back are
the same Python values on both: timestamps as aware ``datetime`` in UTC, booleans as ``bool``,
string lists as ``list`` (see :mod:`.control_tables`), PostgreSQL's integral ``Decimal`` sums as ``int``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Connection, CursorResult, Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import ConnectionPoolEntry

from saleshome.errors import ConfigurationError, RetriableError
from saleshome.private import PRIVATE_FILE, private_dir

from .control_tables import HEAD, METADATA, ValueKind, column_kinds
from .legacy_control import LEGACY_NAME, Moved, copy_legacy, keep_as_backup

if TYPE_CHECKING:
    from saleshome.config import Settings

__all__ = ["ControlDB", "Dialect", "Tx", "close_all", "control_db", "sqlite_url", "to_pyformat", "utc_text"]

Dialect = Literal["sqlite", "postgresql"]

log = logging.getLogger(__name__)

POOL_SIZE = 20
"""Connections a process keeps open per store (SQLAlchemy's default, 5, plus 10 more made when needed, was less
than the threads of one process reading at once: a 16th reader waited on the pool, and under load timed out after
30 s because returned connections went back to the busiest threads first)."""

_ENGINES: dict[str, Engine] = {}
_MIGRATED: set[str] = set()
_LOCK = threading.Lock()
_QMARK = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"])*\"|\?|%")


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of the SQLite control store at ``path``."""
    return f"sqlite:///{path}"


def utc_text(moment: datetime) -> str:
    """``moment`` as SQLite holds timestamps: ISO-8601 in UTC, always with microseconds (text order = time order)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _now_text() -> str:
    return utc_text(datetime.now(UTC))


def to_pyformat(sql: str) -> str:
    """``?`` placeholders as psycopg's ``%s``, leaving quoted text's ``?`` alone; every literal ``%`` doubled,
    in quoted text too (psycopg reads ``%`` everywhere)."""
    def swap(match: re.Match[str]) -> str:
        token = match.group(0)
        return "%s" if token == "?" else token.replace("%", "%%")
    return _QMARK.sub(swap, sql)


class Result:
    """Rows of one statement, their values the same on both backends (see the module docstring)."""

    def __init__(self, cursor: CursorResult[Any], dialect: Dialect, kinds: Mapping[str, ValueKind]) -> None:
        self.rowcount = cursor.rowcount
        if not cursor.returns_rows:
            self.description: list[tuple[str]] = []
            self._rows: list[tuple[Any, ...]] = []
            return
        names = list(cursor.keys())
        self.description = [(name,) for name in names]
        converters = [_converter(kinds.get(name, "plain"), dialect) for name in names]
        if all(c is None for c in converters) and dialect == "sqlite":
            self._rows = [tuple(row) for row in cursor.fetchall()]
        else:
            self._rows = [tuple(v if v is None else (c(v) if c else _plain(v)) for v, c in zip(row, converters, strict=True))
                          for row in cursor.fetchall()]

    def fetchall(self) -> list[tuple[Any, ...]]:
        rows, self._rows = self._rows, []
        return rows

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._rows.pop(0) if self._rows else None

    def dicts(self) -> list[dict[str, Any]]:
        names = [d[0] for d in self.description]
        return [dict(zip(names, row, strict=True)) for row in self.fetchall()]

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.fetchall())


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _parse_timestamp(value: Any) -> Any:
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return value


def _load_list(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _converter(kind: ValueKind, dialect: Dialect) -> Callable[[Any], Any] | None:
    if kind == "timestamp":
        return _parse_timestamp
    if kind == "bool" and dialect == "sqlite":
        return bool
    if kind == "list":
        return _load_list
    return None


def _param(value: Any, dialect: Dialect) -> Any:
    if isinstance(value, (list, tuple)):
        return json.dumps(list(value))
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, datetime):
        return utc_text(value) if dialect == "sqlite" else (value if value.tzinfo else value.replace(tzinfo=UTC))
    if isinstance(value, date) and dialect == "sqlite":
        return value.isoformat()
    return value


class Tx:
    """One transaction on the control store: ``execute`` SQL with ``?`` placeholders."""

    def __init__(self, conn: Connection, dialect: Dialect) -> None:
        self.conn = conn
        self.dialect: Dialect = dialect
        self._kinds = column_kinds()

    def execute(self, sql: str, params: Sequence[Any] | None = None, *,
                kinds: Mapping[str, ValueKind] | None = None) -> Result:
        """Run ``sql``; ``kinds`` names what computed columns hold (``{"last": "timestamp"}``) when their
        names are not the schema's."""
        values = tuple(_param(v, self.dialect) for v in params or ())
        # translated with parameters or without: SQLAlchemy always gives psycopg a tuple, so it always reads %
        statement = sql if self.dialect == "sqlite" else to_pyformat(sql)
        cursor = self.conn.exec_driver_sql(statement, values)
        return Result(cursor, self.dialect, {**self._kinds, **kinds} if kinds else self._kinds)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        """Run ``sql`` once per row of parameters; returns the rows it changed in all."""
        if not rows:
            return 0
        statement = sql if self.dialect == "sqlite" else to_pyformat(sql)
        cursor = self.conn.exec_driver_sql(statement, [tuple(_param(v, self.dialect) for v in row) for row in rows])
        return int(cursor.rowcount)

    def rows(self, sql: str, params: Sequence[Any] | None = None, *,
             kinds: Mapping[str, ValueKind] | None = None) -> list[dict[str, Any]]:
        return self.execute(sql, params, kinds=kinds).dicts()

    def elements(self) -> str:
        """A subquery over the strings of one list parameter: ``WHERE key IN ({tx.elements()})`` with the list
        as its parameter (one parameter however long the list)."""
        if self.dialect == "sqlite":
            return "SELECT value FROM json_each(?)"
        return "SELECT jsonb_array_elements_text(CAST(? AS jsonb))"

    def upsert(self, table: str, values: Mapping[str, Any], *, keep: Sequence[str] = ()) -> None:
        """Insert ``values`` into ``table``, or update the row with the same primary key (columns in
        ``keep`` keep their stored value).  The same SQL on both backends (``ON CONFLICT … DO UPDATE``)."""
        key = [c.name for c in METADATA.tables[table].primary_key.columns]
        names = list(values)
        updates = [n for n in names if n not in key and n not in keep]
        action = ("DO UPDATE SET " + ", ".join(f"{n} = excluded.{n}" for n in updates)) if updates else "DO NOTHING"
        self.execute(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)}) "
                     f"ON CONFLICT ({', '.join(key)}) {action}", list(values.values()))


class ControlDB:
    """The control store at ``url`` (a SQLAlchemy URL, or the path of a SQLite file)."""

    def __init__(self, url: str | Path, *, timeout: float = 60, legacy: Path | None = None) -> None:
        self.legacy = legacy
        self.moved: Moved | None = None
        self.url = sqlite_url(url) if isinstance(url, Path) else url
        self.timeout = timeout  # how long a write transaction waits for another writer (SQLite), in seconds
        parsed = make_url(self.url)
        backend = parsed.get_backend_name()
        if backend not in ("sqlite", "postgresql"):
            raise ConfigurationError(f"the control store must be SQLite or PostgreSQL, not {backend!r}",
                                     hint="SALESHOME_DATABASE_URL=postgresql+psycopg://user:password@host/db")
        self.dialect: Dialect = "sqlite" if backend == "sqlite" else "postgresql"
        self.path: Path | None = Path(parsed.database) if self.dialect == "sqlite" and parsed.database else None

    def __repr__(self) -> str:
        return f"ControlDB({make_url(self.url).render_as_string(hide_password=True)!r})"

    @property
    def where(self) -> str:
        """The store as a person reads it: the SQLite file, or the PostgreSQL URL without its password."""
        if self.path is not None:
            return str(self.path)
        return make_url(self.url).render_as_string(hide_password=True)

    def exists(self) -> bool:
        """Whether the store has been created (reading commands never create one)."""
        if self.path is not None:
            return self.path.is_file()
        with self._engine().connect() as conn:
            return bool(conn.exec_driver_sql("SELECT to_regclass('alembic_version') IS NOT NULL").scalar())

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """A read-write transaction: committed when the block ends, rolled back if it raises."""
        with self._begin(write=True) as tx:
            yield tx

    @contextmanager
    def reading(self) -> Iterator[Tx]:
        """A read-only transaction (on SQLite it never waits for writers)."""
        with self._begin(write=False) as tx:
            yield tx

    def rows(self, sql: str, params: Sequence[Any] | None = None, *,
             kinds: Mapping[str, ValueKind] | None = None) -> list[dict[str, Any]]:
        """Rows of a query as dicts (its own short read transaction)."""
        with self.reading() as tx:
            return tx.rows(sql, params, kinds=kinds)

    @contextmanager
    def _begin(self, *, write: bool) -> Iterator[Tx]:
        engine = self._engine()
        self._migrate(engine)
        try:
            with engine.connect() as conn:
                conn = conn.execution_options(saleshome_write=write, saleshome_timeout=self.timeout)
                with conn.begin():
                    yield Tx(conn, self.dialect)
        except OperationalError as exc:
            if self.dialect == "sqlite" and isinstance(exc.orig, sqlite3.OperationalError) and \
                    "locked" in str(exc.orig):
                raise RetriableError(f"the control store stayed locked by another writer for {self.timeout:.0f}s",
                                     hint="another command is writing; retry when it finishes") from None
            raise

    def _engine(self) -> Engine:
        with _LOCK:
            engine = _ENGINES.get(self.url)
            if engine is None:
                engine = _ENGINES[self.url] = self._create_engine()
            return engine

    def _create_engine(self) -> Engine:
        if self.dialect == "postgresql":
            return create_engine(self.url, pool_pre_ping=True, pool_size=POOL_SIZE,
                                 connect_args={"options": "-c timezone=UTC"})
        assert self.path is not None
        private_dir(self.path.parent)
        if not self.path.exists():
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE))  # its -wal and -shm take this mode
        engine = create_engine(self.url, pool_size=POOL_SIZE,
                               connect_args={"timeout": self.timeout, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
            dbapi.isolation_level = None  # we say BEGIN ourselves (below)
            dbapi.execute("PRAGMA journal_mode = WAL")
            dbapi.execute("PRAGMA synchronous = NORMAL")  # WAL: a process crash loses nothing committed
            dbapi.create_function("now", 0, _now_text)

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            options = conn.get_execution_options()
            # how long this transaction waits for another writer (each ControlDB its own, on one shared pool)
            conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(options.get('saleshome_timeout', 60) * 1000)}")
            conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get("saleshome_write", True) else "BEGIN")
        return engine

    def migrate(self) -> Moved | None:
        """Create or upgrade the store now; what moved from an old ``control.duckdb`` when this created it."""
        self._migrate(self._engine())
        return self.moved

    def _migrate(self, engine: Engine) -> None:
        if self.url in _MIGRATED:
            return
        with engine.connect() as conn:  # a read first: an up-to-date store never waits for a writer here
            conn = conn.execution_options(saleshome_write=False, saleshome_timeout=self.timeout)
            with conn.begin():
                current = _current_revision(conn)
        if current != HEAD:
            with engine.connect() as conn:
                conn = conn.execution_options(saleshome_write=True, saleshome_timeout=self.timeout)
                with conn.begin():
                    if self.dialect == "postgresql":
                        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7361001)")  # one migrator at a time
                    current = _current_revision(conn)  # another process may have done it meanwhile
                    if current != HEAD:
                        from .control_schema import upgrade
                        upgrade(conn)
                    if current is None and self.legacy is not None and self.legacy.is_file():
                        self.moved = copy_legacy(Tx(conn, self.dialect), self.legacy)
        if current is not None and self.legacy is not None and self.legacy.is_file():
            log.warning("%s is still in the home but the control store %r already exists: it was not moved; "
                        "`saleshome migrate` moves it into an empty store, or keep it aside as a backup",
                        self.legacy, self)
        if self.moved is not None and self.legacy is not None and self.legacy.is_file():
            self.moved.backup = keep_as_backup(self.legacy)
            log.warning("moved the control tables of %s into %r (%d rows in %d tables); the old file is kept as %s",
                        self.legacy.name, self, self.moved.rows, len(self.moved.tables), self.moved.backup.name)
        _MIGRATED.add(self.url)


def _current_revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def close_all() -> None:
    """Close every pooled connection of this process (a test's home is about to go; a worker stops)."""
    with _LOCK:
        engines = list(_ENGINES.values())
        _ENGINES.clear()
        _MIGRATED.clear()
    for engine in engines:
        engine.dispose()


def control_db(settings: Settings) -> ControlDB:
    """The control store of ``settings``' home, as every entry point opens it."""
    return ControlDB(settings.control_db, timeout=settings.lock_timeout_seconds, legacy=settings.home / LEGACY_NAME)
