"""Sales Home's state is readable by its owner only, whatever umask the process started with.

Invariants:
- every directory Sales Home creates under the home (the home itself, ``orgs/``, ``staging/``
  and below) is 0700; every file it creates there is 0600: the control database, each org's
  warehouse, their write-ahead logs (``.wal``) and spill files (``.tmp/``), staged result files;
- modes are only ever narrowed, never widened; what exists already is left as it is (a home
  made by an older version: ``chmod -R go= "$SALESHOME_HOME"`` once).

DuckDB creates its files itself, and the ``.wal`` again after every checkpoint, with the mode
the process umask leaves, so no chmod after the fact can hold.  A process that writes under the
home therefore first narrows its umask to owner-only (:func:`owner_only_umask`: it removes group
and other bits, keeps the rest, for the rest of the process); the directories and files Sales
Home creates itself get their modes explicitly as well.
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
_GROUP_AND_OTHER = 0o077

__all__ = ["PRIVATE_DIR", "PRIVATE_FILE", "owner_only_umask", "private_dir", "private_opener"]


def owner_only_umask() -> None:
    """Narrow the process umask so that files created from now on are readable by their owner only."""
    previous = os.umask(_GROUP_AND_OTHER)  # os.umask sets and returns: restore what was there, narrowed
    os.umask(previous | _GROUP_AND_OTHER)


def private_dir(path: Path) -> Path:
    """``path`` as a directory: created with its missing parents, each 0700 (existing ones left as they are)."""
    owner_only_umask()
    missing: list[Path] = []
    current = path
    while not current.is_dir():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:
            continue  # another process made it meanwhile (made private as well)
        os.chmod(directory, PRIVATE_DIR)
    return path


def private_opener(path: str, flags: int) -> int:
    """An ``opener`` for :func:`open` that creates the file 0600: ``open(path, "wb", opener=private_opener)``."""
    return os.open(path, flags, PRIVATE_FILE)
