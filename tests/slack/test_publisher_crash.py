"""The publisher killed with SIGKILL at random moments, with the duplicate trap armed: zero dup, zero loss."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from saleshome.sandbox.slack.ratelimit import RateLimits
from saleshome.sandbox.slack.server import SlackSandbox
from saleshome.slack.publisher import METADATA_EVENT
from saleshome.warehouse.control import ControlDB

from .conftest import drain, messages_for, publisher, put

KILLS = 20
SCALE = 8


def _publisher_process(db: Path, api_url: str, token: str) -> subprocess.Popen[str]:
    code = (
        "from pathlib import Path\n"
        "from saleshome.slack.publisher import Publisher, web_client\n"
        "from saleshome.slack.restrictions import Restrictions\n"
        "from saleshome.warehouse.control import ControlDB\n"
        f"client, handler = web_client({token!r}, base_url={api_url!r}, timeout=2)\n"
        f"Publisher(ControlDB(Path({str(db)!r})), client, restrictions=Restrictions(), rate_handler=handler,\n"
        f"          channel_interval={1 / SCALE}, batch_size=60, backoff=0.05).publish()\n"
    )
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ))


def test_sigkill_and_dropped_answers_leave_no_duplicate_and_no_loss(tmp_path: Path) -> None:
    rng = random.Random(5)
    with SlackSandbox(seed=7, rate_limits=RateLimits(time_scale=SCALE)) as slack:
        assert slack.info is not None
        control = ControlDB(tmp_path / "control.duckdb")
        channels = slack.add_channels(8, prefix="crash")
        people = [u.id for u in slack.world.users.values()
                  if not u.is_bot and not u.deleted and u.id.startswith("U") and u.id != "USLACKBOT"]
        batch = [m for c in channels for m in messages_for(c, 30)] + [m for u in people[:3] for m in messages_for(u, 4)]
        put(control, batch)
        killed = 0
        for _ in range(KILLS):
            slack.inject("stored_then_dropped", "chat.postMessage", times=1, after=rng.randint(0, 20))
            proc = _publisher_process(control.path, slack.info.api_url, slack.info.bot_token)
            time.sleep(rng.uniform(0.8, 2.5))
            if proc.poll() is None:
                proc.kill()
                killed += 1
            proc.wait(timeout=30)
        slack.faults.clear()
        drain(publisher(slack, control, channel_interval=1 / SCALE))
        seen = Counter(str((m.metadata or {}).get("event_payload", {}).get("key"))
                       for m in slack.messages(event_type=METADATA_EVENT))
        assert killed >= KILLS // 2, f"only {killed} runs were killed mid-way"
        unsent = control.rows("SELECT key, state, attempts, last_error FROM outbox WHERE state <> 'sent'")
        assert not unsent, f"not sent: {unsent}"
        assert len(seen) == len(batch), f"{len(batch) - len(seen)} messages lost"
        assert max(seen.values()) == 1, f"{sum(v - 1 for v in seen.values())} duplicates"
        for channel in channels:  # and each channel's order kept
            assert [m.text for m in slack.messages(channel)] == [f"m {i} for {channel}" for i in range(30)]
