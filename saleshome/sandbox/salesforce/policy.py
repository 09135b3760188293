"""What the sandbox org does to requests besides answering them: the API budget and injected faults."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any, Literal

from .errors import ApiError

FaultKind = Literal[
    "status", "slow", "drop", "expire_session", "limit_exceeded", "invalid_locator", "job_failed", "repeat_page",
    "rewrite",
]
FAULT_KINDS: tuple[str, ...] = (
    "status", "slow", "drop", "expire_session", "limit_exceeded", "invalid_locator", "job_failed", "repeat_page",
    "rewrite",
)


class ApiBudget:
    """``DailyApiRequests``: every REST call counts; once spent, 403 ``REQUEST_LIMIT_EXCEEDED``."""

    def __init__(self, daily_max: int) -> None:
        self.max = daily_max
        self.used = 0
        self.bulk_jobs_used = 0
        self._lock = threading.Lock()

    def spend(self) -> None:
        with self._lock:
            if self.used >= self.max:
                raise ApiError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
            self.used += 1

    def header(self) -> str:
        return f"api-usage={self.used}/{self.max}"

    def set(self, *, used: int | None = None, daily_max: int | None = None) -> None:
        with self._lock:
            if daily_max is not None:
                self.max = daily_max
            if used is not None:
                self.used = used

    def limits(self) -> dict[str, dict[str, int]]:
        """The ``/limits`` resource (REST API guide, "Limits")."""
        remaining = max(self.max - self.used, 0)
        return {
            "ConcurrentAsyncGetReportInstances": {"Max": 200, "Remaining": 200},
            "ConcurrentSyncReportRuns": {"Max": 20, "Remaining": 20},
            "DailyApiRequests": {"Max": self.max, "Remaining": remaining},
            "DailyAsyncApexExecutions": {"Max": 250000, "Remaining": 250000},
            "DailyBulkApiBatches": {"Max": 15000, "Remaining": 15000},
            "DailyBulkV2QueryFileStorageMB": {"Max": 976562, "Remaining": 976562},
            "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": max(10000 - self.bulk_jobs_used, 0)},
            "DataStorageMB": {"Max": 5120, "Remaining": 5000},
            "FileStorageMB": {"Max": 20480, "Remaining": 20480},
            "HourlyODataCallout": {"Max": 10000, "Remaining": 10000},
            "SingleEmail": {"Max": 5000, "Remaining": 5000},
        }


@dataclass
class Fault:
    """One injected fault: applies to requests whose path matches ``path`` (a regex) and method.

    ``after`` matching requests pass first, then the fault fires ``times`` times (0 = forever).
    ``status`` answers with that code (500 → UNKNOWN_EXCEPTION, 503 → SERVER_UNAVAILABLE);
    ``slow`` waits ``delay`` seconds then answers normally; ``drop`` closes the connection
    without an answer; ``expire_session`` invalidates every token (the request gets 401);
    ``limit_exceeded`` answers 403 REQUEST_LIMIT_EXCEEDED; ``invalid_locator`` answers 400
    INVALID_QUERY_LOCATOR; ``job_failed`` (on ``POST .../jobs/query``) makes the Bulk job
    it creates end Failed with ``QUERY_TIMEOUT``; ``repeat_page`` (on ``.../query/{locator}`` or a
    Bulk results page) answers with the same locator again — a server-side paging loop; ``rewrite``
    answers normally with the top-level JSON keys of ``fields`` replaced (an org that says something
    else than it should, e.g. an identity naming another org id).
    """

    kind: FaultKind
    path: str = ".*"
    method: str | None = None
    times: int = 1
    after: int = 0
    status: int = 503
    error_code: str | None = None  # with kind "status": answer this errorCode (and message) instead
    message: str | None = None
    delay: float = 1.0
    fields: dict[str, Any] | None = None  # with kind "rewrite": the JSON keys to replace in the answer
    seen: int = 0
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method) and re.search(self.path, path) is not None


class FaultPlan:
    """The faults currently armed, consulted for every request (thread-safe)."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, kind: FaultKind, **options: Any) -> Fault:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; choose one of {', '.join(FAULT_KINDS)}")
        fault = Fault(kind=kind, **options)
        re.compile(fault.path)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, method: str, path: str) -> Fault | None:
        """The fault that fires for this request, if any (counting it)."""
        with self._lock:
            for fault in self._faults:
                if not fault.matches(method, path):
                    continue
                fault.seen += 1
                if fault.seen <= fault.after or (fault.times and fault.fired >= fault.times):
                    continue
                fault.fired += 1
                return fault
        return None
