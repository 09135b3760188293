"""The publisher killed with SIGKILL at random moments while it sends (20 runs, each with work left), with the
duplicate trap armed: zero duplicates, zero losses, each channel in order."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from saleshome.publish.publisher import METADATA_EVENT
from saleshome.sandbox.slack.ratelimit import RateLimits
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.warehouse.control import ControlDB
from tests.fixtures.outbox import drain, messages_for, publisher, put

KILLS = 20
SCALE = 2  # 2 messages/s per channel while the runs are killed: each run has far more than it can send
DRAIN_SCALE = 50  # then the last run drains the rest quickly
CHANNELS = 8
PER_CHANNEL = 60


def _publisher_process(url: str, api_url: str, token: str) -> subprocess.Popen[str]:
    code = (
        "from saleshome.publish.publisher import Publisher, web_client\n"
        "from saleshome.settings.restrictions import Restrictions\n"
        "from saleshome.warehouse.control import ControlDB\n"
        f"client, handler = web_client({token!r}, base_url={api_url!r}, timeout=2)\n"
        f"Publisher(ControlDB({url!r}), client, restrictions=Restrictions(), rate_handler=handler,\n"
        f"          channel_interval={1 / SCALE}, batch_size=60, backoff=0.05).publish()\n"
    )
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ))


def _keys_posted(slack: SlackSandbox) -> Counter[str]:
    return Counter(str((m.metadata or {}).get("event_payload", {}).get("key"))
                   for m in slack.messages(event_type=METADATA_EVENT))


def _wait_for_a_new_post(slack: SlackSandbox, proc: subprocess.Popen[str], before: int, seconds: float = 20) -> None:
    """Until the run has posted something (it started sending), or fail if it ended first."""
    deadline = time.monotonic() + seconds
    while len(slack.messages(event_type=METADATA_EVENT)) <= before:
        assert proc.poll() is None, f"the publisher ended before posting: {proc.communicate()[1][-2000:]}"
        assert time.monotonic() < deadline, "the publisher posted nothing"
        time.sleep(0.02)


def test_sigkill_and_dropped_answers_leave_no_duplicate_and_no_loss(tmp_path: Path) -> None:
    rng = random.Random(5)
    with SlackSandbox(seed=7, rate_limits=RateLimits(time_scale=SCALE)) as slack:
        assert slack.info is not None
        control = ControlDB(tmp_path / "control.sqlite")
        channels = slack.add_channels(CHANNELS, prefix="crash")
        people = [u.id for u in slack.world.users.values()
                  if not u.is_bot and not u.deleted and u.id.startswith("U") and u.id != "USLACKBOT"]
        batch = ([m for c in channels for m in messages_for(c, PER_CHANNEL)]
                 + [m for u in people[:3] for m in messages_for(u, 4)])
        put(control, batch)
        killed = 0
        left_at_kills: list[tuple[int, int]] = []  # (unsent in Slack's log, pending or sending in the outbox)
        for _ in range(KILLS):
            slack.inject("stored_then_dropped", "chat.postMessage", times=1, after=rng.randint(0, 20))
            before = len(slack.messages(event_type=METADATA_EVENT))
            proc = _publisher_process(control.url, slack.info.api_url, slack.info.bot_token)
            _wait_for_a_new_post(slack, proc, before)  # killed while sending, not while starting
            time.sleep(rng.uniform(0.0, 1.2))
            assert proc.poll() is None, f"run {killed + 1} ended before its kill: the test gave it too little work"
            proc.kill()
            killed += 1
            proc.wait(timeout=30)
            unsent = len(batch) - len(_keys_posted(slack))
            waiting = control.rows("SELECT count(*) AS n FROM outbox WHERE state IN ('pending', 'sending')")[0]["n"]
            left_at_kills.append((unsent, waiting))
        assert killed == KILLS
        assert all(unsent > 0 and waiting > 0 for unsent, waiting in left_at_kills), left_at_kills
        assert left_at_kills[-1][0] < left_at_kills[0][0]  # and the runs did make progress
        slack.faults.clear()
        slack.set_time_scale(DRAIN_SCALE)
        drain(publisher(slack, control, channel_interval=1 / DRAIN_SCALE))
        seen = _keys_posted(slack)
        unsent_rows = control.rows("SELECT key, state, attempts, last_error FROM outbox WHERE state <> 'sent'")
        assert not unsent_rows, f"not sent: {unsent_rows}"
        assert len(seen) == len(batch), f"{len(batch) - len(seen)} messages lost"
        assert max(seen.values()) == 1, f"{sum(v - 1 for v in seen.values())} duplicates"
        for channel in channels:  # and each channel's order kept
            assert [m.text for m in slack.messages(channel)] == [f"m {i} for {channel}" for i in range(PER_CHANNEL)]
