"""Honest dry runs and listings: a dry run names deleted notifications and field-level changes (key order
never makes a diff); listings read well at 80 columns (nothing cut, booleans as yes/no); `outbox list` is a
table with known states only; `notifications show` and the export say who receives what, and when."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from saleshome.settings.context import SettingsContext
from saleshome.warehouse.outbox import OutboxMessage, Outcome, claim, enqueue, idempotency_key, record
from tests.fixtures.cli import run_cli
from tests.fixtures.workspace import ALIAS, People

from .test_import_export import example_for

pytestmark = pytest.mark.integration

LONG_ERROR = ("channel_not_found: the channel was archived or the Sales Home app was removed from it; "
              "invite the app again and retry")


def _cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code, out, err = run_cli(monkeypatch, capsys, *args)
    assert code == 0, (args, out, err)
    return out


@pytest.fixture()
def example(ready: SettingsContext, people: People, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
            capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """The example settings applied; returns the exported document (parsed)."""
    path = tmp_path / "example.yaml"
    path.write_text(example_for())
    _cli(monkeypatch, capsys, "settings", "import", str(path), "--as", people.sales_admin)
    return yaml.safe_load(_cli(monkeypatch, capsys, "settings", "export"))  # type: ignore[no-any-return]


def _reversed_keys(value: Any, path: str = "") -> Any:
    """``value`` with the keys of every mapping in reverse order (not the objects of `lists`: their order
    is what Sales Home shows)."""
    if isinstance(value, dict):
        items = list(value.items()) if path.endswith(".lists") else list(reversed(value.items()))
        return {k: _reversed_keys(v, f"{path}.{k}") for k, v in items}
    if isinstance(value, list):
        return [_reversed_keys(v, path) for v in value]
    return value


def test_a_dry_run_names_deleted_notifications_and_field_level_changes(
    example: dict[str, Any], people: People, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "doc.yaml"
    path.write_text(yaml.safe_dump(_reversed_keys(example), sort_keys=False))
    same = _cli(monkeypatch, capsys, "settings", "import", str(path), "--dry-run", "--as", people.sales_admin)
    assert "No change" in same, same

    doc = _reversed_keys(example)
    notifications = doc["orgs"][ALIAS]["notifications"]
    del notifications["wins-digest"]
    big = notifications["big-deals"]
    big["options"] = {"value": 250000, **{k: v for k, v in big["options"].items() if k != "value"}}
    notifications["close-date-slips"]["recipients"]["manager"] = False
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    dry = _cli(monkeypatch, capsys, "settings", "import", str(path), "--dry-run", "--as", people.sales_admin)
    assert dry.splitlines() == [
        f"orgs.{ALIAS}.notifications:",
        "  ~ big-deals",
        "      options.value: 100000 → 250000",
        "  ~ close-date-slips",
        "      recipients.manager: true → false",
        "  - wins-digest (deleted)",
        "Dry run: 3 change(s) would be applied; nothing was changed.",
    ], dry


def _outbox(ctx: SettingsContext) -> list[str]:
    keys = [idempotency_key("listing", i) for i in range(3)]
    with ctx.control.transaction() as db:
        enqueue(db, [OutboxMessage(k, kind, "C0SALES0001", "text") for k, kind in
                     zip(keys, ("notification", "celebration", "digest"), strict=True)])
    claim(ctx.control, limit=10, now=datetime.now(UTC))
    record(ctx.control, [Outcome(keys[0], "dead", error=LONG_ERROR), Outcome(keys[1], "sent", ts="1.2")])
    return keys


def _readable(out: str, *values: str, abbreviated: bool = False) -> None:
    """``out`` fits 80 columns, cuts nothing (``abbreviated``: but the long values it abbreviates on purpose),
    shows booleans as yes/no, and shows each of ``values`` whole on one line."""
    assert all(len(line) <= 80 for line in out.splitlines()), "\n" + out
    assert (abbreviated or "…" not in out) and "True" not in out and "False" not in out, "\n" + out
    for value in values:
        assert value in out, (value, "\n" + out)


def test_listings_read_well_at_80_columns(
    example: dict[str, Any], ready: SettingsContext, people: People, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    keys = _outbox(ready)
    _cli(monkeypatch, capsys, "notifications", "disable", "big-deals", "--as", people.sales_admin)
    monkeypatch.setenv("COLUMNS", "80")
    stats = _cli(monkeypatch, capsys, "notifications", "stats")
    _readable(stats, "close-date-slips", "delivered", "pending", "last fired", "matched")
    assert " yes" in stats and " no" in stats and "not member" not in stats  # --wide only
    wide = _cli(monkeypatch, capsys, "notifications", "stats", "--wide")
    _readable(wide, "close-date-slips", "not member", "last 7d", "unmapped", "blocked")
    _readable(_cli(monkeypatch, capsys, "notifications", "list"), "close-date-slips", "threshold_crossed",
              "daily@09", "disabled")
    _readable(_cli(monkeypatch, capsys, "notifications", "templates"), "threshold_crossed", "upcoming_date")
    _readable(_cli(monkeypatch, capsys, "outbox", "list"), *keys, "celebration", "notification")
    audit = _cli(monkeypatch, capsys, "settings", "audit")
    _readable(audit, "settings.import", "notifications.disable", f"orgs.{ALIAS}.notifications.big-deals.enabled",
              people.sales_admin, abbreviated=True)
    _readable(_cli(monkeypatch, capsys, "housekeeping"), keys[0], "channel_not_found:")
    for args in (("org", "list"), ("roles", "list"), ("lists", "list"), ("restrictions", "show"),
                 ("celebrations", "show"), ("workspace", "show")):
        _readable(_cli(monkeypatch, capsys, *args))


def test_outbox_list_is_a_table_of_known_states(
    ready: SettingsContext, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    keys = _outbox(ready)
    listed = _cli(monkeypatch, capsys, "outbox", "list")  # COLUMNS=200
    header = next(line for line in listed.splitlines() if "key" in line)
    assert [c.strip() for c in header.strip("┃ ").split("┃")] == [
        "key", "kind", "channel", "state", "attempts", "created", "last error"]
    assert all(k in listed for k in keys) and "channel_not_found" in listed
    dead = _cli(monkeypatch, capsys, "outbox", "list", "--state", "dead")
    assert keys[0] in dead and keys[1] not in dead and keys[2] not in dead
    code, out, err = run_cli(monkeypatch, capsys, "outbox", "list", "--state", "failed")
    assert code == 2 and out == "" and "'failed' is not one of" in err
    assert all(f"'{s}'" in err for s in ("pending", "sending", "sent", "dead", "blocked")), err


def test_show_and_export_say_who_receives_what_and_when(
    ready: SettingsContext, people: People, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    _cli(monkeypatch, capsys, "notifications", "create", "closed", "--org", ALIAS, "--template", "deal_closed",
         "--as", people.sales_admin)
    _cli(monkeypatch, capsys, "notifications", "create", "daily", "--org", ALIAS, "--template", "deal_closed",
         "--digest", "daily@9", "--to", "manager", "--as", people.sales_admin)
    shown = yaml.safe_load(_cli(monkeypatch, capsys, "notifications", "show", "closed"))
    assert shown["object"] == "Opportunity" and shown["options"] == {"outcome": "any"}
    assert shown["recipients"] == {"owner": True, "manager": False, "channels": [], "users": []}
    assert shown["delivery"] == {"mode": "immediate"}
    daily = yaml.safe_load(_cli(monkeypatch, capsys, "notifications", "show", "daily"))
    assert daily["delivery"] == {"mode": "digest", "frequency": "daily", "hour": 9}
    assert daily["recipients"] == {"owner": False, "manager": True, "channels": [], "users": []}
    exported = yaml.safe_load(_cli(monkeypatch, capsys, "settings", "export"))["orgs"][ALIAS]["notifications"]
    assert exported == {"closed": shown, "daily": daily}


def test_status_reads_well_at_80_columns(
    ready: SettingsContext, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    from saleshome.sync.engine import sync_org

    assert sync_org(ready.control, ready.settings, ALIAS).status == "completed"
    keys = _outbox(ready)
    monkeypatch.setenv("COLUMNS", "80")
    status = _cli(monkeypatch, capsys, "status")
    _readable(status, "Opportunity", "OpportunityHistory", keys[0], "channel_not_found:")
