"""Slack identifiers, message timestamps and pagination cursors.

Ids look like Slack's: a type letter (``E`` enterprise, ``T`` workspace, ``U`` user, ``B`` bot,
``A`` app, ``C`` channel, ``G`` legacy private channel, ``D`` direct message) followed by
upper-case letters and digits.  Message timestamps are ``"<seconds>.<microseconds>"`` strings,
unique per channel.  Cursors are base64 like Slack's (``dXNlcjpVMDYxTkZUVDI=`` is
``user:U061NFTT2``).
"""

from __future__ import annotations

import base64
import binascii
import random
from decimal import Decimal, InvalidOperation

ID_ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
TOKEN_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


class IdFactory:
    """Deterministic, unique ids drawn from one seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._used: set[str] = set()

    def new(self, prefix: str, length: int = 10) -> str:
        while True:
            value = prefix + "".join(self._rng.choice(ID_ALPHABET) for _ in range(length))
            if value not in self._used:
                self._used.add(value)
                return value

    def digits(self, length: int) -> str:
        return "".join(self._rng.choice("0123456789") for _ in range(length))

    def secret(self, length: int) -> str:
        return "".join(self._rng.choice(TOKEN_ALPHABET) for _ in range(length))

    def hex(self, length: int) -> str:
        """Lower-case hex digits (a signing secret's alphabet)."""
        return "".join(self._rng.choice("0123456789abcdef") for _ in range(length))


def format_ts(micros: int) -> str:
    """``1700000000123456`` → ``"1700000000.123456"``."""
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def parse_ts(text: str) -> int | None:
    """A Slack timestamp (``"1700000000.123456"``, or whole seconds) in microseconds; None when invalid."""
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        return None
    if not value.is_finite() or value < 0:
        return None
    return int(value * 1_000_000)


def encode_cursor(kind: str, value: str) -> str:
    return base64.b64encode(f"{kind}:{value}".encode()).decode()


def decode_cursor(cursor: str, kind: str) -> str | None:
    """The value of a cursor made by :func:`encode_cursor` with ``kind``; None when it is not one."""
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    prefix, sep, value = text.partition(":")
    return value if sep and prefix == kind and value else None
