"""Opening DuckDB files when other processes may hold them.

DuckDB lets one process at a time open a file for writing.  An org's warehouse is written by its
sync and read by evaluations, list views and analysts in other processes, so every opening waits
for the lock (bounded, with backoff) instead of failing.  (Control state is not in DuckDB: see
:mod:`saleshome.warehouse.control`.)

Opening a file for writing creates what is missing privately (:mod:`saleshome.private`): its
directories 0700, and the database with its ``.wal`` 0600, whatever the process umask was.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import duckdb

from saleshome.errors import RetriableError
from saleshome.private import private_dir


def is_lock_error(exc: duckdb.Error) -> bool:
    text = str(exc).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text)


def open_duckdb(path: Path, *, timeout: float, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open ``path``, waiting up to ``timeout`` seconds while another process holds it.

    What it creates is private (its directories 0700; the file and its write-ahead log 0600).
    """
    private_dir(path.parent)  # narrows the umask too: DuckDB creates the file and its .wal itself
    deadline = time.monotonic() + timeout
    delay = 0.02
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if not is_lock_error(exc):
                raise
            if time.monotonic() >= deadline:
                raise RetriableError(
                    f"{path.name} stayed locked by another process for {timeout:.0f}s",
                    hint="another sync or command is using it; retry when it finishes",
                ) from None
        time.sleep(delay * (1 + random.random()))
        delay = min(delay * 2, 0.5)
