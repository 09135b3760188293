"""Open query results: REST query locators (``nextRecordsUrl``) and their expiry.

Salesforce keeps a query cursor for 2 days (API v56.0+) and at most 10 open cursors per
user, dropping the oldest; an unknown or expired locator is 400 ``INVALID_QUERY_LOCATOR``.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa

from .errors import ApiError

if TYPE_CHECKING:
    from .soql import CompiledQuery

CURSOR_LIFETIME_SECONDS = 2 * 24 * 3600
MAX_OPEN_CURSORS_PER_USER = 10


@dataclass
class Cursor:
    key: str
    user_id: str
    table: pa.Table
    query: CompiledQuery
    batch_size: int
    created: float


def invalid_locator() -> ApiError:
    return ApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")


class CursorRegistry:
    def __init__(self) -> None:
        self._cursors: OrderedDict[str, Cursor] = OrderedDict()
        self._lock = threading.Lock()

    def open(self, user_id: str, table: pa.Table, query: CompiledQuery, batch_size: int) -> Cursor:
        cursor = Cursor("01g8d" + secrets.token_hex(5).upper() + "AAW", user_id, table, query, batch_size, time.time())
        with self._lock:
            self._cursors[cursor.key] = cursor
            mine = [c.key for c in self._cursors.values() if c.user_id == user_id]
            for key in mine[:-MAX_OPEN_CURSORS_PER_USER]:
                del self._cursors[key]
        return cursor

    def get(self, locator: str, user_id: str) -> tuple[Cursor, int]:
        """The cursor and the row offset named by ``01g...-2000``."""
        key, _, offset_text = locator.partition("-")
        with self._lock:
            cursor = self._cursors.get(key)
            if cursor is not None and time.time() - cursor.created > CURSOR_LIFETIME_SECONDS:
                del self._cursors[key]
                cursor = None
        if cursor is None or cursor.user_id != user_id or not offset_text.isdigit():
            raise invalid_locator()
        offset = int(offset_text)
        if offset > cursor.table.num_rows:
            raise invalid_locator()
        return cursor, offset

    def close(self, key: str) -> None:
        with self._lock:
            self._cursors.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._cursors.clear()
