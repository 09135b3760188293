"""The publisher against the Slack sandbox: order, dead letters, restrictions, the duplicate trap, 429s."""

from __future__ import annotations

from collections import Counter

from saleshome.publish.publisher import METADATA_EVENT
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.settings.restrictions import Restrictions, save_restrictions
from saleshome.slack.text import escape
from saleshome.warehouse.control import ControlDB
from saleshome.warehouse.outbox import OutboxMessage, counts, idempotency_key, requeue
from tests.fixtures.outbox import drain, messages_for, publisher, put


def _keys_in_slack(slack: SlackSandbox) -> Counter[str]:
    return Counter(
        str((m.metadata or {}).get("event_payload", {}).get("key"))
        for m in slack.messages(event_type=METADATA_EVENT) if not m.deleted
    )


def test_every_message_once_in_channel_order(slack: SlackSandbox, control: ControlDB) -> None:
    channels = [slack.channel_id("sales"), slack.channel_id("deals-won"), slack.channel_id("amer-pipeline")]
    people = [u for u in slack.world.users.values()
              if not u.is_bot and not u.deleted and u.id.startswith("U") and u.id != "USLACKBOT"][:2]
    batch = [m for c in channels for m in messages_for(c, 12)] + [m for u in people for m in messages_for(u.id, 3)]
    assert put(control, batch) == len(batch)
    assert put(control, batch) == 0  # the same keys again: nothing new (at most once)
    stats = publisher(slack, control).publish()
    assert stats.sent == len(batch) and stats.dead == stats.blocked == 0
    assert set(_keys_in_slack(slack).values()) == {1} and len(_keys_in_slack(slack)) == len(batch)
    for channel in channels:
        texts = [m.text for m in slack.messages(channel)]
        assert texts == [f"m {i} for {channel}" for i in range(12)]
    dms = control.rows("SELECT count(*) AS n FROM dm_channels")[0]["n"]
    assert dms == 2


def test_permanent_failures_are_dead_lettered_with_their_reason(slack: SlackSandbox, control: ControlDB) -> None:
    bad = [
        OutboxMessage(idempotency_key("archived"), "notification", slack.channel_id("q3-2023-push"), "x"),
        OutboxMessage(idempotency_key("not-member"), "notification", slack.channel_id("apac-pipeline"), "x"),
        OutboxMessage(idempotency_key("hidden"), "notification", slack.channel_id("sales-ops"), "x"),
        OutboxMessage(idempotency_key("missing"), "notification", "C0NOSUCHCH", "x"),
        OutboxMessage(idempotency_key("blocks"), "notification", slack.channel_id("sales"), "x",
                      blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "y" * 3001}}]),
        OutboxMessage(idempotency_key("long"), "notification", slack.channel_id("sales"), "z" * 40_001),
        OutboxMessage(idempotency_key("nobody"), "notification", "U0NOBODY00", "x"),
    ]
    put(control, bad)
    stats = publisher(slack, control).publish()
    reasons = {r["key"]: r["last_error"] for r in control.rows("SELECT key, last_error FROM outbox WHERE state = 'dead'")}
    # As in Slack: a private channel the bot is not in, and an unknown user, are channel_not_found.
    assert reasons == {
        bad[0].key: "is_archived", bad[1].key: "not_in_channel", bad[2].key: "channel_not_found",
        bad[3].key: "channel_not_found", bad[4].key: "invalid_blocks", bad[5].key: "msg_too_long",
        bad[6].key: "channel_not_found",
    }
    assert stats.dead == len(bad)
    assert requeue(control, all_dead=True) == len(bad)
    assert counts(control) == {"pending": len(bad)}


def test_blocks_over_slacks_total_text_limit_are_dead_lettered_at_once_with_a_readable_reason(
    slack: SlackSandbox, control: ControlDB
) -> None:
    channel = slack.channel_id("sales")

    def sections(*lengths: int) -> list[dict[str, object]]:
        return [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * n}} for n in lengths]

    fits = OutboxMessage(idempotency_key("fits"), "notification", channel, "fits", blocks=sections(3000, 3000, 3000, 3000))
    over = OutboxMessage(idempotency_key("over"), "notification", channel, "over",
                         blocks=sections(3000, 3000, 3000, 2999, 2))  # each block valid; 12,001 characters in all
    put(control, [over, fits])
    stats = publisher(slack, control).publish()
    [dead] = control.rows("SELECT key, attempts, last_error FROM outbox WHERE state = 'dead'")
    assert dead["key"] == over.key and dead["attempts"] == 1  # refused once, never retried
    assert dead["last_error"].startswith("msg_blocks_too_long: ") and "12,000 characters" in dead["last_error"]
    assert (stats.sent, stats.dead, stats.retried) == (1, 1, 0)
    assert stats.dead_reasons == {dead["last_error"]: 1}
    assert [m.text for m in slack.messages(event_type=METADATA_EVENT)] == ["fits"]


def test_restrictions_apply_at_publish_time(slack: SlackSandbox, control: ControlDB) -> None:
    external = next(c.id for c in slack.world.conversations.values() if c.is_ext_shared)
    private = slack.channel_id("sales-leadership")
    public = slack.channel_id("sales")
    put(control, messages_for(external, 1, "ext") + messages_for(private, 1, "priv") + messages_for(public, 1, "pub"))
    save_restrictions(control, "default", Restrictions(allow_private=False))  # changed after the messages were made
    stats = publisher(slack, control, restrictions=Restrictions(allow_private=False)).publish()
    blocked = {r["channel"]: r["last_error"] for r in control.rows("SELECT channel, last_error FROM outbox "
                                                                   "WHERE state = 'blocked'")}
    assert blocked == {
        external: "restricted: Slack Connect external channels are excluded",
        private: "restricted: private conversations may not receive notifications",
    }
    assert stats.sent == 1 and [m.channel for m in slack.messages(event_type=METADATA_EVENT)] == [public]


