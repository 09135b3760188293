"""Who holds a control-store row: a process, named by its host and pid, under a lease.

Sync runs (:mod:`saleshome.sync.runs`) and outbox claims (:mod:`.outbox`) both name the process
that holds them, so that a reader can tell a dead holder from a busy one: the lease passed, or
the holder ran on this host and its process is gone (:func:`process_alive`).

- ``host`` is ``socket.gethostname()``: processes that share a store from several machines or
  containers must have distinct host names (containers do by default), else a live holder on
  another one could look gone.
- A pid reused by a new process makes a dead holder look alive: its lease still ends it.
"""

from __future__ import annotations

import os
import socket

__all__ = ["process_alive", "this_host"]


def this_host() -> str:
    return socket.gethostname()


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this host (one owned by another user counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
