"""Two publisher processes drain one outbox at once, and are killed with SIGKILL at random moments while they
send (20 kills, each with work left), with the duplicate trap armed (answers stored then dropped): zero
duplicates, zero losses, each channel in order — on SQLite and on PostgreSQL (once each: the slow test of the
outbox).  A killed publisher's items are taken over at once by the other (its process is gone from this host)."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter

from saleshome.publish.publisher import METADATA_EVENT
from saleshome.sandbox.slack.ratelimit import RateLimits
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.warehouse.control import ControlDB
from tests.fixtures.outbox import drain, messages_for, publisher, put

KILLS = 20
PUBLISHERS = 2
SCALE = 2  # 2 messages/s per channel while the runs are killed: each run has far more than it can send
DRAIN_SCALE = 50  # then the last runs drain the rest quickly
CHANNELS = 8
PER_CHANNEL = 60
BATCH = 20  # a publisher holds a few channels at a time: the other one works on the rest, and waits behind it


def _publisher_process(url: str, api_url: str, token: str) -> subprocess.Popen[str]:
    """A publisher service: one drain after another (a drain ends when nothing is claimable, e.g. all held by the
    other publisher), until killed."""
    code = (
        "import time\n"
        "from saleshome.publish.publisher import Publisher, web_client\n"
        "from saleshome.settings.restrictions import Restrictions\n"
        "from saleshome.warehouse.control import ControlDB\n"
        f"client, handler = web_client({token!r}, base_url={api_url!r}, timeout=2)\n"
        f"publisher = Publisher(ControlDB({url!r}), client, restrictions=Restrictions(), rate_handler=handler,\n"
        f"                      channel_interval={1 / SCALE}, batch_size={BATCH}, backoff=0.05)\n"
        "while True:\n"
        "    publisher.publish()\n"
        "    time.sleep(0.05)\n"
    )
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ))


def _keys_posted(slack: SlackSandbox) -> Counter[str]:
    return Counter(str((m.metadata or {}).get("event_payload", {}).get("key"))
                   for m in slack.messages(event_type=METADATA_EVENT))


def _wait_until_sending(control: ControlDB, slack: SlackSandbox, proc: subprocess.Popen[str], before: int,
                        seconds: float = 30) -> None:
    """Until ``proc`` holds claimed items and something was posted since ``before`` (it is sending, not starting),
    or fail if it ended first."""
    deadline = time.monotonic() + seconds
    while True:
        assert proc.poll() is None, f"a publisher ended: {proc.communicate()[1][-2000:]}"
        held = control.rows("SELECT count(*) AS n FROM outbox WHERE claimed_by LIKE ?", [f"%:{proc.pid}:%"])[0]["n"]
        if held and len(slack.messages(event_type=METADATA_EVENT)) > before:
            return
        assert time.monotonic() < deadline, "the publisher claimed or posted nothing"
        time.sleep(0.02)


def _drain_together(slack: SlackSandbox, control: ControlDB) -> None:
    """Two publishers in this process drain what is left, at once (each its own claimer)."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            drain(publisher(slack, control, channel_interval=1 / DRAIN_SCALE))
        except BaseException as exc:  # re-raised below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(PUBLISHERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "the final drain did not end"
    if errors:
        raise errors[0]


def test_two_publishers_killed_and_dropped_answers_leave_no_duplicate_no_loss_and_channels_in_order(
    store: ControlDB,
) -> None:
    rng = random.Random(5)
    with SlackSandbox(seed=7, rate_limits=RateLimits(time_scale=SCALE)) as slack:
        assert slack.info is not None
        channels = slack.add_channels(CHANNELS, prefix="crash")
        people = [u.id for u in slack.world.users.values()
                  if not u.is_bot and not u.deleted and u.id.startswith("U") and u.id != "USLACKBOT"]
        batch = ([m for c in channels for m in messages_for(c, PER_CHANNEL)]
                 + [m for u in people[:3] for m in messages_for(u, 4)])
        put(store, batch)
        start = [_publisher_process(store.url, slack.info.api_url, slack.info.bot_token) for _ in range(PUBLISHERS)]
        procs = list(start)
        left_at_kills: list[tuple[int, int]] = []  # (unsent in Slack's log, pending or sending in the outbox)
        try:
            for n in range(KILLS):
                victim = n % PUBLISHERS
                slack.inject("stored_then_dropped", "chat.postMessage", times=1, after=rng.randint(0, 20))
                before = len(slack.messages(event_type=METADATA_EVENT))
                _wait_until_sending(store, slack, procs[victim], before)  # killed while sending, not while starting
                time.sleep(rng.uniform(0.0, 1.2))
                assert procs[victim].poll() is None, f"publisher {victim} ended before kill {n + 1}"
                procs[victim].kill()
                procs[victim].wait(timeout=30)
                unsent = len(batch) - len(_keys_posted(slack))
                waiting = store.rows("SELECT count(*) AS n FROM outbox WHERE state IN ('pending', 'sending')")[0]["n"]
                left_at_kills.append((unsent, waiting))
                procs[victim] = _publisher_process(store.url, slack.info.api_url, slack.info.bot_token)
        finally:
            for proc in procs:
                proc.kill()
                proc.wait(timeout=30)
        assert len(left_at_kills) == KILLS
        assert all(unsent > 0 and waiting > 0 for unsent, waiting in left_at_kills), left_at_kills
        assert left_at_kills[-1][0] < left_at_kills[0][0]  # and the runs did make progress
        slack.faults.clear()
        slack.set_time_scale(DRAIN_SCALE)
        _drain_together(slack, store)
        seen = _keys_posted(slack)
        unsent_rows = store.rows("SELECT key, state, attempts, last_error FROM outbox WHERE state <> 'sent'")
        assert not unsent_rows, f"not sent: {unsent_rows}"
        assert len(seen) == len(batch), f"{len(batch) - len(seen)} messages lost"
        assert max(seen.values()) == 1, f"{sum(v - 1 for v in seen.values())} duplicates"
        for channel in channels:  # and each channel's order kept
            assert [m.text for m in slack.messages(channel)] == [f"m {i} for {channel}" for i in range(PER_CHANNEL)]
        for person in people[:3]:
            texts = [m.text for m in slack.messages(event_type=METADATA_EVENT) if m.text.endswith(f"for {person}")]
            assert texts == [f"m {i} for {person}" for i in range(4)]