def test_stored_then_dropped_and_server_errors_make_no_duplicate(slack: SlackSandbox, control: ControlDB) -> None:
    channels = [slack.channel_id("sales"), slack.channel_id("latam-pipeline")]
    user = next(u for u in slack.world.users.values()
                if not u.is_bot and not u.deleted and u.id.startswith("U") and u.id != "USLACKBOT")
    batch = [m for c in channels for m in messages_for(c, 15)] + messages_for(user.id, 4)
    put(control, batch)
    slack.inject("stored_then_dropped", "chat.postMessage", times=6, after=2)
    slack.inject("error", "chat.postMessage", status=503, times=3, after=10)
    slack.inject("timeout", "chat.postMessage", delay=4, times=1, after=20)
    drain(publisher(slack, control))
    seen = _keys_in_slack(slack)
    assert len(seen) == len(batch) and set(seen.values()) == {1}  # zero losses, zero duplicates
    assert counts(control) == {"sent": len(batch)}


def test_rate_limits_are_waited_out(slack: SlackSandbox, control: ControlDB) -> None:
    channel = slack.channel_id("sales")
    put(control, messages_for(channel, 25))
    pub = publisher(slack, control, channel_interval=0.0)  # no client-side pacing: Slack's 429s decide
    stats = pub.publish()
    assert stats.sent == 25 and stats.rate_limit_waits > 0
    assert [m.text for m in slack.messages(channel)] == [f"m {i} for {channel}" for i in range(25)]


def test_salesforce_text_cannot_ping_or_link(slack: SlackSandbox, control: ControlDB) -> None:
    name = "Acme <!channel> & <@U123|boss> <https://evil.example|click>"
    channel = slack.channel_id("sales")
    put(control, [OutboxMessage(idempotency_key("esc"), "notification", channel, f"Deal won: {escape(name)}")])
    publisher(slack, control).publish()
    text = slack.messages(channel)[-1].text
    assert "<!channel>" not in text and "<@U123" not in text and "<https://" not in text
    assert text == "Deal won: Acme &lt;!channel&gt; &amp; &lt;@U123|boss&gt; &lt;https://evil.example|click&gt;"


def test_a_dropped_answer_to_a_first_dm_is_found_not_resent(slack: SlackSandbox, control: ControlDB) -> None:
    user = next(u for u in slack.world.users.values() if not u.is_bot and not u.deleted and u.id.startswith("U")
                and u.id != "USLACKBOT")
    batch = messages_for(user.id, 3, "dm")
    put(control, batch)
    slack.inject("stored_then_dropped", "chat.postMessage", times=2)  # the DM is created, its id never seen
    drain(publisher(slack, control))
    seen = _keys_in_slack(slack)
    assert len(seen) == 3 and set(seen.values()) == {1}
    assert counts(control) == {"sent": 3}


def test_a_requeued_dead_letter_that_reached_slack_is_not_sent_again(slack: SlackSandbox, control: ControlDB) -> None:
    channel = slack.channel_id("sales")
    [message] = messages_for(channel, 1, "lost-answer")
    put(control, [message])
    slack.inject("stored_then_dropped", "chat.postMessage", times=1)  # stored, the answer lost...
    slack.inject("error", "conversations.history", times=100)  # ...and the history cannot be read: it gives up
    drain(publisher(slack, control, max_attempts=2, backoff=0.01), seconds=30)
    [dead] = control.rows("SELECT state, last_error FROM outbox")
    assert dead["state"] == "dead" and dead["last_error"].startswith("gave up after 2 attempts")
    slack.faults.clear()
    assert requeue(control, key=message.key) == 1
    drain(publisher(slack, control))
    posted = [m for m in slack.messages(event_type=METADATA_EVENT) if m.channel == channel]
    assert len(posted) == 1, "stored once before the dead letter; the retry found it instead of posting again"
    assert counts(control) == {"sent": 1}


def test_a_dm_to_the_deactivated_user_and_a_forced_user_not_found_are_dead_lettered(
    slack: SlackSandbox, control: ControlDB
) -> None:
    deactivated = slack.world.deactivated_user_id
    assert deactivated and slack.world.users[deactivated].deleted
    active = next(u.id for u in slack.world.users.values() if u.person is not None and not u.deleted)
    disabled = OutboxMessage(idempotency_key("dm-deactivated"), "notification", deactivated, "to a former seller")
    vanished = OutboxMessage(idempotency_key("dm-vanished"), "notification", active, "to someone Slack lost")
    put(control, [disabled])
    stats = publisher(slack, control).publish()
    assert (stats.sent, stats.dead, stats.dead_reasons) == (0, 1, {"user_disabled": 1})
    # Slack answers user_not_found with HTTP 200 and ok: false; the sandbox is told to, once.
    slack.inject("error", "chat.postMessage", status=200, error="user_not_found", times=1)
    put(control, [vanished])
    stats = publisher(slack, control).publish()
    assert (stats.sent, stats.dead, stats.retried, stats.dead_reasons) == (0, 1, 0, {"user_not_found": 1})
    rows = {r["key"]: (r["state"], r["last_error"]) for r in control.rows("SELECT key, state, last_error FROM outbox")}
    assert rows == {disabled.key: ("dead", "user_disabled"), vanished.key: ("dead", "user_not_found")}
    assert not [m for m in slack.messages(event_type=METADATA_EVENT) if not m.deleted]
