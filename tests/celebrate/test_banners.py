"""Banners and messages at their edges: too late to set, no admin token, several celebration
channels, and housekeeping that leaves alone what is no longer ours or still valid.

Real clients over HTTP(S) as in ``test_celebrations.py``: simple-salesforce syncs the Salesforce
sandbox, slack-sdk talks to the Slack sandbox.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk import WebClient

import tasks.celebrate as celebrate_tasks
from saleshome.celebrate import apply_banners, clear_expired_banners, recent_celebrations
from saleshome.celebrate.banner import EXPIRED, admin_client
from saleshome.config import load_settings
from saleshome.errors import ConfigurationError
from saleshome.sandbox.slack.messages import MessageRecord
from saleshome.settings.changes import set_celebrations
from saleshome.warehouse.control import control_db

from .conftest import HOUR, Celebrations

pytestmark = pytest.mark.integration

WINDOW = timedelta(hours=72)


def _ms(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=moment.microsecond // 1000 * 1000)


def _mine(cel: Celebrations, channel: str) -> list[MessageRecord]:
    """This test's celebration messages in ``channel`` (the Slack sandbox is shared by the session)."""
    keys = {o["key"] for o in cel.outbox("celebration")}
    return [
        m for m in cel.slack.messages(channel) if ((m.metadata or {}).get("event_payload") or {}).get("key") in keys
    ]


def test_a_banner_applied_after_the_72_hours_is_skipped_as_expired(cel: Celebrations) -> None:
    owner, [deal] = cel.deals(1)
    assert owner.slack_id is not None
    signed = _ms(cel.win(deal))
    summary = cel.celebrate(cel.sync())  # detected in time: the banner is queued
    assert (summary.celebrated, summary.banners) == (1, 1)
    assert [b["state"] for b in cel.outbox("banner")] == ["pending"]

    stats = apply_banners(control_db(cel.settings), cel.settings, signed + WINDOW + timedelta(seconds=1))  # the executor ran too late
    assert (stats.set, stats.unchanged, stats.skipped, stats.failed) == (0, 0, 1, 0)
    assert stats.reasons == {EXPIRED: 1}
    assert cel.status(owner.slack_id) == ("", "", 0)
    [row] = cel.celebrations()
    assert (row["banner_state"], row["banner_reason"]) == ("skipped", EXPIRED)
    [banner] = cel.outbox("banner")
    assert (banner["state"], banner["last_error"]) == ("blocked", EXPIRED)
    assert apply_banners(control_db(cel.settings), cel.settings).set == 0  # never retried
    assert cel.status(owner.slack_id) == ("", "", 0)


