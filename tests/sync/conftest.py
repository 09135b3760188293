"""Fixtures for sync tests: a sandbox org, a Sales Home home directory, an org connected to it; and helpers that
compare our copy with the org. (Driving the sandbox, connecting an org: ``tests/fixtures/sandboxes.py``.)"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from saleshome.config import Settings, load_settings
from saleshome.sandbox.salesforce.server import SalesforceSandbox
from tests.fixtures.sandboxes import connect_org


def _normal(value: Any) -> Any:
    if isinstance(value, Decimal):
        return round(float(value), 6)
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)).replace(tzinfo=None)
    if isinstance(value, list):
        return ";".join(value)
    return value


def org_rows(sandbox: SalesforceSandbox, obj: str, columns: list[str]) -> dict[str, dict[str, Any]]:
    """The sandbox org's records of ``obj`` (deleted ones included, as queryAll has them)."""
    assert sandbox.store is not None
    plain = [c for c in columns if "." not in c]
    table = sandbox.store.read(f'SELECT {", ".join(f"{chr(34)}{c}{chr(34)}" for c in plain)} FROM "{obj}"')
    return {r["Id"]: {c: _normal(r[c]) for c in plain} for r in table.to_pylist()}


def our_rows(settings: Settings, alias: str, obj: str) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """Our copy of ``obj`` and its live (not removed) columns."""
    with duckdb.connect(str(settings.org_db(alias)), read_only=True) as db:
        columns = [r[0] for r in db.execute(
            "SELECT name FROM columns WHERE object = ? AND removed_at IS NULL", [obj]).fetchall()]
        cur = db.execute(f'SELECT * FROM sf."{obj}"')
        names = [d[0] for d in cur.description or []]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    plain = [c for c in columns if "." not in c]
    return columns, {r["Id"]: {c: _normal(r[c]) for c in plain} for r in rows}


def assert_same_as_org(settings: Settings, alias: str, sandbox: SalesforceSandbox, objects: list[str]) -> None:
    """Every synced table equals the org's data exactly (full contents)."""
    for obj in objects:
        columns, ours = our_rows(settings, alias, obj)
        theirs = org_rows(sandbox, obj, columns)
        missing, extra = set(theirs) - set(ours), set(ours) - set(theirs)
        assert not missing and not extra, f"{obj}: {len(missing)} missing, {len(extra)} extra"
        different = [i for i in theirs if theirs[i] != ours[i]]
        assert not different, f"{obj}: {len(different)} records differ, e.g. {theirs[different[0]]} vs {ours[different[0]]}"


def change_log_duplicates(settings: Settings, alias: str) -> int:
    with duckdb.connect(str(settings.org_db(alias)), read_only=True) as db:
        row = db.execute(
            "SELECT count(*) FROM (SELECT object, record_id, system_modstamp, operation, field, count(*) AS n "
            "FROM change_log GROUP BY ALL HAVING n > 1)"
        ).fetchone()
    return int(row[0]) if row else -1


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("SALESHOME_HOME", str(tmp_path / "home"))
    yield load_settings(bulk_threshold=400, chunk_rows=3000, reconcile_hours=1e-6)


@pytest.fixture()
def org(home: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Settings, SalesforceSandbox]]:
    with SalesforceSandbox(seed=11, opportunities=1500) as sandbox:
        connect_org(home, sandbox, "acme", monkeypatch)
        yield home, sandbox


__all__ = ["os"]
