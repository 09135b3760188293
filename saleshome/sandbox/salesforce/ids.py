"""Salesforce record ids: 15-character case-sensitive ids and their 18-character case-safe form."""

from __future__ import annotations

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
POD = "8d"  # the two "instance" characters after the key prefix


def checksum(id15: str) -> str:
    """The 3-character suffix that makes a 15-character id case-insensitive-safe.

    For each 5-character chunk, bit i is set when character i is an uppercase letter;
    the 5-bit number indexes ``A..Z0..5``.
    """
    if len(id15) != 15:
        raise ValueError(f"a Salesforce id has 15 characters before its suffix, got {id15!r}")
    out = []
    for chunk in range(3):
        bits = 0
        for i, ch in enumerate(id15[chunk * 5 : chunk * 5 + 5]):
            if "A" <= ch <= "Z":
                bits |= 1 << i
        out.append(_SUFFIX[bits])
    return "".join(out)


def make_id(key_prefix: str, number: int) -> str:
    """The 18-character id of record ``number`` of the object with ``key_prefix``."""
    body = []
    n = number
    for _ in range(10):
        n, r = divmod(n, 62)
        body.append(_BASE62[r])
    if n:
        raise ValueError(f"record number {number} does not fit in a Salesforce id")
    id15 = key_prefix + POD + "".join(reversed(body))
    return id15 + checksum(id15)


def is_valid_id(value: str) -> bool:
    """True for a well-formed 15- or 18-character id (the 18-character suffix must match)."""
    if len(value) not in (15, 18) or not all(c in _BASE62 for c in value[:15]):
        return False
    return len(value) == 15 or checksum(value[:15]) == value[15:].upper()


def to_18(value: str) -> str:
    """The 18-character form of a 15- or 18-character id (raises ValueError when malformed)."""
    if not is_valid_id(value):
        raise ValueError(f"malformed Salesforce id {value!r}")
    return value[:15] + checksum(value[:15])
