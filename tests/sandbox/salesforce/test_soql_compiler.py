"""SOQL compiler: the generated SQL runs on DuckDB tables made from the catalog and returns what Salesforce would."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import duckdb
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from simple_salesforce.format import format_soql, quote_soql_value

from saleshome.sandbox.salesforce.ids import make_id
from saleshome.sandbox.salesforce.schema import catalog
from saleshome.sandbox.salesforce.soql import CompiledQuery, SoqlError, compile_query, date_literal_range

NOW = datetime(2024, 5, 15, 13, 30, tzinfo=UTC)  # a Wednesday
USER_1, USER_2 = make_id("005", 1), make_id("005", 2)
ACC_1, ACC_2, ACC_DELETED = make_id("001", 1), make_id("001", 2), make_id("001", 3)
OPP_1, OPP_2, OPP_3 = make_id("006", 1), make_id("006", 2), make_id("006", 3)

Row = dict[str, Any]


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    for obj in catalog():
        columns = ", ".join(f'"{f.name}" {f.storage_type}' for f in obj.stored_fields)
        con.execute(f'CREATE TABLE "{obj.name}" ({columns})')


def insert(con: duckdb.DuckDBPyConnection, object_name: str, **values: Any) -> None:
    definition = catalog().get(object_name)
    if definition is not None and definition.soft_deletes:
        values.setdefault("IsDeleted", False)
    names = ", ".join(f'"{name}"' for name in values)
    holes = ", ".join("?" for _ in values)
    con.execute(f'INSERT INTO "{object_name}" ({names}) VALUES ({holes})', list(values.values()))


@pytest.fixture(scope="module")
def db() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    create_tables(con)
    insert(con, "User", Id=USER_1, Name="Ada Lovelace", Email="ada@example.com", ManagerId=USER_2)
    insert(con, "User", Id=USER_2, Name="Grace Hopper", Email="grace@example.com")
    insert(
        con,
        "Account",
        Id=ACC_1,
        Name="Acme",
        OwnerId=USER_1,
        BillingCity="Paris",
        BillingCountry="France",
        BillingLatitude=48.85,
        NumberOfEmployees=120,
        CreatedDate=datetime(2024, 5, 15, 0, 0),
    )
    insert(
        con,
        "Account",
        Id=ACC_2,
        Name="globex",
        OwnerId=None,
        NumberOfEmployees=None,
        CreatedDate=datetime(2024, 5, 14, 23, 59, 59, 999000),
    )
    insert(con, "Account", Id=ACC_DELETED, Name="Gone", IsDeleted=True, CreatedDate=datetime(2024, 5, 16))
    insert(
        con,
        "Opportunity",
        Id=OPP_1,
        Name="Big deal",
        AccountId=ACC_1,
        OwnerId=USER_2,
        StageName="Closed Won",
        Amount=1000.0,
        Probability=50.0,
        CloseDate=date(2024, 5, 20),
        Region__c=None,
    )
    insert(
        con,
        "Opportunity",
        Id=OPP_2,
        Name="Small deal",
        AccountId=ACC_2,
        OwnerId=USER_1,
        StageName="Prospecting",
        Amount=None,
        Probability=10.0,
        CloseDate=date(2024, 4, 30),
        Region__c="EMEA",
    )
    insert(
        con,
        "Opportunity",
        Id=OPP_3,
        Name="No account",
        AccountId=None,
        OwnerId=USER_1,
        StageName="Qualification",
        Amount=10.5,
        Probability=None,
        CloseDate=date(2024, 7, 1),
        Region__c="AMER",
    )
    yield con
    con.close()


def compile_(soql: str, *, include_deleted: bool = False) -> CompiledQuery:
    return compile_query(soql, catalog(), now=NOW, include_deleted=include_deleted)


def run(con: duckdb.DuckDBPyConnection, soql: str, *, include_deleted: bool = False) -> list[Row]:
    compiled = compile_(soql, include_deleted=include_deleted)
    cursor = con.execute(compiled.sql, compiled.params)
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def ids(con: duckdb.DuckDBPyConnection, soql: str, *, include_deleted: bool = False) -> list[str]:
    return [row["rid"] for row in run(con, soql, include_deleted=include_deleted)]


def records(con: duckdb.DuckDBPyConnection, soql: str) -> list[Row]:
    """Result rows nested the way the REST API returns records (what the server does with ``items``)."""
    compiled = compile_(soql)
    cursor = con.execute(compiled.sql, compiled.params)
    names = [d[0] for d in cursor.description or []]
    out = []
    for values in cursor.fetchall():
        row = dict(zip(names, values, strict=True))
        record: Row = {"attributes": {"type": compiled.object.name}}
        for item in compiled.items:
            target: Row | None = record
            for rel, obj, id_column in zip(item.path[:-1], item.objects[1:], item.parent_id_columns, strict=True):
                assert target is not None
                if row[id_column] is None:
                    target[rel] = None
                if target.get(rel, {}) is None:
                    target = None
                    break
                target = target.setdefault(rel, {"attributes": {"type": obj.name}})
            if target is None:
                continue
            if item.components:
                target[item.field.name] = {c.name: row[item.component_column(c)] for c in item.components}
            else:
                target[item.field.name] = row[item.column]
        out.append(record)
    return out


def soql_error(soql: str) -> SoqlError:
    with pytest.raises(SoqlError) as caught:
        compile_(soql)
    return caught.value


# ----------------------------------------------------------------------------------- selecting


def test_fields_come_back_in_select_order_with_canonical_paths(db: duckdb.DuckDBPyConnection) -> None:
    compiled = compile_("select name, ID, owner.EMAIL from ACCOUNT where id = '" + ACC_1 + "'")
    assert compiled.object.name == "Account"
    assert [item.path for item in compiled.items] == [("Name",), ("Id",), ("Owner", "Email")]
    assert [item.column for item in compiled.items] == ["c0", "c1", "c2"]
    assert [o.name for o in compiled.items[2].objects] == ["Account", "User"]
    assert compiled.items[2].parent_id_columns == ("j1",)
    assert records(db, "select name, ID, owner.EMAIL from ACCOUNT where id = '" + ACC_1 + "'") == [
        {
            "attributes": {"type": "Account"},
            "Name": "Acme",
            "Id": ACC_1,
            "Owner": {"attributes": {"type": "User"}, "Email": "ada@example.com"},
        }
    ]


def test_parent_relationships_are_left_joins_and_empty_parents_are_null(db: duckdb.DuckDBPyConnection) -> None:
    got = records(
        db, "SELECT Name, Account.Name, Account.Owner.Name, Owner.Manager.Email FROM Opportunity ORDER BY Name"
    )
    assert got == [
        {
            "attributes": {"type": "Opportunity"},
            "Name": "Big deal",
            "Account": {
                "attributes": {"type": "Account"},
                "Name": "Acme",
                "Owner": {"attributes": {"type": "User"}, "Name": "Ada Lovelace"},
            },
            "Owner": {"attributes": {"type": "User"}, "Manager": None},
        },
        {
            "attributes": {"type": "Opportunity"},
            "Name": "No account",
            "Account": None,
            "Owner": {
                "attributes": {"type": "User"},
                "Manager": {"attributes": {"type": "User"}, "Email": "grace@example.com"},
            },
        },
        {
            "attributes": {"type": "Opportunity"},
            "Name": "Small deal",
            "Account": {"attributes": {"type": "Account"}, "Name": "globex", "Owner": None},
            "Owner": {
                "attributes": {"type": "User"},
                "Manager": {"attributes": {"type": "User"}, "Email": "grace@example.com"},
            },
        },
    ]


def test_one_join_per_distinct_relationship_path() -> None:
    sql = compile_("SELECT Owner.Name, Owner.Email, Account.Owner.Name FROM Opportunity WHERE Owner.Name != null").sql
    assert sql.count("LEFT JOIN") == 3  # Owner, Account, Account.Owner


def test_the_object_name_may_prefix_its_own_fields(db: duckdb.DuckDBPyConnection) -> None:
    compiled = compile_("SELECT Account.Name FROM Account WHERE Account.Name = 'Acme'")
    assert compiled.items[0].path == ("Name",)
    assert [r["c0"] for r in run(db, "SELECT Account.Name FROM Account WHERE Account.Name = 'Acme'")] == ["Acme"]


def test_compound_address_fields_select_their_components(db: duckdb.DuckDBPyConnection) -> None:
    compiled = compile_("SELECT Name, BillingAddress FROM Account")
    item = compiled.items[1]
    assert item.field.name == "BillingAddress"
    assert [c.name for c in item.components] == [
        "BillingStreet",
        "BillingCity",
        "BillingState",
        "BillingPostalCode",
        "BillingCountry",
        "BillingLatitude",
        "BillingLongitude",
    ]
    assert item.component_column(item.components[1]) == "c1__BillingCity"
    row = run(db, f"SELECT Name, BillingAddress FROM Account WHERE Id = '{ACC_1}'")[0]
    assert (row["c1__BillingCity"], row["c1__BillingCountry"], row["c1__BillingLatitude"]) == ("Paris", "France", 48.85)


def test_formula_fields_are_computed_from_the_row_and_now(db: duckdb.DuckDBPyConnection) -> None:
    rows = run(
        db,
        "SELECT ExpectedRevenue, Days_To_Close__c FROM Opportunity WHERE Days_To_Close__c > 0 ORDER BY Days_To_Close__c",
    )
    assert [(r["c0"], r["c1"]) for r in rows] == [(500.0, 5), (None, 47)]


def test_count_returns_one_integer(db: duckdb.DuckDBPyConnection) -> None:
    compiled = compile_("SELECT COUNT() FROM Opportunity WHERE Amount > 0")
    assert compiled.is_count and compiled.items == []
    assert db.execute(compiled.sql, compiled.params).fetchall() == [(2,)]
    limited = compile_("SELECT COUNT() FROM Account LIMIT 1")
    assert db.execute(limited.sql, limited.params).fetchall() == [(1,)]


def test_deleted_rows_only_with_query_all(db: duckdb.DuckDBPyConnection) -> None:
    assert ACC_DELETED not in ids(db, "SELECT Id FROM Account")
    assert ACC_DELETED in ids(db, "SELECT Id FROM Account", include_deleted=True)
    assert ids(db, "SELECT Id FROM Account WHERE IsDeleted = true", include_deleted=True) == [ACC_DELETED]


def test_duplicate_fields_are_refused() -> None:
    exc = soql_error("SELECT Id, Name, name FROM Account")
    assert exc.error_code == "INVALID_FIELD"
    assert exc.message.endswith("duplicate field selected: name")


# ----------------------------------------------------------------------------------- filtering


def test_text_comparisons_are_case_insensitive(db: duckdb.DuckDBPyConnection) -> None:
    assert ids(db, "SELECT Id FROM Account WHERE Name = 'ACME'") == [ACC_1]
    assert ids(db, "SELECT Id FROM Account WHERE Name LIKE 'GLO%'") == [ACC_2]
    assert ids(db, "SELECT Id FROM Opportunity WHERE StageName IN ('closed won')") == [OPP_1]


def test_not_equal_and_not_in_include_nulls(db: duckdb.DuckDBPyConnection) -> None:
    assert sorted(ids(db, "SELECT Id FROM Opportunity WHERE Region__c != 'EMEA'")) == sorted([OPP_1, OPP_3])
    assert sorted(ids(db, "SELECT Id FROM Opportunity WHERE Region__c NOT IN ('AMER')")) == sorted([OPP_1, OPP_2])
    assert ids(db, "SELECT Id FROM Opportunity WHERE Region__c = null") == [OPP_1]
    assert sorted(ids(db, "SELECT Id FROM Opportunity WHERE Region__c IN ('AMER', null)")) == sorted([OPP_1, OPP_3])
    assert sorted(ids(db, "SELECT Id FROM Opportunity WHERE NOT Amount > 100")) == sorted([OPP_2, OPP_3])


def test_boolean_logic_and_relationship_filters(db: duckdb.DuckDBPyConnection) -> None:
    soql = (
        "SELECT Id FROM Opportunity WHERE (Account.Name = 'Acme' OR Owner.Email LIKE 'ada@%') AND NOT (Amount = null)"
    )
    assert sorted(ids(db, soql)) == sorted([OPP_1, OPP_3])


def test_ids_compare_in_15_and_18_characters(db: duckdb.DuckDBPyConnection) -> None:
    assert ids(db, f"SELECT Id FROM Account WHERE Id = '{ACC_1[:15]}'") == [ACC_1]
    assert ids(db, f"SELECT Id FROM Opportunity WHERE AccountId IN ('{ACC_1[:15]}', '{ACC_2}') ORDER BY Name") == [
        OPP_1,
        OPP_2,
    ]


def test_datetime_literals_are_utc(db: duckdb.DuckDBPyConnection) -> None:
    assert ids(db, "SELECT Id FROM Account WHERE CreatedDate = 2024-05-15T00:00:00Z") == [ACC_1]
    assert ids(db, "SELECT Id FROM Account WHERE CreatedDate = 2024-05-14T17:00:00-07:00") == [ACC_1]
    assert ids(db, "SELECT Id FROM Account WHERE CreatedDate = 2024-05-15T02:00:00.000+0200") == [ACC_1]
    assert ids(db, "SELECT Id FROM Account WHERE CreatedDate < 2024-05-15T00:00:00Z") == [ACC_2]


@pytest.mark.parametrize(
    ("op", "expected"),
    [("=", [ACC_1]), ("<", [ACC_2]), ("<=", [ACC_1, ACC_2]), (">", []), (">=", [ACC_1]), ("!=", [ACC_2])],
)
def test_date_literals_on_datetime_fields_are_utc_day_ranges(
    db: duckdb.DuckDBPyConnection, op: str, expected: list[str]
) -> None:
    assert sorted(ids(db, f"SELECT Id FROM Account WHERE CreatedDate {op} TODAY")) == sorted(expected)


def test_date_literals_on_date_fields(db: duckdb.DuckDBPyConnection) -> None:
    assert ids(db, "SELECT Id FROM Opportunity WHERE CloseDate = NEXT_WEEK") == [OPP_1]
    assert ids(db, "SELECT Id FROM Opportunity WHERE CloseDate = LAST_MONTH") == [OPP_2]
    assert ids(db, "SELECT Id FROM Opportunity WHERE CloseDate > THIS_QUARTER") == [OPP_3]
    assert ids(db, "SELECT Id FROM Opportunity WHERE CloseDate = NEXT_N_DAYS:5") == [OPP_1]
    assert ids(db, "SELECT Id FROM Opportunity WHERE CloseDate IN (LAST_MONTH, NEXT_QUARTER) ORDER BY CloseDate") == [
        OPP_2,
        OPP_3,
    ]
    assert ids(db, "SELECT Id FROM Opportunity WHERE CloseDate = 2024-05-20") == [OPP_1]


@pytest.mark.parametrize(
    ("literal", "first", "after"),
    [
        ("YESTERDAY", "2024-05-14", "2024-05-15"),
        ("TODAY", "2024-05-15", "2024-05-16"),
        ("TOMORROW", "2024-05-16", "2024-05-17"),
        ("LAST_WEEK", "2024-05-05", "2024-05-12"),
        ("THIS_WEEK", "2024-05-12", "2024-05-19"),
        ("NEXT_WEEK", "2024-05-19", "2024-05-26"),
        ("LAST_MONTH", "2024-04-01", "2024-05-01"),
        ("THIS_MONTH", "2024-05-01", "2024-06-01"),
        ("NEXT_MONTH", "2024-06-01", "2024-07-01"),
        ("LAST_90_DAYS", "2024-02-15", "2024-05-16"),
        ("NEXT_90_DAYS", "2024-05-15", "2024-08-14"),
        ("THIS_QUARTER", "2024-04-01", "2024-07-01"),
        ("LAST_QUARTER", "2024-01-01", "2024-04-01"),
        ("NEXT_QUARTER", "2024-07-01", "2024-10-01"),
        ("THIS_YEAR", "2024-01-01", "2025-01-01"),
        ("LAST_YEAR", "2023-01-01", "2024-01-01"),
        ("NEXT_YEAR", "2025-01-01", "2026-01-01"),
        ("LAST_N_DAYS:7", "2024-05-08", "2024-05-16"),
        ("NEXT_N_DAYS:7", "2024-05-15", "2024-05-23"),
        ("N_DAYS_AGO:3", "2024-05-12", "2024-05-13"),
        ("LAST_N_WEEKS:2", "2024-04-28", "2024-05-12"),
        ("NEXT_N_WEEKS:2", "2024-05-19", "2024-06-02"),
        ("LAST_N_MONTHS:2", "2024-03-01", "2024-05-01"),
        ("NEXT_N_MONTHS:2", "2024-06-01", "2024-08-01"),
        ("LAST_N_QUARTERS:1", "2024-01-01", "2024-04-01"),
        ("N_YEARS_AGO:2", "2022-01-01", "2023-01-01"),
    ],
)
def test_date_literal_ranges(literal: str, first: str, after: str) -> None:
    name, _, n = literal.partition(":")
    expected = (date.fromisoformat(first), date.fromisoformat(after))
    assert date_literal_range(name, int(n) if n else None, NOW.date()) == expected


def test_weeks_start_on_sunday_and_months_wrap_years() -> None:
    sunday = date(2024, 5, 12)
    assert date_literal_range("THIS_WEEK", None, sunday) == (sunday, date(2024, 5, 19))
    assert date_literal_range("LAST_MONTH", None, date(2024, 1, 10)) == (date(2023, 12, 1), date(2024, 1, 1))
    assert date_literal_range("NEXT_QUARTER", None, date(2024, 11, 30)) == (date(2025, 1, 1), date(2025, 4, 1))


def test_includes_and_excludes_are_for_multi_select_picklists_only() -> None:
    exc = soql_error("SELECT Id FROM Account WHERE Name INCLUDES ('a')")
    assert exc.error_code == "INVALID_QUERY_FILTER_OPERATOR"


# ----------------------------------------------------------------------------------- ordering and paging


def test_order_by_defaults_nulls_first_ascending_and_last_descending(db: duckdb.DuckDBPyConnection) -> None:
    assert ids(db, "SELECT Id FROM Opportunity ORDER BY Amount") == [OPP_2, OPP_3, OPP_1]
    assert ids(db, "SELECT Id FROM Opportunity ORDER BY Amount DESC") == [OPP_1, OPP_3, OPP_2]
    assert ids(db, "SELECT Id FROM Opportunity ORDER BY Amount ASC NULLS LAST") == [OPP_3, OPP_1, OPP_2]
    assert ids(db, "SELECT Id FROM Opportunity ORDER BY Account.Name DESC NULLS FIRST, Name") == [OPP_3, OPP_2, OPP_1]


def test_limit_and_offset(db: duckdb.DuckDBPyConnection) -> None:
    compiled = compile_("SELECT Id FROM Opportunity ORDER BY Name LIMIT 1 OFFSET 1")
    assert (compiled.limit, compiled.offset) == (1, 1)
    assert ids(db, "SELECT Id FROM Opportunity ORDER BY Name LIMIT 1 OFFSET 1") == [OPP_3]
    assert compile_("SELECT Id FROM Account").limit is None


def test_offset_is_at_most_2000() -> None:
    exc = soql_error("SELECT Id FROM Account OFFSET 2001")
    assert exc.error_code == "NUMBER_OUTSIDE_VALID_RANGE"


# ----------------------------------------------------------------------------------- errors


def test_unknown_object() -> None:
    exc = soql_error("SELECT Id FROM Contact123")
    assert exc.error_code == "INVALID_TYPE"
    assert exc.message == (
        "\nSELECT Id FROM Contact123\n               ^\nERROR at Row:1:Column:16\n"
        "sObject type 'Contact123' is not supported. If you are attempting to use a custom object, be sure to append "
        "the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."
    )


def test_unknown_field() -> None:
    exc = soql_error("SELECT Foo FROM Account")
    assert exc.error_code == "INVALID_FIELD"
    assert exc.message == (
        "\nSELECT Foo FROM Account\n       ^\nERROR at Row:1:Column:8\n"
        "No such column 'Foo' on entity 'Account'. If you are attempting to use a custom field, be sure to append the "
        "'__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."
    )


@pytest.mark.parametrize(
    ("soql", "code", "detail"),
    [
        ("SELECT Owner.Foo FROM Account", "INVALID_FIELD", "No such column 'Foo' on entity 'User'."),
        ("SELECT Id FROM Account WHERE Foo = 1", "INVALID_FIELD", "No such column 'Foo' on entity 'Account'."),
        ("SELECT Id FROM Account ORDER BY Foo", "INVALID_FIELD", "No such column 'Foo' on entity 'Account'."),
        ("SELECT Foo.Name FROM Account", "INVALID_FIELD", "Didn't understand relationship 'Foo' in field path."),
        ("SELECT Name.Foo FROM Account", "INVALID_FIELD", "Didn't understand relationship 'Name' in field path."),
        (
            "SELECT Id FROM Account WHERE AnnualRevenue = '5'",
            "INVALID_FIELD",
            "value of filter criterion for field 'AnnualRevenue' must be of type double and should not be enclosed in quotes",
        ),
        (
            "SELECT Id FROM Account WHERE Name = 5",
            "INVALID_FIELD",
            "value of filter criterion for field 'Name' must be of type string and should be enclosed in quotes",
        ),
        (
            "SELECT Id FROM Account WHERE Name = 2024-01-01",
            "INVALID_FIELD",
            "value of filter criterion for field 'Name' must be of type string and should be enclosed in quotes",
        ),
        (
            "SELECT Id FROM Account WHERE Name = TODAY",
            "INVALID_FIELD",
            "value of filter criterion for field 'Name' must be of type string and should be enclosed in quotes",
        ),
        (
            "SELECT Id FROM Opportunity WHERE CloseDate = '2024-01-01'",
            "INVALID_FIELD",
            "value of filter criterion for field 'CloseDate' must be of type date and should not be enclosed in quotes",
        ),
        (
            "SELECT Id FROM Opportunity WHERE CloseDate = 2024-01-01T00:00:00Z",
            "INVALID_FIELD",
            "value of filter criterion for field 'CloseDate' must be of type date and should not be enclosed in quotes",
        ),
        (
            "SELECT Id FROM Account WHERE CreatedDate > 2024-01-01",
            "INVALID_FIELD",
            "value of filter criterion for field 'CreatedDate' must be of type dateTime and should not be enclosed in quotes",
        ),
        (
            "SELECT Id FROM Opportunity WHERE IsWon = 'true'",
            "INVALID_FIELD",
            "value of filter criterion for field 'IsWon' must be of type boolean and should not be enclosed in quotes",
        ),
        (
            "SELECT Id FROM Account WHERE NumberOfEmployees LIKE '1%'",
            "INVALID_FIELD",
            "value of filter criterion for field 'NumberOfEmployees' must be of type int and should not be enclosed in quotes",
        ),
        (
            "SELECT Id FROM Account WHERE Description = 'x'",
            "INVALID_FIELD",
            "field 'Description' can not be filtered in a query call",
        ),
        (
            "SELECT Id FROM Contact WHERE Account.Description IN ('x')",
            "INVALID_FIELD",
            "field 'Description' can not be filtered in a query call",
        ),
        (
            "SELECT Id FROM Account WHERE BillingAddress = 'x'",
            "INVALID_FIELD",
            "Address fields can only be filtered using Distance expressions",
        ),
        (
            "SELECT Id FROM Account ORDER BY Description",
            "MALFORMED_QUERY",
            "field 'Description' can not be sorted in a query call",
        ),
        (
            "SELECT Id FROM Account ORDER BY BillingAddress",
            "MALFORMED_QUERY",
            "field 'BillingAddress' can not be sorted in a query call",
        ),
        ("SELECT Id FROM Account WHERE Id = 'abc'", "INVALID_QUERY_FILTER_OPERATOR", "invalid ID field: abc"),
        (
            "SELECT Id FROM Account WHERE Name = 'a' AND Type = 'b' OR Type = 'c'",
            "MALFORMED_QUERY",
            "unexpected token: 'OR'",
        ),
    ],
)
def test_refused_queries(soql: str, code: str, detail: str) -> None:
    exc = soql_error(soql)
    assert exc.error_code == code
    assert detail in exc.message.splitlines()[-1]


def test_the_caret_points_at_the_offending_field() -> None:
    exc = soql_error("SELECT Id FROM Account WHERE Name = 'x' AND Description = 'y'")
    assert exc.message.splitlines()[1:4] == [
        "SELECT Id FROM Account WHERE Name = 'x' AND Description = 'y'",
        " " * 44 + "^",
        "ERROR at Row:1:Column:45",
    ]


# ----------------------------------------------------------------------------------- properties

TEXT = st.text(st.characters(codec="utf-8"), max_size=30)
ASCII = st.text(st.sampled_from("abcAB%_\\' \n"), max_size=8)
AMOUNTS = st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False, width=64))
OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def soql_compare(op: str, stored: Any, literal: Any) -> bool:
    """SOQL's comparison semantics with nulls: = null and != null test nullness; a null field is only != a value."""
    if literal is None:
        return {"=": stored is None, "!=": stored is not None}.get(op, False)
    if stored is None:
        return op == "!="
    return OPS[op](stored, literal)


