"""Won-deal celebrations end to end: Salesforce sandbox → sync → celebrate → outbox → publisher and banners → Slack sandbox.

Real clients over HTTP(S) everywhere (simple-salesforce for the sync, slack-sdk for the
publisher, the banners and the permalinks); the tests only reach into the sandboxes to make
changes in the org and to read what Slack shows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests
from slack_sdk import WebClient

from saleshome.celebrate import apply_banners, celebrate, clear_expired_banners, recent_celebrations
from saleshome.celebrate.banner import OWN_STATUS
from saleshome.celebrate.celebration import NO_SLACK_USER
from saleshome.sandbox.slack.messages import MessageRecord
from saleshome.settings.changes import set_celebrations, set_restrictions, set_won_stage
from saleshome.warehouse.control import control_db
from saleshome.warehouse.outbox import Claimer, claim

from .conftest import ALIAS, HOUR, Celebrations

pytestmark = pytest.mark.integration

WINDOW = timedelta(hours=72)


def _ms(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=moment.microsecond // 1000 * 1000)


def _mine(cel: Celebrations) -> list[MessageRecord]:
    """This test's messages in #deals-won (the Slack sandbox is shared by the session)."""
    keys = {o["key"] for o in cel.outbox("celebration")}
    return [m for m in cel.slack.messages(cel.channel)
            if ((m.metadata or {}).get("event_payload") or {}).get("key") in keys]


def _posted(cel: Celebrations) -> list[str]:
    return [m.text for m in _mine(cel)]


def test_a_won_deal_gets_a_shareable_message_and_a_three_day_banner(cel: Celebrations) -> None:
    owner, (won, signed_only) = cel.deals(2)
    assert owner.slack_id is not None
    initial = cel.control.rows("SELECT run_id FROM sync_runs WHERE kind = 'initial'")[0]["run_id"]
    assert cel.celebrate(initial).wins == 0  # the initial sync is silent

    cel.set(won, {"Name": "Big <!channel> & co", "Amount": 125000.5, "CurrencyIsoCode": "EUR"})
    cel.advance(60)
    signed = cel.win(won)
    cel.win(signed_only, "Contract Signed")  # not won: IsWon stays false
    cel.advance(3600)
    cel.set(won, {"Amount": 126000.0})  # edited after the win: SystemModstamp moves, the signature does not
    run = cel.sync()

    summary = cel.celebrate(run)
    assert (summary.wins, summary.celebrated, summary.banners, summary.messages) == (1, 1, 1, 1)
    [row] = cel.celebrations()
    assert row["opportunity_id"] == won and row["signed_at"] == _ms(signed)  # OpportunityHistory.CreatedDate
    assert row["expires_at"] == _ms(signed) + WINDOW and row["banner_state"] == "pending"

    cel.publish()
    [text] = _posted(cel)
    assert f"<@{owner.slack_id}> just won *Big &lt;!channel&gt; &amp; co*" in text and "€126,000.00" in text
    [message] = _mine(cel)
    assert f"/lightning/r/Opportunity/{won}/view" in str(message.blocks)
    assert [o["state"] for o in cel.outbox("banner")] == ["pending"]  # the publisher leaves banners alone
    [shared] = recent_celebrations(cel.control)
    assert shared["permalinks"] and shared["permalinks"][0].endswith(message.ts.replace(".", ""))

    stats = apply_banners(control_db(cel.settings), cel.settings)
    assert stats.set == 1
    text_, emoji, expiration = cel.status(owner.slack_id)
    assert text_.startswith(row["status_text"][:20]) and "Big <!channel> & co" in text_ and len(text_) <= 100
    assert (emoji, expiration) == (":tada:", int((_ms(signed) + WINDOW).timestamp()))
    assert cel.celebrations()[0]["banner_state"] == "set"
    assert cel.slack.info is not None
    session = requests.Session()
    session.trust_env = False
    page = session.get(f"{cel.slack.info.viewer_url}users/{owner.slack_id}", timeout=10).text
    assert 'class="status-text"' in page and "Big &lt;!channel&gt; &amp; co" in page  # the viewer shows it

    # Reruns produce nothing new: the same run (its changes are behind the watermark; and were the watermark
    # lost, the win is found again and known as celebrated), the next (empty) run, the banner executor again.
    outbox_before = len(cel.outbox())
    again = cel.celebrate(run)
    assert (again.wins, again.already, again.celebrated) == (0, 0, 0)
    with cel.control.transaction() as db:
        db.execute("DELETE FROM evaluation_watermarks WHERE step = 'celebrations'")
    again = cel.celebrate(run)
    assert (again.wins, again.already, again.celebrated) == (1, 1, 0)
    assert cel.celebrate(cel.sync()).wins == 0
    assert apply_banners(control_db(cel.settings), cel.settings).set == 0
    cel.publish()
    assert len(cel.outbox()) == outbox_before and len(_posted(cel)) == 1