def test_without_an_admin_token_banners_stay_queued(
    cel: Celebrations, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    owner, [deal] = cel.deals(1)
    assert owner.slack_id is not None
    cel.win(deal)
    cel.celebrate(cel.sync())
    monkeypatch.delenv("SALESHOME_SLACK_ADMIN_TOKEN")
    settings = load_settings()
    assert settings.slack_admin_token is None

    with pytest.raises(ConfigurationError) as refused:
        admin_client(settings)
    assert "no Slack admin token" in str(refused.value) and "SALESHOME_SLACK_ADMIN_TOKEN" in str(refused.value.hint)
    with pytest.raises(ConfigurationError):
        apply_banners(control_db(settings), settings)
    assert [b["state"] for b in cel.outbox("banner")] == ["pending"]  # nothing claimed

    # The flow's task says so and returns None; the message still goes out, the banner waits for a token.
    monkeypatch.setattr(celebrate_tasks, "get_run_logger", lambda: logging.getLogger("test.banners"))
    with caplog.at_level(logging.WARNING, logger="test.banners"):
        assert celebrate_tasks.apply_celebration_banners.fn() is None
    assert [r.getMessage() for r in caplog.records] == [celebrate_tasks.NO_ADMIN_TOKEN]
    cel.publish()
    assert len(_mine(cel, cel.channel)) == 1
    assert [b["state"] for b in cel.outbox("banner")] == ["pending"]
    assert cel.status(owner.slack_id) == ("", "", 0)
    assert cel.celebrations()[0]["banner_state"] == "pending"


def test_each_celebration_channel_gets_the_message_once_with_its_permalink(cel: Celebrations) -> None:
    set_celebrations(cel.ctx, cel.people.sales_admin, channels=["#deals-won", "#sales"])
    sales = cel.slack.channel_id("sales")
    _, [deal] = cel.deals(1)
    cel.win(deal)
    summary = cel.celebrate(cel.sync())
    assert (summary.celebrated, summary.messages) == (1, 2)
    assert len(cel.outbox("celebration")) == 2

    cel.publish()
    cel.publish()  # a second pass sends nothing again
    won, general = _mine(cel, cel.channel), _mine(cel, sales)
    assert len(won) == 1 and len(general) == 1
    assert won[0].text == general[0].text and "just won" in won[0].text
    assert {o["state"] for o in cel.outbox("celebration")} == {"sent"}
    assert {o["sent_channel"] for o in cel.outbox("celebration")} == {cel.channel, sales}

    [shared] = recent_celebrations(cel.control)
    links = shared["permalinks"]
    assert len(links) == 2 and len(set(links)) == 2
    for message in (won[0], general[0]):
        assert sum(link.endswith("p" + message.ts.replace(".", "")) for link in links) == 1
    assert shared["message_states"] == ["sent", "sent"]


def test_housekeeping_leaves_a_status_the_member_set_after_our_banner(cel: Celebrations) -> None:
    assert cel.slack.info is not None
    member = cel.member_token_user
    _, [deal] = cel.deals(1, slack_user=member)
    signed = _ms(cel.win(deal))
    cel.celebrate(cel.sync())
    assert apply_banners(control_db(cel.settings), cel.settings).set == 1
    assert cel.status(member)[1] == ":tada:"
    own = WebClient(token=cel.slack.info.member_token, base_url=cel.slack.info.api_url)
    own.users_profile_set(profile={"status_text": "In a meeting", "status_emoji": ":calendar:"})

    stats = clear_expired_banners(control_db(cel.settings), cel.settings, signed + WINDOW + HOUR)
    assert (stats.checked, stats.cleared, stats.gone, stats.kept) == (1, 0, 1, 0)
    assert cel.status(member) == ("In a meeting", ":calendar:", 0)
    again = clear_expired_banners(control_db(cel.settings), cel.settings, signed + WINDOW + 2 * HOUR)
    assert again.checked == 0  # settled once: not asked again
    assert cel.status(member) == ("In a meeting", ":calendar:", 0)


def test_housekeeping_keeps_a_later_banner_until_its_own_expiry(cel: Celebrations) -> None:
    owner, (first, second) = cel.deals(2)
    assert owner.slack_id is not None
    cel.set(first, {"Name": "First deal"})
    cel.set(second, {"Name": "Second deal"})
    one = _ms(cel.win(first))
    cel.celebrate(cel.sync())
    assert apply_banners(control_db(cel.settings), cel.settings).set == 1
    assert "First deal" in cel.status(owner.slack_id)[0]
    cel.advance(2 * 3600)
    two = _ms(cel.win(second))
    cel.celebrate(cel.sync())
    assert apply_banners(control_db(cel.settings), cel.settings).set == 1
    shown = cel.status(owner.slack_id)
    assert "Second deal" in shown[0] and shown[2] == int((two + WINDOW).timestamp())

    first_expiry = clear_expired_banners(control_db(cel.settings), cel.settings, one + WINDOW + HOUR / 2)
    assert (first_expiry.checked, first_expiry.cleared, first_expiry.gone, first_expiry.kept) == (1, 0, 0, 1)
    assert cel.status(owner.slack_id) == shown  # the second banner is still there

    after_second = clear_expired_banners(control_db(cel.settings), cel.settings, two + WINDOW + HOUR / 2)
    assert (after_second.checked, after_second.cleared, after_second.gone, after_second.kept) == (1, 1, 0, 0)
    assert cel.status(owner.slack_id) == ("", "", 0)
    rerun = clear_expired_banners(control_db(cel.settings), cel.settings, two + WINDOW + HOUR)
    assert (rerun.checked, rerun.cleared) == (0, 0)
