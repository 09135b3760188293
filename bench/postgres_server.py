"""A real PostgreSQL server in a temporary directory, from Debian's packages (the control store's scale-out
backend): started by the tests (``postgres_server``, tests/fixtures/postgres.py) and by the control store
benchmark (``bench control_concurrency``), which is why it lives here: the tests may import the benchmarks'
helpers, the benchmarks never import the tests.

:func:`running_postgres` yields a :class:`PostgresServer`: the SQLAlchemy URL of a database and a password role
made for its user, and its parts.  A server that cannot be set up raises :class:`PostgresServerError` with the
tail of its log.

Invariants:
- The server binaries come from ``/usr/lib/postgresql/<version>/bin`` (the newest version there,
  :func:`postgres_bin`); installing them when missing is the caller's business (the tests run
  ``apt-get install postgresql``; the benchmark says to).
- Everything lives in one temporary directory owned by the ``postgres`` user (the programs run as that user
  when the tests run as root, since ``initdb`` refuses root): the data directory, the unix socket, the log.
  The directory is removed after the server stops.
- TCP on 127.0.0.1 only, on a port that was free at start (tried again on another port if it was taken in
  between); clients there authenticate with a password (``scram-sha-256``). The superuser ``postgres`` has no
  password and connects only through the unix socket (``trust``), which sits in the private directory.
- By default ``fsync`` and ``synchronous_commit`` are off (:data:`TEST_SETTINGS`: a test server loses nothing a test
  needs when it is not killed); ``settings=`` overrides them (the benchmark runs with PostgreSQL's own defaults).
- Starting and stopping are bounded (``pg_ctl -w -t``); a server that does not start fails the fixture with the
  tail of its log.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

__all__ = ["TEST_SETTINGS", "PostgresServer", "PostgresServerError", "free_port", "postgres_bin", "running_postgres"]

POSTGRES_LIB = Path("/usr/lib/postgresql")  # Debian: one <version>/bin per installed server version
OS_USER = "postgres"  # the Debian package's system user, who owns the server's files
SUPERUSER = "postgres"
ROLE = "saleshome"
DATABASE = "saleshome"
START_TIMEOUT = 60  # seconds, for pg_ctl to see the server accept connections (about 1 s here)
STOP_TIMEOUT = 60  # seconds
COMMAND_TIMEOUT = 120  # seconds, for initdb and each pg_ctl call as a whole
PORT_ATTEMPTS = 3  # a port found free may be taken before the server binds it: try another
LOG_TAIL = 3000  # characters of the server log in a failure message
LISTEN = {"listen_addresses": "127.0.0.1"}
TEST_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


class PostgresServerError(RuntimeError):
    """The server could not be initialised, started or given its role and database."""


@dataclass(frozen=True)
class PostgresServer:
    """A running test server and the database and role made for the tests (the role may create databases)."""

    url: str  # postgresql+psycopg://user:password@127.0.0.1:port/database
    host: str
    port: int
    user: str
    password: str
    database: str
    directory: Path  # the server's temporary directory: data/, the unix socket, server.log


def postgres_bin() -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl`` of the newest installed PostgreSQL, if any."""
    found = [d for d in POSTGRES_LIB.glob("*/bin") if (d / "initdb").exists() and (d / "pg_ctl").exists()]
    versions = [(int(d.parent.name), d) for d in found if re.fullmatch(r"\d+", d.parent.name)]
    return max(versions)[1] if versions else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_owner(command: list[str]) -> list[str]:
    """``command`` run as the ``postgres`` user when the tests run as root (initdb and postgres refuse root)."""
    return ["runuser", "-u", OS_USER, "--", *command] if os.geteuid() == 0 else command


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _as_owner(command), cwd=cwd, capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False
    )


def _log_tail(log: Path) -> str:
    return log.read_text(errors="replace")[-LOG_TAIL:] if log.exists() else "(no server log)"


def _initdb(bin_dir: Path, root: Path) -> Path:
    data = root / "data"
    result = _run(
        [
            str(bin_dir / "initdb"),
            "-D",
            str(data),
            "-U",
            SUPERUSER,
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        ],
        cwd=root,
    )
    if result.returncode != 0:
        raise PostgresServerError(
            f"initdb failed (exit {result.returncode}):\n{result.stdout[-LOG_TAIL:]}\n{result.stderr[-LOG_TAIL:]}"
        )
    return data


def _start(bin_dir: Path, root: Path, data: Path, log: Path, settings: dict[str, str]) -> int:
    """Start the server on a free port and wait until it accepts connections; returns the port."""
    for _ in range(PORT_ATTEMPTS):
        port = free_port()
        options = " ".join([f"-p {port}", f"-k {root}", *(f"-c {k}={v}" for k, v in {**settings, **LISTEN}.items())])
        result = _run(
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(log),
                "-o",
                options,
                "-w",
                "-t",
                str(START_TIMEOUT),
                "start",
            ],
            cwd=root,
        )
        if result.returncode == 0:
            return port
        if "could not bind" not in _log_tail(log):
            break
    raise PostgresServerError(
        f"PostgreSQL did not start (pg_ctl exit {result.returncode}: {result.stdout.strip()} "
        f"{result.stderr.strip()}); the server log ends:\n{_log_tail(log)}"
    )


def _stop(bin_dir: Path, root: Path, data: Path) -> None:
    stop = [str(bin_dir / "pg_ctl"), "-D", str(data), "-w", "-t", str(STOP_TIMEOUT), "stop"]
    if _run([*stop, "-m", "fast"], cwd=root).returncode != 0:
        _run([*stop, "-m", "immediate"], cwd=root)


def _create_role_and_database(root: Path, port: int, password: str) -> None:
    """The tests' role (with a password; it may create databases) and its database, made by the superuser."""
    with psycopg.connect(host=str(root), port=port, user=SUPERUSER, dbname="postgres", autocommit=True) as admin:
        admin.execute(
            sql.SQL("CREATE ROLE {} LOGIN CREATEDB PASSWORD {}").format(sql.Identifier(ROLE), sql.Literal(password))
        )
        admin.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(DATABASE), sql.Identifier(ROLE)))


@contextmanager
def running_postgres(bin_dir: Path, settings: dict[str, str] | None = None) -> Iterator[PostgresServer]:
    """A PostgreSQL server (the binaries of ``bin_dir``) in a temporary directory, stopped and removed on exit;
    ``settings``: server parameters (default :data:`TEST_SETTINGS`; it always listens on 127.0.0.1 only)."""
    root = Path(tempfile.mkdtemp(prefix="saleshome-pg-"))
    try:
        if os.geteuid() == 0:
            shutil.chown(root, user=OS_USER, group=OS_USER)
        data = _initdb(bin_dir, root)
        port = _start(bin_dir, root, data, root / "server.log", TEST_SETTINGS if settings is None else settings)
        try:
            password = secrets.token_urlsafe(16)  # URL-safe: goes into the URL as is
            _create_role_and_database(root, port, password)
            yield PostgresServer(
                url=f"postgresql+psycopg://{ROLE}:{password}@127.0.0.1:{port}/{DATABASE}",
                host="127.0.0.1",
                port=port,
                user=ROLE,
                password=password,
                database=DATABASE,
                directory=root,
            )
        finally:
            _stop(bin_dir, root, data)
    finally:
        shutil.rmtree(root, ignore_errors=True)