def test_a_custom_won_stage_replaces_is_won(cel: Celebrations) -> None:
    set_won_stage(cel.ctx, cel.people.sales_admin, ALIAS, "Contract Signed")
    _, (signed, closed) = cel.deals(2)
    cel.win(signed, "Contract Signed")
    cel.win(closed, "Closed Won")
    summary = cel.celebrate(cel.sync())
    assert summary.wins == 1 and summary.opportunities == [signed]
    assert cel.celebrations()[0]["stage"] == "Contract Signed"


def test_the_72_hour_boundary(cel: Celebrations) -> None:
    _, (early, late) = cel.deals(2)
    signed = _ms(cel.win(early))
    just_before = cel.celebrate(cel.sync(), now=signed + WINDOW - timedelta(milliseconds=1))
    assert just_before.celebrated == 1 and just_before.too_late == 0

    signed = _ms(cel.win(late))
    just_after = cel.celebrate(cel.sync(), now=signed + WINDOW)
    assert (just_after.wins, just_after.too_late, just_after.celebrated) == (1, 1, 0)
    assert [c["opportunity_id"] for c in cel.celebrations()] == [early]
    assert len(cel.outbox()) == 2  # the early one's message and banner only


def test_a_deal_won_again_celebrates_again_only_after_three_days(cel: Celebrations) -> None:
    _, [deal] = cel.deals(1)
    first = _ms(cel.win(deal))
    assert cel.celebrate(cel.sync()).celebrated == 1

    cel.set(deal, {"StageName": "Negotiation/Review"})
    cel.advance(3600)
    cel.win(deal)
    soon = cel.celebrate(cel.sync())
    assert (soon.wins, soon.rewon_too_soon, soon.celebrated) == (1, 1, 0)

    cel.advance(3 * 24 * 3600 + 60)
    cel.set(deal, {"StageName": "Negotiation/Review"})
    cel.advance(60)
    second = _ms(cel.win(deal))
    later = cel.celebrate(cel.sync())
    assert later.celebrated == 1
    assert [c["signed_at"] for c in cel.celebrations()] == [first, second]


def test_an_owner_without_a_slack_account_gets_the_message_but_no_banner(cel: Celebrations) -> None:
    _, [deal] = cel.deals(1, matched=False)
    cel.win(deal)
    summary = cel.celebrate(cel.sync())
    assert (summary.celebrated, summary.banners, summary.no_slack_user) == (1, 0, 1)
    [row] = cel.celebrations()
    assert (row["banner_state"], row["banner_reason"], row["banner_key"]) == ("none", NO_SLACK_USER, None)
    cel.publish()
    [text] = _posted(cel)
    assert "<@" not in text and "just won" in text
    assert cel.outbox("banner") == []


def test_a_status_the_member_set_is_never_overwritten(cel: Celebrations) -> None:
    assert cel.slack.info is not None
    member = cel.member_token_user
    _, [deal] = cel.deals(1, slack_user=member)
    own = WebClient(token=cel.slack.info.member_token, base_url=cel.slack.info.api_url)
    own.users_profile_set(profile={"status_text": "On vacation", "status_emoji": ":palm_tree:"})
    cel.win(deal)
    cel.celebrate(cel.sync())
    cel.publish()
    stats = apply_banners(control_db(cel.settings), cel.settings)
    assert (stats.set, stats.skipped) == (0, 1)
    assert cel.status(member) == ("On vacation", ":palm_tree:", 0)
    [row] = cel.celebrations()
    assert (row["banner_state"], row["banner_reason"]) == ("skipped", OWN_STATUS)
    [banner] = cel.outbox("banner")
    assert (banner["state"], banner["last_error"]) == ("blocked", OWN_STATUS)
    assert len(_posted(cel)) == 1  # the message still goes out
    # Housekeeping never touches it either, however late.
    clear_expired_banners(control_db(cel.settings), cel.settings, datetime.now(UTC) + timedelta(days=30))
    assert cel.status(member) == ("On vacation", ":palm_tree:", 0)


