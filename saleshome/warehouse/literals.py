"""SQL statements with their values written in as DuckDB literals, for the sync's hot path.

Why: DuckDB's Python client (1.5) imports pandas the first time it binds any parameter that is not
None (its value conversion compares each one with ``pandas.NaT``), about half a second per process.
The org warehouse's statements (``OrgWarehouse``) write their values in instead, so a sync never
pays it; pandas stays for the analyst API (``saleshome.open_warehouse``), which imports it itself.

Invariants:
- Only values of known types become literals: None, bool, int, finite float, str, datetime, date,
  and lists of them; anything else is refused (``TypeError``; a tuple too, which DuckDB binds as a
  STRUCT), never written through ``str()``.
- A string becomes one SQL string literal: its single quotes doubled (DuckDB strings have no
  backslash escapes); a string holding a NUL character is refused.  Types are kept: a float is a
  DOUBLE (not a DECIMAL literal), a time-zone aware datetime a TIMESTAMPTZ, a naive one a TIMESTAMP.
- :func:`inline` fills only the ``?`` placeholders outside quoted strings, quoted identifiers and
  comments, and refuses a statement whose placeholder count is not the number of values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

__all__ = ["inline", "literal"]


def literal(value: Any) -> str:
    """``value`` as a DuckDB literal of the type DuckDB would bind it as."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"not a finite number: {value!r}")
        return f"CAST({float(value)!r} AS DOUBLE)"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, datetime):
        kind = "TIMESTAMP" if value.tzinfo is None else "TIMESTAMPTZ"
        return f"{kind} {_string(value.isoformat(sep=' '))}"
    if isinstance(value, date):
        return f"DATE {_string(value.isoformat())}"
    if isinstance(value, list):  # (a tuple DuckDB would bind as a STRUCT: refused below)
        return "[" + ", ".join(literal(v) for v in value) + "]"
    raise TypeError(f"no SQL literal for a {type(value).__name__}")


def _string(text: str) -> str:
    if "\x00" in text:
        raise ValueError("a string for SQL holds a NUL character")
    return "'" + text.replace("'", "''") + "'"


def inline(sql: str, params: Sequence[Any]) -> str:
    """``sql`` with each ``?`` placeholder replaced by the literal of the next value of ``params``."""
    out: list[str] = []
    values = iter(params)
    used = 0
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"":  # a string or a quoted identifier: to its closing quote (a doubled quote stays inside)
            end = i + 1
            while end < n and not (sql[end] == ch and sql[end + 1:end + 2] != ch):
                end += 2 if sql[end] == ch else 1
            out.append(sql[i:end + 1])
            i = end + 1
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end < 0 else end
            out.append(sql[i:end])
            i = end
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(sql[i:end])
            i = end
        elif ch == "?":
            try:
                out.append(literal(next(values)))
            except StopIteration:
                raise ValueError(f"more placeholders than the {len(params)} values given: {sql!r}") from None
            used += 1
            i += 1
        else:
            out.append(ch)
            i += 1
    if used != len(params):
        raise ValueError(f"{len(params)} values for {used} placeholders: {sql!r}")
    return "".join(out)
