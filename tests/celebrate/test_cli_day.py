"""A day operated with the CLI alone (no Prefect): sync, publish, digest, housekeeping.

Every step goes through the console script (``tests/fixtures/cli.py``) against the Salesforce and
Slack sandboxes, with the example settings (five notifications, a daily wins digest) and
celebrations on.  The day must end with nothing left to send: every message posted once, the
banner on the owner's Slack profile (read back with ``users.profile.get``), the celebration
messages' permalinks stored, the digests delivered.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import pytest
from slack_sdk import WebClient

from saleshome.notify.digest import due_period
from saleshome.publish.publisher import METADATA_EVENT
from saleshome.settings.apply import import_yaml
from tests.fixtures.cli import run_cli
from tests.fixtures.sandboxes import sandbox_control, settle
from tests.fixtures.workspace import ALIAS

from .conftest import Celebrations

pytestmark = pytest.mark.integration
EXAMPLE = Path(__file__).parents[2] / "examples" / "sales-home.yaml"


def _saleshome(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """``saleshome ARGS`` must succeed; its output with runs of spaces folded (rich wraps long lines)."""
    code, out, err = run_cli(monkeypatch, capsys, *args)
    assert code == 0, out + err
    return " ".join((out + err).split())


def _sent_keys(cel: Celebrations) -> list[str]:
    return [str(((m.metadata or {}).get("event_payload") or {}).get("key"))
            for m in cel.slack.messages(event_type=METADATA_EVENT) if not m.deleted]


def test_a_day_with_the_cli_alone_delivers_everything(
    cel: Celebrations, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    assert cel.slack.info is not None
    import_yaml(cel.ctx, cel.people.sales_admin, EXAMPLE.read_text().replace("  demo-org:", f"  {ALIAS}:"))
    owner, [deal] = cel.deals(1)
    assert owner.slack_id is not None
    cel.win(deal)
    sandbox_control(cel.sf, "simulate", {"changes": 150, "seed": 41})  # the rest of the org's morning
    settle(cel.sf, cel.settings)

    # sync: notifications, celebrations, banners and digest items queued, nothing sent
    out = _saleshome(monkeypatch, capsys, "sync", "--org", ALIAS)
    assert f"{ALIAS}: celebrations: " in out and "celebrated" in out
    queued = {r["kind"] for r in cel.control.rows("SELECT kind FROM outbox WHERE state = 'pending'")}
    assert {"notification", "celebration", "banner"} <= queued
    assert cel.control.rows("SELECT count(*) AS n FROM digest_items WHERE digest_key IS NULL")[0]["n"] > 0
    before = set(_sent_keys(cel))

    # publish: every kind the outbox holds, banners included; permalinks stored; what waits is named
    out = _saleshome(monkeypatch, capsys, "outbox", "publish")
    assert "already sent (confirmed in Slack history) 0" in out and "found already sent" not in out
    [celebration] = [c for c in cel.celebrations() if c["opportunity_id"] == deal]
    assert celebration["banner_state"] == "set"
    banners = cel.control.rows("SELECT count(*) AS n FROM outbox WHERE kind = 'banner' AND state = 'sent'")[0]["n"]
    assert f"banners: {banners} set, " in out and banners >= 1
    messages = cel.outbox("celebration")
    assert f"permalinks: {len(messages)} stored" in out
    assert all(m["state"] == "sent" and str(m["permalink"]).startswith("http") for m in messages)
    assert "`saleshome digest`" in out  # the wins digest waits for its owners' hour
    latest = max((c for c in cel.celebrations() if c["slack_user_id"] == owner.slack_id),
                 key=lambda c: cast(datetime, c["signed_at"]))  # the simulated morning may have won them another deal
    shown = (latest["status_text"], latest["status_emoji"])
    admin = WebClient(token=cel.slack.info.admin_token, base_url=cel.slack.info.api_url)
    profile = admin.users_profile_get(user=owner.slack_id)["profile"]
    assert (profile["status_text"], profile["status_emoji"]) == shown

    # digest, as of the first hour at which a waiting recipient's local digest hour has come
    waiting = cel.control.rows("SELECT DISTINCT recipient, schedule, tz FROM digest_items WHERE digest_key IS NULL")
    moment = next(m for m in (datetime.now(UTC) + timedelta(hours=h) for h in range(25))
                  if any(due_period(w["schedule"], w["tz"], m) for w in waiting))
    out = _saleshome(monkeypatch, capsys, "digest", "--now", moment.isoformat())
    digests = cel.outbox("digest")
    assert digests and f"digests: {len(digests)} queued" in out
    assert all(d["state"] == "sent" for d in digests)

    # housekeeping: no banner has expired yet; the dead letters are reported
    out = _saleshome(monkeypatch, capsys, "housekeeping")
    assert "banner expiry: 0 checked" in out and "dead letters: " in out

    # the day ends with nothing left to send, each message posted once, the banner still shown
    left = cel.control.rows("SELECT key, kind, state FROM outbox WHERE state IN ('pending', 'sending')")
    assert left == []
    sent = cel.control.rows("SELECT key FROM outbox WHERE kind <> 'banner' AND state = 'sent'")
    keys = [k for k in _sent_keys(cel) if k not in before]
    assert sorted(keys) == sorted(r["key"] for r in sent)
    out = _saleshome(monkeypatch, capsys, "status")
    assert "pending" not in out and "sending" not in out
    assert admin.users_profile_get(user=owner.slack_id)["profile"]["status_text"] == shown[0]


def test_publish_says_which_kinds_it_leaves_and_what_sends_them(
    cel: Celebrations, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    owner, [deal] = cel.deals(1)
    assert owner.slack_id is not None
    cel.win(deal)
    cel.celebrate(cel.sync())
    monkeypatch.delenv("SALESHOME_SLACK_ADMIN_TOKEN")

    out = _saleshome(monkeypatch, capsys, "outbox", "publish")  # no admin token: the message goes, the banner waits
    assert "banners: none set: no Slack admin token (SALESHOME_SLACK_ADMIN_TOKEN)" in out
    assert ("note: 1 banner(s) left queued: no Slack admin token; set SALESHOME_SLACK_ADMIN_TOKEN, then "
            "`saleshome outbox publish` sets them") in out
    assert "nothing left to send" not in out
    assert [m["state"] for m in cel.outbox("celebration")] == ["sent"]
    assert [b["state"] for b in cel.outbox("banner")] == ["pending"]
    assert cel.status(owner.slack_id) == ("", "", 0)

    assert cel.slack.info is not None
    monkeypatch.setenv("SALESHOME_SLACK_ADMIN_TOKEN", cel.slack.info.admin_token)
    out = _saleshome(monkeypatch, capsys, "outbox", "publish")
    assert "messages: sent 0, " in out and "banners: 1 set, " in out and "Outbox: nothing left to send." in out
    [celebration] = cel.celebrations()
    assert cel.status(owner.slack_id)[:2] == (celebration["status_text"], celebration["status_emoji"])


def test_digest_refuses_a_time_it_cannot_read_before_opening_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SALESHOME_HOME", str(tmp_path / "home"))
    code, _, err = run_cli(monkeypatch, capsys, "digest", "--now", "tomorrow at nine")
    assert code == 2 and "'tomorrow at nine' is not an ISO 8601 time" in " ".join(err.split())
    assert not (tmp_path / "home").exists()
