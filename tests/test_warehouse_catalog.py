"""``saleshome.warehouse.catalog``: whether a table exists and its columns, per schema, names bound safely."""

from __future__ import annotations

import duckdb

from saleshome.warehouse.catalog import table_columns, table_exists


def test_tables_and_columns_per_schema() -> None:
    with duckdb.connect() as conn:
        conn.execute("CREATE SCHEMA sf")
        conn.execute('CREATE TABLE sf."Opportunity" ("Id" VARCHAR, "Amount" DOUBLE)')
        conn.execute('CREATE VIEW sf."Won" AS SELECT "Id" FROM sf."Opportunity"')
        conn.execute("CREATE TABLE main.columns (object VARCHAR, picklist VARCHAR)")
        assert table_exists(conn, "Opportunity") and table_exists(conn, "Won")
        assert not table_exists(conn, "opportunity")  # names are exact, as Salesforce gives them
        assert not table_exists(conn, "Account") and not table_exists(conn, "Opportunity", schema="main")
        assert table_exists(conn, "columns", schema="main") and not table_exists(conn, "columns")
        assert table_columns(conn, "Opportunity") == {"Id", "Amount"}
        assert table_columns(conn, "Won") == {"Id"}
        assert table_columns(conn, "columns", schema="main") == {"object", "picklist"}
        assert table_columns(conn, "Account") == set()  # no such table: no columns, no error


def test_a_hostile_name_is_a_value_not_sql() -> None:
    with duckdb.connect() as conn:
        conn.execute("CREATE SCHEMA sf")
        conn.execute('CREATE TABLE sf."Opportunity" ("Id" VARCHAR)')
        hostile = "x' OR table_name = 'Opportunity"
        assert not table_exists(conn, hostile) and table_columns(conn, hostile) == set()
