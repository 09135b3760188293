"""Injected faults: what the sandbox does to some Web API calls besides answering them.

A fault matches a Slack method name (``"chat.postMessage"``, or a glob like ``"chat.*"``; ``"*"``
for every method), lets ``after`` matching calls through, then fires ``times`` times (0 = for
ever).  Kinds:

- ``error``: answer HTTP ``status`` (500, 502, 503, 504...) with ``{"ok": false, "error": ...}``
  (``internal_error`` for 500, ``service_unavailable`` for 503, ``request_timeout`` for 504,
  or ``error`` when given); nothing is done.
- ``timeout``: wait ``delay`` real seconds (longer than the client's timeout), then do the call
  and answer as usual, to a client that has usually gone: a ``chat.postMessage`` is stored.
- ``drop``: close the connection without doing anything or answering.
- ``stored_then_dropped``: do the call (a message is stored), then close the connection
  before answering — the duplicate trap: the client sees a connection error and, if it
  retries blindly, posts the message twice.
- ``ratelimited``: answer 429 with ``Retry-After`` of ``retry_after`` real seconds.
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from types import MappingProxyType
from typing import Any, Literal, get_args

FaultKind = Literal["error", "timeout", "drop", "stored_then_dropped", "ratelimited"]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)
_DEFAULT_ERRORS: Mapping[int, str] = MappingProxyType(
    {500: "internal_error", 502: "bad_gateway", 503: "service_unavailable", 504: "request_timeout"}
)


@dataclass
class Fault:
    kind: FaultKind
    method: str = "*"
    times: int = 1
    after: int = 0
    status: int = 503
    error: str | None = None
    delay: float = 2.0
    retry_after: float = 1.0
    seen: int = 0
    fired: int = 0

    def matches(self, method: str) -> bool:
        return fnmatch.fnmatchcase(method, self.method)

    @property
    def error_code(self) -> str:
        return self.error or _DEFAULT_ERRORS.get(self.status, "internal_error")

    @property
    def exhausted(self) -> bool:
        return bool(self.times) and self.fired >= self.times

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class FaultPlan:
    """The faults currently armed, consulted for every Web API call (thread-safe)."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, kind: FaultKind | str, method: str = "*", **options: Any) -> Fault:
        """Arm a fault, e.g. ``add("stored_then_dropped", "chat.postMessage", times=1)``."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; choose one of {', '.join(FAULT_KINDS)}")
        unknown = set(options) - {"times", "after", "status", "error", "delay", "retry_after"}
        if unknown:
            raise ValueError(f"unknown fault option(s): {', '.join(sorted(unknown))}")
        fault = Fault(kind=kind, method=method, **options)  # type: ignore[arg-type]  # kind checked above
        if fault.times < 0 or fault.after < 0 or fault.delay < 0 or fault.retry_after < 0:
            raise ValueError("times, after, delay and retry_after must not be negative")
        if fault.kind == "error" and not 400 <= fault.status <= 599 and fault.status != 200:
            raise ValueError(f"an error fault answers 200 or 4xx/5xx, not {fault.status}")
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def list(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def take(self, method: str) -> Fault | None:
        """The fault that fires for this call, if any (counting it)."""
        with self._lock:
            for fault in self._faults:
                if not fault.matches(method) or fault.exhausted:
                    continue
                fault.seen += 1
                if fault.seen <= fault.after:
                    continue
                fault.fired += 1
                return fault
        return None
