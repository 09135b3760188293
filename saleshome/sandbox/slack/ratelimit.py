"""Slack's rate limits, as token buckets, with a time-scale factor.

Slack (docs "Rate limits"): Web API methods are limited per method, per workspace, per app, in
tiers (Tier 1 1+/min, Tier 2 20+/min, Tier 3 50+/min, Tier 4 100+/min); ``chat.postMessage``
allows about one message per second per channel with short bursts, plus a workspace-wide limit.
Over the limit: HTTP 429, ``Retry-After`` in seconds, body ``{"ok": false, "error": "ratelimited"}``.

Here each limit is a token bucket: a tier bucket holds a minute's worth of calls and refills
at ``per_minute / 60`` per second; a channel bucket holds ``post_channel_burst`` messages and
refills at ``posts_per_second_per_channel``; a workspace bucket holds one second's worth of
``workspace_posts_per_minute``.  Buckets are keyed by token (one token = one app install).

**Time scale.**  ``time_scale = 50`` runs every refill 50 times faster (50 messages per
second per channel instead of 1); bucket sizes do not change.  Waits are measured on the real
(monotonic) clock, so ``Retry-After`` is in real seconds: ``max(1, ceil(wait))``, an integer
as HTTP wants, never shorter than the real wait; ``Retry-After-Ms`` carries the exact real wait
in milliseconds for clients that can use it (see ``docs/slack-sandbox.md``).
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

Tier = int  # 1..4; chat.postMessage has its own ("special") limits


@dataclass(frozen=True)
class RateLimits:
    """What the sandbox enforces (Slack's documented numbers by default).

    Slack does not publish the workspace-wide cap on ``chat.postMessage``: 12,000 a minute
    (200/s) is this sandbox's choice, so that the one-message-per-second-per-channel limit is
    what binds for up to 200 channels per workspace.
    """

    time_scale: float = 1.0
    enabled: bool = True
    tier1_per_minute: int = 1
    tier2_per_minute: int = 20
    tier3_per_minute: int = 50
    tier4_per_minute: int = 100
    posts_per_second_per_channel: float = 1.0
    post_channel_burst: int = 3
    workspace_posts_per_minute: int = 12_000

    def __post_init__(self) -> None:
        if not self.time_scale > 0:
            raise ValueError(f"time_scale must be positive, got {self.time_scale}")
        if self.post_channel_burst < 1 or self.posts_per_second_per_channel <= 0:
            raise ValueError("post_channel_burst must be >= 1 and posts_per_second_per_channel > 0")

    def per_minute(self, tier: Tier) -> int:
        return int(getattr(self, f"tier{tier}_per_minute"))

    def post_rate_bound(self, channels: int) -> float:
        """Steady-state ``chat.postMessage`` messages per real second into ``channels`` channels of one
        workspace (the initial bursts aside): the baseline a publisher benchmark compares with."""
        per_second = min(channels * self.posts_per_second_per_channel, self.workspace_posts_per_minute / 60)
        return per_second * self.time_scale

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def field_names() -> frozenset[str]:
        return frozenset(f.name for f in fields(RateLimits))


@dataclass
class _Bucket:
    capacity: float
    rate: float  # tokens per real second
    tokens: float
    stamp: float

    def wait(self, now: float) -> float:
        """Real seconds until one token is available (0 when one is)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1 - 1e-9 else (1 - self.tokens) / self.rate


class RateLimiter:
    """Token buckets for every (token, method, workspace) and (token, channel) seen (thread-safe)."""

    def __init__(self, limits: RateLimits | None = None, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._limits = limits or RateLimits()
        self._monotonic = monotonic
        self._buckets: dict[Hashable, _Bucket] = {}
        self._lock = threading.Lock()
        self.throttled: Counter[str] = Counter()  # 429s answered, per method

    @property
    def limits(self) -> RateLimits:
        return self._limits

    def configure(self, **changes: Any) -> RateLimits:
        """Change some limits (``time_scale=50``, ``enabled=False``, ...); buckets start full again."""
        unknown = set(changes) - RateLimits.field_names()
        if unknown:
            raise ValueError(f"unknown rate limit setting(s): {', '.join(sorted(unknown))}")
        with self._lock:
            self._limits = replace(self._limits, **changes)
            self._buckets.clear()
        return self._limits

    def reset(self) -> None:
        """Refill every bucket (and forget the throttling counts)."""
        with self._lock:
            self._buckets.clear()
            self.throttled.clear()

    def _bucket(self, key: Hashable, capacity: float, rate_per_slack_second: float, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(capacity, rate_per_slack_second * self._limits.time_scale, capacity, now)
            self._buckets[key] = bucket
        return bucket

    def _acquire(self, method: str, wanted: list[tuple[Hashable, float, float]]) -> float:
        if not self._limits.enabled:
            return 0.0
        with self._lock:
            now = self._monotonic()
            buckets = [self._bucket(key, cap, rate, now) for key, cap, rate in wanted]
            wait = max(b.wait(now) for b in buckets)
            if wait > 0:
                self.throttled[method] += 1
                return wait
            for b in buckets:
                b.tokens = max(b.tokens - 1, 0.0)
            return 0.0

    def acquire_tier(self, token: str, method: str, team_id: str, tier: Tier) -> float:
        """0 when the call may proceed (and is counted), else the real seconds to wait."""
        per_minute = self._limits.per_minute(tier)
        return self._acquire(method, [(("tier", token, method, team_id), per_minute, per_minute / 60)])

    def acquire_post(self, token: str, team_id: str, channel: str) -> float:
        """``chat.postMessage``: the channel's bucket and the workspace's, both or neither."""
        lim = self._limits
        workspace_rate = lim.workspace_posts_per_minute / 60
        return self._acquire(
            "chat.postMessage",
            [
                (("post", token, channel), lim.post_channel_burst, lim.posts_per_second_per_channel),
                (("workspace", token, team_id), max(workspace_rate, 1.0), workspace_rate),
            ],
        )


def retry_after_headers(wait_seconds: float, time_scale: float) -> dict[str, str]:
    """The headers of a 429: ``Retry-After`` (whole real seconds, at least 1) and the exact wait."""
    return {
        "Retry-After": str(max(1, math.ceil(wait_seconds))),
        "Retry-After-Ms": str(max(1, math.ceil(wait_seconds * 1000))),
        "X-Sandbox-Time-Scale": f"{time_scale:g}",
    }
