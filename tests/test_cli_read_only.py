"""Commands that only read (status, listings, show, export, stats, audit, dry runs) never create a Sales Home:
pointed at a directory that does not exist, they say so and leave it absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.cli import run_cli

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
