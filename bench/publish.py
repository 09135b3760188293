"""Publishing throughput against Slack's rate limits, and exactly-once under injected faults.

The Slack sandbox runs in its own process and enforces about 1 message per second per channel
(plus bursts of 3 and a workspace cap), time-scaled.  Baseline: the steady-state bound those
limits allow for this many channels in this run (``RateLimits.post_rate_bound``); target: the
delivered throughput is at least 90% of it.  A second run injects transient faults into 10% of
the posts (dropped answers after the message was stored, 500s and 503s): the message log must
show zero duplicates and zero losses (reported as counts).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_SIZE = 10_000
DEFAULT_CHANNELS = 200
DEFAULT_TIME_SCALE = 1.0  # 200 channels x 1/s = 200 msg/s bound
FAULT_SHARE = 0.10


@dataclass(frozen=True)
class PublishBenchOptions:
    """What one run publishes: messages (the size), channels, and the sandbox's time scale."""

    messages: int = DEFAULT_SIZE
    channels: int = DEFAULT_CHANNELS
    time_scale: float = DEFAULT_TIME_SCALE

    def __post_init__(self) -> None:
        if self.messages <= 0 or self.channels <= 0 or self.time_scale <= 0:
            raise ValueError(
                f"publish benchmark: --messages ({self.messages}), --channels ({self.channels}) and "
                f"--time-scale ({self.time_scale}) must be positive"
            )


def resolve_options(
    size: int, messages: int | None = None, channels: int | None = None, time_scale: float | None = None
) -> PublishBenchOptions:
    """Options given to run() win, then the BENCH_PUBLISH_CHANNELS / BENCH_PUBLISH_TIME_SCALE
    environment variables, then the defaults; `messages` is an alias of `size`."""
    if channels is None:
        channels = int(os.environ.get("BENCH_PUBLISH_CHANNELS", str(DEFAULT_CHANNELS)))
    if time_scale is None:
        time_scale = float(os.environ.get("BENCH_PUBLISH_TIME_SCALE", str(DEFAULT_TIME_SCALE)))
    return PublishBenchOptions(int(size if messages is None else messages), int(channels), float(time_scale))


def _control(url: str, verb: str, path: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    for attempt in range(5):
        request = urllib.request.Request(f"{url}{path}", data=data, method=verb,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                raw = response.read()
                return json.loads(raw) if raw else None
        except ConnectionError:
            if attempt == 4:
                raise
            time.sleep(0.5)
    return None


def _start_sandbox(time_scale: float) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    code = (
        "import signal, threading\n"
        "from saleshome.sandbox.slack.server import SlackSandbox\n"
        f"sandbox = SlackSandbox(seed=1, time_scale={time_scale!r})\n"
        "info = sandbox.start()\n"
        "print(info.to_json(), flush=True)\n"
        "stop = threading.Event()\n"
        "signal.signal(signal.SIGTERM, lambda *_: stop.set())\n"
        "stop.wait()\n"
        "sandbox.stop()\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, json.loads(proc.stdout.readline())


def _run(info: dict[str, Any], channels: list[str], size: int, *, faults: bool, time_scale: float) -> dict[str, float]:
    team = str(info["teams"][0]["id"])
    from saleshome.publish.publisher import METADATA_EVENT, Publisher, web_client
    from saleshome.settings.restrictions import Restrictions
    from saleshome.warehouse.control import ControlDB
    from saleshome.warehouse.outbox import OutboxMessage, enqueue, idempotency_key

    url = info["control_url"]
    _control(url, "DELETE", "messages")
    _control(url, "POST", "rate-limits", {"reset": True})
    control = ControlDB(Path(tempfile.mkdtemp()) / "control.sqlite")
    tag = "faults" if faults else "clean"
    with control.transaction() as db:
        enqueue(db, [
            OutboxMessage(idempotency_key(tag, i), "notification", channels[i % len(channels)], f"{tag} message {i}",
                          team_id=team, blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": f"*{tag}* message {i}"}}])
            for i in range(size)
        ])
    if faults:
        kinds = [("stored_then_dropped", {}), ("error", {"status": 500}), ("error", {"status": 503})]
        for n in range(int(size * FAULT_SHARE)):
            kind, options = kinds[n % len(kinds)]
            _control(url, "POST", "faults",
                     {"kind": kind, "method": "chat.postMessage", "times": 1, "after": int(n / FAULT_SHARE), **options})
    client, handler = web_client(info["bot_token"], base_url=info["api_url"], timeout=10)
    publisher = Publisher(control, client, restrictions=Restrictions(), rate_handler=handler, workers=16,
                          channel_interval=1.0 / time_scale, backoff=0.2, batch_size=2000)
    began = time.perf_counter()
    for _ in range(200):
        publisher.publish()
        left = control.rows("SELECT count(*) AS n FROM outbox WHERE state IN ('pending', 'sending')")[0]["n"]
        if not left:
            break
        time.sleep(0.2)
    elapsed = time.perf_counter() - began
    _control(url, "DELETE", "faults")
    log = _control(url, "GET", f"messages?event_type={METADATA_EVENT}&include_deleted=0")
    records = log["messages"] if isinstance(log, dict) else log
    keys = Counter(str((m.get("metadata") or {}).get("event_payload", {}).get("key")) for m in records)
    delivered = len(keys)
    return {
        "seconds": elapsed,
        "throughput": delivered / elapsed,
        "duplicates": float(sum(n - 1 for n in keys.values())),
        "losses": float(size - delivered),
        "rate_limit_waits": float(publisher.stats.rate_limit_waits),
    }


def run(
    size: int, messages: int | None = None, channels: int | None = None, time_scale: float | None = None
) -> list[dict[str, Any]]:
    """`python -m bench publish --messages 10000 --channels 200 [--time-scale 1.0]`.

    `messages` is an alias of `size`; `channels` and `time_scale` default to the
    BENCH_PUBLISH_CHANNELS / BENCH_PUBLISH_TIME_SCALE environment variables, then 200 and 1.0.
    """
    from saleshome.sandbox.slack.ratelimit import RateLimits

    options = resolve_options(size, messages, channels, time_scale)
    size = options.messages
    proc, info = _start_sandbox(options.time_scale)
    try:
        team = str(info["teams"][0]["id"])
        made = _control(info["control_url"], "POST", "channels",
                        {"count": options.channels, "prefix": "bench", "team_id": team})
        channel_ids: list[str] = [c["id"] if isinstance(c, dict) else c for c in (made.get("channels", made) if isinstance(made, dict)
                                                                   else made)]
        bound = RateLimits(time_scale=options.time_scale).post_rate_bound(len(channel_ids))
        clean = _run(info, channel_ids, size, faults=False, time_scale=options.time_scale)
        faulty = _run(info, channel_ids, size, faults=True, time_scale=options.time_scale)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    return [
        {"metric": f"delivered_msgs_per_second_{len(channel_ids)}_channels", "value": clean["throughput"],
         "unit": "msg/s", "baseline": "rate_limit_bound", "baseline_value": bound},
        {"metric": "duplicates_clean", "value": clean["duplicates"], "unit": "count"},
        {"metric": "losses_clean", "value": clean["losses"], "unit": "count"},
        {"metric": "duplicates_with_10pct_faults", "value": faulty["duplicates"], "unit": "count"},
        {"metric": "losses_with_10pct_faults", "value": faulty["losses"], "unit": "count"},
        {"metric": "delivered_msgs_per_second_with_faults", "value": faulty["throughput"], "unit": "msg/s",
         "baseline": "rate_limit_bound", "baseline_value": bound},
    ]
