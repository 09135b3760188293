"""SOQL parser: syntax tree shapes, literals and their escapes, and Salesforce's syntax errors."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from simple_salesforce.format import quote_soql_value

from saleshome.sandbox.salesforce.soql import SoqlError, parse
from saleshome.sandbox.salesforce.soql.parser import (
    And,
    BoolValue,
    Comparison,
    DateLiteral,
    DateTimeValue,
    DateValue,
    InList,
    Not,
    NullValue,
    NumberValue,
    Or,
    StringValue,
    Value,
)


def where_value(literal: str) -> Value:
    """The value of ``WHERE X = <literal>``."""
    where = parse(f"SELECT Id FROM Account WHERE X = {literal}").where
    assert isinstance(where, Comparison)
    return where.value


def string_value(literal: str) -> StringValue:
    value = where_value(literal)
    assert isinstance(value, StringValue)
    return value


def error(soql: str) -> SoqlError:
    with pytest.raises(SoqlError) as caught:
        parse(soql)
    return caught.value


# ----------------------------------------------------------------------------------- structure


def test_a_full_query_parses_into_its_parts() -> None:
    query = parse(
        "SELECT Id, Name, Owner.Email, Account.Owner.Name FROM Opportunity "
        "WHERE StageName = 'Closed Won' AND Amount > 100 ORDER BY CloseDate DESC NULLS LAST, Name LIMIT 10 OFFSET 20"
    )
    assert [f.parts for f in query.fields] == [("Id",), ("Name",), ("Owner", "Email"), ("Account", "Owner", "Name")]
    assert query.object_name == "Opportunity"
    assert not query.is_count
    assert isinstance(query.where, And)
    assert [(o.path.parts, o.descending, o.nulls_first) for o in query.order_by] == [
        (("CloseDate",), True, False),
        (("Name",), False, None),
    ]
    assert (query.limit, query.offset) == (10, 20)


def test_keywords_are_case_insensitive_and_names_keep_their_spelling() -> None:
    query = parse("sElEcT name FrOm account wHeRe iD != null oRdEr By name aSc nUlLs FiRsT lImIt 1")
    assert query.fields[0].parts == ("name",)
    assert query.object_name == "account"
    assert query.order_by[0].nulls_first is True
    assert query.limit == 1


def test_count_alone_is_a_count_query() -> None:
    query = parse("SELECT COUNT() FROM Account WHERE Name LIKE 'A%'")
    assert query.is_count
    assert query.fields == ()


def test_positions_point_at_the_tokens() -> None:
    soql = "SELECT Id, Owner.Name FROM Account WHERE Name = 'x'"
    query = parse(soql)
    assert soql[query.fields[1].pos :].startswith("Owner.Name")
    assert soql[query.object_pos :].startswith("Account")
    assert isinstance(query.where, Comparison)
    assert soql[query.where.path.pos :].startswith("Name =")


@pytest.mark.parametrize(
    ("text", "op"),
    [("=", "="), ("!=", "!="), ("<>", "!="), ("<", "<"), ("<=", "<="), (">", ">"), (">=", ">=")],
)
def test_comparison_operators(text: str, op: str) -> None:
    where = parse(f"SELECT Id FROM Account WHERE NumberOfEmployees {text} 5").where
    assert isinstance(where, Comparison)
    assert where.op == op


def test_set_operators() -> None:
    where = parse(
        "SELECT Id FROM Account WHERE Name IN ('a', 'b') AND Type NOT IN ('c') "
        "AND Tags__c INCLUDES ('x;y', 'z') AND Tags__c EXCLUDES ('w') AND Name LIKE 'a\\_%'"
    ).where
    assert isinstance(where, And)
    ops = [item.op for item in where.items if isinstance(item, InList | Comparison)]
    assert ops == ["IN", "NOT IN", "INCLUDES", "EXCLUDES", "LIKE"]


def test_and_or_not_and_parentheses() -> None:
    where = parse("SELECT Id FROM Account WHERE NOT (Name = 'a' OR Name = 'b') AND (NOT Type = 'c')").where
    assert isinstance(where, And)
    first, second = where.items
    assert isinstance(first, Not) and isinstance(first.item, Or)
    assert isinstance(second, Not) and isinstance(second.item, Comparison)


def test_and_and_or_cannot_be_mixed_without_parentheses() -> None:
    exc = error("SELECT Id FROM Account WHERE Name = 'a' AND Type = 'b' OR Type = 'c'")
    assert exc.error_code == "MALFORMED_QUERY"
    assert exc.message.endswith("unexpected token: 'OR'")


# ----------------------------------------------------------------------------------- literals


def test_null_and_booleans() -> None:
    assert isinstance(where_value("null"), NullValue)
    assert isinstance(where_value("NULL"), NullValue)
    assert where_value("TRUE") == BoolValue(True, where_value("TRUE").pos)
    value = where_value("false")
    assert isinstance(value, BoolValue) and value.value is False


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ("42", Decimal(42)),
        ("-7", Decimal(-7)),
        ("+3", Decimal(3)),
        ("0.25", Decimal("0.25")),
        ("-1000.5", Decimal("-1000.5")),
    ],
)
def test_numbers(literal: str, expected: Decimal) -> None:
    value = where_value(literal)
    assert isinstance(value, NumberValue)
    assert value.value == expected
    assert value.is_integer == ("." not in literal)


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        (r"'plain'", "plain"),
        (r"'Bob\'s BBQ'", "Bob's BBQ"),
        (r"'say \"hi\"'", 'say "hi"'),
        (r"'back\\slash'", "back\\slash"),
        (r"'a\nb\rc\td\be\ff'", "a\nb\rc\td\be\ff"),
        (r"'100\% and a\_b'", "100% and a_b"),
        (r"'caf\u00e9'", "café"),
        (r"'\uD83D\uDE00'", "\U0001f600"),
        ("'multi\nline'", "multi\nline"),
        ("''", ""),
    ],
)
def test_string_escapes(literal: str, expected: str) -> None:
    assert string_value(literal).value == expected


def test_like_pattern_keeps_wildcards_and_escapes_literals() -> None:
    value = string_value(r"'50\%_off%\\'")
    assert value.value == "50%_off%\\"
    assert value.like_pattern == "50\\%_off%\\\\"


def test_an_unknown_escape_is_malformed() -> None:
    exc = error(r"SELECT Id FROM Account WHERE Name = 'a\qb'")
    assert exc.error_code == "MALFORMED_QUERY"
    assert "Illegal character sequence '\\q'" in exc.message
    assert "ERROR at Row:1:Column:39" in exc.message


def test_dates_and_datetimes_in_utc() -> None:
    assert where_value("2024-01-31") == DateValue(date(2024, 1, 31), where_value("2024-01-31").pos)
    expected = {
        "2024-01-31T10:00:00Z": datetime(2024, 1, 31, 10, tzinfo=UTC),
        "2024-01-31T10:00:00.000+0000": datetime(2024, 1, 31, 10, tzinfo=UTC),
        "2024-01-31T10:00:00.123Z": datetime(2024, 1, 31, 10, 0, 0, 123000, tzinfo=UTC),
        "2024-01-31T10:00:00-08:00": datetime(2024, 1, 31, 18, tzinfo=UTC),
        "2024-01-31T01:30:00+05:30": datetime(2024, 1, 30, 20, tzinfo=UTC),
        "2024-01-31t10:00:00z": datetime(2024, 1, 31, 10, tzinfo=UTC),
    }
    for literal, moment in expected.items():
        value = where_value(literal)
        assert isinstance(value, DateTimeValue), literal
        assert value.value == moment, literal


def test_an_impossible_date_is_malformed() -> None:
    exc = error("SELECT Id FROM Opportunity WHERE CloseDate = 2024-02-30")
    assert exc.error_code == "MALFORMED_QUERY"
    assert exc.message.endswith("Invalid date: 2024-02-30")


@pytest.mark.parametrize(
    ("literal", "name", "n"),
    [
        ("TODAY", "TODAY", None),
        ("this_quarter", "THIS_QUARTER", None),
        ("LAST_90_DAYS", "LAST_90_DAYS", None),
        ("LAST_N_DAYS:7", "LAST_N_DAYS", 7),
        ("next_n_weeks:2", "NEXT_N_WEEKS", 2),
        ("N_DAYS_AGO:30", "N_DAYS_AGO", 30),
        ("LAST_N_MONTHS:12", "LAST_N_MONTHS", 12),
    ],
)
def test_date_literals(literal: str, name: str, n: int | None) -> None:
    value = where_value(literal)
    assert isinstance(value, DateLiteral)
    assert (value.name, value.n) == (name, n)


def test_exponents_are_not_numbers() -> None:
    exc = error("SELECT Id FROM Account WHERE AnnualRevenue = 1e5")
    assert exc.message.endswith("unexpected token: '1e5'")


# ----------------------------------------------------------------------------------- syntax errors


def test_unexpected_keyword_error_has_caret_row_and_column() -> None:
    exc = error("SELECT Id, FROM Account")
    assert exc.error_code == "MALFORMED_QUERY"
    assert exc.message == "\nSELECT Id, FROM Account\n           ^\nERROR at Row:1:Column:12\nunexpected token: 'FROM'"


def test_unexpected_end_of_query() -> None:
    exc = error("SELECT Id FROM Account WHERE")
    assert exc.message == (
        "\nSELECT Id FROM Account WHERE\n                            ^\nERROR at Row:1:Column:29\nunexpected token: '<EOF>'"
    )


def test_errors_on_later_rows_show_that_row() -> None:
    exc = error("SELECT Id\nFROM Account\nWHERE Name = 'x' Foo")
    assert (
        exc.message == "\nWHERE Name = 'x' Foo\n                 ^\nERROR at Row:3:Column:18\nunexpected token: 'Foo'"
    )


@pytest.mark.parametrize(
    ("soql", "token"),
    [
        ("SELECT FROM Account", "FROM"),
        ("SELECT Id FROM Account WHERE Name IN ()", ")"),
        ('SELECT Id FROM Account WHERE Name = "x"', '"'),
        ("SELECT Id FROM Account LIMIT 1.5", "1.5"),
        ("SELECT Id FROM Account LIMIT -1", "-1"),
        ("SELECT COUNT(), Id FROM Account", ","),
        ("SELECT Id FROM Account WHERE Name = 'x' LIMIT 5 OFFSET", "<EOF>"),
        ("SELECT Id FROM Account WHERE Name = 'unterminated", "'"),
    ],
)
def test_malformed_queries(soql: str, token: str) -> None:
    exc = error(soql)
    assert exc.error_code == "MALFORMED_QUERY"
    assert exc.message.endswith(f"unexpected token: '{token}'")


# ----------------------------------------------------------------------------------- properties


@given(st.text(st.characters(codec="utf-8")))
def test_any_text_quoted_like_a_client_parses_back_to_itself(text: str) -> None:
    assert string_value(quote_soql_value(text)).value == text


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_numbers_written_without_exponent_parse_back_exactly(number: float) -> None:
    literal = format(Decimal(number), "f")
    value = where_value(literal)
    assert isinstance(value, NumberValue)
    assert float(value.value) == number


@given(st.integers(min_value=-(10**30), max_value=10**30))
def test_integers_parse_back_exactly(number: int) -> None:
    value = where_value(str(number))
    assert isinstance(value, NumberValue) and value.is_integer
    assert value.value == number
