"""An interrupted initial sync resumes from its last committed time slice, and ends as an exact copy."""

from __future__ import annotations

import duckdb
import pytest

from saleshome.config import Settings, load_settings
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from saleshome.sync.engine import sync_org
from saleshome.warehouse.control import control_db

from .conftest import assert_same_as_org, change_log_duplicates, our_rows

OBJ = "Opportunity"


class Interrupted(Exception):
    """Stands for the process dying between two windows."""


def _cursor(settings: Settings) -> tuple[object, bool] | None:
    with duckdb.connect(str(settings.org_db("acme")), read_only=True) as db:
        row = db.execute("SELECT cursor, initial_done FROM cursors WHERE object = ?", [OBJ]).fetchone()
    return None if row is None else (row[0], bool(row[1]))


def test_an_interrupted_initial_sync_resumes_from_its_saved_cursor(org: tuple[Settings, SalesforceSandbox]) -> None:
    _, sandbox = org
    assert sandbox.store is not None
    total = int(sandbox.store.read(f'SELECT count(*) AS n FROM "{OBJ}"').column("n")[0].as_py())
    settings = load_settings(bulk_threshold=400, chunk_rows=250, reconcile_hours=1e6)
    windows_done: list[int] = []

    def stop_after_two_windows(obj: str, done: int, expected: int) -> None:
        if done > 0:
            windows_done.append(done)
        if len(windows_done) == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        sync_org(control_db(settings), settings, "acme", objects=[OBJ], progress=stop_after_two_windows)
    state = _cursor(settings)
    assert state is not None
    saved, initial_done = state
    assert saved is not None and not initial_done  # two slices committed, the initial sync not done
    _, kept = our_rows(settings, "acme", OBJ)
    assert 0 < len(kept) < total

    resumed = sync_org(control_db(settings), settings, "acme", objects=[OBJ])
    assert resumed.status == "completed" and resumed.kind == "initial"
    result = resumed.objects[0]
    assert result.cursor_before == saved  # it starts from the saved cursor ...
    # ... re-reading only the lookback before it, not the committed slices
    assert result.rows_read < total and result.rows_read <= total - len(kept) + 50, (result.rows_read, len(kept))
    assert result.windows >= 2 and result.inserted == total - len(kept)
    state = _cursor(settings)
    assert state is not None and state[1]
    assert_same_as_org(settings, "acme", sandbox, [OBJ])
    assert change_log_duplicates(settings, "acme") == 0
    with duckdb.connect(str(settings.org_db("acme")), read_only=True) as db:
        flags = db.execute("SELECT DISTINCT initial FROM change_log").fetchall()
        logged = db.execute("SELECT count(DISTINCT record_id) FROM change_log WHERE operation = 'insert'").fetchone()
    assert flags == [(True,)]  # the resumed part is still the silent initial sync
    assert logged == (total,)