def reset(con: duckdb.DuckDBPyConnection, object_name: str, rows: list[Row]) -> list[str]:
    con.execute(f'DELETE FROM "{object_name}"')
    prefix = catalog().get(object_name).key_prefix  # type: ignore[union-attr]
    out = []
    for number, row in enumerate(rows, start=1):
        out.append(make_id(prefix, number))
        insert(con, object_name, Id=out[-1], **row)
    return out


def number_literal(value: float | None) -> str:
    return "null" if value is None else format(Decimal(value), "f")


@settings(max_examples=150, deadline=None)
@given(value=TEXT, others=st.lists(TEXT, max_size=3))
def test_escaped_strings_match_exactly_the_stored_row(
    db: duckdb.DuckDBPyConnection, value: str, others: list[str]
) -> None:
    assume(all(other.lower() != value.lower() for other in others))
    row_ids = reset(db, "Lead", [{"LastName": v} for v in [value, *others]])
    assert ids(db, f"SELECT Id FROM Lead WHERE LastName = {quote_soql_value(value)}") == [row_ids[0]]
    assert ids(db, format_soql("SELECT Id FROM Lead WHERE LastName IN {}", [value])) == [row_ids[0]]


@settings(max_examples=150, deadline=None)
@given(stored=st.lists(AMOUNTS, min_size=1, max_size=5), literal=AMOUNTS, op=st.sampled_from(sorted(OPS)))
def test_number_comparisons_agree_with_python(
    db: duckdb.DuckDBPyConnection, stored: list[float | None], literal: float | None, op: str
) -> None:
    row_ids = reset(db, "Lead", [{"LastName": "x", "AnnualRevenue": v} for v in stored])
    expected = [i for i, v in zip(row_ids, stored, strict=True) if soql_compare(op, v, literal)]
    soql = f"SELECT Id FROM Lead WHERE AnnualRevenue {op} {number_literal(literal)} ORDER BY Id"
    assert ids(db, soql) == expected


