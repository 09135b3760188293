"""The sandbox's wall clock: real time plus an offset that tests may move forward."""

from __future__ import annotations

import threading
import time


class Clock:
    """Epoch seconds as Slack sees them (message ``ts``, status expiry); ``advance`` jumps ahead."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        """Move the clock forward by ``seconds`` (never backwards) and return the new time."""
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        with self._lock:
            self._offset += seconds
        return self.now()
