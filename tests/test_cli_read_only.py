"""Commands that only read (status, listings, show, export, stats, audit, dry runs) never create a Sales Home:
pointed at a directory that does not exist, they say so and leave it absent."""

from __future__ import annotations

import secrets
from pathlib import Path

import psycopg
import pytest

from saleshome.warehouse.control import close_all
from tests.fixtures.cli import run_cli
from tests.fixtures.control import ControlDatabases

READ_ONLY = (
    ("status",), ("org", "list"), ("outbox", "list"), ("outbox", "list", "--state", "dead"),
    ("workspace", "show"), ("roles", "list"), ("lists", "list"), ("lists", "views", "acme", "Opportunity"),
    ("lists", "show", "acme", "Opportunity"), ("layouts", "show", "acme", "Opportunity"), ("restrictions", "show"),
    ("celebrations", "show"), ("settings", "show"), ("settings", "export"), ("settings", "audit"),
    ("notifications", "list"), ("notifications", "show", "big-deals"), ("notifications", "stats"),
    ("settings", "import", "{doc}", "--dry-run", "--as", "U0ADMIN"),
)


@pytest.mark.parametrize("args", READ_ONLY, ids=" ".join)
def test_read_only_commands_never_create_a_home(args: tuple[str, ...], tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "no-such-home"
    doc = tmp_path / "sales-home.yaml"
    doc.write_text("restrictions: {include_external: false}\n")
    monkeypatch.setenv("SALESHOME_HOME", str(home))
    code, out, err = run_cli(monkeypatch, capsys, *(a.format(doc=doc) for a in args))
    assert code == 1 and out == "", (code, out, err)
    assert err.startswith(f"error: no Sales Home at {home} (that directory does not exist); nothing to show\n"), err
    assert "hint: set SALESHOME_HOME" in err
    assert not home.exists()


def test_a_home_without_its_control_database_is_not_completed_by_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SALESHOME_HOME", str(tmp_path))
    code, _, err = run_cli(monkeypatch, capsys, "status")
    assert code == 1 and "it holds no control store" in err
    assert list(tmp_path.iterdir()) == []


def test_on_postgresql_a_read_never_creates_the_control_store_in_an_empty_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    control_databases: ControlDatabases,
) -> None:
    database = f"empty_{secrets.token_hex(4)}"
    control_databases.create(database)
    try:
        url = control_databases.url(database)
        monkeypatch.setenv("SALESHOME_HOME", str(tmp_path))
        monkeypatch.setenv("SALESHOME_DATABASE_URL", url)
        for args in (("status",), ("org", "list"), ("settings", "export"), ("notifications", "list")):
            code, out, err = run_cli(monkeypatch, capsys, *args)
            assert code == 1 and out == "", (args, code, out, err)
            assert "no Sales Home in postgresql+psycopg://" in err and "(the database holds no control store)" in err
            assert control_databases.server.password not in err
        close_all()
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
            tables = conn.execute("SELECT count(*) FROM information_schema.tables "
                                  "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')").fetchone()
        assert tables == (0,)
        assert list(tmp_path.iterdir()) == []
    finally:
        close_all()
        control_databases.drop(database)