@settings(max_examples=100, deadline=None)
@given(
    stored=st.lists(st.one_of(st.none(), st.integers(-(2**31) + 1, 2**31 - 1)), min_size=1, max_size=5),
    literal=st.one_of(st.integers(-(2**40), 2**40), st.decimals(-(10**6), 10**6, places=3)),
    op=st.sampled_from(sorted(OPS)),
)
def test_integer_field_comparisons_agree_with_python(
    db: duckdb.DuckDBPyConnection, stored: list[int | None], literal: int | Decimal, op: str
) -> None:
    row_ids = reset(db, "Lead", [{"LastName": "x", "NumberOfEmployees": v} for v in stored])
    expected = [i for i, v in zip(row_ids, stored, strict=True) if soql_compare(op, v, literal)]
    assert ids(db, f"SELECT Id FROM Lead WHERE NumberOfEmployees {op} {literal} ORDER BY Id") == expected


@settings(max_examples=100, deadline=None)
@given(
    stored=st.lists(st.one_of(st.none(), ASCII), min_size=1, max_size=5), literal=ASCII, op=st.sampled_from(sorted(OPS))
)
def test_text_comparisons_agree_with_python_ignoring_case(
    db: duckdb.DuckDBPyConnection, stored: list[str | None], literal: str, op: str
) -> None:
    row_ids = reset(db, "Lead", [{"LastName": "x", "Title": v} for v in stored])
    expected = [
        i
        for i, v in zip(row_ids, stored, strict=True)
        if soql_compare(op, None if v is None else v.lower(), literal.lower())
    ]
    assert ids(db, f"SELECT Id FROM Lead WHERE Title {op} {quote_soql_value(literal)} ORDER BY Id") == expected


