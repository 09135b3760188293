"""One sync in a process of its own, for the crash tests: ``python sync_child.py ALIAS [options]``.

The child prints ``syncing`` once its imports are done (from there on a kill lands inside the
sync), then its run's status at the end; it exits 0 only when the run completed.

``--report``: the sync's own progress callback (``sync_org(progress=...)``, what the CLI's progress
bar uses) prints every event it reports, one line ``event <object> <done> <total>``, and then waits
for ``go`` on stdin before the sync goes on.  The sync reports an object's start (``done`` 0, after
its table is evolved) and each window it committed, or the object's end when it had no window:
at least two events per object.  While the parent reads an event the sync stands still right after
what it reports, so the parent can SIGKILL it exactly there, or answer ``go`` and kill it later.
Events from the loader threads come one at a time (a lock around report and answer).
"""

from __future__ import annotations

import argparse
import sys
import threading

from saleshome.config import load_settings
from saleshome.sync.engine import sync_org
from saleshome.sync.results import Progress
from saleshome.warehouse.control import control_db


def held_progress() -> Progress:
    """A progress callback that reports each event on stdout and waits for the parent's ``go``."""
    lock = threading.Lock()

    def report(obj: str, done: int, total: int) -> None:
        with lock:
            sys.stdout.write(f"event {obj} {done} {total}\n")
            sys.stdout.flush()
            answer = sys.stdin.readline()
            if answer != "go\n":  # the parent went away (EOF) or lost its place: stop here, loudly
                raise SystemExit(f"sync_child: expected 'go' after event {obj} {done} {total}, got {answer!r}")

    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("alias")
    parser.add_argument("--bulk-threshold", type=int, required=True)
    parser.add_argument("--chunk-rows", type=int, required=True)
    parser.add_argument("--reconcile-hours", type=float, required=True)
    parser.add_argument("--report", action="store_true", help="report each progress event and wait for 'go'")
    args = parser.parse_args()
    settings = load_settings(bulk_threshold=args.bulk_threshold, chunk_rows=args.chunk_rows,
                             reconcile_hours=args.reconcile_hours)
    print("syncing", flush=True)
    result = sync_org(control_db(settings), settings, args.alias, progress=held_progress() if args.report else None)
    print(result.status, flush=True)
    return 0 if result.status == "completed" else 3


if __name__ == "__main__":
    sys.exit(main())