def test_celebrations_switched_off_produce_nothing(cel: Celebrations) -> None:
    set_celebrations(cel.ctx, cel.people.sales_admin, enabled=False)
    _, [deal] = cel.deals(1)
    cel.win(deal)
    summary = cel.celebrate(cel.sync())
    assert not summary.enabled and summary.wins == 0
    assert cel.celebrations() == [] and cel.outbox() == []


def test_a_restricted_celebration_channel_gets_no_message_but_the_banner_shows(cel: Celebrations) -> None:
    set_restrictions(cel.ctx, cel.people.sales_admin, channel_types=["private", "direct"])  # #deals-won is public
    owner, [deal] = cel.deals(1)
    assert owner.slack_id is not None
    cel.win(deal)
    cel.celebrate(cel.sync())
    cel.publish()
    [message] = cel.outbox("celebration")
    assert message["state"] == "blocked" and "restricted" in str(message["last_error"])
    assert _posted(cel) == []
    apply_banners(control_db(cel.settings), cel.settings)
    assert cel.status(owner.slack_id)[1] == ":tada:"


def test_two_wins_for_one_owner_show_the_latest_until_the_latest_expiry(cel: Celebrations) -> None:
    owner, (first, second) = cel.deals(2)
    assert owner.slack_id is not None
    cel.set(first, {"Name": "First deal"})
    cel.set(second, {"Name": "Second deal"})
    one = _ms(cel.win(first))
    cel.celebrate(cel.sync())
    cel.advance(2 * 3600)
    two = _ms(cel.win(second))
    cel.celebrate(cel.sync())
    # Applied together: the second win shows, until its expiry.
    apply_banners(control_db(cel.settings), cel.settings)
    text, _, expiration = cel.status(owner.slack_id)
    assert "Second deal" in text and expiration == int((two + WINDOW).timestamp()) > int((one + WINDOW).timestamp())
    assert {c["banner_state"] for c in cel.celebrations()} == {"set"}
    assert apply_banners(control_db(cel.settings), cel.settings).set == 0


def test_banners_are_exactly_once_across_a_crash(cel: Celebrations) -> None:
    owner, [deal] = cel.deals(1)
    assert owner.slack_id is not None
    cel.win(deal)
    cel.celebrate(cel.sync())
    # A run claims the banner, sets the status, then dies before recording anything.
    gone = Claimer.here(lease=timedelta(0))  # the run that died: its claim's lease is over at once
    claimed = claim(cel.control, limit=10, now=datetime.now(UTC), kinds=("banner",), claimer=gone)
    assert len(claimed) == 1
    stats = apply_banners(control_db(cel.settings), cel.settings)  # the next run finds it `sending` again
    assert stats.set == 1
    with cel.control.transaction() as db:  # as if the outcome of that run had been lost too
        db.execute("UPDATE outbox SET state = 'sending' WHERE kind = 'banner'")
        db.execute("UPDATE celebrations SET banner_state = 'pending'")
    again = apply_banners(control_db(cel.settings), cel.settings)
    assert (again.set, again.unchanged, again.skipped) == (0, 1, 0)  # still recognised as ours
    assert cel.celebrations()[0]["banner_state"] == "set"


def test_housekeeping_clears_our_expired_banners_once(cel: Celebrations) -> None:
    owner, [deal] = cel.deals(1)
    assert owner.slack_id is not None
    signed = _ms(cel.win(deal))
    cel.celebrate(cel.sync())
    apply_banners(control_db(cel.settings), cel.settings)
    assert cel.status(owner.slack_id)[0]
    assert clear_expired_banners(control_db(cel.settings), cel.settings, signed + WINDOW - HOUR).checked == 0  # not expired yet
    # A client that ignores status_expiration still shows it after the expiry: housekeeping clears it.
    stats = clear_expired_banners(control_db(cel.settings), cel.settings, signed + WINDOW + HOUR)
    assert (stats.checked, stats.cleared) == (1, 1)
    assert cel.status(owner.slack_id) == ("", "", 0)
    assert clear_expired_banners(control_db(cel.settings), cel.settings, signed + WINDOW + 2 * HOUR).checked == 0


def test_celebrate_is_a_no_op_for_a_run_without_wins(cel: Celebrations) -> None:
    summary = celebrate(control_db(cel.settings), cel.settings, ALIAS, "no-such-run")
    assert summary.wins == 0 and cel.outbox() == []