MOMENTS = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 12, 31)).map(
    lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000)
)


@settings(max_examples=100, deadline=None)
@given(
    stored=st.lists(st.one_of(st.none(), MOMENTS), min_size=1, max_size=5),
    literal=MOMENTS,
    offset_minutes=st.integers(-14 * 60, 14 * 60),
    op=st.sampled_from(sorted(OPS)),
)
def test_datetime_comparisons_agree_with_python(
    db: duckdb.DuckDBPyConnection, stored: list[datetime | None], literal: datetime, offset_minutes: int, op: str
) -> None:
    row_ids = reset(db, "Lead", [{"LastName": "x", "ConvertedDate": None, "CreatedDate": v} for v in stored])
    zone = timezone(timedelta(minutes=offset_minutes))
    local = literal.replace(tzinfo=UTC).astimezone(zone)
    sign, minutes = ("-" if offset_minutes < 0 else "+"), abs(offset_minutes)
    text = (
        local.strftime("%Y-%m-%dT%H:%M:%S")
        + f".{local.microsecond // 1000:03d}{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    )
    expected = [i for i, v in zip(row_ids, stored, strict=True) if soql_compare(op, v, literal)]
    assert ids(db, f"SELECT Id FROM Lead WHERE CreatedDate {op} {text} ORDER BY Id") == expected


@settings(max_examples=100, deadline=None)
@given(
    stored=st.lists(st.one_of(st.none(), st.dates(date(2000, 1, 1), date(2030, 1, 1))), min_size=1, max_size=5),
    literal=st.dates(date(2000, 1, 1), date(2030, 1, 1)),
    op=st.sampled_from(sorted(OPS)),
)
def test_date_comparisons_agree_with_python(
    db: duckdb.DuckDBPyConnection, stored: list[date | None], literal: date, op: str
) -> None:
    row_ids = reset(db, "Lead", [{"LastName": "x", "ConvertedDate": v} for v in stored])
    expected = [i for i, v in zip(row_ids, stored, strict=True) if soql_compare(op, v, literal)]
    assert ids(db, f"SELECT Id FROM Lead WHERE ConvertedDate {op} {literal.isoformat()} ORDER BY Id") == expected


@settings(max_examples=100, deadline=None)
@given(
    stored=st.lists(st.one_of(st.none(), ASCII), min_size=1, max_size=5),
    values=st.lists(st.one_of(st.none(), ASCII), min_size=1, max_size=4),
    negated=st.booleans(),
)
def test_in_and_not_in_agree_with_python(
    db: duckdb.DuckDBPyConnection, stored: list[str | None], values: list[str | None], negated: bool
) -> None:
    row_ids = reset(db, "Lead", [{"LastName": "x", "Title": v} for v in stored])
    wanted = {None if v is None else v.lower() for v in values}
    expected = [
        i for i, v in zip(row_ids, stored, strict=True) if ((None if v is None else v.lower()) in wanted) != negated
    ]
    soql = format_soql(f"SELECT Id FROM Lead WHERE Title {'NOT IN' if negated else 'IN'} {{}} ORDER BY Id", values)
    assert ids(db, soql) == expected


@settings(max_examples=100, deadline=None)
@given(
    stored=st.lists(st.one_of(st.none(), ASCII), min_size=1, max_size=5),
    pieces=st.lists(st.one_of(st.sampled_from(["%", "_"]), ASCII), min_size=1, max_size=4),
)
def test_like_with_wildcards_and_escapes_agrees_with_python(
    db: duckdb.DuckDBPyConnection, stored: list[str | None], pieces: list[str]
) -> None:
    row_ids = reset(db, "Lead", [{"LastName": "x", "Title": v} for v in stored])
    wildcard = {"%": ".*", "_": "."}
    # Even-indexed pieces that are "%" or "_" are wildcards; all other pieces are literal text, escaped
    # the way simple-salesforce's {:like} format spec escapes them.
    kinds = [p in wildcard and i % 2 == 0 for i, p in enumerate(pieces)]
    pattern = "".join(p if wild else format_soql("{:like}", p) for p, wild in zip(pieces, kinds, strict=True))
    regex = "".join(wildcard[p] if wild else re.escape(p.lower()) for p, wild in zip(pieces, kinds, strict=True))
    expected = [
        i for i, v in zip(row_ids, stored, strict=True) if v is not None and re.fullmatch(regex, v.lower(), re.S)
    ]
    assert ids(db, f"SELECT Id FROM Lead WHERE Title LIKE '{pattern}' ORDER BY Id") == expected


@settings(max_examples=100, deadline=None)
@given(first=TEXT, second=TEXT, number=st.integers(-(10**9), 10**9), day=st.dates(date(2000, 1, 1), date(2030, 1, 1)))
def test_literal_values_never_reach_the_sql_text(first: str, second: str, number: int, day: date) -> None:
    template = (
        "SELECT Id, Owner.Name FROM Opportunity WHERE (Name = {a} OR Name LIKE {a} OR StageName IN ({a}, {b})) "
        "AND Amount > {n} AND CloseDate != {d} AND Owner.Email NOT IN ({b}) ORDER BY Name LIMIT {lim}"
    )

    def compiled(a: str, b: str, n: int, d: date) -> CompiledQuery:
        soql = template.format(
            a=quote_soql_value("zq" + a), b=quote_soql_value("zq" + b), n=n, d=d.isoformat(), lim=abs(n)
        )
        return compile_(soql)

    one, other = compiled(first, second, number, day), compiled(second, first, number + 1, day + timedelta(days=1))
    assert one.sql == other.sql  # the SQL text never depends on the values: they are all parameters
    assert "zq" not in one.sql and "zq" + first in one.params
    assert one.params != other.params


@pytest.mark.parametrize("object_name", [obj.name for obj in catalog()])
def test_every_field_of_every_object_can_be_selected_and_null_tested(
    db: duckdb.DuckDBPyConnection, object_name: str
) -> None:
    obj = catalog().get(object_name)
    assert obj is not None
    fields = ", ".join(f.name for f in obj.fields)
    filters = " AND ".join(
        f"{f.name} != null" for f in obj.fields if f.filterable and f.type not in ("address", "location")
    )
    parents = ", ".join(f"{f.relationship_name}.Id" for f in obj.fields if f.relationship_name)
    soql = f"SELECT {fields}{', ' + parents if parents else ''} FROM {object_name} WHERE {filters} ORDER BY {obj.fields[-1].name}"
    compiled = compile_(soql)
    assert len(compiled.items) == len(obj.fields) + (parents.count(",") + 1 if parents else 0)
    db.execute(compiled.sql, compiled.params).fetchall()
