"""``saleshome.warehouse.literals``: values written into SQL as DuckDB literals are the values and types DuckDB
binds as parameters, hostile strings stay values, and only real placeholders are filled."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import duckdb
import pytest

from saleshome.warehouse.literals import inline, literal

VALUES: list[Any] = [
    None, True, False, 0, -7, 2**40, 2**70, 1.5, -0.1, 1e300, "", "it's", "a''b", "back\\slash", "?", "--", "/*",
    "naïve ünïcode ✓", "line\nbreak", datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=UTC), datetime(2026, 1, 2, 3, 4, 5),
    datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=-5))), date(2026, 1, 2),
    ["a", None, "b'c"], [None, ["x", "y"]], [True, None],
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_a_literal_is_the_value_and_type_duckdb_binds(value: Any) -> None:
    with duckdb.connect() as db:
        bound = db.execute("SELECT ?, typeof(?)", [value, value]).fetchone()
        written = db.execute(inline("SELECT ?, typeof(?)", [value, value])).fetchone()
    assert written == bound


def test_a_hostile_string_stays_a_value() -> None:
    hostile = "x'); DROP TABLE t; --"
    with duckdb.connect() as db:
        db.execute("CREATE TABLE t (v VARCHAR)")
        db.execute(inline("INSERT INTO t VALUES (?)", [hostile]))
        assert db.execute("SELECT v FROM t").fetchall() == [(hostile,)]


def test_only_placeholders_outside_strings_identifiers_and_comments_are_filled() -> None:
    sql = "SELECT '?', 'it''s ?', \"col?\", ? -- a ?\n, ? /* ? */"
    assert inline(sql, [1, "x"]) == "SELECT '?', 'it''s ?', \"col?\", 1 -- a ?\n, 'x' /* ? */"


def test_a_placeholder_count_that_is_not_the_values_count_is_refused() -> None:
    with pytest.raises(ValueError, match="more placeholders"):
        inline("SELECT ?, ?", [1])
    with pytest.raises(ValueError, match="2 values for 1 placeholders"):
        inline("SELECT ?", [1, 2])


@pytest.mark.parametrize(("value", "error"), [
    (object(), TypeError), (b"bytes", TypeError), ({"a": 1}, TypeError), (float("nan"), ValueError),
    (float("inf"), ValueError), ("nul\x00", ValueError), (["ok", object()], TypeError), (("t", 1), TypeError),
])
def test_values_without_a_safe_literal_are_refused(value: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        literal(value)
