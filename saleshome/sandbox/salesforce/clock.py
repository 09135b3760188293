"""The sandbox org's clock: real UTC time, shifted by an offset that simulations can advance."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


def to_ms(moment: datetime) -> datetime:
    """``moment`` in UTC, truncated to the millisecond (Salesforce's datetime precision)."""
    moment = moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


class Clock:
    """Server time of the sandbox org (UTC, millisecond precision, never going backwards)."""

    def __init__(self, offset_seconds: float = 0.0) -> None:
        self._offset = timedelta(seconds=offset_seconds)
        self._last = datetime(1970, 1, 1, tzinfo=UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            moment = max(to_ms(datetime.now(UTC) + self._offset), self._last)
            self._last = moment
            return moment

    def advance(self, seconds: float) -> None:
        """Move the org's time forward by ``seconds`` (simulated time passing)."""
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        with self._lock:
            self._offset += timedelta(seconds=seconds)
